"""Home, city map page, boundary API and health check."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_home_lists_cities(client, demo_cities, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/koszalin/"' in body
    assert 'href="/ostrava/"' in body


def test_city_page_passes_map_config_as_json(client, koszalin):
    response = client.get("/koszalin/")
    assert response.status_code == 200
    config = response.context["map_config"]
    assert config["boundaryUrl"] == "/api/v1/koszalin/boundary/"
    (south, west), (north, east) = config["bounds"]
    # extent of the PRG boundary file
    assert (west, south, east, north) == pytest.approx((16.1099, 54.1374, 16.3233, 54.2748))
    assert '<script id="map-config" type="application/json">' in response.content.decode()
    # Leaflet is served by us, never by a CDN
    assert "/static/leaflet/leaflet.js" in response.content.decode()
    assert "unpkg.com" not in response.content.decode()


def test_a_shared_map_link_with_stale_values_still_draws_every_layer(client, koszalin):
    """The page forgives filter values it does not know (a misspelt status, a call of
    another city, no year); the layers' requests, which the API and the tiles refuse with
    such values, carry the filters as the page kept them, and the other parameters."""
    from django.http import QueryDict

    stale = "status=granted&status=colecting&category=bench&call=latest&year=last&q=park"
    config = client.get(
        f"/koszalin/?{stale}&condition=neglected&condition=poor&layers=proposals"
    ).context["map_config"]
    sent = QueryDict(config["query"])
    assert sent.getlist("status") == ["granted"] and sent.getlist("condition") == ["neglected"]
    assert "category" not in sent and "call" not in sent and "year" not in sent
    assert sent["q"] == "park" and sent["layers"] == "proposals"
    assert QueryDict(config["tileQuery"]["proposals"]).getlist("status") == ["granted"]
    assert "category" not in QueryDict(config["tileQuery"]["proposals"])
    for layer, url in config["urls"].items():
        response = client.get(f"{url}?{config['query']}")
        assert response.status_code == 200, (layer, response.content)
    assert client.get(f"/api/v1/koszalin/proposals/?{stale}").status_code == 400


def test_city_page_uses_city_language_until_visitor_chooses(client, koszalin, ostrava):
    assert client.get("/koszalin/").headers["Content-Language"] == "pl"
    assert client.get("/ostrava/").headers["Content-Language"] == "cs"
    client.post(reverse("set_language"), {"language": "en", "next": "/koszalin/"})
    assert client.get("/koszalin/").headers["Content-Language"] == "en"


def test_unknown_and_inactive_city_404(client, koszalin):
    assert client.get("/atlantis/").status_code == 404
    koszalin.is_active = False
    koszalin.save()
    assert client.get("/koszalin/").status_code == 404
    assert client.get("/api/v1/koszalin/boundary/").status_code == 404


def signed_area(ring):
    """Shoelace formula: > 0 for a counter-clockwise ring."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def test_boundary_is_rfc7946_geojson(client, koszalin, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/koszalin/boundary/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    feature = json.loads(response.content)
    assert feature["type"] == "Feature"
    assert "crs" not in feature
    assert feature["geometry"]["type"] == "MultiPolygon"
    exterior = feature["geometry"]["coordinates"][0][0]
    # The source file's ring is clockwise; RFC 7946 wants counter-clockwise exteriors.
    assert signed_area(exterior) > 0
    lon, lat = exterior[0]
    assert 16 < lon < 17 and 54 < lat < 55  # lon/lat order
    assert all(len(repr(c).split(".")[-1]) <= 6 for pt in exterior for c in pt)


