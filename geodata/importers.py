"""The one layer importer: a core function with no interface code, called by
`manage.py import_layer` and by the admin's upload form.

It reads anything GDAL reads (pyogrio), reprojects from the CRS the file declares (legacy
GeoJSON `crs` members included) to SRID 4326, drops Z, normalises to the geometry the kind
needs, and either repairs invalid geometry (make_valid, reporting what changed) or refuses
the file naming the features at fault. A new version of a layer becomes current only once it
is entirely in: one transaction."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from geodata.jobs import server_fault
from geodata.models import Feature, Layer
from mapapp.models import City

BATCH = 1000
# the share of an address register's points that may lie outside the city (left out)
REGISTER_OUTSIDE_ALLOWED = 0.05
NAME_KEYS = ("name", "nazwa", "nazev", "NAME", "NAZWA", "NAZEV", "title")
POPULATION_KEYS = ("population", "ludnosc", "pocet_obyvatel", "POPULATION", "pop")


NAME_FIELD = re.compile(r"\{([^{}]+)\}")


class LayerImportError(ValueError):
    """The file cannot become a layer; nothing was changed."""


def name_format_fields(name_format: str) -> list[str]:
    """The columns a name format names ("{ulica|miejscowosc} {numer}": ulica, miejscowosc,
    numer); refused when it names none, or has a brace outside a {column}."""
    found, rest = NAME_FIELD.findall(name_format), NAME_FIELD.sub("", name_format)
    fields = [name for alternatives in found for name in alternatives.split("|")]
    if not fields or "" in fields or "{" in rest or "}" in rest:
        raise LayerImportError(
            f"The name format {name_format!r} names no column: write columns in braces, "
            "e.g. {street} {number}"
        )
    return fields


def formatted_name(name_format: str, attributes: dict) -> str:
    """A feature's name from its columns (an address from street, house number and the
    like): each {column} replaced by its value (whole numbers without ".0"; empty when the
    value is missing), {a|b} by a's value, or b's when a has none (a village's houses have
    no street: the village's name instead), then what missing values leave tidied: doubled
    spaces, and a separator (/ , -) at either end ("Sportovní 1256/" for a house without an
    orientation number is "Sportovní 1256")."""

    def text(item) -> str:
        if item is None or (isinstance(item, float) and math.isnan(item)):
            return ""
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        return str(item).strip()

    def value(match: re.Match) -> str:
        said = (text(attributes.get(name)) for name in match.group(1).split("|"))
        return next((each for each in said if each), "")

    return re.sub(r"\s+", " ", NAME_FIELD.sub(value, name_format)).strip(" /,-")


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    repaired: list[int] = field(default_factory=list)  # feature numbers (1-based)
    refused: list[int] = field(default_factory=list)
    layer: Layer | None = None
    without_coordinates: int = 0  # address register rows with no place (geodata.registers)
    unresolved: int = 0  # address points whose street or place the file does not hold
    outside: int = 0  # an address register's points outside the city's boundary, left out

    def summary(self) -> str:
        said = (
            f"features read {self.read}, imported {self.imported}, repaired "
            f"{len(self.repaired)}, refused {len(self.refused)}"
        )
        if self.without_coordinates:
            said += f", left out without coordinates {self.without_coordinates}"
        if self.unresolved:
            said += f", left out with their street or place missing {self.unresolved}"
        if self.outside:
            said += f", left out outside the city {self.outside}"
        return said


def wanted(kind: str) -> tuple[str, ...]:
    """The geometry types a kind of layer takes."""
    if kind in Layer.POINT_KINDS:
        return ("Point", "MultiPoint")
    if kind in Layer.LINE_KINDS:
        return ("LineString", "MultiLineString", "Polygon", "MultiPolygon")
    return ("Polygon", "MultiPolygon")


def geometry_family(declared: str | None) -> str | None:
    """A file's declared geometry type without its dimensions ("MultiPolygon Z":
    MultiPolygon); None where it does not say one (Unknown, mixed, a collection)."""
    base = (declared or "").split(" ")[0].removesuffix("25D")
    known = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
    return base if base in known else None


def _normalise(geometry, kind: str):
    """Single to multi geometry of the kind's family; None when the type does not fit."""
    import shapely

    geometry = shapely.force_2d(geometry)
    family = geometry.geom_type
    if family == "GeometryCollection":  # what make_valid may return: keep the fitting parts
        parts = [g for g in geometry.geoms if g.geom_type in wanted(kind)]
        if not parts:
            return None
        geometry = shapely.union_all(parts)
        family = geometry.geom_type
    if family not in wanted(kind):
        return None
    if family == "Polygon":
        return shapely.MultiPolygon([geometry])
    if family == "LineString":
        return shapely.MultiLineString([geometry])
    return geometry


