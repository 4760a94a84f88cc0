"""Request middleware of the core: parameters PostgreSQL cannot take, two-factor login for
staff, each city's time zone, and the language each page speaks."""

from contextlib import suppress
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from mapapp.errors import MACHINE_PREFIXES
from mapapp.models import CityRole, Role
from mapapp.selectors import admin_time_zone, city_get

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


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class RefuseNulCharacters:
    """A NUL character (%00) in a query string or a posted form field is refused with 400
    before any view: PostgreSQL can neither store nor compare text holding one, so a filter
    or an Open311 field with it failed with 500 (found by the API fuzz test). Django's form
    fields refuse it already; the interfaces read many parameters without a form. Files are
    not looked at; JSON bodies are parsed by their views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import SuspiciousOperation

        posted = request.method == "POST" and request.content_type in FORM_TYPES
        if _has_nul(request.GET) or (posted and _has_nul(request.POST)):
            raise SuspiciousOperation("A NUL character in the request's parameters")
        return self.get_response(request)


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
    pages outside a city and the machine interfaces' ISO times keep. The admin uses its
    user's cities' zone (selectors.admin_time_zone) and says which in its header."""

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
        elif request.path.startswith("/admin/") and getattr(request.user, "is_staff", False):
            # the admin in its user's cities' zone (a call's form in that call's city's:
            # proposals.admin); its header says which
            timezone.activate(admin_time_zone(user=request.user))
        return None


def activate_language(request, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


class VisitorLanguage:
    """Which language a page speaks, after Django's LocaleMiddleware (which reads the
    language cookie, then the browser's Accept-Language):

    1. a language the visitor chose with the switcher (the cookie) wins;
    2. else a signed-in person's preferred language (set by the switcher, and the language
       of their e-mails), so pages and e-mails agree on every device;
    3. else a city's own language on its pages (a visitor who has not chosen reads Ostrava
       in Czech), and on the account pages opened from them (the header's links carry
       `next`), so signing in does not switch to the browser's English.

    In one place for every view: some city pages set the city's language themselves and
    others (exports, reports of content) did not, so one site spoke two languages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return None
        if request.path.startswith(MACHINE_PREFIXES):
            return None  # clients of the interfaces negotiate with Accept-Language alone
        user = getattr(request, "user", None)
        preferred = getattr(user, "preferred_language", "") if user else ""
        if preferred and preferred in dict(settings.LANGUAGES):
            activate_language(request, preferred)
            return None
        slug = view_kwargs.get("city")
        if slug is None and request.path.startswith("/accounts/"):
            slug = self._city_of_next(request)
        if isinstance(slug, str):
            with suppress(Http404):  # an unknown city: the view answers for it
                activate_language(request, city_get(slug=slug).default_language)
        return None

    @staticmethod
    def _city_of_next(request) -> str | None:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return None
        try:
            return resolve(urlsplit(target).path).kwargs.get("city")
        except Resolver404:
            return None
