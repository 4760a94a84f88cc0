"""A QGIS project for a city: its boundary and every public collection as layers that read
the live data (OGC API - Features, through GDAL's OAPIF driver), styled as on the city's
map, in the city's metric CRS and opening on the city. GIS staff who start from nothing
open one file instead of adding and styling ten layers.

Layers go through QGIS's OGR provider, not its own OAPIF provider: QGIS 3.22 (Debian's)
gives a collection one geometry type, guessed from its first features, so a collection of
pins and drawn areas showed the areas only. OGR splits it by geometry type
(`|geometrytype=Point`), one layer for each kind. No credentials are written into the
file: it holds the public collections only (the README says how to add the non-public
ones with a token).

A large collection (more rows than MAP_TILES_ABOVE, as on the web map) is read as features
only when zoomed in closer than 1:DETAIL_SCALE; further out the project draws it from the
city's vector tiles (aggregated at low zooms, as on the web map), so a city-wide view of
100,000 proposals fetches a few tiles instead of a hundred pages of features.

The colours are the web map's (mapapp/static/mapapp/map_common.js and city_map.js);
tests/geodata/test_qgis_project.py keeps the two in step."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote

from django.contrib.gis.db.models.functions import GeoFunc
from django.db.models import CharField
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geodata.collections import Collection, city_collections
from mapapp.models import City

STATUS_COLORS = {
    "collecting_support": "#e69f00",
    "submitted": "#56b4e9",
    "ineligible": "#999999",
    "in_assessment": "#0072b2",
    "rejected": "#7f7f7f",
    "granted": "#009e73",
    "agreement_signed": "#009e73",
    "in_progress": "#cc79a7",
    "completed": "#d55e00",
    "sustainability": "#2c7a3f",
    "closed": "#444444",
    "revoked": "#8c510a",
}
SITE_COLORS = {"neglected": "#b2182b", "being_revitalised": "#ef8a62", "revitalised": "#67a9cf"}
INTERVENTION_COLOR = "#2c7a3f"
BOUNDARY_COLOR = "#1f5f8b"
# reference layers by kind: (colour, fill opacity (None: no fill), line width in mm, dashed)
REFERENCE_STYLES = {
    "revitalisation_zone": ("#6a3d9a", 0.08, 0.6, True),
    "revitalisation_subzone": ("#6a3d9a", 0.04, 0.3, False),
    "park": ("#33a02c", 0.3, 0.5, False),
    "forest": ("#1b5e20", 0.3, 0.5, False),
    "meadow": ("#8bc34a", 0.3, 0.5, False),
    "allotments": ("#b2df8a", 0.3, 0.5, False),
    "water_body": ("#1f78b4", 0.4, 0.5, False),
    "river": ("#1f78b4", 0.4, 1.0, False),
    "rain_garden": ("#a6cee3", 0.4, 0.5, False),
    "district": ("#555555", None, 0.3, False),
}
OTHER_STYLE = ("#777777", 0.1, 0.5, False)

# PostGIS geometry types -> OGR's geometrytype filter (a family: Polygon takes MultiPolygon)
FAMILIES = {
    "POINT": "Point", "MULTIPOINT": "Point",
    "LINESTRING": "LineString", "MULTILINESTRING": "LineString",
    "POLYGON": "Polygon", "MULTIPOLYGON": "Polygon",
}  # fmt: skip
# features a request: GDAL before 3.8 asks for 10 at a time unless told (a 500 m view of the
# 100,000-proposal bench city took 72 requests and 3.5 s; with 1,000, 4 and 0.23 s)
PAGE = 1000
# a large collection's features are read closer than 1:DETAIL_SCALE (a full-HD screen then
# shows about 5 by 3 km); further out, its vector tiles, up to TILE_ZOOM_MAX (QGIS zooms in
# on the last tiles)
DETAIL_SCALE = 10_000
TILE_ZOOM_MAX = 16
CLUSTER_COLOR = "#1f5f8b"  # an aggregated tile feature, as on the web map
# mm: an aggregated cell is a 4-pixel step of its tile, so at a city-wide view of 100,000
# proposals the circles overlap into a density picture; small and translucent, it reads so
CLUSTER_SIZE = 'min(5, 1.2 + 0.6 * ln("count"))'
CLUSTER_ALPHA = 0.7
_STYLE_GEOMETRY = {"Point": "0", "LineString": "1", "Polygon": "2"}  # QgsWkbTypes
DRAWN_ON_TOP = ("Point", "LineString", "Polygon")  # QGIS draws the first layer on top
_SYMBOL_TYPES = {"Point": "marker", "LineString": "line", "Polygon": "fill"}
_MAPLAYER_GEOMETRY = {"Point": "Point", "LineString": "Line", "Polygon": "Polygon"}


class _GeometryType(GeoFunc):
    function = "GeometryType"
    output_field = CharField()


@dataclass
class Layer:
    id: str
    name: str
    source: str
    family: str
    renderer: ET.Element
    abstract: str = ""  # what the collection is, and for a reference layer its source
    provider: str = "ogr"  # or "vectortile"
    # shown at scales from 1:min_scale (zoomed out) to 1:max_scale (zoomed in); 0: no limit
    scales: tuple[int, int] | None = None


def families(c: Collection) -> list[str]:
    """The geometry families of the collection's layers, in drawing order. Proposals,
    sites and projects take a pin or a drawn area: both, so that a project downloaded
    before the first drawn area still shows it. A reference layer holds what its file
    held: the families in its rows (one by its kind while it is empty)."""
    if c.area_field is not None:
        return ["Point", "Polygon"]
    kinds = (
        c.queryset()
        .order_by()
        .annotate(_type=_GeometryType("_geom"))
        .values_list("_type", flat=True)
        .distinct()
    )
    found = {FAMILIES[k] for k in kinds if k in FAMILIES}
    if not found:
        from geodata.models import Layer

        found = {
            "Point" if c.kind in Layer.POINT_KINDS
            else "LineString" if c.kind in Layer.LINE_KINDS
            else "Polygon"
        }  # fmt: skip
    return [f for f in DRAWN_ON_TOP if f in found]


def project_xml(*, city: City, site: str, tile_url: str, tile_attribution: str) -> bytes:
    """The .qgs document for `city`; `site` is the address the layers read from (scheme and
    host, no trailing slash)."""
    ogcapi = site + reverse("ogcapi:landing", kwargs={"city": city.slug})
    groups: list[tuple[str, list[Layer]]] = []
    collections = city_collections(city=city)  # public only: the file holds no credentials
    built_in = [c for c in collections.values() if c.layer_id is None]
    reference = [c for c in collections.values() if c.layer_id is not None]
    tiled = _tiled(city, collections.values())
    for c in built_in:
        groups.append((str(c.title), _layers(c, ogcapi, site, city, c.id in tiled)))
    groups.append((_("Reference layers"), [x for c in reference
                   for x in _layers(c, ogcapi, site, city, c.id in tiled)]))  # fmt: skip
    boundary = Layer(
        id=_layer_id("city_boundary"),
        name=_("City boundary"),
        source=site + reverse("api:city-boundary", kwargs={"city": city.slug}),
        family="Polygon",
        renderer=_single(_fill(BOUNDARY_COLOR, 0.04, 0.8)),
    )
    groups.append((_("City"), [boundary]))
    groups = [(name, layers) for name, layers in groups if layers]

    title = f"{_('We Create Space')} · {city.name}"
    root = ET.Element("qgis", projectname=title, version="3.22.0")
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    about = ET.SubElement(root, "projectMetadata")
    ET.SubElement(about, "title").text = title
    ET.SubElement(about, "abstract").text = _(
        "The public data of %(city)s's We Create Space programme, read live from %(url)s "
        "(OGC API - Features)."
    ) % {"city": city.name, "url": ogcapi}
    ET.SubElement(about, "author").text = city.name
    ET.SubElement(about, "creation").text = timezone.now().strftime("%Y-%m-%dT%H:%M:%S")
    project_crs = ET.SubElement(root, "projectCrs")
    project_crs.append(_crs(city.metric_srid))
    properties = ET.SubElement(root, "properties")  # without it QGIS ignores projectCrs
    spatial = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(spatial, "ProjectionsEnabled", type="int").text = "1"
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    layers = ET.SubElement(root, "projectlayers")
    for group_name, members in groups:
        group = ET.SubElement(tree, "layer-tree-group", name=group_name,
                              checked="Qt::Checked", expanded="1")  # fmt: skip
        ET.SubElement(group, "customproperties")
        for layer in members:
            ET.SubElement(group, "layer-tree-layer", id=layer.id, name=layer.name,
                          source=layer.source, providerKey=layer.provider,
                          checked="Qt::Checked", expanded="1")  # fmt: skip
            layers.append(_maplayer(layer))
    base = ET.SubElement(tree, "layer-tree-layer", id=_layer_id("basemap"), name=_("Base map"),
                         source=_xyz_source(tile_url), providerKey="wms",
                         checked="Qt::Checked", expanded="0")  # fmt: skip
    ET.SubElement(base, "customproperties")
    layers.append(_basemap(tile_url, tile_attribution))

    xmin, ymin, xmax, ymax = city.boundary.transform(city.metric_srid, clone=True).extent
    pad = max(xmax - xmin, ymax - ymin) * 0.05
    extent = [f"{v:.2f}" for v in (xmin - pad, ymin - pad, xmax + pad, ymax + pad)]
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    box = ET.SubElement(canvas, "extent")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True):
        ET.SubElement(box, tag).text = value
    ET.SubElement(canvas, "rotation").text = "0"
    ET.SubElement(canvas, "destinationsrs").append(_crs(city.metric_srid))
    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0")
    default = ET.SubElement(view, "DefaultViewExtent", xmin=extent[0], ymin=extent[1],
                            xmax=extent[2], ymax=extent[3])  # fmt: skip
    default.append(_crs(city.metric_srid))
    ET.indent(root)
    return b"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="utf-8"
    )


def _tiled(city: City, collections) -> set[str]:
    """The collections large enough to be drawn from vector tiles when zoomed out: more rows
    than MAP_TILES_ABOVE, the web map's threshold."""
    from django.conf import settings

    return {c.id for c in collections if c.queryset().count() > settings.MAP_TILES_ABOVE}


