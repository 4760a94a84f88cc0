"""Mapbox Vector Tiles per collection: /tiles/<city>/<collection>/{z}/{x}/{y}.mvt.

Built by PostGIS (ST_AsMVT, ST_AsMVTGeom, ST_TileEnvelope) from the same registry as OGC API
Features, so a tile carries public rows and public properties only. Below CLUSTER_BELOW_ZOOM
the point collections are aggregated on a grid (64 cells across a tile): a feature per
occupied cell with `count` (and the row's id and properties when the cell holds one row),
which keeps low-zoom tiles over a million rows small. `id` is a property in both modes, so a
client reads it the same way.

Caching: the ETag is the collection's data stamp (the city's change counter, or the layer
version) with the tile address; the stamp is kept for DATA_STAMP_SECONDS so that a burst of
tile requests asks the database once. Rendered tiles are kept in the cache under the ETag, so
a change of data invalidates them all at once."""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Polygon
from django.core.cache import cache, caches
from django.db import connection
from django.db.models import F
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geodata import exchange
from geodata.collections import Collection, collection_get
from mapapp import selectors as city_selectors
from mapapp.authentication import token_user
from mapapp.errors import NotFound

MVT = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
BUFFER = 64
CLUSTER_BELOW_ZOOM = 14
GRID = 64  # cells across a tile at the aggregated zooms
MAX_ZOOM = 22
HALF = 20037508.342789244  # half the Web Mercator world, metres


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / (1 << z)
    return (-HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size)


def _lonlat(mx: float, my: float) -> tuple[float, float]:
    lon = mx / HALF * 180
    lat = math.degrees(2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2)
    return lon, lat


def tile_envelope_4326(z: int, x: int, y: int, margin: float = BUFFER / EXTENT) -> Polygon:
    """The tile with its buffer as a lon/lat rectangle (Web Mercator maps rectangles to
    rectangles, so this is exact)."""
    x1, y1, x2, y2 = tile_bounds_3857(z, x, y)
    pad = (x2 - x1) * margin
    lo = _lonlat(max(-HALF, x1 - pad), max(-HALF, y1 - pad))
    hi = _lonlat(min(HALF, x2 + pad), min(HALF, y2 + pad))
    box = Polygon.from_bbox((*lo, *hi))
    box.srid = 4326
    return box


def _stamp(c: Collection, city) -> str:
    if c.layer_id is not None:
        return f"layer{c.layer_id}"  # a layer version never changes
    return exchange.data_stamp(c.queryset().model, city)


