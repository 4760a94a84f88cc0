"""Exports of a collection as GeoJSON, GeoPackage, zipped Shapefile or CSV.

GeoJSON and CSV are streamed straight from PostgreSQL (psycopg's row streaming, and COPY for
CSV), so the first bytes leave at once and memory stays flat whatever the size. GeoPackage
and Shapefile are written by GDAL (pyogrio) in chunks; above EXPORT_SYNC_MAX features they
run as a background task with a job page (geodata.tasks).

GeoJSON is always WGS 84 lon/lat (RFC 7946). The other formats take any EPSG code; files hold
coordinates in the traditional GIS order (easting first), as GeoPackage and Shapefile
define. CSV carries the geometry as WKT in the chosen CRS plus lon/lat of a point on it."""

from __future__ import annotations

import itertools
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import connection
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from geodata import exchange
from geodata.collections import Collection
from mapapp.geofuncs import ForcePolygonCCW
from mapapp.models import City

FORMATS = {
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
STREAMED = ("geojson", "csv")
CHUNK_ROWS = 5000
EXPORT_PARAMS = {"format", "crs", "bbox", "bbox-crs", "datetime", "background"}


@dataclass
class ExportRequest:
    city: City
    collection: Collection
    fmt: str
    srid: int
    qs: QuerySet
    query: dict  # the filters as given, for the job record and the file's provenance

    @property
    def filename(self) -> str:
        return filename(self.city, self.collection.id, self.fmt)


def filename(city: City, collection_id: str, fmt: str) -> str:
    return f"{city.slug}-{collection_id}-{city.local_date().isoformat()}.{FORMATS[fmt][1]}"


def parse_export(params, *, city: City, collection: Collection) -> ExportRequest:
    unknown = sorted(set(params) - EXPORT_PARAMS - collection.query_params())
    if unknown:
        raise exchange.BadQuery(
            _("Unknown query parameter: %(names)s.") % {"names": ", ".join(unknown)[:200]}
        )
    fmt = params.get("format", "geojson")
    if fmt not in FORMATS:
        raise exchange.BadQuery(
            _("format: use one of %(formats)s.") % {"formats": ", ".join(FORMATS)}
        )
    srid = exchange.parse_crs(params.get("crs", ""), city=city, any_epsg=True) or 4326
    if fmt == "geojson" and srid != 4326:
        raise exchange.BadQuery(
            _("crs: GeoJSON is always WGS 84 longitude/latitude (RFC 7946); choose GeoPackage, "
              "Shapefile or CSV for another CRS.")
        )  # fmt: skip
    qs, echo = exchange.filter_collection(collection, params, city=city)
    return ExportRequest(city, collection, fmt, srid, qs, echo)


def _props_sql(c: Collection, names: list[str], *, limit_text: int | None = None) -> str:
    cols = []
    for name in names:
        kind = c.properties[name]
        if kind in ("string", "object"):
            # through JSON: times come out as ISO 8601, as in the GeoJSON
            value = f"(to_jsonb(t.\"{name}\") #>> '{{}}')"
            if limit_text:
                value = f"left({value}, {limit_text})"
            cols.append(f'{value} AS "{name}"')
        else:
            cols.append(f't."{name}"')
    return ", ".join(cols)


def _inner(qs: QuerySet, names: list[str], **annotations) -> tuple[str, list]:
    rows = qs.annotate(**annotations).values("id", *annotations, *names).order_by("id")
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _buffered(chunks: Iterator[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    buf, n = [], 0
    for chunk in chunks:
        buf.append(chunk)
        n += len(chunk)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


def stream_geojson(req: ExportRequest) -> Iterator[bytes]:
    """A FeatureCollection, as PostgreSQL produces the features.

    COPY in CSV mode with a quote and a delimiter that JSON text never holds raw (control
    characters are escaped in JSON) passes each feature's text through unchanged, one per
    line; Python only forwards COPY's blocks (bench/exchange.py: the export's cost over the
    bare SQL)."""
    names = list(req.collection.properties)
    inner, params = _inner(req.qs, names, _out=AsGeoJSON(ForcePolygonCCW(F("_geom")), precision=6))
    pairs = ", ".join(f"'{n}', t.\"{n}\"" for n in names)
    sql = f"""
        COPY (
            SELECT CASE WHEN row_number() OVER () = 1 THEN '' ELSE ',' END
                   || json_build_object('type', 'Feature', 'id', t.id,
                                        'geometry', t._out::json,
                                        'properties', json_build_object({pairs}))::text
            FROM ({inner}) AS t
        ) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names come from the registry

    def chunks():
        head = {"type": "FeatureCollection", "name": f"{req.city.slug}-{req.collection.id}"}
        yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n').encode()
        with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
            for data in copy:
                yield bytes(data)
        yield b"]}\n"

    return _buffered(chunks())


def stream_csv(req: ExportRequest) -> Iterator[bytes]:
    """CSV by COPY: id, the public properties, wkt in the chosen CRS, lon and lat."""
    names = list(req.collection.properties)
    inner, params = _inner(req.qs, names, _g=F("_geom"))
    geom = "ST_Force2D(t._g)" if req.srid == 4326 else f"ST_Transform(t._g, {int(req.srid)})"
    digits = 6 if exchange.is_geographic(req.srid) else 2
    sql = f"""
        COPY (
            SELECT t.id, {_props_sql(req.collection, names)},
                   ST_AsText({geom}, {digits}) AS wkt,
                   round(ST_X(ST_PointOnSurface(t._g))::numeric, 6) AS lon,
                   round(ST_Y(ST_PointOnSurface(t._g))::numeric, 6) AS lat
            FROM ({inner}) AS t
        ) TO STDOUT WITH (FORMAT csv, HEADER true)
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names come from the registry

    def chunks():
        yield "\ufeff".encode()  # a BOM, so that spreadsheet programs read UTF-8
        with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
            for data in copy:
                yield bytes(data)

    return _buffered(chunks())


SHP_FAMILIES = {
    "points": ("Point", ("Point", "MultiPoint")),
    "lines": ("MultiLineString", ("LineString", "MultiLineString")),
    "polygons": ("MultiPolygon", ("Polygon", "MultiPolygon")),
}


def _shp_names(names: list[str]) -> dict[str, str]:
    """Shapefile columns have at most 10 characters: a unique short name for each."""
    out: dict[str, str] = {}
    for name in names:
        short = name[:10]
        i = 1
        while short in out.values():
            short = f"{name[: 10 - len(str(i))]}{i}"
            i += 1
        out[name] = short
    return out


def layer_name(req: ExportRequest) -> str:
    """A collection's layer in a GeoPackage (and a Shapefile's name): koszalin_proposals."""
    return f"{req.city.slug}_{req.collection.id}".replace("-", "_")


def write_file(
    req: ExportRequest,
    folder: Path,
    progress: Callable[[int], None] | None = None,
    *,
    target: Path | None = None,
) -> Path:
    """A GeoPackage or a zipped Shapefile of the rows, written in chunks; `progress` gets the
    number of rows written so far. Returns the file's path inside `folder`; a GeoPackage is
    written as a new layer into `target` instead, when given (write_all)."""
    import geopandas
    import pyogrio
    import shapely

    c = req.collection
    names = list(c.properties)
    is_shp = req.fmt == "shp"
    inner, params = _inner(req.qs, names, _g=F("_geom"))
    geom = f"ST_Transform(ST_Force2D(t._g), {int(req.srid)})"
    sql = f"""
        SELECT t.id, {_props_sql(c, names, limit_text=254 if is_shp else None)},
               GeometryType(t._g) AS kind, ST_AsBinary({geom}) AS wkb
        FROM ({inner}) AS t
    """  # noqa: S608 - {inner} is the ORM's parameterised SQL; names come from the registry
    layer = layer_name(req)
    columns = _shp_names(names) if is_shp else {n: n for n in names}
    workdir = Path(tempfile.mkdtemp(dir=folder))
    gpkg = target or workdir / f"{layer}.gpkg"
    written: dict[str, bool] = {}
    done = 0

    def flush(rows):
        nonlocal done
        if not rows:
            return
        frame = geopandas.GeoDataFrame(
            {
                "id": [r[0] for r in rows],
                **{columns[n]: [r[1 + i] for r in rows] for i, n in enumerate(names)},
            },
            geometry=shapely.from_wkb([bytes(r[-1]) for r in rows]),
            crs=f"EPSG:{req.srid}",
        )
        kinds = [r[-2] for r in rows]
        if not is_shp:
            pyogrio.write_dataframe(
                frame, gpkg, layer=layer, driver="GPKG", geometry_type="Unknown",
                append=bool(written), promote_to_multi=False,
            )  # fmt: skip
            written["gpkg"] = True
        else:
            for family, (shp_type, members) in SHP_FAMILIES.items():
                mask = [k.upper() in (m.upper() for m in members) for k in kinds]
                part = frame[mask]
                if part.empty:
                    continue
                pyogrio.write_dataframe(
                    part, workdir / f"{layer}_{family}.shp", driver="ESRI Shapefile",
                    geometry_type=shp_type, promote_to_multi=shp_type.startswith("Multi"),
                    append=family in written, encoding="UTF-8",
                )  # fmt: skip
                written[family] = True
        done += len(rows)
        if progress:
            progress(done)

    with connection.cursor() as cursor:
        batch = []
        for row in cursor.cursor.stream(sql, params):
            batch.append(row)
            if len(batch) >= CHUNK_ROWS:
                flush(batch)
                batch = []
        flush(batch)

    if not is_shp:
        if not written:  # an empty selection is still a valid, empty GeoPackage
            frame = geopandas.GeoDataFrame(
                {"id": [], **{n: [] for n in names}}, geometry=[], crs=f"EPSG:{req.srid}"
            )
            pyogrio.write_dataframe(frame, gpkg, layer=layer, driver="GPKG")
        return gpkg
    archive = workdir / f"{layer}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(workdir.iterdir()):
            if path.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                z.write(path, path.name)
        z.writestr(
            "columns.txt",
            "Shapefile columns are cut to 10 characters:\n"
            + "".join(f"{short}\t{name}\n" for name, short in columns.items()),
        )
    return archive


ALL = "all"  # the collection id of the whole city in one GeoPackage (write_all)
ALL_PARAMS = {"format", "crs", "bbox", "bbox-crs", "background"}


def parse_export_all(params, *, city: City, user=None) -> list[ExportRequest]:
    """Every collection `user` may read (the public ones, and the non-public layers their
    role allows), for one GeoPackage: only the CRS and a box apply to all of them."""
    from geodata.collections import city_collections

    unknown = sorted(set(params) - ALL_PARAMS)
    if unknown:
        raise exchange.BadQuery(
            _("Unknown query parameter: %(names)s. The whole city's GeoPackage takes crs and "
              "bbox only.") % {"names": ", ".join(unknown)[:200]}
        )  # fmt: skip
    if params.get("format", "gpkg") != "gpkg":
        raise exchange.BadQuery(
            _("format: the whole city comes as one GeoPackage (gpkg), a layer for each "
              "collection; export a collection alone for the other formats.")
        )  # fmt: skip
    each = params.copy()
    each["format"] = "gpkg"
    each.pop("background", None)
    collections = city_collections(city=city, user=user).values()
    return [parse_export(each, city=city, collection=c) for c in collections]


def write_all(
    reqs: list[ExportRequest],
    folder: Path,
    progress: Callable[[int], None] | None = None,
    *,
    counts: list[int] | None = None,
) -> Path:
    """One GeoPackage of the city: its boundary, then a layer for each collection, in the
    requests' CRS. `progress` gets the rows written so far, across the layers (`counts`:
    each request's rows, when the caller has counted them already)."""
    import geopandas
    import pyogrio
    import shapely

    city, srid = reqs[0].city, reqs[0].srid
    gpkg = folder / f"{city.slug}.gpkg"
    boundary = city.boundary.transform(srid, clone=True)
    frame = geopandas.GeoDataFrame(
        {"name": [city.name]}, geometry=[shapely.from_wkb(bytes(boundary.wkb))],
        crs=f"EPSG:{srid}",
    )  # fmt: skip
    pyogrio.write_dataframe(frame, gpkg, layer=f"{city.slug}_boundary", driver="GPKG")
    if counts is None:
        counts = [r.qs.order_by().count() if progress else 0 for r in reqs]
    for req, before in zip(reqs, itertools.accumulate([0, *counts]), strict=False):

        def each(done: int, before=before) -> None:
            if progress:
                progress(before + done)

        write_file(req, folder, progress=each, target=gpkg)
    return gpkg
