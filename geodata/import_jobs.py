"""Large layer imports in the background: the upload is kept in private storage, the task
worker runs the same importer as `manage.py import_layer`, and the job records progress, the
summary (read, imported, repaired, refused) or the importer's refusal."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geodata.importers import LayerImportError, import_layer
from geodata.models import ImportJob
from mapapp.audit import audit_record

log = logging.getLogger(__name__)


def import_job_create(*, city, kind, name, upload, options: dict, user) -> ImportJob:
    from geodata.tasks import run_import

    with transaction.atomic():
        job = ImportJob(city=city, kind=kind, name=name or "", filename=Path(upload.name).name,
                        options=options, requested_by=user)  # fmt: skip
        job.file.save(Path(upload.name).name, upload, save=False)
        job.save()
        audit_record(actor=user, action="import.queued", obj=job, city=city,
                     after={"file": job.filename, "kind": kind})  # fmt: skip
        transaction.on_commit(lambda: run_import.enqueue(str(job.pk)))
    return job


def import_run(*, job_id: str) -> ImportJob:
    """Run a queued layer import (the task worker calls it). Only a queued job is taken, by
    one worker. Its upload is deleted once read, unless the import failed for the server's
    reasons: then it is kept to run again (geodata.jobs.job_run_again). A run that finds the
    job run again meanwhile (it had fallen silent) rolls its layer back and records nothing:
    the later run's layer is the one version."""
    from geodata.jobs import JobSuperseded, failed_unexpectedly, job_record

    job = ImportJob.objects.select_related("city").get(pk=job_id)
    attempt = ImportJob.take(job.pk)
    if not attempt:  # finished, or another worker runs it: left as it is
        return job
    held = ImportJob.held(job.pk, attempt)
    folder = Path(tempfile.mkdtemp(prefix="import-"))
    outcome = None  # a failure's fields; success is recorded with the layer
    try:
        target = folder / job.filename
        with job.file.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)

        def progress(done: int, total: int) -> None:
            held.update(done=done, total=total, heartbeat_at=timezone.now())

        def record(report) -> None:  # in the layer's transaction
            done = {"state": ImportJob.State.DONE, "summary": report.summary(),
                    "layer": report.layer}  # fmt: skip
            if not job_record(job, attempt, remove_uploads=True, **done):
                raise JobSuperseded

        o = job.options
        import_layer(
            city=job.city, kind=job.kind, path=target, name=job.name or None,
            source_srid=o.get("srid"), make_valid=bool(o.get("make_valid")),
            source=o.get("source", ""), licence=o.get("licence", ""), progress=progress,
            before_commit=record, name_format=o.get("name_format") or None,
            is_public=o.get("public", True),
        )  # fmt: skip
    except JobSuperseded:
        log.warning("layer import %s was run again while run %s was silent", job.pk, attempt)
    except LayerImportError as exc:  # the file's fault: the layer (or refusal) is what is kept
        outcome = {"state": ImportJob.State.FAILED, "error": str(exc)[:5000],
                   "remove_uploads": True}  # fmt: skip
    except Exception:  # recorded for whoever waits for it; the details go to the log
        log.exception("layer import %s failed", job.pk)
        outcome = {"state": ImportJob.State.FAILED, "error": failed_unexpectedly(),
                   "remove_uploads": False}  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if outcome and not job_record(job, attempt, **outcome):
        log.warning("layer import %s was run again while run %s was silent", job.pk, attempt)
    job.refresh_from_db()
    return job


def import_run_again(*, job: ImportJob, actor) -> bool:
    """Queue a layer import again from its kept upload (see geodata.jobs.job_run_again)."""
    from geodata.jobs import job_run_again
    from geodata.tasks import run_import

    pk = str(job.pk)
    return job_run_again(job, actor=actor, enqueue=lambda: run_import.enqueue(pk),
                         reset={"summary": "", "layer": None})  # fmt: skip


def import_files_expire(*, now=None, dry_run: bool = False) -> int:
    """Large layer uploads whose import never finished, removed a day later; those kept to
    run again, IMPORT_RERUN_KEEP_DAYS after the import failed."""
    from geodata.jobs import unfinished_uploads_expire

    return unfinished_uploads_expire(
        ImportJob, now=now, dry_run=dry_run,
        error=_("The import never finished, and its file was removed: upload it again."),
    )  # fmt: skip
