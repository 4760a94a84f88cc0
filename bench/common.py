"""What every benchmark here needs: a throwaway database, and a place for its results."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def throwaway_database(name: str, *, keep: bool = False):
    """A new, migrated database `name` on the configured PostGIS (never the tests' or the
    app's), dropped afterwards unless `keep`. Yields its connection settings."""
    from django.db import connection, connections
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield dict(connection.settings_dict)
    finally:
        connections.close_all()
        if not keep:
            # servers started by the benchmark may still hold sessions on it
            with connection._nodb_cursor() as cur:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [test_name],
                )
            connection.creation.destroy_test_db(old_name, verbosity=0)


def write_report(name: str, report: dict) -> None:
    """bench/results/<name>.json, and the same on standard output."""
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(report, indent=2, default=str)
    (RESULTS / f"{name}.json").write_text(text)
    print(text)