def _value(row: dict, keys) -> object:
    for key in keys:
        value = row.get(key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return value
    return None


def import_layer(
    *,
    city: City,
    kind: str,
    path: str | Path,
    name: str | None = None,
    source_srid: int | None = None,
    make_valid: bool = False,
    source: str = "",
    licence: str = "",
    is_public: bool = True,
    is_synthetic: bool = False,
    progress: Callable[[int, int], None] | None = None,
    before_commit: Callable[[ImportReport], None] | None = None,
    name_format: str | None = None,
) -> ImportReport:
    """`name_format` ("{street} {number}") makes each feature's name from its columns
    (formatted_name), instead of the first name-like column (NAME_KEYS): address points
    come with street and numbers apart. `before_commit(report)`, if given, is called inside
    the transaction that stores the layer, once it is entirely in: what it records commits
    with the layer, and an exception it raises rolls the layer back."""
    import shapely

    if kind not in Layer.Kind.values:
        raise LayerImportError(f"Unknown kind {kind!r}; one of: {', '.join(Layer.Kind.values)}")
    from geodata.registers import Addresses, register_of

    path = Path(path)
    addresses = Addresses(frame=None)
    register = register_of(path)
    if register:  # an address register's file as published: RÚIAN's CSV, PRG's GML
        try:
            addresses = register.read(path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise LayerImportError(f"Cannot read {path.name}: {exc}") from exc
        frame = addresses.frame
        if kind == Layer.Kind.ADDRESS and not name_format:
            name_format = register.ADDRESS_FORMAT
    else:
        frame = _read(path)
    if frame.crs is None:
        if source_srid is None:
            raise LayerImportError(f"{path.name} declares no CRS; give it with --srid")
        frame = frame.set_crs(epsg=source_srid)
    elif source_srid is not None and frame.crs.to_epsg() != source_srid:
        raise LayerImportError(
            f"{path.name} declares {frame.crs.to_string()}, not EPSG:{source_srid}"
        )
    frame = frame.to_crs(epsg=4326)
    report = ImportReport(read=len(frame), without_coordinates=addresses.without_coordinates,
                          unresolved=addresses.unresolved)  # fmt: skip
    if not len(frame):
        raise LayerImportError(f"{path.name} has no features")
    if name_format:
        columns = [str(c) for c in frame.columns if c != "geometry"]
        missing = [f for f in name_format_fields(name_format) if f not in columns]
        if missing:
            raise LayerImportError(
                f"The name format names {', '.join(missing)}, not a column of {path.name} "
                f"(its columns: {', '.join(columns)})"
            )

    rows = []
    wrong_type = []
    for number, (geometry, attributes) in enumerate(
        zip(frame.geometry, frame.drop(columns="geometry").to_dict("records"), strict=True), start=1
    ):
        if geometry is None or geometry.is_empty:
            report.refused.append(number)
            continue
        if not geometry.is_valid:
            if not make_valid:
                report.refused.append(number)
                continue
            geometry = shapely.make_valid(geometry)
            report.repaired.append(number)
        normalised = _normalise(geometry, kind)
        if normalised is None or normalised.is_empty:
            wrong_type.append(number)
            continue
        clean = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in attributes.items()
        }
        rows.append((number, normalised, clean))
        if progress and number % 500 == 0:
            progress(number, report.read)

    if wrong_type:
        raise LayerImportError(
            f"{len(wrong_type)} features are not of the kind's geometry "
            f"({'/'.join(wanted(kind))}): #{', #'.join(map(str, wrong_type[:20]))}"
        )
    if report.refused:
        raise LayerImportError(
            f"{len(report.refused)} features have invalid or empty geometry: "
            f"#{', #'.join(map(str, report.refused[:20]))}; fix the file or use --make-valid"
        )
    report.imported = len(rows)
    _store(
        # an address register's file is its municipality's, drawn by the register; the
        # city's boundary here may be generalised: the few points between the two lines
        # are left out, but a file mostly outside (another place, a wrong CRS) is refused
        outside_allowed=REGISTER_OUTSIDE_ALLOWED if register else 0.0,
        city=city,
        kind=kind,
        name=name or path.stem,
        rows=rows,
        name_format=name_format,
        source=source,
        licence=licence,
        is_public=is_public,
        is_synthetic=is_synthetic,
        progress=progress,
        report=report,
        before_commit=before_commit,
    )
    return report


def open_options(path: str | Path) -> dict[str, str]:
    """GDAL's open options for the file: a CSV's points from columns named as coordinates
    usually are (lon/lat, x/y, easting/northing), as well as from a WKT column, which GDAL
    finds by itself and prefers (our own CSV exports have both)."""
    if Path(path).suffix.lower() != ".csv":
        return {}
    return {
        "X_POSSIBLE_NAMES": "x,lon,lng,long,longitude,easting",
        "Y_POSSIBLE_NAMES": "y,lat,latitude,northing",
        "KEEP_GEOM_COLUMNS": "NO",
    }


def _read(path: Path):
    """The file as a GeoDataFrame, read by GDAL; LayerImportError for one it cannot read, or
    without geometry (a CSV without coordinate columns)."""
    import geopandas

    with warnings.catch_warnings(record=True) as gdal_warnings:
        warnings.simplefilter("always")
        try:
            frame = geopandas.read_file(path, engine="pyogrio", **open_options(path))
        except Exception as exc:  # pyogrio raises several types for unreadable files
            if server_fault(exc):  # not the file's: no memory, say
                raise
            said = "; ".join(str(w.message) for w in gdal_warnings)
            raise LayerImportError(f"Cannot read {path.name}: {exc} {said}".strip()) from exc
    if not isinstance(frame, geopandas.GeoDataFrame):
        raise LayerImportError(
            f"{path.name} has no geometry: a CSV needs a WKT column, or lon and lat (or x and "
            "y) columns"
        )
    return frame


@transaction.atomic
def _store(*, city, kind, name, rows, name_format, source, licence, is_public, is_synthetic,
           progress, report, before_commit, outside_allowed=0.0):  # fmt: skip
    import shapely

    previous = Layer.objects.select_for_update().filter(city=city, name=name).order_by("-version")
    version = (previous.first().version + 1) if previous.exists() else 1
    layer = Layer.objects.create(
        city=city,
        kind=kind,
        name=name,
        version=version,
        source=source,
        licence=licence,
        is_public=is_public,
        is_synthetic=is_synthetic,
        is_current=False,
    )
    features = []
    for _number, geometry, attributes in rows:
        population = _value(attributes, POPULATION_KEYS)
        features.append(
            Feature(
                layer=layer,
                name=(
                    formatted_name(name_format, attributes)
                    if name_format
                    else str(_value(attributes, NAME_KEYS) or "")
                )[:200],
                population=int(population) if isinstance(population, int | float) else None,
                attributes={
                    k: (v if isinstance(v, str | int | float | bool) or v is None else str(v))
                    for k, v in attributes.items()
                },
                geom=GEOSGeometry(memoryview(shapely.to_wkb(geometry)), srid=4326),
            )
        )
    for start in range(0, len(features), BATCH):
        Feature.objects.bulk_create(features[start : start + BATCH])
        if progress:
            progress(min(start + BATCH, len(features)), len(features))
    # PostGIS decides what lies outside the city; any such feature refuses the whole file,
    # but for the few an address register's file may hold (outside_allowed, a share).
    outside = layer.features.exclude(geom__intersects=city.boundary)
    found = outside.count()
    if found and found > outside_allowed * len(features):
        raise LayerImportError(f"{found} features lie outside {city.name}; nothing imported")
    if found:
        outside.delete()
        report.outside, report.imported = found, report.imported - found
    Layer.objects.filter(city=city, name=name, is_current=True).update(is_current=False)
    layer.is_current, layer.feature_count = True, len(features) - found
    layer.save(update_fields=["is_current", "feature_count"])
    report.layer = layer
    if before_commit:
        before_commit(report)
