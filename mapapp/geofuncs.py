"""PostGIS functions Django does not wrap. One small GeoFunc each, named after its ST_ function."""

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import GeoFunc
from django.db.models import BooleanField


class ForcePolygonCCW(GeoFunc):
    """ST_ForcePolygonCCW: exterior rings counter-clockwise, as RFC 7946 asks of GeoJSON output."""

    function = "ST_ForcePolygonCCW"
    output_field = GeometryField()


class FlipCoordinates(GeoFunc):
    """ST_FlipCoordinates: x and y swapped, for CRSs whose first axis is the northing."""

    function = "ST_FlipCoordinates"
    output_field = GeometryField()


class DWithin(GeoFunc):
    """ST_DWithin(a, b, distance): whether they lie within the distance of each other, in the
    units of their CRS (give them transformed to the city's metric CRS for metres)."""

    function = "ST_DWithin"
    output_field = BooleanField()
    geom_param_pos = (0, 1)


class SimplifyPreserveTopology(GeoFunc):
    """ST_SimplifyPreserveTopology(geom, tolerance): fewer vertices, never an invalid shape,
    the tolerance in the units of its CRS (metres, in the city's metric CRS)."""

    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField()
    geom_param_pos = (0,)
