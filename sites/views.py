"""Sites and interventions: public pages, resident reports, moderation, the embeddable map."""

import json

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from mapapp.collation import collated
from mapapp.held_uploads import held_files, held_uploads, hold_photos, release
from mapapp.navigation import posted_id
from mapapp.paging import list_page
from mapapp.ratelimit import rate_limit
from mapapp.selectors import city_extent, place_search, shape_map_config
from proposals.access import is_officer
from proposals.models import Proposal
from proposals.selectors import public_care
from proposals.views.common import apply_errors, load_city, report
from sites import selectors, services
from sites.forms import SiteForm
from sites.models import Intervention, Site

REFUSED_SHOWN = 500  # an import's refused rows listed on its page


def _filter_context(city, filters):
    return {
        "filters": filters,
        "years": selectors.years(city=city),
        "districts": selectors.districts(city=city),
        "conditions": Site.Condition.choices,
        "categories": Proposal.Category.choices,
        "sustainability_states": selectors.SUSTAINABILITY_LABELS,
    }


@require_GET
def site_list(request, city):
    city_obj = load_city(request, city)
    filters = selectors.parse_filters(request.GET)
    sites = selectors.public_sites(city=city_obj, filters=filters).only(
        "id", "name", "condition", "ownership", "district", "reported_at"
    )
    listing = list_page(request, sites, order=(collated("name"), "id"))
    return render(
        request,
        "sites/site_list.html",
        {
            "city": city_obj,
            "sites": listing["page"],
            **listing,
            **_filter_context(city_obj, filters),
        },
    )


@require_GET
def site_detail(request, city, pk):
    city_obj = load_city(request, city)
    site = get_object_or_404(Site.objects.select_related("city"), city=city_obj, pk=pk)
    if not selectors.site_visible_to(user=request.user, site=site):
        raise Http404
    return render(
        request,
        "sites/site_detail.html",
        {
            "city": city_obj,
            "site": site,
            "photos": site.photos.all(),
            "proposals": site.proposals.filter(
                status__in=Proposal.PUBLIC_STATUSES, hidden_at__isnull=True
            ),
            "interventions": site.interventions.all(),
            "map_config": _shape_config(city_obj, site),
            "is_staff": services.is_site_staff(request.user, city_obj),
        },
    )


def _shape_config(city, obj):
    return shape_map_config(obj=obj, city=city, status=getattr(obj, "condition", "completed"))


def _editor_config(request, city):
    west, south, east, north = city_extent(city=city)
    posted = {}
    for key in ("geom", "area"):
        try:
            posted[key] = json.loads(request.POST.get(key) or "null")
        except ValueError:
            posted[key] = None
    return {
        "point": posted["geom"],
        "area": posted["area"],
        "bounds": [[south, west], [north, east]],
        "boundaryUrl": reverse("api:city-boundary", kwargs={"city": city.slug}),
        "tiles": {"url": city.basemap_url, "attribution": city.basemap_attribution},
        "autosaveUrl": None,
        "messages": {"saved": "", "notSaved": "", "offline": ""},
        "places": place_search(city),
    }


