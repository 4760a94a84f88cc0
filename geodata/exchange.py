"""Reading a collection for outside tools: query parameters, coordinate reference systems and
pages of GeoJSON built by PostGIS. Used by OGC API Features, the REST API and the exports.

Coordinates leave in the axis order of the requested CRS, as OGC API Features Part 2 says:
EPSG:4326 and EPSG:2180 are northing-first, CRS84 (the default), EPSG:3857 and EPSG:5514
easting-first. pyproj tells which."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Polygon
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from geodata.collections import FILTER_PARAMS, Collection
from mapapp.filters import text_query, words_q
from mapapp.geofuncs import FlipCoordinates, ForcePolygonCCW
from mapapp.models import City

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
OFFERED_SRIDS = (4326, 3857, 2180, 5514)
MAX_LIMIT = 10_000
MAX_ID = 2**63 - 1  # the largest key PostgreSQL holds (bigint)


class BadQuery(ValueError):
    """A query parameter the client must fix: answered with HTTP 400 and this text."""


def crs_uri(srid: int | None) -> str:
    return CRS84 if srid is None else EPSG_URI.format(srid)


def offered_crs(city: City) -> list[str]:
    srids = list(OFFERED_SRIDS)
    if city.metric_srid not in srids:
        srids.append(city.metric_srid)
    return [CRS84, *(crs_uri(s) for s in srids)]


@lru_cache(maxsize=64)
def _axes(srid: int) -> tuple[bool, bool]:
    """(northing first, geographic) for an EPSG code."""
    from pyproj import CRS

    crs = CRS.from_epsg(srid)
    return crs.axis_info[0].direction in ("north", "south"), crs.is_geographic


def north_first(srid: int | None) -> bool:
    return srid is not None and _axes(srid)[0]


def is_geographic(srid: int | None) -> bool:
    return srid is None or _axes(srid)[1]


_EPSG_FORMS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$"),
    re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE),
)


def parse_crs(value: str, *, city: City, name: str = "crs", any_epsg: bool = False) -> int | None:
    """A CRS URI (or EPSG:n) to an SRID; None for CRS84. Only offered ones, unless `any_epsg`
    (exports accept any EPSG code pyproj knows)."""
    value = value.strip()
    if value in ("", CRS84, "OGC:CRS84", "[OGC:CRS84]"):
        return None
    for pattern in _EPSG_FORMS:
        m = pattern.match(value)
        if m:
            srid = int(m.group(1))
            if any_epsg:
                try:
                    _axes(srid)
                except Exception as e:
                    raise BadQuery(
                        _("%(name)s: unknown EPSG code %(code)s.") % {"name": name, "code": srid}
                    ) from e
                return srid
            if crs_uri(srid) in offered_crs(city):
                return srid
            break
    raise BadQuery(
        _("%(name)s: %(value)s is not offered; use one of %(offered)s.")
        % {"name": name, "value": value[:80], "offered": ", ".join(offered_crs(city))}
    )


def output_geometry(expr, srid: int | None):
    """The `_geom` expression in the output CRS and axis order (rings counter-clockwise)."""
    g = ForcePolygonCCW(expr)
    if srid is not None and srid != 4326:
        g = Transform(g, srid)
    if north_first(srid):
        g = FlipCoordinates(g)
    return g


def precision(srid: int | None) -> int:
    return 6 if is_geographic(srid) else 2  # 6 decimals of a degree ~ 0.1 m; centimetres


def parse_bbox(value: str, *, bbox_crs: int | None) -> GEOSGeometry:
    """`minx,miny,maxx,maxy` (or with heights, which are ignored) in `bbox_crs` axis order,
    as a 4326 polygon. Edges are densified before reprojection, so the area is the true one."""
    try:
        nums = [float(v) for v in value.split(",")]
    except ValueError as e:
        raise BadQuery(_("bbox: four numbers separated by commas are expected.")) from e
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4 or any(n != n or abs(n) == float("inf") for n in nums):
        raise BadQuery(_("bbox: four numbers separated by commas are expected."))
    x1, y1, x2, y2 = nums
    if north_first(bbox_crs):
        x1, y1, x2, y2 = y1, x1, y2, x2
    if x1 > x2 or y1 > y2:
        raise BadQuery(_("bbox: the lower corner must come before the upper corner."))
    if bbox_crs is None or bbox_crs == 4326:
        if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
            raise BadQuery(_("bbox: longitude or latitude out of range."))
        return Polygon.from_bbox((x1, y1, x2, y2)) if (x1, y1) != (x2, y2) else _point(x1, y1)
    box = Polygon.from_bbox((x1, y1, x2, y2)) if (x1, y1) != (x2, y2) else _point(x1, y1)
    return to_4326(box, bbox_crs, name="bbox", flip=False)


def to_4326(geometry: GEOSGeometry, srid: int, *, name: str, flip: bool) -> GEOSGeometry:
    """`geometry`, whose coordinates are in `srid` (x first, or y first with `flip`), in
    4326 (x first). Edges are densified before reprojection (32 steps over the longer
    side), so lines and areas keep their true course, not the straight chord between
    reprojected corners. Coordinates no projection reaches are BadQuery, naming the
    parameter `name`; the query runs in a savepoint, so a caller's transaction stays
    usable."""
    x1, y1, x2, y2 = geometry.extent
    step = max(x2 - x1, y2 - y1) / 32 or 1
    placed = "ST_SetSRID(%s::geometry, %s)"
    if flip:
        placed = f"ST_FlipCoordinates({placed})"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ST_AsEWKB(ST_Transform(ST_Segmentize({placed}, %s), 4326))",  # noqa: S608 - our text
                [bytes(geometry.wkb), srid, step],
            )
            return GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))
    except (DatabaseError, GEOSException, TypeError):  # refused, or nothing came back
        order = _("northing first") if north_first(srid) else _("easting first")
        raise BadQuery(
            _("%(name)s: it lies outside what EPSG:%(srid)s can express (check the axis "
              "order: %(order)s).") % {"name": name, "srid": srid, "order": order}
        ) from None  # fmt: skip


def _point(x, y):
    from django.contrib.gis.geos import Point

    return Point(x, y, srid=4326)


def _moment(text: str, *, end: bool) -> dt.datetime | dt.date | None:
    text = text.strip()
    if text in ("..", ""):
        return None
    try:  # well-formed but impossible values (month 13) raise ValueError
        moment = parse_datetime(text)
        day = None if moment is not None else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is not None:
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if day is None:
        raise BadQuery(
            _("datetime: %(value)s is not a date or a date and time (RFC 3339).")
            % {"value": text[:40]}
        )
    return day


def datetime_q(value: str, field_name: str, *, is_date: bool) -> Q:
    """RFC 3339 instant or interval (`a/b`, `../b`, `a/..`) as a filter on `field_name`."""
    parts = value.split("/")
    if len(parts) > 2:
        raise BadQuery(_("datetime: an instant or an interval start/end is expected."))

    def as_field(v, end):
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            return v.date() if is_date else v
        if is_date:
            return v
        base = dt.datetime.combine(v, dt.time.max if end else dt.time.min, tzinfo=dt.UTC)
        return base

    if len(parts) == 1:
        v = _moment(parts[0], end=False)
        if v is None:
            raise BadQuery(_("datetime: an instant or an interval start/end is expected."))
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime) and not is_date:
            return Q(**{f"{field_name}__date": v})
        return Q(**{field_name: as_field(v, False)})
    start, end = (as_field(_moment(p, end=i == 1), i == 1) for i, p in enumerate(parts))
    q = Q()
    if start is not None:
        q &= Q(**{f"{field_name}__gte": start})
    if end is not None:
        q &= Q(**{f"{field_name}__lte": end})
    return q


@dataclass
class ItemsQuery:
    limit: int = 10
    offset: int = 0
    srid: int | None = None  # output CRS; None is CRS84
    q: Q = field(default_factory=Q)
    filtered: bool = False
    ordering: tuple[str, ...] = ("id",)
    echo: dict = field(default_factory=dict)  # the parameters to carry into next/prev links
    after: int | None = None  # keyset paging: rows after this id
    matching: QuerySet | None = None  # every row the filters select, the cursor aside


def parse_limit(value: str | None, *, default: int, maximum: int = MAX_LIMIT) -> int:
    if value in (None, ""):
        return default
    try:
        n = int(value)
    except ValueError as e:
        raise BadQuery(_("limit: a whole number is expected.")) from e
    return max(1, min(n, maximum))  # clamped, not refused (OGC API Features)


MAX_OFFSET = 2_147_483_647


def parse_offset(value: str | None) -> int:
    if value in (None, ""):
        return 0
    try:
        n = int(value)
    except ValueError as e:
        raise BadQuery(_("offset: a whole number is expected.")) from e
    if n < 0:
        raise BadQuery(_("offset: must not be negative."))
    if n > MAX_OFFSET:  # beyond PostgreSQL's integers, and any collection's size
        raise BadQuery(_("offset: at most %(max)s.") % {"max": MAX_OFFSET})
    return n


def property_q(collection: Collection, params) -> tuple[Q, dict]:
    """Filters by property (`status=a,b` or repeated), strict: an unknown value is a 400;
    and by search words (`q`) where the collection has text to search."""
    q = Q()
    echo = {}
    for name, flt in collection.filters.items():
        raw = [v for item in params.getlist(name) for v in item.split(",") if v.strip()]
        if not raw:
            continue
        values: list = []
        for v in raw:
            v = v.strip()
            if flt.kind == "int":
                if not v.isdigit():
                    raise BadQuery(_("%(name)s: a whole number is expected.") % {"name": name})
                values.append(int(v))
            elif flt.allowed is not None and v not in flt.allowed:
                raise BadQuery(
                    _("%(name)s: %(value)s is not one of %(allowed)s.")
                    % {"name": name, "value": v[:40], "allowed": ", ".join(flt.allowed)}
                )
            else:
                values.append(v)
        q &= Q(**{flt.lookup: values})
        echo[name] = ",".join(str(v) for v in values)
    words = text_query(params) if collection.search else ""
    if words:  # as on the list pages and the map: every word, in any of the text fields
        q &= words_q(words, *collection.search)
        echo["q"] = words
    return q, echo


def filter_collection(c: Collection, params, *, city: City) -> tuple[QuerySet, dict]:
    """The collection's rows filtered by bbox (+ bbox-crs), datetime and its own property
    filters, as OGC API Features, the tiles and the exports read them; with the parameters
    used, to carry into links and job records."""
    qs = c.queryset()
    echo: dict = {}
    if params.get("bbox"):
        bbox_crs = parse_crs(params.get("bbox-crs", ""), city=city, name="bbox-crs")
        qs = qs.filter(c.bbox_q(parse_bbox(params["bbox"], bbox_crs=bbox_crs)))
        echo["bbox"] = params["bbox"]
        if params.get("bbox-crs"):
            echo["bbox-crs"] = params["bbox-crs"]
    elif params.get("bbox-crs"):
        raise BadQuery(_("bbox-crs is given without bbox."))
    if params.get("datetime"):
        if not c.datetime_field:
            raise BadQuery(_("datetime: this collection has no time."))
        is_date = c.datetime_field.endswith("_on")
        qs = qs.filter(datetime_q(params["datetime"], c.datetime_field, is_date=is_date))
        echo["datetime"] = params["datetime"]
    q, props = property_q(c, params)
    if props:
        qs = qs.filter(q)
        echo.update(props)
    q, said = cql_q(c, params, city=city)
    if said:
        qs = qs.filter(q)
        echo.update(said)
    return qs, echo


def cql_q(c: Collection, params, *, city: City) -> tuple[Q, dict]:
    """A CQL2 `filter` (OGC API Features Part 3, geodata.cql) on the collection's
    queryables, with `filter-lang` and `filter-crs` (any CRS the city offers, in its axis
    order); the parameters used, for links."""
    from geodata.cql import FilterError, filter_q

    if not params.get("filter"):
        if params.get("filter-lang") or params.get("filter-crs"):
            raise BadQuery(_("filter-lang and filter-crs go with a filter."))
        return Q(), {}
    srid = parse_crs(params.get("filter-crs", ""), city=city, name="filter-crs")
    try:
        q = filter_q(c, params["filter"], params.get("filter-lang"), srid)
    except FilterError as e:
        raise BadQuery(str(e)) from None
    return q, {k: params[k] for k in FILTER_PARAMS if params.get(k)}


def matched(qs: QuerySet) -> int:
    return qs.order_by().count()


def data_stamp(model, city: City) -> str:
    """A text that changes when any row of `model` in the city changes: the city's change
    counter for the table, bumped by triggers in the writer's transaction (migration geodata
    0006), read by primary key. ETags of the REST API and the tiles use it; it is kept for
    DATA_STAMP_SECONDS, so a burst of requests asks the database once."""
    from django.conf import settings
    from django.core.cache import caches

    cache = caches["local"]
    key = f"exchange:stamp:{city.pk}:{model._meta.label_lower}"
    found = cache.get(key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n FROM geodata_changestamp WHERE city_id = %s AND table_name = %s",
                [city.pk, model._meta.db_table],
            )
            row = cursor.fetchone()
        found = f"n{row[0] if row else 0}"
        cache.set(key, found, getattr(settings, "DATA_STAMP_SECONDS", 2))
    return found


def data_stamps(city: City, tables) -> str:
    """The city's change counters of several tables (db_table names) read at once, as one
    text ("proposals_proposal:12,sites_site:3"): the key of what is computed from them all
    (the stored analysis, the public figures). Not kept per process: one read by primary
    key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(string_agg(table_name || ':' || n, ',' ORDER BY table_name), '') "
            "FROM geodata_changestamp WHERE city_id = %s AND table_name = ANY(%s)",
            [city.pk, list(tables)],
        )
        return cursor.fetchone()[0]


