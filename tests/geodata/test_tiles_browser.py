"""A large layer on the public map is drawn from our vector tiles, in Chromium: the switch,
the tile requests, clusters at low zoom and a popup for a single proposal at high zoom."""

import pytest

from proposals.models import Proposal
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser]


def test_large_layers_switch_to_vector_tiles(page, exchange_world, settings):
    settings.MAP_TILES_ABOVE = 10  # 37 proposals and 14 sites are "large"; 5 projects are not
    errors = []  # script errors (basemap tiles from the internet do not load here)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page.base_url + "/koszalin/")
    page.locator("#map[data-layers-loaded='true']").wait_for()
    box = page.locator("#map")
    assert box.get_attribute("data-proposals-loaded") == "tiles"
    assert box.get_attribute("data-sites-loaded") == "tiles"
    assert box.get_attribute("data-interventions-loaded") == "5"
    assert not errors, errors
    wait_until(page, "document.querySelectorAll('#map canvas.leaflet-tile').length > 0")
    # the aggregated cells (4 pixels apart below the server's CLUSTER_BELOW_ZOOM) are small
    # translucent dots, darker where more fall together; single rows up close are markers
    from geodata import qgis, tiles

    assert page.evaluate("WCS.AGGREGATED_BELOW") == tiles.CLUSTER_BELOW_ZOOM
    few, many, one, near = page.evaluate(
        "(() => { const s = WCS.tileStyle('proposals'); return [s({count: 3}, 12),"
        " s({count: 400}, 12), s({count: 1, status: 'granted'}, 12), s({status: 'granted'}, 16)];"
        " })()"
    )
    assert few["radius"] < many["radius"] <= 4.5 and few["fillOpacity"] < many["fillOpacity"]
    assert few["fillColor"] == many["fillColor"] == qgis.CLUSTER_COLOR and many["weight"] == 0
    assert one["radius"] <= 2.5 and one["fillColor"] == qgis.STATUS_COLORS["granted"]
    assert (near["radius"], near["weight"], near["color"]) == (5, 1, "#ffffff")
    wait_until(
        page,
        "performance.getEntriesByType('resource')"
        ".some(e => e.name.includes('/tiles/koszalin/proposals/'))",
    )

    # zoom in on one proposal: at z17 its tile holds rows; a click opens its popup (from the API)
    p = Proposal.objects.filter(status="granted", area__isnull=True).order_by("id").first()
    page.evaluate(f"window.cityMap.setView([{p.geom.y}, {p.geom.x}], 17)")
    wait_until(
        page, "document.querySelectorAll('#map canvas.leaflet-tile').length > 0", timeout=10000
    )
    page.wait_for_timeout(800)  # tiles of the new view are fetched and drawn
    point = page.evaluate(
        f"(() => {{ const pt = window.cityMap.latLngToContainerPoint([{p.geom.y}, {p.geom.x}]);"
        " return [pt.x, pt.y]; })()"
    )
    bounds = box.bounding_box()
    page.mouse.click(bounds["x"] + point[0], bounds["y"] + point[1])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    # the title is shown as text, not markup
    assert p.title in popup.inner_text()
    assert popup.locator("b").count() == 0
    assert not errors, errors
