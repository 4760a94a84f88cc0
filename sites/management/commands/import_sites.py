from django.core.management.base import BaseCommand, CommandError

from mapapp.models import City
from sites.importers import OSTRAVA_SPORT_FIELDS, import_ostrava_sport_fields

FORMATS = {OSTRAVA_SPORT_FIELDS: import_ostrava_sport_fields}


class Command(BaseCommand):
    help = "Import a register of sites (e.g. Ostrava's sport fields) into a city. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--city", required=True)
        parser.add_argument("--format", choices=sorted(FORMATS), default=OSTRAVA_SPORT_FIELDS)

    def handle(self, *args, **opts):
        city = City.objects.filter(slug=opts["city"]).first()
        if city is None:
            raise CommandError(f"No city with slug {opts['city']!r}")
        try:
            result = FORMATS[opts["format"]](city=city, path=opts["file"])
        except Exception as exc:  # an unreadable file: say so, nothing was written
            raise CommandError(f"Cannot import {opts['file']}: {exc}") from exc
        self.stdout.write(
            f"{city.name}: read {result.read}, new sites {result.created}, updated "
            f"{result.updated}, not sites {result.not_sites}, outside the city {result.outside}"
        )
