"""The planners' dashboard: tables, a folium map and downloads; the same numbers as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from geodata import selectors
from geodata.analysis import Params, public_view
from geodata.analysis_results import (
    analysis_current,
    analysis_data,
    analysis_refresh_request,
    analysis_result_get,
)
from geodata.models import AnalysisResult
from mapapp import selectors as city_selectors
from mapapp.authentication import token_user
from mapapp.models import Role
from mapapp.ratelimit import limit_message, over_limit
from mapapp.spreadsheets import csv_response
from proposals.access import has_role
from proposals.models import GrantCall
from proposals.views.common import load_city

LIMITS = {"min_green_m2": (0, 10_000_000), "deficit_m": (10, 5000), "action_m": (10, 5000)}


COLUMNS = {
    "zones.csv": ["id", "name", "kind", "population", "proposals", "granted", "granted_amount",
                  "interventions", "amount_per_resident"],
    "distances.csv": ["type", "id", "name", "to_green_m", "to_water_m"],
    "districts.csv": ["id", "name", "population", "area_m2", "deficit_m2", "deficit_share"],
}  # fmt: skip


class BadParams(ValueError):
    pass


def parse_params(get: QueryDict, city) -> Params:
    """Analysis parameters from a query string; out-of-range values are refused (400)."""
    p = Params(city=city)
    call = get.get("call", "")
    if call:
        if not call.isdigit() or not GrantCall.objects.filter(city=city, pk=int(call)).exists():
            raise BadParams(_("Unknown call."))
        p.call_id = int(call)
    for key, attr in (("from", "date_from"), ("to", "date_to")):
        if get.get(key):
            try:
                setattr(p, attr, date.fromisoformat(get[key]))
            except ValueError as exc:
                raise BadParams(_("Dates are YYYY-MM-DD.")) from exc
    for key, (low, high) in LIMITS.items():
        if get.get(key):
            try:
                value = float(get[key])
            except ValueError as exc:
                raise BadParams(f"{key}: {_('Enter a number.')}") from exc
            if not low <= value <= high:
                raise BadParams(f"{key}: {low}–{high}")
            setattr(p, key, value)
    return p


def is_analyst(user, city) -> bool:
    return has_role(user, city, Role.PLANNER, Role.PROGRAMME_OFFICER)


@dataclass
class Shown:
    """An analysis as a page shows it: the stored result (data is None until a first one is
    computed), whether it is fresh, and the data as this visitor may see them."""

    params: Params
    result: AnalysisResult
    fresh: bool
    data: dict | None
    wait: int = 0  # seconds, when this visitor may not start a computation now

    @property
    def retry_after(self) -> int:  # seconds: about the last computation's time
        return max(2, min(60, round((self.result.seconds or 5) / 2)))


def _analysis(request, city, *, distances: bool = False) -> Shown:
    """The analysis shown to this visitor; the distances of every place only if asked."""
    params = parse_params(request.GET, city)
    wait = 0

    def allow() -> bool:  # each new computation counts against the visitor's rate limit
        nonlocal wait
        wait = over_limit("analysis", request)
        return not wait

    result, fresh = analysis_current(params, allow=allow)
    data = analysis_data(result, distances=distances)
    if data is not None and not is_analyst(request.user, city):
        data = public_view(data)
    return Shown(params, result, fresh, data, wait)


def _text(message: str, *, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _pending(shown: Shown, *, as_json: bool = False) -> HttpResponse:
    """Until a first result is there: 202 (JSON) or 503 (the files and the map) with
    Retry-After while it is computed; 503 when it failed; 429 with Retry-After when this
    visitor has started too many computations (RATE_LIMITS["analysis"])."""
    if shown.wait:
        message = limit_message(shown.wait)
        if as_json:
            response = JsonResponse({"detail": message}, status=429)
        else:
            response = _text(message, status=429)
        response["Retry-After"] = str(shown.wait)
        return response
    failed = shown.result.state == AnalysisResult.State.FAILED
    if failed:
        message = _("The analysis could not be computed. Planners and officers can see why.")
    else:
        message = _("The analysis is being computed. Please try again in a moment.")
    if as_json:
        body = {"state": shown.result.state, "requested_at": shown.result.requested_at,
                "detail": message}  # fmt: skip
        response = JsonResponse(body, status=503 if failed else 202)
    else:
        response = _text(message, status=503)
    if not failed:
        response["Retry-After"] = str(shown.retry_after)
    return response


@token_user  # planners' scripts read the whole analysis with their token
@require_GET
def analysis_api(request, city):
    """GET /api/v1/<city>/analysis/?call=&from=&to=&min_green_m2=&deficit_m=&action_m=

    202 with Retry-After while a large city's first result is computed; afterwards the last
    result, with `computed_at` and `fresh` (false while a refresh of it runs)."""
    city_obj = city_selectors.city_get(slug=city)
    try:
        shown = _analysis(request, city_obj, distances=True)
    except BadParams as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if shown.data is None:
        return _pending(shown, as_json=True)
    green = {k: v for k, v in shown.data["green"].items() if k != "deficit_geojson"}
    data = {**shown.data, "green": green}  # a new dict: public_view shares its parts
    data["computed_at"] = shown.result.computed_at
    data["fresh"] = shown.fresh
    return JsonResponse(data)


@require_GET
def dashboard(request, city):
    city_obj = load_city(request, city)
    try:
        shown = _analysis(request, city_obj)
    except BadParams as exc:
        return _text(str(exc), status=400)
    if shown.data is None and shown.wait:
        return _pending(shown)
    return render(
        request,
        "geodata/dashboard.html",
        {
            "city": city_obj,
            "data": shown.data,
            "shown": shown,
            "params": shown.params,
            "query": request.GET.urlencode(),
            "analyst": is_analyst(request.user, city_obj),
            "calls": GrantCall.objects.filter(city=city_obj),
        },
    )


@require_POST
def refresh(request, city):
    """An analyst asks for the analysis to be computed again (after a failure, say)."""
    city_obj = load_city(request, city)
    if not is_analyst(request.user, city_obj):
        raise PermissionDenied
    query = request.POST.get("query", "")
    try:
        params = parse_params(QueryDict(query), city_obj)
    except BadParams as exc:
        return _text(str(exc), status=400)
    if analysis_refresh_request(analysis_result_get(params)):
        messages.success(request, _("The analysis will be computed again."))
    else:
        messages.info(request, _("The analysis is already being computed."))
    url = reverse("geodata:dashboard", kwargs={"city": city_obj.slug})
    return redirect(f"{url}?{query}" if query else url)


@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
@require_GET
def dashboard_map(request, city):
    from geodata.maps import analysis_map

    city_obj = load_city(request, city)
    try:
        shown = _analysis(request, city_obj)
    except BadParams as exc:
        return _text(str(exc), status=400)
    if shown.data is None:
        return _pending(shown)
    data = shown.data
    zones = selectors.analysis_zones_geojson(data=data)
    in_deficit = set(data["green"]["proposals_in_deficit"])
    points = selectors.analysis_map_points(params=shown.params, in_deficit=in_deficit)
    search = city_selectors.place_search(city_obj)  # "find a place" over the map, if any
    html = analysis_map(
        city=city_obj,
        zones_geojson=zones,
        deficit_geojson=data["green"]["deficit_geojson"],
        points=points,
        place_search=render_to_string(
            "mapapp/_place_search.html",
            {"search": search, "control": True, "position": "topleft"}, request=request,
        ) if search else "",
    )  # fmt: skip
    # folium writes inline script: each of its script tags carries this response's nonce
    html = html.replace("<script", f'<script nonce="{request.csp_nonce}"')
    return HttpResponse(html)


@token_user
@require_GET
def download(request, city, name):
    city_obj = load_city(request, city)
    try:
        shown = _analysis(request, city_obj, distances=name == "distances.csv")
    except BadParams as exc:
        return _text(str(exc), status=400)
    if shown.data is None:
        return _pending(shown)
    data = shown.data
    stamp = (shown.result.computed_at or timezone.now()).date().isoformat()
    if name == "zones.csv":
        rows = data["coverage"]["zones"]
    elif name == "distances.csv":
        rows = data["green"]["distances"]
    elif name == "districts.csv":
        rows = data["green"]["districts"]
    elif name == "deficit.geojson":
        body = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": json.loads(data["green"]["deficit_geojson"]),
                    "properties": {
                        "area_m2": data["green"]["deficit_area_m2"],
                        "deficit_distance_m": data["green"]["deficit_distance_m"],
                        "min_green_m2": data["green"]["min_green_m2"],
                    },
                }
            ],
        }
        response = HttpResponse(json.dumps(body), content_type="application/geo+json")
        response["Content-Disposition"] = (
            f'attachment; filename="{city_obj.slug}-green-deficit-{stamp}.geojson"'
        )
        return response
    elif name == "zones.geojson":
        response = HttpResponse(
            json.dumps(selectors.analysis_zones_geojson(data=data)),
            content_type="application/geo+json",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{city_obj.slug}-zones-{stamp}.geojson"'
        )
        return response
    else:
        return HttpResponse(status=404)
    # stored as jsonb, which keeps no key order: the columns in a fixed one
    order = COLUMNS[name]
    if rows:
        fields = [k for k in order if k in rows[0]] + [k for k in rows[0] if k not in order]
    else:
        fields = list(order)  # an empty table still says what its columns are
    stem = name.removesuffix(".csv")
    return csv_response(
        fields,
        ([row.get(k) for k in fields] for row in rows),
        filename=f"{city_obj.slug}-{stem}-{stamp}.csv",
    )
