"""HTML pages of the core. Thin: parse, call a selector, render."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
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
    city_obj = selectors.city_get(slug=city)
    activate_city_language(request, city_obj)
    context = {
        "city": city_obj,
        "map_config": selectors.city_map_config(city=city_obj),
        "area_km2": selectors.city_area_km2(city=city_obj),
        "map_messages": {
            "boundaryLoaded": _("The city boundary is shown on the map."),
            "boundaryFailed": _("The city boundary could not be loaded."),
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
