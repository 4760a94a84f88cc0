"""manage.py city_add: any declared CRS in, clear refusals out, nothing half-saved."""

import json

import geopandas
import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import LineString, Polygon

from mapapp.demo import DATA_DIR
from mapapp.models import AuditEvent, City
from mapapp.selectors import city_area_km2

KOSZALIN_FILE = DATA_DIR / "koszalin_city_boundary_prg_3mb.geojson"


def koszalin_frame():
    return geopandas.read_file(KOSZALIN_FILE, engine="pyogrio")


def add(path, *extra, slug="koszalin", name="Koszalin", srid="2180"):
    call_command("city_add", str(path), "--slug", slug, "--name", name, "--srid", srid, *extra)


@pytest.mark.django_db
def test_geopackage_in_epsg2180_is_reprojected(tmp_path):
    path = tmp_path / "koszalin.gpkg"
    koszalin_frame().to_crs(2180).to_file(path, driver="GPKG", engine="pyogrio")
    add(path, "--language", "pl", "--currency", "PLN", "--time-zone", "Europe/Warsaw")
    city = City.objects.get(slug="koszalin")
    assert city.boundary.srid == 4326
    # the same 102.2 km² as the lon/lat original, measured back in EPSG:2180
    assert city_area_km2(city=city) == pytest.approx(102.2, rel=0.01)
    assert (city.default_language, city.currency) == ("pl", "PLN")


@pytest.mark.django_db
def test_shapefile_without_prj_needs_file_srid(tmp_path):
    path = tmp_path / "koszalin.shp"
    frame = koszalin_frame().to_crs(2180)
    frame = frame.set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(path, engine="pyogrio")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(CommandError, match="declares no coordinate reference system"):
        add(path)
    assert not City.objects.exists()
    add(path, "--file-srid", "2180")
    assert city_area_km2(city=City.objects.get()) == pytest.approx(102.2, rel=0.01)


@pytest.fixture
def existing(koszalin):
    return City.objects.values().get(pk=koszalin.pk), AuditEvent.objects.count()


def write_geojson(path, geometry, extra=None):
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": geometry}],
    }
    doc.update(extra or {})
    path.write_text(json.dumps(doc))
    return path


BOWTIE = Polygon([(16.15, 54.15), (16.25, 54.25), (16.25, 54.15), (16.15, 54.25), (16.15, 54.15)])


@pytest.mark.parametrize(
    ("make_file", "srid", "message"),
    [
        pytest.param(
            lambda p: write_geojson(p / "bowtie.geojson", BOWTIE.__geo_interface__),
            "2180",
            r"Invalid geometry in feature\(s\) #1 \(Self-intersection",
            id="self-intersecting",
        ),
        pytest.param(
            lambda p: write_geojson(
                p / "line.geojson", LineString([(16.15, 54.15), (16.25, 54.25)]).__geo_interface__
            ),
            "2180",
            "must be polygons; line.geojson contains LineString",
            id="not-a-polygon",
        ),
        pytest.param(
            lambda p: (
                (p / "notes.geojson").write_text("this is not GeoJSON") and p / "notes.geojson"
            ),
            "2180",
            "Cannot read notes.geojson",
            id="not-a-vector-file",
        ),
        pytest.param(
            lambda p: KOSZALIN_FILE,
            "5514",
            "lies outside the area EPSG:5514 is made for",
            id="wrong-metric-crs",
        ),
        pytest.param(
            lambda p: write_geojson(
                p / "swapped.geojson",
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [lat, lon]
                            for lon, lat in koszalin_frame().geometry[0].geoms[0].exterior.coords
                        ]
                    ],
                },
            ),
            "2180",
            "Are latitude and longitude swapped",
            id="lat-lon-swapped",
        ),
        pytest.param(
            lambda p: write_geojson(
                p / "metres.geojson",
                Polygon([(0, 0), (1000, 0), (1000, 1000), (0, 0)]).__geo_interface__,
                # GeoJSON without a crs member is lon/lat by definition (RFC 7946)
                {},
            ),
            "2180",
            "Coordinates do not fit the CRS the file declares",
            id="metres-declared-as-degrees",
        ),
        pytest.param(lambda p: p / "missing.geojson", "2180", "File not found", id="missing-file"),
        pytest.param(
            lambda p: KOSZALIN_FILE, "4326", "is not a projected CRS", id="geographic-metric-srid"
        ),
    ],
)
def test_bad_input_changes_nothing_and_says_why(tmp_path, existing, make_file, srid, message):
    before, audit_count = existing
    with pytest.raises(CommandError, match=message):
        add(make_file(tmp_path), srid=srid, name="Changed")
    assert City.objects.values().get(pk=before["id"]) == before
    assert City.objects.count() == 1
    assert AuditEvent.objects.count() == audit_count


@pytest.mark.django_db
def test_bad_field_value_is_reported_per_field():
    with pytest.raises(CommandError, match="slug"):
        add(KOSZALIN_FILE, slug="admin")
    assert not City.objects.exists()


@pytest.mark.django_db
def test_readding_updates_in_place():
    add(KOSZALIN_FILE, "--currency", "PLN")
    add(KOSZALIN_FILE, name="Koszalin (PRG)")
    city = City.objects.get()
    assert city.name == "Koszalin (PRG)"
    assert city.currency == "PLN"  # not reset by the update
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "city.create",
        "city.update",
    ]