@login_required
@rate_limit("site_report")
def site_report(request, city, staff=False, pk=None):
    """A resident's report, or (staff) a new site or an edit of one."""
    city_obj = load_city(request, city)
    instance = None
    if staff:
        services.check_site_staff(request.user, city_obj)
        instance = get_object_or_404(Site, city=city_obj, pk=pk) if pk else None
    form = SiteForm(request.POST or None, staff=staff, instance=instance)
    # photos kept from a try the server refused come back with this one (mapapp.held_uploads)
    kept = held_uploads(user=request.user, tokens=request.POST.getlist("held"))
    said_of_photos = []  # the service's reasons the photos were refused
    photos = [*held_files(kept), *request.FILES.getlist("photos")]
    if request.method == "POST" and form.is_valid():
        point, area = form.location_geojson()
        data = form.cleaned_data
        try:
            if staff:
                site = services.site_save(
                    actor=request.user,
                    city=city_obj,
                    site=instance,
                    name=data["name"],
                    description=data["description"],
                    condition=data["condition"],
                    ownership=data["ownership"],
                    district=data.get("district", ""),
                    point_geojson=point,
                    area_geojson=area,
                    photos=photos,
                )
            else:
                site = services.site_report(
                    reporter=request.user,
                    city=city_obj,
                    name=data["name"],
                    description=data["description"],
                    point_geojson=point,
                    area_geojson=area,
                    photos=photos,
                )
        except ValidationError as exc:
            said_of_photos = exc.error_dict.pop("photos", []) if hasattr(exc, "error_dict") else []
            said_of_photos = [m for error in said_of_photos for m in error.messages]
            apply_errors(form, exc)
        else:
            release(kept)  # stored with the site
            if not staff:
                messages.success(
                    request,
                    _(
                        "Thank you. Your report is public once the city "
                        "has checked it; you will hear the outcome."
                    ),
                )
            return redirect("sites:detail", city=city_obj.slug, pk=site.pk)
    photo_errors = []
    if request.method == "POST":  # refused: the photos chosen are kept for the next try
        new, refused = hold_photos(user=request.user, uploads=request.FILES.getlist("photos"))
        kept += new
        photo_errors = said_of_photos or refused
    config = _editor_config(request, city_obj)
    config["nearby"] = {  # the same place reported already, or on the map
        "url": reverse("api:sites", kwargs={"city": city_obj.slug}),
        "exclude": instance.pk if instance is not None else None,
        "page": reverse("sites:detail", kwargs={"city": city_obj.slug, "pk": 0}),
        "label": "name",
        "heading": _("Already on the map near this place:"),
    }
    if instance is not None and request.method != "POST":
        shape = _shape_config(city_obj, instance)
        config.update(point=shape["point"], area=shape["area"])
    return render(
        request,
        "sites/site_form.html",
        {
            "city": city_obj,
            "form": form,
            "staff": staff,
            "editor_config": config,
            "site": instance,
            "held": kept,
            "photo_errors": photo_errors,
        },
        status=400 if form.errors or photo_errors else 200,
    )


