"""The layer importer: CRSs, formats, 3D, repair or refusal, outside the city, versions."""

import json
import zipfile
from pathlib import Path

import geopandas
import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Point, Polygon

from geodata.importers import LayerImportError, import_layer
from geodata.models import Feature, Layer

RYNEK = (16.1817, 54.1903)  # Koszalin
MASARYKOVO = (18.2925, 49.8355)  # Ostrava


def parks_frame(lonlat, crs):
    """Two ~200 m parks near the given point, in the CRS given."""
    lon, lat = lonlat
    frame = geopandas.GeoDataFrame(
        {"name": ["North park", "South park"], "area_ha": [4.0, 3.5]},
        geometry=[Point(lon, lat + 0.004).buffer(0.002), Point(lon, lat - 0.004).buffer(0.002)],
        crs=4326,
    )
    return frame.to_crs(crs)


def centroid_lonlat(layer):
    feature = layer.features.order_by("id").first()
    c = feature.geom.centroid
    return c.x, c.y


def test_geopackage_in_epsg2180(koszalin, tmp_path):
    path = tmp_path / "parks.gpkg"
    parks_frame(RYNEK, 2180).to_file(path, driver="GPKG", engine="pyogrio")
    report = import_layer(city=koszalin, kind="park", path=path)
    assert (report.read, report.imported) == (2, 2)
    layer = report.layer
    assert layer.is_current and layer.version == 1 and layer.name == "parks"
    assert centroid_lonlat(layer) == pytest.approx((RYNEK[0], RYNEK[1] + 0.004), abs=1e-4)
    assert layer.features.first().geom.geom_type == "MultiPolygon"
    assert layer.features.get(name="North park").attributes["area_ha"] == 4.0


def test_zipped_shapefile_in_epsg5514(ostrava, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    parks_frame(MASARYKOVO, 5514).to_file(folder / "parky.shp", engine="pyogrio")
    archive = tmp_path / "parky.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    call_command(
        "import_layer", str(archive), "--city", "ostrava", "--kind", "park", "--name", "Parky"
    )
    layer = Layer.objects.get(name="Parky")
    assert layer.feature_count == 2
    assert centroid_lonlat(layer) == pytest.approx((MASARYKOVO[0], MASARYKOVO[1] + 0.004), abs=1e-4)


def test_geojson_with_legacy_crs_member_and_3d(koszalin, tmp_path):
    frame = parks_frame(RYNEK, 2180)
    coords = [[[x, y, 12.5] for x, y in frame.geometry[0].exterior.coords]]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2180"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Hill park"},
                "geometry": {"type": "Polygon", "coordinates": coords},
            }
        ],
    }
    path = tmp_path / "legacy.geojson"
    path.write_text(json.dumps(doc))
    layer = import_layer(city=koszalin, kind="park", path=path).layer
    feature = layer.features.get()
    assert not feature.geom.hasz
    assert centroid_lonlat(layer) == pytest.approx((RYNEK[0], RYNEK[1] + 0.004), abs=1e-4)


BOWTIE = Polygon([(16.18, 54.19), (16.19, 54.20), (16.19, 54.19), (16.18, 54.20), (16.18, 54.19)])


def geojson(tmp_path, geometries, name="layer.geojson"):
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": f"f{i}"},
                        "geometry": g.__geo_interface__,
                    }
                    for i, g in enumerate(geometries)
                ],
            }
        )
    )
    return path


def test_self_intersecting_refused_then_repaired(koszalin, tmp_path):
    ok = Point(*RYNEK).buffer(0.001)
    path = geojson(tmp_path, [ok, BOWTIE])
    with pytest.raises(LayerImportError, match=r"invalid or empty geometry: #2"):
        import_layer(city=koszalin, kind="park", path=path)
    assert not Layer.objects.exists()
    report = import_layer(city=koszalin, kind="park", path=path, make_valid=True)
    assert report.repaired == [2] and report.imported == 2
    repaired = report.layer.features.get(name="f1").geom
    assert repaired.valid and repaired.geom_type == "MultiPolygon" and len(repaired) == 2


def test_file_without_crs_is_refused_unless_given(koszalin, tmp_path):
    path = tmp_path / "nocrs.shp"
    frame = parks_frame(RYNEK, 2180).set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(path, engine="pyogrio")
    with pytest.raises(CommandError, match="declares no CRS"):
        call_command("import_layer", str(path), "--city", "koszalin", "--kind", "park")
    call_command(
        "import_layer", str(path), "--city", "koszalin", "--kind", "park", "--srid", "2180"
    )
    assert Layer.objects.get().feature_count == 2


