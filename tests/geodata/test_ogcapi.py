"""OGC API - Features at /ogcapi/<city>/: the documents, paging, filters, CRS, and what is
never public. Real clients (OWSLib, GDAL's ogrinfo and ogr2ogr) are in test_ogcapi_clients."""

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry
from pyproj import Transformer

from geodata.collections import city_collections
from mapapp.models import Role
from proposals.models import Proposal
from sites.models import Site
from tests.proposals.conftest import make_user

BASE = "/ogcapi/koszalin/"


def get(client, path, **params):
    response = client.get(BASE + path, params, HTTP_ACCEPT="*/*")
    return response


def body(response):
    return json.loads(response.content)


def all_items(client, collection, **params):
    """Every feature of a collection, following next links."""
    url = f"{BASE}collections/{collection}/items"
    found = []
    query = dict(params)
    while url:
        r = client.get(url, query, HTTP_ACCEPT="application/geo+json")
        assert r.status_code == 200, r.content
        doc = body(r)
        found += doc["features"]
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        url, query = (nxt[0], None) if nxt else (None, None)
    return found


def test_landing_conformance_and_collections(client, exchange_world):
    landing = body(get(client, ""))
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = body(get(client, "conformance"))["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    cols = body(get(client, "collections"))["collections"]
    ids = [c["id"] for c in cols]
    assert ids[:3] == ["proposals", "sites", "interventions"]
    assert "layer-parks" in ids and "layer-city-land" not in ids  # not public
    proposals = cols[0]
    assert "http://www.opengis.net/def/crs/EPSG/0/2180" in proposals["crs"]
    assert "http://www.opengis.net/def/crs/EPSG/0/5514" in proposals["crs"]
    assert len(proposals["extent"]["spatial"]["bbox"][0]) == 4
    assert proposals["extent"]["temporal"]["interval"][0][0].endswith("Z")
    api = get(client, "api")
    assert api["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/collections/proposals/items" in body(api)["paths"]


def test_non_public_layer_for_gis_staff_only(client, exchange_world):
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=exchange_world)
    client.force_login(gis)
    ids = [c["id"] for c in body(get(client, "collections"))["collections"]]
    assert "layer-city-land" in ids
    assert get(client, "collections/layer-city-land/items").status_code == 200
    client.logout()
    assert get(client, "collections/layer-city-land/items").status_code == 404


def test_items_hold_exactly_the_public_rows_once(client, exchange_world):
    public = set(
        Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).values_list("id", flat=True)
    )
    features = all_items(client, "proposals", limit=7)
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == len(public) == 37
    assert set(ids) == public
    text = json.dumps(features)
    assert "+48 600" not in text and "draft" not in text  # private fields, private rows
    assert {f["geometry"]["type"] for f in features} == {"Point", "Polygon"}
    sites = all_items(client, "sites", limit=5)
    assert {f["id"] for f in sites} == set(
        Site.objects.filter(moderation="accepted").values_list("id", flat=True)
    )


def test_paging_counts_and_links(client, exchange_world):
    doc = body(get(client, "collections/proposals/items", limit=10, offset=30))
    assert doc["numberMatched"] == 37 and doc["numberReturned"] == 7
    rels = {link["rel"] for link in doc["links"]}
    assert "prev" in rels and "next" not in rels
    # a huge limit is clamped, not refused
    doc = body(get(client, "collections/proposals/items", limit=10**9))
    assert doc["numberReturned"] == 37
    self_link = next(link["href"] for link in doc["links"] if link["rel"] == "self")
    assert "limit=10000" in self_link
    # next links carry a keyset cursor: the position keeps numberMatched and prev right
    first = body(get(client, "collections/proposals/items", limit=10))
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert "cursor=" in nxt and "offset" not in nxt
    second = body(client.get(nxt, HTTP_ACCEPT="*/*"))
    assert second["numberReturned"] == 10 and second["numberMatched"] == 37
    assert min(f["id"] for f in second["features"]) > max(f["id"] for f in first["features"])
    assert any(link["rel"] == "prev" for link in second["links"])


@pytest.mark.parametrize(
    "filters",
    [{}, {"bbox": "16.15,54.17,16.22,54.21"}, {"status": "granted,submitted,completed"},
     {"filter": "support_count >= 0"}, {"q": "Proposal"}],
)  # fmt: skip
def test_following_next_links_reaches_every_row_once_filtered_or_not(
    client, exchange_world, filters
):
    """A client pages by the next links, three rows a page: each row it may see comes
    once, and every page counts them all (numberMatched), not those left after it."""
    from urllib.parse import urlencode

    first = f"/ogcapi/koszalin/collections/proposals/items?{urlencode({**filters, 'limit': 3})}"
    total = body(client.get(first, HTTP_ACCEPT="*/*"))["numberMatched"]
    assert total > 6
    seen, url, pages = [], first, 0
    while url:
        doc = body(client.get(url, HTTP_ACCEPT="*/*"))
        assert doc["numberMatched"] == total, (pages, url)
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
        pages += 1
    assert len(seen) == len(set(seen)) == total and pages == -(-total // 3)


@pytest.mark.parametrize(
    "params, words",
    [
        ({"foo": "1"}, "Unknown query parameter: foo"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "99999999999999999999"}, "offset: at most"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "16.2,54.1,16.1,54.2"}, "lower corner"),
        ({"bbox": "16.1,54.1,16.2,54.2", "bbox-crs": "EPSG:9999999"}, "bbox-crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/32633"}, "not offered"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"status": "draft"}, "status: draft is not one of"),
        ({"call": "x"}, "call"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "5.10", "offset": "10"}, "offset or cursor"),
        ({"cursor": f"{2**63}.10"}, "cursor"),  # beyond any key (found by the fuzz test)
        (
            {
                "bbox": "1e20,1e20,2e20,2e20",
                "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2180",
            },
            "bbox: it lies outside what EPSG:2180 can express (check the axis order: northing",
        ),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(client, exchange_world, params, words):
    r = get(client, "collections/proposals/items", **params)
    assert r.status_code == 400
    assert words in body(r)["description"]


