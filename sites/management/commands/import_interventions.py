"""manage.py import_interventions FILE --city SLUG: completed projects from before the
platform (sites.importers.import_interventions)."""

from django.core.management.base import BaseCommand, CommandError

from mapapp.models import City
from sites.importers import INTERVENTION_FIELDS, ImportRefused, import_interventions


class Command(BaseCommand):
    help = (
        "Import completed projects (earlier calls, other funding) from a GeoPackage, GeoJSON "
        "or Shapefile into a city's before/after map, with their before/after photos when "
        "the rows name them. All rows or none, unless --skip-invalid; importing again "
        "updates them."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--city", required=True)
        for key in INTERVENTION_FIELDS:
            parser.add_argument(
                f"--{key.replace('_', '-')}-field", dest=f"field_{key}", default=key,
                help=f"the column holding the {key.replace('_', ' ')} (default: {key})",
            )  # fmt: skip
        parser.add_argument("--id-field", help="a column that identifies each row")
        parser.add_argument("--srid", type=int, help="the file's EPSG code, if it declares none")
        parser.add_argument("--sustainability-months", type=int, default=24)
        parser.add_argument("--skip-invalid", action="store_true")
        parser.add_argument(
            "--photos",
            help="the folder the photo columns' file names are in (default: the file's own)",
        )

    def handle(self, *args, **opts):
        city = City.objects.filter(slug=opts["city"]).first()
        if city is None:
            raise CommandError(f"No city with slug {opts['city']!r}")
        try:
            result = import_interventions(
                city=city,
                path=opts["file"],
                fields={key: opts[f"field_{key}"] for key in INTERVENTION_FIELDS},
                id_field=opts["id_field"],
                srid=opts["srid"],
                sustainability_months=opts["sustainability_months"],
                skip_invalid=opts["skip_invalid"],
                photos_dir=opts["photos"],
            )
        except ImportRefused as refused:
            raise CommandError(
                f"Nothing imported: {len(refused.refused)} rows cannot be read "
                f"(--skip-invalid imports the others):\n{refused}"
            ) from refused
        except Exception as exc:  # an unreadable file: say so, nothing was written
            raise CommandError(f"Cannot import {opts['file']}: {exc}") from exc
        for number, why in result.refused:
            self.stderr.write(f"row {number} skipped: {why}")
        self.stdout.write(
            f"{city.name}: read {result.read}, new {result.created}, updated {result.updated}, "
            f"skipped {len(result.refused)}; photo pairs: new {result.pairs_added}, "
            f"kept {result.pairs_kept}, removed {result.pairs_removed}"
        )
