"""HTML pages of the core. Thin: parse, call a selector, render."""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mapapp import selectors
from mapapp.errors import MACHINE_PREFIXES
from mapapp.models import City
from mapapp.ratelimit import rate_limit


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie), and for a signed-in person also their
    preferred language: the one their e-mails are written in and their pages speak on
    another device (mapapp.middleware.VisitorLanguage)."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and request.user.preferred_language != language
    ):
        request.user.preferred_language = language
        request.user.save(update_fields=["preferred_language"])
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "mapapp/home.html", {"cities": selectors.city_list()})


def network_figures(request: HttpRequest) -> HttpResponse:
    """The programme in figures across the network's cities (public): what each city has
    granted and built, side by side, for the network and its partners. `?format=csv`."""
    from mapapp.spreadsheets import csv_response
    from proposals.selectors import figures_year
    from proposals.selectors import network_figures as figures_of_network

    try:
        year = figures_year(request.GET.get("year"))
    except ValueError:  # the page for every year, saying what was wrong
        return render(request, "mapapp/figures.html",
                      {"network": figures_of_network(),
                       "error": _("year: give a year such as 2026.")},
                      status=400)  # fmt: skip
    network = figures_of_network(year=year)
    if request.GET.get("format") == "csv":
        header = [_("City"), _("Calls"), _("Proposals published"),
                  pgettext("programme figures: proposals", "Submitted"), _("Projects granted"),
                  pgettext("an amount", "Granted"), _("Currency"), _("Projects built"),
                  _("Volunteer hours"), _("Public space in the projects (m²)")]  # fmt: skip
        lines = [
            [r.city.name, r.calls, r.figures.published, r.figures.submitted, r.figures.granted,
             r.figures.granted_sum, r.city.currency, r.figures.completed,
             r.figures.volunteer_hours, round(r.figures.area_m2)]
            for r in network.cities
        ]  # fmt: skip
        t = network.totals
        single = next(iter(network.money.items())) if len(network.money) == 1 else ("", "")
        lines.append([_("All cities"), network.calls, t.published, t.submitted, t.granted,
                      single[1], single[0], t.completed, t.volunteer_hours,
                      round(t.area_m2)])  # fmt: skip
        stamp = timezone.localdate().isoformat()
        which = f"-{year}" if year else ""
        return csv_response(header, lines, filename=f"network-programme{which}-{stamp}.csv")
    return render(request, "mapapp/figures.html", {"network": network})


LAYERS = ("sites", "proposals", "interventions")


def city_map_context(request: HttpRequest, city: City) -> dict:
    """Everything the public map needs: layers and filters from the query string (so a
    map's state can be shared as a link), URLs and label tables for the script."""
    from geodata.models import Layer
    from geodata.selectors import public_layers
    from proposals import selectors as proposal_selectors
    from proposals.models import GrantCall, Proposal
    from sites import selectors as site_selectors
    from sites.models import Site

    reference = list(public_layers(city=city).exclude(kind__in=Layer.LOOKUP_KINDS))
    reference_ids = {layer.layer_key for layer in reference}
    layers = [x for x in request.GET.getlist("layers") if x in LAYERS or x in reference_ids]
    if "layers" not in request.GET:
        layers = list(LAYERS)
    query = request.GET.urlencode()
    config = selectors.city_map_config(city=city)
    config.update(
        {
            "layers": [x for x in layers if x in LAYERS],
            "reference": [
                {
                    "id": r.layer_key,
                    "kind": r.kind,
                    "name": r.name,
                    "url": reverse("api:layer", kwargs={"city": city.slug, "pk": r.pk}),
                }
                for r in reference
                if r.layer_key in layers
            ],
            # above this many features a layer is drawn from vector tiles, with the
            # layer's own filters (tiles know status, category, call, condition and q)
            "tilesAbove": settings.MAP_TILES_ABOVE,
            "vectorTiles": {
                name: reverse(
                    "tile",
                    kwargs={"city": city.slug, "collection_id": name, "z": 0, "x": 0, "y": 0},
                ).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
                for name in LAYERS
            },
            "urls": {
                "proposals": reverse("api:proposals", kwargs={"city": city.slug}),
                "sites": reverse("api:sites", kwargs={"city": city.slug}),
                "interventions": reverse("api:interventions", kwargs={"city": city.slug}),
            },
            "pages": {
                "proposals": reverse("proposals:detail", kwargs={"city": city.slug, "pk": 0}),
                "sites": reverse("sites:detail", kwargs={"city": city.slug, "pk": 0}),
                "interventions": reverse("sites:intervention", kwargs={"city": city.slug, "pk": 0}),
            },
            "labels": {
                "status": {k: str(v) for k, v in Proposal.Status.choices},
                "category": {k: str(v) for k, v in Proposal.Category.choices},
                "condition": {k: str(v) for k, v in Site.Condition.choices},
                "sustainability": {k: str(v) for k, v in site_selectors.SUSTAINABILITY_LABELS},
            },
        }
    )
    filters = {
        **site_selectors.parse_filters(request.GET),
        **proposal_selectors.parse_filters(request.GET, city=city),
    }
    # the layers' requests carry the filters as the page read them: a shared link with a
    # value since gone (a misspelt status, a call of another city) is forgiven by the page,
    # and would be refused by the API and the tiles
    cleaned = _filters_query(request.GET, filters)
    config["query"] = cleaned.urlencode()
    config["tileQuery"] = _tile_queries(city, cleaned)
    return {
        "city": city,
        "map_config": config,
        "layers": layers,
        "reference_layers": reference,
        "filters": filters,
        "query": query,
        "calls": GrantCall.objects.filter(city=city),
        "open_calls": proposal_selectors.open_calls(city=city),
        "statuses": [
            (v, label) for v, label in Proposal.Status.choices if v in Proposal.PUBLIC_STATUSES
        ],
        "categories": Proposal.Category.choices,
        "conditions": Site.Condition.choices,
        "sustainability_states": site_selectors.SUSTAINABILITY_LABELS,
        "years": site_selectors.years(city=city),
        "districts": site_selectors.districts(city=city),
        "map_messages": {
            "boundaryLoaded": _("The city boundary is shown on the map."),
            "boundaryFailed": _("The city boundary could not be loaded."),
            "loaded": _("On the map: %(items)s."),
            "failed": _("Some map layers could not be loaded."),
            "layerNames": {
                "sites": _("neglected sites"),
                "proposals": _("proposals"),
                "interventions": _("completed projects"),
            },
            "supporters": _("Supporters"),
            "open": _("Open"),
        },
    }


