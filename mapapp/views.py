"""HTML pages of the core. Thin: parse, call a selector, render."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mapapp import selectors
from mapapp.models import City


def activate_city_language(request: HttpRequest, city: City) -> None:
    """A visitor who has not chosen a language sees the city in its own language."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(city.default_language)
        request.LANGUAGE_CODE = city.default_language


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "mapapp/home.html", {"cities": selectors.city_list()})


@require_GET
def city_map(request: HttpRequest, city: str) -> HttpResponse:
    from proposals import selectors as proposal_selectors
    from proposals.models import GrantCall, Proposal

    city_obj = selectors.city_get(slug=city)
    activate_city_language(request, city_obj)
    filters = proposal_selectors.parse_filters(request.GET, city=city_obj)
    config = selectors.city_map_config(city=city_obj)
    config["proposalsUrl"] = reverse("api:proposals", kwargs={"city": city_obj.slug})
    config["query"] = request.GET.urlencode()
    config["proposalUrl"] = reverse("proposals:detail", kwargs={"city": city_obj.slug, "pk": 0})
    config["statusLabels"] = {k: str(v) for k, v in Proposal.Status.choices}
    config["categoryLabels"] = {k: str(v) for k, v in Proposal.Category.choices}
    context = {
        "city": city_obj,
        "map_config": config,
        "filters": filters,
        "calls": GrantCall.objects.filter(city=city_obj),
        "statuses": [
            (v, label) for v, label in Proposal.Status.choices if v in Proposal.PUBLIC_STATUSES
        ],
        "categories": Proposal.Category.choices,
        "query": request.GET.urlencode(),
        "area_km2": selectors.city_area_km2(city=city_obj),
        "map_messages": {
            "boundaryLoaded": _("The city boundary is shown on the map."),
            "boundaryFailed": _("The city boundary could not be loaded."),
            "proposalsLoaded": _("%(count)s proposals on the map."),
            "proposalsFailed": _("The proposals could not be loaded."),
            "supporters": _("Supporters"),
            "open": _("Open the proposal"),
        },
    }
    return render(request, "mapapp/city_map.html", context)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name none (the admin)."""
    return redirect(static("mapapp/favicon.svg"), permanent=True)


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
