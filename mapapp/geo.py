"""Reading and checking city boundaries from files: the core behind `city_add` and `load_demo`.

geopandas/pyogrio/pyproj are used here at the edge (reading files, reprojection), never in a
request path. Every refusal is a BoundaryError whose message says what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.utils.translation import gettext as _
from pyproj import CRS
from pyproj.exceptions import CRSError


class BoundaryError(ValueError):
    """A boundary file or geometry that cannot become a city boundary."""


def lonlat_point(lon, lat):
    """The WGS 84 point of a form's or a query's longitude and latitude (text), or None when
    they are not numbers on the globe (missing, "nan", "1e999", 200)."""
    from django.contrib.gis.geos import Point

    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (-180 <= x <= 180 and -90 <= y <= 90):  # NaN fails both comparisons
        return None
    return Point(x, y, srid=4326)


def projected_crs_or_error(srid: int) -> str | None:
    """None when EPSG:srid is a projected (metric) CRS, else a message saying why not."""
    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        return _("EPSG:%(srid)s is not a known coordinate reference system.") % {"srid": srid}
    if not crs.is_projected:
        return _(
            "EPSG:%(srid)s is not a projected CRS; areas and distances need one in metres."
        ) % {"srid": srid}
    return None


def crs_area_of_use(srid: int) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) in degrees where EPSG:srid is meant to be used, when known."""
    area = CRS.from_epsg(srid).area_of_use
    if area is None:
        return None
    return (area.west, area.south, area.east, area.north)


def read_boundary_file(path: str | Path, *, assume_srid: int | None = None) -> MultiPolygon:
    """Read every polygon of a GeoJSON/GeoPackage/Shapefile (anything GDAL reads) into one
    valid MultiPolygon in SRID 4326. Z is dropped. Invalid input is refused, not repaired."""
    import geopandas
    import shapely

    path = Path(path)
    if not path.exists():
        raise BoundaryError(_("File not found: %(path)s") % {"path": path})
    try:
        frame = geopandas.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise BoundaryError(
            _("Cannot read %(name)s as a vector file: %(error)s")
            % {"name": path.name, "error": exc}
        ) from exc
    if frame.crs is None:
        if assume_srid is None:
            raise BoundaryError(
                _("%(name)s declares no coordinate reference system; give one with --file-srid.")
                % {"name": path.name}
            )
        frame = frame.set_crs(epsg=assume_srid)
    geoms = frame.geometry
    if len(geoms) == 0 or geoms.isna().all():
        raise BoundaryError(_("%(name)s contains no geometry.") % {"name": path.name})

    wrong = sorted({t for t in geoms.geom_type.dropna() if t not in ("Polygon", "MultiPolygon")})
    if wrong:
        raise BoundaryError(
            _("A boundary must be polygons; %(name)s contains %(types)s.")
            % {"name": path.name, "types": ", ".join(wrong)}
        )
    invalid = [
        f"#{i + 1} ({shapely.is_valid_reason(g)})"
        for i, g in enumerate(geoms)
        if g is not None and not g.is_valid
    ]
    if invalid:
        raise BoundaryError(
            _("Invalid geometry in feature(s) %(features)s; fix the file, nothing was changed.")
            % {"features": ", ".join(invalid)}
        )

    frame = frame.to_crs(epsg=4326)
    merged = shapely.force_2d(shapely.union_all(frame.geometry.dropna().values))
    west, south, east, north = merged.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BoundaryError(
            _(
                "Coordinates do not fit the CRS the file declares (%(crs)s): they are out of range "
                "for longitude/latitude after conversion."
            )
            % {"crs": frame.crs}
        )
    geom = GEOSGeometry(memoryview(shapely.to_wkb(merged)), srid=4326)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=4326)
    if not geom.valid:
        raise BoundaryError(
            _("The merged boundary is not valid: %(reason)s") % {"reason": geom.valid_reason}
        )
    return geom


def check_boundary_fits_crs(boundary: GEOSGeometry, metric_srid: int) -> None:
    """Refuse a boundary that does not lie where its metric CRS is meant to be used: the usual
    sign of swapped latitude/longitude or a wrong EPSG code."""
    error = projected_crs_or_error(metric_srid)
    if error:
        raise BoundaryError(error)
    area = crs_area_of_use(metric_srid)
    if area is None:
        return
    west, south, east, north = area
    xmin, ymin, xmax, ymax = boundary.extent
    if xmin < west or xmax > east or ymin < south or ymax > north:
        raise BoundaryError(
            _(
                "The boundary (%(box)s) lies outside the area EPSG:%(srid)s is made for "
                "(%(area)s). Are latitude and longitude swapped, or is the CRS wrong?"
            )
            % {
                "box": f"{xmin:.4f}, {ymin:.4f}, {xmax:.4f}, {ymax:.4f}",
                "srid": metric_srid,
                "area": f"{west:.2f}, {south:.2f}, {east:.2f}, {north:.2f}",
            }
        )