def collection_size(c: Collection, city: City) -> int:
    """Rows of an unfiltered collection, counted at most once per DATA_STAMP_SECONDS (paging
    through a large collection must not count it again for every page)."""
    from django.conf import settings
    from django.core.cache import caches

    cache = caches["local"]
    key = f"exchange:size:{city.pk}:{c.id}:{c.layer_id}"
    found = cache.get(key)
    if found is None:
        found = matched(c.queryset())
        cache.set(key, found, getattr(settings, "DATA_STAMP_SECONDS", 2))
    return found


def features_json(
    qs: QuerySet,
    *,
    properties: list[str],
    srid: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    ordering: tuple[str, ...] = ("id",),
    geometry=None,
    id_property: bool = False,
    with_last_id: bool = False,
):
    """(JSON array of GeoJSON features, their number) for one page, built by PostGIS.
    `id_property` repeats the id among the properties (the city maps read it there);
    `with_last_id` adds the largest id of the page (for keyset next links) to the result."""
    geometry = geometry if geometry is not None else F("_geom")
    rows = (
        qs.annotate(_out=AsGeoJSON(output_geometry(geometry, srid), precision=precision(srid)))
        .values("id", "_out", *properties)
        .order_by(*ordering)
    )
    if limit is not None:
        rows = rows[offset : offset + limit]
    elif offset:
        rows = rows[offset:]
    inner, params = rows.query.sql_with_params()
    names = ["id", *properties] if id_property else properties
    pairs = ", ".join(f"'{name}', t.\"{name}\"" for name in names)
    # The features are joined as text: ST_AsGeoJSON's output is JSON already, and parsing it
    # into json for json_agg to print again cost 13 % of a 1,000-feature page. Properties go
    # through json_build_object, which escapes them. Rows keep the inner query's order.
    sql = f"""
        SELECT coalesce('[' || string_agg(
                   '{{"type": "Feature", "id": ' || t.id
                   || ', "geometry": ' || coalesce(t._out, 'null')
                   || ', "properties": ' || json_build_object({pairs})::text || '}}',
                   ', ') || ']', '[]'),
               count(*), max(t.id)
        FROM ({inner}) AS t
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names come from the registry
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        text, n, last_id = cursor.fetchone()
    return (text, n, last_id) if with_last_id else (text, n)


def extent(qs: QuerySet) -> list[float] | None:
    """[minx, miny, maxx, maxy] in CRS84 of the rows' geometry, or None when empty."""
    from django.contrib.gis.db.models import Extent

    box = qs.order_by().aggregate(e=Extent("_geom"))["e"]
    return [round(v, 6) for v in box] if box else None


def temporal_extent(qs: QuerySet, field_name: str | None) -> list[str | None] | None:
    from django.db.models import Max, Min

    if not field_name:
        return None
    r = qs.order_by().aggregate(a=Min(field_name), b=Max(field_name))

    def iso(v):
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            return v.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return f"{v.isoformat()}T00:00:00Z"

    return [iso(r["a"]), iso(r["b"])]
