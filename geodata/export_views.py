"""Export views: the download itself (streamed, written at once, or queued), the job page
with progress, the job's file, and a page that builds export links for people."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geodata import exchange, export_jobs, exports
from geodata.collections import city_collections, collection_get
from geodata.jobs import job_stuck
from geodata.models import ExportJob
from mapapp import selectors as city_selectors
from mapapp.authentication import token_user
from mapapp.errors import NotFound
from mapapp.files import file_response
from mapapp.ratelimit import rate_limit


def _disposition(name: str) -> str:
    return f'attachment; filename="{name}"'


class _RemovingFile:
    """A file object that removes its folder once the response has sent and closed it."""

    def __init__(self, path: Path, folder: Path):
        self._fh = path.open("rb")
        self._folder = folder

    def read(self, *args):
        return self._fh.read(*args)

    def close(self):
        self._fh.close()
        shutil.rmtree(self._folder, ignore_errors=True)


@token_user  # scripts export what their holder's role may read
@require_GET
@rate_limit("export", methods=("GET",))
def export(request, city, collection_id):
    """GET /api/v1/<city>/export/<collection>/?format=geojson|gpkg|shp|csv&crs=EPSG:n&...
    with the filters of OGC API Features (bbox, bbox-crs, datetime, the collection's own);
    /export/all/?format=gpkg&crs=...: every collection as a layer of one GeoPackage."""
    city_obj = city_selectors.city_get(slug=city)
    if collection_id == exports.ALL:  # the whole city, one GeoPackage, in the background
        try:
            reqs = exports.parse_export_all(request.GET, city=city_obj, user=request.user)
        except exchange.BadQuery as e:
            return JsonResponse({"detail": str(e)}, status=400)
        query = {k: v for k, v in request.GET.items() if k in ("bbox", "bbox-crs")}
        job = export_jobs.export_all_job_create(reqs=reqs, query=query, user=request.user)
        return redirect("geodata:export-job", city=city_obj.slug, pk=job.pk)
    c = collection_get(city=city_obj, collection_id=collection_id, user=request.user)
    if c is None:
        raise NotFound(_("No such collection."))
    try:
        req = exports.parse_export(request.GET, city=city_obj, collection=c)
    except exchange.BadQuery as e:
        return JsonResponse({"detail": str(e)}, status=400)
    content_type = exports.FORMATS[req.fmt][0]
    if req.fmt in exports.STREAMED and request.GET.get("background") != "1":
        stream = exports.stream_geojson(req) if req.fmt == "geojson" else exports.stream_csv(req)
        response = StreamingHttpResponse(stream, content_type=content_type)
        response["Content-Disposition"] = _disposition(req.filename)
        return response
    if request.GET.get("background") == "1" or (
        req.qs.order_by().count() > settings.EXPORT_SYNC_MAX
    ):
        job = export_jobs.export_job_create(req=req, user=request.user)
        return redirect("geodata:export-job", city=city_obj.slug, pk=job.pk)
    folder = Path(tempfile.mkdtemp(prefix="export-"))
    path = exports.write_file(req, folder)
    response = FileResponse(_RemovingFile(path, folder), content_type=content_type)
    response["Content-Disposition"] = _disposition(req.filename)
    return response


def _job(request, city, pk) -> ExportJob:
    city_obj = city_selectors.city_get(slug=city)
    job = get_object_or_404(ExportJob.objects.select_related("city"), pk=pk, city=city_obj)
    if not export_jobs.job_visible_to(job=job, user=request.user):
        raise Http404
    return job


@token_user
@require_GET
def export_job(request, city, pk):
    """The job page (refreshes itself while the job runs); JSON with ?f=json."""
    job = _job(request, city, pk)
    if request.GET.get("f") == "json" or "application/json" in request.headers.get("Accept", ""):
        state = _job_state(job)
        until = state["available_until"]
        download = None
        if until is not None:
            url = reverse("geodata:export-download", kwargs={"city": job.city.slug, "pk": job.pk})
            download = request.build_absolute_uri(url)
        return JsonResponse(
            {
                "id": str(job.pk),
                "state": job.state,
                "collection": job.collection,
                "format": job.format,
                "crs": f"EPSG:{job.srid}",
                "total": job.total,
                "done": job.done,
                "percent": job.percent,
                "error": job.error if job.state == ExportJob.State.FAILED else "",
                "available_until": until.isoformat() if until else None,
                "expired": state["expired"],
                "stuck": state["stuck"],
                "download": download,
            }
        )
    return _job_page(request, job)


def _job_state(job: ExportJob) -> dict:
    return {
        "available_until": export_jobs.export_available_until(job),
        "expired": job.state == ExportJob.State.DONE and not job.file,  # after EXPORT_KEEP_DAYS
        "stuck": job_stuck(job),
    }


def _job_page(request, job: ExportJob, *, status: int = 200):
    from geodata.collections import collection_get

    shown = collection_get(city=job.city, collection_id=job.collection, user=request.user)
    context = {
        "city": job.city,
        "job": job,
        # its title in the page's language; a layer since withdrawn: its id
        "collection_title": shown.title if shown else job.collection,
        **_job_state(job),
        "keep_days": settings.EXPORT_KEEP_DAYS,
        "again": _again_url(job),
    }
    return render(request, "geodata/export_job.html", context, status=status)


def _again_url(job: ExportJob) -> str:
    """The same export (collection, filters, format, CRS) asked for again, in the background:
    a new job with today's data."""
    query = {**job.query, "format": job.format, "crs": f"EPSG:{job.srid}", "background": "1"}
    url = reverse("api:export", kwargs={"city": job.city.slug, "collection_id": job.collection})
    return f"{url}?{urlencode(query)}"


@token_user
@require_GET
def export_download(request, city, pk):
    job = _job(request, city, pk)
    if job.state != ExportJob.State.DONE:
        raise NotFound(_("The export is not ready."))
    if not job.file:  # removed after EXPORT_KEEP_DAYS: the job page says so
        return _job_page(request, job, status=410)
    response = file_response(
        job.file, as_attachment=False, content_type=exports.FORMATS[job.format][0]
    )
    response["Content-Disposition"] = _disposition(job.filename)
    return response


@require_GET
@require_GET
def qgis_project(request, city):
    """A QGIS project with the city's public collections as live layers (geodata.qgis)."""
    from django.http import HttpResponse

    from geodata.qgis import project_xml

    city_obj = city_selectors.city_get(slug=city)
    body = project_xml(
        city=city_obj,
        site=request.build_absolute_uri("/").rstrip("/"),
        tile_url=settings.MAP_TILE_URL,
        tile_attribution=settings.MAP_TILE_ATTRIBUTION,
    )
    response = HttpResponse(body, content_type="application/x-qgis-project")
    response["Content-Disposition"] = _disposition(f"wecreatespace-{city_obj.slug}.qgs")
    return response


def export_page(request, city):
    """Links to every collection in every format, and a form for a CRS and filters."""
    from mapapp.services import api_token_allowed

    city_obj = city_selectors.city_get(slug=city)
    return render(
        request,
        "geodata/exports.html",
        {
            "city": city_obj,
            "token_allowed": api_token_allowed(request.user),  # a link to /me/token/
            "collections": list(city_collections(city=city_obj, user=request.user).values()),
            "formats": [
                ("geojson", "GeoJSON"),
                ("gpkg", "GeoPackage"),
                ("shp", _("Shapefile (zipped)")),
                ("csv", "CSV"),
            ],
            "crs_choices": [
                (4326, "WGS 84 (EPSG:4326)"),
                (
                    city_obj.metric_srid,
                    _("The city's metric CRS (EPSG:%(code)s)") % {"code": city_obj.metric_srid},
                ),
                (3857, "Web Mercator (EPSG:3857)"),
            ],
            "ogcapi": f"/ogcapi/{city_obj.slug}/",
            # the city's own extent, as an example of the box's form
            "bbox_example": ",".join(f"{v:.2f}" for v in city_obj.boundary.extent),
        },
    )
