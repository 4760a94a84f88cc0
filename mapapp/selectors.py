"""Reads for the core. Geometry work (extent, area, GeoJSON) is done by PostGIS."""

from __future__ import annotations

import copy
import json
import time

from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import Area, AsGeoJSON, Transform
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from mapapp.geofuncs import ForcePolygonCCW
from mapapp.models import City, CityInformation, CityRole, User

GEOJSON_PRECISION = 6  # ~0.1 m; more is noise


def city_list() -> QuerySet[City]:
    return City.objects.filter(is_active=True).defer("boundary").order_by("name")


_CITIES: dict[str, tuple[float, City]] = {}


def city_get(*, slug: str) -> City:
    """The active city with this slug (404 otherwise), without loading its boundary.

    Every request starts here, so each process keeps cities for CITY_CACHE_SECONDS (a copy
    is handed out, so a caller cannot change the kept one); saving a city clears the entry in
    the process that saved it (mapapp.signals), others catch up within that period."""
    from django.conf import settings

    now = time.monotonic()
    kept = _CITIES.get(slug)
    if kept is not None and now - kept[0] < settings.CITY_CACHE_SECONDS:
        return copy.copy(kept[1])
    city = get_object_or_404(city_list(), slug=slug)
    _CITIES[slug] = (now, city)
    return copy.copy(city)


def admin_time_zone(*, user) -> str:
    """The zone the admin shows and reads times in for this person: their cities' zone when
    they all share one (a city's staff), else the deployment's when every active city shares
    one, else UTC (settings.TIME_ZONE), which the admin then says."""
    from django.conf import settings

    mine = set(
        CityRole.objects.filter(user=user, city__is_active=True).values_list(
            "city__time_zone", flat=True
        )
    )
    if len(mine) == 1:
        return mine.pop()
    if not mine:
        every = set(City.objects.filter(is_active=True).values_list("time_zone", flat=True))
        if len(every) == 1:
            return every.pop()
    return settings.TIME_ZONE


def city_forget(slug: str | None = None) -> None:
    if slug is None:
        _CITIES.clear()
    else:
        _CITIES.pop(slug, None)


def city_information(*, city: City) -> CityInformation:
    """The city's information, or an empty unsaved one (its pages then say what is missing)."""
    info = CityInformation.objects.filter(city=city).first() or CityInformation(city=city)
    info.city = city  # the caller's (cached) city: no second query for it
    return info


def place_search(city: City) -> dict | None:
    """The city's "find a place", when its public layers name a place: its `url`
    (/<city>/places/), and whether it finds `addresses` (an address points layer), which its
    label then names."""
    from django.urls import reverse

    from geodata.models import Layer
    from geodata.selectors import has_named_places

    if not has_named_places(city=city):
        return None
    return {
        "url": reverse("city-places", kwargs={"city": city.slug}),
        "addresses": has_named_places(city=city, kinds=Layer.LOOKUP_KINDS),
    }


def city_extent(*, city: City) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the boundary, computed in the database."""
    return City.objects.filter(pk=city.pk).aggregate(e=Extent("boundary"))["e"]


def city_area_km2(*, city: City) -> float:
    """Area of the boundary measured in the city's metric CRS."""
    area = (
        City.objects.filter(pk=city.pk)
        .annotate(a=Area(Transform("boundary", city.metric_srid)))
        .values_list("a", flat=True)
        .get()
    )
    return area.sq_km


def city_boundary_feature(*, city: City) -> dict:
    """The boundary as an RFC 7946 Feature: lon/lat, CCW exterior rings, 6 decimals."""
    geometry = (
        City.objects.filter(pk=city.pk)
        .annotate(gj=AsGeoJSON(ForcePolygonCCW("boundary"), precision=GEOJSON_PRECISION))
        .values_list("gj", flat=True)
        .get()
    )
    return {
        "type": "Feature",
        "id": city.slug,
        "geometry": json.loads(geometry),
        "properties": {"slug": city.slug, "name": city.name},
    }


def city_map_config(*, city: City) -> dict:
    """What the city map's JavaScript needs; passed to the page with json_script."""
    from django.urls import reverse

    west, south, east, north = city_extent(city=city)
    config = {
        "slug": city.slug,
        "name": city.name,
        "boundaryUrl": reverse("api:city-boundary", kwargs={"city": city.slug}),
        "bounds": [[south, west], [north, east]],
        "tiles": {"url": city.basemap_url, "attribution": city.basemap_attribution},
        "center": None,
        "zoom": city.map_zoom,
    }
    if city.map_center:
        config["center"] = [city.map_center.y, city.map_center.x]
    return config


def user_roles(*, user: User, city: City) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(CityRole.objects.filter(user=user, city=city).values_list("role", flat=True))


def points_inside(*, city: City, points: list) -> list[bool]:
    """For each GEOS point (SRID 4326), whether the city's boundary covers it: one query.

    Raw SQL: unnest() over an array of WKB lets PostGIS test a whole import at once."""
    from django.db import connection

    if not points:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_Covers(c.boundary, ST_SetSRID(ST_GeomFromWKB(t.g), 4326))
            FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(g, i), mapapp_city c
            WHERE c.id = %s ORDER BY t.i
            """,
            [[bytes(p.wkb) for p in points], city.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def shape_map_config(*, obj, city: City, status: str) -> dict:
    """One feature's point and area as GeoJSON made by PostGIS (rings counter-clockwise,
    6 decimals), with the city's basemap: what a single-feature page map needs."""
    from mapapp.geofuncs import ForcePolygonCCW

    row = (
        type(obj)
        .objects.filter(pk=obj.pk)
        .annotate(
            point=AsGeoJSON("geom", precision=GEOJSON_PRECISION),
            shape=AsGeoJSON(ForcePolygonCCW("area"), precision=GEOJSON_PRECISION),
        )
        .values("point", "shape")
        .get()
    )
    return {
        "point": json.loads(row["point"]) if row["point"] else None,
        "area": json.loads(row["shape"]) if row["shape"] else None,
        "status": status,
        "tiles": {"url": city.basemap_url, "attribution": city.basemap_attribution},
    }
