"""Vector tiles at /tiles/<city>/<collection>/{z}/{x}/{y}.mvt, decoded with mapbox-vector-tile
and compared with what PostGIS says lies in the tile."""

import math

import mapbox_vector_tile

from geodata.models import Layer
from geodata.tiles import tile_envelope_4326
from mapapp.models import Role
from proposals.models import Proposal
from tests.proposals.conftest import make_user


def tile_of(lon, lat, z):
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def fetch(client, collection, z, x, y, **params):
    return client.get(f"/tiles/koszalin/{collection}/{z}/{x}/{y}.mvt", params)


def decode(response):
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content)


def public_in(z, x, y, **filters):
    env = tile_envelope_4326(z, x, y, margin=0)
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, **filters)
    return {p.pk for p in public if (p.area or p.geom).intersects(env)}


def test_a_detailed_tile_holds_the_public_rows_in_it(client, exchange_world):
    p = Proposal.objects.filter(status="granted").first()
    z, x, y = tile_of(p.geom.x, p.geom.y, 14)
    layers = decode(fetch(client, "proposals", z, x, y))
    features = layers["proposals"]["features"]
    ids = {f["properties"]["id"] for f in features}
    # the tile's buffer may add rows just outside it, never drop one inside
    assert public_in(z, x, y) <= ids and p.pk in ids
    assert not ids & set(Proposal.objects.filter(status="draft").values_list("id", flat=True))
    props = set().union(*(f["properties"] for f in features))
    assert "contact_phone" not in props and "author" not in props and "title" in props


def test_low_zoom_tiles_aggregate_with_counts(client, exchange_world):
    z, x, y = tile_of(16.185, 54.19, 7)
    features = decode(fetch(client, "proposals", z, x, y))["proposals"]["features"]
    assert sum(f["properties"]["count"] for f in features) == 37
    assert len(features) < 37  # some rows share a cell
    singles = [f for f in features if f["properties"]["count"] == 1]
    assert all(f["properties"]["id"] for f in singles)


def test_filters_apply_and_bad_values_are_refused(client, exchange_world):
    z, x, y = tile_of(16.185, 54.19, 7)
    features = decode(fetch(client, "proposals", z, x, y, status="granted"))["proposals"][
        "features"
    ]
    assert sum(f["properties"]["count"] for f in features) == len(
        Proposal.objects.filter(status="granted")
    )
    r = fetch(client, "proposals", z, x, y, status="draft")
    assert r.status_code == 400 and b"status" in r.content


def test_etag_revalidation_and_invalidation_on_change(client, exchange_world):
    z, x, y = tile_of(16.185, 54.19, 7)
    first = fetch(client, "proposals", z, x, y)
    etag = first["ETag"]
    assert "max-age" in first["Cache-Control"]
    again = client.get(f"/tiles/koszalin/proposals/{z}/{x}/{y}.mvt", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    p = Proposal.objects.filter(status="submitted").first()
    p.title = "Renamed"
    p.save()
    changed = fetch(client, "proposals", z, x, y)
    assert changed["ETag"] != etag


def test_addresses_collections_and_permissions(client, exchange_world, ostrava):
    assert fetch(client, "proposals", 3, 8, 0).status_code == 400  # x beyond 2^z
    assert fetch(client, "proposals", 23, 0, 0).status_code == 400
    assert fetch(client, "nothing", 9, 0, 0).status_code == 404
    z, x, y = tile_of(16.175, 54.185, 12)
    hidden = "layer-city-land"
    assert fetch(client, hidden, z, x, y).status_code == 404
    client.force_login(make_user("gis@example.org", Role.GIS_STAFF, city=exchange_world))
    r = fetch(client, hidden, z, x, y)
    assert decode(r)["layer-city-land"]["features"]
    assert r["Cache-Control"].startswith("private") and "Access-Control-Allow-Origin" not in r
    client.force_login(make_user("gis2@example.org", Role.GIS_STAFF, city=ostrava))
    assert fetch(client, hidden, z, x, y).status_code == 404
    assert Layer.objects.filter(name="City land", is_public=False).exists()


def test_reference_layer_polygons_are_clipped_to_the_tile(client, exchange_world):
    z, x, y = tile_of(16.175, 54.185, 16)
    (feature,) = decode(fetch(client, "layer-parks", z, x, y))["layer-parks"]["features"]
    assert feature["geometry"]["type"] == "Polygon"
    xs = [c[0] for ring in feature["geometry"]["coordinates"] for c in ring]
    assert min(xs) >= -64 and max(xs) <= 4096 + 64  # clipped to the tile and its buffer


def test_the_stamp_is_asked_for_once_per_period(client, exchange_world, settings):
    settings.DATA_STAMP_SECONDS = 60
    z, x, y = tile_of(16.185, 54.19, 7)
    etag = fetch(client, "proposals", z, x, y)["ETag"]
    from django.utils import timezone

    Proposal.objects.filter(status="submitted").update(title="Changed", updated_at=timezone.now())
    assert fetch(client, "proposals", z, x, y)["ETag"] == etag
    from django.core.cache import caches

    caches["local"].clear()  # the period is over
    assert fetch(client, "proposals", z, x, y)["ETag"] != etag


def test_low_zooms_come_from_the_grid_once_it_is_built_and_never_stale(client, exchange_world):
    from django.contrib.gis.geos import Point

    from geodata.models import TileGridCell, TileGridState

    z, x, y = tile_of(16.185, 54.19, 7)

    def counts():
        features = decode(fetch(client, "proposals", z, x, y))["proposals"]["features"]
        return sum(f["properties"]["count"] for f in features), features

    assert not TileGridState.objects.exists()
    live_total, live = counts()  # from the rows; the grid is queued (tests run tasks at once)
    assert TileGridState.objects.filter(collection="proposals").exists()
    assert TileGridCell.objects.filter(collection="proposals").count() > 0
    grid_total, grid = counts()  # now from the grid
    assert live_total == grid_total == 37
    singles = [f["properties"]["id"] for f in grid if f["properties"]["count"] == 1]
    assert set(singles) <= set(Proposal.objects.values_list("id", flat=True))

    p = Proposal.objects.filter(status="granted").first()
    Proposal.objects.create(city=p.city, grant_call=p.grant_call, author=p.author,
                            title="New", status="submitted", geom=Point(16.18, 54.19))  # fmt: skip
    assert counts()[0] == 38  # the stamp moved: from the rows until the grid is rebuilt
    assert counts()[0] == 38  # and from the rebuilt grid
