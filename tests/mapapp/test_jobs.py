"""/healthz/jobs: monitoring learns when a scheduled job (the daily jobs, the nightly
backup) has stopped working, whether it was never enabled or fails every night."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

pytestmark = pytest.mark.django_db


def _health(client):
    response = client.get("/healthz/jobs")
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_a_job_that_never_ran_or_keeps_failing_is_reported(client, tmp_path, settings):
    settings.SCHEDULED_JOBS = {"apply_retention": 36, "notify_overdue_reports": 36,
                               "cluster_spatial": 36, "backup": 36}  # fmt: skip
    status, body = _health(client)  # a new deployment: nothing is due yet
    assert status == 200 and body["status"] == "ok" and body["overdue"] == []
    assert body["jobs"]["backup"] == {
        "last_success": None, "last_failure": None, "failed_last": False,
        "limit_hours": 36, "overdue": False,
    }  # fmt: skip

    # two days later, and no timer was ever enabled
    with connection.cursor() as cursor:
        cursor.execute("UPDATE django_migrations SET applied = applied - interval '2 days'")
    status, body = _health(client)
    assert status == 503 and body["status"] == "overdue"
    assert body["overdue"] == sorted(settings.SCHEDULED_JOBS)

    # the daily jobs run (a dry run or a partial one is not the job)
    call_command("apply_retention", dry_run=True, stdout=io.StringIO())
    call_command("cluster_spatial", only=["sites"], stdout=io.StringIO())
    assert _health(client)[1]["overdue"] == sorted(settings.SCHEDULED_JOBS)
    for name in ("apply_retention", "notify_overdue_reports", "cluster_spatial"):
        call_command(name, stdout=io.StringIO())
    status, body = _health(client)
    assert status == 503 and body["overdue"] == ["backup"]
    assert body["jobs"]["apply_retention"]["last_success"] is not None

    # the backup fails (its folder is gone): still overdue, and the failure is said
    with pytest.raises((CommandError, OSError)):
        call_command("backup", output=str(tmp_path / "gone" / "b.tar"), stdout=io.StringIO())
    status, body = _health(client)
    assert status == 503 and body["jobs"]["backup"]["failed_last"] is True
    assert "gone" not in str(body)  # the error's text is for the admin, not the public
    from mapapp.models import JobRun

    assert "gone" in JobRun.objects.get(name="backup").last_error

    # a deployment that backs up another way leaves it out
    settings.SCHEDULED_JOBS = {k: v for k, v in settings.SCHEDULED_JOBS.items() if k != "backup"}
    status, body = _health(client)
    assert status == 200 and body["status"] == "ok" and "backup" not in body["jobs"]
