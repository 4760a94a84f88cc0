"""The analysis, computed by PostGIS, against the same numbers computed independently with
geopandas/shapely, and on hand-made cases with known answers."""

import json
import re
from decimal import Decimal
from html import escape

import geopandas
import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, Point
from shapely.geometry import Point as SPoint
from shapely.geometry import box

from geodata.analysis import Params, analyse
from geodata.importers import import_layer
from geodata.models import Feature
from proposals.models import Proposal

# Two adjacent zones west and east of 16.182 E, drawn in lon/lat so edges are exact.
ZONE_A = box(16.170, 54.185, 16.182, 54.195)
ZONE_B = box(16.182, 54.185, 16.194, 54.195)


def to_2180(geom):
    return geopandas.GeoSeries([geom], crs=4326).to_crs(2180).iloc[0]


def to_4326(geom):
    return geopandas.GeoSeries([geom], crs=2180).to_crs(4326).iloc[0]


def layer(city, kind, name, geometries, tmp_path, props=None):
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"{name} {i + 1}", **(props or {})},
            "geometry": g.__geo_interface__,
        }
        for i, g in enumerate(geometries)
    ]
    path = tmp_path / f"{name}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return import_layer(city=city, kind=kind, path=path, name=name).layer


def proposal(grant_call, resident, lonlat, status="submitted", amount=None, area=None, title="P"):
    return Proposal.objects.create(
        city=grant_call.city,
        grant_call=grant_call,
        author=resident,
        title=title,
        status=status,
        geom=Point(*lonlat, srid=4326),
        granted_amount=amount,
        area=GEOSGeometry(area.wkt, srid=4326) if area is not None else None,
    )


def benches(officer, city, lonlat):
    """A completed project (benches) at lon/lat, recorded as an officer does."""
    from datetime import date

    from sites.services import intervention_record

    lon, lat = lonlat
    return intervention_record(
        actor=officer,
        city=city,
        title="Benches",
        description="",
        category="seating",
        completed_on=date.today(),
        cost=Decimal("1"),
        maintainer="",
        point_geojson=json.dumps({"type": "Point", "coordinates": [lon, lat]}),
    )


@pytest.fixture
def world(koszalin, grant_call, resident, tmp_path):
    """Zones A and B (population 1000 and unknown), two parks near the Rynek, one just under
    0.5 ha, and proposals placed to test edges and straddling."""
    layer(koszalin, "revitalisation_zone", "Zones", [ZONE_A, ZONE_B], tmp_path)
    Feature.objects.filter(name="Zones 1").update(population=1000)
    centre = to_2180(SPoint(16.1817, 54.1903))
    small = box(centre.x + 200, centre.y, centre.x + 270, centre.y + 70)  # 4,900 m²
    large = box(centre.x - 500, centre.y, centre.x - 420, centre.y + 80)  # 6,400 m²
    layer(koszalin, "park", "Parks", [to_4326(small), to_4326(large)], tmp_path)
    on_edge = proposal(grant_call, resident, (16.170, 54.190), title="On A's west edge")
    # a drawn area straddling both zones; its point lies in B
    straddling = proposal(
        grant_call,
        resident,
        (16.1830, 54.190),
        status="granted",
        amount=Decimal("20000"),
        area=box(16.180, 54.189, 16.186, 54.191),
        title="Straddling",
    )
    granted_a = proposal(
        grant_call,
        resident,
        (16.175, 54.190),
        status="granted",
        amount=Decimal("5000"),
        title="Granted in A",
    )
    outside = proposal(
        grant_call,
        resident,
        (16.25, 54.22),
        status="granted",
        amount=Decimal("10000"),
        title="Outside zones",
    )
    draft = proposal(grant_call, resident, (16.176, 54.191), status="draft", title="Draft")
    return {
        "centre": centre,
        "small": small,
        "large": large,
        "on_edge": on_edge,
        "straddling": straddling,
        "granted_a": granted_a,
        "outside": outside,
        "draft": draft,
    }


