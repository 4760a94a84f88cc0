"""Benchmark: the city map's "find a place" (geodata.selectors.places_named) over a city's
named reference features, with the trigram index on their names against the same search
without it.

Run with `make bench-places` (BENCH_ARGS="--zones 2000 --green 20000 --rounds 9"). It makes
a throwaway database (`bench_places`) on the configured PostGIS and seeds a city with the
exchange benchmark's 1,000 zones and 10,000 blue-green polygons (bench/exchange.py's
seeding), then names them with real Polish and Czech words drawn so that a few are in many
names and most in few (bench/search.py's vocabulary). It measures, in shuffled, interleaved
rounds, what /<city>/places/?q= runs (the eight places with their simplified outlines); the
baseline is the same query in a transaction that dropped the index (rolled back after each
run). It vacuums after seeding, as autovacuum would soon do: until then new names wait in
the GIN index's pending list and the planner does not use the index.

It prints medians and ratios per kind of search and the query plans, and writes
bench/results/places.json. Compare ratios from one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script (make bench-places): the project's packages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapapp.settings")

INDEX = "geodata_feature_name_trgm"


def give_names(city_id: int, seed: int) -> list[str]:
    """Names of one to three words for every feature of the city; returns the words, the
    most frequent first."""
    from django.db import connection

    from bench.search import vocabulary

    words = vocabulary(seed)[:3000]
    rnd = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf: a few words everywhere
    with connection.cursor() as cur:
        cur.execute(
            "SELECT f.id FROM geodata_feature f JOIN geodata_layer l ON l.id = f.layer_id "
            "WHERE l.city_id = %s ORDER BY f.id",
            [city_id],
        )
        ids = [row[0] for row in cur.fetchall()]
        names = [" ".join(rnd.choices(words, weights, k=rnd.randint(1, 3))).title() for _ in ids]
        cur.executemany(
            "UPDATE geodata_feature SET name = %s WHERE id = %s", list(zip(names, ids, strict=True))
        )
        cur.execute("VACUUM ANALYZE geodata_feature")  # as autovacuum soon would
    return words


def add_addresses(city_id: int, count: int, words: list[str], seed: int) -> tuple[str, str]:
    """An address points layer of `count` points inside the city, named as an address
    register's name format makes them: "<Street> <house>/<orientation>", about forty
    addresses a street. Returns a street and one of its addresses' numbers."""
    from django.db import connection

    if not count:
        return "", ""
    rnd = random.Random(seed + 1)
    streets = [w.title() for w in rnd.sample(words, min(len(words), max(1, count // 40)))]
    names = [f"{rnd.choice(streets)} {rnd.randint(1, 2500)}/{rnd.randint(1, 60)}"
             for _ in range(count)]  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO geodata_layer (city_id, kind, name, source, licence, version, "
            "is_current, is_public, is_synthetic, feature_count, imported_at) VALUES "
            "(%s, 'address', 'Addresses', '', '', 1, true, true, true, %s, now()) RETURNING id",
            [city_id, count],
        )
        (layer,) = cur.fetchone()
        cur.execute(
            "INSERT INTO geodata_feature (layer_id, name, attributes, geom) "
            "SELECT %s, (%s::text[])[d.path[1]], '{}'::jsonb, d.geom "
            "FROM mapapp_city c, ST_Dump(ST_GeneratePoints(c.boundary, %s, %s)) d "
            "WHERE c.id = %s",
            [layer, names, count, seed, city_id],
        )
        cur.execute("VACUUM ANALYZE geodata_feature")
    street = names[0].split(" ")[0]
    return street, names[0].split(" ")[1].split("/")[0]


def searches(words: list[str]) -> dict[str, str]:
    """One search of each kind: a word in many names, one in few, two words, another ending
    (the last letter changed: only the similar-word test finds it), and none."""
    common, rare = words[0], words[len(words) // 3]
    return {
        "common word": common,
        "rare word": rare,
        "two words": f"{words[1]} {words[2]}",
        "other ending": rare[:-1] + ("a" if rare[-1] != "a" else "e"),
        "no such name": "zzqxw",
    }


def run_search(city, q: str) -> float:
    from geodata.selectors import places_named

    t = time.perf_counter()
    places_named(city=city, text=q)
    return (time.perf_counter() - t) * 1000


def without_index(city, q: str) -> float:
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(f"DROP INDEX {INDEX}")  # noqa: S608 - our own index name
        ms = run_search(city, q)
        transaction.set_rollback(True)
    return ms


def found(city, q: str) -> tuple[int, str]:
    """How many features the search matches (before the eight are taken), and its plan."""
    from geodata.selectors import _named_places
    from mapapp.filters import words_q

    qs = _named_places(city).filter(words_q(q, "name"))
    return qs.count(), qs.order_by("name")[:8].explain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1_000)
    parser.add_argument("--green", type=int, default=10_000)
    parser.add_argument("--addresses", type=int, default=50_000, help="address points (0: none)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    import django

    django.setup()
    from bench.common import interleaved, throwaway_database, write_report
    from bench.exchange import seed
    from mapapp.models import City

    with throwaway_database("bench_places", keep=args.keep):
        seed(0, 0, args.zones, args.green, 0, args.seed)
        city = City.objects.get(slug="bench")
        words = give_names(city.pk, args.seed)
        kinds = searches(words)
        street, number = add_addresses(city.pk, args.addresses, words, args.seed)
        if street:  # what residents type: a street and a house number, or a number alone
            kinds |= {"street and number": f"{street} {number}", "street": street,
                      "number alone": number, "two digits": "12"}  # fmt: skip
        times = interleaved(
            kinds,
            {
                "indexed": lambda q: run_search(city, q),
                "unindexed": lambda q: without_index(city, q),
            },
            rounds=args.rounds,
            seed=args.seed,
        )
        results = {}
        for kind, q in kinds.items():
            indexed = statistics.median(times[kind]["indexed"])
            unindexed = statistics.median(times[kind]["unindexed"])
            matched, query_plan = found(city, q)
            results[kind] = {
                "q": q,
                "matched": matched,
                "indexed_ms": round(indexed, 2),
                "unindexed_ms": round(unindexed, 2),
                "speed-up": round(unindexed / indexed, 1),
                "plan": query_plan,
            }
        write_report(
            "places",
            {
                "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
                "date": time.strftime("%Y-%m-%d"),
                "features": args.zones + args.green + args.addresses,
                "addresses": args.addresses,
                "rounds": args.rounds,
                "measured": "places_named (8 places with outlines), medians in ms",
                "results": results,
            },
        )
        for kind, r in results.items():
            print(
                f"{kind:>14} {r['q']!r:>28} ({r['matched']:>6} names): "
                f"{r['indexed_ms']:8.2f} ms indexed, {r['unindexed_ms']:8.2f} ms without "
                f"({r['speed-up']}x)"
            )


if __name__ == "__main__":
    main()
