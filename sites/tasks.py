"""Background work of the sites app, through Django's tasks API (see geodata.tasks)."""

from __future__ import annotations

from django.utils import timezone, translation
from django_tasks import task


@task()
def run_project_import(job_id: str) -> str:
    """Import the completed projects an officer uploaded (sites.project_imports), in the
    city's time zone (the importer reads dates as the city's) and in the language of the
    page the officer uploaded from (the refused rows' reasons are stored in it)."""
    from sites.models import ProjectImport
    from sites.project_imports import project_import_run

    zone, options = (
        ProjectImport.objects.filter(pk=job_id).values_list("city__time_zone", "options").get()
    )
    with timezone.override(zone), translation.override(options.get("language") or None):
        return project_import_run(job_id=job_id).state
