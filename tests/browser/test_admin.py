"""The City admin's map widget works without internet (Leaflet served by us)."""

import pytest

pytestmark = [pytest.mark.browser]


@pytest.fixture
def admin_user(transactional_db):
    from mapapp.demo import load_demo_cities
    from mapapp.models import User

    load_demo_cities()
    return User.objects.create_superuser(email="root@example.org", password="admin-pass-2026")


def test_city_admin_shows_boundary_on_offline_map(page, admin_user):
    from mapapp.models import City

    city = City.objects.get(slug="ostrava")
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "root@example.org")
    page.fill("#id_password", "admin-pass-2026")
    page.click("input[type=submit]")
    page.goto(f"{page.base_url}/admin/mapapp/city/{city.pk}/change/")
    # django-leaflet draws the stored boundary as an editable vector path on the map
    page.locator(".leaflet-container").first.wait_for()
    page.locator(".leaflet-container path.leaflet-interactive").first.wait_for()
    assert page.locator(".leaflet-draw-toolbar").count() >= 1
    assert page.errors.unexpected() == []
