"""Search words (`q`) everywhere a collection is read: the REST API (and so the city map), OGC
API Features, the exports and the vector tiles find the same rows as the list pages: every
word, in any case and with or without accents, in the name or the description; public rows
only."""

import json
import re

import mapbox_vector_tile
import pytest
from django.db import connection

from geodata.models import Layer
from mapapp.filters import words_q
from proposals.models import Proposal
from proposals.selectors import SEARCH_FIELDS
from sites.models import Intervention, Site
from sites.selectors import SITE_SEARCH_FIELDS
from tests.geodata.test_tiles import tile_of


@pytest.fixture
def worded(exchange_world):
    """Two public proposals holding "rain" and "garden" (one in the title, one in the
    description), one holding "rain" only, and a draft holding both."""
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).order_by("pk")
    a, b, c = public[:3]
    Proposal.objects.filter(pk=a.pk).update(title="Rain Garden by the school")
    Proposal.objects.filter(pk=b.pk).update(description="A small rain-fed GARDEN for bees")
    Proposal.objects.filter(pk=c.pk).update(title="Rain shelter")
    draft = Proposal.objects.filter(status="draft").first()
    Proposal.objects.filter(pk=draft.pk).update(title="Rain garden, a private draft")
    site, spring = Site.objects.filter(moderation="accepted").order_by("pk")[:2]
    Site.objects.filter(pk=site.pk).update(description="Broken fountain in the courtyard")
    Site.objects.filter(pk=spring.pk).update(name="Źródło przy Szkole", description="Łąka")
    pending = Site.objects.filter(moderation="pending").first()
    Site.objects.filter(pk=pending.pk).update(name="Fountain, not yet moderated")
    project = Intervention.objects.order_by("pk").first()
    Intervention.objects.filter(pk=project.pk).update(title="Benches by the pond")
    return {
        "proposals": {a.pk, b.pk},
        "sites": {site.pk},
        "spring": {spring.pk},
        "interventions": {project.pk},
    }


