"""OGC API - Features - Part 3: CQL2 filters on the collections' queryables, checked against
what the database itself selects; the queryables resource; bad filters answered 400 with the
reason; nothing private reachable by naming it; the same filter in the exports and the
tiles."""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.gis.geos import Polygon
from django.db.models import Q
from django.utils import timezone

from proposals.models import Proposal

pytestmark = pytest.mark.django_db
ITEMS = "/ogcapi/koszalin/collections/proposals/items"


def public():
    return Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, hidden_at__isnull=True)


def ids(client, filter_, lang=None, collection="proposals", **more) -> set[int]:
    query = {"filter": filter_, "limit": 1000, "f": "json", **more}
    if lang:
        query["filter-lang"] = lang
    r = client.get(f"/ogcapi/koszalin/collections/{collection}/items?{urlencode(query)}")
    assert r.status_code == 200, r.content
    page = r.json()
    assert page["numberMatched"] == page["numberReturned"] == len(page["features"])
    return {f["id"] for f in page["features"]}


def expected(q: Q) -> set[int]:
    return set(public().filter(q).values_list("pk", flat=True))


def test_cql2_text_filters_select_what_the_database_selects(client, exchange_world):
    cases = [
        ("status = 'granted'", Q(status="granted")),
        ("status = 'granted' AND category = 'greenery'", Q(status="granted", category="greenery")),
        ("status IN ('granted', 'completed') OR category = 'seating'",
         Q(status__in=("granted", "completed")) | Q(category="seating")),
        ("NOT (category = 'playground')", ~Q(category="playground")),
        ("title LIKE 'Proposal 1%'", Q(title__startswith="Proposal 1")),
        ("support_count BETWEEN 0 AND 10", Q(support_count__range=(0, 10))),
        ("granted_amount IS NULL", Q(granted_amount__isnull=True)),
    ]  # fmt: skip
    for text, q in cases:
        want = expected(q)
        assert want and ids(client, text) == want, text
    since = timezone.now() - timedelta(days=10)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client, f"published > TIMESTAMP('{stamp}')") == expected(
        Q(published_at__gt=since.replace(microsecond=0))
    )


def test_spatial_filters_in_crs84_match_postgis(client, exchange_world):
    box = (16.16, 54.18, 16.20, 54.20)
    envelope = Polygon.from_bbox(box)
    envelope.srid = 4326
    area_or_point = Q(area__intersects=envelope) | Q(area__isnull=True, geom__intersects=envelope)
    want = expected(area_or_point)
    assert 0 < len(want) < public().count()
    assert ids(client, "S_INTERSECTS(geometry, BBOX(16.16, 54.18, 16.20, 54.20))") == want
    polygon = "POLYGON((16.16 54.18, 16.20 54.18, 16.20 54.20, 16.16 54.20, 16.16 54.18))"
    assert ids(client, f"S_INTERSECTS(geometry, {polygon}) AND status = 'granted'") == (
        want & expected(Q(status="granted"))
    )
    assert ids(client, f"S_DISJOINT(geometry, {polygon})") == expected(Q()) - want
    # with the other parameters: bbox and filter together
    assert ids(client, "status = 'granted'", bbox="16.16,54.18,16.20,54.20") == (
        want & expected(Q(status="granted"))
    )


def test_cql2_json_reads_the_same(client, exchange_world):
    status = {"op": "=", "args": [{"property": "status"}, "granted"]}
    supported = {"op": ">=", "args": [{"property": "support_count"}, 0]}
    tree = {"op": "and", "args": [status, supported]}
    assert ids(client, json.dumps(tree), lang="cql2-json") == expected(Q(status="granted"))


