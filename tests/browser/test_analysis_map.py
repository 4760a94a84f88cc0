"""The planners' dashboard map (folium) in a real Chromium: zones, deficit and proposals drawn
from our own files, and a hostile title shown as text in its tooltip, never run."""

import pytest

from tests.conftest import wait_until
from tests.geodata.test_analysis import proposal, world  # noqa: F401 - the analysis's world
from tests.proposals.conftest import *  # noqa: F403 - its fixtures: grant_call, resident, ...

pytestmark = [pytest.mark.browser]

TITLE = "</script><img src=x onerror=alert(1)>`${alert(2)}` & <b>bold</b>"

# Where each proposal's circle marker is on the page
MARKERS = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const box = map.getContainer().getBoundingClientRect();
    const found = [];
    map.eachLayer(layer => {
        if (layer instanceof L.CircleMarker && layer.feature) {
            const p = map.latLngToContainerPoint(layer.getLatLng());
            found.push({x: box.left + p.x, y: box.top + p.y});
        }
    });
    return found;
}"""


@pytest.mark.usefixtures("transactional_db", "world")
def test_dashboard_map_draws_and_shows_titles_as_text(page, grant_call, resident):
    proposal(grant_call, resident, (16.21, 54.205), title=TITLE)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page.base_url + "/koszalin/analysis/map/")
    wait_until(page, "document.querySelectorAll('path.leaflet-interactive').length >= 7")
    # 2 zones, the deficit area and 5 public proposals as circle markers
    assert page.locator("path.leaflet-interactive").count() >= 8
    texts = []
    for at in page.evaluate(MARKERS):  # hover each marker, as a planner does, and read
        page.mouse.move(at["x"], at["y"])
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for()
        texts.append(tooltip.inner_text().strip())
        page.mouse.move(1, 1)
        tooltip.wait_for(state="detached")
    # each title as written, as text
    assert sorted(texts) == sorted(
        [TITLE, "On A's west edge", "Straddling", "Granted in A", "Outside zones"]
    )
    assert (
        page.locator("img[src='x']").count() == 0
        and page.locator("b", has_text="bold").count() == 0
    )
    assert dialogs == []
    # the zones shaded by money: off at first, switched on in the layer control (in Polish,
    # Koszalin's language, for a visitor who has not chosen one)
    paths = page.locator("path.leaflet-interactive").count()
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Obszary rewitalizacji według przyznanych kwot").check()
    wait_until(page, f"document.querySelectorAll('path.leaflet-interactive').length == {paths + 2}")
    # folium's scripts and styles are ours: only the basemap's tiles may fail to load here
    assert page.errors.unexpected() == []


@pytest.mark.usefixtures("transactional_db", "world")
def test_the_dashboard_map_finds_a_place(page):
    """Planners find a zone, park or district by name on the dashboard's map too: the same
    "find a place" as the city map, a control over folium's map."""
    page.goto(page.base_url + "/koszalin/analysis/map/")
    wait_until(page, "document.querySelectorAll('path.leaflet-interactive').length >= 7")
    control = page.locator(".leaflet-top.leaflet-left #place-search")
    assert control.is_visible()
    search = page.locator("#place-q")
    search.fill("zones")
    search.press("Enter")
    page.locator("#place-results li").nth(1).wait_for()
    assert page.locator("#place-results li").count() == 2  # Zones 1 and Zones 2
    page.locator("#place-results li").first.click()
    wait_until(page, "document.querySelector('.folium-map[data-place-shown]') !== null")
    assert page.locator("path.place-outline").count() == 1
    assert page.errors.unexpected() == []
