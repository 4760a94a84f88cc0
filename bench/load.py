"""Bounded load test: the public map, a proposal's page and supports, with locust on loopback.

Run with `make bench-load` (BENCH_ARGS="--users 30 --seconds 60"). It makes a throwaway
database (`bench_load`), seeds a city (Koszalin's boundary) from a fixed seed with 5,000
proposals collecting support, 1,000 sites and 400 residents with confirmed e-mail and a
session each, serves the app as in production (gunicorn, 3 workers, DEBUG off, persistent
connections), and runs locust in-process, headless, for a fixed time: it stops by itself and
only ever talks to 127.0.0.1. Each simulated resident opens the map page, loads the map's
proposals for a 500 m view, opens a proposal and now and then supports one (each resident a
different proposal each time, so every support is a real insert).

Rate limits are raised for the run (they would, rightly, stop one address supporting
hundreds of times an hour); everything else is as deployed. Prints requests per second,
p50/p95 latency and errors per request kind, and writes bench/results/load.json.
"""

from __future__ import annotations

import argparse


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="simulated residents at once")
    parser.add_argument("--seconds", type=int, default=45)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2027)
    return parser.parse_args()


if __name__ == "__main__":
    ARGS = arguments()  # first, so that --help works before make bench-load installs locust

from gevent import monkey  # noqa: E402

monkey.patch_all()  # locust runs on gevent: patch before anything imports ssl or sockets

import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapapp.settings")


def seed_people(city, n: int) -> list[str]:
    """Residents with a confirmed address and a session; returns their session keys."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from mapapp.models import User

    keys = []
    for i in range(n):
        user = User.objects.create_user(email=f"load{i}@example.org", password=None)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


def main(args: argparse.Namespace) -> None:

    import django

    django.setup()
    from django.db import connection
    from locust import HttpUser, between, task
    from locust.env import Environment

    from bench.common import throwaway_database, write_report
    from bench.exchange import database_url, seed, start_gunicorn, stop

    with throwaway_database("bench_load") as settings_dict:
        server = None
        try:
            seed(5_000, 1_000, 100, 1_000, 0, args.seed)
            from mapapp.models import City
            from proposals.models import Proposal

            city = City.objects.get(slug="bench")
            Proposal.objects.filter(city=city).update(status="collecting_support")
            sessions = seed_people(city, 400)
            points = [  # plain numbers: GEOS objects do not outlive gevent's hub cleanly
                (pk, geom.x, geom.y)
                for pk, geom in Proposal.objects.filter(city=city).values_list("pk", "geom")
            ]
            connection.close()
            server, address = start_gunicorn(
                database_url(settings_dict), args.workers,
                RATE_SUPPORT="1000000/h", RATE_FLAG="1000000/h",
            )  # fmt: skip
            rnd = random.Random(args.seed)
            pool = list(sessions)

            class Resident(HttpUser):
                host = f"http://{address}"
                wait_time = between(0.5, 2.0)

                def on_start(self):
                    self.client.cookies.set("sessionid", pool.pop() if pool else sessions[0])
                    self.supported = set()

                @task(4)
                def map_page(self):
                    self.client.get("/bench/", name="map page")
                    pk, x, y = rnd.choice(points)
                    d = 0.0023
                    bbox = f"{x - d:.5f},{y - d:.5f},{x + d:.5f},{y + d:.5f}"
                    self.client.get(f"/api/v1/bench/proposals/?bbox={bbox}", name="map data (bbox)")

                @task(4)
                def proposal_page(self):
                    pk, _x, _y = rnd.choice(points)
                    self.client.get(f"/bench/proposals/{pk}/", name="proposal page")

                @task(1)
                def support(self):
                    pk, _x, _y = rnd.choice(points)
                    if pk in self.supported:
                        return
                    url = f"/bench/proposals/{pk}/support/"
                    form = self.client.get(url, name="support form")
                    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
                    if token is None:
                        return
                    with self.client.post(
                        url,
                        data={"csrfmiddlewaretoken": token.group(1), "full_name": f"Load {pk}",
                              "address": f"Street {pk}, Koszalin", "age_confirmed": "on"},
                        headers={"Referer": self.host + url}, allow_redirects=False,
                        name="support (post)", catch_response=True,
                    ) as answer:  # fmt: skip
                        if answer.status_code == 302:
                            self.supported.add(pk)
                            answer.success()
                        else:
                            answer.failure(f"status {answer.status_code}")

            env = Environment(user_classes=[Resident])
            runner = env.create_local_runner()
            runner.start(args.users, spawn_rate=max(1, args.users // 5))
            time.sleep(args.seconds)
            runner.quit()
            stats = env.stats
            report = {
                "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
                "server": f"gunicorn, {args.workers} workers, DEBUG off, persistent connections",
                "users": args.users,
                "seconds": args.seconds,
                "total": {
                    "requests": stats.total.num_requests,
                    "errors": stats.total.num_failures,
                    "rps": round(stats.total.total_rps, 1),
                    "p50_ms": stats.total.get_response_time_percentile(0.5),
                    "p95_ms": stats.total.get_response_time_percentile(0.95),
                },
                "by_request": {
                    name: {
                        "requests": entry.num_requests,
                        "errors": entry.num_failures,
                        "rps": round(entry.total_rps, 1),
                        "p50_ms": entry.get_response_time_percentile(0.5),
                        "p95_ms": entry.get_response_time_percentile(0.95),
                    }
                    for (name, _method), entry in sorted(stats.entries.items())
                },
                "errors": [f"{e.name}: {e.error} x{e.occurrences}" for e in stats.errors.values()],
            }
            from proposals.models import Support

            report["supports_stored"] = Support.objects.count()
        finally:
            if server is not None:
                stop(server)
    write_report("load", report)
    sys.stdout.flush()
    # skip interpreter teardown: GEOS objects freed after gevent's hub has gone only make noise
    os._exit(0)


if __name__ == "__main__":
    main(ARGS)
