"""Demo sites: Ostrava's real register of sport fields and playgrounds (classified), and for
Koszalin a small synthetic set, clearly labelled as such. Idempotent."""

from __future__ import annotations

from pathlib import Path

from django.contrib.gis.geos import Point

from mapapp.models import City
from sites.importers import import_ostrava_sport_fields
from sites.models import Site

DATA_DIR = Path(__file__).resolve().parent / "data"
SYNTHETIC = "synthetic-demo"

# name, (lon, lat) offset from the Rynek in ~100 m steps, condition, ownership
KOSZALIN_SYNTHETIC = [
    ("Zaniedbany skwer przy ul. Zwycięstwa", (3, -2), "neglected", "city"),
    ("Podwórko kamienic przy ul. Piłsudskiego", (-4, 3), "neglected", "public"),
    ("Dawny plac zabaw na osiedlu", (6, 5), "neglected", "city"),
    ("Nieużytek przy Dzierżęcince", (-2, -6), "neglected", "unknown"),
    ("Boisko przy szkole (przed remontem)", (8, -1), "being_revitalised", "city"),
    ("Skwer z fontanną (odnowiony)", (-7, -3), "revitalised", "city"),
]


def load_demo_sites(city: City) -> None:
    if city.slug == "ostrava":
        import_ostrava_sport_fields(
            city=city, path=DATA_DIR / "ostrava_sport_fields_points.geojson"
        )
    elif city.slug == "koszalin":
        lon, lat = 16.1817, 54.1903
        for i, (name, (dx, dy), condition, ownership) in enumerate(KOSZALIN_SYNTHETIC, start=1):
            Site.objects.update_or_create(
                city=city,
                source=SYNTHETIC,
                external_id=str(i),
                defaults={
                    "name": f"{name} [dane syntetyczne]",
                    "description": "SYNTHETIC DEMO DATA: an invented place for trying the "
                    "platform; not a real site register.",
                    "geom": Point(lon + dx * 0.004, lat + dy * 0.0025, srid=4326),
                    "condition": condition,
                    "ownership": ownership,
                    "district": "Śródmieście" if abs(dx) < 5 else "Osiedle",
                    "moderation": Site.Moderation.ACCEPTED,
                },
            )
