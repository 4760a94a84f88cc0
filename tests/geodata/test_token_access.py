"""An API token opens, to QGIS, GDAL and scripts, what its holder's role may read in every
way GIS staff take data: the REST API, OGC API - Features, vector tiles, exports and their
jobs. A refused token (unknown, ended) is a 401 that says why, everywhere; an ended token
is one older than API_TOKEN_DAYS."""

import datetime as dt
import json
import math

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from geodata.models import ExportJob
from mapapp.models import Role
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db

HIDDEN = "layer-city-land"
TILE = f"/tiles/koszalin/{HIDDEN}/0/0/0.mvt"  # the world's one tile at zoom 0


def _tile_of(point: list[float], z: int = 14) -> str:
    """The tile (XYZ) with this lon/lat in it, as web maps number them."""
    lon, lat = point
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/koszalin/{HIDDEN}/{z}/{x}/{y}.mvt"


@pytest.fixture
def gis_token(exchange_world):
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=exchange_world)
    return Token.objects.create(user=gis)


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def _collections(client, **headers) -> list[str]:
    r = client.get("/ogcapi/koszalin/collections", {"f": "json"}, **headers)
    assert r.status_code == 200 and "Authorization" in r["Vary"]
    return [c["id"] for c in r.json()["collections"]]


def test_a_token_reads_non_public_layers_in_ogc_api_tiles_and_exports(
    client, gis_token, django_capture_on_commit_callbacks
):
    auth = _auth(gis_token.key)
    assert HIDDEN not in _collections(client)
    assert HIDDEN in _collections(client, **auth)
    items = client.get(f"/ogcapi/koszalin/collections/{HIDDEN}/items", {"f": "json"}, **auth)
    assert items.status_code == 200 and items.json()["numberReturned"] > 0
    assert client.get(f"/ogcapi/koszalin/collections/{HIDDEN}/items").status_code == 404

    ring = items.json()["features"][0]["geometry"]["coordinates"]
    while isinstance(ring[0][0], list):  # down to the first ring's points
        ring = ring[0]
    tile_url = _tile_of(ring[0])
    tile = client.get(tile_url, **auth)
    assert tile.status_code == 200 and len(tile.content) > 0
    assert tile["Cache-Control"].startswith("private")  # never kept by nginx for others
    assert client.get(tile_url).status_code == 404

    export = f"/api/v1/koszalin/export/{HIDDEN}/"
    got = client.get(export, {"format": "geojson"}, **auth)
    assert got.status_code == 200
    features = json.loads(b"".join(got.streaming_content))["features"]
    assert len(features) == items.json()["numberMatched"]
    assert client.get(export, {"format": "geojson"}).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):  # the tests' backend runs it
        queued = client.get(export, {"format": "gpkg", "background": "1"}, **auth)
    assert queued.status_code == 302
    job = ExportJob.objects.get()
    assert job.requested_by_id == gis_token.user_id and job.state == "done", job.error
    state = client.get(queued["Location"], {"f": "json"}, **auth).json()
    assert state["state"] == "done"
    download = client.get(f"/koszalin/exports/{job.pk}/download", **auth)
    assert download.status_code == 200 and download["Content-Disposition"].endswith('.gpkg"')
    assert b"".join(download.streaming_content).startswith(b"SQLite format 3")
    assert client.get(f"/koszalin/exports/{job.pk}/download").status_code == 404  # not theirs


def test_an_unknown_token_is_refused_everywhere_with_a_reason(client, exchange_world):
    bad = _auth("0" * 40)
    for url, error in [
        ("/api/v1/koszalin/layers/", "detail"),
        ("/ogcapi/koszalin/collections", "description"),
        ("/ogcapi/koszalin/", "description"),
        (TILE, "detail"),
        ("/api/v1/koszalin/export/proposals/?format=geojson", "detail"),
    ]:
        r = client.get(url, **bad)
        assert r.status_code == 401, url
        assert r["WWW-Authenticate"] == "Token", url
        assert r.json()[error], url
    # without any token the public data stays open
    assert client.get("/ogcapi/koszalin/collections").status_code == 200


def test_an_ended_token_is_refused_saying_when_and_where_to_make_another(
    client, gis_token, settings
):
    settings.LANGUAGE_CODE = "en"
    settings.API_TOKEN_DAYS = 365
    auth = _auth(gis_token.key)
    Token.objects.filter(pk=gis_token.pk).update(
        created=timezone.now() - dt.timedelta(days=364, hours=23)
    )
    assert client.get("/api/v1/koszalin/layers/", **auth).status_code == 200  # a last hour
    assert HIDDEN in _collections(client, **auth)
    Token.objects.filter(pk=gis_token.pk).update(
        created=timezone.now() - dt.timedelta(days=365, minutes=1)
    )
    rest = client.get("/api/v1/koszalin/layers/", **auth)
    assert rest.status_code == 401
    assert "ended on" in rest.json()["detail"] and "/me/token/" in rest.json()["detail"]
    ogc = client.get("/ogcapi/koszalin/collections", {"f": "json"}, **auth)
    assert ogc.status_code == 401 and ogc.json()["code"] == "Unauthorized"
    assert "/me/token/" in ogc.json()["description"]
    assert client.get(TILE, **auth).status_code == 401
    settings.API_TOKEN_DAYS = 0  # a deployment whose tokens do not end
    assert client.get("/api/v1/koszalin/layers/", **auth).status_code == 200