@require_GET
def city_map(request: HttpRequest, city: str) -> HttpResponse:
    from proposals.models import AreaAlert, distance_label

    city_obj = selectors.city_get(slug=city)
    context = city_map_context(request, city_obj)
    context["area_km2"] = selectors.city_area_km2(city=city_obj)
    context["info"] = selectors.city_information(city=city_obj)
    context["alert_radii"] = [(m, distance_label(m)) for m in AreaAlert.RADII]
    context["place_search"] = selectors.place_search(city_obj)  # "find a place", if any
    return render(request, "mapapp/city_map.html", context)


@require_GET
def city_place(request: HttpRequest, city: str) -> HttpResponse:
    """What the city map says of the place under its cross (the form asking for news near a
    place): whether it is in the city, and its district. JSON, from ?lon=&lat=."""
    from geodata.selectors import place_in_city
    from mapapp.geo import lonlat_point

    city_obj = selectors.city_get(slug=city)
    point = lonlat_point(request.GET.get("lon"), request.GET.get("lat"))
    if point is None:
        return JsonResponse({"error": _("Give lon and lat as numbers.")}, status=400)
    answer = JsonResponse(place_in_city(city=city_obj, point=point))
    answer["Cache-Control"] = "public, max-age=300"
    return answer


PLACE_SEARCH_LENGTH = (2, 100)  # characters: fewer finds everything, more is no name


