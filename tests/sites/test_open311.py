"""Open311 GeoReport v2 at /open311/<city>/v2/: read with the `georeport` client from PyPI
against a live server (JSON and XML), posted to as the specification says, and checked
against its field rules. A posted report waits for moderation; only accepted ones are
listed, without the reporter's personal data."""

import xml.etree.ElementTree as ET

import pytest
import requests
from django.core import mail
from georeport import GeoReport

from sites.models import Open311Client, Site
from sites.services import site_moderate

PIN = {"lat": "54.1903", "long": "16.1817"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
}  # fmt: skip


@pytest.fixture
def app_key(koszalin):
    return Open311Client.objects.create(city=koszalin, name="CitySDK app").api_key


@pytest.fixture
def base(live_server, koszalin):
    return f"{live_server.url}/open311/koszalin/v2"


def post(base, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "neglected-site", **PIN,
            "description": "The benches by the pond have no planks left.", **fields}  # fmt: skip
    return requests.post(f"{base}/requests.{fmt}", data=data, timeout=30)


def test_services_and_definition_with_georeport(base):
    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        services = client.get_service_list()
        assert [s["service_code"] for s in services] == ["neglected-site", "completed-project-care"]
        service, care = services
        assert str(service["metadata"]).lower() == "true" and service["type"] == "batch"
        assert care["type"] == "realtime"  # straight to a project's maintainers, not listed
        definition = client.get_service_definition("neglected-site")
        assert definition["service_code"] == "neglected-site"
        definition = client.get_service_definition("completed-project-care")
        assert definition["service_code"] == "completed-project-care"


def test_a_posted_report_is_moderated_before_it_is_listed(base, app_key, officer):
    r = post(base, app_key, email="reporter@example.org", first_name="Ala", phone="+48 500")
    assert r.status_code == 200, r.text
    (answer,) = r.json()
    assert set(answer) == {"token", "service_notice", "account_id"} and answer["token"]
    site = Site.objects.get(source="open311")
    assert site.moderation == "pending" and site.open311.email == "reporter@example.org"

    client = GeoReport(base)
    token = requests.get(f"{base}/tokens/{answer['token']}.json", timeout=30).json()
    assert token == [{"service_request_id": None, "token": answer["token"]}]
    assert client.get_service_requests() == []
    assert requests.get(f"{base}/requests/{site.pk}.json", timeout=30).status_code == 404

    site_moderate(actor=officer, site=site, accept=True)
    assert mail.outbox[-1].to == ["reporter@example.org"]  # the reporter hears the outcome
    token = requests.get(f"{base}/tokens/{answer['token']}.json", timeout=30).json()
    assert token[0]["service_request_id"] == str(site.pk)
    listed = client.get_service_requests()
    assert [x["service_request_id"] for x in listed] == [str(site.pk)]
    one = client.get_service_request(str(site.pk))
    assert set(one) == REQUEST_FIELDS
    assert one["status"] == "open" and one["lat"] == pytest.approx(54.1903)
    text = requests.get(f"{base}/requests.json", timeout=30).text
    assert "reporter@example.org" not in text and "+48 500" not in text and "Ala" not in text

    xml_one = GeoReport(base, output_format="xml").get_service_request(str(site.pk))
    assert xml_one["service_request_id"] == str(site.pk)
    assert xml_one["service_code"] == "neglected-site"


def test_filters_status_and_dates(base, app_key, officer):
    for i in range(2):
        post(base, app_key, description=f"Report number {i}: broken fence.")
    first, second = Site.objects.filter(source="open311").order_by("pk")
    for site in (first, second):
        site_moderate(actor=officer, site=site, accept=True)
    Site.objects.filter(pk=second.pk).update(condition="revitalised")
    client = GeoReport(base)
    assert [x["service_request_id"] for x in client.get_service_requests(status="closed")] == [
        str(second.pk)
    ]
    assert [x["service_request_id"] for x in client.get_service_requests(status="open")] == [
        str(first.pk)
    ]
    ids = client.get_service_requests(service_request_id=f"{first.pk},{second.pk}")
    assert {x["service_request_id"] for x in ids} == {str(first.pk), str(second.pk)}
    assert client.get_service_requests(start_date="2099-01-01T00:00:00Z") == []


@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"service_code": "pothole"}, 404, "service_code"),
        ({"lat": "", "long": "", "address_string": "Rynek 1"}, 400, "lat and long"),
        ({"lat": "north"}, 400, "decimal degrees"),
        ({"lat": "50.0", "long": "19.9"}, 400, ""),  # Kraków: outside Koszalin
        ({"description": "bad"}, 400, "description"),
        ({"description": "x" * 4001}, 400, "4000"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"media_url": "https://app.example.org/" + "p" * 500}, 400, "media_url: at most 500"),
    ],
)
def test_bad_posts_get_the_spec_error_format_and_store_nothing(
    base, app_key, fields, status, words
):
    for fmt in ("json", "xml"):
        r = post(base, app_key, fmt=fmt, **fields)
        assert r.status_code == status, r.text
        if fmt == "json":
            (error,) = r.json()
            assert error["code"] == status and words in error["description"]
        else:
            root = ET.fromstring(r.content)  # noqa: S314 - our own server's answer in a test
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert not Site.objects.filter(source="open311").exists()


