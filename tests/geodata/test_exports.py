"""Exports of every collection as GeoJSON, GeoPackage, zipped Shapefile and CSV, in a chosen
CRS, streamed or as a background job run by the real task worker."""

import csv
import html
import io
import json
import os
import re
import zipfile
from datetime import date

import geopandas
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from geodata.models import ExportJob
from mapapp.models import City, Role
from proposals.models import Proposal
from tests import support
from tests.proposals.conftest import make_user

EXPORT = "/api/v1/koszalin/export/"


def public_ids():
    return set(
        Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).values_list("id", flat=True)
    )


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_geojson_is_streamed_with_every_public_feature(client, exchange_world):
    r = client.get(EXPORT + "proposals/", {"format": "geojson"})
    assert r.status_code == 200 and r.streaming
    today = City.objects.get(slug="koszalin").local_date().isoformat()
    assert r["Content-Disposition"] == f'attachment; filename="koszalin-proposals-{today}.geojson"'
    doc = json.loads(content(r))
    assert {f["id"] for f in doc["features"]} == public_ids()
    assert "crs" not in doc
    text = json.dumps(doc)
    assert "+48 600" not in text and "contact_phone" not in text


def test_csv_in_the_city_metric_crs(client, exchange_world):
    r = client.get(EXPORT + "proposals/", {"format": "csv", "crs": "EPSG:2180"})
    rows = list(csv.DictReader(io.StringIO(content(r).decode("utf-8-sig"))))
    assert {int(row["id"]) for row in rows} == public_ids()
    assert {"title", "status", "wkt", "lon", "lat"} <= set(rows[0])
    to_2180 = Transformer.from_crs(4326, 2180, always_xy=True)
    for row in rows:
        geom = shapely.from_wkt(row["wkt"])
        if geom.geom_type == "Point":
            x, y = to_2180.transform(float(row["lon"]), float(row["lat"]))
            # lon/lat carry 6 decimals (~0.1 m); easting first
            assert (geom.x, geom.y) == pytest.approx((x, y), abs=0.15)


@pytest.mark.parametrize("srid", [5514, 3857, 32633])
def test_geopackage_in_any_epsg(client, exchange_world, tmp_path, srid):
    r = client.get(EXPORT + "proposals/", {"format": "gpkg", "crs": f"EPSG:{srid}"})
    assert r.status_code == 200
    path = tmp_path / "out.gpkg"
    path.write_bytes(content(r))
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == srid
    assert set(frame["id"]) == public_ids()
    p = Proposal.objects.filter(status="granted", area__isnull=True).first()
    got = frame[frame["id"] == p.pk].geometry.iloc[0]
    x, y = Transformer.from_crs(4326, srid, always_xy=True).transform(p.geom.x, p.geom.y)
    assert (got.x, got.y) == pytest.approx((x, y), abs=0.05)


def test_zipped_shapefile_splits_points_and_polygons(client, exchange_world, tmp_path):
    r = client.get(EXPORT + "proposals/", {"format": "shp", "crs": "EPSG:2180"})
    path = tmp_path / "out.zip"
    path.write_bytes(content(r))
    names = zipfile.ZipFile(path).namelist()
    assert "koszalin_proposals_points.shp" in names
    assert "koszalin_proposals_polygons.shp" in names and "columns.txt" in names
    points = geopandas.read_file(f"zip://{path}!koszalin_proposals_points.shp")
    polygons = geopandas.read_file(f"zip://{path}!koszalin_proposals_polygons.shp")
    assert len(points) + len(polygons) == 37 and len(polygons) == 10
    assert "support_co" in points.columns  # cut to 10 characters, listed in columns.txt
    assert polygons.crs.to_epsg() == 2180
    assert points["title"].str.contains("<b>&</b>", regex=False).all()  # text kept as is


def test_filters_apply_to_exports(client, exchange_world):
    r = client.get(EXPORT + "proposals/", {"format": "geojson", "status": "granted"})
    statuses = {f["properties"]["status"] for f in json.loads(content(r))["features"]}
    assert statuses == {"granted"}
    r = client.get(EXPORT + "sites/", {"format": "csv", "bbox": "16.16,54.18,16.20,54.20"})
    assert 0 < len(content(r).decode("utf-8-sig").strip().splitlines()) - 1 < 14