def test_corrupt_file_is_refused(koszalin, tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 100)
    with pytest.raises(LayerImportError, match="Cannot read broken.gpkg"):
        import_layer(city=koszalin, kind="park", path=path)
    assert not Layer.objects.exists()


def test_features_outside_the_city_refused_with_a_count(koszalin, tmp_path):
    inside = Point(*RYNEK).buffer(0.001)
    outside = [Point(*MASARYKOVO).buffer(0.001), Point(18.3, 49.84).buffer(0.001)]
    with pytest.raises(LayerImportError, match="2 features lie outside Koszalin"):
        import_layer(city=koszalin, kind="park", path=geojson(tmp_path, [inside, *outside]))
    assert not Layer.objects.exists() and not Feature.objects.exists()


def test_wrong_geometry_type_for_the_kind(koszalin, tmp_path):
    path = geojson(tmp_path, [Point(*RYNEK)])
    with pytest.raises(LayerImportError, match="not of the kind's geometry"):
        import_layer(city=koszalin, kind="park", path=path)
    assert import_layer(city=koszalin, kind="street_trees", path=path).imported == 1


def test_replacing_is_atomic_and_versions_are_kept(koszalin, tmp_path):
    first = import_layer(
        city=koszalin,
        kind="park",
        name="Parks",
        path=geojson(tmp_path, [Point(*RYNEK).buffer(0.001)], "v1.geojson"),
    )
    bad = geojson(
        tmp_path, [Point(*RYNEK).buffer(0.001), Point(*MASARYKOVO).buffer(0.001)], "bad.geojson"
    )
    with pytest.raises(LayerImportError):
        import_layer(city=koszalin, kind="park", name="Parks", path=bad)
    assert Layer.objects.get(is_current=True) == first.layer  # the old version stays
    second = import_layer(
        city=koszalin,
        kind="park",
        name="Parks",
        path=geojson(
            tmp_path, [Point(*RYNEK).buffer(0.001), Point(16.2, 54.2).buffer(0.001)], "v2.geojson"
        ),
    )
    assert second.layer.version == 2
    assert list(Layer.objects.filter(name="Parks").values_list("version", "is_current")) == [
        (2, True),
        (1, False),
    ]


