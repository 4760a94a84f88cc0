"""Limits hold across workers: a deployment runs several processes (gunicorn --workers 3),
and a limit counted in one process's memory would be a limit per worker, reset whenever a
worker restarts. Each test here counts in separate processes against the test database."""

import json
import os
import subprocess
import sys
import time

from django.db import connection

from mapapp.models import RateCount
from tests.mapapp.test_settings import PRODUCTION
from tests.support import ROOT, database_url


def run(code: str, *args: str, production: bool = False, wait=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="mapapp.settings")
    if production:
        env.update(PRODUCTION, ALLOWED_HOSTS="testserver")
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    return proc.communicate(timeout=180) + (proc.returncode,) if wait else proc


COUNT = """
import sys, time, django
django.setup()
from django.test import RequestFactory
from mapapp.ratelimit import over_limit
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
for _ in range(10):
    over_limit("support", RequestFactory().post("/", REMOTE_ADDR="192.0.2.7"))
"""


def test_rate_limits_count_across_processes_without_losing_a_request(transactional_db):
    """Three workers counting the same address at the same moment add up to one count."""
    start = str(time.time() + 3)
    procs = [run(COUNT, start, wait=False) for _ in range(3)]
    for proc in procs:
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    rows = RateCount.objects.filter(key__startswith="rl:support:a:192.0.2.7:")
    assert sum(r.n for r in rows) == 30  # (a window may end during the test: then two rows)


LOGIN = """
import json, sys, django
django.setup()
from django.conf import settings
# pages name static files without collectstatic's manifest (tests/mapapp covers that one)
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
from django.test import Client
client = Client()
out = []
for password in sys.argv[2:]:
    r = client.post("/accounts/login/", {"login": sys.argv[1], "password": password},
                    secure=True)
    out.append({"in": "_auth_user_id" in client.session,
                "locked": "Too many failed login attempts" in r.content.decode()})
print(json.dumps(out))
"""

RIGHT = "a-long-enough-passphrase-42"


def test_the_login_lockout_holds_in_every_worker_of_a_production_deployment(
    transactional_db, settings
):
    from django.conf import global_settings

    from tests.proposals.conftest import make_user

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # as production checks them
    target = make_user("target@example.org")
    other = make_user("other@example.org")
    # `migrate` makes production's shared cache table (nothing else needs to be run)
    _out, err, code = run(
        "import django; django.setup(); from django.core.management import call_command;"
        " call_command('migrate', verbosity=0)",
        production=True,
    )
    assert code == 0, err
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('wcs_cache') IS NOT NULL")
            assert cursor.fetchone()[0]
        # one worker sees five wrong passwords ...
        out, err, code = run(LOGIN, target.email, *["wrong"] * 5, production=True)
        assert code == 0, err
        assert not any(r["in"] for r in json.loads(out.splitlines()[-1]))
        # ... and another worker refuses the right one, while other accounts sign in
        out, err, code = run(LOGIN, target.email, RIGHT, production=True)
        assert code == 0, err
        assert json.loads(out.splitlines()[-1]) == [{"in": False, "locked": True}]
        out, err, code = run(LOGIN, other.email, RIGHT, production=True)
        assert code == 0, err
        assert json.loads(out.splitlines()[-1]) == [{"in": True, "locked": False}]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS wcs_cache")


def test_expired_rate_counts_are_erased_by_retention(db):
    """Counters name client addresses: they go once their window has ended."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    now = timezone.now()
    RateCount.objects.create(key="rl:support:a:192.0.2.1:0", ends_at=now - dt.timedelta(1), n=3)
    RateCount.objects.create(key="rl:support:a:192.0.2.2:0", ends_at=now + dt.timedelta(1), n=1)
    out = __import__("io").StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "1 rate-limit counters" in out.getvalue() and RateCount.objects.count() == 2
    call_command("apply_retention", stdout=out)
    assert list(RateCount.objects.values_list("key", flat=True)) == ["rl:support:a:192.0.2.2:0"]
