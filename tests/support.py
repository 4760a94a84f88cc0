"""Helpers for tests that start other processes against the test database (a task worker,
a second "worker" process, a production-settings command), and for injecting a fault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]


def database_url(name: str | None = None) -> str:
    """The test database (or another database `name` on its server) as a DATABASE_URL."""
    from django.db import connection

    s = connection.settings_dict
    user, password = quote(s["USER"]), quote(s["PASSWORD"])
    return f"postgis://{user}:{password}@{s['HOST']}:{s['PORT']}/{name or s['NAME']}"


def run_worker(**env: str) -> str:
    """django-tasks-db's real db_worker: runs every waiting task, then exits. Returns what it
    logged (stderr)."""
    done = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url(), **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def fail_once(monkeypatch, module, name: str, error: Exception) -> list:
    """`module.name` raises `error` on its first call (a fault of the server's: a database
    restarted under it, a full disk), then works as the real one. Returns the calls list,
    which grows by one a call."""
    real, calls = getattr(module, name), []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def run_again_meanwhile(monkeypatch, module, name: str, job, run) -> list:
    """Run 1 of `job` falls silent at its first call of `module.name` (the import it is
    about to store): an officer runs the job again (geodata.jobs.job_run_again), and run 2
    (`run(job_id=...)`, the task's function) goes to the end. Then run 1 goes on, as a
    worker that was slow rather than lost. Returns the calls list."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from geodata.jobs import job_run_again

    real, calls = getattr(module, name), []

    def meanwhile(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            silent = timezone.now() - dt.timedelta(seconds=settings.EXPORT_STUCK_SECONDS + 1)
            type(job).objects.filter(pk=job.pk).update(heartbeat_at=silent)
            assert job_run_again(type(job).objects.get(pk=job.pk), actor=None,
                                 enqueue=lambda: None)  # fmt: skip
            assert run(job_id=str(job.pk)).state == "done"
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, meanwhile)
    return calls
