"""OGC API - Features read by real clients against a live server: OWSLib, and GDAL's OAPIF
driver through ogrinfo and ogr2ogr (Debian's gdal-bin)."""

import json
import re
import subprocess

import pyogrio
import pytest
from owslib.ogcapi.features import Features

from proposals.models import Proposal
from sites.models import Site


@pytest.fixture
def ogc_url(live_server, exchange_world):
    return f"{live_server.url}/ogcapi/koszalin/"


def gdal(*args) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_owslib_lists_and_reads_the_collections(ogc_url):
    api = Features(ogc_url)
    ids = [c["id"] for c in api.collections()["collections"]]
    assert ids[:3] == ["proposals", "sites", "interventions"] and "layer-parks" in ids
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    assert api.collection("sites")["itemType"] == "feature"
    page = api.collection_items("sites", limit=5)
    assert page["numberMatched"] == Site.objects.filter(moderation="accepted").count() == 14
    assert page["numberReturned"] == len(page["features"]) == 5
    bbox_page = api.collection_items("proposals", bbox=[16.15, 54.17, 16.185, 54.19], limit=100)
    assert 0 < bbox_page["numberMatched"] < 37
    assert "paths" in api.api()


def test_ogrinfo_counts_what_the_database_holds(ogc_url):
    out = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{ogc_url}", "proposals")
    count = int(re.search(r"Feature Count: (\d+)", out).group(1))
    assert count == Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).count() == 37
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{ogc_url}")
    assert "sites" in listing and "layer-parks" in listing and "city-land" not in listing


def test_ogr2ogr_with_small_pages_copies_every_feature_once(ogc_url, tmp_path):
    for collection, expected in [
        ("proposals", {f"Proposal {i} <b>&</b>" for i in range(37)}),
        ("sites", {f"Site {i}" for i in range(14)}),
    ]:
        out = tmp_path / f"{collection}.gpkg"
        gdal(
            "ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{ogc_url}", collection,
            "-oo", "PAGE_SIZE=4", "-nlt", "GEOMETRY",
        )  # fmt: skip
        frame = pyogrio.read_dataframe(out)
        names = list(frame["title" if collection == "proposals" else "name"])
        assert len(names) == len(expected) and set(names) == expected, collection


def test_ogr_spatial_filter_matches_postgis(ogc_url, tmp_path):
    """One feature a page: a filtered request follows its next links to the end (each page
    must count every match, not those after its cursor)."""
    out = tmp_path / "box.geojson"
    gdal(
        "ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{ogc_url}", "sites",
        "-spat", "16.16", "54.18", "16.20", "54.20", "-oo", "PAGE_SIZE=1",
    )  # fmt: skip
    got = {f["properties"]["name"] for f in json.loads(out.read_text())["features"]}
    from django.contrib.gis.geos import Polygon

    envelope = Polygon.from_bbox((16.16, 54.18, 16.20, 54.20))
    envelope.srid = 4326
    expected = set(
        Site.objects.filter(moderation="accepted", geom__intersects=envelope).values_list(
            "name", flat=True
        )
    )
    assert got == expected and len(expected) >= 3


def test_qgis_reads_a_collection_by_its_own_ogc_api_provider(ogc_url):
    """QGIS's OAPIF provider (Debian's 3.22, through PyQGIS), as the Add Layer dialog makes
    it: two features a page, and only those in the view's box: exactly the sites the
    database says intersect it, each once."""
    from django.contrib.gis.geos import Polygon

    from tests.geodata.test_qgis_project import pyqgis

    uri = f"url='{ogc_url}' typename='sites' pageSize='2' restrictToRequestBBOX='1'"
    got = pyqgis("--layer", uri, "OAPIF", "16.16", "54.18", "16.20", "54.20")
    assert got["valid"] and got["crs"] == "EPSG:4326", got
    box = Polygon.from_bbox((16.16, 54.18, 16.20, 54.20))
    box.srid = 4326
    inside = Site.objects.filter(moderation="accepted", geom__intersects=box)
    assert sorted(got["names"]) == sorted(inside.values_list("name", flat=True))
    assert len(got["names"]) >= 3
    whole = pyqgis("--layer", f"url='{ogc_url}' typename='sites' pageSize='4'", "OAPIF")
    assert sorted(whole["names"]) == sorted(
        Site.objects.filter(moderation="accepted").values_list("name", flat=True)
    )


