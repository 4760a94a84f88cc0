"""The city map in a real Chromium: boundary drawn, no script errors, languages switch."""

import pytest

from tests.conftest import wait_until

pytestmark = [pytest.mark.browser]


def named_park(city):
    """A current public parks layer of `city` with one park, "Park Książąt Pomorskich",
    about 200 m north-east of Koszalin's Rynek: what "find a place" finds by name."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geodata.models import Feature, Layer

    parks = Layer.objects.create(city=city, kind="park", name="Parks", is_current=True)
    return Feature.objects.create(
        layer=parks, name="Park Książąt Pomorskich",
        geom=MultiPolygon(Polygon.from_bbox((16.2050, 54.2000, 16.2080, 54.2020)), srid=4326),
    )  # fmt: skip


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
    assert page.get_by_role("link", name="Zaloguj się", exact=True).is_visible()
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


def test_a_resident_asks_for_news_near_the_place_under_the_cross(page, cities):
    """Signed in, the map's panel offers e-mails about what is new near a place: using the
    form marks the map's centre with a cross and the chosen distance; moving the map moves
    them; the alert is saved for the centre the map had, and the map comes back there."""
    from proposals.models import AreaAlert
    from tests.browser.test_proposal_journey import login
    from tests.proposals.conftest import make_user

    person = make_user("near-map@example.org")
    person.preferred_language = "en"
    person.save(update_fields=["preferred_language"])
    login(page, person)
    page.goto(page.base_url + "/koszalin/#14/54.19000/16.18000")
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    form = page.locator("#near-alert-form")
    assert form.is_visible()  # shown by the map's script
    assert page.locator(".near-alert-area").count() == 0  # nothing drawn before it is used
    page.get_by_label("Within this distance of the cross in the map's centre").select_option("1000")
    page.locator("#map[data-near-area='shown']").wait_for()
    small = page.locator("path.near-alert-area").bounding_box()
    page.get_by_label("Within this distance of the cross in the map's centre").select_option("2000")
    wait_until(page, "document.querySelector('path.near-alert-area').getBBox().width > 0")
    large = page.locator("path.near-alert-area").bounding_box()
    assert 1.8 < large["width"] / small["width"] < 2.2  # twice the distance, twice as wide
    where = page.locator("#near-alert-where")
    wait_until(page, "document.getElementById('near-alert-where').textContent.length > 0")
    assert where.inner_text() == "The cross is in Koszalin."  # the demo has no districts
    page.evaluate("window.cityMap.panTo([54.40000, 16.17000], {animate: false})")  # the sea
    wait_until(page, "document.getElementById('near-alert-where').textContent.includes('outside')")
    assert where.inner_text() == "The cross is outside Koszalin: move the map."
    page.evaluate("window.cityMap.panTo([54.19500, 16.17000], {animate: false})")
    cross = page.locator(".near-alert-cross").bounding_box()
    map_box = page.locator("#map").bounding_box()
    assert abs(cross["x"] + cross["width"] / 2 - (map_box["x"] + map_box["width"] / 2)) < 3
    centre = page.evaluate("(function (c) { return [c.lng, c.lat]; })(window.cityMap.getCenter())")
    with page.expect_navigation():
        page.get_by_role("button", name="E-mail me").click()
    assert page.url.split("#")[1] == f"14/{centre[1]:.5f}/{centre[0]:.5f}"  # the same view
    assert "within 2 km of this place" in page.locator("ul.messages").inner_text()
    alert = AreaAlert.objects.get(user=person)
    assert alert.radius_m == 2000 and alert.proposals and alert.sites
    assert abs(alert.near.x - centre[0]) < 1e-4 and abs(alert.near.y - centre[1]) < 1e-4
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    back = page.evaluate("(function (c) { return [c.lng, c.lat]; })(window.cityMap.getCenter())")
    assert abs(back[0] - centre[0]) < 1e-4 and abs(back[1] - centre[1]) < 1e-4
    assert page.errors.unexpected() == []


def test_the_lists_lead_to_the_maps_form_for_news_near_a_place(page, cities):
    from tests.browser.test_proposal_journey import login
    from tests.proposals.conftest import make_user

    login(page, make_user("lists-near@example.org"))
    page.goto(page.base_url + "/koszalin/sites/")
    page.locator("#near-alert-link").click()
    page.locator("#map[data-near-area='shown']").wait_for()  # the cross, at once
    assert page.locator("#near-radius").evaluate("el => el === document.activeElement")
    assert page.locator("#near-alert-form").is_visible()
    assert page.errors.unexpected() == []


def test_finding_a_park_by_name_shows_it_on_the_map(page, cities):
    """The panel's "find a place": names from the city's own layers, listed as text (a
    name with markup stays text), one chosen is outlined and fitted into the map's view; a
    name found nowhere, or too short, is said."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geodata.models import Feature

    koszalin = next(c for c in cities if c.slug == "koszalin")
    far = named_park(koszalin)
    parks = far.layer
    Feature.objects.create(
        layer=parks, name='<img src=x onerror="window.hacked=1">Park przy szkole',
        geom=MultiPolygon(Polygon.from_bbox((16.17, 54.18, 16.171, 54.181)), srid=4326),
    )  # fmt: skip
    from django.conf import settings

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": page.base_url}]
    )
    page.goto(page.base_url + "/koszalin/#13/54.19000/16.17000")
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    search = page.get_by_role("combobox", name="Find a district, park or other place")
    # the results follow the typing, once it pauses; the map stays where it is
    search.press_sequentially("ksiaz", delay=30)
    page.locator("#place-results li").first.wait_for()
    assert page.locator("#place-results li").all_inner_texts() == ["Park Książąt Pomorskich · Park"]
    assert page.locator("#map[data-place-shown]").count() == 0
    search.fill("park")
    search.press("Enter")
    page.locator("#place-results li").nth(1).wait_for()
    items = page.locator("#place-results li")
    assert items.count() == 2
    assert page.locator("#place-results img").count() == 0  # the markup is text
    assert '<img src=x onerror="window.hacked=1">Park przy szkole' in items.nth(1).inner_text()
    assert "Places found: 2" in page.locator("#place-status").inner_text()
    # an ARIA combobox: the arrow keys mark a result, focus stays in the field
    assert search.get_attribute("aria-expanded") == "true"
    search.press("ArrowDown")
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant") == "place-results-1"
    assert items.nth(1).get_attribute("aria-selected") == "true"
    search.press("ArrowDown")  # round to the first
    assert search.get_attribute("aria-activedescendant") == "place-results-0"
    search.press("Escape")  # closes the results, keeps the words
    assert not items.first.is_visible() and search.get_attribute("aria-expanded") == "false"
    assert search.get_attribute("aria-activedescendant") is None and search.input_value()
    search.press("ArrowUp")  # opens them again, on the last one
    assert search.get_attribute("aria-activedescendant") == "place-results-1"
    search.press("ArrowUp")
    search.press("Enter")  # chooses the marked one (not a new search)
    page.locator(f"#map[data-place-shown='{far.pk}']").wait_for()
    assert search.input_value() == "Park Książąt Pomorskich"
    assert search.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "place-q"
    search.press("Escape")
    assert search.input_value() == ""  # a second Escape clears the field
    search.fill("park")
    search.press("Enter")
    page.locator("#place-results li").nth(1).wait_for()
    page.get_by_role("option", name="Park Książąt Pomorskich").click()  # or a click
    wait_until(page, "document.getElementById('place-q').value === 'Park Książąt Pomorskich'")
    page.locator(f"#map[data-place-shown='{far.pk}']").wait_for()
    assert not items.first.is_visible()
    assert page.locator("path.place-outline").count() == 1
    bounds = page.evaluate(
        "(function (b) { return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })"
        "(window.cityMap.getBounds())"
    )
    assert (
        bounds[0] < 16.2050 and bounds[1] < 54.2000 and bounds[2] > 16.2080 and bounds[3] > 54.2020
    )
    assert page.locator("#place-status").inner_text() == "The map shows Park Książąt Pomorskich."
    search.fill("zzzz")
    search.press("Enter")
    wait_until(page, "document.getElementById('place-status').textContent.includes('No district')")
    assert page.locator("#place-results li").count() == 0
    assert page.evaluate("window.hacked === undefined")
    assert page.errors.unexpected() == []