def test_zone_coverage_hand_made(world, koszalin):
    coverage = analyse(Params(city=koszalin)).coverage
    zones = {z["name"]: z for z in coverage["zones"]}
    a, b = zones["Zones 1"], zones["Zones 2"]
    # A holds the point on its edge (covers includes the boundary) and the granted one;
    # the straddling proposal counts in B only, where its point is; drafts never count
    assert (a["proposals"], a["granted"], a["granted_amount"]) == (2, 1, 5000.0)
    assert (b["proposals"], b["granted"], b["granted_amount"]) == (1, 1, 20000.0)
    assert a["amount_per_resident"] == 5.0 and b["amount_per_resident"] is None
    assert (coverage["proposals"], coverage["proposals_inside"]) == (4, 3)
    assert coverage["share_money_inside"] == pytest.approx(25000 / 35000)
    assert coverage["zones_without_proposals"] == []


def test_same_counts_as_shapely(world, koszalin):
    coverage = analyse(Params(city=koszalin)).coverage
    public = [p for p in Proposal.objects.filter(city=koszalin) if p.status != "draft"]
    for zone, name in ((ZONE_A, "Zones 1"), (ZONE_B, "Zones 2")):
        expected = sum(zone.covers(SPoint(p.geom.x, p.geom.y)) for p in public)
        assert next(z for z in coverage["zones"] if z["name"] == name)["proposals"] == expected


def test_green_threshold_distances_and_deficit_against_shapely(world, koszalin):
    green = analyse(Params(city=koszalin)).green
    # the small park (4,900 m², just under 0.5 ha) does not count: the nearest green for
    # each place is the large park, measured in EPSG:2180
    large = world["large"]
    for row in green["distances"]:
        if row["type"] != "proposal":
            continue
        p = Proposal.objects.get(pk=row["id"])
        expected = to_2180(SPoint(p.geom.x, p.geom.y)).distance(large)
        assert row["to_green_m"] == pytest.approx(expected, abs=0.05)
        assert row["to_water_m"] is None  # no water layer loaded
    # deficit: the city minus 300 m around the large park, computed by shapely
    city_m = to_2180(shapely.from_wkb(bytes(koszalin.boundary.wkb)))
    expected = city_m.difference(large.buffer(300, quad_segs=8)).area
    assert green["deficit_area_m2"] == pytest.approx(expected, rel=1e-4)
    assert green["deficit_share"] == pytest.approx(expected / city_m.area, rel=1e-4)
    # proposals farther than 300 m from the large park are in the deficit
    inside = {
        p.pk
        for p in Proposal.objects.filter(city=koszalin).exclude(status="draft")
        if to_2180(SPoint(p.geom.x, p.geom.y)).distance(large) > 300
    }
    assert set(green["proposals_in_deficit"]) == inside


def test_lower_threshold_counts_the_small_park(world, koszalin):
    green = analyse(Params(city=koszalin, min_green_m2=4000)).green
    small, large = world["small"], world["large"]
    p = world["on_edge"]
    expected = min(to_2180(SPoint(p.geom.x, p.geom.y)).distance(g) for g in (small, large))
    row = next(r for r in green["distances"] if r["type"] == "proposal" and r["id"] == p.pk)
    assert row["to_green_m"] == pytest.approx(expected, abs=0.05)


def test_call_and_period_limits(world, koszalin, grant_call):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    # "tomorrow" in the city: the analysis reads dates in the city's time (between 23:00 and
    # midnight UTC, the machine's date.today() is already yesterday in Koszalin)
    today = timezone.localdate(timezone=ZoneInfo(koszalin.time_zone))
    later = analyse(Params(city=koszalin, date_from=today + timedelta(days=1))).coverage
    assert later["proposals"] == 0
    assert analyse(Params(city=koszalin, call_id=grant_call.pk)).coverage["proposals"] == 4


def test_the_public_view_leaves_the_full_one_as_it_is(world, koszalin):
    from geodata.analysis import public_view

    full = analyse(Params(city=koszalin)).as_dict()
    before = json.dumps(full, sort_keys=True, default=str)
    public = public_view(full)
    assert all("amount_per_resident" not in z for z in public["coverage"]["zones"])
    assert public["green"] == full["green"] and public["coverage"]["proposals"] == 4
    assert json.dumps(full, sort_keys=True, default=str) == before


