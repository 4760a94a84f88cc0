"""The city map's "find a place": a gazetteer of the city's own public reference layers
(no outside geocoder) at /<city>/places/?q=, found as the lists' search finds words."""

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon

from geodata.models import Feature, Layer

pytestmark = pytest.mark.django_db
RYNEK = (16.1817, 54.1903)


def _layer(city, kind, name, *, public=True, current=True, version=1):
    return Layer.objects.create(city=city, kind=kind, name=name, is_public=public,
                                is_current=current, version=version)  # fmt: skip


def _square(layer, name, dx=0.0, size=0.002, vertices_per_side=1):
    x, y = RYNEK[0] + dx, RYNEK[1]
    if vertices_per_side == 1:
        shape = Polygon.from_bbox((x, y, x + size, y + size))
    else:  # a square drawn with many vertices on its sides, as surveyed outlines are
        n, step = vertices_per_side, size / vertices_per_side
        ring = [(x + i * step, y) for i in range(n)] + [(x + size, y + i * step) for i in range(n)]
        ring += [(x + size - i * step, y + size) for i in range(n)]
        ring += [(x, y + size - i * step) for i in range(n)] + [(x, y)]
        shape = Polygon(ring[::-1])  # clockwise, as some GIS write them
    return Feature.objects.create(layer=layer, name=name, geom=MultiPolygon(shape, srid=4326))


def _find(client, city, q):
    answer = client.get(f"/{city}/places/", {"q": q})
    return answer, answer.json()


def test_places_are_found_by_name_in_the_citys_public_layers_only(client, koszalin, ostrava):
    parks = _layer(koszalin, "park", "Parks")
    _square(parks, "Park Książąt Pomorskich", vertices_per_side=400)
    _square(parks, "Park Zdobywców Wału Pomorskiego", dx=0.01)
    _square(parks, "Mały skwer przy parku", dx=0.02)
    districts = _layer(koszalin, "district", "Districts")
    _square(districts, "Śródmieście", size=0.02)
    hidden = _layer(koszalin, "municipal_land", "Land", public=False)
    _square(hidden, "Park plot 17 (municipal land)")
    old = _layer(koszalin, "park", "Parks", current=False, version=0)
    _square(old, "Park Zniesiony")
    _square(_layer(ostrava, "park", "Parky"), "Park Komenského")
    Feature.objects.create(layer=parks, name="", geom=Point(*RYNEK, srid=4326))

    answer, found = _find(client, "koszalin", "park")
    assert answer.status_code == 200 and answer["Cache-Control"] == "public, max-age=300"
    names = [p["name"] for p in found["places"]]
    # names that begin with it first, the shorter first; "parku" as another ending
    assert names == ["Park Książąt Pomorskich", "Park Zdobywców Wału Pomorskiego",
                     "Mały skwer przy parku"]  # fmt: skip
    first = found["places"][0]
    assert (first["kind"], first["kind_label"], first["layer"]) == ("park", "Park", "Parks")
    # the outline, simplified: the 1,600 surveyed vertices of a square are its 4 corners
    outline = GEOSGeometry(json.dumps(first["geometry"]))
    assert outline.num_coords == 5 and outline.valid
    ring = first["geometry"]["coordinates"][0]  # RFC 7946: the exterior counter-clockwise
    assert (
        sum((x2 - x1) * (y2 + y1) for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) < 0
    )
    assert all(round(v, 6) == v for point in outline.coords[0] for v in point)  # 6 decimals
    assert outline.extent[0] == pytest.approx(RYNEK[0], abs=1e-6)  # lon first

    # any case, with or without accents, every word
    assert [p["name"] for p in _find(client, "koszalin", "SRODMIESCIE")[1]["places"]] == [
        "Śródmieście"
    ]
    assert [p["name"] for p in _find(client, "koszalin", "park wału")[1]["places"]] == [
        "Park Zdobywców Wału Pomorskiego"
    ]
    assert _find(client, "koszalin", "Komenského")[1] == {"places": []}  # Ostrava's


def test_at_most_eight_places_and_a_name_of_two_to_a_hundred_characters(client, koszalin):
    ponds = _layer(koszalin, "water_body", "Ponds")
    for n in range(12):
        _square(ponds, f"Staw {n + 1}", dx=0.003 * n, size=0.001)
    assert len(_find(client, "koszalin", "staw")[1]["places"]) == 8
    for bad in ("", " ", "s", "x" * 101):
        answer, said = _find(client, "koszalin", bad)
        assert answer.status_code == 400 and "2 to 100 characters" in said["error"], bad
    assert client.get("/nowhere/places/", {"q": "staw"}).status_code == 404


def test_addresses_are_found_as_places_and_not_offered_as_a_map_layer(client, ostrava, settings):
    """An address points layer (kind `address`) makes "find a place" find addresses, and
    says so in its label; it is exchanged as any layer, but not offered to draw on the map
    (tens of thousands of points)."""
    addresses = _layer(ostrava, "address", "Adresní místa")
    for n, name in enumerate(["Sportovní 1256/12", "Sportovní 12", "Nádražní 12", "Sportovní 120"]):
        Feature.objects.create(layer=addresses, name=name,
                               geom=Point(18.29 + n * 0.001, 49.83, srid=4326))  # fmt: skip
    found = _find(client, "ostrava", "sportovni 12")[1]["places"]
    assert [p["name"] for p in found] == ["Sportovní 12", "Sportovní 120", "Sportovní 1256/12"]
    assert found[0]["kind_label"] == "Address" and found[0]["geometry"]["type"] == "Point"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/ostrava/").content.decode()
    assert "Find an address, district, park or other place" in page
    assert "Adresní místa" not in page  # no switch for it among the map's layers
    listed = client.get("/api/v1/ostrava/layers/").json()
    assert "Adresní místa" in json.dumps(listed, ensure_ascii=False)
    _square(_layer(ostrava, "park", "Parky"), "Park Komenského")
    assert "Parky" in client.get("/ostrava/").content.decode()  # other layers are offered


def test_the_map_offers_the_search_only_when_there_is_a_named_place(client, koszalin):
    assert 'id="place-search"' not in client.get("/koszalin/").content.decode()
    assert 'id="place-search"' not in client.get("/koszalin/embed/").content.decode()
    _square(_layer(koszalin, "park", "Parks"), "Park Książąt Pomorskich")
    for path in ("/koszalin/", "/koszalin/embed/"):  # the embed's over its map
        page = client.get(path).content.decode()
        assert 'id="place-search"' in page and 'data-url="/koszalin/places/"' in page
