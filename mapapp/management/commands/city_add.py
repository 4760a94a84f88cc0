from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mapapp.geo import BoundaryError, read_boundary_file
from mapapp.models import City
from mapapp.services import city_save


class Command(BaseCommand):
    help = (
        "Add a city, or update the one with this slug, from a boundary file (GeoJSON, "
        "GeoPackage, Shapefile or anything GDAL reads, in any declared CRS). A bad file "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("boundary_file")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--srid", type=int, required=True, help="the city's metric CRS, e.g. 2180 or 5514"
        )
        parser.add_argument(
            "--file-srid",
            type=int,
            help="CRS of a file that declares none (e.g. a .shp without .prj)",
        )
        parser.add_argument("--language", choices=[code for code, _ in settings.LANGUAGES])
        parser.add_argument("--currency", choices=City.Currency.values)
        parser.add_argument("--time-zone")
        parser.add_argument(
            "--country",
            help="ISO 3166 code, e.g. PL or CZ: the city's information gets the data "
            "protection authority and accessibility bodies that country's law names",
        )

    def handle(self, *args, **opts):
        try:
            boundary = read_boundary_file(opts["boundary_file"], assume_srid=opts["file_srid"])
            city, created = city_save(
                slug=opts["slug"],
                name=opts["name"],
                boundary=boundary,
                metric_srid=opts["srid"],
                default_language=opts["language"],
                currency=opts["currency"]
                or (None if City.objects.filter(slug=opts["slug"]).exists() else "EUR"),
                time_zone=opts["time_zone"],
                country=opts["country"],
            )
        except BoundaryError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            )
            raise CommandError(problems) from exc
        verb = "Added" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {city.name} ({city.slug}), metric CRS EPSG:{city.metric_srid}"
            )
        )