def _layers(c: Collection, ogcapi: str, site: str, city: City, tiled: bool) -> list[Layer]:
    found = families(c)
    out = []
    if tiled:
        out.append(_tile_layer(c, found, site, city))
    for family in found:
        name = str(c.title)
        if len(found) > 1:
            name = f"{c.title} ({_family_label(family)})"
        out.append(Layer(
            id=_layer_id(f"{c.id}_{family.lower()}"),
            name=name,
            source=f"OAPIF:{ogcapi}|layername={c.id}|geometrytype={family}|option:PAGE_SIZE={PAGE}",
            family=family,
            renderer=_renderer(c, family),
            abstract=str(c.description),
            scales=(DETAIL_SCALE, 0) if tiled else None,
        ))  # fmt: skip
    return out


def _tile_layer(c: Collection, found: list[str], site: str, city: City) -> Layer:
    """The collection from the city's vector tiles, shown when zoomed out further than
    1:DETAIL_SCALE: a style for each class (status, condition) and kind of geometry, and
    for the cells of several rows the tiles aggregate pins and areas into at low zooms
    (geodata.tiles), sized by `count`."""
    tile = reverse("tile", kwargs={"city": city.slug, "collection_id": c.id, "z": 0, "x": 0,
                                   "y": 0})  # fmt: skip
    url = site + tile.removesuffix("0/0/0.mvt") + "{z}/{x}/{y}.mvt"
    clustered = c.area_field is not None  # proposals, sites, projects: aggregated when far
    styles = []
    if clustered:
        marker = _marker(CLUSTER_COLOR, alpha=CLUSTER_ALPHA, outline=0)
        _data_defined(marker, size=CLUSTER_SIZE)
        styles.append(_tile_style(_("Several together"), c.id, "Point", '"count" > 1', marker))
    for family in found:
        for field, value, label, symbol in _classes(c, family):
            if field:
                expression = f"\"{field}\" = '{value}'"
            else:  # one symbol: every feature but the aggregated ones
                expression = '"count" IS NULL OR "count" = 1' if clustered else ""
            styles.append(_tile_style(label, c.id, family, expression, symbol))
    renderer = ET.Element("renderer", type="basic")
    ET.SubElement(renderer, "styles").extend(styles)
    return Layer(
        id=_layer_id(f"{c.id}_tiles"),
        name=_("%(collection)s (overview)") % {"collection": c.title},
        source=f"type=xyz&url={quote(url, safe='')}&zmax={TILE_ZOOM_MAX}&zmin=0",
        family="",
        renderer=renderer,
        abstract=str(c.description),
        provider="vectortile",
        scales=(0, DETAIL_SCALE),
    )


