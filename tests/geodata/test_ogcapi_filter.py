"""OGC API - Features - Part 3: CQL2 filters on the collections' queryables, checked against
what the database itself selects; the queryables resource; bad filters answered 400 with the
reason; nothing private reachable by naming it; the same filter in the exports and the
tiles."""

import json
import re
import unicodedata
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


def test_and_binds_before_or_and_not_takes_a_bracketed_condition(client, exchange_world):
    seating, granted = Q(category="seating"), Q(status="granted")
    greenery = Q(category="greenery")
    text = "category = 'seating' OR status = 'granted' AND category = 'greenery'"
    want = expected(seating | (granted & greenery))
    assert want != expected((seating | granted) & greenery)  # the two readings differ here
    assert ids(client, text) == want
    assert ids(client, "status = 'granted' AND category = 'greenery' OR category = 'seating'") == (
        want
    )
    bracketed = "(category = 'seating' OR status = 'granted') AND category = 'greenery'"
    assert ids(client, bracketed) == expected((seating | granted) & greenery)
    assert ids(client, "NOT (category = 'seating' OR status = 'granted')") == expected(
        ~seating & ~granted
    )
    assert ids(client, "NOT (status IN ('granted', 'completed')) AND NOT category = 'seating'") == (
        expected(~Q(status__in=("granted", "completed")) & ~seating)
    )


def test_every_spatial_predicate_matches_postgis_on_the_geometry_shown(client, exchange_world):
    """Each predicate is written on the stored point and area (for their indexes); the
    answer must be PostGIS's own on the geometry the collection shows: the area where one
    is drawn, else the point."""
    from django.contrib.gis.db.models import GeometryField
    from django.db.models.functions import Coalesce

    shown = public().annotate(shape=Coalesce("area", "geom", output_field=GeometryField()))
    drawn = public().filter(area__isnull=False).first()
    inside = drawn.area.point_on_surface
    box = Polygon.from_bbox((16.16, 54.18, 16.20, 54.20))
    box.srid = inside.srid = 4326
    polygon = box.wkt
    cases = [
        (f"S_WITHIN(geometry, {polygon})", "within", box),
        (f"S_CONTAINS({polygon}, geometry)", "within", box),  # turned round
        (f"S_CONTAINS(geometry, {inside.wkt})", "contains", inside),
        (f"S_WITHIN({inside.wkt}, geometry)", "contains", inside),
        (f"S_INTERSECTS({polygon}, geometry)", "intersects", box),
        (f"S_OVERLAPS(geometry, {polygon})", "overlaps", box),
        (f"S_TOUCHES(geometry, {polygon})", "touches", box),
        (f"S_EQUALS(geometry, {drawn.area.wkt})", "equals", drawn.area),
        (f"NOT S_WITHIN(geometry, {polygon})", "within", box),
    ]
    for text, lookup, geometry in cases:
        want = set(shown.filter(**{f"shape__{lookup}": geometry}).values_list("pk", flat=True))
        if text.startswith("NOT"):
            want = expected(Q()) - want
        assert ids(client, text) == want, text
    assert len(ids(client, f"S_CONTAINS(geometry, {inside.wkt})")) == 1
    assert 0 < len(ids(client, f"S_WITHIN(geometry, {polygon})")) < public().count()


