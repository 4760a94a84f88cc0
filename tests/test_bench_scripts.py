"""The benchmarks are run by hand (make bench-*), never by the suite; but each script must at
least start as the Makefile starts it (a script, from anywhere): a misplaced import once broke
`make bench-exchange` without any test noticing."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text())


def test_the_scripts_are_found():
    expected = {"analysis.py", "exchange.py", "map_proposals.py", "load.py", "search.py",
                "places.py", "addresses.py"}  # fmt: skip
    assert expected <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_bench_script_starts(script, tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"],
        cwd=tmp_path,  # not the project folder: the script must find its packages itself
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


@pytest.mark.django_db
def test_the_bench_seeds_name_every_column_the_database_requires():
    """The seeds write proposals with SQL: a NOT NULL column without a database default that
    they do not name stops them (bench/exchange.py stopped so once, and no test saw it)."""
    import re

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name ="
            " 'proposals_proposal' AND is_nullable = 'NO' AND column_default IS NULL"
            " AND is_identity = 'NO'"
        )
        required = {row[0] for row in cursor.fetchall()}
    seeds = 0
    for path in sorted((ROOT / "bench").glob("*.py")):
        for columns in re.findall(
            r"INSERT INTO proposals_proposal\s*\(([^)]*)\)", path.read_text()
        ):
            named = {c.strip() for c in columns.split(",")}
            assert required <= named, (path.name, sorted(required - named))
            seeds += 1
    assert seeds >= 4


def test_the_exchange_floor_filters_the_statuses_our_api_serves():
    from bench.exchange import PUBLIC
    from proposals.models import Proposal

    assert set(PUBLIC.replace("'", "").split(",")) == set(Proposal.PUBLIC_STATUSES)
