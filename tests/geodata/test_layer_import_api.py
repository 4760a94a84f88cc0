"""GIS staff send layer files to the REST API for import (scripts that keep the city's
layers in step with its own GIS): the admin upload's checks and importer, a background job
to follow, the city's GIS staff only."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from geodata.models import ImportJob, Layer
from mapapp.models import Role
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db
RYNEK = (16.1817, 54.1903)


def _addresses() -> SimpleUploadedFile:
    features = [
        {"type": "Feature", "properties": {"ulica": street, "numer": number},
         "geometry": {"type": "Point", "coordinates": [RYNEK[0] + i * 0.001, RYNEK[1]]}}
        for i, (street, number) in enumerate([("Zwycięstwa", 105), ("Rynek Staromiejski", 1)])
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return SimpleUploadedFile("punkty.geojson", data, "application/geo+json")


@pytest.fixture
def gis(koszalin):
    from mapapp.services import api_token_issue

    user = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    return {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=user, can_import=True).key}"}


def test_gis_staff_send_a_layer_and_follow_its_import(
    client, gis, koszalin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the worker takes it
        sent = client.post("/api/v1/koszalin/layers/imports/", {
            "file": _addresses(), "kind": "address", "name": "Punkty adresowe",
            "name_format": "{ulica} {numer}", "public": "false", "source": "PRG",
        }, **gis)  # fmt: skip
    assert sent.status_code == 202
    job = sent.json()
    assert sent["Location"] == job["url"] and job["state"] == "queued"
    followed = client.get(job["url"], **gis)
    assert followed.status_code == 200 and followed["Cache-Control"] == "no-store"
    done = followed.json()
    assert done["state"] == "done" and "imported 2" in done["summary"] and not done["error"]
    layer = Layer.objects.get(pk=done["layer"]["id"])
    assert (layer.kind, layer.name, layer.source, layer.is_public) == (
        "address", "Punkty adresowe", "PRG", False)  # fmt: skip
    assert sorted(layer.features.values_list("name", flat=True)) == [
        "Rynek Staromiejski 1", "Zwycięstwa 105"]  # fmt: skip
    assert client.get(done["layer"]["url"], **gis).status_code == 200  # GIS staff read it
    assert client.get(done["layer"]["url"]).status_code == 404  # not public
    assert not ImportJob.objects.get(pk=job["id"]).file  # the upload is gone once read


def test_a_refused_file_or_form_says_why_and_keeps_nothing(
    client, gis, koszalin, django_capture_on_commit_callbacks
):
    url = "/api/v1/koszalin/layers/imports/"
    bad = client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ"), "kind": "nowhere",
                            "public": "perhaps", "name_format": "{ulica"}, **gis)  # fmt: skip
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert set(errors) == {"file", "kind", "public", "name_format"}
    assert "Unsupported file type" in errors["file"][0]
    assert client.post(url, {"kind": "park"}, **gis).json()["errors"]["file"]
    assert ImportJob.objects.count() == 0


def _collection(name: str, features: list) -> SimpleUploadedFile:
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return SimpleUploadedFile(name, data, "application/geo+json")


def test_what_the_file_itself_shows_is_refused_at_once(client, gis, settings):
    """What the importer would surely refuse, read from the file's description (CRS,
    geometry type, columns, count), is a 400 by the field at fault, and no job is made."""
    settings.LANGUAGE_CODE = "en"
    url = "/api/v1/koszalin/layers/imports/"

    def refused(data) -> dict:
        r = client.post(url, data, **gis)
        assert r.status_code == 400, r.content
        return r.json()["errors"]

    points = refused({"file": _addresses(), "kind": "park"})
    assert points["kind"] == [
        "The file holds Point geometry; this kind of layer needs Polygon / MultiPolygon."
    ]
    broken = refused({"file": SimpleUploadedFile("x.geojson", b"{not json"), "kind": "park"})
    assert broken["file"][0].startswith("GDAL cannot read this file")
    empty = refused({"file": _collection("empty.geojson", []), "kind": "address"})
    assert empty["file"] == ["The file has no features."]
    other = refused({"file": _addresses(), "kind": "address", "srid": "2180"})
    assert other["srid"] == ["The file declares EPSG:4326, not EPSG:2180."]
    csv = SimpleUploadedFile("pts.csv", b'WKT,name\n"POINT (16.18 54.19)",a\n', "text/csv")
    assert refused({"file": csv, "kind": "address"})["srid"] == [
        "The file declares no CRS: give its EPSG code."]  # fmt: skip
    columns = refused({"file": _addresses(), "kind": "address", "name_format": "{street}"})
    assert columns["name_format"] == [
        "No such column: street. The file's columns: ulica, numer."]  # fmt: skip
    assert ImportJob.objects.count() == 0 and not Layer.objects.exists()


def test_what_needs_every_feature_read_is_the_jobs_to_refuse(
    client, gis, django_capture_on_commit_callbacks
):
    bowtie = [[16.18, 54.19], [16.19, 54.20], [16.19, 54.19], [16.18, 54.20], [16.18, 54.19]]
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/api/v1/koszalin/layers/imports/", {
            "file": _collection("bow.geojson", [{"type": "Feature", "properties": {},
                                "geometry": {"type": "Polygon", "coordinates": [bowtie]}}]),
            "kind": "park"}, **gis)  # fmt: skip
    assert sent.status_code == 202
    failed = client.get(sent.json()["url"], **gis).json()
    assert failed["state"] == "failed" and "invalid or empty geometry" in failed["error"]
    assert failed["layer"] is None and not Layer.objects.exists()


def test_only_the_citys_gis_staff(client, koszalin, ostrava, gis):
    url = "/api/v1/koszalin/layers/imports/"
    assert client.post(url, {"kind": "park"}).status_code == 401
    for email, role, city in (("res@example.org", Role.RESIDENT, koszalin),
                              ("officer@example.org", Role.PROGRAMME_OFFICER, koszalin),
                              ("gis2@example.org", Role.GIS_STAFF, ostrava)):  # fmt: skip
        token = Token.objects.create(user=make_user(email, role, city=city)).key
        r = client.post(url, {"file": _addresses(), "kind": "park"},
                        HTTP_AUTHORIZATION=f"Token {token}")  # fmt: skip
        assert r.status_code == 403, email
    job = ImportJob.objects.create(city=ostrava, kind="park", filename="x.geojson")
    assert client.get(f"/api/v1/koszalin/layers/imports/{job.pk}/", **gis).status_code == 404
    assert client.get(f"/api/v1/ostrava/layers/imports/{job.pk}/", **gis).status_code == 403
    assert ImportJob.objects.count() == 1


def test_a_token_sends_layers_only_when_made_to(client, koszalin, settings):
    """Tokens read; one made to, by GIS staff, also imports: a token kept in a QGIS project
    that leaks cannot change the city's layers."""
    from mapapp.services import api_token_issue

    settings.LANGUAGE_CODE = "en"
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    url = "/api/v1/koszalin/layers/imports/"
    reads = {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=gis).key}"}
    refused = client.post(url, {"file": _addresses(), "kind": "address"}, **reads)
    assert refused.status_code == 403 and "only reads" in refused.json()["detail"]
    assert "/me/token/" in refused.json()["detail"]
    assert client.get("/api/v1/koszalin/layers/", **reads).status_code == 200  # it reads
    Token.objects.filter(user=gis).delete()
    made_by_admin = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=gis).key}"}
    assert client.post(url, {"file": _addresses(), "kind": "address"},
                       **made_by_admin).status_code == 403  # fmt: skip
    imports = {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=gis, can_import=True).key}"}
    assert client.post(url, {"file": _addresses(), "kind": "address"}, **imports).status_code == 202
    client.force_login(gis)  # signed in, the person is not held to a token's scope
    assert client.post(url, {"file": _addresses(), "kind": "address"}).status_code == 202
    assert ImportJob.objects.count() == 2