def _sql_tile(c: Collection, z: int, x: int, y: int, where, *, city=None) -> bytes:
    from geodata import tilegrid

    unfiltered = not where  # an empty Q: no status or category filter
    if unfiltered and c.id in tilegrid.GRID_COLLECTIONS and z <= tilegrid.GRID_ZOOM:
        if tilegrid.is_fresh(c, city):
            return tilegrid.grid_tile(c, city, z, x, y, EXTENT, BUFFER)
        _rebuild_soon(c, city)  # meanwhile, from the rows themselves
    qs = c.queryset().filter(where).filter(c.bbox_q(tile_envelope_4326(z, x, y)))
    if c.area_field is not None and z < CLUSTER_BELOW_ZOOM:
        return _clustered(c, qs, z, x, y)
    props = [p for p, kind in c.properties.items() if kind != "object"]
    rows = qs.annotate(_g3857=Transform(F("_geom"), 3857)).values("id", "_g3857", *props)
    inner, params = rows.order_by().query.sql_with_params()
    cols = ", ".join(
        f't."{p}"::text AS "{p}"' if c.properties[p] == "string" else f't."{p}"' for p in props
    )
    sql = f"""
        SELECT ST_AsMVT(m, %s, {EXTENT}, 'geom') FROM (
            SELECT t.id, {cols},
                   ST_AsMVTGeom(t._g3857, ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true)
                   AS geom
            FROM ({inner}) AS t
        ) AS m WHERE m.geom IS NOT NULL
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names come from the registry
    with connection.cursor() as cursor:
        cursor.execute(sql, [c.id, z, x, y, *params])
        return bytes(cursor.fetchone()[0] or b"")


def _rebuild_soon(c: Collection, city) -> None:
    """Queue one grid rebuild per city and collection at a time (the cache key expires after
    a minute, so a lost task is retried)."""
    from geodata.tasks import rebuild_tile_grid

    if cache.add(f"tiles:grid-queued:{city.pk}:{c.id}", 1, 60):
        rebuild_tile_grid.enqueue(city.pk, c.id)


def _clustered(c: Collection, qs, z: int, x: int, y: int) -> bytes:
    """One feature per occupied grid cell, at the mean of its points, with `count`; a cell
    of one row keeps that row's id and properties."""
    props = [p for p, kind in c.properties.items() if kind not in ("object",)]
    rows = qs.annotate(_p=Transform(F(c.point_field), 3857)).values("id", "_p", *props)
    inner, params = rows.order_by().query.sql_with_params()
    x1, y1, x2, y2 = tile_bounds_3857(z, x, y)
    cell = (x2 - x1) / GRID
    single = ", ".join(
        f'CASE WHEN count(*) = 1 THEN min(t."{p}"::text) END AS "{p}"' for p in props
    )
    sql = f"""
        SELECT ST_AsMVT(m, %s, {EXTENT}, 'geom') FROM (
            SELECT count(*)::int AS count,
                   CASE WHEN count(*) = 1 THEN min(t.id) END AS id, {single},
                   ST_AsMVTGeom(ST_MakePoint(avg(ST_X(t._p)), avg(ST_Y(t._p))),
                                ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true) AS geom
            FROM ({inner}) AS t
            GROUP BY floor(ST_X(t._p) / %s), floor(ST_Y(t._p) / %s)
        ) AS m WHERE m.geom IS NOT NULL
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names come from the registry
    with connection.cursor() as cursor:
        cursor.execute(sql, [c.id, z, x, y, *params, cell, cell])
        return bytes(cursor.fetchone()[0] or b"")


@token_user  # QGIS and scripts read non-public layers' tiles with their token
@require_GET
def tile(request, city, collection_id, z, x, y):
    city_obj = city_selectors.city_get(slug=city)
    if z > MAX_ZOOM or x >= (1 << z) or y >= (1 << z):
        return HttpResponse(
            _("No such tile: z must be 0 to %(max)s and x, y below 2^z.") % {"max": MAX_ZOOM},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    c = collection_get(city=city_obj, collection_id=collection_id, user=request.user)
    if c is None:
        raise NotFound(_("No such collection."))
    try:  # the collection's own filters (status=, category=, ...) and a CQL2 filter, as in
        # OGC API Features
        where, echo = exchange.property_q(c, request.GET)
        cql, said = exchange.cql_q(c, request.GET, city=city_obj)
        where, echo = where & cql, {**echo, **said}
    except exchange.BadQuery as e:
        return HttpResponse(str(e), status=400, content_type="text/plain; charset=utf-8")
    public = c.layer_id is None or collection_get(city=city_obj, collection_id=collection_id)
    address = f"{city_obj.pk}/{c.id}/{_stamp(c, city_obj)}/{z}/{x}/{y}/{sorted(echo.items())}"
    tag = hashlib.blake2s(address.encode(), digest_size=12).hexdigest()
    etag = f'"{tag}"'
    cache_control = "public, max-age=60" if public else "private, max-age=60"
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        key = f"tiles:{tag}"
        body = caches["local"].get(key)  # per process; nginx keeps public tiles for all
        if body is None:
            body = _sql_tile(c, z, x, y, where, city=city_obj)
            caches["local"].set(key, body, settings.TILE_CACHE_SECONDS)
        response = HttpResponse(body, content_type=MVT)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    if public:
        response["Access-Control-Allow-Origin"] = "*"  # any web map may draw public tiles
    return response