def _tile_style(name: str, layer: str, family: str, expression: str, symbol) -> ET.Element:
    style = ET.Element("style", {"name": str(name), "layer": layer, "enabled": "1",
                                 "geometry": _STYLE_GEOMETRY[family], "expression": expression,
                                 "min-zoom": "-1", "max-zoom": "-1"})  # fmt: skip
    symbol.set("name", "0")
    ET.SubElement(style, "symbols").append(symbol)
    return style


def _layer_id(name: str) -> str:
    """A stable layer id. QGIS keeps ids of more than ten characters only (a shorter one is
    replaced, and the layer tree then points at nothing)."""
    return "wcs_" + name.replace("-", "_")


def _family_label(family: str) -> str:
    return {"Point": _("points"), "LineString": _("lines"), "Polygon": _("areas")}[family]


def _renderer(c: Collection, family: str) -> ET.Element:
    classes = _classes(c, family)
    field = classes[0][0]
    if field:
        return _categorized(field, [(value, label, symbol) for _f, value, label, symbol in classes])
    return _single(classes[0][3])


def _classes(c: Collection, family: str) -> list[tuple[str, str, str, ET.Element]]:
    """How the collection is drawn: (field, value, label, symbol) for each class of a
    categorised collection, or one ("", "", title, symbol)."""
    from proposals.models import Proposal
    from sites.models import Site

    def symbol(color):
        if family == "Point":
            return _marker(color)
        if family == "LineString":
            return _line(color, 0.6)
        return _fill(color, 0.45, 0.4)

    if c.id == "proposals":
        labels = dict(Proposal.Status.choices)
        return [("status", s, labels[s], symbol(STATUS_COLORS[s]))
                for s in Proposal.PUBLIC_STATUSES]  # fmt: skip
    if c.id == "sites":
        return [("condition", value, label, symbol(SITE_COLORS[value]))
                for value, label in Site.Condition.choices]  # fmt: skip
    if c.id == "interventions":
        return [("", "", c.title, symbol(INTERVENTION_COLOR))]
    color, opacity, width, dashed = REFERENCE_STYLES.get(c.kind, OTHER_STYLE)
    if family == "Point":
        drawn = _marker(color, size=2.0)
    elif family == "LineString":
        drawn = _line(color, width, dashed)
    else:
        drawn = _fill(color, opacity, width, dashed)
    return [("", "", c.title, drawn)]


