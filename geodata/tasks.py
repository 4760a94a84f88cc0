"""Background work through Django's tasks API (the django-tasks backport; the database
backend runs it in `manage.py db_worker`)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from geodata import export_jobs


@task()
def run_export(job_id: str) -> str:
    """Write an export job's file; the job row carries progress and the result. Runs in
    the job's city's time zone, so its filters read dates (a year, a day) as the page that
    asked for it did."""
    from geodata.models import ExportJob

    jobs = ExportJob.objects.filter(pk=job_id)
    with timezone.override(jobs.values_list("city__time_zone", flat=True).first() or "UTC"):
        job = export_jobs.export_run(job_id=job_id)
    return job.state


@task()
def run_import(job_id: str) -> str:
    """Import a layer file uploaded in the admin; the job row carries progress and result."""
    from geodata.import_jobs import import_run

    return import_run(job_id=job_id).state


@task()
def rebuild_tile_grid(city_id: int, collection_id: str) -> int:
    """Rebuild the low-zoom grid of a city's point collection (see geodata.tilegrid)."""
    from geodata.collections import collection_get
    from geodata.tilegrid import rebuild
    from mapapp.models import City

    city = City.objects.get(pk=city_id)
    return rebuild(collection_get(city=city, collection_id=collection_id), city)


@task()
def refresh_analysis(result_id: int) -> str:
    """Compute a stored analysis again (see geodata.analysis_results)."""
    from geodata.analysis_results import analysis_compute
    from geodata.models import AnalysisResult

    # not the last result's data: 107 MB to read and decode at 1,000,000 places, unused here
    rows = AnalysisResult.objects.select_related("city").defer("data")
    row = rows.filter(pk=result_id).first()
    if row is None:  # pruned meanwhile (ANALYSIS_KEEP): nobody is waiting for it
        return "gone"
    with timezone.override(row.city.time_zone):  # its dates as the dashboard reads them
        return analysis_compute(row).state