def test_the_embedded_map_finds_a_place_over_the_map(page, cities):
    """The map a city's website frames (/<city>/embed/) has no panel: its "find a place" is a
    control over the map, and works as the city map's."""
    park = named_park(next(c for c in cities if c.slug == "koszalin"))
    page.set_viewport_size({"width": 480, "height": 360})  # a frame on the city's website
    page.goto(page.base_url + "/koszalin/embed/#13/54.19000/16.17000")
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    control = page.locator("#map .leaflet-top.leaflet-right #place-search")
    assert control.is_visible()
    box = control.bounding_box()
    assert box["x"] + box["width"] <= 480 and box["height"] < 180  # leaves the map in sight
    search = page.locator("#place-q")
    search.fill("ksiazat")
    search.press("Enter")
    page.locator(f"#map[data-place-shown='{park.pk}']").wait_for()  # one found: shown
    assert page.locator("path.place-outline").count() == 1
    # fitted into the view below the control, in sight, once the map has moved
    wait_until(page, "(function (o, c) { return o.top >= c.bottom && o.bottom <= 360"
               " && o.width > 40; })(document.querySelector('path.place-outline')"
               ".getBoundingClientRect(), document.getElementById('place-search')"
               ".getBoundingClientRect())")  # fmt: skip
    centre = page.evaluate("window.cityMap.getCenter()")
    # a click on the search does not reach the map (no popup, no pan)
    search.click()
    assert page.evaluate("window.cityMap.getCenter()") == centre
    assert page.errors.unexpected() == []