def test_bad_filters_are_400_with_the_reason_and_private_columns_cannot_be_named(
    client, exchange_world
):
    def refused(**query) -> str:
        r = client.get(f"{ITEMS}?{urlencode(query)}")
        assert r.status_code == 400, (query, r.content)
        assert r.json()["code"] == "InvalidParameterValue"
        return r.json()["description"]

    assert "cannot be read" in refused(filter="status = ")
    said = refused(filter="contact_phone LIKE '+48%'")  # a private field
    assert "not a queryable" in said and "status" in said and "contact_phone, " not in said
    assert "not a queryable" in refused(filter="author_id = 1")
    assert "filter-lang" in refused(filter="status = 'granted'", **{"filter-lang": "ecql"})
    assert "filter-crs" in refused(filter="status = 'granted'", **{"filter-crs": "EPSG:2180"})
    assert "go with a filter" in refused(**{"filter-lang": "cql2-text"})
    assert "not supported" in refused(filter="support_count + 1 > 2")
    assert "at most" in refused(filter="status = '" + "x" * 5000 + "'")
    # a quote inside a string is written twice, as CQL2 has it
    Proposal.objects.filter(pk=min(public().values_list("pk", flat=True))).update(
        title="Children's garden"
    )
    quoted = expected(Q(title="Children's garden"))
    assert len(quoted) == 1 and ids(client, "title = 'Children''s garden'") == quoted
    assert ids(client, "title LIKE 'Children''s%' AND status <> 'x'") == quoted
    assert ids(client, "title IN ('Children''s garden', 'x')") == quoted
    # a value is a value, bound as a parameter, never written into the SQL
    assert ids(client, "title = 'x; DELETE FROM proposals_proposal; --'") == set()
    assert public().count() == 37


def test_queryables_describe_what_a_filter_may_name(client, exchange_world):
    r = client.get("/ogcapi/koszalin/collections/proposals/queryables")
    assert r.status_code == 200 and r["Content-Type"] == "application/schema+json"
    schema = r.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/collections/proposals/queryables")
    props = schema["properties"]
    assert props["status"]["type"] == "string" and "granted" in props["status"]["enum"]
    assert props["published"]["format"] == "date-time" and "geometry" in props
    assert "contact_phone" not in props and not any("x-field" in p for p in props.values())
    links = client.get("/ogcapi/koszalin/collections/proposals?f=json").json()["links"]
    assert any(link["rel"].endswith("/queryables") for link in links)
    conformance = client.get("/ogcapi/koszalin/conformance?f=json").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in conformance
    layer = client.get("/ogcapi/koszalin/collections/layer-parks/queryables").json()
    assert set(layer["properties"]) == {"name", "population", "geometry"}


def test_the_same_filter_in_exports_and_tiles(client, exchange_world):
    want = expected(Q(status="granted"))
    r = client.get("/api/v1/koszalin/export/proposals/",
                   {"format": "geojson", "filter": "status = 'granted'"})  # fmt: skip
    assert r.status_code == 200
    got = json.loads(b"".join(r.streaming_content))["features"]
    assert {f["id"] for f in got} == want
    bad = client.get("/api/v1/koszalin/export/proposals/", {"format": "geojson",
                                                             "filter": "nope ="})  # fmt: skip
    assert bad.status_code == 400
    tile = client.get("/tiles/koszalin/proposals/0/0/0.mvt", {"filter": "nope ="})
    assert tile.status_code == 400
    from tests.geodata.test_tiles import decode, fetch, tile_of

    z, x, y = tile_of(16.185, 54.19, 7)  # aggregated: the counts add up to what it selects
    text = "status = 'granted' OR category = 'seating'"
    features = decode(fetch(client, "proposals", z, x, y, filter=text))["proposals"]["features"]
    selected = expected(Q(status="granted") | Q(category="seating"))
    assert sum(f["properties"]["count"] for f in features) == len(selected) < public().count()


def test_the_html_page_has_a_filter_form_that_keeps_the_other_parameters(client, exchange_world):
    query = urlencode({"f": "html", "filter": "status = 'granted'", "q": "Proposal",
                       "limit": 500})  # fmt: skip
    page = client.get(f"{ITEMS}?{query}").content.decode()
    form = page[
        page.index('id="items-filter"') : page.index("</form>", page.index('id="items-filter"'))
    ]
    assert 'name="filter" value="status = &#x27;granted&#x27;"' in form  # escaped
    assert 'name="q" value="Proposal"' in form and 'name="filter-lang"' not in form
    assert "/collections/proposals/queryables" in form
    granted = len(expected(Q(status="granted")))
    assert f"{granted} of {granted} features." in page