def test_admin_upload_uses_the_same_importer(admin_client, koszalin, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = geojson(tmp_path, [Point(*RYNEK).buffer(0.001)])
    response = admin_client.post(
        "/admin/geodata/layer/upload/",
        {
            "city": koszalin.pk,
            "kind": "park",
            "name": "Uploaded parks",
            "file": SimpleUploadedFile("parks.geojson", path.read_bytes()),
        },
    )
    assert response.status_code == 302
    assert Layer.objects.get(name="Uploaded parks").feature_count == 1
    bad = admin_client.post(
        "/admin/geodata/layer/upload/",
        {
            "city": koszalin.pk,
            "kind": "park",
            "file": SimpleUploadedFile(
                "bowtie.geojson", geojson(tmp_path, [BOWTIE], "b.geojson").read_bytes()
            ),
        },
    )
    assert bad.status_code == 400
    assert "invalid or empty geometry: #1" in bad.content.decode()
    exe = admin_client.post(
        "/admin/geodata/layer/upload/",
        {"city": koszalin.pk, "kind": "park", "file": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert exe.status_code == 400 and "Unsupported file type" in exe.content.decode()
    named = {"city": koszalin.pk, "kind": "park", "name": "Named parks",
             "name_format": "Park {name}"}  # fmt: skip
    response = admin_client.post("/admin/geodata/layer/upload/", {
        **named, "file": SimpleUploadedFile("parks.geojson", path.read_bytes())})  # fmt: skip
    assert response.status_code == 302
    assert Layer.objects.get(name="Named parks").features.get().name == "Park f0"
    response = admin_client.post("/admin/geodata/layer/upload/", {
        **named, "name_format": "Park {name",
        "file": SimpleUploadedFile("parks.geojson", path.read_bytes())})  # fmt: skip
    assert (
        response.status_code == 400 and "Write the columns in braces" in response.content.decode()
    )


@pytest.mark.django_db
def test_address_points_are_named_from_their_columns(ostrava, tmp_path):
    """Address registers (RÚIAN, PRG) keep the street and the numbers in columns apart: a
    name format makes each point's name from them, whatever is missing tidied away."""
    x, y = MASARYKOVO
    frame = geopandas.GeoDataFrame(
        {
            "ulice": ["Sportovní", "Sportovní", None],
            "cast_obce": ["Vítkovice", "Vítkovice", "Lhotka"],
            "cislo_domovni": [1256, 1257, 48],
            "cislo_orientacni": [12.0, None, None],  # a number column with gaps: floats
            "znak": ["a", None, None],
        },
        geometry=[Point(x, y), Point(x + 0.001, y), Point(x + 0.002, y)],
        crs=4326,
    ).to_crs(5514)
    path = tmp_path / "adresy.gpkg"
    frame.to_file(path, engine="pyogrio")
    name_format = "{ulice|cast_obce} {cislo_domovni}/{cislo_orientacni}{znak}"
    report = import_layer(city=ostrava, kind="address", path=path, name="Adresní místa",
                          name_format=name_format)  # fmt: skip
    names = sorted(report.layer.features.values_list("name", flat=True))
    assert names == ["Lhotka 48", "Sportovní 1256/12a", "Sportovní 1257"]
    assert report.layer.features.first().attributes["ulice"] in ("Sportovní", None)  # kept
    with pytest.raises(LayerImportError, match=r"names street, number, not a column of "
                       r"adresy.gpkg \(its columns: ulice, cast_obce"):  # fmt: skip
        import_layer(city=ostrava, kind="address", path=path, name_format="{street} {number}")
    for bad in ("Sportovní", "{ulice", "{ulice} }", "{ulice|}"):
        with pytest.raises(LayerImportError, match="names no column"):
            import_layer(city=ostrava, kind="address", path=path, name_format=bad)
    squares = geojson(tmp_path, [Point(*MASARYKOVO).buffer(0.001)])
    with pytest.raises(LayerImportError, match="not of the kind's geometry"):
        import_layer(city=ostrava, kind="address", path=squares)
    assert Layer.objects.filter(city=ostrava).count() == 1  # nothing of the refusals


def test_demo_layers(demo_cities):
    from geodata.demo import load_demo_layers

    for city in demo_cities.values():
        assert load_demo_layers(city) == 7
        assert load_demo_layers(city) == 0  # idempotent
        layers = Layer.objects.filter(city=city, is_current=True)
        assert set(layers.values_list("kind", flat=True)) >= {
            "revitalisation_zone",
            "revitalisation_subzone",
            "park",
            "forest",
            "river",
            "water_body",
            "district",
        }
        assert all(layer.is_synthetic for layer in layers)
        assert Feature.objects.filter(layer__city=city, population__isnull=False).exists()
    # named in the city's language, as its GIS staff would
    names = {c: set(Layer.objects.filter(city__slug=c).values_list("name", flat=True))
             for c in ("koszalin", "ostrava")}  # fmt: skip
    assert "Parki (dane syntetyczne)" in names["koszalin"]
    assert "Parky (syntetická data)" in names["ostrava"]


def test_layers_api_and_map(client, demo_cities):
    from geodata.demo import load_demo_layers

    koszalin = demo_cities["koszalin"]
    load_demo_layers(koszalin)
    private = Layer.objects.filter(city=koszalin, kind="district").get()
    private.is_public = False
    private.save()
    data = client.get("/api/v1/koszalin/layers/").json()["layers"]
    kinds = {layer["kind"] for layer in data}
    assert "park" in kinds and "district" not in kinds
    assert all(layer["synthetic"] for layer in data)
    park = next(layer for layer in data if layer["kind"] == "park")
    features = json.loads(client.get(park["url"]).content)["features"]
    assert len(features) == park["features"]
    assert client.get(f"/api/v1/koszalin/layers/{private.pk}/").status_code == 404
    assert client.get(f"/api/v1/ostrava/layers/{park['id']}/").status_code == 404
    key = f"ref{park['id']}"
    response = client.get(f"/koszalin/?layers=sites&layers={key}")
    assert [r["id"] for r in response.context["map_config"]["reference"]] == [key]


@pytest.mark.django_db(transaction=True)  # CLUSTER refuses inside a transaction with pending checks
def test_cluster_spatial_keeps_every_row(exchange_world):
    from io import StringIO

    from django.core.management import call_command

    from proposals.models import Proposal

    before = sorted(Proposal.objects.values_list("id", "title"))
    out = StringIO()
    call_command("cluster_spatial", stdout=out)
    assert "proposals_proposal" in out.getvalue() and "geodata_feature" in out.getvalue()
    assert sorted(Proposal.objects.values_list("id", "title")) == before


@pytest.mark.django_db(transaction=True)  # the task is queued when the upload commits
def test_large_admin_uploads_are_imported_by_the_task_worker(admin_client, koszalin, tmp_path,
                                                             settings):  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    from geodata.models import ImportJob

    settings.IMPORT_SYNC_MAX_BYTES = 10  # every file is "large"
    path = geojson(tmp_path, [Point(*RYNEK).buffer(0.001), Point(*RYNEK).buffer(0.0005)])
    r = admin_client.post("/admin/geodata/layer/upload/", {
        "city": koszalin.pk, "kind": "park", "name": "Background parks",
        "file": SimpleUploadedFile("parks.geojson", path.read_bytes())})  # fmt: skip
    job = ImportJob.objects.get()
    assert r.status_code == 302 and str(job.pk) in r["Location"]
    job.refresh_from_db()  # the tasks ran at once here (tests run tasks when queued)
    assert job.state == "done" and "imported 2" in job.summary and not job.file
    assert Layer.objects.get(name="Background parks").feature_count == 2
    assert admin_client.get(r["Location"]).status_code == 200  # the job's page

    bowtie = geojson(tmp_path, [BOWTIE], "b.geojson").read_bytes()
    bad = admin_client.post("/admin/geodata/layer/upload/", {
        "city": koszalin.pk, "kind": "park",
        "file": SimpleUploadedFile("bowtie.geojson", bowtie)})  # fmt: skip
    failed = ImportJob.objects.exclude(pk=job.pk).get()
    assert bad.status_code == 302 and failed.state == "failed"
    assert "invalid or empty geometry: #1" in failed.error


def _layer_job(city, tmp_path, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from geodata.models import ImportJob

    path = geojson(tmp_path, [Point(*RYNEK).buffer(0.001)])
    job = ImportJob(city=city, kind="park", name="Parks", filename="parks.geojson", **fields)
    job.file.save("parks.geojson", SimpleUploadedFile("parks.geojson", path.read_bytes()),
                  save=False)  # fmt: skip
    job.save()
    return job


@pytest.mark.django_db
def test_a_layer_import_job_is_run_once_and_a_lost_upload_fails_it_with_a_message(
    koszalin, tmp_path, caplog
):
    """A task run twice (or retried) must not import the layer twice, nor a running job
    again; a job whose upload is gone fails with a message, the details in the log, rather
    than staying 'running' for ever."""
    from geodata.import_jobs import import_run

    job = _layer_job(koszalin, tmp_path)
    assert import_run(job_id=str(job.pk)).state == "done"
    assert import_run(job_id=str(job.pk)).state == "done"
    assert Layer.objects.filter(city=koszalin, name="Parks").count() == 1
    running = _layer_job(koszalin, tmp_path, state="running")
    assert import_run(job_id=str(running.pk)).state == "running"  # another worker has it
    assert running.file  # and its upload
    lost = _layer_job(koszalin, tmp_path)
    lost.file.storage.delete(lost.file.name)
    failed = import_run(job_id=str(lost.pk))
    assert failed.state == "failed" and "failed unexpectedly" in failed.error
    assert "layer import" in caplog.text and failed.finished_at is not None


@pytest.mark.django_db(transaction=True)  # each run commits as a worker's would
def test_a_silent_layer_import_run_again_meanwhile_leaves_one_layer_version(
    koszalin, tmp_path, monkeypatch, caplog
):
    """A worker silent so long that the job was run again (job_run_again), and run to the
    end, may still come back: its layer is rolled back, and the job keeps the later run's
    outcome, rather than a second version of the layer."""
    from geodata import import_jobs
    from geodata.models import ImportJob
    from tests.support import run_again_meanwhile

    job = _layer_job(koszalin, tmp_path)
    calls = run_again_meanwhile(monkeypatch, import_jobs, "import_layer", job,
                                import_jobs.import_run)  # fmt: skip
    first = import_jobs.import_run(job_id=str(job.pk))
    assert len(calls) == 2  # both runs imported the file as far as storing it
    assert Layer.objects.filter(city=koszalin, name="Parks").count() == 1
    assert first.state == "done" and first.attempt == 2 and not first.file
    assert first.layer == Layer.objects.get(city=koszalin, name="Parks", is_current=True)
    assert "was run again while run 1 was silent" in caplog.text
    assert ImportJob.take(job.pk) == 0  # done: no run takes it again


@pytest.mark.django_db
def test_a_layer_import_that_never_finished_is_shown_lost_and_its_upload_removed(
    admin_client, koszalin, tmp_path, settings
):
    import datetime as dt
    import io

    from django.utils import timezone

    from geodata.models import ImportJob

    settings.EXPORT_STUCK_SECONDS = 600
    lost = _layer_job(koszalin, tmp_path, state="running")
    recent = _layer_job(koszalin, tmp_path)
    long_ago = timezone.now() - dt.timedelta(days=2)
    ImportJob.objects.filter(pk=lost.pk).update(created_at=long_ago, heartbeat_at=long_ago)
    listing = admin_client.get("/admin/geodata/importjob/").content.decode()
    assert listing.count('alt="True"') == 1  # the lost one's "worker lost"
    path = lost.file.path
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 unfinished imports' uploads" in out.getvalue()
    lost.refresh_from_db()
    assert lost.state == "failed" and "upload it again" in lost.error and not lost.file
    assert not Path(path).exists()
    recent.refresh_from_db()
    assert recent.state == "queued" and recent.file  # its worker may still take it


@pytest.mark.django_db(transaction=True)  # the admin's action queues the task on commit
def test_a_layer_import_that_failed_unexpectedly_keeps_its_upload_and_runs_again(
    admin_client, koszalin, tmp_path, monkeypatch, caplog
):
    """A fault of the server's (here injected around the real importer) must not cost the
    admin their upload: it is kept, and the admin list's action runs it again."""
    from geodata import import_jobs
    from mapapp.models import AuditEvent
    from tests.support import fail_once

    fail_once(monkeypatch, import_jobs, "import_layer", OSError("No space left on device"))
    job, done = _layer_job(koszalin, tmp_path), _layer_job(koszalin, tmp_path)
    lost = _layer_job(koszalin, tmp_path)
    for each in (job, done):
        import_jobs.import_run(job_id=str(each.pk))
    lost.file.storage.delete(lost.file.name)
    import_jobs.import_run(job_id=str(lost.pk))
    job.refresh_from_db()
    assert job.state == "failed" and "kept for 7 days" in job.error and job.file
    assert "layer import" in caplog.text and Path(job.file.path).exists()

    form = {"action": "run_again", "_selected_action": [job.pk, done.pk, lost.pk]}
    r = admin_client.post("/admin/geodata/importjob/", form, follow=True)
    page = r.content.decode()
    assert "1 imports queued again" in page and "2 imports cannot run again" in page
    job.refresh_from_db()
    assert job.state == "done" and "imported 1" in job.summary and not job.file
    assert Layer.objects.filter(city=koszalin, name="Parks").count() == 2  # job's and done's
    assert AuditEvent.objects.filter(action="import.run_again").count() == 1
    lost.refresh_from_db()
    assert lost.state == "failed"  # its upload is gone: uploading again is the way


def test_the_servers_faults_are_told_from_the_files():
    """An import's uploads are kept to run again when it failed for the server's reasons,
    removed when for its file's (geodata.jobs.server_fault)."""
    import errno

    from geodata.jobs import server_fault

    for code in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EMFILE, errno.EFBIG):
        assert server_fault(OSError(code, "no")), code
    assert server_fault(MemoryError())
    assert not server_fault(OSError(errno.ENOENT, "no such file in the zip"))
    assert not server_fault(RuntimeError("GDAL cannot read it"))
    assert not server_fault(ValueError("a column is missing"))


def test_an_empty_file_a_feature_without_geometry_and_a_wrong_crs_are_refused_by_name(
    koszalin, tmp_path
):
    """What GIS staff send by mistake is refused with what is wrong, nothing imported: a
    file without features, a feature without geometry (by its number), a file whose CRS is
    not the one they said."""
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(LayerImportError, match="empty.geojson has no features"):
        import_layer(city=koszalin, kind="park", path=empty)

    holes = tmp_path / "holes.geojson"
    park = Point(*RYNEK).buffer(0.001).__geo_interface__
    holes.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Park"}, "geometry": park},
        {"type": "Feature", "properties": {"name": "No place"}, "geometry": None},
    ]}))  # fmt: skip
    with pytest.raises(LayerImportError, match=r"invalid or empty geometry: #2"):
        import_layer(city=koszalin, kind="park", path=holes)

    in_2180 = tmp_path / "parks.gpkg"
    parks_frame(RYNEK, 2180).to_file(in_2180, engine="pyogrio")
    with pytest.raises(LayerImportError, match=r"parks.gpkg declares .*2180.*, not EPSG:5514"):
        import_layer(city=koszalin, kind="park", path=in_2180, source_srid=5514)
    assert not Layer.objects.exists() and not Feature.objects.exists()
    assert import_layer(city=koszalin, kind="park", path=in_2180, source_srid=2180).imported == 2
