"""Benchmark: search words (`q`) over a city's proposals, with the trigram indexes against
the same query without them.

Run with `make bench-search` (BENCH_ARGS="--proposals 200000 --rounds 9"). It makes a
throwaway database (`bench_search`) on the configured PostGIS, seeds a city with 100,000
proposals from a fixed seed (bench/exchange.py's seeding), gives them titles and
descriptions of made-up words whose frequencies fall off like a language's (a few words in
many titles, most words in a few), and measures, in interleaved rounds, what the proposals
list asks for a search: the first page (LIST_PAGE_SIZE rows in the list's order) and the
count. The baseline is the same ORM query in a transaction that dropped the four trigram
indexes (rolled back after each run), so both sides plan on the same data and statistics.
A third side, interleaved too, is the indexed query looking for the words as they are typed
only (no word close to them: mapapp.filters.HasWordLike off), which prices the similar-word
test; "another ending" is a word with its last letter changed, which only that test finds.

It prints medians and ratios per kind of word and the query plans, and writes
bench/results/search.json. Compare ratios from one run, not absolute times across runs.
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
sys.path.insert(0, str(ROOT))  # run as a script (make bench-search): the project's packages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapapp.settings")

INDEXES = (
    "proposals_title_trgm",
    "proposals_description_trgm",
    "sites_site_name_trgm",
    "sites_site_description_trgm",
)


def vocabulary(seed: int) -> list[str]:
    """Real Polish and Czech words (those of our own translations, four letters or more), in
    an order fixed by the seed: real words have the spread of letter triples that trigram
    indexes rely on, which made-up words do not."""
    import re

    found: set[str] = set()
    for lang in ("pl", "cs"):
        text = (ROOT / "locale" / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        for m in re.finditer(r'msgstr "(.*)"', text):
            found.update(w.lower() for w in re.findall(r"[^\W\d_]{4,}", m.group(1)))
    words = sorted(found)
    random.Random(seed).shuffle(words)
    return words


def give_words(city_id: int, seed: int) -> None:
    """Titles of 4 words and descriptions of 12, drawn with rank = floor(N * u^3): the first
    words are in a large share of the rows, the last ones in almost none."""
    from django.db import connection

    words = vocabulary(seed)
    n = len(words)
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cur.execute(
            """
            UPDATE proposals_proposal SET
                title = initcap(array_to_string(ARRAY(
                    SELECT (%(v)s::text[])[1 + floor(%(n)s * random() ^ 3)::int]
                    FROM generate_series(1, 4 + (id %% 1)) ), ' ')),
                description = array_to_string(ARRAY(
                    SELECT (%(v)s::text[])[1 + floor(%(n)s * random() ^ 3)::int]
                    FROM generate_series(1, 12 + (id %% 1)) ), ' ')
            WHERE city_id = %(city)s
            """,
            {"v": words, "n": n, "city": city_id},
        )  # `id % 1` ties each subquery to its row, so every row draws its own words
        # as autovacuum would soon: moves the GIN indexes' pending entries into the index
        cur.execute("VACUUM ANALYZE proposals_proposal")


def words_to_search(city_id: int) -> dict[str, str]:
    """A word in very many rows, one in about 1 in 1,000, one in a handful, one in none, and
    two words together."""
    from proposals.models import Proposal

    titles = Proposal.objects.filter(city_id=city_id).values_list("title", flat=True)
    counts: dict[str, int] = {}
    for title in titles.iterator():
        for w in title.lower().split():
            counts[w] = counts.get(w, 0) + 1
    total = sum(1 for _ in titles)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))

    def nearest(share: float) -> str:
        return min(ranked, key=lambda w: (abs(counts[w] / total - share), w))

    return {
        "frequent": ranked[0],
        "1 in 1,000": nearest(0.001),
        "rare": nearest(5 / total),
        "absent": "qqqxx",
        "two words": f"{ranked[1]} {nearest(0.01)}",
        "another ending": _other_ending(nearest(0.001), counts),
    }


def _other_ending(word: str, counts: dict[str, int]) -> str:
    """`word` with its last letter changed into one that makes no word of the titles."""
    for letter in "aeiouy":
        if letter != word[-1] and word[:-1] + letter not in counts:
            return word[:-1] + letter
    return word + "a"


def run_list_query(city, q: str) -> float:
    from django.conf import settings

    from proposals.selectors import public_proposals

    qs = public_proposals(city=city, filters={"q": q}).order_by(
        "-submitted_at", "-published_at", "-id"
    )
    t = time.perf_counter()
    list(qs[: settings.LIST_PAGE_SIZE])
    qs.count()
    return (time.perf_counter() - t) * 1000


def without_indexes(city, q: str) -> float:
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cur:
            for name in INDEXES:
                cur.execute(f"DROP INDEX {name}")  # noqa: S608 - our own index names
        ms = run_list_query(city, q)
        transaction.set_rollback(True)
    return ms


def exact_words_only(city, q: str) -> float:
    from mapapp import filters

    kept = filters.FUZZY_MIN_LENGTH
    filters.FUZZY_MIN_LENGTH = 10**6  # no word is long enough for the similar-word test
    try:
        return run_list_query(city, q)
    finally:
        filters.FUZZY_MIN_LENGTH = kept


def exact_count(city, q: str) -> int:
    from mapapp import filters
    from proposals.selectors import public_proposals

    kept = filters.FUZZY_MIN_LENGTH
    filters.FUZZY_MIN_LENGTH = 10**6
    try:
        return public_proposals(city=city, filters={"q": q}).count()
    finally:
        filters.FUZZY_MIN_LENGTH = kept


def plan(city, q: str) -> str:
    from proposals.selectors import public_proposals

    qs = public_proposals(city=city, filters={"q": q}).order_by(
        "-submitted_at", "-published_at", "-id"
    )
    return qs[:20].explain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    import django

    django.setup()
    from bench.common import interleaved, throwaway_database, write_report
    from bench.exchange import seed
    from mapapp.models import City
    from proposals.selectors import public_proposals

    with throwaway_database("bench_search", keep=args.keep):
        seed(args.proposals, 0, 0, 0, 0, args.seed)
        city = City.objects.get(slug="bench")
        give_words(city.pk, args.seed)
        searches = words_to_search(city.pk)
        times = interleaved(
            searches,
            {
                "indexed": lambda q: run_list_query(city, q),
                "unindexed": lambda q: without_indexes(city, q),
                "exact": lambda q: exact_words_only(city, q),
            },
            rounds=args.rounds,
            seed=args.seed,
        )
        results = {}
        for kind, q in searches.items():
            indexed = statistics.median(times[kind]["indexed"])
            unindexed = statistics.median(times[kind]["unindexed"])
            exact = statistics.median(times[kind]["exact"])
            results[kind] = {
                "q": q,
                "matched": public_proposals(city=city, filters={"q": q}).count(),
                "matched_as_typed": exact_count(city, q),
                "indexed_ms": round(indexed, 2),
                "unindexed_ms": round(unindexed, 2),
                "as_typed_ms": round(exact, 2),
                "speed-up": round(unindexed / indexed, 1),
                "similar_words_cost": round(indexed / exact, 2),
                "plan": plan(city, q),
            }
        write_report(
            "search",
            {
                "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
                "date": time.strftime("%Y-%m-%d"),
                "proposals": args.proposals,
                "rounds": args.rounds,
                "measured": "first list page + count, medians in ms",
                "results": results,
            },
        )
        for kind, r in results.items():
            print(
                f"{kind:>14} {r['q']!r:>24} ({r['matched']:>6} rows, {r['matched_as_typed']:>6} "
                f"as typed): {r['indexed_ms']:8.2f} ms indexed, "
                f"{r['unindexed_ms']:8.2f} ms without ({r['speed-up']}x); words as typed "
                f"only {r['as_typed_ms']:8.2f} ms ({r['similar_words_cost']}x)"
            )


if __name__ == "__main__":
    main()
