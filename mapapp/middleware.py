"""Request middleware of the core: two-factor login for staff, each city's time zone, and
the city's language on the account pages reached from it."""

from contextlib import suppress
from urllib.parse import urlsplit

from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from mapapp.models import CityRole, Role
from mapapp.selectors import city_get

STAFF_ROLES = (Role.PROGRAMME_OFFICER, Role.COMMITTEE_MEMBER, Role.PLANNER, Role.GIS_STAFF)
FREE_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/favicon.ico", "/privacy/")


def needs_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    if not getattr(user, "is_authenticated", False):
        return False
    requiring = CityRole.objects.filter(
        user=user, role__in=STAFF_ROLES, city__require_staff_2fa=True
    ).exists()
    if not requiring:
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffTwoFactor:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(FREE_PREFIXES) and needs_second_factor(request.user):
            return redirect(reverse("mfa_activate_totp") + f"?next={request.path}")
        return self.get_response(request)


class CityTimeZone:
    """A city's pages in the city's own time zone (City.time_zone): a call an officer sets to
    close at 23:59 closes at 23:59 in Koszalin, and every page shows its dates and times as
    people there read their clocks. Times are stored in UTC (settings.TIME_ZONE), which
    pages outside a city, the admin and the machine interfaces' ISO times keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("city")
        if isinstance(slug, str):
            try:
                city = city_get(slug=slug)
            except Http404:
                return None  # the view answers for an unknown city
            timezone.activate(city.time_zone)
        return None


class AccountPagesInCityLanguage:
    """Sign-in, sign-up and password pages opened from a city's page (the header's links
    carry `next`) speak that city's language to a visitor who has not chosen one, as the
    city's pages do (mapapp.views.activate_city_language): Ostrava's Czech visitor with an
    English browser no longer signs in in English, and the e-mails allauth renders there
    follow."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith("/accounts/"):
            return None
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return None
        try:
            slug = resolve(urlsplit(target).path).kwargs.get("city")
        except Resolver404:
            return None
        if isinstance(slug, str):
            from mapapp.views import activate_city_language

            with suppress(Http404):  # an unknown city: the visitor's own language
                activate_city_language(request, city_get(slug=slug))
        return None
