"""What every background job (geodata.models.BackgroundJob: exports, layer imports,
officers' imports of projects) needs beyond its own run: telling one whose worker was lost,
running an import again from the uploads it kept, and removing the uploads of imports that
never finished."""

from __future__ import annotations

import datetime as dt
import errno

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from geodata.models import JobState
from mapapp.files import delete_after_commit


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
    # a job queued again (job_run_again) counts from then
    if job.state != JobState.QUEUED or (job.heartbeat_at or job.created_at) >= cutoff:
        return False
    working = DBTaskResult.objects.filter(Q(started_at__gte=cutoff) | Q(finished_at__gte=cutoff))
    return not working.exists()


class JobSuperseded(Exception):
    """A run found its job run again meanwhile (job_run_again after it fell silent): a later
    run holds the job, so this one's work is rolled back and its outcome not recorded."""


def job_record(job, attempt: int, *, remove_uploads: bool, **fields) -> bool:
    """Record run `attempt`'s outcome of `job` (state, error, results, finished_at now),
    only while that run still holds it (BackgroundJob.held): False, and nothing written, when
    the job was run again meanwhile. Inside the caller's transaction, called just before
    the work it records commits, outcome and work commit together or not at all: a worker
    lost in between cannot leave done work on a job that looks lost (and would be run
    again). `remove_uploads` clears the model's UPLOADS and deletes their files once it
    commits: a failed job without them cannot be run again."""
    model = type(job)
    fields["finished_at"] = timezone.now()
    gone = []
    with transaction.atomic():
        held = model.held(job.pk, attempt).select_for_update()
        if not held.exists():
            return False
        if remove_uploads:
            for name in model.UPLOADS:
                upload = getattr(job, name)
                gone.append(upload)
                fields[name] = ""
        held.update(**fields)
        delete_after_commit(*gone)
    for name, value in fields.items():
        setattr(job, name, value)
    return True


# errors that say the server failed (its disk, memory, open files, limits, permissions), not
# the file it was reading
_SERVER_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.ENOMEM,
                            errno.EMFILE, errno.ENFILE, errno.EFBIG, errno.EACCES,
                            errno.EPERM})  # fmt: skip


def server_fault(error: BaseException) -> bool:
    """Whether an import failed for a reason of the server's (a full disk, no memory, too
    many open files, a file size limit, permissions) rather than of its file: its uploads
    are then kept to run it again (failed_unexpectedly), not removed as a bad file's are."""
    if isinstance(error, MemoryError):
        return True
    return isinstance(error, OSError) and error.errno in _SERVER_ERRNOS


def failed_unexpectedly() -> str:
    """An import's error when it failed for a reason of the server's, not of its file: its
    uploads are kept (IMPORT_RERUN_KEEP_DAYS) so that it can run again."""
    return _(
        "The import failed unexpectedly; the server's log has the details. Its files are "
        "kept for %(days)s days, so it can be run again without uploading them."
    ) % {"days": settings.IMPORT_RERUN_KEEP_DAYS}


def job_can_run_again(job, *, now: dt.datetime | None = None) -> bool:
    """An import whose uploads (the model's UPLOADS, the first required) are still in
    storage and which failed unexpectedly (a refused file's uploads are deleted at once, so a failed
    job with its uploads failed for the server's reasons) or lost its worker."""
    upload = getattr(job, job.UPLOADS[0])
    if not upload or not upload.storage.exists(upload.name):
        return False
    return job.state == JobState.FAILED or job_stuck(job, now=now)


def job_run_again(job, *, actor, enqueue, reset: dict | None = None) -> bool:
    """Queue an import again from the uploads it kept, when job_can_run_again: progress,
    error and `reset` (the model's own results) cleared, audited, `enqueue()` called once
    the transaction commits. Only if the job is still as it was read (a worker that comes
    back, or a second click, wins): False otherwise."""
    from mapapp.audit import audit_record

    now = timezone.now()
    if not job_can_run_again(job, now=now):
        return False
    unchanged = type(job).objects.filter(pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at)
    with transaction.atomic():
        fields = dict(state=JobState.QUEUED, done=0, total=0, error="", heartbeat_at=now,
                      finished_at=None, **(reset or {}))  # fmt: skip
        if not unchanged.update(**fields):
            return False
        audit_record(actor=actor, action="import.run_again", obj=job, city=job.city,
                     before={"state": job.state, "error": job.error})  # fmt: skip
        transaction.on_commit(enqueue)
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def unfinished_uploads_expire(model, *, error: str, now=None, dry_run: bool = False) -> int:
    """Uploads (the `model`'s UPLOADS) of imports that never finished, a day after they
    were uploaded or queued again, with no word from a worker since (it died, or none ran):
    removed, the job marked failed with `error`. Uploads kept to run a job again
    (failed_unexpectedly) are removed IMPORT_RERUN_KEEP_DAYS after it failed. So no upload
    stays in private storage for ever (`manage.py apply_retention`). Returns the count."""
    now = now or timezone.now()
    silent = Coalesce("heartbeat_at", "created_at")
    stale = model.objects.annotate(silent_since=silent).filter(
        silent_since__lt=now - dt.timedelta(days=1),
        state__in=(JobState.QUEUED, JobState.RUNNING),
    )
    kept = (
        model.objects.filter(
            state=JobState.FAILED,
            finished_at__lt=now - dt.timedelta(days=settings.IMPORT_RERUN_KEEP_DAYS),
        )
        .exclude(**{model.UPLOADS[0]: ""})
        .exclude(**{f"{model.UPLOADS[0]}__isnull": True})
    )
    if dry_run:
        return stale.count() + kept.count()
    count = 0
    for job in stale:
        _remove_uploads(job)
        job.state, job.finished_at, job.error = JobState.FAILED, now, str(error)
        job.save(update_fields=[*model.UPLOADS, "state", "error", "finished_at"])
        count += 1
    for job in kept:
        _remove_uploads(job)
        job.error = _(
            "The import failed unexpectedly, and its files were removed after %(days)s days: "
            "upload them again."
        ) % {"days": settings.IMPORT_RERUN_KEEP_DAYS}
        job.save(update_fields=[*model.UPLOADS, "error"])
        count += 1
    return count


def _remove_uploads(job) -> None:
    for name in job.UPLOADS:
        getattr(job, name).delete(save=False)