def test_filter_crs_takes_the_offered_crs_in_their_axis_order(client, exchange_world):
    """Part 3's filter-crs: geometries in any CRS the city offers, written in that CRS's axis
    order (EPSG:4326 and EPSG:2180 put the northing first; EPSG:3857 does not)."""
    drawn = public().filter(area__isnull=False).first()
    inside = drawn.area.point_on_surface
    lon, lat = inside.coords
    mercator, poland = inside.transform(3857, clone=True), inside.transform(2180, clone=True)
    written = {
        "EPSG:4326": f"POINT({lat} {lon})",
        "http://www.opengis.net/def/crs/EPSG/0/3857": f"POINT({mercator.x} {mercator.y})",
        "http://www.opengis.net/def/crs/EPSG/0/2180": f"POINT({poland.y} {poland.x})",
    }
    for crs, point in written.items():
        assert ids(client, f"S_CONTAINS(geometry, {point})", **{"filter-crs": crs}) == {drawn.pk}
        swapped = point.replace("POINT(", "").rstrip(")").split()
        other = f"POINT({swapped[1]} {swapped[0]})"  # the other axis order: elsewhere
        assert ids(client, f"S_CONTAINS(geometry, {other})", **{"filter-crs": crs}) == set()
    crs84 = ids(client, "S_INTERSECTS(geometry, BBOX(16.16, 54.18, 16.20, 54.20))")
    assert 0 < len(crs84) < public().count()
    north_first = "S_INTERSECTS(geometry, BBOX(54.18, 16.16, 54.20, 16.20))"
    assert ids(client, north_first, **{"filter-crs": "EPSG:4326"}) == crs84
    # a point no projection can reach: a 400 that says so, and the database connection (in
    # the test, one transaction) is still usable afterwards
    r = client.get(f"{ITEMS}?" + urlencode({"filter": "S_INTERSECTS(geometry, POINT(1e20 1e20))",
                                            "filter-crs": "EPSG:2180"}))  # fmt: skip
    assert r.status_code == 400 and "northing first" in r.json()["description"]
    assert ids(client, north_first, **{"filter-crs": "EPSG:4326"}) == crs84
    api = client.get("/ogcapi/koszalin/api?f=json").json()
    crs_enums = [
        p["schema"]["enum"]
        for path in api["paths"].values()
        for p in path.get("get", {}).get("parameters", [])
        if p.get("name") == "filter-crs"
    ]
    assert crs_enums and "http://www.opengis.net/def/crs/EPSG/0/2180" in crs_enums[0]