@pytest.mark.parametrize(
    "params, words",
    [
        ({"format": "kml"}, "format"),
        ({"format": "geojson", "crs": "EPSG:2180"}, "RFC 7946"),
        ({"format": "gpkg", "crs": "EPSG:99999999"}, "unknown EPSG"),
        ({"format": "csv", "colour": "red"}, "Unknown query parameter"),
        ({"format": "csv", "status": "draft"}, "status"),
    ],
)
def test_bad_export_requests_answer_400(client, exchange_world, params, words):
    r = client.get(EXPORT + "proposals/", params)
    assert r.status_code == 400
    assert words in r.json()["detail"]


def test_non_public_layers_export_for_gis_staff_only(client, exchange_world):
    assert client.get(EXPORT + "layer-city-land/", {"format": "csv"}).status_code == 404
    client.force_login(make_user("gis@example.org", Role.GIS_STAFF, city=exchange_world))
    r = client.get(EXPORT + "layer-city-land/", {"format": "csv"})
    assert r.status_code == 200 and b"City land" not in content(r)[:3]


def run_worker():
    """The real task worker (django-tasks-db's db_worker) against the test database."""
    support.run_worker(PRIVATE_MEDIA_ROOT=str(_private_root()))


def _private_root():
    from django.conf import settings

    return settings.PRIVATE_MEDIA_ROOT


@pytest.mark.django_db(transaction=True)
def test_large_exports_run_in_the_background_with_progress(
    client, exchange_world, settings, tmp_path
):
    settings.EXPORT_SYNC_MAX = 10
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    r = client.get(EXPORT + "proposals/", {"format": "gpkg", "crs": "EPSG:2180"})
    assert r.status_code == 302
    job = ExportJob.objects.get()
    assert r["Location"] == f"/koszalin/exports/{job.pk}/"
    page = client.get(r["Location"])
    assert b'http-equiv="refresh"' in page.content and job.state == "queued"
    assert client.get(f"/koszalin/exports/{job.pk}/download").status_code == 404

    run_worker()

    job.refresh_from_db()
    assert job.state == "done", job.error
    assert (job.done, job.total) == (37, 37)
    status = client.get(f"/koszalin/exports/{job.pk}/", {"f": "json"}).json()
    assert status["percent"] == 100 and status["download"].endswith("/download")
    got = client.get(f"/koszalin/exports/{job.pk}/download")
    assert got["Content-Disposition"].endswith('.gpkg"')
    path = tmp_path / "job.gpkg"
    path.write_bytes(b"".join(got.streaming_content))
    frame = pyogrio.read_dataframe(path)
    assert set(frame["id"]) == public_ids() and frame.crs.to_epsg() == 2180


