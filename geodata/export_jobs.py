"""Export jobs: created by a request, run by the task worker, read on a job page.

A job keeps the filters it was asked with, so it can be run again after a failure (set
back to queued: only a queued job is taken, by one worker), and reports progress as rows
written out of the total."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from geodata.collections import collection_get
from geodata.exports import (
    ALL,
    ExportRequest,
    filename,
    parse_export,
    parse_export_all,
    write_all,
    write_file,
)
from geodata.models import ExportJob
from mapapp.audit import audit_record


def export_job_create(*, req: ExportRequest, user) -> ExportJob:
    from geodata.tasks import run_export

    with transaction.atomic():
        job = ExportJob.objects.create(
            city=req.city,
            collection=req.collection.id,
            format=req.fmt,
            srid=req.srid,
            query=req.query,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            filename=req.filename,
        )
        audit_record(
            actor=job.requested_by,
            action="export.queued",
            obj=job,
            city=req.city,
            after={"collection": job.collection, "format": job.format, "srid": job.srid},
        )
        transaction.on_commit(lambda: run_export.enqueue(str(job.pk)))
    return job


def export_all_job_create(*, reqs: list[ExportRequest], query: dict, user) -> ExportJob:
    """The whole city as one GeoPackage (exports.write_all), always in the background."""
    from geodata.tasks import run_export

    city = reqs[0].city
    with transaction.atomic():
        job = ExportJob.objects.create(
            city=city, collection=ALL, format="gpkg", srid=reqs[0].srid, query=query,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            filename=filename(city, ALL, "gpkg"),
        )  # fmt: skip
        audit_record(actor=job.requested_by, action="export.queued", obj=job, city=city,
                     after={"collection": ALL, "format": "gpkg", "srid": job.srid})  # fmt: skip
        transaction.on_commit(lambda: run_export.enqueue(str(job.pk)))
    return job


def _params_of(job: ExportJob) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, value in job.query.items():
        params[key] = value
    params["format"] = job.format
    params["crs"] = f"EPSG:{job.srid}"
    return params


def _request_of(job: ExportJob) -> ExportRequest:
    collection = collection_get(city=job.city, collection_id=job.collection, user=job.requested_by)
    if collection is None:
        raise ValueError(f"the collection {job.collection} is no longer available")
    return parse_export(_params_of(job), city=job.city, collection=collection)


def export_run(*, job_id: str) -> ExportJob:
    job = ExportJob.objects.select_related("city", "requested_by").get(pk=job_id)
    if not ExportJob.take(job.pk):  # finished, or another worker runs it: left as it is
        return job
    folder = Path(tempfile.mkdtemp(prefix="export-"))
    try:
        if job.collection == ALL:  # every collection the requester may read, as layers
            reqs = parse_export_all(_params_of(job), city=job.city, user=job.requested_by)
        else:
            reqs = [_request_of(job)]
        counts = [req.qs.order_by().count() for req in reqs]
        total = sum(counts)
        ExportJob.objects.filter(pk=job.pk).update(total=total, done=0, heartbeat_at=timezone.now())

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now())

        if job.collection == ALL:
            path = write_all(reqs, folder, progress=progress, counts=counts)
        else:
            path = write_file(reqs[0], folder, progress=progress)
        with path.open("rb") as fh:
            job.refresh_from_db()
            job.file.save(job.filename, File(fh), save=False)
        job.state = ExportJob.State.DONE
        job.done = total
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "state", "done", "finished_at"])
    except Exception as e:  # recorded on the job for the person waiting, then re-raised
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, error=str(e)[:2000], finished_at=timezone.now()
        )
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return job


def job_visible_to(*, job: ExportJob, user) -> bool:
    """Anyone with the link may follow a job of public data; a job over a non-public layer
    only its requester (whose role allowed it) can."""
    if job.collection == ALL:  # public unless its requester's role added hidden layers
        from geodata.collections import city_collections

        public = city_collections(city=job.city).keys()
        if city_collections(city=job.city, user=job.requested_by).keys() == public:
            return True
    elif collection_get(city=job.city, collection_id=job.collection) is not None:
        return True
    return getattr(user, "is_authenticated", False) and job.requested_by_id == user.pk


def export_available_until(job: ExportJob) -> dt.datetime | None:
    """When a finished job's file will be removed (None while it runs, or once removed)."""
    if job.state != ExportJob.State.DONE or not job.file or job.finished_at is None:
        return None
    return job.finished_at + dt.timedelta(days=settings.EXPORT_KEEP_DAYS)


def export_files_expire(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Removes the files of jobs finished more than EXPORT_KEEP_DAYS ago, so that exports do
    not fill the disk over the years; the jobs stay, saying their file is gone. Returns how
    many files were (or, with dry_run, would be) removed."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.EXPORT_KEEP_DAYS)
    due = ExportJob.objects.filter(state=ExportJob.State.DONE, finished_at__lt=cutoff).exclude(
        file=""
    )
    removed = 0
    for job in due.iterator():
        removed += 1
        if dry_run:
            continue
        name = job.file.name
        # the row first: a job whose file is gone but whose row still names it would answer
        # "missing" instead of "expired"; a file left behind by a failure here is harmless
        ExportJob.objects.filter(pk=job.pk, file=name).update(file="")
        job.file.storage.delete(name)
    return removed
