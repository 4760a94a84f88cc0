"""Reading what a form posts: where it goes back to, and which row it names."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def posted_next(request, default: str) -> str:
    """The form's `next` field when it points into this site (as Django's LoginView checks
    it: same host, and https when the request is), else `default`. Never an outside address:
    a crafted form must not send people elsewhere. Only a path from the site's root or a
    whole address: anything else ("-1") Django's redirect() would look up as a view's name,
    and fail."""
    target = request.POST.get("next", "")
    if (
        target
        and _an_address(target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def _an_address(target: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return target.startswith("/") or bool(urlsplit(target).scheme)
    except ValueError:  # "http://[::1": not one
        return False


def posted_id(request, name: str) -> int | None:
    """The row id a form posts in `name`, or None when it is not a whole number (a crafted
    or damaged form): looked up, None finds nothing, so the answer is 404, not an error."""
    value = request.POST.get(name, "").strip()
    return int(value) if value.isdecimal() and len(value) < 19 else None


def posted_ids(request, name: str) -> list[int]:
    """The row ids a form posts in `name` (checkboxes): the whole numbers among them."""
    values = (v.strip() for v in request.POST.getlist(name))
    return [int(v) for v in values if v.isdecimal() and len(v) < 19]


def city_of_next(request):
    """The active city whose page the visitor came from, as the `next` field or parameter a
    sign-in, sign-up or reset form carries names it (/koszalin/proposals/new/), or None."""
    from urllib.parse import urlsplit

    from django.http import Http404
    from django.urls import Resolver404, resolve

    from mapapp.selectors import city_get

    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    try:
        slug = resolve(urlsplit(target).path).kwargs.get("city")
        return city_get(slug=slug) if slug else None
    except (Resolver404, Http404):
        return None