def test_export_files_are_removed_after_the_keep_time(
    client, exchange_world, settings, django_capture_on_commit_callbacks
):
    """Background exports do not fill the disk over the years: apply_retention removes their
    files EXPORT_KEEP_DAYS after they were written, and the job then says so."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    settings.EXPORT_KEEP_DAYS = 3
    with django_capture_on_commit_callbacks(execute=True):
        r = client.get(
            EXPORT + "sites/",
            {
                "format": "gpkg",
                "background": "1",
                "bbox": "16.16,54.18,16.20,54.20",
                "crs": "EPSG:2180",
            },
        )
    job = ExportJob.objects.get()
    assert r.status_code == 302 and job.state == "done"
    page = client.get(r["Location"]).content.decode()
    assert 'id="export-download"' in page and 'id="export-until"' in page
    status = client.get(r["Location"], {"f": "json"}).json()
    until = dt.datetime.fromisoformat(status["available_until"])
    assert until == job.finished_at + dt.timedelta(days=3) and not status["expired"]
    path = job.file.path
    assert os.path.exists(path)

    def retention(*args) -> str:
        out = io.StringIO()
        call_command("apply_retention", *args, stdout=out)
        return out.getvalue()

    assert "0 export files" in retention()  # not due yet
    ExportJob.objects.update(finished_at=timezone.now() - dt.timedelta(days=3, minutes=1))
    assert "due:" in (dry := retention("--dry-run")) and "1 export files" in dry
    assert os.path.exists(path)  # a dry run removes nothing
    assert "1 export files" in retention()
    job.refresh_from_db()
    assert not os.path.exists(path) and not job.file and job.state == "done"

    page = client.get(r["Location"]).content.decode()
    assert 'data-state="expired"' in page and 'id="export-download"' not in page
    assert "kept for 3 days" in page
    status = client.get(r["Location"], {"f": "json"}).json()
    assert status["expired"] and status["download"] is None and status["available_until"] is None
    gone = client.get(f"{r['Location']}download")
    assert gone.status_code == 410 and b"kept for 3 days" in gone.content
    assert "0 export files" in retention()  # nothing left to remove

    # "Export again": the same collection, filters, format and CRS, as a new job
    again = re.search(r'id="export-again" href="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        r2 = client.get(html.unescape(again))
    new = ExportJob.objects.exclude(pk=job.pk).get()
    assert r2["Location"] == f"/koszalin/exports/{new.pk}/" and new.state == "done"
    assert (new.collection, new.format, new.srid) == ("sites", "gpkg", 2180)
    assert new.query == job.query and new.query["bbox"] == "16.16,54.18,16.20,54.20"


def test_exports_page_links_every_collection_and_format(client, exchange_world):
    html = client.get("/koszalin/exports/").content.decode()
    for collection in ("proposals", "sites", "interventions", "layer-parks"):
        for fmt in ("geojson", "gpkg", "shp", "csv"):
            assert f"/api/v1/koszalin/export/{collection}/?format={fmt}" in html
    assert "layer-city-land" not in html
    assert "/ogcapi/koszalin/" in html


def test_awkward_text_survives_the_streams(client, exchange_world):
    tricky = 'A "quoted" \\ back\nslash, comma; tab\t and \x01 control <b>&</b>'
    p = Proposal.objects.filter(status="granted").first()
    p.title = tricky
    p.save()
    doc = json.loads(content(client.get(EXPORT + "proposals/", {"format": "geojson"})))
    assert next(f for f in doc["features"] if f["id"] == p.pk)["properties"]["title"] == tricky
    rows = csv.DictReader(io.StringIO(content(client.get(EXPORT + "proposals/", {
        "format": "csv"})).decode("utf-8-sig")))  # fmt: skip
    assert next(r for r in rows if int(r["id"]) == p.pk)["title"] == tricky


def test_a_job_its_worker_lost_says_so_and_offers_to_export_again(
    client, exchange_world, settings, django_capture_on_commit_callbacks, koszalin
):
    """A worker that is down (or died during the export) leaves a job queued or running: after
    EXPORT_STUCK_SECONDS without a word from it, the page stops waiting and says so."""
    import datetime as dt

    from django.utils import timezone

    settings.EXPORT_STUCK_SECONDS = 600
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker
    with django_capture_on_commit_callbacks(execute=True):
        r = client.get(EXPORT + "proposals/", {"format": "shp", "background": "1"})
    job = ExportJob.objects.get()
    url = r["Location"]

    def page() -> str:
        return client.get(url).content.decode()

    assert job.state == "queued" and 'http-equiv="refresh"' in page()  # still waiting
    client.cookies["django_language"] = "pl"  # the collection named in the page's language
    assert "<h1>Eksport: Propozycje (shp, EPSG:4326)</h1>" in page()
    client.cookies["django_language"] = "en"
    assert not client.get(url, {"f": "json"}).json()["stuck"]

    ExportJob.objects.update(created_at=timezone.now() - dt.timedelta(minutes=11))
    # queued that long behind another task that a working worker has just started: waiting
    from django_tasks_db.models import DBTaskResult

    from mapapp.tasks import send_email

    other = send_email.enqueue("Subject", "Body", ["someone@example.org"])
    DBTaskResult.objects.filter(pk=other.id).update(status="RUNNING", started_at=timezone.now())
    assert 'id="export-stuck"' not in page()
    DBTaskResult.objects.filter(pk=other.id).delete()  # and no worker for 11 minutes
    html = page()
    assert 'id="export-stuck"' in html and "has not started" in html
    assert 'http-equiv="refresh"' not in html and 'id="export-again"' in html
    assert client.get(url, {"f": "json"}).json()["stuck"]

    # a worker that reported a minute ago is working; one silent for 11 minutes died
    ExportJob.objects.update(state="running", heartbeat_at=timezone.now() - dt.timedelta(minutes=1))
    assert 'id="export-stuck"' not in page()
    ExportJob.objects.update(heartbeat_at=timezone.now() - dt.timedelta(minutes=11))
    assert "This export stopped" in page()


def test_the_worker_reports_while_it_writes(
    client, exchange_world, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(EXPORT + "sites/", {"format": "gpkg", "background": "1"})
    job = ExportJob.objects.get()
    assert job.state == "done" and before <= job.heartbeat_at <= job.finished_at


@pytest.mark.django_db(transaction=True)
def test_the_whole_city_in_one_geopackage_read_by_ogrinfo(client, exchange_world, tmp_path):
    """GIS staff take everything into QGIS at once: the boundary and a layer per collection
    in one GeoPackage, in the chosen CRS, built by the real task worker; GDAL's ogrinfo lists
    the same layers and feature counts as the database. Anyone gets the public layers; GIS
    staff also the non-public ones their role allows, in a job only they can open."""
    import subprocess

    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page = client.get("/koszalin/exports/").content.decode()
    assert 'href="/api/v1/koszalin/export/all/?format=gpkg&amp;crs=EPSG:2180"' in page
    r = client.get(EXPORT + "all/", {"format": "gpkg", "crs": "EPSG:2180"})
    assert r.status_code == 302
    run_worker()
    job = ExportJob.objects.get()
    assert job.state == "done" and job.collection == "all", job.error
    got = client.get(f"/koszalin/exports/{job.pk}/download")
    today = City.objects.get(slug="koszalin").local_date().isoformat()
    assert got["Content-Disposition"].endswith(f'koszalin-all-{today}.gpkg"')
    path = tmp_path / "all.gpkg"
    path.write_bytes(b"".join(got.streaming_content))
    report = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    counts = dict(re.findall(r"Layer name: (\w+).*?Feature Count: (\d+)", report, re.S))
    assert counts == {
        "koszalin_boundary": "1", "koszalin_proposals": str(len(public_ids())),
        "koszalin_sites": "14", "koszalin_interventions": "5",
        "koszalin_layer_parks": "1",
    }  # fmt: skip
    assert (job.done, job.total) == (37 + 14 + 5 + 1, 37 + 14 + 5 + 1)
    assert report.count('ID["EPSG",2180]') >= 5  # every layer in the chosen CRS
    assert "+48 600" not in path.read_bytes().decode("latin-1")  # no contact details

    client.force_login(make_user("gis-all@example.org", Role.GIS_STAFF, city=exchange_world))
    r = client.get(EXPORT + "all/", {"format": "gpkg", "crs": "EPSG:2180"})
    run_worker()
    staff_job = ExportJob.objects.exclude(pk=job.pk).get()
    assert staff_job.state == "done" and staff_job.total == job.total + 1  # "City land"
    client.logout()
    assert client.get(f"/koszalin/exports/{staff_job.pk}/").status_code == 404
    assert client.get(f"/koszalin/exports/{job.pk}/").status_code == 200


@pytest.mark.parametrize(
    "params, words",
    [({"format": "shp"}, "one GeoPackage"), ({"format": "gpkg", "status": "granted"},
      "crs and bbox only"), ({"format": "gpkg", "crs": "EPSG:99999999"}, "crs")],
)  # fmt: skip
def test_the_whole_city_takes_a_geopackage_a_crs_and_a_box_only(
    client, exchange_world, params, words
):
    r = client.get(EXPORT + "all/", params)
    assert r.status_code == 400 and words in r.json()["detail"]
    assert not ExportJob.objects.exists()


def test_a_files_name_carries_the_day_by_the_citys_clock(client, exchange_world):
    """Not the machine's: a city whose day differs from the server's right now (one of the
    zones at the ends of the world always does) names its export by its own day."""
    city = City.objects.get(slug="koszalin")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        city.time_zone = zone
        if city.local_date() != date.today():
            break
    City.objects.filter(pk=city.pk).update(time_zone=city.time_zone)
    r = client.get(EXPORT + "proposals/", {"format": "csv"})
    name = f"koszalin-proposals-{city.local_date().isoformat()}.csv"
    assert r["Content-Disposition"] == f'attachment; filename="{name}"'
    assert date.today().isoformat() not in r["Content-Disposition"]
    content(r)
