"""Officers import completed projects through the web: a data file and a zip of photos
uploaded on /<city>/interventions/import/, checked at once (type, size, the zip's listing),
imported by the task worker with the command's importer, the job's page following it, each
refused row listed by number in the officer's language. Nothing half-saved, the uploads
deleted once read."""

import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mapapp.models import Role
from sites.models import Intervention, ProjectImport
from tests.proposals.conftest import make_user
from tests.sites.test_import_interventions import BAD, GOOD, _photos, _write

pytestmark = pytest.mark.django_db
URL = "/ostrava/interventions/import/"
# the command's defaults: the web form maps nothing, the file uses the documented names
ROWS = [
    {"title": g["nazev"], "completed": g["rok"], "category": g["druh"], "cost": g["naklady"],
     "ref": str(g["cislo"]), "geometry": g["geometry"]}
    for g in GOOD
]  # fmt: skip
BAD_ROWS = [
    {"title": b["nazev"], "completed": b["rok"], "category": b["druh"], "cost": b["naklady"],
     "ref": str(b["cislo"]), "geometry": b["geometry"]}
    for b in BAD
]  # fmt: skip


@pytest.fixture
def officer(ostrava, client):
    user = make_user("referent@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    client.force_login(user)
    return user


def _zip(files: dict, name="foto.zip") -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/zip")


def _upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def _post(client, capture, data, photos=None, **options):
    form = {"data": data, "sustainability_months": 24, **options}
    if photos is not None:
        form["photos"] = photos
    with capture(execute=True):  # the task runs when the upload commits (tests run it at once)
        return client.post(URL, form)


def test_an_officer_imports_a_file_with_its_photos_and_follows_the_job(
    client, officer, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    from PIL import Image

    from mapapp.models import AuditEvent

    _photos(tmp_path / "foto", **{"a.jpg": "gray", "b.jpg": "green"})
    rows = [
        {
            **ROWS[0],
            "before_photos": "foto/a.jpg",
            "after_photos": "foto/b.jpg",
            "photo_captions": "Od silnice",
        },
        {**ROWS[1], "before_photos": None, "after_photos": None, "photo_captions": None},
    ]
    data = _write(tmp_path / "hotove.gpkg", rows)  # EPSG:5514, as Ostrava's GIS has it
    photos = _zip({f"foto/{n}": (tmp_path / "foto" / n).read_bytes() for n in ("a.jpg", "b.jpg")})
    r = _post(client, django_capture_on_commit_callbacks, _upload(data), photos, id_field="ref")

    job = ProjectImport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"{URL}{job.pk}/"
    assert job.state == "done" and job.requested_by == officer and job.refused == []
    assert job.counts == {"read": 2, "created": 2, "updated": 0, "pairs_added": 1,
                          "pairs_kept": 0, "pairs_removed": 0}  # fmt: skip
    assert not job.data and not job.photos  # the uploads were deleted once read
    garden = Intervention.objects.get(title="Komunitní zahrada", city=ostrava)
    assert garden.source_ref == "1" and garden.sustainability_ends_on.year == 2023
    pair = garden.pairs.get()
    assert pair.caption == "Od silnice"
    with Image.open(pair.before.path) as stored:
        assert not stored.getexif()  # re-encoded, no GPS
    page = client.get(r["Location"]).content.decode()
    assert "Read 2 rows: 2 new projects, 0 updated." in page and "refresh" not in page
    assert "Photo pairs: 1 new, 0 kept, 0 removed." in page
    status = client.get(r["Location"] + "?f=json").json()
    assert status["state"] == "done" and status["counts"]["created"] == 2
    actions = set(AuditEvent.objects.filter(actor=officer).values_list("action", flat=True))
    assert {"intervention.import.queued", "intervention.import"} <= actions

    # the corrected file again: the same projects updated, the pair kept, nothing twice
    r = _post(client, django_capture_on_commit_callbacks, _upload(data), _zip(
        {f"foto/{n}": (tmp_path / "foto" / n).read_bytes() for n in ("a.jpg", "b.jpg")}),
        id_field="ref")  # fmt: skip
    again = ProjectImport.objects.exclude(pk=job.pk).get()
    assert again.counts["updated"] == 2 and again.counts["pairs_kept"] == 1
    assert Intervention.objects.filter(city=ostrava).count() == 2
    listing = client.get(URL).content.decode()
    assert listing.count("hotove.gpkg") == 2 and f"{URL}{again.pk}/" in listing


def test_one_zip_with_the_data_file_and_its_photos_or_a_zipped_shapefile(
    client, officer, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    _photos(tmp_path / "foto", **{"a.jpg": "gray", "b.jpg": "green"})
    rows = [{**ROWS[1], "before_photos": "foto/a.jpg", "after_photos": "foto/b.jpg"}]
    data = _write(tmp_path / "hotove.gpkg", rows)
    bundle = _zip({"export/hotove.gpkg": data.read_bytes(),
                   "export/foto/a.jpg": (tmp_path / "foto" / "a.jpg").read_bytes(),
                   "export/foto/b.jpg": (tmp_path / "foto" / "b.jpg").read_bytes(),
                   "__MACOSX/export/._hotove.gpkg": b"resource fork"}, "export.zip")  # fmt: skip
    _post(client, django_capture_on_commit_callbacks, bundle)
    assert ProjectImport.objects.get().state == "done"
    assert Intervention.objects.get(city=ostrava).pairs.count() == 1

    import geopandas

    shp = tmp_path / "shp"
    shp.mkdir()
    geopandas.GeoDataFrame([ROWS[0]], geometry="geometry", crs="EPSG:4326").to_file(
        shp / "hotove.shp", engine="pyogrio"
    )
    zipped = _zip({p.name: p.read_bytes() for p in shp.iterdir()}, "hotove-shp.zip")
    _post(client, django_capture_on_commit_callbacks, zipped)
    assert ProjectImport.objects.filter(state="done").count() == 2
    assert Intervention.objects.filter(city=ostrava, title="Komunitní zahrada").exists()


def test_unreadable_rows_are_listed_by_number_in_the_officers_language_and_nothing_is_saved(
    client, officer, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    data = _write(tmp_path / "hotove.gpkg", ROWS + BAD_ROWS)
    client.cookies["django_language"] = "cs"
    _post(client, django_capture_on_commit_callbacks, _upload(data))
    job = ProjectImport.objects.get()
    assert job.state == "failed" and not Intervention.objects.exists()
    assert [number for number, _why in job.refused] == [3, 4, 5, 6]
    why = dict(job.refused)
    assert why[3] == "bez názvu"  # "no title", in the language of the officer's page
    assert "Self-intersection" in why[5] or "protíná" in why[5]
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert 'id="refused-rows"' in page and "bez názvu" in page and "refresh" not in page
    assert not job.data  # deleted: the officer corrects their own file and uploads it again

    # with "import the readable rows": the two good ones, the four others listed as skipped
    client.cookies["django_language"] = "en"
    _post(client, django_capture_on_commit_callbacks, _upload(data), skip_invalid="on")
    done = ProjectImport.objects.get(state="done")
    assert done.counts["created"] == 2 and len(done.refused) == 4
    page = client.get(f"{URL}{done.pk}/").content.decode()
    assert "Rows skipped" in page and "no title" in page
    assert Intervention.objects.filter(city=ostrava).count() == 2


def _symlink_zip() -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        link = zipfile.ZipInfo("foto/link.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return SimpleUploadedFile("foto.zip", out.getvalue())


@pytest.mark.parametrize(
    "field, upload, why",
    [
        ("data", SimpleUploadedFile("projects.txt", b"title\nA"), "not projects.txt"),
        ("data", SimpleUploadedFile("projects.gpkg", b"PK\x03\x04 not sqlite"),
         "not a GeoPackage"),
        ("data", SimpleUploadedFile("projects.geojson", b"<html>"), "not GeoJSON"),
        ("data", SimpleUploadedFile("projects.zip", b"not a zip"), "not a zip file"),
        ("data", _zip({"a.gpkg": b"x", "b.geojson": b"{}"}, "two.zip"), "it holds 2"),
        ("data", _zip({"readme.txt": b"x"}, "none.zip"), "it holds 0"),
        ("data", _zip({"../../etc/hotove.geojson": b"{}"}, "evil.zip"), "outside itself"),
        ("photos", _zip({"/abs/a.jpg": b"x"}), "outside itself"),
        ("photos", _symlink_zip(), "holds a link"),
        ("photos", SimpleUploadedFile("foto.tar", b"x"), "one zip file"),
        ("photos", _zip({f"{n}.jpg": b"x" for n in range(6)}), "at most 5 are imported"),
        ("photos", _zip({"big.jpg": b"\0" * 5000}), "more than 0 MB"),
    ],
)  # fmt: skip
def test_wrong_files_get_a_form_error_and_no_job(
    client, officer, tmp_path, settings, django_capture_on_commit_callbacks, field, upload, why
):
    settings.PROJECT_IMPORT_MAX_FILES = 5
    settings.PROJECT_IMPORT_MAX_UNPACKED_BYTES = 4096
    upload.seek(0)
    good = _upload(_write(tmp_path / "hotove.gpkg", ROWS))
    files = {"data": good, field: upload}
    r = _post(client, django_capture_on_commit_callbacks, files["data"], files.get("photos"))
    assert r.status_code == 400 and why in r.content.decode()
    assert not ProjectImport.objects.exists() and not Intervention.objects.exists()


def test_too_large_and_an_unknown_crs_are_refused_before_anything_is_kept(
    client, officer, tmp_path, settings, django_capture_on_commit_callbacks
):
    data = _write(tmp_path / "hotove.gpkg", ROWS)
    settings.PROJECT_IMPORT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("hotove.gpkg", b"SQLite format 3\x00" + b"\0" * 1024 * 1024)
    r = _post(client, django_capture_on_commit_callbacks, big)
    assert r.status_code == 400 and "larger than 1 MB" in r.content.decode()
    r = _post(client, django_capture_on_commit_callbacks, _upload(data), srid=999999)
    assert r.status_code == 400 and "Unknown EPSG code 999999" in r.content.decode()
    r = _post(client, django_capture_on_commit_callbacks, _upload(data), sustainability_months=-1)
    assert r.status_code == 400
    assert not ProjectImport.objects.exists() and not Intervention.objects.exists()


def test_a_file_the_importer_cannot_read_fails_with_its_reason(
    client, officer, tmp_path, django_capture_on_commit_callbacks
):
    no_title = _write(tmp_path / "jine.gpkg", [{k: v for k, v in r.items() if k != "title"}
                                              for r in ROWS])  # fmt: skip
    _post(client, django_capture_on_commit_callbacks, _upload(no_title))
    job = ProjectImport.objects.get()
    assert job.state == "failed" and "no column title" in job.error
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert 'id="import-error"' in page and "no column title" in page
    assert not Intervention.objects.exists()
    # the file itself is refused: not kept, and not offered to run again
    assert not job.data and 'id="import-again"' not in page
    again = client.post(f"{URL}{job.pk}/again/", follow=True).content.decode()
    assert "cannot be run again" in again
    job.refresh_from_db()
    assert job.state == "failed" and "no column title" in job.error


def test_others_cannot_import_or_see_an_import(client, ostrava, koszalin, tmp_path):
    job = ProjectImport.objects.create(city=ostrava, filename="hotove.gpkg")
    data = _upload(_write(tmp_path / "hotove.gpkg", ROWS))
    for who in (
        make_user("obyvatel@example.org", Role.RESIDENT, city=ostrava),
        make_user("planner@example.org", Role.PLANNER, city=ostrava),
        make_user("urzednik@example.org", Role.PROGRAMME_OFFICER, city=koszalin),
    ):
        client.force_login(who)
        assert client.post(URL, {"data": data, "sustainability_months": 24}).status_code == 403
        assert client.get(f"{URL}{job.pk}/").status_code == 403
    assert ProjectImport.objects.count() == 1
    koszalin_officer = make_user("k@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    client.force_login(koszalin_officer)
    assert client.get(f"/koszalin/interventions/import/{job.pk}/").status_code == 404


def test_a_job_whose_worker_was_lost_says_so(client, officer, ostrava, settings):
    import datetime as dt

    from django.utils import timezone

    settings.EXPORT_STUCK_SECONDS = 600
    long_ago = timezone.now() - dt.timedelta(hours=1)
    job = ProjectImport.objects.create(city=ostrava, filename="hotove.gpkg", state="running",
                                       stage="photos", done=3, total=10)  # fmt: skip
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert "Preparing the photos: 3 / 10" in page and 'http-equiv="refresh"' in page
    ProjectImport.objects.filter(pk=job.pk).update(heartbeat_at=long_ago, created_at=long_ago)
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert 'id="import-stuck"' in page and 'http-equiv="refresh"' not in page


def test_uploads_of_an_import_that_never_finished_are_removed_a_day_later(ostrava, tmp_path):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from sites.models import ProjectImport as Job

    data = _upload(_write(tmp_path / "hotove.gpkg", ROWS))
    lost = Job(city=ostrava, filename="hotove.gpkg", state="running")
    lost.data.save("hotove.gpkg", data, save=False)
    lost.photos.save("foto.zip", _zip({"a.jpg": b"x"}), save=False)
    lost.save()
    recent = Job(city=ostrava, filename="hotove.gpkg")
    recent.data.save("hotove.gpkg", data, save=False)
    recent.save()
    Job.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    paths = [lost.data.path, lost.photos.path]
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 unfinished imports' uploads" in out.getvalue()
    lost.refresh_from_db()
    assert lost.state == "failed" and "import again" in lost.error and not lost.data
    assert not any(Path(p).exists() for p in paths)
    recent.refresh_from_db()
    assert recent.state == "queued" and recent.data  # its worker may still take it


@pytest.mark.filterwarnings(  # GDAL's own warnings about the damaged file, as it reads it
    "ignore::RuntimeWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
def test_a_file_gdal_cannot_read_is_named_without_the_servers_folders(
    client, officer, django_capture_on_commit_callbacks
):
    broken = SimpleUploadedFile("hotove.gpkg", b"SQLite format 3\x00" + b"\x01" * 4096)
    _post(client, django_capture_on_commit_callbacks, broken)
    zipped = _zip({"export/hotove.shp": b"\x00" * 200, "export/hotove.dbf": b"x"}, "shp.zip")
    _post(client, django_capture_on_commit_callbacks, zipped)
    errors = list(ProjectImport.objects.order_by("created_at").values_list("error", flat=True))
    assert errors[0].startswith("hotove.gpkg cannot be read: ")
    assert errors[1].startswith("shp.zip cannot be read: ")
    for error in errors:
        assert "project-import-" not in error and "/tmp" not in error, error


def test_the_files_own_column_names(client, officer, ostrava, tmp_path,
                                    django_capture_on_commit_callbacks):  # fmt: skip
    """Ostrava's GIS names its columns in Czech: the form maps them, as the command does."""
    data = _write(tmp_path / "hotove.gpkg", GOOD)  # nazev, rok, druh, naklady, cislo
    _post(client, django_capture_on_commit_callbacks, _upload(data), id_field="cislo",
          column_title="nazev", column_completed="rok", column_category="druh",
          column_cost="naklady")  # fmt: skip
    job = ProjectImport.objects.get()
    assert job.state == "done" and job.counts["created"] == 2, job.error
    assert job.options["columns"] == {"title": "nazev", "completed": "rok",
                                      "category": "druh", "cost": "naklady"}  # fmt: skip
    garden = Intervention.objects.get(title="Komunitní zahrada")
    assert (garden.category, garden.cost, garden.source_ref) == ("community_garden", 150000, "1")
    # without them, the refusal names the file's columns, so the officer knows what to map
    _post(client, django_capture_on_commit_callbacks, _upload(data))
    failed = ProjectImport.objects.get(state="failed")
    assert "no column title, completed" in failed.error and "nazev" in failed.error


def test_a_job_is_run_once(officer, ostrava, tmp_path):
    from sites.project_imports import project_import_run

    job = ProjectImport(city=ostrava, filename="hotove.gpkg", requested_by=officer)
    job.data.save("hotove.gpkg", _upload(_write(tmp_path / "hotove.gpkg", ROWS)), save=False)
    job.save()
    assert project_import_run(job_id=str(job.pk)).state == "done"
    again = project_import_run(job_id=str(job.pk))  # a second worker, or the task retried
    assert again.state == "done" and Intervention.objects.filter(city=ostrava).count() == 2
    running = ProjectImport.objects.create(city=ostrava, filename="x.gpkg", state="running")
    assert project_import_run(job_id=str(running.pk)).state == "running"  # another runs it


@pytest.mark.django_db(transaction=True)  # each run commits as a worker's would
def test_a_silent_import_run_again_meanwhile_is_recorded_once(officer, ostrava, tmp_path,
                                                             monkeypatch, caplog):  # fmt: skip
    """A worker silent so long that the import was run again, and run to the end, may still
    come back: its transaction is rolled back, so the projects are written and audited
    once, and the job keeps the later run's counts."""
    from mapapp.models import AuditEvent
    from sites import importers
    from sites.project_imports import project_import_run
    from tests.support import run_again_meanwhile

    job = ProjectImport(city=ostrava, filename="hotove.gpkg", requested_by=officer)
    job.data.save("hotove.gpkg", _upload(_write(tmp_path / "hotove.gpkg", ROWS)), save=False)
    job.save()
    calls = run_again_meanwhile(monkeypatch, importers, "import_interventions", job,
                                project_import_run)  # fmt: skip
    first = project_import_run(job_id=str(job.pk))
    assert len(calls) == 2
    assert first.state == "done" and first.attempt == 2 and not first.data
    assert first.counts["created"] == 2 and first.counts["updated"] == 0
    assert Intervention.objects.filter(city=ostrava).count() == 2
    assert AuditEvent.objects.filter(action="intervention.import").count() == 1
    assert "was run again while run 1 was silent" in caplog.text


def test_the_form_comes_filled_as_the_last_import_was(
    client, officer, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    """The same file is imported again after corrections: its column names, id column and
    period need not be typed twice."""
    data = _write(tmp_path / "hotove.gpkg", GOOD)
    _post(client, django_capture_on_commit_callbacks, _upload(data), id_field="cislo",
          column_title="nazev", column_completed="rok", sustainability_months=36)  # fmt: skip
    form = client.get(URL).context["form"]
    assert form["column_title"].value() == "nazev" and form["column_completed"].value() == "rok"
    assert form["id_field"].value() == "cislo" and form["sustainability_months"].value() == 36
    assert form["column_cost"].value() in (None, "")
    page = client.get(URL).content.decode()
    assert 'id="import-column-names" open' in page  # shown, since they are used


def _failing_once(monkeypatch):
    """The importer fails once for a reason of the server's (a database restarted under
    it, a full disk), then works: fault injection around the real importer."""
    from django.db import OperationalError

    from sites import importers
    from tests.support import fail_once

    error = OperationalError("server closed the connection unexpectedly")
    return fail_once(monkeypatch, importers, "import_interventions", error)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_import_that_failed_unexpectedly_keeps_its_files_and_runs_again(
    client, officer, ostrava, tmp_path, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """Nothing the officer uploaded is lost to a fault of the server's: the files stay, the
    job's page offers to run it again, and it then imports as it would have."""
    from mapapp.models import AuditEvent

    calls = _failing_once(monkeypatch)
    photos = _zip({f"{n}.jpg": b"x" for n in ("a", "b")})
    _post(client, django_capture_on_commit_callbacks, _upload(_write(tmp_path / "h.gpkg", ROWS)),
          photos=photos)  # fmt: skip
    job = ProjectImport.objects.get()
    assert (
        job.state == "failed" and "kept for 7 days" in job.error and "project import" in caplog.text
    )
    assert job.data and Path(job.data.path).exists() and Path(job.photos.path).exists()
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert 'id="import-again"' in page and 'id="import-error"' in page
    assert client.get(f"{URL}{job.pk}/?f=json").json()["can_run_again"] is True

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"{URL}{job.pk}/again/", follow=True)
    job.refresh_from_db()
    assert len(calls) == 2 and job.state == "done", job.error
    assert job.counts["created"] == 2 and Intervention.objects.filter(city=ostrava).count() == 2
    assert "runs again with the same files" in r.content.decode()
    assert not job.data and not job.photos and not job.error  # read, so removed
    event = AuditEvent.objects.get(action="import.run_again")
    assert event.actor == officer and event.before["state"] == "failed"

    # out of turn: a finished import does not run again, and says why
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"{URL}{job.pk}/again/", follow=True)
    assert "cannot be run again" in r.content.decode() and len(calls) == 2
    assert 'id="import-again"' not in r.content.decode()


def test_an_import_whose_worker_was_lost_runs_again_from_its_files(
    client, officer, ostrava, tmp_path, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    settings.EXPORT_STUCK_SECONDS = 600
    job = ProjectImport(city=ostrava, filename="hotove.gpkg", state="running", stage="photos",
                        requested_by=officer, options={"sustainability_months": 24})  # fmt: skip
    job.data.save("hotove.gpkg", _upload(_write(tmp_path / "hotove.gpkg", ROWS)), save=False)
    job.save()
    assert 'id="import-again"' not in client.get(f"{URL}{job.pk}/").content.decode()  # working
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ProjectImport.objects.filter(pk=job.pk).update(heartbeat_at=long_ago, created_at=long_ago)
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert 'id="import-stuck"' in page and 'id="import-again"' in page and "Run it again" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}{job.pk}/again/")
    job.refresh_from_db()
    assert job.state == "done" and job.counts["created"] == 2 and job.stage == "saving"


def test_kept_files_are_removed_after_the_days_they_are_kept_for(ostrava, tmp_path):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    def failed(days_ago):
        job = ProjectImport(city=ostrava, filename="h.gpkg", state="failed", error="x",
                            finished_at=timezone.now() - dt.timedelta(days=days_ago))  # fmt: skip
        job.data.save("h.gpkg", _upload(_write(tmp_path / "h.gpkg", ROWS)), save=False)
        job.photos.save("foto.zip", _zip({"a.jpg": b"x"}), save=False)
        job.save()
        return job

    old, recent = failed(8), failed(6)
    paths = [old.data.path, old.photos.path]
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 unfinished imports' uploads" in out.getvalue()
    old.refresh_from_db()
    assert not old.data and not old.photos and "removed after 7 days" in old.error
    assert not any(Path(p).exists() for p in paths)
    recent.refresh_from_db()
    assert recent.data and Path(recent.data.path).exists()


def test_a_full_disk_while_unpacking_keeps_the_uploads_to_run_again(
    client, officer, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    """A write the server cannot make (here a real one: the process's file size limit,
    RLIMIT_FSIZE, as a full disk or a quota would refuse it) is the server's fault, not
    the file's: the uploads are kept and the job offers to run again."""
    import os
    import resource
    import signal

    from sites.project_imports import project_import_run

    big = os.urandom(3 << 20)  # a photo of 3 MB, unpacked under a 2 MB limit
    photos = _zip({"a.jpg": big})
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run yet
        client.post(URL, {"data": _upload(_write(tmp_path / "h.gpkg", ROWS)),
                          "photos": photos, "sustainability_months": 24})  # fmt: skip
    job = ProjectImport.objects.get()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    before = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an OSError, not a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, hard))
    try:
        job = project_import_run(job_id=str(job.pk))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, before)
    assert job.state == "failed" and "kept for 7 days" in job.error, job.error
    assert job.data and Path(job.photos.path).exists()  # nothing the officer sent is lost
    assert client.get(f"{URL}{job.pk}/?f=json").json()["can_run_again"] is True
    assert not Intervention.objects.filter(city=ostrava).exists()