def test_gis_clients_read_non_public_layers_with_a_token(ogc_url, tmp_path):
    """QGIS and GDAL send the token as a header (GDAL_HTTP_HEADERS; OWSLib's headers): the
    non-public layer is listed and copied whole; an unknown token is refused."""
    from rest_framework.authtoken.models import Token

    from geodata.models import Layer
    from mapapp.models import Role
    from tests.proposals.conftest import make_user

    gis = make_user(
        "gis@example.org", Role.GIS_STAFF, city=Layer.objects.get(name="City land").city
    )
    header = f"Authorization: Token {Token.objects.create(user=gis).key}"
    from owslib import ogcapi

    kept = dict(ogcapi.REQUEST_HEADERS)
    try:  # OWSLib adds the headers to its module-wide defaults: put them back after
        ids = [c["id"] for c in Features(ogc_url, headers=dict([header.split(": ")]))
               .collections()["collections"]]  # fmt: skip
    finally:
        ogcapi.REQUEST_HEADERS.clear()
        ogcapi.REQUEST_HEADERS.update(kept)
    assert "layer-city-land" in ids
    listing = gdal("ogrinfo", "-ro", "-q", "--config", "GDAL_HTTP_HEADERS", header,
                   f"OAPIF:{ogc_url}")  # fmt: skip
    assert "layer-city-land" in listing
    out = tmp_path / "land.gpkg"
    gdal("ogr2ogr", "-f", "GPKG", str(out), "--config", "GDAL_HTTP_HEADERS", header,
         f"OAPIF:{ogc_url}", "layer-city-land")  # fmt: skip
    stored = Layer.objects.get(name="City land").features.count()
    assert stored > 0 and len(pyogrio.read_dataframe(out)) == stored
    refused = subprocess.run(
        ["ogrinfo", "-ro", "-q", "--config", "GDAL_HTTP_HEADERS", "Authorization: Token bad",
         f"OAPIF:{ogc_url}"], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "401" in refused.stderr


def test_clients_filter_with_cql2_on_the_server(ogc_url, tmp_path):
    """OWSLib reads the queryables and sends a CQL2 filter; GDAL (3.6, as Debian ships it:
    it finds filter-lang in the API definition and sends the draft's cql-text) sends its
    attribute filter to the server (its debug output shows the request), and copies
    exactly the rows the database selects."""
    from django.db.models import Q

    api = Features(ogc_url)
    assert "status" in api.collection_queryables("proposals")["properties"]
    page = api.collection_items("proposals", filter="status = 'granted'", limit=100)
    granted = Proposal.objects.filter(status="granted", hidden_at__isnull=True).count()
    assert page["numberMatched"] == len(page["features"]) == granted > 0

    def copied(where: str) -> tuple[int, list[str]]:
        """ogr2ogr's copy with `-where`: how many features, and the items requests sent."""
        out = tmp_path / "copy.gpkg"
        out.unlink(missing_ok=True)
        done = subprocess.run(
            ["ogr2ogr", "--debug", "on", "-f", "GPKG", str(out), f"OAPIF:{ogc_url}",
             "proposals", "-where", where],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        asked = [line for line in done.stderr.splitlines() if "/items?" in line]
        return len(pyogrio.read_dataframe(out)), asked

    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, hidden_at__isnull=True)
    count, asked = copied("status = 'granted' OR category = 'seating'")
    assert count == public.filter(Q(status="granted") | Q(category="seating")).count() > granted
    assert any("filter=" in line for line in asked), asked[:5]
    # GDAL writes a negation as NOT over a bracketed condition, which pygeofilter's own
    # grammar could not read (a 400, and GDAL then stops)
    count, asked = copied("NOT (status = 'granted' OR category = 'seating')")
    assert any("filter=NOT%20(" in line for line in asked), asked[:5]
    assert count == public.exclude(status="granted").exclude(category="seating").count() > 0
