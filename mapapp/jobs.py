"""The scheduled jobs (the daily jobs and the nightly backup) record when they last worked,
so that monitoring notices one that silently stopped: a backup timer that was never enabled,
a retention job failing every night while personal data outlives its time.
`/healthz/jobs` reports them (mapapp.views.healthz_jobs)."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


@contextlib.contextmanager
def recorded(name: str):
    """Run a scheduled job's body and record its success, or its failure (and re-raise)."""
    from mapapp.models import JobRun

    try:
        yield
    except BaseException as error:
        with contextlib.suppress(DatabaseError):  # the database may be why it failed
            JobRun.objects.update_or_create(
                name=name,
                defaults={
                    "last_failure_at": timezone.now(),
                    "last_error": f"{type(error).__name__}: {error}"[:2000],
                },
            )
        raise
    JobRun.objects.update_or_create(name=name, defaults={"last_success_at": timezone.now()})


class ScheduledCommand:
    """A management command that is a scheduled job: its `run()` is recorded under the
    command's name, unless `partial(options)` says this run is not the whole job (a dry run,
    some tables only). Mixed in before BaseCommand."""

    def partial(self, options) -> bool:
        return False

    def handle(self, *args, **options):
        if self.partial(options):
            return self.run(*args, **options)
        with recorded(self.__module__.rsplit(".", 1)[1]):  # /healthz/jobs reports it
            return self.run(*args, **options)


def _installed_at() -> dt.datetime | None:
    """When the deployment's database was made (its first migration)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(applied) FROM django_migrations")
        return cursor.fetchone()[0]


def job_health(now: dt.datetime | None = None) -> dict:
    """Per scheduled job (settings.SCHEDULED_JOBS: name -> hours it may go without
    succeeding): when it last succeeded and failed, and whether it is overdue. A job that
    never ran is overdue once the deployment is older than its hours."""
    from mapapp.models import JobRun

    now = now or timezone.now()
    runs = {r.name: r for r in JobRun.objects.filter(name__in=settings.SCHEDULED_JOBS)}
    since_install = _installed_at()
    jobs = {}
    for name, hours in settings.SCHEDULED_JOBS.items():
        run = runs.get(name)
        success = run.last_success_at if run else None
        failure = run.last_failure_at if run else None
        reference = success or since_install or now
        overdue = now - reference > dt.timedelta(hours=hours)
        jobs[name] = {
            "last_success": success.isoformat() if success else None,
            "last_failure": failure.isoformat() if failure else None,
            "failed_last": bool(failure and (not success or failure > success)),
            "limit_hours": hours,
            "overdue": overdue,
        }
    return jobs
