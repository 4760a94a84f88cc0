"""Rate limits for what residents and applications write: per user and per address, in
fixed windows. Logins, sign-ups and password resets are limited by django-allauth
(ACCOUNT_RATE_LIMITS, counted in the default cache, which is shared by all workers in
production); this covers supports, proposals, site reports, uploads, exports and Open311 posts.

The counters are rows of mapapp_ratecount, each raised by one INSERT ... ON CONFLICT: every
worker of a deployment adds to the same count, and two requests at the same moment cannot
both read the old number (a cache's get-and-set could, and an in-process cache would give
each worker a limit of its own)."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mapapp.errors import MACHINE_PREFIXES

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse(rate: str) -> tuple[int, int]:
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period[-1]] * int(period[:-1] or 1)


def client_address(request) -> str:
    """The client's address: behind the deployment's proxy, the one the proxy saw
    (RATE_LIMIT_ADDRESS_HEADER), else the connection's. django-allauth's limits on logins,
    sign-ups and resets use it too (mapapp.adapters), so both count clients, not the proxy."""
    header = getattr(settings, "RATE_LIMIT_ADDRESS_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()  # the proxy's view of the client
    return request.META.get("REMOTE_ADDR", "")


def address_key(address: str) -> str:
    """What a limit counts per address: an IPv6 address by its /64 network (one household
    or machine holds a whole /64, and would otherwise have 2^64 limits), as django-allauth
    does; anything else as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def _count(key: str, ends: int) -> int:
    """Adds one to the count under `key` (a window ending at the Unix time `ends`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO mapapp_ratecount (key, ends_at, n) VALUES (%s, %s, 1)"
            " ON CONFLICT (key) DO UPDATE SET n = mapapp_ratecount.n + 1 RETURNING n",
            [key[:255], dt.datetime.fromtimestamp(ends, tz=dt.UTC)],
        )
        return cursor.fetchone()[0]


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
    keys = [(f"rl:{scope}:a:{address_key(client_address(request))}:{start}", limit * factor)]
    if known:
        keys.append((f"rl:{scope}:u:{user.pk}:{start}", limit))
    over = False
    for key, allowed in keys:
        over = _count(key, start + window) > allowed or over
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