def test_api_public_is_reduced_and_bad_params_are_400(client, world, koszalin, officer):
    public = client.get("/api/v1/koszalin/analysis/").json()
    assert all("amount_per_resident" not in z for z in public["coverage"]["zones"])
    client.force_login(officer)
    full = client.get("/api/v1/koszalin/analysis/").json()
    assert any(z["amount_per_resident"] == 5.0 for z in full["coverage"]["zones"])
    client.logout()  # a planner's script, with a token: the whole analysis too
    from mapapp.services import api_token_issue

    auth = {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=officer).key}"}
    full = client.get("/api/v1/koszalin/analysis/", **auth).json()
    assert any(z["amount_per_resident"] == 5.0 for z in full["coverage"]["zones"])
    zones = client.get("/koszalin/analysis/zones.csv", **auth).content.decode()
    assert "amount_per_resident" in zones
    assert "amount_per_resident" not in client.get("/koszalin/analysis/zones.csv").content.decode()
    assert client.get("/api/v1/koszalin/analysis/", HTTP_AUTHORIZATION="Token x").status_code == 401
    assert client.get("/api/v1/koszalin/analysis/?deficit_m=-1").status_code == 400
    assert client.get("/api/v1/koszalin/analysis/?from=yesterday").status_code == 400
    assert client.get("/api/v1/koszalin/analysis/?call=999999").status_code == 400
    for path in ("", "map/", "zones.csv"):  # the pages answer in plain text, not HTML
        bad = client.get(f"/koszalin/analysis/{path}?deficit_m=-1")
        assert bad.status_code == 400 and bad["Content-Type"].startswith("text/plain"), path


