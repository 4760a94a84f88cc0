"""Abuse resistance: login lockout, rate limits with a clear message and nothing stored, and
oversized requests refused quickly."""

import json

import pytest

from proposals.models import Support
from sites.models import Open311Client, Site
from tests.proposals.conftest import make_user

PIN = '{"type": "Point", "coordinates": [16.1817, 54.1903]}'


def test_five_wrong_passwords_lock_the_account(client, koszalin):
    user = make_user("target@example.org")
    for _ in range(5):
        r = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
        assert r.status_code == 200  # the form again, with its error
    r = client.post(
        "/accounts/login/", {"login": user.email, "password": "a-long-enough-passphrase-42"}
    )
    # even the right password waits now (allauth says so on the form)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in r.content.decode()


def test_supports_are_rate_limited_per_person(client, settings, collecting, supporters):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "support": "2/h"}
    person = supporters[0]
    client.force_login(person)
    url = f"/koszalin/proposals/{collecting.pk}/support/"
    form = {"full_name": "Ala Nowak", "address": "Ulica 1, Koszalin", "age_confirmed": "on"}
    assert client.post(url, form).status_code == 302  # counted
    client.post(url, {**form, "full_name": ""})  # a form error still counts as a request
    r = client.post(url, form)
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "Too many requests" in r.content.decode()
    assert Support.objects.filter(user=person).count() == 1  # the limited one stored nothing


def test_site_reports_and_open311_posts_are_rate_limited(client, settings, koszalin, resident):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "site_report": "1/h", "open311": "1/h"}
    client.force_login(resident)
    form = {"name": "Broken bench", "description": "No planks left.", "geom": PIN}
    first = client.post("/koszalin/sites/report/", form)
    assert first.status_code == 302
    r = client.post("/koszalin/sites/report/", form)
    assert r.status_code == 429
    assert Site.objects.filter(name="Broken bench").count() == 1

    client.logout()
    key = Open311Client.objects.create(city=koszalin, name="App").api_key
    data = {"api_key": key, "service_code": "neglected-site", "lat": "54.1903",
            "long": "16.1817", "description": "Broken fence by the school."}  # fmt: skip
    assert client.post("/open311/koszalin/v2/requests.json", data).status_code == 200
    r = client.post("/open311/koszalin/v2/requests.json", data)
    assert r.status_code == 429 and r.json()[0]["code"] == 429
    assert Site.objects.filter(source="open311").count() == 1


def test_people_behind_one_address_have_room(client, settings, koszalin):
    """Ten people at one meeting, one network: each may support within their own limit."""
    from mapapp.ratelimit import over_limit

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "support": "2/h"}
    settings.RATE_LIMIT_ADDRESS_FACTOR = 10
    from django.test import RequestFactory

    people = [make_user(f"p{i}@example.org") for i in range(10)]
    for person in people:
        for _ in range(2):
            request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")
            request.user = person
            assert over_limit("support", request) == 0
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")
    request.user = make_user("eleventh@example.org")
    assert over_limit("support", request) > 0  # the address has carried 10 x 2


@pytest.mark.parametrize("size_mb", [3, 30])
def test_oversized_bodies_are_refused_and_store_nothing(client, resident, grant_call, size_mb):
    client.force_login(resident)
    from proposals.services import drafting

    proposal = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    body = json.dumps(
        {"type": "Point", "coordinates": [16.18, 54.19], "pad": "x" * size_mb * 2**20}
    )
    r = client.post(
        f"/koszalin/proposals/{proposal.pk}/autosave/",
        {"title": "Huge", "geom": body},
    )
    assert r.status_code in (400, 413)
    proposal.refresh_from_db()
    assert proposal.title != "Huge"


def test_deeply_nested_geometry_is_refused_not_a_crash(client, resident, grant_call):
    from proposals.services import drafting

    client.force_login(resident)
    proposal = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    deep = '{"type": "Polygon", "coordinates": ' + "[" * 60_000 + "]" * 60_000 + "}"
    r = client.post(f"/koszalin/proposals/{proposal.pk}/autosave/", {"title": "Deep", "area": deep})
    assert r.status_code == 400 and "nested too deep" in r.content.decode()
    proposal.refresh_from_db()
    assert proposal.title != "Deep"


def test_every_form_needs_its_csrf_token(koszalin, resident, collecting):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    for url, data in [
        (f"/koszalin/proposals/{collecting.pk}/support/", {"full_name": "A"}),
        ("/koszalin/sites/report/", {"name": "x"}),
        ("/koszalin/flag/", {"target_type": "proposal", "target_id": collecting.pk}),
        ("/me/data/", {"confirm": "delete"}),
        (f"/koszalin/proposals/{collecting.pk}/autosave/", {"title": "x"}),
        ("/koszalin/proposals/new/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url


def test_sign_ups_are_limited_per_address(client, koszalin):
    for i in range(5):
        client.post("/accounts/signup/", {"email": f"new{i}@example.org",
                    "password1": "a-long-enough-passphrase-42",
                    "password2": "a-long-enough-passphrase-42"})  # fmt: skip
        client.logout()
    r = client.post("/accounts/signup/", {"email": "sixth@example.org",
                    "password1": "a-long-enough-passphrase-42",
                    "password2": "a-long-enough-passphrase-42"})  # fmt: skip
    assert r.status_code == 429
    from mapapp.models import User

    assert not User.objects.filter(email="sixth@example.org").exists()


def sign_up(client, email, address):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": "a-long-enough-passphrase-42",
         "password2": "a-long-enough-passphrase-42"},
        REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP=address,
    )  # fmt: skip


def test_behind_the_proxy_sign_ups_are_limited_per_client_not_for_the_whole_city(
    client, koszalin, settings
):
    """Every request reaches the app from nginx's address; allauth's limits (5 sign-ups an
    hour per address) must count the visitor the proxy saw, as our own limits do."""
    from mapapp.models import User

    settings.RATE_LIMIT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    for i in range(7):  # seven people, seven addresses: more than one address's allowance
        assert sign_up(client, f"person{i}@example.org", f"198.51.100.{i}").status_code == 302
        client.logout()
    for i in range(5):
        assert sign_up(client, f"same{i}@example.org", "203.0.113.9").status_code == 302
        client.logout()
    assert sign_up(client, "sixth@example.org", "203.0.113.9").status_code == 429
    assert User.objects.filter(email__startswith="person").count() == 7
    assert not User.objects.filter(email="sixth@example.org").exists()


def test_an_ipv6_network_counts_as_one_address(koszalin, settings):
    """A household or a server holds a whole /64: its addresses share one allowance."""
    from django.test import RequestFactory

    from mapapp.ratelimit import over_limit

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "site_report": "2/h"}

    def report(address):
        return over_limit("site_report", RequestFactory().post("/", REMOTE_ADDR=address))

    assert report("2001:db8:1:2::1") == 0
    assert report("2001:db8:1:2:ffff::7") == 0
    assert report("2001:db8:1:2::99") > 0  # the same /64, third time
    assert report("2001:db8:1:3::1") == 0  # the next network counts on its own
    assert report("192.0.2.1") == 0 and report("::ffff:192.0.2.1") == 0
    assert report("192.0.2.1") > 0  # an IPv4 address written as IPv6 is the same address
