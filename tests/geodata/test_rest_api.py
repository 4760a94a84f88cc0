"""The REST API under /api/v1/<city>/: filters, bbox, ordering, paging with next links, the
OpenAPI document and its docs page, tokens for GIS staff."""

import json

import pytest
from django.contrib.gis.geos import Polygon
from rest_framework.authtoken.models import Token

from geodata.models import Layer
from mapapp.models import Role
from proposals.models import Proposal
from tests.proposals.conftest import make_user

API = "/api/v1/koszalin/"


def get(client, path, **params):
    return client.get(API + path, params)


def body(r):
    return json.loads(r.content)


def test_paging_follows_next_links_to_every_feature_once(client, exchange_world):
    url, seen = API + "proposals/?limit=8&ordering=-published", []
    while url:
        doc = body(client.get(url))
        assert doc["numberMatched"] == 37
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 37
    published = dict(Proposal.objects.values_list("id", "published_at"))
    assert [published[i] for i in seen] == sorted((published[i] for i in seen), reverse=True)


def test_filters_bbox_and_datetime(client, exchange_world):
    doc = body(get(client, "proposals/", status="granted", category="seating"))
    assert doc["features"] and all(
        f["properties"]["status"] == "granted" and f["properties"]["category"] == "seating"
        for f in doc["features"]
    )
    box = Polygon.from_bbox((16.16, 54.18, 16.20, 54.20))
    box.srid = 4326
    expected = set(
        Proposal.objects.filter(
            status__in=Proposal.PUBLIC_STATUSES, geom__intersects=box
        ).values_list("id", flat=True)
    )
    got = {
        f["id"] for f in body(get(client, "proposals/", bbox="16.16,54.18,16.20,54.20"))["features"]
    }
    assert got == expected and 0 < len(got) < 37
    doc = body(get(client, "interventions/", datetime="2024-03-01/.."))
    assert doc["numberMatched"] == 4
    doc = body(get(client, "sites/", ordering="name", limit=3))
    assert [f["properties"]["name"] for f in doc["features"]] == ["Site 0", "Site 1", "Site 10"]


def test_malformed_parameters_answer_400_with_the_reason(client, exchange_world):
    for params, words in [
        ({"bbox": "16,54"}, "bbox"),
        ({"limit": "many"}, "limit"),
        ({"ordering": "author"}, "ordering"),
        ({"datetime": "2024-13-45"}, "datetime"),
        ({"offset": "242654359221361744944734929650974720"}, "offset: at most"),  # found by
        # the API fuzzer: PostgreSQL refused it as out of range, a 500
    ]:
        r = get(client, "proposals/", **params)
        assert r.status_code == 400, params
        assert words in body(r)["detail"]


def test_a_filter_value_outside_its_choices_answers_400_not_everything(
    client, exchange_world, grant_call, ostrava
):
    """A misspelt status, a call of another city or no year is refused with what is allowed,
    as the OGC API and the tiles refuse it: the API answered the whole collection, as if
    unfiltered. An empty value is no filter; a parameter the collection does not know is
    ignored (the city map sends one query to every layer)."""
    from proposals.models import GrantCall

    elsewhere = GrantCall.objects.create(
        city=ostrava, title={"en": "Elsewhere"}, opens_at=grant_call.opens_at,
        closes_at=grant_call.closes_at, total_budget=1000, project_cap=100,
    )  # fmt: skip
    for path, params, words in [
        ("proposals/", {"status": "colecting_support"}, "status: colecting_support is not one"),
        ("proposals/", {"status": "draft"}, "status: draft is not one of collecting_support"),
        ("proposals/", {"category": "bench"}, "category: bench is not one of community_garden"),
        (
            "proposals/",
            {"call": elsewhere.pk},
            f"call: {elsewhere.pk} is not one of {grant_call.pk}",
        ),
        ("proposals/", {"call": "latest"}, "call: latest is not one of"),
        ("proposals/", {"year": "last"}, "year: a year such as"),
        ("sites/", {"condition": "broken"}, "condition: broken is not one of"),
        ("interventions/", {"sustainability": "over"}, "sustainability: over is not one of"),
        ("interventions/", {"category": "bench"}, "category: bench is not one of"),
    ]:
        r = get(client, path, **params)
        assert r.status_code == 400, params
        assert words in body(r)["detail"], params
    everything = body(get(client, "proposals/"))["numberMatched"]
    assert (
        body(get(client, "proposals/", status="", year="", foo="bar"))["numberMatched"]
        == everything
    )
    # a parameter another collection knows is no error here (the map's one query)
    assert get(client, "sites/", status="granted", call="x").status_code == 200
    mine = body(get(client, "proposals/", call=grant_call.pk, status=["granted", "rejected"]))
    assert mine["features"]
    assert {f["properties"]["status"] for f in mine["features"]} <= {"granted", "rejected"}


def test_features_carry_public_fields_only(client, exchange_world):
    text = get(client, "proposals/").content.decode()
    for private in ("+48 600", "contact_phone", "author", "consent", "draft"):
        assert private not in text


def test_openapi_document_and_docs_page_are_served_locally(client, exchange_world):
    r = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    doc = json.loads(r.content)
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert "/api/v1/{city}/proposals/" in paths
    names = {p["name"] for p in paths["/api/v1/{city}/proposals/"]["get"]["parameters"]}
    assert {"bbox", "status", "category", "call", "limit", "offset", "ordering"} <= names
    html = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()