def test_unknown_collection_feature_and_city_are_404(client, exchange_world):
    assert get(client, "collections/nope").status_code == 404
    assert get(client, "collections/proposals/items/999999").status_code == 404
    assert get(client, f"collections/proposals/items/{2**64}").status_code == 404  # no 500
    # a box of no size in a projected CRS is a point there (it was a 500)
    point = get(client, "collections/proposals/items", bbox="0,0,0,0",
                **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2180"})  # fmt: skip
    assert point.status_code == 200 and body(point)["numberMatched"] == 0
    draft = Proposal.objects.filter(status="draft").first()
    assert get(client, f"collections/proposals/items/{draft.pk}").status_code == 404
    assert client.get("/ogcapi/atlantis/collections").status_code == 404


def test_bbox_returns_exactly_what_postgis_says_intersects(client, exchange_world):
    box = (16.16, 54.18, 16.20, 54.20)
    envelope = GEOSGeometry(
        "SRID=4326;POLYGON((16.16 54.18, 16.2 54.18, 16.2 54.2, 16.16 54.2, 16.16 54.18))"
    )
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES)
    expected = {
        p.pk for p in public if (p.area if p.area is not None else p.geom).intersects(envelope)
    }
    got = {f["id"] for f in all_items(client, "proposals", bbox=",".join(map(str, box)))}
    assert got == expected and 0 < len(got) < 37
    # the same box given in EPSG:2180 (northing first) selects the same rows, edge effects
    # aside: the box is reprojected exactly, so compare with PostGIS on the same polygon
    to_2180 = Transformer.from_crs(4326, 2180, always_xy=True)
    (x1, y1), (x2, y2) = to_2180.transform(16.16, 54.18), to_2180.transform(16.20, 54.20)
    r = all_items(
        client,
        "proposals",
        bbox=f"{min(y1, y2)},{min(x1, x2)},{max(y1, y2)},{max(x1, x2)}",
        **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2180"},
    )
    from django.contrib.gis.geos import Polygon

    env_2180 = Polygon.from_bbox((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    env_2180.srid = 2180
    db = {
        p.pk
        for p in public.filter(
            pk__in=[
                p.pk
                for p in public
                if (p.area if p.area is not None else p.geom)
                .transform(2180, clone=True)
                .intersects(env_2180)
            ]
        )
    }
    assert {f["id"] for f in r} == db


def test_output_crs_and_axis_order(client, exchange_world):
    p = Proposal.objects.filter(status="submitted", area__isnull=True).first()
    lon, lat = p.geom.x, p.geom.y
    r = get(
        client,
        f"collections/proposals/items/{p.pk}",
        crs="http://www.opengis.net/def/crs/EPSG/0/2180",
    )
    assert r["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/2180>"
    x, y = body(r)["geometry"]["coordinates"]
    east, north = Transformer.from_crs(4326, 2180, always_xy=True).transform(lon, lat)
    assert (x, y) == pytest.approx((north, east), abs=0.02)  # EPSG:2180 is northing first
    r = get(client, f"collections/proposals/items/{p.pk}", crs="EPSG:4326")
    assert body(r)["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-6)
    r = get(client, f"collections/proposals/items/{p.pk}", crs="EPSG:5514")
    x, y = body(r)["geometry"]["coordinates"]
    e, n = Transformer.from_crs(4326, 5514, always_xy=True).transform(lon, lat)
    assert (x, y) == pytest.approx((e, n), abs=0.02)  # Krovak East North: easting first
    r = get(client, f"collections/proposals/items/{p.pk}")
    assert r["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert body(r)["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)


def test_datetime_and_property_filters(client, exchange_world):
    from django.utils import timezone

    since = (timezone.now() - __import__("datetime").timedelta(days=10, hours=1)).isoformat()
    got = all_items(client, "proposals", datetime=f"{since}/..")
    expected = Proposal.objects.filter(
        status__in=Proposal.PUBLIC_STATUSES, published_at__gte=since
    ).count()
    assert len(got) == expected == 11
    got = all_items(client, "interventions", datetime="2024-01-01/2024-06-30")
    assert {f["properties"]["title"] for f in got} == {"Intervention 0", "Intervention 1"}
    got = all_items(client, "proposals", status="granted,rejected", category="seating")
    assert got and all(
        f["properties"]["status"] in ("granted", "rejected")
        and f["properties"]["category"] == "seating"
        for f in got
    )


def test_html_for_browsers_json_for_others_and_text_escaped(client, exchange_world):
    r = client.get(BASE + "collections/proposals/items", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert "Proposal 0 &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html
    # laid out as the site's other pages: a padded page, its tables styled as theirs
    assert '<div class="page wide">' in html and '<table class="data data-table">' in html
    r = client.get(BASE + "collections/proposals/items", HTTP_ACCEPT="*/*")
    assert r["Content-Type"] == "application/geo+json"
    r = client.get(BASE, {"f": "html"})
    assert r["Content-Type"].startswith("text/html")
    assert client.get(BASE, {"f": "xml"}).status_code == 400


def test_every_collection_registered_is_served(client, exchange_world):
    for cid in city_collections(city=exchange_world):
        r = get(client, f"collections/{cid}/items", limit=2)
        assert r.status_code == 200, cid
        assert body(r)["numberReturned"] <= 2