@require_GET
def city_places(request: HttpRequest, city: str) -> HttpResponse:
    """The city map's "find a place": named districts, parks, water and other features of
    the city's public reference layers, by name (?q=), with their outlines. JSON."""
    from geodata.selectors import places_named

    city_obj = selectors.city_get(slug=city)
    text = " ".join(request.GET.get("q", "").split())
    shortest, longest = PLACE_SEARCH_LENGTH
    if not shortest <= len(text) <= longest:
        message = _("Give a name of %(min)s to %(max)s characters to look for.") % {
            "min": shortest, "max": longest,
        }  # fmt: skip
        return JsonResponse({"error": message}, status=400)
    answer = JsonResponse({"places": places_named(city=city_obj, text=text)})
    answer["Cache-Control"] = "public, max-age=300"
    return answer


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name none (the admin)."""
    return redirect(static("mapapp/favicon.svg"), permanent=True)


ROBOTS = """\
# The public pages are for everyone, search engines included. Kept out: accounts and
# workspaces (nothing to index), and the machine interfaces and exports, whose every filter
# combination is a new address and some of which run long queries.
User-agent: *
Disallow: /accounts/
Disallow: /admin/
Disallow: /me/
Disallow: /api/
Disallow: /ogcapi/
Disallow: /open311/
Disallow: /tiles/
Disallow: /*/officer/
Disallow: /*/committee/
Disallow: /*/exports/
Disallow: /*/analysis/
Disallow: /*/place/
Disallow: /*/places/
Disallow: /*?*page=
"""


@require_GET
def robots(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    text = f"{ROBOTS}\n# every public page, the lists' later pages included\nSitemap: {sitemap}\n"
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    """Where to report a vulnerability (RFC 9116), from SECURITY_CONTACT; 404 without one.
    It expires 180 days after it is read (the field is required), so it never states a
    contact older than the deployment's settings."""
    import datetime as dt

    from django.http import Http404
    from django.utils import timezone

    if not settings.SECURITY_CONTACT:
        raise Http404
    expires = (timezone.now() + dt.timedelta(days=180)).replace(microsecond=0)
    lines = [f"Contact: {contact}" for contact in settings.SECURITY_CONTACT]
    lines.append(f"Expires: {expires.astimezone(dt.UTC).isoformat().replace('+00:00', 'Z')}")
    lines.append("Preferred-Languages: " + ", ".join(code for code, _n in settings.LANGUAGES))
    lines.append("Canonical: " + request.build_absolute_uri(reverse("security-txt")))
    if settings.SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.SECURITY_POLICY_URL}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database readiness for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            (postgis,) = cursor.fetchone()
    except DatabaseError:
        # no details: they may name hosts and users
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "postgis": postgis})


@never_cache
@require_GET
def healthz_tasks(request: HttpRequest) -> JsonResponse:
    """The background task queue for monitoring: what waits and for how long. 503 when a task
    has waited more than TASKS_STALE_SECONDS, which means no worker is taking them: e-mail to
    applicants, exports and analysis refreshes all stop until one runs again."""
    from django.db.models import Case, Count, F, Min, When
    from django.db.models.functions import Greatest
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = settings.TASKS["default"]["BACKEND"]
    if backend != "django_tasks_db.DatabaseBackend":  # its queue is elsewhere: say so
        body = {"status": "unknown", "backend": backend,
                "detail": "Only the database backend's queue is reported here."}  # fmt: skip
        return JsonResponse(body)
    now = timezone.now()
    # a task waits from when it may run: a deferred one (an e-mail tried again later) from
    # its run_after, not from when it was queued
    since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    try:
        waiting = DBTaskResult.objects.ready().aggregate(n=Count("id"), oldest=Min(since))
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    oldest = round((now - waiting["oldest"]).total_seconds()) if waiting["oldest"] else 0
    stale = oldest > settings.TASKS_STALE_SECONDS
    body = {
        "status": "stalled" if stale else "ok",
        "waiting": waiting["n"],
        "oldest_waiting_seconds": oldest,
        "stale_after_seconds": settings.TASKS_STALE_SECONDS,
    }
    return JsonResponse(body, status=503 if stale else 200)


@never_cache
@require_GET
def healthz_jobs(request: HttpRequest) -> JsonResponse:
    """The scheduled jobs for monitoring: when each last succeeded; 503 when one has gone
    longer than its SCHEDULED_JOBS hours without (never enabled, or failing every night).
    No error texts here: they are in the admin (Job runs), as they may name hosts."""
    from mapapp.jobs import job_health

    try:
        jobs = job_health()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    overdue = sorted(name for name, job in jobs.items() if job["overdue"])
    body = {"status": "overdue" if overdue else "ok", "overdue": overdue, "jobs": jobs}
    return JsonResponse(body, status=503 if overdue else 200)


# the map's filters whose values the page reads leniently and the layers' requests strictly
CHOICE_FILTERS = ("status", "category", "condition", "sustainability")


def _filters_query(params, filters: dict):
    """The page's query with each filter's values as the page kept them (parse_filters):
    those it dropped left out; other parameters as they are."""
    query = params.copy()
    for name in CHOICE_FILTERS:
        query.setlist(name, filters[name])
    for name in ("call", "year"):
        query.setlist(name, [str(filters[name])] if filters.get(name) else [])
    return query


def _tile_queries(city, params) -> dict[str, str]:
    """Per map layer, the part of the page's filters that its tiles understand."""
    from django.utils.http import urlencode

    from geodata.collections import city_collections

    found = city_collections(city=city)
    out = {}
    for name in LAYERS:
        keys = sorted(found[name].query_params()) if name in found else []
        out[name] = urlencode([(k, v) for k in keys for v in params.getlist(k)])
    return out


def _error(request, status: int, default_message, page):
    """An error answer: JSON with `default_message` for the machine interfaces (their clients
    parse the body), `page()` (the site's page) for people."""
    if request.path.startswith(MACHINE_PREFIXES):
        return JsonResponse({"detail": str(default_message)}, status=status)
    return page()


def not_found(request, exception=None):
    """404, with the reason when it was raised with one written for people (NotFound)."""
    from mapapp.errors import NotFound

    message = str(exception) if isinstance(exception, NotFound) else ""
    return _error(
        request, 404, message or _("Not found."),
        lambda: render(request, "404.html", {"message": message}, status=404),
    )  # fmt: skip


def permission_denied(request, exception=None):
    """403: for people, the site's page with a sign-in link."""
    from django.views.defaults import permission_denied as default

    return _error(request, 403, _("Not allowed."), lambda: default(request, exception))


def bad_request(request, exception=None):
    """400 for requests Django refuses before any view (an unknown Host header, a broken
    cookie). 400.html stands alone: the request is not trusted enough to render the site's
    frame."""
    from django.views.defaults import bad_request as default

    return _error(request, 400, _("Bad request."), lambda: default(request, exception))


def server_error(request):
    from django.views.defaults import server_error as default

    return _error(request, 500, _("Server error."), lambda: default(request))


def privacy(request):
    """The privacy notice, in the visitor's language."""
    from mapapp.privacy import notice_facts

    context = {**notice_facts(), "cities": selectors.city_list()}
    return render(request, "mapapp/privacy.html", context)


@login_required
def my_data(request):
    """A person's own data: download it, or delete the account (with the password)."""
    from mapapp.privacy import account_delete, user_data_export

    if request.GET.get("download"):
        data = user_data_export(user=request.user)
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
        return response
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "delete" and request.user.check_password(
            request.POST.get("password", "")
        ):
            account_delete(user=request.user)
            logout(request)
            return render(request, "mapapp/account_deleted.html")
        error = _("Type your password and tick the box to delete your account.")
    from mapapp.services import api_token_allowed

    context = {"error": error, "token_allowed": api_token_allowed(request.user)}
    return render(request, "mapapp/my_data.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def my_token(request):
    """The person's API token, for QGIS and scripts (TOKEN_ROLES and superusers): make
    one (which ends the one before), or end it. A new key is shown once, on the answer to
    its POST; later the page shows only its last characters."""
    from django.core.exceptions import PermissionDenied
    from rest_framework.authtoken.models import Token

    from mapapp.authentication import token_expired, token_expires
    from mapapp.models import ApiTokenRecord
    from mapapp.services import (
        api_token_allowed,
        api_token_issue,
        api_token_may_import,
        api_token_revoke,
    )

    if not api_token_allowed(request.user):
        raise PermissionDenied
    new_key, revoked = "", False
    if request.method == "POST":
        if request.POST.get("action") == "issue":
            can_import = request.POST.get("can_import") == "1"
            new_key = api_token_issue(user=request.user, can_import=can_import).key
        elif request.POST.get("action") == "revoke":
            revoked = api_token_revoke(user=request.user)
    token = Token.objects.filter(user=request.user).first()
    response = render(request, "mapapp/my_token.html", {
        "token": token, "new_key": new_key, "revoked": revoked,
        "ends": token and token_expires(token), "ended": token and token_expired(token),
        "remind_days": settings.API_TOKEN_REMIND_DAYS if settings.API_TOKEN_DAYS else 0,
        "record": token and ApiTokenRecord.objects.filter(token=token).first(),
        "may_import": api_token_may_import(request.user),
        "api": request.build_absolute_uri(reverse("api:root")),
    })  # fmt: skip
    response["Cache-Control"] = "no-store"  # a page that may show a key
    return response


@login_required
@rate_limit("flag")
@require_http_methods(["POST"])
def flag(request, city):
    """A resident reports a proposal or a site (the form sits on their pages)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from mapapp.flags import flag_create, objection_create
    from mapapp.models import Flag
    from mapapp.navigation import posted_id, posted_next

    city_obj = selectors.city_get(slug=city)
    back = posted_next(request, reverse("city-map", kwargs={"city": city_obj.slug}))
    target = {"target_type": request.POST.get("target_type", ""),
              "target_id": posted_id(request, "target_id") or 0}  # fmt: skip
    objection = request.POST.get("reason") == Flag.Reason.OBJECTION
    try:
        if objection:  # the author of hidden content, from its page
            objection_create(user=request.user, city=city_obj, note=request.POST.get("note", ""),
                             **target)  # fmt: skip
        else:
            flag_create(user=request.user, city=city_obj, reason=request.POST.get("reason", ""),
                        note=request.POST.get("note", ""), **target)  # fmt: skip
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            (
                _(
                    "Your objection is sent: the officers will review it within %(days)s days and "
                    "tell you."
                )
                if objection
                else _("Thank you: an officer will look at it within %(days)s days.")
            )
            % {"days": settings.FLAG_REVIEW_DAYS},
        )
    return redirect(back)


@login_required
def flags_review(request, city):
    """Officers: open reports, and hidden content that can be shown again."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import get_object_or_404

    from mapapp import flags as flag_services
    from mapapp.models import Flag
    from mapapp.navigation import posted_id

    city_obj = selectors.city_get(slug=city)
    if not flag_services.can_review(request.user, city_obj):
        raise PermissionDenied
    if request.method == "POST":
        try:
            if request.POST.get("action") == "show":
                flag_services.content_show_again(
                    actor=request.user, city=city_obj,
                    target_type=request.POST.get("target_type", ""),
                    target_id=posted_id(request, "target_id") or 0,
                )  # fmt: skip
            else:
                item = get_object_or_404(Flag, city=city_obj, pk=posted_id(request, "flag"))
                flag_services.flag_review(
                    actor=request.user, flag=item, uphold=request.POST.get("action") == "uphold",
                    note=request.POST.get("note", ""),
                    statement=request.POST.get("statement", ""),
                )  # fmt: skip
            messages.success(request, _("Done."))
        except (ValidationError, KeyError, ValueError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("flags", city=city_obj.slug)
    return render(
        request,
        "mapapp/flags.html",
        {
            "city": city_obj,
            "flags": flag_services.open_flags(city=city_obj),
            "hidden": flag_services.hidden_content(city=city_obj),
            "review_days": settings.FLAG_REVIEW_DAYS,
        },
    )


def city_about(request: HttpRequest, city: str) -> HttpResponse:
    """Who runs the city's programme and how to reach them."""
    city_obj = selectors.city_get(slug=city)
    info = selectors.city_information(city=city_obj)
    return render(request, "mapapp/about.html", {"city": city_obj, "info": info})


def city_privacy(request: HttpRequest, city: str) -> HttpResponse:
    """The privacy notice with the city as the controller: who it is, its data protection
    officer and the authority to complain to."""
    from mapapp.privacy import notice_facts

    city_obj = selectors.city_get(slug=city)
    info = selectors.city_information(city=city_obj)
    context = {**notice_facts(city=city_obj), "city": city_obj, "info": info}
    return render(request, "mapapp/privacy.html", context)


def accessibility(request: HttpRequest) -> HttpResponse:
    """Pages outside any city (the list of cities, accounts): each city's statement."""
    return render(request, "mapapp/accessibility_index.html", {"cities": selectors.city_list()})


def city_accessibility(request: HttpRequest, city: str) -> HttpResponse:
    """The accessibility statement: the city's own parts, and the platform's known limits."""
    from mapapp.countries import preset

    city_obj = selectors.city_get(slug=city)
    info = selectors.city_information(city=city_obj)
    return render(
        request,
        "mapapp/accessibility.html",
        {"city": city_obj, "info": info, "country": preset(city_obj.country)},
    )


@login_required
def city_information_edit(request: HttpRequest, city: str) -> HttpResponse:
    """Officers keep the city's contact, privacy and accessibility details."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError

    from mapapp.countries import preset
    from mapapp.forms import CityInformationForm
    from mapapp.services import (
        city_information_from_country,
        city_information_update,
        country_values_missing,
    )
    from proposals.access import is_officer

    city_obj = selectors.city_get(slug=city)
    if not is_officer(request.user, city_obj):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "country":
        if city_information_from_country(actor=request.user, city=city_obj) is not None:
            messages.success(request, _("The bodies the country's law names are filled in."))
        return redirect("city-information-edit", city=city_obj.slug)
    info = selectors.city_information(city=city_obj)
    form = CityInformationForm(request.POST or None, instance=info)
    if request.method == "POST" and form.is_valid():
        try:
            city_information_update(actor=request.user, city=city_obj, data=form.data_for_service())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The city's information is saved."))
            return redirect("city-information-edit", city=city_obj.slug)
    status = 400 if form.errors else 200
    country = preset(city_obj.country)
    return render(
        request,
        "mapapp/information_edit.html",
        {"city": city_obj, "form": form, "country": country,
         "country_missing": country_values_missing(city_obj) if country else {}},
        status=status,
    )  # fmt: skip