def test_temporal_functions_over_instants_and_intervals(client, exchange_world):
    """CQL2's T_ functions, written as CQL2 writes them, in text and JSON; open ends; the
    ECQL infix form and a property that is no time are 400s that say so. (Each function
    against a Python reading of its definition: tests/geodata/test_cql_differential.py.)"""
    since = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    after = expected(Q(published_at__gt=since))
    assert 0 < len(after) < public().count()
    assert ids(client, f"T_AFTER(published, TIMESTAMP('{stamp}'))") == after
    assert ids(client, f"T_DURING(published, INTERVAL('{stamp}', '..'))") == after
    assert ids(client, f"T_DISJOINT(published, INTERVAL('..', '{stamp}'))") == after
    tree = {"op": "t_after", "args": [{"property": "published"}, {"timestamp": stamp}]}
    assert ids(client, json.dumps(tree), lang="cql2-json") == after
    conformance = client.get("/ogcapi/koszalin/conformance?f=json").json()["conformsTo"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions" in conformance
    duration = {"op": "t_intersects", "args": [{"property": "published"},
                                                {"interval": ["2026-11-01", "P1D"]}]}  # fmt: skip
    for text, lang, said in [
        (f"published T_AFTER TIMESTAMP('{stamp}')", "cql2-text", "T_BEFORE(a, b)"),
        (f"T_AFTER(status, TIMESTAMP('{stamp}'))", "cql2-text", "T_AFTER takes times"),
        (json.dumps(duration), "cql2-json", "T_INTERSECTS takes times"),  # was a 500
    ]:
        r = client.get(f"{ITEMS}?{urlencode({'filter': text, 'filter-lang': lang})}")
        assert r.status_code == 400 and said in r.json()["description"], text


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
    said = refused(filter="status = 'granted'", **{"filter-crs": "EPSG:32633"})
    assert "filter-crs" in said and "not offered" in said and "EPSG/0/2180" in said
    assert "go with a filter" in refused(**{"filter-lang": "cql2-text"})
    assert "not supported" in refused(filter="support_count + 1 > 2")
    assert "at most" in refused(filter="status = '" + "x" * 5000 + "'")
    # values of the wrong kind: a 400 that says so, not the database's error
    for text, said in [
        ("status > 5", "status cannot be compared with number, string"),
        ("granted_amount = 'abc'", "granted_amount cannot be compared"),
        ("published > 5", "published cannot be compared with date-time, number"),
        ("support_count BETWEEN 'a' AND 'b'", "support_count cannot be compared"),
        ("granted_amount IN ('x', 1)", "granted_amount cannot be compared"),
        ("status = TRUE", "status cannot be compared with boolean, string"),
        ("support_count LIKE '1%'", "LIKE takes a text property"),
        ("CASEI(support_count) = 'x'", "CASEI and ACCENTI take text"),
        ("title LIKE 'abc\\'", "cannot end with its escape character"),
        ("title LIKE CASEI('abc\\')", "cannot end with its escape character"),
    ]:
        assert said in refused(filter=text), text
    assert ids(client, "title LIKE '%\\\\'") == set()  # an escaped backslash at the end
    assert ids(client, "published > DATE('2000-01-01')") == expected(Q())  # dates compare
    assert ids(client, "5 = 5") == expected(Q()) and ids(client, "'a' = 'b'") == set()
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


def like_regex(pattern: str, flags=0):
    """CQL2's LIKE as a Python regular expression, to check the database against: `%` any
    run of characters, `_` one character, a backslash makes the next one literal."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), flags | re.DOTALL)


def titled(*titles: str) -> list[int]:
    pks = sorted(public().values_list("pk", flat=True))[: len(titles)]
    for pk, title in zip(pks, titles, strict=True):
        Proposal.objects.filter(pk=pk).update(title=title)
    return pks


def by_title(test) -> set[int]:
    return {pk for pk, title in public().values_list("pk", "title") if test(title)}


def test_like_has_cql2s_wildcards_and_escape(client, exchange_world):
    titled("Ala", "Alaska", "A_b", "Axb", "50% off", "500 off", "Park_1", "Komunitní zahrada")
    for pattern in ["A%a%a", "A_b", "A\\_b", "50\\%%", "50%", "%\\_%", "Park__", "Park_",
                    "%zahrada", "_la%", "%"]:  # fmt: skip
        escaped = pattern.replace("'", "''")
        regex = like_regex(pattern)
        want = by_title(lambda t, r=regex: r.fullmatch(t) is not None)
        assert ids(client, f"title LIKE '{escaped}'") == want, pattern
        assert ids(client, f"title NOT LIKE '{escaped}'") == expected(Q()) - want, pattern
    # the cases the old reading (starts with, contains, ends with) got wrong
    assert ids(client, "title LIKE 'A%a%a'") == by_title(lambda t: t == "Alaska")
    assert ids(client, "title LIKE 'A_b'") == by_title(lambda t: t in ("A_b", "Axb"))


def test_casei_and_accenti(client, exchange_world):
    titled("Komunitní Zahrada", "komunitni zahrada", "KOMUNITNÍ ZAHRADA", "Ogród")
    fold = lambda t: "".join(  # noqa: E731
        c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c)
    )
    cases = [
        ("CASEI(title) = CASEI('komunitní zahrada')",
         lambda t: t.lower() == "komunitní zahrada"),
        ("CASEI(title) LIKE CASEI('%zahrada')", lambda t: t.lower().endswith("zahrada")),
        ("ACCENTI(title) = ACCENTI('Komunitni Zahrada')",
         lambda t: fold(t) == "Komunitni Zahrada"),
        ("CASEI(ACCENTI(title)) = CASEI(ACCENTI('KOMUNITNI zahrada'))",
         lambda t: fold(t).lower() == "komunitni zahrada"),
        ("ACCENTI(title) LIKE 'Ogrod%'", lambda t: fold(t).startswith("Ogrod")),
    ]  # fmt: skip
    for text, test in cases:
        want = by_title(test)
        assert want and ids(client, text) == want, text
    assert len(ids(client, "CASEI(title) LIKE CASEI('komunitni%')")) == 1  # the accent differs
    tree = {"op": "like", "args": [{"op": "casei", "args": [{"property": "title"}]},
                                   {"op": "casei", "args": ["%ZAHRADA"]}]}  # fmt: skip
    assert ids(client, json.dumps(tree), lang="cql2-json") == by_title(
        lambda t: t.lower().endswith("zahrada")
    )
    tree = {"op": "=", "args": [{"op": "accenti", "args": [{"property": "title"}]},
                                {"op": "accenti", "args": ["Ogrod"]}]}  # fmt: skip
    assert ids(client, json.dumps(tree), lang="cql2-json") == by_title(lambda t: t == "Ogród")
    # the draft's ILIKE, which GDAL may send: LIKE without case
    ends = by_title(lambda t: t.lower().endswith("zahrada"))
    assert ids(client, "title ILIKE '%ZAHRADA'") == ends
    assert ids(client, "title NOT ILIKE 'komunitni%'") == by_title(
        lambda t: not t.lower().startswith("komunitni")
    )
    numeric = json.dumps({"op": "like", "args": [{"property": "title"}, 5]})
    r = client.get(f"{ITEMS}?{urlencode({'filter': numeric, 'filter-lang': 'cql2-json'})}")
    assert r.status_code == 400 and "LIKE takes a text pattern" in r.json()["description"]
    conformance = client.get("/ogcapi/koszalin/conformance?f=json").json()["conformsTo"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison" in conformance
    assert "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison" in (
        conformance
    )


def test_a_property_without_a_value_is_neither_equal_nor_unequal(client, exchange_world):
    """CQL2's three-valued logic, as SQL's: a comparison with a missing value is unknown, and
    neither it nor its negation selects the row."""
    pks = sorted(public().values_list("pk", flat=True))
    for amount, pk in zip((50, 100, 5000, 20000), pks, strict=False):
        Proposal.objects.filter(pk=pk).update(granted_amount=amount)
    amounts = dict(public().values_list("pk", "granted_amount"))
    assert None in amounts.values()

    def where(test) -> set[int]:
        return {pk for pk, a in amounts.items() if a is not None and test(a)}

    cases = [
        ("granted_amount <> 5000", lambda a: a != 5000),
        ("NOT (granted_amount > 100)", lambda a: a <= 100),
        ("NOT (granted_amount = 50)", lambda a: a != 50),
        ("granted_amount NOT BETWEEN 60 AND 10000", lambda a: not 60 <= a <= 10000),
        ("NOT (granted_amount BETWEEN 60 AND 10000)", lambda a: not 60 <= a <= 10000),
        ("granted_amount NOT IN (50, 100)", lambda a: a not in (50, 100)),
        ("NOT (granted_amount IN (50, 100) OR granted_amount < 10)",
         lambda a: a not in (50, 100) and not a < 10),
        ("100 <= granted_amount", lambda a: a >= 100),
    ]  # fmt: skip
    for text, test in cases:
        want = where(test)
        assert want and ids(client, text) == want, text
    # NOT (unknown OR true) is false; NOT (unknown AND false) is true
    assert ids(client, "NOT (granted_amount > 100 OR status = 'granted')") == {
        pk for pk in where(lambda a: a <= 100) if pk not in expected(Q(status="granted"))
    }
    both = "NOT (granted_amount > 100 AND category = 'no such category')"
    assert ids(client, both) == expected(Q())
    tree = {"op": "between", "args": [{"property": "granted_amount"}, 60, 10000]}  # the standard's
    assert ids(client, json.dumps(tree), lang="cql2-json") == where(lambda a: 60 <= a <= 10000)
