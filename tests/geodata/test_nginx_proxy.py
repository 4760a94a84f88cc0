"""The deployment's nginx (deploy/nginx/wecreatespace.conf.in) in front of a live server: it
answers repeated public tiles from its cache, and never keeps a tile of a non-public layer,
an answer to a token holder, or anything else the app did not mark as public."""

import http.client
import math
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from bench.common import start_nginx
from geodata.models import Layer
from mapapp.models import Role
from tests.proposals.conftest import jpeg_bytes, make_user


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@pytest.fixture
def proxy(live_server, exchange_world):
    started = start_nginx(live_server.url.removeprefix("http://"))
    assert started, "nginx is missing: scripts/ensure-nginx.sh installs it (make test runs it)"
    proc, address = started
    yield address
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def get(address: str, path: str, headers=None) -> tuple[int, dict, bytes]:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_public_photos_are_served_by_the_proxy(live_server, settings, db):
    """With DEBUG off the app does not serve MEDIA_ROOT: the deployment's nginx does, and
    nothing else (private documents are in PRIVATE_MEDIA_ROOT, outside it)."""
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mapapp.images import process_image

    media = Path(tempfile.mkdtemp(prefix="wcs-media-"))
    media.chmod(0o755)  # nginx's workers run as nobody when the tests run as root
    settings.MEDIA_ROOT = media
    processed = process_image(SimpleUploadedFile("garden.jpg", jpeg_bytes()))
    name = default_storage.save(f"photos/2026/{processed.display.name}", processed.display)
    (settings.PRIVATE_MEDIA_ROOT / "consents").mkdir(parents=True, exist_ok=True)
    (settings.PRIVATE_MEDIA_ROOT / "consents/secret.pdf").write_bytes(b"%PDF-1.4 secret")
    started = start_nginx(live_server.url.removeprefix("http://"), media_root=media)
    assert started, "nginx is missing: scripts/ensure-nginx.sh installs it (make test runs it)"
    proc, address = started
    try:
        status, headers, body = get(address, default_storage.url(name))
        assert status == 200 and body == (media / name).read_bytes()
        assert headers["content-type"] == "image/jpeg"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "max-age=2592000"  # names never change
        # no folder listings; a private document is not under /media/ by any name
        for path in ("/media/", "/media/photos/", "/media/consents/secret.pdf",
                     "/media/private-media/consents/secret.pdf"):  # fmt: skip
            status, _, body = get(address, path)
            assert status in (403, 404) and b"secret" not in body, path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(media, ignore_errors=True)


def test_public_tiles_are_answered_from_the_cache(proxy, live_server):
    z, x, y = tile_at(16.175, 54.185, 14)
    path = f"/tiles/koszalin/proposals/{z}/{x}/{y}.mvt"
    status, headers, first = get(proxy, path)
    assert status == 200 and headers["x-cache-status"] == "MISS"
    assert headers["cache-control"].startswith("public")
    status, headers, again = get(proxy, path)
    assert status == 200 and headers["x-cache-status"] == "HIT" and again == first
    assert get(live_server.url.removeprefix("http://"), path)[2] == first  # what the app says
    # the filters are part of the address
    status, headers, _ = get(proxy, path + "?status=granted")
    assert headers["x-cache-status"] == "MISS"


def test_non_public_tiles_are_never_kept(proxy, client, exchange_world):
    hidden = Layer.objects.get(name="City land", is_current=True)
    assert not hidden.is_public
    z, x, y = tile_at(16.175, 54.185, 14)
    path = f"/tiles/koszalin/layer-city-land/{z}/{x}/{y}.mvt"
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=exchange_world)
    client.force_login(gis)
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    status, headers, body = get(proxy, path, cookie)
    assert status == 200 and body and headers["cache-control"].startswith("private")
    status, headers, _ = get(proxy, path, cookie)
    assert headers["x-cache-status"] == "MISS"  # asked of the app again: not kept
    status, headers, _ = get(proxy, path)  # nobody signed in: the app refuses, as it should
    assert status == 404


