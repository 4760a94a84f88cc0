import sys

from django.core.management.base import BaseCommand, CommandError

from geodata.importers import LayerImportError, import_layer
from geodata.models import Layer
from mapapp.models import City


class Command(BaseCommand):
    help = (
        "Import a reference layer (GeoJSON, GeoPackage, zipped Shapefile or anything GDAL "
        "reads; address points as RÚIAN's CSV or the PRG's GML publish them) as a new "
        "version; the old version stays current until the new one is in."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--city", required=True)
        parser.add_argument("--kind", required=True, choices=Layer.Kind.values)
        parser.add_argument("--name")
        parser.add_argument("--srid", type=int, help="CRS of a file that declares none")
        parser.add_argument(
            "--make-valid",
            action="store_true",
            help="repair invalid geometry instead of refusing the file",
        )
        parser.add_argument(
            "--name-format",
            help='each feature\'s name from its columns, e.g. "{street} {number}" (addresses)',
        )
        parser.add_argument("--source", default="")
        parser.add_argument("--licence", default="")
        parser.add_argument("--private", action="store_true", help="not a public layer")

    def handle(self, *args, **opts):
        city = City.objects.filter(slug=opts["city"]).first()
        if city is None:
            raise CommandError(f"No city with slug {opts['city']!r}")
        path = opts["file"]  # a zipped Shapefile is read inside the archive by GDAL
        try:
            report = import_layer(
                city=city,
                kind=opts["kind"],
                path=path,
                name=opts["name"],
                source_srid=opts["srid"],
                make_valid=opts["make_valid"],
                source=opts["source"],
                licence=opts["licence"],
                is_public=not opts["private"],
                name_format=opts["name_format"],
                progress=self._progress,
            )
        except LayerImportError as exc:
            raise CommandError(str(exc)) from exc
        sys.stderr.write("\n")
        if report.repaired:
            self.stdout.write(f"repaired features: #{', #'.join(map(str, report.repaired))}")
        self.stdout.write(self.style.SUCCESS(f"{report.layer}: {report.summary()}"))

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