def test_boundary_supports_conditional_get(client, koszalin):
    first = client.get("/api/v1/koszalin/boundary/")
    last_modified = first["Last-Modified"]
    again = client.get("/api/v1/koszalin/boundary/", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert again.status_code == 304


def test_city_list_api(client, demo_cities):
    data = client.get("/api/v1/cities/").json()
    assert [c["slug"] for c in data["cities"]] == ["koszalin", "ostrava"]
    assert data["cities"][0]["boundary"].endswith("/api/v1/koszalin/boundary/")


def test_api_index_leads_to_every_interface(client, koszalin):
    """/api/v1/ and /api/v1/<city>/ link everything a GIS client can use, and every link
    answers."""
    root = client.get("/api/v1/")
    assert root.status_code == 200
    body = root.json()
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert set(rels) == {"self", "service-desc", "service-doc", "data"}
    assert client.get(rels["service-desc"]).json()["openapi"].startswith("3.")
    assert [c["slug"] for c in body["cities"]] == ["koszalin"]

    index = client.get(body["cities"][0]["href"]).json()
    assert index["city"] == {"slug": "koszalin", "name": "Koszalin"}
    hrefs = [link["href"] for link in body["links"] + index["links"] + index["collections"]]
    assert {c["id"] for c in index["collections"]} == {
        "proposals", "sites", "interventions", "calls", "layers"
    }  # fmt: skip
    assert index["tiles"].endswith("/tiles/koszalin/{collection}/{z}/{x}/{y}.mvt")
    hrefs.append(index["tiles"].format(collection="proposals", z=14, x=9081, y=5262))
    for href in hrefs:
        assert href.startswith("http://testserver/")
        response = client.get(href)
        assert response.status_code in (200, 204), href  # 204: an empty tile
    assert client.get("/api/v1/nowhere/").status_code == 404


def test_robots_keep_crawlers_off_workspaces_and_machine_interfaces(client, koszalin):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    rules = [line.split(": ", 1) for line in lines if ": " in line and line[0] != "#"]
    disallowed = {value for name, value in rules if name == "Disallow"}
    assert {
        "/api/",
        "/ogcapi/",
        "/tiles/",
        "/me/",
        "/*/officer/",
        "/*/exports/",
        "/*/place/",
        "/*/places/",
    } <= disallowed
    # the public pages stay open to search engines
    for path in ("/", "/koszalin/", "/koszalin/proposals/", "/koszalin/sites/"):
        assert not any(path.startswith(d) for d in disallowed if "*" not in d)
        assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_healthz_reports_postgis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["postgis"].startswith("3.")
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_tasks_reports_a_queue_no_worker_takes(client, settings):
    """E-mail to applicants goes through the task queue: monitoring must learn when no
    worker is taking tasks."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from mapapp.tasks import send_email

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert client.get("/healthz/tasks").json()["status"] == "unknown"  # not a queue we can read
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_STALE_SECONDS = 600
    response = client.get("/healthz/tasks")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok", "waiting": 0, "oldest_waiting_seconds": 0, "stale_after_seconds": 600
    }  # fmt: skip
    send_email.enqueue("Subject", "Body", ["someone@example.org"])
    send_email.enqueue("Subject", "Body", ["someone@example.org"])
    body = client.get("/healthz/tasks").json()
    assert body["status"] == "ok" and body["waiting"] == 2 and body["oldest_waiting_seconds"] < 60
    DBTaskResult.objects.filter(pk=DBTaskResult.objects.order_by("enqueued_at").first().pk).update(
        enqueued_at=timezone.now() - dt.timedelta(minutes=11)
    )
    response = client.get("/healthz/tasks")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "stalled" and body["waiting"] == 2
    assert 660 <= body["oldest_waiting_seconds"] < 720

    # an e-mail queued again for later waits from when it may run, not from when it was queued
    DBTaskResult.objects.all().delete()
    retry = send_email.using(run_after=timezone.now() + dt.timedelta(seconds=1))
    retry.enqueue("Subject", "Body", ["someone@example.org"], 1)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(hours=12))
    assert client.get("/healthz/tasks").json()["waiting"] == 0  # not due yet
    DBTaskResult.objects.update(run_after=timezone.now() - dt.timedelta(seconds=5))
    body = client.get("/healthz/tasks").json()
    assert body["status"] == "ok" and body["waiting"] == 1 and body["oldest_waiting_seconds"] < 60


def test_healthz_503_when_database_is_down(tmp_path):
    """A real unreachable server: a process whose DATABASE_URL points at a closed port."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz', HTTP_HOST='localhost');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="mapapp.settings",
        DATABASE_URL="postgis://nobody:wrong@127.0.0.1:9/nothing",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert result["body"] == {"status": "error", "database": "unavailable"}


@pytest.mark.django_db
def test_security_txt_names_the_contact_once_it_is_set(client, settings):
    """RFC 9116: where to report a vulnerability, with the required Expires (under a year
    ahead) and the canonical address; no file, a 404, until a contact is configured."""
    import datetime as dt

    settings.SECURITY_CONTACT = []
    assert client.get("/.well-known/security.txt").status_code == 404
    settings.SECURITY_CONTACT = ["mailto:security@grants.example.org", "https://example.org/vd"]
    settings.SECURITY_POLICY_URL = "https://example.org/disclosure"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = [line.split(": ", 1) for line in response.content.decode().splitlines()]
    assert [v for k, v in fields if k == "Contact"] == [
        "mailto:security@grants.example.org", "https://example.org/vd"]  # fmt: skip
    named = dict(fields)
    expires = dt.datetime.fromisoformat(named["Expires"].replace("Z", "+00:00"))
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(days=30) < expires < now + dt.timedelta(days=365)
    assert named["Canonical"] == "http://testserver/.well-known/security.txt"
    assert named["Preferred-Languages"] == "en, pl, cs"  # settings.LANGUAGES
    assert named["Policy"] == "https://example.org/disclosure"
