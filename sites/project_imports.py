"""Officers import completed projects from before the platform through the web: a data file
(GeoPackage, GeoJSON, or a zip of a Shapefile or of the data file with its photos) and,
optionally, a zip of the photos the rows name. The task worker runs the importer
`manage.py import_interventions` runs (sites.importers.import_interventions); the job row
carries the progress, the counts and every refused row.

Uploads are checked before the job is queued (type, size, the zip's listing), so a wrong
file gets its form error at once; zips are unpacked by our own code, entry by entry, into a
fresh folder: no paths outside it, no links, at most PROJECT_IMPORT_MAX_FILES entries and
PROJECT_IMPORT_MAX_UNPACKED_BYTES in all, whatever their listing claims."""

from __future__ import annotations

import logging
import shutil
import stat
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mapapp.audit import audit_record
from mapapp.models import Role
from proposals.access import has_role
from sites.models import ProjectImport

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")
INNER_DATA_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")  # the data file inside a zip
PROGRESS_EVERY_S = 0.5  # the job row is written at most this often while a stage runs


def _magic(upload, size: int) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def _zip_entries(upload) -> list[zipfile.ZipInfo]:
    """The zip's files (not folders, nor the Mac's resource forks), checked by their listing:
    a readable zip, names inside it, no links, within the limits. Raises ValidationError."""
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ValidationError(_("This is not a zip file that can be read.")) from None
    finally:
        upload.seek(0)
    files = []
    for entry in entries:
        name = PurePosixPath(entry.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts:
            raise ValidationError(
                _("The zip file names a file outside itself: %(name)s"),
                params={"name": entry.filename[:200]},
            )
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise ValidationError(
                _("The zip file holds a link, which is not imported: %(name)s"),
                params={"name": entry.filename[:200]},
            )
        if entry.is_dir() or name.parts[0] == "__MACOSX" or name.name.startswith("._"):
            continue
        files.append(entry)
    if len(files) > settings.PROJECT_IMPORT_MAX_FILES:
        raise ValidationError(
            _("The zip file holds %(n)s files; at most %(max)s are imported at once."),
            params={"n": len(files), "max": settings.PROJECT_IMPORT_MAX_FILES},
        )
    if sum(e.file_size for e in files) > settings.PROJECT_IMPORT_MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("Unpacked, the zip file would take more than %(mb)s MB."),
            params={"mb": settings.PROJECT_IMPORT_MAX_UNPACKED_BYTES // 2**20},
        )
    return files


def _data_file_in(entries: list[zipfile.ZipInfo]) -> str:
    found = [e.filename for e in entries if Path(e.filename).suffix.lower() in INNER_DATA_SUFFIXES]
    if len(found) != 1:
        raise ValidationError(
            _(
                "The zip file must hold exactly one data file (.gpkg, .geojson or .shp with "
                "its .dbf, .shx and .prj); it holds %(n)s."
            ),
            params={"n": len(found)},
        )
    return found[0]


def check_data_upload(upload) -> None:
    """A data file the importer can read: its type by name and by content, its size, and for
    a zip, its listing with exactly one data file. Raises ValidationError."""
    suffix = Path(upload.name).suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise ValidationError(
            _("A GeoPackage (.gpkg), GeoJSON (.geojson) or zip file is expected, not %(name)s."),
            params={"name": Path(upload.name).name[:200]},
        )
    if upload.size > settings.PROJECT_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB."),
            params={"mb": settings.PROJECT_IMPORT_MAX_BYTES // 2**20},
        )
    if suffix == ".gpkg" and _magic(upload, 16) != b"SQLite format 3\x00":
        raise ValidationError(_("This file is not a GeoPackage."))
    if suffix in (".geojson", ".json") and not _magic(upload, 1024).lstrip(
        b"\xef\xbb\xbf \t\r\n"
    ).startswith(b"{"):
        raise ValidationError(_("This file is not GeoJSON."))
    if suffix == ".zip":
        _data_file_in(_zip_entries(upload))


def check_photos_upload(upload) -> None:
    if Path(upload.name).suffix.lower() != ".zip":
        raise ValidationError(_("The photos must come as one zip file."))
    if upload.size > settings.PROJECT_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB."),
            params={"mb": settings.PROJECT_IMPORT_MAX_BYTES // 2**20},
        )
    _zip_entries(upload)


def unpack(path: Path, folder: Path) -> list[Path]:
    """Unpack the zip at `path` into `folder` (a fresh one), by our own code: each file
    written under its own name inside the folder, never a link, and the limits counted in
    bytes actually unpacked, not as the listing claims. Returns the files written."""
    budget = settings.PROJECT_IMPORT_MAX_UNPACKED_BYTES
    root = folder.resolve()
    written = []
    with path.open("rb") as handle:
        entries = _zip_entries(handle)
        with zipfile.ZipFile(handle) as archive:
            for entry in entries:
                target = (root / entry.filename.replace("\\", "/")).resolve()
                if not target.is_relative_to(root):  # _zip_entries refused these; twice sure
                    raise ValidationError(_("The zip file names a file outside itself."))
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(entry) as source, target.open("xb") as out:
                    for block in iter(lambda s=source: s.read(1 << 20), b""):
                        budget -= len(block)
                        if budget < 0:
                            raise ValidationError(
                                _("Unpacked, the zip file would take more than %(mb)s MB."),
                                params={"mb": settings.PROJECT_IMPORT_MAX_UNPACKED_BYTES // 2**20},
                            )
                        out.write(block)
                written.append(target)
    return written


def can_import(user, city) -> bool:
    return has_role(user, city, Role.PROGRAMME_OFFICER)


def project_import_create(*, actor, city, data, photos=None, options: dict) -> ProjectImport:
    """Keep the uploads in private storage and queue the import; the files are checked
    first (check_data_upload, check_photos_upload). `options`: id_field, srid,
    sustainability_months, skip_invalid, columns ({our name: the file's column}), language."""
    from sites.tasks import run_project_import

    if not can_import(actor, city):
        raise PermissionDenied(_("Only the city's programme officers can import projects."))
    check_data_upload(data)
    if photos is not None:
        check_photos_upload(photos)
    with transaction.atomic():
        job = ProjectImport(city=city, filename=Path(data.name).name[:200],
                            photos_filename=Path(photos.name).name[:200] if photos else "",
                            options=options, requested_by=actor)  # fmt: skip
        job.data.save(job.filename, data, save=False)
        if photos is not None:
            job.photos.save(job.photos_filename, photos, save=False)
        job.save()
        audit_record(actor=actor, action="intervention.import.queued", obj=job, city=city,
                     after={"file": job.filename, "photos": job.photos_filename,
                            "options": options})  # fmt: skip
        transaction.on_commit(lambda: run_project_import.enqueue(str(job.pk)))
    return job


def _copy(field, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with field.open("rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def _reporter(job: ProjectImport, attempt: int):
    last = {"stage": None, "at": 0.0}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == last["stage"] and done < total and now - last["at"] < PROGRESS_EVERY_S:
            return
        last.update(stage=stage, at=now)
        ProjectImport.held(job.pk, attempt).update(
            stage=stage, done=done, total=total, heartbeat_at=timezone.now()
        )

    return progress


def project_import_run(*, job_id: str) -> ProjectImport:
    """Run a queued import (the task worker calls it): unpack, import, record the outcome,
    delete the uploads (kept when it failed for the server's reasons, to run again: see
    geodata.jobs.job_run_again). Only a queued job is taken, by one worker. A run that finds
    the job run again meanwhile (it had fallen silent) rolls its rows back and records
    nothing: the later run's outcome is the job's."""
    from geodata.jobs import JobSuperseded, failed_unexpectedly, job_record, server_fault
    from sites.importers import INTERVENTION_FIELDS, ImportRefused, import_interventions

    job = ProjectImport.objects.select_related("city", "requested_by").get(pk=job_id)
    attempt = ProjectImport.take(job.pk)
    if not attempt:  # finished, or another worker runs it: left as it is
        return job
    folder = Path(tempfile.mkdtemp(prefix="project-import-"))
    outcome = None  # a failure's fields; success is recorded with the rows
    options = job.options

    def record(result) -> None:  # in the rows' transaction
        counts = {
            "read": result.read, "created": result.created, "updated": result.updated,
            "pairs_added": result.pairs_added, "pairs_kept": result.pairs_kept,
            "pairs_removed": result.pairs_removed,
        }  # fmt: skip
        done = {"state": ProjectImport.State.DONE, "counts": counts,
                    "refused": [list(r) for r in result.refused]}  # fmt: skip
        if not job_record(job, attempt, remove_uploads=True, **done):
            raise JobSuperseded

    try:
        data = _copy(job.data, folder / "upload" / job.filename)
        photos_dir = None
        if data.suffix.lower() == ".zip":
            unpack(data, folder / "data")
            with data.open("rb") as handle:
                inner = _data_file_in(_zip_entries(handle))
            data = folder / "data" / inner.replace("\\", "/")
        if job.photos:
            photos_dir = folder / "photos"
            unpack(_copy(job.photos, folder / "upload" / job.photos_filename), photos_dir)
        import_interventions(
            city=job.city, path=data,
            fields={key: options.get("columns", {}).get(key) or key for key in INTERVENTION_FIELDS},
            id_field=options.get("id_field") or None, srid=options.get("srid") or None,
            sustainability_months=options.get("sustainability_months", 24),
            skip_invalid=bool(options.get("skip_invalid")), photos_dir=photos_dir,
            actor=job.requested_by, progress=_reporter(job, attempt), before_commit=record,
        )  # fmt: skip
    except JobSuperseded:
        log.warning("project import %s was run again while run %s was silent", job.pk, attempt)
    except ImportRefused as refused:
        outcome = {
            "refused": [list(r) for r in refused.refused],
            "error": _("Nothing was imported: rows of the file cannot be read."),
        }
    except ValidationError as error:  # a zip that cannot be unpacked
        outcome = {"error": " ".join(error.messages)}
    except ValueError as error:  # the importer's own reasons (columns, coordinate system)
        outcome = {"error": str(error)[:5000]}
    except (OSError, RuntimeError) as error:  # GDAL cannot read it (pyogrio's errors)
        if server_fault(error):  # a full disk, say: the uploads stay, to run it again
            log.exception("project import %s failed", job.pk)
            outcome = {"error": failed_unexpectedly(), "remove_uploads": False}
        else:
            # named as the officer knows it, not by the server's folder it was unpacked in
            why = str(error).replace(f"{folder}/data/", "").replace(f"{folder}/upload/", "")
            why = why.replace(str(folder), "")
            said = _("%(file)s cannot be read: %(why)s") % {"file": job.filename, "why": why}
            outcome = {"error": said[:5000]}
    except Exception:
        log.exception("project import %s failed", job.pk)
        outcome = {"error": failed_unexpectedly(), "remove_uploads": False}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if outcome is not None:
        # the file's fault: its uploads go (the projects, or the refusal, are what is kept)
        outcome = {"state": ProjectImport.State.FAILED, "remove_uploads": True} | outcome
        if not job_record(job, attempt, **outcome):
            log.warning("project import %s was run again while run %s was silent", job.pk,
                        attempt)  # fmt: skip
    job.refresh_from_db()
    return job


def project_import_run_again(*, job: ProjectImport, actor) -> bool:
    """Queue an officer's import again from its kept uploads (geodata.jobs.job_run_again)."""
    from geodata.jobs import job_run_again
    from sites.tasks import run_project_import

    pk = str(job.pk)
    return job_run_again(job, actor=actor, enqueue=lambda: run_project_import.enqueue(pk),
                         reset={"stage": "", "counts": {}, "refused": []})  # fmt: skip


def project_import_files_expire(*, now=None, dry_run: bool = False) -> int:
    """Officers' uploads whose import never finished, removed a day later; those kept to run
    again, IMPORT_RERUN_KEEP_DAYS after the import failed."""
    from geodata.jobs import unfinished_uploads_expire

    return unfinished_uploads_expire(
        ProjectImport, now=now, dry_run=dry_run,
        error=_("The import never finished, and its files were removed: import again."),
    )  # fmt: skip
