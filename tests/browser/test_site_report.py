"""Reporting a neglected site on the spot, with a phone: the device's position places the pin;
without it, the person is told and places it by hand."""

import pytest

from mapapp.models import Role
from sites.models import Site
from tests.browser.test_proposal_journey import login
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser]

HERE = {"latitude": 54.1912, "longitude": 16.1723, "accuracy": 12}  # by Koszalin's town hall


@pytest.fixture
def resident(transactional_db):
    from mapapp.demo import load_demo_cities
    from tests.proposals.conftest import make_user

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    return make_user("resident@example.org", Role.RESIDENT, city=koszalin)


def test_use_my_location_places_the_pin_and_the_report_keeps_it(page, resident):
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation(HERE)
    login(page, resident)
    page.goto(page.base_url + "/koszalin/sites/report/")
    button = page.locator("#locate-me")
    button.click()
    wait_until(page, "document.querySelector('input[name=latitude]').value !== ''")
    assert page.locator("input[name=latitude]").input_value() == "54.191200"
    assert page.locator("input[name=longitude]").input_value() == "16.172300"
    assert "12 m" in page.locator("#locate-status").inner_text()
    assert page.evaluate("document.querySelectorAll('#editor-map .leaflet-marker-icon').length")
    page.fill("input[name=name]", "Rubbish behind the bus stop")
    page.fill("textarea[name=description]", "Bags of rubbish for weeks.")
    with page.expect_navigation():
        page.locator("form[data-map-editor] button[type=submit]").click()
    site = Site.objects.get(name="Rubbish behind the bus stop")
    assert (round(site.geom.y, 6), round(site.geom.x, 6)) == (54.1912, 16.1723)
    assert site.moderation == "pending"
    assert page.errors.unexpected() == []


def test_what_is_already_on_the_map_nearby_is_shown_as_text(page, resident):
    """The same place is often reported twice: once the pin is placed, the sites already on
    the map within about 150 m are listed (names as text, never as HTML)."""
    from django.contrib.gis.geos import Point

    koszalin = resident.city_roles.get().city
    metre = 1 / 111_320
    lat, lon = HERE["latitude"], HERE["longitude"]
    near = Site.objects.create(
        city=koszalin, name="<b>Bus stop</b> rubbish", moderation="accepted",
        geom=Point(lon, lat + 60 * metre),
    )  # fmt: skip
    Site.objects.create(city=koszalin, name="Far away", moderation="accepted",
                        geom=Point(lon, lat + 900 * metre))  # fmt: skip
    Site.objects.create(city=koszalin, name="Waiting nearby", moderation="pending",
                        geom=Point(lon, lat + 30 * metre))  # fmt: skip
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation(HERE)
    login(page, resident)
    page.goto(page.base_url + "/koszalin/sites/report/")
    page.locator("#locate-me").click()
    page.locator("#nearby li").first.wait_for()
    assert page.locator("#nearby li").all_inner_texts() == ["<b>Bus stop</b> rubbish"]
    assert page.locator("#nearby b").count() == 0
    href = page.locator("#nearby a").get_attribute("href")
    assert href == f"/koszalin/sites/{near.pk}/"
    assert page.errors.unexpected() == []


def test_without_permission_the_person_is_told_and_nothing_is_placed(page, resident):
    login(page, resident)  # geolocation not granted: the browser refuses it
    page.goto(page.base_url + "/koszalin/sites/report/")
    page.locator("#locate-me").click()
    wait_until(page, "document.getElementById('locate-status').textContent.length > 30")
    assert "nie udało się ustalić" in page.locator("#locate-status").inner_text().lower()
    assert page.locator("input[name=latitude]").input_value() == ""
    assert page.errors.unexpected() == []


def test_finding_a_park_by_name_above_the_editors_map(page, resident):
    """The report's map has "find a place" too: Enter in it searches and moves the map to
    the place, and does not send the report; the pin is then placed there by hand."""
    from django.contrib.gis.geos import Point

    from geodata.models import Feature, Layer
    from mapapp.models import City
    from tests.browser.test_city_map import named_park

    koszalin = City.objects.get(slug="koszalin")
    park = named_park(koszalin)
    login(page, resident)
    page.goto(page.base_url + "/koszalin/sites/report/")
    search = page.locator("#place-q")
    assert search.is_visible()
    search.fill("ksiazat")  # without accents
    search.press("Enter")
    page.locator(f"#editor-map[data-place-shown='{park.pk}']").wait_for()
    assert page.url.endswith("/koszalin/sites/report/")  # the report was not sent
    assert not Site.objects.exists()
    bounds = page.evaluate(
        "(function (b) { return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })"
        "(window.editorMap.getBounds())"
    )
    assert bounds[0] < 16.2050 and bounds[2] > 16.2080 and bounds[1] < 54.2000
    assert "Park Książąt Pomorskich" in page.locator("#place-status").inner_text()
    assert page.locator(".place-pin").count() == 0  # an area: no pin offered
    # an address point (a layer of kind "address") is ringed, and the map zoomed in on it
    addresses = Layer.objects.create(city=koszalin, kind="address", name="Punkty adresowe",
                                     is_current=True)  # fmt: skip
    house = Feature.objects.create(layer=addresses, name="Zwycięstwa 105",
                                   geom=Point(16.1790, 54.1890, srid=4326))  # fmt: skip
    search.fill("zwyciestwa 105")
    search.press("Enter")
    page.locator(f"#editor-map[data-place-shown='{house.pk}']").wait_for()
    assert page.locator("path.place-outline").count() == 1  # the park's outline is gone
    wait_until(page, "window.editorMap.getZoom() === 17")
    centre = page.evaluate("window.editorMap.getCenter()")
    assert abs(centre["lng"] - 16.1790) < 0.0005 and abs(centre["lat"] - 54.1890) < 0.0005
    # and the pin may be put on it: the report's place, as typed coordinates would set it
    assert page.locator(".leaflet-marker-icon").count() == 0
    shown = page.locator("#place-status").inner_text()
    page.locator(".place-pin").click()  # "Put the pin here", in the page's language
    assert page.locator("input[name=latitude]").input_value() == "54.189000"
    assert page.locator("input[name=longitude]").input_value() == "16.179000"
    assert page.locator(".leaflet-marker-icon").count() == 1
    pinned = page.locator("#place-status").inner_text()
    assert "Zwycięstwa 105" in pinned and pinned != shown
    assert page.locator(".place-pin").count() == 0 and not Site.objects.exists()
    assert page.errors.unexpected() == []
