"""API tokens: how a request that carries one is let in.

A token (made by its holder at /me/token/, mapapp.services.api_token_issue) is good for
API_TOKEN_DAYS from when it was made (365 by default; 0 for no end), then refused with a
message that says when it ended and where to make a new one.

The REST API reads it through DRF (ExpiringTokenAuthentication, in REST_FRAMEWORK). The
other ways GIS staff and planners take data, which are plain Django views (OGC API -
Features, vector tiles, exports and their jobs, the analysis API and its downloads), read
it through `token_user`, with the same rules: QGIS and GDAL send the same header to all
of them."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_expires(token) -> dt.datetime | None:
    """When the token ends (None: API_TOKEN_DAYS is 0, tokens do not end)."""
    days = settings.API_TOKEN_DAYS
    return token.created + dt.timedelta(days=days) if days else None


def token_expired(token, now: dt.datetime | None = None) -> bool:
    ends = token_expires(token)
    return ends is not None and ends <= (now or timezone.now())


USE_PRECISION_SECONDS = 3600  # a token's last use is noted this finely


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing a token older than API_TOKEN_DAYS, and noting
    when a token was last used."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            ended = date_format(timezone.localtime(token_expires(token)), "DATE_FORMAT")
            raise exceptions.AuthenticationFailed(
                _("This token ended on %(date)s. Make a new one at %(url)s.")
                % {"date": ended, "url": reverse("my-token")}
            )
        note_use(token)
        return user, token


def note_use(token) -> None:
    """ApiTokenRecord.last_used_at, written at most once an hour per worker (the process's
    own cache remembers that it was): a script reading pages of features makes thousands
    of requests, and each must not cost a write."""
    from django.core.cache import caches

    from mapapp.models import ApiTokenRecord

    seen = "token-used:" + hashlib.blake2s(token.key.encode(), digest_size=12).hexdigest()
    if caches["local"].add(seen, True, USE_PRECISION_SECONDS):
        ApiTokenRecord.objects.update_or_create(
            token=token, defaults={"last_used_at": timezone.now()}
        )


def token_authenticate(request) -> None:
    """Signs in, for this request only, the holder of the token in the Authorization
    header (`Token <key>`), as the REST API does. No such header: the request goes on as it
    came (its session, or anonymous). A token that is unknown, ended, or whose holder's
    account is closed raises DRF's AuthenticationFailed with the reason."""
    found = ExpiringTokenAuthentication().authenticate(request)
    if found is not None:
        request.user = found[0]


def token_refused(text: str) -> JsonResponse:
    """The 401 of a refused token: its reason as JSON, as the REST API answers it."""
    return JsonResponse({"detail": text}, status=401)


def token_user(view=None, *, refused=token_refused):
    """View decorator for the plain views that serve data to GIS clients: a token in the
    request signs its holder in (token_authenticate); a refused token answers 401 with
    the reason (`refused(text)`, JSON by default) and `WWW-Authenticate: Token`. Answers
    vary with Authorization: what a token opens must not be kept by a shared cache for
    others."""

    def decorate(view):
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            try:
                token_authenticate(request)
            except exceptions.AuthenticationFailed as e:
                response = refused(str(e.detail))
                response.status_code = 401
                response["WWW-Authenticate"] = "Token"  # as DRF answers
            else:
                response = view(request, *args, **kwargs)
            patch_vary_headers(response, ["Authorization"])
            return response

        return inner

    return decorate(view) if view is not None else decorate
