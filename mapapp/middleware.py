"""Staff of a city that requires two-factor login cannot work until they have turned it on."""

from django.shortcuts import redirect
from django.urls import reverse

from mapapp.models import CityRole, Role

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