def test_token_holders_go_past_the_cache(proxy):
    z, x, y = tile_at(16.175, 54.185, 14)
    path = f"/tiles/koszalin/sites/{z}/{x}/{y}.mvt"
    get(proxy, path)
    assert get(proxy, path)[1]["x-cache-status"] == "HIT"
    status, headers, _ = get(proxy, path, {"Authorization": "Token abc"})
    assert headers["x-cache-status"] == "BYPASS"


def test_the_maps_lookups_are_limited_per_address_and_nothing_else_is(proxy):
    """ "Find a place" and "where is the cross" answer each search and map move: nginx
    limits them per client address (bursts of 40, then 10 a second), with a JSON 429 and
    Retry-After, and leaves the other paths alone (the app limits what people write)."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:  # a script's pace, far past 10 a second
        answers = list(pool.map(lambda _: get(proxy, "/koszalin/places/?q=park"), range(160)))
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {200, 429} and statuses.count(200) >= 40  # the burst passes
    status, headers, body = answers[statuses.index(429)]
    assert headers["retry-after"] == "1" and headers["content-type"] == "application/json"
    assert "Too many requests" in json.loads(body)["detail"]
    # the other lookup is limited too (the app's own answer there is a 400: no lon/lat)
    with ThreadPoolExecutor(8) as pool:
        assert 429 in set(pool.map(lambda _: get(proxy, "/koszalin/place/")[0], range(160)))
    path = "/api/v1/koszalin/proposals/?limit=1"
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda _: get(proxy, path)[0], range(160))) == {200}


def _post_large(address, path, session, field, megabytes=60):
    """POST a file of `megabytes` through nginx as the form on `path` would, with its CSRF
    token; returns (status, body)."""
    import re

    status, headers, form = get(address, path, {"Cookie": session})
    assert status == 200, (path, status)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1).decode()
    csrf = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
    boundary = "wcs-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="big.txt"'
        f"\r\nContent-Type: text/plain\r\n\r\n".encode()
        + b"x" * (megabytes * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("POST", path, body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": f"{session}; csrftoken={csrf}"})  # fmt: skip
    response = conn.getresponse()
    answer = (response.status, response.read())
    conn.close()
    return answer


def test_large_uploads_pass_where_the_app_takes_them_and_nowhere_else(
    live_server, transactional_db
):
    """nginx refuses bodies over 50 MB (deploy/nginx), except where the app takes larger
    files with its own limits and messages: the officers' import of past projects
    (PROJECT_IMPORT_MAX_BYTES each) and the layer uploads of the admin and the API
    (200 MB)."""
    from django.test import Client

    from mapapp.demo import load_demo_cities
    from mapapp.models import User

    ostrava = {c.slug: c for c in load_demo_cities()}["ostrava"]
    officer, admin = Client(), Client()
    officer.force_login(make_user("referent@example.org", Role.PROGRAMME_OFFICER, city=ostrava))
    admin.force_login(User.objects.create_superuser(email="root@example.org", password="x" * 20))
    started = start_nginx(live_server.url.removeprefix("http://"))
    assert started, "nginx is missing: scripts/ensure-nginx.sh installs it (make test runs it)"
    proc, address = started
    as_officer = f"sessionid={officer.cookies['sessionid'].value}"
    as_admin = f"sessionid={admin.cookies['sessionid'].value}"
    try:
        status, page = _post_large(address, "/ostrava/interventions/import/", as_officer, "data")
        assert status == 400 and b"big.txt" in page  # the app read it and said what is wrong
        status, page = _post_large(address, "/admin/geodata/layer/upload/", as_admin, "file")
        assert status == 400 and b"Unsupported file type" in page
        status, _page = _post_large(address, "/ostrava/sites/report/", as_officer, "photos")
        assert status == 413  # nginx's limit elsewhere
        # the REST API's layer import, with a GIS token instead of a form's CSRF token
        from mapapp.services import api_token_issue

        gis = make_user("gis@example.org", Role.GIS_STAFF, city=ostrava)
        key = api_token_issue(user=gis, can_import=True).key
        boundary = "wcs-boundary"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        body += b"x" * (60 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
        host, port = address.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("POST", "/api/v1/ostrava/layers/imports/", body=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Token {key}"})  # fmt: skip
        response = conn.getresponse()
        said = response.read()
        conn.close()
        assert response.status == 400 and b"Unsupported file type" in said  # the app's word
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
