"""The viewport floor through HTTP: the floor's SQL (bench/exchange.py, VIEWPORT_SQL) served
by a bare WSGI app under gunicorn, with one connection per worker and a prepared statement.
No routing, no permissions, no filters but the bbox: what any Python server on this machine
costs on top of the SQL, the lowest a Django view could get to. A benchmark yardstick, not a
way to serve the API (it would be a second implementation of every check)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import psycopg

from bench.exchange import VIEWPORT_SQL

_conn = None


def app(environ, start_response):
    global _conn
    if _conn is None:
        _conn = psycopg.connect(os.environ["BENCH_FLOOR_DSN"], autocommit=True)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    box = [float(v) for v in query["bbox"][0].split(",")]
    city = int(os.environ["BENCH_FLOOR_CITY"])
    (text,) = _conn.execute(VIEWPORT_SQL, [city, *box], prepare=True).fetchone()
    body = text.encode()
    start_response(
        "200 OK", [("Content-Type", "application/geo+json"), ("Content-Length", str(len(body)))]
    )
    return [body]
