"""GeoJSON FeatureCollections built by PostGIS from an ORM queryset.

Raw SQL on purpose: json_agg over the ORM's own filtered query is several times faster than
assembling features in Python (bench/map_proposals.py). Only the columns named here leave
the database, so callers choose exactly the public fields."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import connection
from django.db.models import QuerySet


def feature_collection(qs: QuerySet, *, geometry: str = "geom", properties: list[str]) -> str:
    """A FeatureCollection text: one feature per row, `id` and the given value columns as
    properties (use annotations for computed ones), geometry with 6 decimals."""
    rows = (
        qs.filter(**{f"{geometry}__isnull": False})
        .annotate(_geojson=AsGeoJSON(geometry, precision=6))
        .values("id", "_geojson", *properties)
        .order_by()
    )
    inner, params = rows.query.sql_with_params()
    pairs = ", ".join(f"'{name}', t.\"{name}\"" for name in ["id", *properties])
    sql = f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
            json_build_object('type', 'Feature', 'id', t.id, 'geometry', t._geojson::json,
                              'properties', json_build_object({pairs}))
            ORDER BY t.id), '[]'::json))::text
        FROM ({inner}) AS t
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names are ours, not user input
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