@login_required
def intervention_new(request, city):
    """Officers record an intervention made outside the programme."""
    from proposals.access import check_officer
    from sites.forms import InterventionForm

    city_obj = load_city(request, city)
    check_officer(request.user, city_obj)
    form = InterventionForm(request.POST or None, request.FILES or None)
    # the pair's photos kept from a try the server refused (mapapp.held_uploads)
    held = {
        side: held_uploads(user=request.user, tokens=request.POST.getlist(f"held_{side}"))[:1]
        for side in ("before", "after")
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        point, area = form.location_geojson()
        photo = {
            side: data.get(side) or next(iter(held_files(held[side])), None)
            for side in ("before", "after")
        }
        pairs = []
        if photo["before"] and photo["after"]:
            pairs.append((photo["before"], photo["after"], data.get("caption", "")))
        try:
            intervention = services.intervention_record(
                actor=request.user,
                city=city_obj,
                title=data["title"],
                description=data["description"],
                category=data["category"],
                completed_on=data["completed_on"],
                cost=data["cost"],
                maintainer=data["maintainer"],
                volunteers=data["volunteers"] or 0,
                volunteer_hours=data["volunteer_hours"] or 0,
                sustainability_ends_on=data.get("sustainability_ends_on"),
                point_geojson=point,
                area_geojson=area,
                pairs=pairs,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            release(held["before"] + held["after"])  # stored with the project
            return redirect("sites:intervention", city=city_obj.slug, pk=intervention.pk)
    if request.method == "POST":  # refused: a photo chosen now is kept for the next try
        for side in ("before", "after"):
            if request.FILES.get(side):
                new, _refused = hold_photos(user=request.user, uploads=[request.FILES[side]])
                held[side] = new or held[side]
    return render(
        request,
        "sites/intervention_form.html",
        {"city": city_obj, "form": form, "editor_config": _editor_config(request, city_obj),
         "held": held},
        status=400 if form.errors else 200,
    )  # fmt: skip


@login_required
def moderation(request, city):
    city_obj = load_city(request, city)
    services.check_site_staff(request.user, city_obj)
    if request.method == "POST":
        site = get_object_or_404(Site, city=city_obj, pk=posted_id(request, "site"))
        try:
            services.site_moderate(
                actor=request.user,
                site=site,
                accept=request.POST.get("action") == "accept",
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("Done."))
        except ValidationError as exc:
            report(request, exc)
        return redirect("sites:moderation", city=city_obj.slug)
    return render(
        request,
        "sites/moderation.html",
        {
            "city": city_obj,
            "queue": selectors.moderation_queue(city=city_obj),
            "nearby": selectors.nearby_for_moderation(city=city_obj),
            "nearby_m": selectors.NEARBY_M,
        },
    )


@login_required
def my_reports(request):
    """The person's own site reports and their outcome; one still waiting for moderation
    can be withdrawn here."""
    if request.method == "POST":
        mine = selectors.reports_of(user=request.user)
        site = get_object_or_404(mine, pk=posted_id(request, "site"))
        try:
            services.site_report_withdraw(user=request.user, site=site)
        except ValidationError as exc:
            report(request, exc)
        else:
            withdrawn = _("The report “%(name)s” is withdrawn.") % {"name": site.name}
            messages.success(request, withdrawn)
        return redirect("my-reports")
    return render(
        request, "sites/my_reports.html", {"reports": selectors.reports_of(user=request.user)}
    )


@require_GET
def intervention_list(request, city):
    city_obj = load_city(request, city)
    filters = selectors.parse_filters(request.GET)
    interventions = selectors.public_interventions(city=city_obj, filters=filters)
    listing = list_page(request, interventions, order=("-completed_on", "id"))
    return render(
        request,
        "sites/intervention_list.html",
        {
            "city": city_obj,
            "interventions": listing["page"],
            **listing,
            **_filter_context(city_obj, filters),
        },
    )


@login_required
@require_POST
def intervention_pairs(request, city, pk):
    """Officers add a before/after pair to a completed project, or take one off."""
    from proposals.access import check_officer
    from sites.forms import PhotoPairForm

    city_obj = load_city(request, city)
    check_officer(request.user, city_obj)
    intervention = get_object_or_404(Intervention, city=city_obj, pk=pk)
    try:
        if request.POST.get("action") == "remove":
            pair = get_object_or_404(intervention.pairs, pk=posted_id(request, "pair"))
            services.intervention_remove_pair(actor=request.user, pair=pair)
            messages.success(request, _("The photos are taken off."))
        else:
            form = PhotoPairForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.intervention_add_pair(
                actor=request.user, intervention=intervention, **form.cleaned_data
            )
            messages.success(request, _("The photos are added."))
    except ValidationError as exc:
        report(request, exc)
    return redirect(
        reverse("sites:intervention", kwargs={"city": city_obj.slug, "pk": pk}) + "#pairs-admin"
    )


@require_GET
def intervention_detail(request, city, pk):
    city_obj = load_city(request, city)
    intervention = get_object_or_404(
        selectors.with_sustainability(
            Intervention.objects.select_related("grant_call", "proposal")
        ),
        city=city_obj,
        pk=pk,
    )
    pairs = list(intervention.pairs.all())
    return render(
        request,
        "sites/intervention_detail.html",
        {
            "city": city_obj,
            "intervention": intervention,
            "pairs": pairs,
            # the maintenance reports of a programme project (none for one recorded apart)
            "care": public_care(proposal=intervention.proposal)
            if intervention.proposal_id
            else None,
            "share_image": request.build_absolute_uri(pairs[0].after.url) if pairs else "",
            "share_url": request.build_absolute_uri(request.path),  # without any query
            "category_label": dict(Proposal.Category.choices).get(intervention.category, ""),
            "map_config": _shape_config(city_obj, intervention),
            "can_edit_pairs": is_officer(request.user, city_obj),
            # its grant revoked in the sustainability period (proposals.services.grants)
            "revoked_on": city_obj.local_date(intervention.proposal.revoked_at)
            if intervention.proposal_id and intervention.proposal.status == Proposal.Status.REVOKED
            else None,
        },
    )


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # the one page other sites may embed
@require_GET
def embed(request, city):
    """The public map for a city's own website: public layers only, no navigation."""
    from mapapp.views import city_map_context

    city_obj = load_city(request, city)
    context = city_map_context(request, city_obj)
    context["embedded"] = True
    context["place_search"] = place_search(city_obj)  # "find a place", over the map
    return render(request, "mapapp/embed.html", context)


@login_required
def project_import(request, city):
    """Officers upload completed projects from before the platform; the task worker imports
    them (sites.project_imports) and the job's page follows it."""
    from proposals.access import check_officer
    from sites import project_imports
    from sites.forms import ProjectImportForm

    city_obj = load_city(request, city)
    check_officer(request.user, city_obj)
    jobs = selectors.project_imports(city=city_obj)
    form = ProjectImportForm(
        request.POST or None, request.FILES or None,
        initial=ProjectImportForm.initial_from(jobs[0].options) if jobs else None,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            job = project_imports.project_import_create(
                actor=request.user, city=city_obj, data=form.cleaned_data["data"],
                photos=form.cleaned_data["photos"] or None,
                options={**form.options(), "language": translation.get_language()},
            )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("sites:project-import-job", city=city_obj.slug, pk=job.pk)
    return render(
        request,
        "sites/project_import.html",
        {"city": city_obj, "form": form, "jobs": jobs, "categories": Proposal.Category.values},
        status=400 if form.errors else 200,
    )  # fmt: skip


@login_required
@require_GET
def project_import_job(request, city, pk):
    """An import's state (the page refreshes itself while it runs); JSON with ?f=json."""
    from django.http import JsonResponse

    from geodata.jobs import job_can_run_again, job_stuck
    from proposals.access import check_officer
    from sites.models import ProjectImport

    city_obj = load_city(request, city)
    check_officer(request.user, city_obj)
    job = get_object_or_404(ProjectImport.objects.select_related("requested_by"),
                            city=city_obj, pk=pk)  # fmt: skip
    stuck, again = job_stuck(job), job_can_run_again(job)
    if request.GET.get("f") == "json":
        return JsonResponse(
            {"id": str(job.pk), "state": job.state, "stage": job.stage, "done": job.done,
             "total": job.total, "percent": job.percent, "counts": job.counts,
             "refused": job.refused, "error": job.error, "stuck": stuck,
             "can_run_again": again}
        )  # fmt: skip
    return render(
        request,
        "sites/project_import_job.html",
        {"city": city_obj, "job": job, "stuck": stuck, "can_run_again": again,
         "refused": job.refused[:REFUSED_SHOWN],
         "refused_more": max(0, len(job.refused) - REFUSED_SHOWN)},
    )  # fmt: skip


@login_required
@require_POST
def project_import_again(request, city, pk):
    """Run an import again from the uploads it kept: it failed for the server's reasons, or
    its worker was lost. Anything else is out of turn: said on the job's page."""
    from proposals.access import check_officer
    from sites import project_imports
    from sites.models import ProjectImport

    city_obj = load_city(request, city)
    check_officer(request.user, city_obj)
    job = get_object_or_404(ProjectImport, city=city_obj, pk=pk)
    if project_imports.project_import_run_again(job=job, actor=request.user):
        messages.success(request, _("The import runs again with the same files and options."))
    else:
        messages.error(request, _("This import cannot be run again: it has finished, it is "
                                  "running, or its files are no longer kept."))  # fmt: skip
    return redirect("sites:project-import-job", city=city_obj.slug, pk=job.pk)
