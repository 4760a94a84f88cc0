"""Rate limits for what residents and applications write: per user and per address, in
fixed windows counted in the cache. Logins, sign-ups and password resets are limited by
django-allauth (ACCOUNT_RATE_LIMITS); this covers supports, proposals, site reports, uploads
and Open311 posts.

The counters live in the cache, so a deployment with several workers needs a shared cache
(CACHE_URL: the database cache or Redis) for the limits to hold across workers; with the
default in-process cache each worker counts on its own."""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MACHINE_PREFIXES = ("/api/", "/ogcapi/", "/open311/", "/tiles/")


def _parse(rate: str) -> tuple[int, int]:
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period[-1]] * int(period[:-1] or 1)


def client_address(request) -> str:
    header = getattr(settings, "RATE_LIMIT_ADDRESS_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()  # the proxy's view of the client
    return request.META.get("REMOTE_ADDR", "")


def over_limit(scope: str, request) -> int:
    """Counts this request; 0 if it may go on, else the seconds until the window ends."""
    rate = settings.RATE_LIMITS.get(scope)
    if not rate:
        return 0
    limit, window = _parse(rate)
    now = int(time.time())
    start = now - now % window
    # People share addresses (a community meeting on one Wi-Fi, a library): when the user
    # is known, the address may carry RATE_LIMIT_ADDRESS_FACTOR times the user's limit.
    user = getattr(request, "user", None)
    known = user is not None and user.is_authenticated
    factor = settings.RATE_LIMIT_ADDRESS_FACTOR if known else 1
    keys = [(f"rl:{scope}:a:{client_address(request)}:{start}", limit * factor)]
    if known:
        keys.append((f"rl:{scope}:u:{user.pk}:{start}", limit))
    over = False
    for key, allowed in keys:
        cache.add(key, 0, window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
        over = over or count > allowed
    return (start + window - now) if over else 0


def limit_message(wait: int) -> str:
    minutes = max(1, (wait + 59) // 60)
    return _("Too many requests. Please wait %(minutes)s minutes and try again.") % {
        "minutes": minutes
    }


def limited_response(request, wait: int):
    text = limit_message(wait)
    if request.path.startswith(MACHINE_PREFIXES):
        response = JsonResponse({"detail": text}, status=429)
    else:
        response = render(request, "429.html", {"message": text}, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limit(scope: str, methods=("POST",)):
    """View decorator: counts requests of these methods against RATE_LIMITS[scope]."""

    def decorate(view):
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            if request.method in methods:
                wait = over_limit(scope, request)
                if wait:
                    return limited_response(request, wait)
            return view(request, *args, **kwargs)

        return inner

    return decorate
