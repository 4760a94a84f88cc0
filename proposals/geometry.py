"""Checks of a proposal's location: a pin or one drawn polygon, inside the city, small.

User GeoJSON is parsed by shapely (GEOS), not by GDAL, and checked before anything is stored.
An invalid drawing is refused, never silently repaired. Measurements are done by PostGIS in
the city's metric CRS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.gis.db.models.functions import Area, PointOnSurface, Transform
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.core.exceptions import ValidationError
from django.db.models import Value
from django.utils.formats import number_format
from shapely.geometry import shape

from mapapp.models import City
from proposals import messages as msg
from proposals.models import GrantCall

MAX_GEOJSON_CHARS = 200_000  # a few hundred vertices take a few kB
MAX_NESTING = 8  # a Feature holding a MultiPolygon is 6 levels deep


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text, counted without parsing it (a parser
    recurses, so thousands of brackets would exhaust it)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@dataclass
class Location:
    point: Point
    area: Polygon | None


def parse_geojson_geometry(text: str | dict | None):
    """A shapely geometry from GeoJSON (a geometry or a Feature), or None when empty."""
    if text in (None, "", {}):
        return None
    if isinstance(text, str):
        if len(text) > MAX_GEOJSON_CHARS:
            raise ValidationError(msg.GEOMETRY_UNREADABLE, params={"error": "too large"})
        if _nesting(text) > MAX_NESTING:
            raise ValidationError(msg.GEOMETRY_UNREADABLE, params={"error": "nested too deep"})
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError(msg.GEOMETRY_UNREADABLE, params={"error": "not JSON"}) from exc
    else:
        data = text
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or "type" not in data:
        raise ValidationError(msg.GEOMETRY_UNREADABLE, params={"error": "not a GeoJSON geometry"})
    try:
        geometry = shape(data)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValidationError(msg.GEOMETRY_UNREADABLE, params={"error": str(exc)[:200]}) from exc
    if geometry.is_empty:
        return None
    # JSON parsers accept NaN and Infinity; no coordinate may be one (found by hypothesis)
    if not np.isfinite(shapely.get_coordinates(geometry)).all():  # x and y; z is dropped
        raise ValidationError(
            msg.GEOMETRY_UNREADABLE, params={"error": "coordinates must be finite numbers"}
        )
    return shapely.force_2d(geometry)


def _to_geos(geometry) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geometry)), srid=4326)


def check_location(
    *,
    city: City,
    grant_call: GrantCall | None = None,
    max_area_m2: int | None = None,
    max_vertices: int | None = None,
    point=None,
    area=None,
) -> Location:
    """Validate a pin and/or an area (shapely geometries, lon/lat). For an area, the stored
    point is a point on its surface (computed by PostGIS). Limits come from the grant call,
    or are given (sites)."""
    if grant_call is not None:
        max_area_m2, max_vertices = grant_call.max_area_m2, grant_call.max_vertices
    if area is not None:
        if area.geom_type == "MultiPolygon" and len(area.geoms) == 1:
            area = area.geoms[0]
        if area.geom_type != "Polygon":
            raise ValidationError(msg.GEOMETRY_WRONG_TYPE, params={"type": area.geom_type})
        vertices = shapely.get_num_coordinates(area)
        if vertices > max_vertices:
            raise ValidationError(
                msg.GEOMETRY_TOO_MANY_VERTICES, params={"count": vertices, "max": max_vertices}
            )
        if not area.is_valid:
            raise ValidationError(
                msg.GEOMETRY_INVALID, params={"reason": shapely.is_valid_reason(area)}
            )
        shape_to_check = _to_geos(area)
    elif point is not None:
        if point.geom_type != "Point":
            raise ValidationError(msg.GEOMETRY_WRONG_TYPE, params={"type": point.geom_type})
        shape_to_check = _to_geos(point)
    else:
        raise ValidationError(msg.GEOMETRY_REQUIRED)

    x_min, y_min, x_max, y_max = shape_to_check.extent
    if not (-180 <= x_min <= x_max <= 180 and -90 <= y_min <= y_max <= 90):
        raise ValidationError(msg.GEOMETRY_OUTSIDE_CITY, params={"city": city.name})

    # One query: inside the city? how large in the city's metric CRS? a point on the surface.
    shape_value = Value(shape_to_check, output_field=City._meta.get_field("boundary"))
    row = (
        City.objects.filter(pk=city.pk)
        .annotate(
            m2=Area(Transform(shape_value, city.metric_srid)),
            on_surface=PointOnSurface(shape_value),
        )
        .values("m2", "on_surface")
        .annotate(inside=_covers(shape_to_check))
        .get()
    )
    if not row["inside"]:
        raise ValidationError(msg.GEOMETRY_OUTSIDE_CITY, params={"city": city.name})
    if area is not None:
        m2 = row["m2"].sq_m
        if m2 > max_area_m2:
            raise ValidationError(
                msg.GEOMETRY_TOO_LARGE,
                params={"area": _grouped(m2), "max": _grouped(max_area_m2)},
            )
        return Location(point=row["on_surface"], area=shape_to_check)
    return Location(point=shape_to_check, area=None)


def _covers(geometry: GEOSGeometry):
    from django.db.models import BooleanField, ExpressionWrapper, Q

    return ExpressionWrapper(Q(boundary__covers=geometry), output_field=BooleanField())


def _grouped(number) -> str:
    """12345.6 -> "12 346" in Polish and Czech, "12,346" in English: as the reader writes it."""
    return number_format(round(number), 0, force_grouping=True)
