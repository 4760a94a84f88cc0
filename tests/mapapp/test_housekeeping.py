"""The daily apply_retention also removes what only piles up and names people: expired
sessions and the task queue's old finished records (an e-mail's record holds its
recipients and text)."""

import datetime as dt
import io

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone


def test_expired_sessions_and_old_finished_task_records_go(db, settings):
    from django_tasks_db.models import DBTaskResult

    from mapapp.tasks import send_email

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    ids = {
        name: send_email.enqueue("Subject", "Text", ["ala@example.org"]).id
        for name in ("old_done", "old_failed", "recent_done", "waiting", "running")
    }
    finished = {"old_done": 20, "old_failed": 20, "recent_done": 2}
    for name, days in finished.items():
        DBTaskResult.objects.filter(pk=ids[name]).update(
            status="SUCCESSFUL" if "done" in name else "FAILED",
            finished_at=now - dt.timedelta(days=days),
        )
    DBTaskResult.objects.filter(pk=ids["waiting"]).update(enqueued_at=now - dt.timedelta(days=30))
    DBTaskResult.objects.filter(pk=ids["running"]).update(
        status="RUNNING", started_at=now - dt.timedelta(days=30)
    )
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=now - dt.timedelta(1))
    Session.objects.create(session_key="y" * 32, session_data="", expire_date=now + dt.timedelta(1))

    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "1 expired sessions, 2 finished task records" in out.getvalue()
    assert DBTaskResult.objects.count() == 5 and Session.objects.count() == 2

    call_command("apply_retention", stdout=out)
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert kept == {str(ids[n]) for n in ("recent_done", "waiting", "running")}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]

    settings.TASK_RESULTS_KEEP_DAYS = 1
    call_command("apply_retention", stdout=out)
    assert DBTaskResult.objects.count() == 2  # only what waits or runs stays