# --- QGIS's XML ----------------------------------------------------------------------------


def _rgba(color: str, alpha: float = 1.0) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _options(**values) -> ET.Element:
    options = ET.Element("Option", type="Map")
    for name, value in values.items():
        ET.SubElement(options, "Option", type="QString", name=name, value=str(value))
    return options


def _symbol(kind: str, layer_class: str, **values) -> ET.Element:
    symbol = ET.Element("symbol", type=kind, name="", alpha="1", clip_to_extent="1",
                        force_rhr="0")  # fmt: skip
    layer = ET.SubElement(symbol, "layer", {"class": layer_class, "enabled": "1",
                                            "locked": "0", "pass": "0"})  # fmt: skip
    layer.append(_options(**values))
    return symbol


def _data_defined(symbol: ET.Element, **expressions) -> None:
    """Properties of the symbol's layer computed from each feature (QgsProperty)."""
    found = ET.Element("Option", type="Map")
    for name, expression in expressions.items():
        prop = ET.SubElement(found, "Option", type="Map", name=name)
        ET.SubElement(prop, "Option", type="bool", name="active", value="true")
        ET.SubElement(prop, "Option", type="QString", name="expression", value=expression)
        ET.SubElement(prop, "Option", type="int", name="type", value="3")  # an expression
    collection = ET.Element("Option", type="Map")
    ET.SubElement(collection, "Option", type="QString", name="name", value="")
    found.set("name", "properties")
    collection.append(found)
    ET.SubElement(collection, "Option", type="QString", name="type", value="collection")
    ET.SubElement(symbol.find("layer"), "data_defined_properties").append(collection)


