"""Benchmark: the city map with 20,000 proposals against the same map with 100.

Run with `make bench-map` (or `.venv/bin/python bench/map_proposals.py`). Above
MAP_TILES_ABOVE (5,000) proposals the map draws vector tiles, so the big city measures the
tile path and the small one the GeoJSON path. It makes a
throwaway database on the configured PostGIS, seeds two cities with the Koszalin boundary
from a fixed seed (one with BIG proposals, one with SMALL), serves the app in-process and
drives Debian's Chromium. Big and small runs are interleaved, and what is reported are
medians and ratios, never absolute pass/fail timings (these machines are noisy).

Measured per run:
  - time to interactive: navigation start until every proposal is in the clustered layer
    (the page sets data-proposals-loaded);
  - a zoom-in on the centre until the map settles (clusters redrawn);
  - the API payload: raw and gzip bytes, and its server time against the SQL floor
    (the same FeatureCollection built by PostGIS alone with json_agg).
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapapp.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def seed(big: int, small: int, seed_value: int) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from mapapp.demo import DATA_DIR
    from mapapp.geo import read_boundary_file
    from mapapp.models import City, User
    from proposals.models import GrantCall

    boundary = read_boundary_file(DATA_DIR / "koszalin_city_boundary_prg_3mb.geojson")
    author = User.objects.create_user(email="bench@example.org", password=None)
    now = timezone.now()
    for slug, count in (("bench-big", big), ("bench-small", small)):
        city = City.objects.create(
            slug=slug,
            name=slug,
            boundary=boundary,
            metric_srid=2180,
            default_language="en",
            currency="PLN",
        )
        call = GrantCall.objects.create(
            city=city,
            title={"en": "Bench"},
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
            total_budget=10**9,
            project_cap=10**6,
        )
        # Raw SQL: seeding tens of thousands of rows, points generated inside the boundary by
        # PostGIS from a fixed seed (ST_GeneratePoints(geom, n, seed)).
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO proposals_proposal (
                    city_id, grant_call_id, author_id, applicant_kind, title, description,
                    category, geom, neighbour_involvement, maintenance_plan, landowner,
                    consent_document, contact_phone, requested_amount, status, version,
                    ineligible_reason, created_at, updated_at, published_at, support_count)
                SELECT %(city)s, %(call)s, %(author)s, 'individual',
                       'Proposal ' || d.path[1], '',
                       (ARRAY['community_garden','playground', 'seating','greenery',
                              'rain_garden','art','sport','other'])[1 + d.path[1] %% 8],
                       d.geom, '', '', 'city', '', '', 1000, (ARRAY['collecting_support',
                       'submitted','in_assessment','granted','in_progress','completed',
                       'sustainability','closed'])[1 + d.path[1] %% 8], 0, '', now(), now(),
                       now(), 0
                FROM ST_Dump(ST_GeneratePoints(
                    (SELECT boundary FROM mapapp_city WHERE id = %(city)s), %(n)s, %(seed)s)) AS d
                """,
                {
                    "city": city.pk,
                    "call": call.pk,
                    "author": author.pk,
                    "n": count,
                    "seed": seed_value,
                },
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE proposals_proposal")


SQL_FLOOR = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
    json_build_object('type', 'Feature', 'id', p.id,
        'geometry', ST_AsGeoJSON(p.geom, 6)::json,
        'properties', json_build_object('id', p.id, 'title', p.title, 'status', p.status,
                                        'category', p.category, 'call', p.grant_call_id,
                                        'support_count', p.support_count))
    ORDER BY p.id), '[]'::json))::text
FROM proposals_proposal p
JOIN mapapp_city c ON c.id = p.city_id
WHERE c.slug = %s AND p.geom IS NOT NULL AND p.status IN ('collecting_support', 'submitted',
      'ineligible', 'in_assessment', 'rejected', 'granted', 'agreement_signed', 'in_progress',
      'completed', 'sustainability', 'closed')
"""


def sql_floor_ms(slug: str) -> float:
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(SQL_FLOOR, [slug])
        cur.fetchone()
    return (time.perf_counter() - start) * 1000


def api_ms_and_size(base: str, slug: str) -> tuple[float, int, int]:
    """Server time of the API as a browser asks for it (gzip), raw and transferred bytes."""
    request = urllib.request.Request(  # noqa: S310 - http to our own local server
        f"{base}/api/v1/{slug}/proposals/", headers={"Accept-Encoding": "gzip"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own local server
        transferred = response.read()
        encoded = response.headers.get("Content-Encoding") == "gzip"
    elapsed = (time.perf_counter() - start) * 1000
    raw = gzip.decompress(transferred) if encoded else transferred
    return elapsed, len(raw), len(transferred)


def browser_run(browser, base: str, slug: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/{slug}/")
    page.wait_for_selector("#map[data-proposals-loaded]", timeout=120_000)
    tti = page.evaluate("performance.now()")
    zoom = page.evaluate(
        """() => new Promise(resolve => {
            const map = window.cityMap; const t0 = performance.now();
            map.once('zoomend', () => requestAnimationFrame(() =>
                requestAnimationFrame(() => resolve(performance.now() - t0))));
            map.setZoom(map.getZoom() + 2, {animate: false});
        })"""
    )
    loaded = page.get_attribute("#map", "data-proposals-loaded")  # a count, or "tiles"
    loaded = int(loaded) if loaded.isdigit() else loaded
    context.close()
    return {"tti_ms": tti, "zoom_ms": zoom, "markers": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from bench.common import throwaway_database, write_report

    with throwaway_database("bench_mapapp"):  # not the tests' database
        seed(args.big, args.small, args.seed)
        server = LiveServerThread("127.0.0.1", _static_handler(), connections_override=None, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        base = f"http://127.0.0.1:{server.port}"
        results = {"big": [], "small": []}
        api = {"big": [], "small": []}
        floor = {"big": [], "small": []}
        chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        flags = ["--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=flags)
            for slug in ("bench-big", "bench-small"):  # warm-up, not counted
                browser_run(browser, base, slug)
            for _ in range(args.runs):
                for key, slug in (("big", "bench-big"), ("small", "bench-small")):
                    results[key].append(browser_run(browser, base, slug))
                    api[key].append(api_ms_and_size(base, slug))
                    floor[key].append(sql_floor_ms(slug))
            browser.close()
        server.terminate()

    def med(values):
        return statistics.median(values)

    report = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
        "big": args.big,
        "small": args.small,
        "runs": args.runs,
    }
    for key in ("big", "small"):
        report[key + "_tti_ms"] = round(med([r["tti_ms"] for r in results[key]]), 1)
        report[key + "_zoom_ms"] = round(med([r["zoom_ms"] for r in results[key]]), 1)
        report[key + "_markers"] = results[key][0]["markers"]
        report[key + "_api_ms"] = round(med([a[0] for a in api[key]]), 1)
        report[key + "_payload_bytes"] = api[key][0][1]
        report[key + "_payload_gzip_bytes"] = api[key][0][2]
        report[key + "_sql_floor_ms"] = round(med(floor[key]), 1)
    report["tti_ratio_big_vs_small"] = round(report["big_tti_ms"] / report["small_tti_ms"], 2)
    report["zoom_ratio_big_vs_small"] = round(report["big_zoom_ms"] / report["small_zoom_ms"], 2)
    report["api_ratio_vs_sql_floor_big"] = round(
        report["big_api_ms"] / report["big_sql_floor_ms"], 2
    )
    write_report("map_proposals", report)


def _static_handler():
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    return StaticFilesHandler


if __name__ == "__main__":
    main()