def test_gis_staff_read_non_public_layers_with_a_token(client, exchange_world, ostrava):
    hidden = Layer.objects.get(name="City land", is_current=True)
    names = [x["name"] for x in body(get(client, "layers/"))["layers"]]
    assert "City land" not in names
    assert get(client, f"layers/{hidden.pk}/").status_code == 404
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=exchange_world)
    token = Token.objects.create(user=gis)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    names = [x["name"] for x in body(client.get(API + "layers/", **auth))["layers"]]
    assert "City land" in names
    assert client.get(API + f"layers/{hidden.pk}/", **auth).status_code == 200
    # a role in another city grants nothing here
    other = make_user("gis2@example.org", Role.GIS_STAFF, city=ostrava)
    other_token = Token.objects.create(user=other)
    r = client.get(API + f"layers/{hidden.pk}/", HTTP_AUTHORIZATION=f"Token {other_token.key}")
    assert r.status_code == 404
    r = client.get(API + "layers/", HTTP_AUTHORIZATION="Token not-a-token")
    assert r.status_code == 401


def test_layer_features_page_and_filter_by_bbox(client, exchange_world, tmp_path):
    from geodata.importers import import_layer

    features = [
        {"type": "Feature", "properties": {"name": f"Tree {i}"},
         "geometry": {"type": "Point", "coordinates": [16.15 + i * 0.001, 54.19]}}
        for i in range(30)
    ]  # fmt: skip
    path = tmp_path / "trees.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    layer = import_layer(city=exchange_world, kind="street_trees", path=path, name="Trees").layer
    url, names = f"{API}layers/{layer.pk}/?limit=7&ordering=name", []
    while url:
        doc = body(client.get(url))
        names += [f["properties"]["name"] for f in doc["features"]]
        url = next((x["href"] for x in doc["links"] if x["rel"] == "next"), None)
    assert len(names) == len(set(names)) == 30
    doc = body(get(client, f"layers/{layer.pk}/", bbox="16.1495,54.18,16.1555,54.20"))
    assert sorted(f["properties"]["name"] for f in doc["features"]) == [
        f"Tree {i}" for i in range(6)
    ]


def test_bbox_edges_are_exact(client, exchange_world, grant_call, resident):
    """On an edge or a corner is inside; a hair (1e-9 degree) outside is outside, in the REST
    API and OGC API alike: what ST_Intersects says, though the index's boxes are coarser."""
    from tests.geodata.test_analysis import proposal

    spots = {
        "west edge": (16.16, 54.19),
        "north-east corner": (16.20, 54.20),
        "a hair west": (16.16 - 1e-9, 54.19),
        "a hair north": (16.18, 54.20 + 1e-9),
    }
    made = {name: proposal(grant_call, resident, xy, title=name).pk for name, xy in spots.items()}
    box = Polygon.from_bbox((16.16, 54.18, 16.20, 54.20))
    box.srid = 4326
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES)
    # the REST API filters by the point; OGC API by the drawn area where there is one
    by_point = set(public.filter(geom__intersects=box).values_list("id", flat=True))
    assert by_point & set(made.values()) == {made["west edge"], made["north-east corner"]}
    rest = body(get(client, "proposals/", bbox="16.16,54.18,16.20,54.20"))["features"]
    assert {f["id"] for f in rest} == by_point
    ogc = body(
        client.get(
            "/ogcapi/koszalin/collections/proposals/items",
            {"bbox": "16.16,54.18,16.20,54.20", "limit": 1000, "f": "json"},
        )
    )["features"]
    points_only = public.filter(area__isnull=True).values_list("id", flat=True)
    assert {f["id"] for f in ogc} & set(points_only) == by_point & set(points_only)


def test_features_are_valid_json_whatever_the_text(koszalin, grant_call, resident):
    """features_json joins the features as text: titles with quotes, backslashes, line
    breaks, markup and non-Latin letters come back as written, and a row without geometry
    (a draft's) has "geometry": null."""
    from django.db.models import F

    from geodata.exchange import features_json
    from tests.geodata.test_analysis import proposal

    titles = ['Say "hi"', "back\\slash", "two\nlines", "</script><b>", "Łąka · Zelená louka"]
    for title in titles:
        proposal(grant_call, resident, (16.18, 54.19), title=title)
    draft = Proposal.objects.create(
        city=koszalin, grant_call=grant_call, author=resident, title="No place yet"
    )
    text, n = features_json(
        Proposal.objects.filter(city=koszalin),
        properties=["title"],
        geometry=F("geom"),
        id_property=True,
    )
    features = json.loads(text)
    assert n == len(features) == len(titles) + 1
    assert [f["properties"]["title"] for f in features] == [*titles, "No place yet"]
    assert next(f for f in features if f["id"] == draft.pk)["geometry"] is None
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [16.18, 54.19]}


@pytest.mark.parametrize(
    "path", ["/api/v1/koszalin/proposals/", "/api/v1/koszalin/sites/",
             "/api/v1/koszalin/interventions/", "/api/v1/koszalin/boundary/"],
)  # fmt: skip
def test_a_client_asking_for_geojson_by_its_media_type_is_served(client, koszalin, path):
    """RFC 7946's media type: `Accept: application/geo+json` alone was refused with 406."""
    response = client.get(path, HTTP_ACCEPT="application/geo+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert client.get(path, HTTP_ACCEPT="text/csv").status_code == 406  # still negotiated