def _marker(color: str, size: float = 3.2, alpha: float = 1.0, outline: float = 0.5) -> ET.Element:
    return _symbol("marker", "SimpleMarker", name="circle", color=_rgba(color, alpha),
                   outline_color="255,255,255,255", outline_style="solid",
                   outline_width=outline, outline_width_unit="MM", size=size,
                   size_unit="MM")  # fmt: skip


def _line(color: str, width: float, dashed: bool = False) -> ET.Element:
    return _symbol("line", "SimpleLine", line_color=_rgba(color), line_width=width,
                   line_width_unit="MM", line_style="dash" if dashed else "solid",
                   capstyle="round", joinstyle="round")  # fmt: skip


def _fill(color: str, opacity: float | None, width: float, dashed: bool = False) -> ET.Element:
    return _symbol("fill", "SimpleFill", color=_rgba(color, opacity or 0),
                   style="solid" if opacity else "no", outline_color=_rgba(color),
                   outline_width=width, outline_width_unit="MM",
                   outline_style="dash" if dashed else "solid",
                   joinstyle="round")  # fmt: skip


def _single(symbol: ET.Element) -> ET.Element:
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0",
                          forceraster="0", enableorderby="0")  # fmt: skip
    symbols = ET.SubElement(renderer, "symbols")
    symbol.set("name", "0")
    symbols.append(symbol)
    return renderer


def _categorized(field: str, categories) -> ET.Element:
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=field,
                          symbollevels="0", forceraster="0", enableorderby="0")  # fmt: skip
    listed = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for n, (value, label, symbol) in enumerate(categories):
        ET.SubElement(listed, "category", render="true", symbol=str(n), value=value,
                      label=str(label))  # fmt: skip
        symbol.set("name", str(n))
        symbols.append(symbol)
    return renderer


def _crs(srid: int) -> ET.Element:
    from pyproj import CRS

    crs = CRS.from_epsg(srid)
    ref = ET.Element("spatialrefsys", nativeFormat="Wkt")
    ET.SubElement(ref, "wkt").text = crs.to_wkt()
    ET.SubElement(ref, "srid").text = str(srid)
    ET.SubElement(ref, "authid").text = f"EPSG:{srid}"
    ET.SubElement(ref, "description").text = crs.name
    ET.SubElement(ref, "geographicflag").text = "true" if crs.is_geographic else "false"
    return ref


def _maplayer(layer: Layer) -> ET.Element:
    if layer.provider == "vectortile":
        element = ET.Element("maplayer", type="vector-tile")
    else:
        element = ET.Element("maplayer", type="vector",
                             geometry=_MAPLAYER_GEOMETRY[layer.family])  # fmt: skip
    if layer.scales:
        element.set("hasScaleBasedVisibilityFlag", "1")
        element.set("minScale", str(layer.scales[0]))
        element.set("maxScale", str(layer.scales[1]))
    ET.SubElement(element, "id").text = layer.id
    ET.SubElement(element, "datasource").text = layer.source
    ET.SubElement(element, "layername").text = layer.name
    ET.SubElement(element, "srs").append(_crs(3857 if layer.provider == "vectortile" else 4326))
    ET.SubElement(element, "provider", encoding="UTF-8").text = layer.provider
    metadata = ET.SubElement(element, "resourceMetadata")
    ET.SubElement(metadata, "abstract").text = layer.abstract
    element.append(layer.renderer)
    return element


def _xyz_source(tile_url: str) -> str:
    return f"type=xyz&url={quote(tile_url, safe='')}&zmax=19&zmin=0"


def _basemap(tile_url: str, attribution: str) -> ET.Element:
    element = ET.Element("maplayer", type="raster")
    ET.SubElement(element, "id").text = _layer_id("basemap")
    ET.SubElement(element, "datasource").text = _xyz_source(tile_url)
    ET.SubElement(element, "layername").text = _("Base map")
    ET.SubElement(element, "srs").append(_crs(3857))
    ET.SubElement(element, "provider").text = "wms"
    metadata = ET.SubElement(element, "resourceMetadata")
    ET.SubElement(metadata, "rights").text = attribution
    return element
