"""What every benchmark here needs: a throwaway database, a place for its results, free
ports, and the deployment's nginx in front of a server (the tests use it too)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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


def interleaved(cases: dict, sides: dict, *, rounds: int, seed: int) -> dict:
    """Times (ms) of every side on every case: {case: {side: [ms, ...]}}. Each side is
    `fn(q) -> ms`; every side runs once on every case first, unmeasured (warm caches), then
    `rounds` times, the cases in a shuffled order and the sides shuffled within each case, so
    neither side always runs first and the machine's noise falls on both."""
    import random

    rnd = random.Random(seed)
    for q in cases.values():
        for fn in sides.values():
            fn(q)
    times = {case: {side: [] for side in sides} for case in cases}
    for _ in range(rounds):
        order = list(cases.items())
        rnd.shuffle(order)
        for case, q in order:
            pairs = list(sides.items())
            rnd.shuffle(pairs)
            for side, fn in pairs:
                times[case][side].append(fn(q))
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def start_nginx(
    upstream: str, media_root: Path | None = None
) -> tuple[subprocess.Popen, str] | None:
    """nginx with the deployment's site file (deploy/nginx/wecreatespace.conf.in) in front of
    `upstream`, serving photos from `media_root` (default: the project's .local/media); None
    when nginx is not installed (scripts/ensure-nginx.sh installs it)."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else ""
    )
    if not binary:
        return None
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    atexit.register(shutil.rmtree, folder, True)
    for sub in ("cache", "temp"):
        (folder / sub).mkdir()
    if os.geteuid() == 0:  # the workers run as nobody: let them write the cache
        for path in (folder, folder / "cache", folder / "temp"):
            path.chmod(0o777)
    site = (ROOT / "deploy/nginx/wecreatespace.conf.in").read_text()
    for name, value in {"LISTEN": f"127.0.0.1:{port}", "SERVER_NAME": "127.0.0.1",
                        "UPSTREAM": upstream, "STATIC_ROOT": str(ROOT / "staticfiles"),
                        "MEDIA_ROOT": str(media_root or ROOT / ".local/media"),
                        "CACHE_DIR": str(folder / "cache")}.items():  # fmt: skip
        site = site.replace(f"@{name}@", value)
    (folder / "site.conf").write_text(site)
    temp = folder / "temp"
    (folder / "nginx.conf").write_text(
        f"""daemon off; worker_processes auto; pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    include {folder}/site.conf;
}}
"""
    )
    proc = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")], start_new_session=True
    )
    wait_for(port)
    return proc, f"127.0.0.1:{port}"