def ids_of(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {f["id"] for f in json.loads(response.content)["features"]}


@pytest.mark.parametrize(
    "collection, words",
    [("proposals", "  garden   RAIN "), ("sites", "FOUNTAIN"), ("interventions", "pond")],
)
def test_the_rest_api_searches_as_the_lists_do(client, worded, collection, words):
    found = ids_of(client.get(f"/api/v1/koszalin/{collection}/", {"q": words}))
    assert found == worded[collection]
    # paged: the next link keeps the words
    r = client.get(f"/api/v1/koszalin/{collection}/", {"q": words, "limit": 1})
    doc = json.loads(r.content)
    assert doc["numberMatched"] == len(worded[collection])
    if len(worded[collection]) > 1:
        (nxt,) = [x["href"] for x in doc["links"] if x["rel"] == "next"]
        assert ids_of(client.get(nxt)) | ids_of(r) == worded[collection]
    assert ids_of(client.get(f"/api/v1/koszalin/{collection}/", {"q": "nowhere"})) == set()


@pytest.mark.parametrize("words", ["zrodlo szkole", "ŹRÓDŁO", "laka", "źródło łąka"])
def test_accents_and_case_do_not_matter(client, worded, words):
    """Typed on a phone without Polish or Czech letters, or with them where the name has
    none: the same place."""
    assert ids_of(client.get("/api/v1/koszalin/sites/", {"q": words})) == worded["spring"]
    html = client.get("/koszalin/sites/", {"q": words}).content.decode()
    assert re.findall(r'data-site="(\d+)"', html) == [str(pk) for pk in worded["spring"]]


def test_the_map_page_hands_the_words_to_its_layers_and_tiles(client, worded):
    html = client.get("/koszalin/", {"q": 'rain "><b>'}).content.decode()
    assert 'name="q" value="rain &quot;&gt;&lt;b&gt;"' in html
    config = json.loads(re.search(r'id="map-config"[^>]*>(.*?)</script>', html).group(1))
    assert "q=rain" in config["query"]  # the layers' GeoJSON requests carry the whole query
    assert all("q=rain" in config["tileQuery"][name] for name in config["layers"])
    # the "as lists" links carry the words too
    assert re.search(r'href="/koszalin/proposals/\?q=rain[^"]*"', html)


def test_ogc_api_features_searches_and_declares_it(client, worded):
    base = "/ogcapi/koszalin/collections/proposals/items"
    r = client.get(base, {"q": "garden rain", "limit": 1, "f": "json"})
    doc = json.loads(r.content)
    assert doc["numberMatched"] == 2 and doc["numberReturned"] == 1
    (nxt,) = [x["href"] for x in doc["links"] if x["rel"] == "next" and "f=json" in x["href"]]
    assert "q=garden+rain" in nxt
    second = json.loads(client.get(nxt).content)
    got = {doc["features"][0]["id"], second["features"][0]["id"]}
    assert got == worded["proposals"]
    # the HTML page has the search form, keeping the page's other filters
    page = client.get(base, {"q": "garden rain", "status": "collecting_support", "f": "html"})
    text = page.content.decode()
    assert 'name="q" value="garden rain"' in text
    assert '<input type="hidden" name="status" value="collecting_support">' in text
    # reference layers are searched by feature name
    parks = json.loads(
        client.get("/ogcapi/koszalin/collections/layer-parks/items", {"q": "par"}).content
    )
    assert [f["properties"]["name"] for f in parks["features"]] == ["Park"]
    assert (
        json.loads(
            client.get("/ogcapi/koszalin/collections/layer-parks/items", {"q": "pond"}).content
        )["numberMatched"]
        == 0
    )
    # and the REST API's layer features alike
    parks_id = Layer.objects.get(name="Parks", is_current=True).pk
    layer_url = f"/api/v1/koszalin/layers/{parks_id}/"
    assert json.loads(client.get(layer_url, {"q": "PARK"}).content)["numberMatched"] == 1
    assert json.loads(client.get(layer_url, {"q": "pond"}).content)["numberMatched"] == 0
    api = json.loads(client.get("/ogcapi/koszalin/api", {"f": "json"}).content)
    names = {p["name"] for p in api["paths"]["/collections/proposals/items"]["get"]["parameters"]}
    assert "q" in names
    rest = json.loads(
        client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    )
    names = {p["name"] for p in rest["paths"]["/api/v1/{city}/sites/"]["get"]["parameters"]}
    assert "q" in names


def test_exports_search(client, worded):
    r = client.get("/api/v1/koszalin/export/proposals/", {"format": "csv", "q": "RAIN garden"})
    body = b"".join(r.streaming_content) if r.streaming else r.content
    rows = body.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + 2
    assert "Rain Garden by the school" in body.decode("utf-8-sig")
    assert "private draft" not in body.decode("utf-8-sig")


def test_tiles_search(client, worded):
    a = Proposal.objects.get(title="Rain Garden by the school")
    z, x, y = tile_of(a.geom.x, a.geom.y, 7)  # the whole city, aggregated
    r = client.get(f"/tiles/koszalin/proposals/{z}/{x}/{y}.mvt", {"q": "garden rain"})
    features = mapbox_vector_tile.decode(r.content)["proposals"]["features"]
    assert sum(f["properties"]["count"] for f in features) == 2
    everything = client.get(f"/tiles/koszalin/proposals/{z}/{x}/{y}.mvt")
    assert everything["ETag"] != r["ETag"]
    z, x, y = tile_of(a.geom.x, a.geom.y, 16)
    r = client.get(f"/tiles/koszalin/proposals/{z}/{x}/{y}.mvt", {"q": "rain garden"})
    ids = {
        f["properties"]["id"] for f in mapbox_vector_tile.decode(r.content)["proposals"]["features"]
    }
    assert a.pk in ids and ids <= worded["proposals"]


def test_search_reads_the_trigram_indexes(worded):
    """The indexes are built on the very expression the search filters on (UPPER(field)); a
    change to either side would silently make every search read the whole table. (Asked of
    the search condition alone: on a few rows the planner prefers the city's index.)"""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Proposal.objects.filter(words_q("garden", *SEARCH_FIELDS)).explain()
    assert "proposals_title_trgm" in plan and "proposals_description_trgm" in plan
    plan = Site.objects.filter(words_q("fountain", *SITE_SEARCH_FIELDS)).explain()
    assert "sites_site_name_trgm" in plan and "sites_site_description_trgm" in plan


def test_each_word_counts_once_and_six_at_most(client, worded):
    """Every word is a test of every row: repeating one, or typing a page of them, must not
    make a request read the table over and over (a cheap way to load the database)."""
    from mapapp.filters import search_words

    words = search_words("Rain garden rain GARDEN a b c d e f")
    assert words == ["Rain", "garden", "a", "b", "c", "d"]
    assert search_words("o " * 50) == ["o"]
    # the seventh and later different words are not looked for
    many = "rain garden RAIN school by the a nowhere"
    found = ids_of(client.get("/api/v1/koszalin/proposals/", {"q": many}))
    first = Proposal.objects.get(title="Rain Garden by the school")
    assert found == {first.pk}  # "nowhere" would have found nothing


@pytest.mark.parametrize(
    "words, title",
    [
        ("zahrady", "Komunitní zahrada u školy"),  # Czech: another case of the same word
        ("ogród", "Ogrody społeczne przy bloku"),  # Polish: singular for the plural
        ("lavičky", "Lavička u kašny"),
        ("drzewa", "Nasadzenie drzew"),
        ("plyground", "New playground by the pond"),  # a letter left out
        ("zahrady lavicka", "Zahrada s lavičkou"),  # every word, each its own way
    ],
)
def test_another_ending_of_a_word_in_the_title_finds_it(client, worded, words, title):
    """Polish and Czech change a word's ending with its case and number: a resident who
    types "zahrady" means the proposal called "Komunitní zahrada"."""
    target = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).order_by("-pk")[0]
    Proposal.objects.filter(pk=target.pk).update(title=title, description="")
    assert target.pk in ids_of(client.get("/api/v1/koszalin/proposals/", {"q": words}))
    html = client.get("/koszalin/proposals/", {"q": words}).content.decode()
    assert f'/koszalin/proposals/{target.pk}/"' in html


@pytest.mark.parametrize(
    "words, title",
    [
        ("kwiaty", "Łąka kwietna"),  # related, but not the same word
        ("pond", "Park nad stawem"),  # four letters, another word
        ("lva", "Lavička u kašny"),  # three letters: as typed only
        ("zahrady", "Popis bez toho slova"),
    ],
)
def test_a_different_word_is_not_stretched_to_match(client, worded, words, title):
    target = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES).order_by("-pk")[0]
    Proposal.objects.filter(pk=target.pk).update(title=title, description="")
    assert target.pk not in ids_of(client.get("/api/v1/koszalin/proposals/", {"q": words}))


def test_similar_words_are_looked_for_in_the_title_through_its_index(worded):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Proposal.objects.filter(words_q("zahrady", *SEARCH_FIELDS)).explain()
    assert "%> 'ZAHRADY'" in plan and "proposals_title_trgm" in plan
    assert "description) %>" not in plan  # descriptions: as typed only
