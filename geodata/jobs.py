"""What every background job (geodata.models.BackgroundJob: exports, layer imports,
officers' imports of projects) needs beyond its own run: telling one whose worker was lost,
and removing the uploads of imports that never finished."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from geodata.models import JobState


def job_stuck(job, *, now: dt.datetime | None = None) -> bool:
    """A background job its worker lost: running without a report for
    EXPORT_STUCK_SECONDS (the worker died with it), or queued that long while no worker
    started or finished any task (none is running). A job queued behind other long tasks of
    a working worker is not stuck. (If a worker takes a stuck job up later, it still
    finishes.)"""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.EXPORT_STUCK_SECONDS)
    if job.state == JobState.RUNNING:
        return (job.heartbeat_at or job.created_at) < cutoff
    if job.state != JobState.QUEUED or job.created_at >= cutoff:
        return False
    working = DBTaskResult.objects.filter(Q(started_at__gte=cutoff) | Q(finished_at__gte=cutoff))
    return not working.exists()


def unfinished_uploads_expire(
    model, *, files: tuple[str, ...], error: str, now=None, dry_run: bool = False
) -> int:
    """Uploads of a `model`'s imports that never finished (their worker died, or none ran) a
    day after they were uploaded: the `files` removed, the job marked failed with `error`,
    so that no upload stays in private storage for ever (`manage.py apply_retention`).
    Returns the count."""
    now = now or timezone.now()
    stale = model.objects.filter(
        created_at__lt=now - dt.timedelta(days=1), state__in=(JobState.QUEUED, JobState.RUNNING)
    )
    if dry_run:
        return stale.count()
    count = 0
    for job in stale:
        for name in files:
            getattr(job, name).delete(save=False)
        job.state, job.finished_at, job.error = JobState.FAILED, now, str(error)
        job.save(update_fields=[*files, "state", "error", "finished_at"])
        count += 1
    return count