def test_dashboard_map_and_downloads(client, world, koszalin):
    page = client.get("/koszalin/analysis/")
    assert page.status_code == 200
    assert "Zones 1" in page.content.decode()
    deficit = page.context["data"]["green"]["deficit_area_m2"]
    assert deficit >= 1000000  # written in groups of thousands, as the reader's language does
    client.cookies["django_language"] = "pl"
    grouped = f"{deficit:,.0f}".replace(",", "\u00a0")
    assert f"{grouped} m²" in client.get("/koszalin/analysis/").content.decode()
    del client.cookies["django_language"]
    html = client.get("/koszalin/analysis/map/").content.decode()
    assert "/static/leaflet/leaflet.js" in html
    points = map_layers(html)[-1]["features"]  # the four public proposals; not the draft
    assert sorted(f["properties"]["name"] for f in points) == sorted(
        escape(t) for t in Proposal.objects.exclude(status="draft").values_list("title", flat=True)
    )
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn"):
        assert cdn not in html  # folium's assets are ours
    csv_text = client.get("/koszalin/analysis/zones.csv").content.decode("utf-8")
    assert csv_text.startswith("\ufeff")  # so that Excel reads UTF-8
    assert csv_text.splitlines()[0].startswith("\ufeffid,name,kind,population,proposals")
    deficit = client.get("/koszalin/analysis/deficit.geojson")
    assert deficit["Content-Disposition"].startswith(
        'attachment; filename="koszalin-green-deficit-'
    )
    assert json.loads(deficit.content)["features"][0]["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )


def test_the_zones_and_districts_downloads_read_in_a_gis(client, world, koszalin, tmp_path):
    """The zones with their measures as GeoJSON, read by GDAL (pyogrio): one feature per
    row of zones.csv, the same ids and counts; the districts' table with its columns."""
    import csv
    import io

    import pyogrio

    west, east = box(16.10, 54.10, 16.182, 54.30), box(16.182, 54.10, 16.40, 54.30)
    layer(koszalin, "district", "Districts", [west, east], tmp_path)
    got = client.get("/koszalin/analysis/zones.geojson")
    assert got.status_code == 200 and got["Content-Type"] == "application/geo+json"
    assert re.match(
        r'attachment; filename="koszalin-zones-\d{4}-\d{2}-\d{2}', got["Content-Disposition"]
    )
    path = tmp_path / "zones.geojson"
    path.write_bytes(got.content)
    frame = pyogrio.read_dataframe(path)
    table = client.get("/koszalin/analysis/zones.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(frame) == len(rows) > 0
    assert sorted(frame["name"]) == sorted(r["name"] for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert all(int(by_name[z.name]["proposals"]) == z.proposals for z in frame.itertuples())
    assert frame.geometry.is_valid.all() and frame.crs.to_epsg() == 4326

    districts = client.get("/koszalin/analysis/districts.csv").content.decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(districts)))
    assert header == ["id", "name", "population", "area_m2", "deficit_m2", "deficit_share"]
    assert sorted(line[1] for line in lines) == ["Districts 1", "Districts 2"]
    assert all(len(line) == len(header) for line in lines)
    assert client.get("/koszalin/analysis/nothing.csv").status_code == 404


@pytest.mark.parametrize(
    ("language", "names"),
    [
        (
            "pl",
            [
                "Mapa podkładowa",
                "Deficyt zieleni",
                "Obszary rewitalizacji według liczby propozycji",
                "Propozycje",
            ],
        ),
        (
            "cs",
            [
                "Podkladová mapa",
                "Deficit zeleně",
                "Revitalizační zóny podle počtu návrhů",
                "Návrhy",
            ],
        ),
    ],
)
def test_dashboard_map_layers_are_named_in_the_visitors_language(client, world, language, names):
    client.cookies["django_language"] = language
    html = client.get("/koszalin/analysis/map/").content.decode()
    control = html[html.index("base_layers") :]
    for name in names:
        assert json.dumps(name) in control or json.dumps(name, ensure_ascii=False) in control


def map_layers(html: str) -> list[dict]:
    """The GeoJSON layers of a folium page, in the order drawn: deficit, zones (twice: by
    proposals, by money), proposals."""
    return [json.loads(data) for data in re.findall(r"_add\((\{.*?\})\);", html)]


def test_dashboard_map_shades_zones_by_proposals_or_money(client, world):
    """Zone A has two proposals and 5,000 granted, zone B one proposal and 20,000: each is
    the darkest in one of the two layers (the one by money starts switched off)."""
    from geodata.maps import zone_style

    html = client.get("/koszalin/analysis/map/").content.decode()
    _deficit, by_count, by_money, _points = map_layers(html)
    assert by_count == by_money  # the same zones and numbers, shaded two ways
    zone = {f["properties"]["name"]: f for f in by_count["features"]}
    a, b = zone["Zones 1"], zone["Zones 2"]
    assert (a["properties"]["proposals"], b["properties"]["proposals"]) == (2, 1)
    darkest, by_proposals, by_amount = (
        "#54278f",
        zone_style(by_count, "proposals"),
        zone_style(by_count, "granted_amount"),
    )
    assert by_proposals(a)["fillColor"] == darkest != by_proposals(b)["fillColor"]
    assert by_amount(b)["fillColor"] == darkest != by_amount(a)["fillColor"]
    control = html[html.index("base_layers") :]
    for name in ("Revitalisation zones by proposals", "Revitalisation zones by granted amount"):
        assert json.dumps(name) in control


def test_dashboard_map_escapes_names(client, world, koszalin, grant_call, resident):
    """A proposal's title and a zone's name reach the map as data, escaped for the tooltip
    that writes them as HTML: never as markup, nor as code in the page's script."""
    title = "</script><img src=x onerror=alert(1)>`${alert(2)}`"
    proposal(grant_call, resident, (16.176, 54.190), title=title)
    Feature.objects.filter(name="Zones 1").update(name="<b onmouseover=alert(3)>Z</b>")
    html = client.get("/koszalin/analysis/map/").content.decode()
    assert "<img" not in html and "<b " not in html and "</script><" not in html
    data = "".join(re.findall(r"_add\((\{.*?\})\);", html))  # the layers' GeoJSON
    for word in ("onerror", "onmouseover"):
        assert html.count(word) == data.count(word) > 0  # in the data only
    _deficit, zones, _by_money, points = map_layers(html)
    assert escape(title) in [f["properties"]["name"] for f in points["features"]]
    assert "&lt;b onmouseover=alert(3)&gt;Z&lt;/b&gt;" in [
        f["properties"]["name"] for f in zones["features"]
    ]


def test_demand_without_action(world, koszalin, grant_call, resident, officer):
    from sites.models import Site

    for i in range(3):  # a cluster of three proposals ~30 m apart, far from any project
        proposal(grant_call, resident, (16.2400 + i * 0.0004, 54.2100), title=f"C{i}")
    near = Site.objects.create(
        city=koszalin, name="Near a project", geom=Point(16.21, 54.20), moderation="accepted"
    )
    far = Site.objects.create(
        city=koszalin, name="Far from projects", geom=Point(16.16, 54.17), moderation="accepted"
    )
    Site.objects.create(city=koszalin, name="Pending", geom=Point(16.16, 54.171))
    benches(officer, koszalin, (16.21, 54.201))  # ~110 m north of the first site
    demand = analyse(Params(city=koszalin, action_m=300)).demand
    ids = [s["id"] for s in demand["neglected_sites"]]
    assert far.pk in ids and near.pk not in ids
    assert not Site.objects.filter(pk__in=ids, moderation="pending").exists()
    clusters = demand["proposal_clusters"]
    assert [c["proposals"] for c in clusters] == [3]


def test_district_filter_is_spatial_for_every_layer(client, world, koszalin, tmp_path):
    from sites.models import Site

    west = box(16.10, 54.10, 16.182, 54.30)  # holds zone A's proposals
    east = box(16.182, 54.10, 16.40, 54.30)
    layer(koszalin, "district", "Districts", [west, east], tmp_path)
    Site.objects.create(
        city=koszalin, name="West site", geom=Point(16.171, 54.19), moderation="accepted"
    )
    Site.objects.create(
        city=koszalin,
        name="Text district",
        geom=Point(16.25, 54.21),
        moderation="accepted",
        district="Districts 1",
    )

    def ids(url):
        return {
            f["properties"].get("title") or f["properties"].get("name")
            for f in json.loads(client.get(url).content)["features"]
        }

    assert ids("/api/v1/koszalin/proposals/?district=Districts 1") == {
        "On A's west edge",
        "Granted in A",
    }
    assert ids("/api/v1/koszalin/sites/?district=Districts 1") == {"West site", "Text district"}
    assert "Districts 1" in client.get("/koszalin/").context["districts"]
    listing = client.get("/koszalin/proposals/?district=Districts 2").content.decode()
    assert "Straddling" in listing and "Granted in A" not in listing


def test_city_without_layers(ostrava):
    result = analyse(Params(city=ostrava))
    assert result.coverage["zones"] == [] and result.coverage["proposals"] == 0
    assert result.green["distances"] == [] or all(
        r["to_green_m"] is None for r in result.green["distances"]
    )
    assert result.green["deficit_share"] == pytest.approx(1.0)  # no green at all


def test_scratch_rows_never_outlive_the_analysis(world, koszalin):
    """The nearest-green search and the zone coverage fill shared scratch tables inside a
    transaction that is rolled back: after the analysis they are empty, and a second run gives
    the same answer."""
    from django.db import connection

    from geodata.analysis import demand_without_action, green_infrastructure, zone_coverage

    whole = analyse(Params(city=koszalin))
    first = whole.green
    assert green_infrastructure(Params(city=koszalin)) == first  # called alone, too
    assert zone_coverage(Params(city=koszalin)) == whole.coverage
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM geodata_analysis_green),"
            " (SELECT count(*) FROM geodata_analysis_water),"
            " (SELECT count(*) FROM geodata_analysis_zone),"
            " (SELECT count(*) FROM geodata_analysis_cell)"
        )
        assert cursor.fetchone() == (0, 0, 0, 0)
        # nor do the planner settings it made (demand_without_action turns merge joins off)
        demand_without_action(Params(city=koszalin))
        cursor.execute("SHOW enable_mergejoin")
        assert cursor.fetchone() == ("on",)
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone() != ("64MB",)
    second = analyse(Params(city=koszalin)).green
    assert second["distances"] == first["distances"]
    assert second["deficit_area_m2"] == first["deficit_area_m2"]


