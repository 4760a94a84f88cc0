"""Request middleware of the core: two-factor login for staff, and each city's time zone."""

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

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
