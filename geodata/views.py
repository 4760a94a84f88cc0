"""The planners' dashboard: tables, a folium map and downloads; the same numbers as JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from csp.decorators import csp_replace
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from geodata.analysis import Params, analyse
from mapapp import selectors as city_selectors
from mapapp.models import Role
from proposals.access import has_role
from proposals.models import GrantCall
from proposals.views.common import load_city

LIMITS = {"min_green_m2": (0, 10_000_000), "deficit_m": (10, 5000), "action_m": (10, 5000)}


class BadParams(ValueError):
    pass


def parse_params(request, city) -> Params:
    """Analysis parameters from the query string; out-of-range values are refused (400)."""
    p = Params(city=city)
    get = request.GET
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


def _analysis(request, city):
    params = parse_params(request, city)
    return params, analyse(params).as_dict(public=not is_analyst(request.user, city))


@require_GET
def analysis_api(request, city):
    """GET /api/v1/<city>/analysis/?call=&from=&to=&min_green_m2=&deficit_m=&action_m="""
    city_obj = city_selectors.city_get(slug=city)
    try:
        _params, data = _analysis(request, city_obj)
    except BadParams as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    data["green"].pop("deficit_geojson")
    return JsonResponse(data)


@require_GET
def dashboard(request, city):
    city_obj = load_city(request, city)
    try:
        params, data = _analysis(request, city_obj)
    except BadParams as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "geodata/dashboard.html",
        {
            "city": city_obj,
            "data": data,
            "params": params,
            "query": request.GET.urlencode(),
            "analyst": is_analyst(request.user, city_obj),
            "calls": GrantCall.objects.filter(city=city_obj),
            "distances": data["green"]["distances"][:200],
        },
    )


@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
@require_GET
def dashboard_map(request, city):
    from geodata.maps import analysis_map

    city_obj = load_city(request, city)
    try:
        params, data = _analysis(request, city_obj)
    except BadParams as exc:
        return HttpResponse(str(exc), status=400)
    zones = _zones_geojson(city_obj, data)
    in_deficit = set(data["green"]["proposals_in_deficit"])
    points = _proposal_points(params, in_deficit)
    html = analysis_map(
        city=city_obj,
        zones_geojson=zones,
        deficit_geojson=data["green"]["deficit_geojson"],
        points=points,
    )
    # folium writes inline script: each of its script tags carries this response's nonce
    html = html.replace("<script", f'<script nonce="{request.csp_nonce}"')
    return HttpResponse(html)


def _zones_geojson(city, data) -> dict:
    from django.contrib.gis.db.models.functions import AsGeoJSON

    from geodata.models import Feature

    by_id = {z["id"]: z for z in data["coverage"]["zones"]}
    features = []
    for f in Feature.objects.filter(pk__in=by_id).annotate(gj=AsGeoJSON("geom", precision=6)):
        props = {k: v for k, v in by_id[f.pk].items() if k != "id"}
        props["name"] = props.get("name") or str(f.pk)
        features.append({"type": "Feature", "geometry": json.loads(f.gj), "properties": props})
    return {"type": "FeatureCollection", "features": features}


MAP_POINTS = 2000  # beyond this a folium page gets heavy; the tables and downloads have all


def _proposal_points(params, in_deficit) -> list[dict]:
    """Proposals for the dashboard map: those in the deficit first, at most MAP_POINTS."""
    from django.db.models import Case, IntegerField, Value, When

    from proposals.models import Proposal

    qs = Proposal.objects.filter(
        city=params.city,
        status__in=Proposal.PUBLIC_STATUSES,
        geom__isnull=False,
        hidden_at__isnull=True,
    )
    if params.call_id:
        qs = qs.filter(grant_call_id=params.call_id)
    qs = qs.annotate(
        first=Case(
            When(pk__in=list(in_deficit)[:MAP_POINTS], then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("first", "pk")
    return [
        {"lat": geom.y, "lon": geom.x, "name": title, "in_deficit": pk in in_deficit}
        for pk, title, geom in qs.values_list("pk", "title", "geom")[:MAP_POINTS]
    ]


@require_GET
def download(request, city, name):
    city_obj = load_city(request, city)
    try:
        _params, data = _analysis(request, city_obj)
    except BadParams as exc:
        return HttpResponse(str(exc), status=400)
    stamp = date.today().isoformat()
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
            json.dumps(_zones_geojson(city_obj, data)), content_type="application/geo+json"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{city_obj.slug}-zones-{stamp}.geojson"'
        )
        return response
    else:
        return HttpResponse(status=404)
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stem = name.removesuffix(".csv")
    response["Content-Disposition"] = f'attachment; filename="{city_obj.slug}-{stem}-{stamp}.csv"'
    return response
