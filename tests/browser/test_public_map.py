"""The public map in Chromium: layers, filters, list equivalence, an intervention's slider."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mapapp.models import Role

pytestmark = [pytest.mark.browser]


def jpeg(color):
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, format="JPEG")
    return SimpleUploadedFile(f"{color}.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def public_data(transactional_db):
    from mapapp.demo import load_demo_cities
    from sites.demo import load_demo_sites
    from sites.services import intervention_record
    from tests.proposals.conftest import make_user

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    load_demo_sites(koszalin)  # six synthetic sites, one of them being revitalised
    officer = make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    intervention = intervention_record(
        actor=officer,
        city=koszalin,
        title="Benches on the square",
        description="New benches.",
        category="seating",
        completed_on=date(2026, 6, 1),
        cost=Decimal("8000"),
        maintainer="Neighbours",
        point_geojson='{"type": "Point", "coordinates": [16.19, 54.195]}',
        pairs=[(jpeg("grey"), jpeg("green"), "From the fountain")],
    )
    return {"city": koszalin, "intervention": intervention}


def layer_ids(page, layer):
    return sorted(page.evaluate(f"window.mapLayerIds['{layer}'] || []"))


def test_layers_filters_list_and_before_after(page, public_data):
    page.goto(page.base_url + "/koszalin/")
    page.locator("#map[data-layers-loaded='true']").wait_for()
    assert len(layer_ids(page, "sites")) == 6
    assert layer_ids(page, "interventions") == [public_data["intervention"].pk]

    # switch a layer off: the state goes into the URL. (Not expect_navigation: the map
    # writes its view into the hash with history.replaceState, which also counts as one.)
    page.locator("input[name=layers][value=proposals]").uncheck()
    page.wait_for_url(lambda url: "layers=sites" in url)
    assert "proposals" not in page.url.split("?")[1]
    page.locator("#map[data-layers-loaded='true']").wait_for()
    assert page.locator("#map").get_attribute("data-proposals-loaded") is None

    # filter sites by condition
    page.locator("select[name=condition]").select_option("being_revitalised")
    page.wait_for_url(lambda url: "condition=being_revitalised" in url)
    page.locator("#map[data-layers-loaded='true']").wait_for()
    on_map = layer_ids(page, "sites")
    assert len(on_map) == 1

    # the list view with the same filters shows the same sites
    page.locator(".list-links a").first.click()
    page.wait_for_url(lambda url: "/koszalin/sites/?" in url)
    rows = page.locator("tr[data-site]")
    assert sorted(int(r.get_attribute("data-site")) for r in rows.all()) == on_map

    # open the intervention from its map marker
    page.goto(page.base_url + "/koszalin/?layers=interventions")
    page.locator("#map[data-layers-loaded='true']").wait_for()
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    page.locator("path.intervention-marker").first.click()
    page.locator(".leaflet-popup-content a").click()
    page.wait_for_url("**/koszalin/interventions/*/")
    assert page.locator("h1").inner_text() == "Benches on the square"

    # move the before/after slider with the keyboard
    slider = page.locator(".ba-slider")
    figure = page.locator("[data-before-after]")
    assert figure.get_attribute("data-position") == "50"
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert figure.get_attribute("data-position") == "60"
    clip = page.locator(".ba-before").evaluate("el => el.style.clipPath")
    assert clip == "inset(0px 40% 0px 0px)"
    assert page.errors.unexpected() == []


def test_search_words_filter_the_map_and_its_list(page, public_data):
    """A resident types words into the map's search box: the layer shows only the places
    holding them (any case), and the list link shows the same places."""
    page.goto(page.base_url + "/koszalin/?layers=sites")
    page.locator("#map[data-layers-loaded='true']").wait_for()
    assert len(layer_ids(page, "sites")) == 6
    page.locator("input[name=q]").fill("SKWER")
    page.locator("input[name=q]").press("Enter")
    page.wait_for_url(lambda url: "q=SKWER" in url)
    page.locator("#map[data-layers-loaded='true']").wait_for()
    on_map = layer_ids(page, "sites")
    assert len(on_map) == 2  # "Zaniedbany skwer ..." and "Skwer z fontanną ..."
    assert page.locator("input[name=q]").input_value() == "SKWER"

    page.locator(".list-links a").first.click()
    page.wait_for_url(lambda url: "/koszalin/sites/?" in url)
    rows = page.locator("tr[data-site]")
    assert sorted(int(r.get_attribute("data-site")) for r in rows.all()) == on_map
    # and back: "show them on the map" keeps the words
    page.locator("main a[href^='/koszalin/?layers=sites']").click()  # "show them on the map"
    page.wait_for_url(lambda url: "q=SKWER" in url and "layers=sites" in url)
    page.locator("#map[data-layers-loaded='true']").wait_for()
    assert layer_ids(page, "sites") == on_map
    assert page.errors.unexpected() == []


def test_the_home_page_shows_each_city_as_one_card_with_its_calls(page, transactional_db):
    """The calls link once showed as a card of its own, one 'calls' box per city beside the
    cities' boxes: each city is one card holding both links."""
    from mapapp.demo import load_demo_cities

    cities = load_demo_cities()
    page.goto(page.base_url + "/")
    cards = page.locator(".city-list > li")
    assert cards.count() == len(cities)
    for n in range(len(cities)):
        card = cards.nth(n)
        assert card.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
        o = card.bounding_box()
        for link in (card.locator("a.city-name"), card.locator("a.city-calls")):
            b = link.bounding_box()
            assert o["x"] <= b["x"] and b["x"] + b["width"] <= o["x"] + o["width"]
            assert o["y"] <= b["y"] and b["y"] + b["height"] <= o["y"] + o["height"]
            assert link.evaluate("e => getComputedStyle(e).borderTopStyle") != "solid"
    page.locator(".city-list a.city-calls").first.click()
    page.wait_for_url("**/calls/")
