"""Rewrites the spatial tables in the order of their GiST index (CLUSTER), then ANALYZE.

Rows near each other on the map then sit on the same disk pages: a viewport, a tile or an
overlay reads a few pages instead of one page per row (measured 6x faster for a 500 m
viewport over 100,000 proposals; see bench/README.md). PostgreSQL does not keep the order as
rows change, so run it nightly (cron or a systemd timer) and after large imports. CLUSTER
locks each table while it runs: about a second per 100,000 rows here."""

import time

from django.core.management.base import BaseCommand
from django.db import connection

from mapapp.jobs import ScheduledCommand

TABLES = {
    "proposals": ("proposals_proposal", "proposals_proposal_geom_gist"),
    "sites": ("sites_site", "sites_site_geom_gist"),
    "interventions": ("sites_intervention", "sites_intervention_geom_gist"),
    "features": ("geodata_feature", "geodata_feature_geom_gist"),
}


class Command(ScheduledCommand, BaseCommand):
    help = "CLUSTER the spatial tables by their GiST index and ANALYZE them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", choices=sorted(TABLES), action="append", help="only these tables"
        )

    def partial(self, options) -> bool:
        return bool(options.get("only"))

    def run(self, *args, only=None, **options):
        for key in only or TABLES:
            table, index = TABLES[key]
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"CLUSTER {table} USING {index}")  # our own constant names
                cursor.execute(f"ANALYZE {table}")
            self.stdout.write(f"{table}: {time.perf_counter() - start:.1f} s")