@pytest.mark.parametrize("per_cell", [1, 15, 100_000])
def test_distances_by_cell_are_exact(
    koszalin, grant_call, resident, tmp_path, monkeypatch, per_cell
):
    """Every place's distance to the nearest green area and water, measured a cell of places
    at a time, is the exact one shapely finds against every area: with one place a cell, the
    default, and the whole city in one cell."""
    import random

    from geodata import analysis
    from sites.models import Site

    monkeypatch.setattr(analysis, "PLACES_PER_CELL", per_cell)
    rnd = random.Random(11)
    centre = to_2180(SPoint(16.18, 54.19))

    def spot(spread):
        return centre.x + rnd.uniform(-spread, spread), centre.y + rnd.uniform(-spread, spread)

    parks = [SPoint(*spot(2500)).buffer(rnd.uniform(40, 90)) for _ in range(40)]
    ponds = [SPoint(*spot(2500)).buffer(rnd.uniform(20, 60)) for _ in range(8)]
    layer(koszalin, "park", "Parks", [to_4326(g) for g in parks], tmp_path)
    layer(koszalin, "water_body", "Ponds", [to_4326(g) for g in ponds], tmp_path)
    places = {}
    for _ in range(250):
        x, y = spot(3000)
        lonlat = to_4326(SPoint(x, y))
        places[("proposal", proposal(grant_call, resident, (lonlat.x, lonlat.y)).pk)] = (x, y)
    for i in range(40):
        x, y = spot(3000)
        lonlat = to_4326(SPoint(x, y))
        site = Site.objects.create(
            city=koszalin, name=f"S{i}", geom=Point(lonlat.x, lonlat.y), moderation="accepted"
        )
        places[("site", site.pk)] = (x, y)
    green = analyse(Params(city=koszalin)).green
    assert len(green["distances"]) == len(places)
    # shapely, on the areas as PostGIS holds them (in lon/lat, back in metres)
    held = {
        name: [to_2180(shapely.from_wkt(f.geom.wkt)) for f in Feature.objects.filter(
            layer__name=name, layer__is_current=True)]
        for name in ("Parks", "Ponds")
    }  # fmt: skip
    for row in green["distances"]:
        point = SPoint(*places[(row["type"], row["id"])])
        point = to_2180(to_4326(point))  # the same round trip as the stored point
        assert row["to_green_m"] == pytest.approx(
            min(point.distance(g) for g in held["Parks"]), abs=1e-3
        )
        assert row["to_water_m"] == pytest.approx(
            min(point.distance(g) for g in held["Ponds"]), abs=1e-3
        )


