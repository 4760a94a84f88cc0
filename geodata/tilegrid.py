"""The grid of counts behind low-zoom tiles of the point collections (proposals, sites).

A z13 tile split 64 x 64 gives cells of about 76 m. The grid holds, per city and collection,
the number of public rows in each occupied cell and their mean position; z10-13 tiles then
aggregate cells (2^(13-z) x 2^(13-z) of them per tile cell) instead of every point. The grid
is rebuilt by the task worker when the collection's data stamp changes; until it is rebuilt,
tiles are computed from the rows themselves, so they are never stale."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F

from geodata import exchange
from geodata.collections import Collection
from geodata.models import TileGridCell, TileGridState

HALF = 20037508.342789244
CELL = 2 * HALF / (1 << 13) / 64  # metres
GRID_ZOOM = 13
GRID_COLLECTIONS = ("proposals", "sites")


def current_stamp(c: Collection, city) -> str:
    return exchange.data_stamp(c.queryset().model, city)


def is_fresh(c: Collection, city) -> bool:
    stamp = TileGridState.objects.filter(city=city, collection=c.id).values_list("stamp", flat=True)
    return bool(stamp) and stamp[0] == current_stamp(c, city)


@transaction.atomic
def rebuild(c: Collection, city) -> int:
    """Replace the city's grid of this collection; returns the number of cells."""
    from django.contrib.gis.db.models.functions import Transform

    stamp = current_stamp(c, city)
    rows = c.queryset().annotate(_p=Transform(F(c.point_field), 3857)).values("id", "_p")
    inner, params = rows.order_by().query.sql_with_params()
    TileGridCell.objects.filter(city=city, collection=c.id).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO geodata_tilegridcell (city_id, collection, gx, gy, n, x, y, any_id)
            SELECT %s, %s, floor(ST_X(t._p) / %s)::int, floor(ST_Y(t._p) / %s)::int,
                   count(*), avg(ST_X(t._p)), avg(ST_Y(t._p)), min(t.id)
            FROM ({inner}) AS t WHERE t._p IS NOT NULL
            GROUP BY 3, 4
            """,  # noqa: S608 - {inner} is the ORM's parameterised SQL
            [city.pk, c.id, CELL, CELL, *params],
        )
        cells = cursor.rowcount
    TileGridState.objects.update_or_create(city=city, collection=c.id, defaults={"stamp": stamp})
    return cells


def grid_tile(c: Collection, city, z: int, x: int, y: int, extent: int, buffer: int) -> bytes:
    """A z <= 13 tile from the grid: one feature per occupied tile cell, with `count` (and
    `id` when the cell holds one row)."""
    from geodata.tiles import tile_bounds_3857

    factor = 1 << (GRID_ZOOM - z)
    x1, y1, x2, y2 = tile_bounds_3857(z, x, y)
    pad = (x2 - x1) * buffer / extent
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT ST_AsMVT(m, %s, {extent}, 'geom') FROM (
                SELECT sum(n)::int AS count,
                       CASE WHEN sum(n) = 1 THEN min(any_id) END AS id,
                       ST_AsMVTGeom(ST_MakePoint(sum(x * n) / sum(n), sum(y * n) / sum(n)),
                                    ST_TileEnvelope(%s, %s, %s), {extent}, {buffer}, true)
                       AS geom
                FROM geodata_tilegridcell
                WHERE city_id = %s AND collection = %s
                  AND gx BETWEEN %s AND %s AND gy BETWEEN %s AND %s
                GROUP BY floor(gx::float / %s), floor(gy::float / %s)
            ) AS m WHERE m.geom IS NOT NULL
            """,  # noqa: S608 - numbers only
            [c.id, z, x, y, city.pk, c.id,
             int((x1 - pad) // CELL), int((x2 + pad) // CELL),
             int((y1 - pad) // CELL), int((y2 + pad) // CELL), factor, factor],
        )  # fmt: skip
        return bytes(cursor.fetchone()[0] or b"")
