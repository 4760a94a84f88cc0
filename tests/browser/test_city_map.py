"""The city map in a real Chromium: boundary drawn, no script errors, languages switch."""

import pytest

from tests.conftest import wait_until

pytestmark = [pytest.mark.browser]


@pytest.fixture
def cities(transactional_db):
    from mapapp.demo import load_demo_cities

    return load_demo_cities()


def test_koszalin_map_draws_boundary_and_switches_language(page, cities, tmp_path):
    page.goto(page.base_url + "/")
    page.get_by_role("link", name="Koszalin").click()
    page.wait_for_url("**/koszalin/")

    # The boundary comes from /api/v1/koszalin/boundary/ and is drawn as an SVG path.
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    boundary = page.locator("path.city-boundary")
    assert boundary.count() == 1
    assert len(boundary.get_attribute("d")) > 100
    box = boundary.bounding_box()
    assert box["width"] > 200 and box["height"] > 200  # fitted to the view, not a speck

    # A visitor without a language choice sees Koszalin in Polish, the city's language.
    assert page.locator("html").get_attribute("lang") == "pl"

    page.get_by_role("button", name="English").click()
    wait_until(page, "document.documentElement.lang === 'en'")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".facts dt").first.inner_text() == "Area"
    page.locator("#map[data-boundary-loaded='true']").wait_for()

    page.get_by_role("button", name="Polski").click()
    wait_until(page, "document.documentElement.lang === 'pl'")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator(".facts dt").first.inner_text() == "Powierzchnia"
    assert page.get_by_role("link", name="Zaloguj się").is_visible()
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    page.locator("#map[data-layers-loaded]").wait_for()
    assert page.locator("#map-status").inner_text() == (
        "Granica miasta jest pokazana na mapie. "
        "Na mapie: zaniedbane miejsca 0, propozycje 0, zrealizowane projekty 0."
    )

    page.screenshot(path=str(tmp_path / "koszalin.png"))
    # Tiles from the internet cannot load here; nothing else may fail.
    assert page.errors.unexpected() == []


def test_map_page_is_usable_without_tiles_and_keyboard_reaches_the_map(page, cities):
    page.goto(page.base_url + "/ostrava/")
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    assert page.locator("html").get_attribute("lang") == "cs"
    # Leaflet's map container is focusable for keyboard panning and zooming.
    assert page.locator("#map").get_attribute("tabindex") == "0"
    assert page.errors.unexpected() == []