def test_a_period_counts_the_citys_days_not_utc_days(world, koszalin, grant_call):
    """A proposal made at 00:30 on New Year's Day in Koszalin (23:30 UTC the day before)
    belongs to the new year, in the dashboard and in the task worker alike."""
    import datetime as dt

    from django.utils import timezone

    p = world["on_edge"]
    Proposal.objects.filter(pk=p.pk).update(
        created_at=dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    )
    new_year = Params(city=koszalin, date_from=dt.date(2027, 1, 1), date_to=dt.date(2027, 1, 1))
    old_year = Params(city=koszalin, date_from=dt.date(2026, 12, 31), date_to=dt.date(2026, 12, 31))
    for zone in ("UTC", "Europe/Warsaw"):  # the worker's zone, a request's zone
        with timezone.override(zone):
            assert analyse(new_year).coverage["proposals"] == 1, zone
            assert analyse(old_year).coverage["proposals"] == 0, zone


def test_spreadsheet_downloads_keep_formulas_as_text(client, world, koszalin, planner):
    """A title a spreadsheet would run as a formula stays text in the planners' CSV."""
    import csv
    import io

    p = world["on_edge"]
    Proposal.objects.filter(pk=p.pk).update(title='=HYPERLINK("http://evil.example","x")')
    client.force_login(planner)
    text = client.get("/koszalin/analysis/distances.csv").content.decode("utf-8-sig")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text)) if r["type"] == "proposal"}
    assert rows[str(p.pk)]["name"] == """'=HYPERLINK("http://evil.example","x")"""
    assert all(not r["name"].startswith("=") for r in rows.values())


def test_the_dashboard_links_the_neglected_sites_and_lists_at_most_a_hundred(
    client, world, koszalin
):
    """Planners go from "demand without action" to each site's page; in a large city the
    page lists a hundred and says how many more the JSON download holds."""
    from sites.models import Site

    Site.objects.bulk_create(
        Site(city=koszalin, name=f"<b>Lot</b> {i}", moderation="accepted",
             geom=Point(16.150 + (i % 20) * 0.0005, 54.165 + (i // 20) * 0.0005))
        for i in range(103)
    )  # fmt: skip
    page = client.get("/koszalin/analysis/").content.decode()
    first = Site.objects.filter(name="<b>Lot</b> 0").get()
    assert f'<a href="/koszalin/sites/{first.pk}/">&lt;b&gt;Lot&lt;/b&gt; 0</a>' in page
    listed = page.split('class="neglected-sites"')[1].split("</ul>")[0]
    assert listed.count("<li>") == 100
    total = len(client.get("/api/v1/koszalin/analysis/").json()["demand"]["neglected_sites"])
    assert total >= 103
    assert f"And {total - 100} more neglected sites" in page