def test_switched_off_keys_and_other_cities(base, app_key, ostrava):
    ostrava_key = Open311Client.objects.create(city=ostrava, name="Other").api_key
    assert post(base, ostrava_key).status_code == 403  # a key works for its own city only
    Open311Client.objects.filter(api_key=app_key).update(is_active=False)
    assert post(base, app_key).status_code == 403
    r = requests.get(base.replace("koszalin", "atlantis") + "/services.json", timeout=30)
    assert r.status_code == 404 and r.json()[0]["code"] == 404


@pytest.mark.parametrize(
    "query, words",
    [
        ("service_request_id=12,abc", "service_request_id: whole numbers"),
        ("start_date=2026-13-01T00:00:00Z", "start_date: a W3C date"),
        ("end_date=yesterday", "end_date: a W3C date"),
        ("status=open,pending", "status: open, closed or both"),
    ],
)
def test_bad_queries_get_the_spec_error_format(client, koszalin, query, words):
    """A list request the spec does not allow answers 400 with Open311's error list, in
    the format asked for, naming the parameter."""
    answer = client.get(f"/open311/koszalin/v2/requests.json?{query}")
    assert answer.status_code == 400
    assert words in answer.json()[0]["description"] and answer.json()[0]["code"] == 400
    answer = client.get(f"/open311/koszalin/v2/requests.xml?{query}")
    error = ET.fromstring(answer.content).find("error")  # noqa: S314 - our own answer
    assert answer.status_code == 400 and words in error.find("description").text
    assert client.get(f"/open311/nowhere/v2/requests.json?{query}").status_code == 404


def test_an_end_date_and_another_service_code_narrow_the_list(client, pending_report, officer):
    site_moderate(actor=officer, site=pending_report, accept=True)
    listed = client.get("/open311/koszalin/v2/requests.json").json()
    assert [x["service_request_id"] for x in listed] == [str(pending_report.pk)]
    before = client.get("/open311/koszalin/v2/requests.json?end_date=2020-01-01T00:00:00Z")
    assert before.status_code == 200 and before.json() == []
    assert client.get("/open311/koszalin/v2/requests.json?service_code=pothole").json() == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "path, words",
    [
        ("/open311/atlantis/v2/discovery.{fmt}", "No such city."),
        ("/open311/koszalin/v2/services/pothole.{fmt}", "No such service."),
        ("/open311/koszalin/v2/tokens/00000000-0000-4000-8000-000000000000.{fmt}",
         "No such token."),
    ],
)  # fmt: skip
def test_unknown_cities_services_and_tokens_answer_404_in_open311s_format(
    client, koszalin, path, words, fmt
):
    """An Open311 client told what is not there, in the format it asked for."""
    import xml.etree.ElementTree as ET

    r = client.get(path.format(fmt=fmt), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    if fmt == "json":
        assert r.json() == [{"code": 404, "description": words}]
    else:
        root = ET.fromstring(r.content)  # noqa: S314 - our own server's answer in a test
        assert (root.tag, root.find("error/code").text) == ("errors", "404")
        assert root.find("error/description").text == words


def test_a_reporters_contact_details_are_erased_after_the_retention_time(koszalin, settings):
    """What the application sent about the person (e-mail, name, phone, device) goes
    SUPPORTER_DATA_RETENTION_DAYS after the report; the report stays; a newer one is kept."""
    import datetime as dt

    from django.utils import timezone

    from mapapp.models import AuditEvent
    from mapapp.privacy import apply_retention
    from sites.models import Open311Request
    from sites.services import site_report_open311

    settings.SUPPORTER_DATA_RETENTION_DAYS = 365
    app = Open311Client.objects.create(city=koszalin, name="App")
    details = {"email": "old@example.org", "first_name": "Ala", "last_name": "Nowak",
               "phone": "+48 500", "device_id": "phone-1"}  # fmt: skip
    old, new = (
        site_report_open311(client=app, lat=54.1903, lon=16.1817,
                            description="The benches by the pond are broken.", **details)
        for _i in range(2)
    )  # fmt: skip
    Open311Request.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=366)
    )
    assert apply_retention(dry_run=True)["open311_contacts"] == 1
    assert Open311Request.objects.get(pk=old.pk).email == "old@example.org"
    assert apply_retention()["open311_contacts"] == 1
    erased = Open311Request.objects.get(pk=old.pk)
    assert [getattr(erased, name) for name in details] == [""] * 5
    assert erased.token and Site.objects.filter(pk=old.site_id).exists()
    assert Open311Request.objects.get(pk=new.pk).phone == "+48 500"
    assert AuditEvent.objects.filter(action="retention.open311_contact_erased").count() == 1
    assert apply_retention()["open311_contacts"] == 0
