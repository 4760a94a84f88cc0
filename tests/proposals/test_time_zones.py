"""Each city works in its own time zone (City.time_zone); times are stored in UTC. A call an
officer sets to close at 23:59 closes at 23:59 on the city's clocks, and pages show it so."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import formats, timezone, translation

from mapapp.selectors import city_forget
from proposals.models import GrantCall

CALL = {
    "title_en": "Spaces 2028",
    "opens_at": "2028-03-01T00:00",
    "closes_at": "2028-05-31T23:59",
    "total_budget": "250000",
    "project_cap": "50000",
    "allow_individuals": "on",
    "min_supporters": "15",
    "supporter_min_age": "15",
    "rounds": "3",
    "sustainability_months": "24",
    "max_area_m2": "10000",
    "max_vertices": "300",
}


@pytest.mark.parametrize(
    "zone, closes_utc, opens_utc",
    [
        ("Europe/Warsaw", "2028-05-31T21:59", "2028-02-29T23:00"),  # CEST in May, CET in March
        ("Europe/Lisbon", "2028-05-31T22:59", "2028-03-01T00:00"),  # WEST in May, WET in March
    ],
)
def test_a_call_opens_and_closes_at_the_times_typed_in_the_citys_zone(
    client, koszalin, officer, committee, zone, closes_utc, opens_utc
):
    koszalin.time_zone = zone
    koszalin.save(update_fields=["time_zone"])
    city_forget()
    client.force_login(officer)
    assert "Times are Koszalin time." in client.get("/koszalin/officer/calls/new/").content.decode()
    assert client.post("/koszalin/officer/calls/new/", CALL).status_code == 302
    call = GrantCall.objects.get(title__en="Spaces 2028")
    utc = dt.UTC
    assert call.closes_at == dt.datetime.fromisoformat(closes_utc).replace(tzinfo=utc)
    assert call.opens_at == dt.datetime.fromisoformat(opens_utc).replace(tzinfo=utc)

    page = client.get(f"/koszalin/officer/calls/{call.pk}/").content.decode()
    with translation.override("en"):
        local = formats.date_format(
            dt.datetime(2028, 5, 31, 23, 59), "SHORT_DATETIME_FORMAT"
        )  # as the city's clocks say
        as_utc = formats.date_format(call.closes_at.replace(tzinfo=None), "SHORT_DATETIME_FORMAT")
    assert local in page and as_utc not in page
    assert timezone.get_current_timezone_name() == "UTC"  # nothing carried past the request


def test_pages_outside_a_city_stay_in_utc(client, koszalin):
    seen = {}

    from django.test.signals import template_rendered

    def keep(sender, **kwargs):
        seen.setdefault("zone", timezone.get_current_timezone_name())

    template_rendered.connect(keep)
    try:
        client.get("/koszalin/")
        city_zone = seen.pop("zone")
        client.get("/privacy/")
        other_zone = seen.pop("zone")
    finally:
        template_rendered.disconnect(keep)
    assert city_zone == "Europe/Warsaw" and other_zone == "UTC"
    assert zoneinfo.ZoneInfo(koszalin.time_zone).key == "Europe/Warsaw"


def test_the_admin_shows_a_calls_times_in_its_citys_zone(client, grant_call, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.org", password="x")
    client.force_login(admin)
    html = client.get(f"/admin/proposals/grantcall/{grant_call.pk}/change/").content.decode()
    local = timezone.localtime(grant_call.closes_at, zoneinfo.ZoneInfo("Europe/Warsaw"))
    value = re.search(r'name="closes_at_1"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="closes_at_1"', html
    )
    assert value.group(1) == local.strftime("%H:%M:%S")


def test_the_admins_call_list_gives_each_call_its_citys_time(client, grant_call, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.org", password="x")
    client.force_login(admin)
    html = client.get("/admin/proposals/grantcall/").content.decode()
    local = timezone.localtime(grant_call.closes_at, zoneinfo.ZoneInfo("Europe/Warsaw"))
    with translation.override("en"):
        shown = formats.date_format(local, "SHORT_DATETIME_FORMAT")
    assert f"{shown} (Europe/Warsaw)" in html


def test_a_closed_calls_refusal_gives_its_dates_in_the_citys_time(grant_call, resident):
    from django.core.exceptions import ValidationError

    from proposals.services import drafting
    from tests.proposals.conftest import close_call

    close_call(grant_call)
    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    with timezone.override(warsaw), translation.override("en"):  # as a Koszalin page runs
        try:
            drafting.proposal_create_draft(author=resident, grant_call=grant_call)
        except ValidationError as exc:
            message = exc.messages[0]
        expected = formats.date_format(
            timezone.localtime(grant_call.closes_at, warsaw), "SHORT_DATETIME_FORMAT"
        )
    assert expected in message


def test_the_admin_shows_times_in_its_users_cities_zone_and_says_which(client, koszalin):
    """The admin used to show every time in UTC, an hour or two off the officers' clocks.
    It now uses the zone of its user's cities (or of the deployment, when every city shares
    one), and says so; a superuser of cities in different zones gets UTC, said as well."""
    from mapapp.audit import audit_record
    from mapapp.models import City, CityRole, Role, User

    root = User.objects.create_superuser(email="root@example.org", password="x-long-pass-2026")
    at = audit_record(actor=root, action="test.event", obj=koszalin, city=koszalin).at
    client.force_login(root)

    def shown():
        page = client.get("/admin/mapapp/auditevent/").content.decode()
        zone = re.search(r'id="admin-time-zone">([^<]*)<', page).group(1)
        return zone, page

    def written(zone):
        with translation.override("en"):
            local = at.astimezone(zoneinfo.ZoneInfo(zone))
            return formats.date_format(local, "DATETIME_FORMAT")

    assert written("Europe/Warsaw") != written("UTC")
    zone, page = shown()  # one city in the deployment: its zone
    assert zone == "Times in Europe/Warsaw" and written("Europe/Warsaw") in page

    City.objects.create(
        slug="lisboa", name="Lisboa", boundary=koszalin.boundary, metric_srid=3763,
        default_language="en", currency="EUR", time_zone="Europe/Lisbon",
    )  # fmt: skip
    zone, page = shown()  # cities in different zones, none of them the superuser's: UTC
    assert zone == "Times in UTC" and written("UTC") in page
    CityRole.objects.create(user=root, city=koszalin, role=Role.PROGRAMME_OFFICER)
    zone, page = shown()  # Koszalin's officer too: Koszalin's zone
    assert zone == "Times in Europe/Warsaw" and written("Europe/Warsaw") in page
