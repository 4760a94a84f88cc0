"""folium maps for the planners' dashboard, with folium's JavaScript and CSS served by us."""

from __future__ import annotations

import json
from html import escape

import folium
from django.templatetags.static import static
from django.utils.translation import gettext as _


class LocalMap(folium.Map):
    """folium.Map whose Leaflet comes from our static files, never from a CDN. We draw only
    GeoJSON and circle markers, which need nothing but Leaflet."""

    default_js = [("leaflet", static("leaflet/leaflet.js"))]
    default_css = [("leaflet_css", static("leaflet/leaflet.css"))]


def zone_style(zones: dict, measure: str):
    """A zone's style: shaded from light to dark by `measure` against the largest."""
    top = max((f["properties"].get(measure) or 0 for f in zones["features"]), default=0)
    return lambda f: {
        "color": "#54278f",
        "weight": 2,
        "fillColor": _ramp(f["properties"].get(measure) or 0, top),
        "fillOpacity": 0.6,
    }


def _ramp(value: float, top: float) -> str:
    shades = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]
    if not top:
        return shades[0]
    return shades[min(int(value / top * (len(shades) - 1) + 0.5), len(shades) - 1)]


def analysis_map(
    *,
    city,
    zones_geojson: dict,
    deficit_geojson: str | None,
    points: list[dict],
    place_search: str = "",
) -> str:
    """The dashboard map as a standalone HTML page: the deficit area, the zones shaded by
    their number of proposals or (a second layer, switched on in the layer control) by the
    money granted in them, and the proposals (those in the deficit in red). `place_search`,
    the "find a place" control's HTML (mapapp/_place_search.html), is put over the map with
    our script (map_common.js)."""
    (west, south, east, north) = city.boundary.extent
    m = LocalMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
    )
    folium.TileLayer(
        tiles=city.basemap_url, attr=city.basemap_attribution, name=_("Base map")
    ).add_to(m)
    if deficit_geojson:
        folium.GeoJson(
            json.loads(deficit_geojson),
            name=_("Green-space deficit"),
            style_function=lambda _f: {
                "color": "#d95f0e",
                "weight": 1,
                "fillColor": "#fec44f",
                "fillOpacity": 0.35,
            },
        ).add_to(m)
    if zones_geojson["features"]:  # folium's tooltip refuses a collection without features
        zones = {  # the tooltip writes its values as HTML: names escaped (see the points)
            "type": "FeatureCollection",
            "features": [
                {
                    **f,
                    "properties": {**f["properties"], "name": escape(str(f["properties"]["name"]))},
                }
                for f in zones_geojson["features"]
            ],
        }
        for measure, layer_name in (
            ("proposals", _("Revitalisation zones by proposals")),
            ("granted_amount", _("Revitalisation zones by granted amount")),
        ):
            folium.GeoJson(
                zones,
                name=layer_name,
                show=measure == "proposals",
                style_function=zone_style(zones, measure),
                tooltip=folium.GeoJsonTooltip(
                    fields=["name", "proposals", "granted_amount"],
                    aliases=[_("Revitalisation zone"), _("Proposals"), _("Granted amount")],
                ),
            ).add_to(m)
    if points:
        # One GeoJSON layer, its data passed as JSON: a folium element per point compiled a
        # template each (1 s for 2,000 points), and put the text in as code: a title could
        # close the tooltip's JavaScript string. The tooltip writes its values as HTML, so
        # the names go in escaped.
        folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": p["id"],  # folium styles by id (else by a unique property)
                        "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                        "properties": {"name": escape(p["name"]), "in_deficit": p["in_deficit"]},
                    }
                    for p in points
                ],
            },
            name=_("Proposals"),
            marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9),
            style_function=lambda f: {
                "color": "#ffffff",
                "fillColor": "#b2182b" if f["properties"]["in_deficit"] else "#2166ac",
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    folium.LayerControl().add_to(m)
    if place_search:
        root = m.get_root()
        root.header.add_child(folium.CssLink(static("mapapp/app.css")))
        root.html.add_child(folium.Element(place_search))
        root.html.add_child(folium.JavascriptLink(static("mapapp/map_common.js")))
        name = m.get_name()  # the map's variable and its element's id, folium's own
        # once folium's own script (written after this one) has made the map
        root.script.add_child(folium.Element(
            'document.addEventListener("DOMContentLoaded", function () { '
            f'WCS.placeSearch({name}, document.getElementById("place-search"), '
            f'document.getElementById("{name}")); }});'
        ))  # fmt: skip
    return m.get_root().render()
