"""The city's QGIS project (geodata.qgis), opened by QGIS itself: Debian's python3-qgis, run
by /usr/bin/python3 (tests/geodata/qgis_check.py), against a live server. Every layer must
be valid and read from the server exactly the rows the database holds, pins and drawn
areas as separate layers; the styles must be the web map's; the project must open in the
city's metric CRS on the city; and a render must show the markers in their colours."""

import json
import re
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.utils import translation
from django.utils.translation import gettext

from geodata import qgis
from geodata.collections import city_collections
from proposals.models import Proposal
from sites.models import Site

ROOT = Path(__file__).resolve().parents[2]


def pyqgis(*args) -> dict:
    probe = subprocess.run(["/usr/bin/python3", "-c", "import qgis.core"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert probe.returncode == 0, (
        "PyQGIS is missing: scripts/setup.sh installs python3-qgis for the tests "
        f"(WITH_BROWSER=1). {probe.stderr[-300:]}"
    )
    done = subprocess.run(
        ["/usr/bin/python3", str(ROOT / "tests/geodata/qgis_check.py"), *map(str, args)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def opened(live_server, exchange_world, tmp_path):
    url = f"{live_server.url}/koszalin/exports/qgis-project.qgs"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our live server
        assert response.headers["Content-Type"] == "application/x-qgis-project"
        assert 'filename="wecreatespace-koszalin.qgs"' in response.headers["Content-Disposition"]
        body = response.read()
    path = tmp_path / "koszalin.qgs"
    path.write_bytes(body)
    return pyqgis(path, tmp_path / "render.png"), body


@pytest.mark.django_db(transaction=True)
def test_qgis_opens_the_project_with_every_layer_reading_the_live_data(
    opened, koszalin, live_server
):
    report, body = opened
    live_url = live_server.url
    assert report["read"] and report["crs"] == "EPSG:2180"
    layers = report["layers"]
    assert all(layer["valid"] for layer in layers.values()), layers
    by_name = {layer["name"]: layer for layer in layers.values()}
    with translation.override("pl"):  # the city's language, as an anonymous request gets
        names = {key: gettext(key) for key in ("Proposals", "points", "areas", "Granted",
                 "Neglected sites", "Completed projects", "Reference layers", "City",
                 "City boundary", "Base map")}  # fmt: skip

    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, hidden_at__isnull=True)
    pins = {str(pk) for pk in public.filter(area__isnull=True).values_list("pk", flat=True)}
    areas = {str(pk) for pk in public.filter(area__isnull=False).values_list("pk", flat=True)}
    assert pins and areas
    points = by_name[f"{names['Proposals']} ({names['points']})"]
    drawn = by_name[f"{names['Proposals']} ({names['areas']})"]
    assert (points["geometry"], set(points["ids"])) == ("Point", pins)
    assert (drawn["geometry"], set(drawn["ids"])) == ("Polygon", areas)
    assert points["renderer"] == drawn["renderer"] == "categorizedSymbol"
    assert "option:PAGE_SIZE=1000" in points["source"]  # GDAL 3.6 asks for 10 otherwise
    assert points["field"] == "status"
    assert points["categories"]["granted"] == [names["Granted"], qgis.STATUS_COLORS["granted"]]
    assert set(points["categories"]) == set(Proposal.PUBLIC_STATUSES)  # no drafts

    sites = Site.objects.filter(moderation="accepted")
    site_layer = by_name[f"{names['Neglected sites']} ({names['points']})"]
    assert set(site_layer["ids"]) == {str(pk) for pk in sites.values_list("pk", flat=True)}
    assert site_layer["categories"]["neglected"][1] == qgis.SITE_COLORS["neglected"]
    assert by_name["Parks"]["color"] == qgis.REFERENCE_STYLES["park"][0]
    with translation.override("pl"):
        parks = next(c for c in city_collections(city=koszalin).values() if c.title == "Parks")
        assert by_name["Parks"]["abstract"] == str(parks.description) != ""
    assert f"{live_url}/ogcapi/koszalin/" in report["abstract"]  # the project says its source
    assert report["title"] == "Tworzymy przestrzeń · Koszalin"  # in the city's language
    # a kind of geometry the collection does not hold yet is still a layer, empty, so that a
    # project kept for years shows the first drawn site
    assert by_name[f"{names['Neglected sites']} ({names['areas']})"]["ids"] == []
    assert "City land" not in by_name and b"City land" not in body  # not public
    assert len(by_name[names["City boundary"]]["ids"]) == 1
    basemap = [layer for layer in layers.values() if layer["provider"] == "wms"]
    assert len(basemap) == 1 and basemap[0]["name"] == names["Base map"]

    # the layer tree: each collection a group, the reference layers together, the base
    # map at the bottom; every entry points at a layer of the project
    tree = report["tree"]
    assert [entry.get("group") for entry in tree] == [
        names[key] for key in ("Proposals", "Neglected sites", "Completed projects",
                               "Reference layers", "City")
    ] + [None]  # fmt: skip
    listed = [c["layer"] for entry in tree for c in entry.get("children", [entry])]
    assert sorted(listed) == sorted(layers)

    # it opens on the city, in its metric CRS
    xmin, ymin, xmax, ymax, crs = report["view"]
    city = koszalin.boundary.transform(2180, clone=True).extent
    assert crs == "EPSG:2180"
    assert xmin < city[0] < city[2] < xmax and ymin < city[1] < city[3] < ymax
    assert (xmax - xmin) < 1.3 * (city[2] - city[0]) + 1.3 * (city[3] - city[1])

    # a render draws the pins in their status colours (QGIS 3.22's own OAPIF provider
    # typed the whole collection by its first features and drew no pins)
    drawn_colours = {name for name, count in report["pixels"].items() if count >= 2}
    statuses = set(public.filter(area__isnull=True).values_list("status", flat=True))
    assert {qgis.STATUS_COLORS[s] for s in statuses} <= drawn_colours
    assert qgis.SITE_COLORS["neglected"] in drawn_colours


def test_the_project_is_linked_from_the_data_page_and_escapes_names(client, exchange_world):
    from geodata.models import Layer

    Layer.objects.filter(name="Parks").update(name='Parks <&> "x"')
    for address in ("/koszalin/exports/", "/ogcapi/koszalin/?f=html"):
        page = client.get(address).content.decode()
        assert 'href="/koszalin/exports/qgis-project.qgs"' in page, address
    body = client.get("/koszalin/exports/qgis-project.qgs").content.decode()
    assert "Parks &lt;&amp;&gt; &quot;x&quot;" in body and 'Parks <&> "x"' not in body


def test_the_colours_are_the_web_maps():
    common = (ROOT / "mapapp/static/mapapp/map_common.js").read_text()
    city_map = (ROOT / "mapapp/static/mapapp/city_map.js").read_text()

    def js_object(text: str, name: str) -> str:
        return re.search(name + r"\s*=\s*\{(.*?)\};", text, re.S).group(1)

    def pairs(block: str) -> dict[str, str]:
        return dict(re.findall(r"(\w+):\s*\"(#[0-9a-f]{6})\"", block))

    statuses = pairs(js_object(common, "STATUS_COLORS"))
    statuses.pop("draft")  # never public
    assert statuses == qgis.STATUS_COLORS
    assert pairs(js_object(common, "SITE_COLORS")) == qgis.SITE_COLORS
    references = dict(re.findall(r"(\w+): \{ color: \"(#[0-9a-f]{3,6})\"",
                                 js_object(city_map, "REF_STYLES")))  # fmt: skip
    references["district"] = "#555555" if references["district"] == "#555" else "?"
    assert references == {kind: style[0] for kind, style in qgis.REFERENCE_STYLES.items()}


@pytest.mark.django_db(transaction=True)
def test_a_large_collection_is_drawn_from_vector_tiles_when_zoomed_out(
    live_server, exchange_world, koszalin, grant_call, resident, settings, tmp_path
):
    """Above MAP_TILES_ABOVE rows (the web map's threshold) a collection's features are read
    only closer than 1:DETAIL_SCALE; further out a vector-tile layer draws it, with the web
    map's colours and its aggregated cells sized by their count. QGIS opens the tiles from
    the live server and renders them at the project's city-wide view."""
    from django.contrib.gis.geos import Point

    settings.MAP_TILES_ABOVE = 20  # 41 public proposals; 14 sites, 5 projects
    # four proposals a metre apart: one cell of the aggregated tiles
    Proposal.objects.bulk_create(
        Proposal(
            city=koszalin,
            grant_call=grant_call,
            author=resident,
            title=f"Close {i}",
            status="granted",
            geom=Point(16.2, 54.19 + i * 1e-5, srid=4326),
        )
        for i in range(4)
    )
    url = f"{live_server.url}/koszalin/exports/qgis-project.qgs"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our live server
        (tmp_path / "k.qgs").write_bytes(response.read())
    report = pyqgis(tmp_path / "k.qgs", tmp_path / "render.png")
    layers = report["layers"]
    assert all(layer["valid"] for layer in layers.values()), layers
    tiles = layers["wcs_proposals_tiles"]
    assert (tiles["provider"], tiles["name"]) == ("vectortile", "Propozycje (przegląd)")
    assert f"{live_server.url}/tiles/koszalin/proposals/" in unquote(tiles["source"])
    assert tiles["scales"] == [0, qgis.DETAIL_SCALE]  # hidden closer than 1:10,000
    assert layers["wcs_proposals_point"]["scales"] == [qgis.DETAIL_SCALE, 0]
    assert layers["wcs_proposals_polygon"]["scales"] == [qgis.DETAIL_SCALE, 0]
    assert "wcs_sites_tiles" not in layers and layers["wcs_sites_point"]["scales"] is None
    proposals_group = next(e for e in report["tree"] if e.get("group") == "Propozycje")
    assert [c["layer"] for c in proposals_group["children"]] == [
        "wcs_proposals_tiles", "wcs_proposals_point", "wcs_proposals_polygon"]  # fmt: skip

    styles = tiles["styles"]
    assert {s["layer"] for s in styles} == {"proposals"}
    cluster = styles[0]
    assert (cluster["expression"], cluster["color"]) == ('"count" > 1', qgis.CLUSTER_COLOR)
    granted = [s for s in styles if s["expression"] == "\"status\" = 'granted'"]
    assert [(s["geometry"], s["color"]) for s in granted] == [
        (0, qgis.STATUS_COLORS["granted"]), (2, qgis.STATUS_COLORS["granted"])]  # fmt: skip
    assert len(styles) == 1 + 2 * len(Proposal.PUBLIC_STATUSES)

    # the city-wide view is further out than 1:10,000: the tiles are drawn, not the features
    assert report["scale"] > qgis.DETAIL_SCALE
    assert "wcs_proposals_tiles" in report["shown"]
    assert "wcs_proposals_point" not in report["shown"] and "wcs_sites_point" in report["shown"]
    # the four close ones, one cell: the cluster colour, translucent over the white
    a = qgis.CLUSTER_ALPHA
    blend = [a * int(qgis.CLUSTER_COLOR[i : i + 2], 16) + (1 - a) * 255 for i in (1, 3, 5)]
    near = sum(count for name, count in report["tile_pixels"].items()
               if max(abs(int(name[i : i + 2], 16) - v)
                      for i, v in zip((1, 3, 5), blend, strict=True)) <= 2)  # fmt: skip
    assert near >= 4, sorted(report["tile_pixels"].items(), key=lambda kv: -kv[1])[:12]
    seen = {name for name, count in report["tile_pixels"].items() if count >= 1}
    statuses = set(Proposal.objects.exclude(status="draft").values_list("status", flat=True))
    assert {qgis.STATUS_COLORS[s] for s in statuses} <= seen
