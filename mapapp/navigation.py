"""Where a form goes back to after it is posted."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def posted_next(request, default: str) -> str:
    """The form's `next` field when it points into this site (as Django's LoginView checks
    it: same host, and https when the request is), else `default`. Never an outside address:
    a crafted form must not send people elsewhere."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
