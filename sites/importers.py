"""Importers of site registers: core functions with no interface code (the management
command and the demo loader call them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from mapapp.models import City
from mapapp.selectors import points_inside
from sites.classification import classify_condition, classify_ownership
from sites.models import Site

OSTRAVA_SPORT_FIELDS = "ostrava-sport-fields"


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    not_sites: int = 0
    outside: int = 0


@transaction.atomic
def import_ostrava_sport_fields(*, city: City, path: str | Path) -> ImportResult:
    """Ostrava's register of sport fields and playgrounds (data.ostrava.cz): those in a poor
    state become neglected sites, those awaiting reconstruction sites being revitalised
    (sites.classification). Running it again updates, never duplicates; features outside
    the city are refused and counted."""
    import geopandas
    import shapely

    frame = geopandas.read_file(path, engine="pyogrio")
    if frame.crs is None:
        raise ValueError(f"{Path(path).name} declares no CRS")
    frame = frame.to_crs(epsg=4326)
    result = ImportResult(read=len(frame))

    def text(value) -> str:
        return value.strip() if isinstance(value, str) else ""  # NaN for missing values

    candidates = []
    for row in frame.itertuples():
        condition, _rule = classify_condition(row.TECH_STAV)
        if condition is None:
            result.not_sites += 1
            continue
        geom = GEOSGeometry(memoryview(shapely.to_wkb(shapely.force_2d(row.geometry))), srid=4326)
        candidates.append((row, condition, geom))
    inside = points_inside(city=city, points=[geom for _, _, geom in candidates])
    for (row, condition, geom), is_inside in zip(candidates, inside, strict=True):
        if not is_inside:
            result.outside += 1
            continue
        external_id = str(int(row.OBJECTID))
        description = "\n".join(
            part for part in (text(row.ADRESA), f"Technický stav: {text(row.TECH_STAV)}") if part
        )
        _, created = Site.objects.update_or_create(
            city=city,
            source=OSTRAVA_SPORT_FIELDS,
            external_id=external_id,
            defaults={
                "name": text(row.NAZEV)[:200] or f"#{external_id}",
                "description": description,
                "geom": geom,
                "condition": condition,
                "ownership": classify_ownership(row.VLASTNIK),
                "district": text(row.OBVOD),
                "moderation": Site.Moderation.ACCEPTED,
            },
        )
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result
