"""Benchmark: the programme's public figures, computed against cached.

Run with `make bench-figures` (BENCH_ARGS="--proposals 200000 --cities 5 --rounds 9"). It
makes a throwaway database (`bench_figures`) on the configured PostGIS, with the production
cache (the database cache, `dbcache://wcs_cache`), and seeds from a fixed seed a city of
100,000 proposals (bench/exchange.py's seeding) and `--cities` more of 10,000 each: several
calls, granted amounts, drawn areas, an expense and a work day for each project under way.
It measures, in interleaved rounds:

  city       one city's public figures: programme_figures(public=True), computed every
             time (the baseline), against public_figures, kept under a key that changes with
             what they count (one read of four change counters);
  network    the /figures/ page through Django's test client, every city's figures summed:
             with the cache emptied before each request (the baseline) and in steady state.

It prints medians, p95 and ratios, and writes bench/results/figures.json. These machines are
noisy: compare ratios from one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script (make bench-figures): the project's packages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapapp.settings")
os.environ.setdefault("CACHE_URL", "dbcache://wcs_cache")  # what a deployment uses

GRANTED = "'granted','agreement_signed','in_progress','completed','sustainability','closed'"


def seed_figures(n_proposals: int, n_cities: int, rnd: int) -> list:
    """The exchange benchmark's city, and `n_cities` smaller ones (copies of its first
    10,000 proposals), each given four more calls, granted amounts, and an expense and a
    work day for each project under way."""
    from django.db import connection

    from bench.exchange import seed
    from mapapp.models import City

    # the cache table: the test database's creation makes it (createcachetable)
    seed(n_proposals, 0, 0, 0, 0, rnd)
    bench = City.objects.get(slug="bench")
    from proposals.models import GrantCall

    first_call = GrantCall.objects.get(city=bench)
    with connection.cursor() as cur:
        for i in range(n_cities):
            city = City.objects.create(slug=f"bench-{i + 1}", name=f"bench-{i + 1}",
                                       boundary=bench.boundary, metric_srid=2180,
                                       currency="PLN")  # fmt: skip
            call = GrantCall.objects.create(
                city=city, title=first_call.title, opens_at=first_call.opens_at,
                closes_at=first_call.closes_at, total_budget=first_call.total_budget,
                project_cap=first_call.project_cap,
            )  # fmt: skip
            city_id, call_id = city.pk, call.pk
            cur.execute(
                """
                INSERT INTO proposals_proposal (city_id, grant_call_id, author_id,
                    applicant_kind, title, description, category, geom, area,
                    neighbour_involvement, maintenance_plan, landowner, consent_document,
                    contact_phone, requested_amount, status, version, support_count,
                    ineligible_reason, created_at, updated_at, published_at)
                SELECT %(city)s, %(call)s, author_id, applicant_kind, title, description,
                    category, geom, area, neighbour_involvement, maintenance_plan, landowner,
                    consent_document, contact_phone, requested_amount, status, version,
                    support_count, ineligible_reason, created_at, updated_at, published_at
                FROM proposals_proposal WHERE city_id = %(bench)s ORDER BY id LIMIT 10000
                """,
                {"city": city_id, "call": call_id, "bench": bench.pk},
            )
        # four earlier calls in every city, the proposals spread over the five
        from datetime import timedelta

        GrantCall.objects.bulk_create(
            GrantCall(city=city, title={"en": f"Bench {years}"},
                      opens_at=first_call.opens_at - timedelta(days=365 * years),
                      closes_at=first_call.opens_at - timedelta(days=365 * years - 60),
                      total_budget=10**9, project_cap=10**6)
            for city in City.objects.filter(slug__startswith="bench")
            for years in range(1, 5)
        )  # fmt: skip
        cur.execute(
            f"""
            UPDATE proposals_proposal p SET
                grant_call_id = (SELECT id FROM proposals_grantcall g WHERE g.city_id = p.city_id
                                 ORDER BY g.id OFFSET p.id % 5 LIMIT 1),
                granted_amount = CASE WHEN p.status IN ({GRANTED}) THEN 1000 END,
                submitted_at = CASE WHEN p.status <> 'collecting_support' THEN now() END,
                eligible_at = CASE WHEN p.status IN ({GRANTED}, 'in_assessment', 'rejected')
                              THEN now() END
            """  # noqa: S608 - constant fragments only
        )
        for table, columns, values in (
            ("proposals_expense", "description, amount, spent_on, receipt, created_at",
             "'Timber', 250, current_date, 'receipts/bench.pdf', now()"),
            ("proposals_workday", "date, people, hours", "current_date, 4, 2.5"),
        ):  # fmt: skip
            cur.execute(
                f"""
                INSERT INTO {table} (proposal_id, {columns})
                SELECT id, {values} FROM proposals_proposal WHERE status = 'in_progress'
                """  # noqa: S608 - constant fragments only
            )
        cur.execute("ANALYZE")
    return list(City.objects.filter(slug__startswith="bench").order_by("pk"))


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--cities", type=int, default=3, help="more cities of 10,000")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from bench.common import interleaved, throwaway_database, write_report
    from mapapp.selectors import city_forget
    from proposals.selectors import programme_figures, public_figures

    with throwaway_database("bench_figures", keep=args.keep):
        cities = seed_figures(args.proposals, args.cities, args.seed)
        big = cities[0]
        client = Client(HTTP_HOST="localhost")

        def page(clear: bool):
            def get() -> None:
                response = client.get("/figures/")
                assert response.status_code == 200, response.status_code

            def run(_q) -> float:
                if clear:
                    cache.clear()
                    city_forget()
                return timed(get)

            return run

        kept, computed = public_figures(city=big)[1], programme_figures(city=big, public=True)[1]
        # a parallel plan sums the areas' floats in another order: equal to a few digits
        assert abs(kept.area_m2 - computed.area_m2) <= 1e-9 * computed.area_m2
        computed.area_m2 = kept.area_m2
        assert kept == computed, (kept, computed)
        cases = {"city": "city", "network": "network"}
        sides = {
            "computed": lambda q: (
                timed(lambda: programme_figures(city=big, public=True))
                if q == "city"
                else page(clear=True)(q)
            ),
            "cached": lambda q: (
                timed(lambda: public_figures(city=big)) if q == "city" else page(clear=False)(q)
            ),
        }
        times = interleaved(cases, sides, rounds=args.rounds, seed=args.seed)
        results = {}
        for case in cases:
            computed, cached = times[case]["computed"], times[case]["cached"]
            med_a, med_b = statistics.median(computed), statistics.median(cached)
            results[case] = {
                "computed_ms": round(med_a, 2),
                "computed_p95_ms": round(statistics.quantiles(computed, n=20)[-1], 2),
                "cached_ms": round(med_b, 2),
                "cached_p95_ms": round(statistics.quantiles(cached, n=20)[-1], 2),
                "speed-up": round(med_a / med_b, 1),
            }
        from django.conf import settings

        write_report(
            "figures",
            {
                "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
                "date": time.strftime("%Y-%m-%d"),
                "proposals": args.proposals,
                "cities": 1 + args.cities,
                "cache": settings.CACHES["default"]["BACKEND"],
                "rounds": args.rounds,
                "measured": "medians and p95 in ms",
                "results": results,
            },
        )
        for case, r in results.items():
            print(
                f"{case:>8}: computed {r['computed_ms']:8.2f} ms (p95 {r['computed_p95_ms']:.2f}),"
                f" cached {r['cached_ms']:7.2f} ms (p95 {r['cached_p95_ms']:.2f}):"
                f" {r['speed-up']}x"
            )


if __name__ == "__main__":
    main()
