"""Public proposals as GeoJSON for the city map and outside tools (public fields only), and
the grant calls' public facts."""

import datetime as dt
from decimal import Decimal

from django.db.models import F
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata.exchange import data_stamp
from mapapp import rest
from mapapp import selectors as city_selectors
from proposals import selectors
from proposals.models import Proposal


def _etag(request, city):
    """Changes when any proposal of the city changes (support services touch updated_at too),
    and differs per query and language."""
    city_obj = city_selectors.city_get(slug=city)
    stamp = data_stamp(Proposal, city_obj)
    return f'"{stamp}-{get_language()}-{request.GET.urlencode()}"'


ORDERINGS = {
    "id": "id",
    "title": "title",
    "published": "published_at",
    "support_count": "support_count",
}


# Compressed here rather than site-wide: this response holds no secrets (BREACH), and a
# city's proposals compress about 15:1.
@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_etag), name="get")
class ProposalCollectionApi(APIView):
    """Public proposals of a city as a GeoJSON FeatureCollection.

    Properties: id, title, status, category, call, support_count. The geometry is the
    proposal's location point (a drawn area is in OGC API Features and the exports). Labels
    and page URLs are derived by the client, so each feature stays small."""

    renderer_classes = rest.GEOJSON_RENDERERS

    @extend_schema(
        operation_id="proposals_list",
        parameters=[
            rest.CITY_PARAMETER,
            OpenApiParameter("status", OpenApiTypes.STR, many=True, enum=Proposal.PUBLIC_STATUSES),
            OpenApiParameter(
                "category", OpenApiTypes.STR, many=True, enum=Proposal.Category.values
            ),
            OpenApiParameter("call", OpenApiTypes.INT, description="Grant call id"),
            *rest.COMMON_PARAMETERS,
            rest.ordering_parameter(ORDERINGS),
        ],
        responses=rest.geojson_responses(),
    )
    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET, city=city_obj)
        qs = selectors.public_proposals(city=city_obj, filters=filters).annotate(
            call=F("grant_call_id")
        )
        return rest.collection_response(
            request,
            qs,
            properties=["title", "status", "category", "call", "support_count"],
            orderings=ORDERINGS,
            choices=selectors.filter_choices(city=city_obj, params=request.GET),
            datetime_field="published_at",
            points=True,  # geom is a PointField
        )


def _utc(moment) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def figures_json(row) -> dict:
    """What a call (or all of them) did, as the calls page's "so far" counts it: hidden
    proposals left out, no money spent (the officers' record)."""
    return {
        "supporters": row.supporters,
        "granted_count": row.granted,
        "granted_total": str(row.granted_sum or Decimal("0.00")),
        "built_count": row.completed,
        "volunteer_hours": str(row.volunteer_hours),
        "area_m2": round(row.area_m2),
    }


def results_json(request, city, results) -> dict:
    """A call's results (selectors.CallResults) as its page shows them: the granted projects
    by name, the largest grant first; hidden ones only counted and summed."""

    def page(p):
        path = reverse("proposals:detail", kwargs={"city": city.slug, "pk": p.pk})
        return request.build_absolute_uri(path)

    return {
        "grants": [
            {
                "id": p.pk,
                "title": p.title,
                "category": p.category,
                "requested_amount": str(p.requested_amount),
                "granted_amount": str(p.granted_amount),
                "status": p.status,
                "href": page(p),
            }
            for p in results.granted
        ],
        "withheld_count": results.withheld_count,
        "withheld_total": str(results.withheld_sum),
        "not_granted_count": results.not_granted_count,
        "undecided_count": results.undecided_count,
        "revoked_count": results.revoked_count,
    }


def decision_json(call) -> dict | None:
    """The city's act deciding the call's grants, if the officers named it."""
    if not call.decision_reference:
        return None
    return {"reference": call.decision_reference, "url": call.decision_url or None}


def call_json(request, city, call, figures=None, results=None, scores=None) -> dict:
    """A call's public facts, for open-data users: what the call pages show, with every
    language of its title and description, times in UTC and amounts as decimal strings;
    `figures` (selectors.CallFigures, public), what it did so far; `results`
    (selectors.CallResults), what the city decided; `scores` (selectors.published_scores),
    the committee's final scores where the call publishes them (one call's page only)."""
    page = reverse("proposals:call", kwargs={"city": city.slug, "call_id": call.pk})
    items = reverse("api:proposals", kwargs={"city": city.slug}) + f"?call={call.pk}"
    out = {
        "id": call.pk,
        "title": call.title,
        "description": call.description,
        "state": selectors.call_state(call),
        "opens_at": _utc(call.opens_at),
        "closes_at": _utc(call.closes_at),
        "time_zone": city.time_zone,
        "currency": city.currency,
        "total_budget": str(call.total_budget),
        "project_cap": str(call.project_cap),
        "applicants": [
            kind
            for kind, allowed in (("individual", call.allow_individuals), ("ngo", call.allow_ngos))
            if allowed
        ],
        "min_supporters": call.min_supporters,
        "supporter_min_age": call.supporter_min_age,
        "landowner_consent_required": call.landowner_consent_required,
        "max_area_m2": call.max_area_m2,
        "rounds": call.rounds,
        "committee_size": call.committee_size,
        "current_round": call.current_round,
        "sustainability_months": call.sustainability_months,
        "publish_scores": call.publish_scores,
        "criteria": [
            {"key": c.key, "name": c.name, "weight": str(c.weight)} for c in call.criteria.all()
        ],
        "proposal_count": call.proposal_count,
        "granted_count": call.granted_count,
        "granted_total": str(call.granted_sum or Decimal("0.00")),
        "links": [
            {"rel": "alternate", "type": "text/html", "href": request.build_absolute_uri(page)},
            {
                "rel": "items",
                "type": "application/geo+json",
                "href": request.build_absolute_uri(items),
            },
        ],
    }
    if figures is not None:
        out["figures"] = figures_json(figures)
    if results is not None:
        out["results"] = results_json(request, city, results) | {"decision": decision_json(call)}
    if scores:
        out["results"]["scores"] = [
            {
                "rank": row.rank,
                "score": round(row.score, 2),
                "id": row.proposal.pk if row.proposal else None,  # None: withheld, not named
                "title": row.proposal.title if row.proposal else None,
                "status": row.proposal.status if row.proposal else None,
            }
            for row in scores
        ]
    return out


class CallListApi(APIView):
    """A city's grant calls, the latest first: dates (UTC), budget and cap (decimal strings
    in the city's currency), who may apply, supporters needed, landowner consent, rounds,
    sustainability period, criteria and weights, and the public proposals and grants so far;
    each call's `results` (the granted projects by name with their amounts, the proposals
    not granted and still to be decided counted), its `figures` (supporters, grants, projects
    built, volunteer hours, the granted projects' drawn area in m²) and their `totals`, as the
    calls page's "so far" counts them.
    No personal data."""

    @extend_schema(
        operation_id="calls_list",
        parameters=[rest.CITY_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 404: rest.NOT_FOUND},
    )
    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        calls = selectors.calls_with_counts(city=city_obj)
        rows, totals = selectors.public_figures(city=city_obj)
        figures = {row.call.pk: row for row in rows}
        results = selectors.call_results(grant_calls=calls)
        return Response({
            "calls": [
                call_json(request, city_obj, c, figures[c.pk], results[c.pk]) for c in calls
            ],
            "currency": city_obj.currency,
            "totals": figures_json(totals),
        })  # fmt: skip


class CallApi(APIView):
    """One grant call of the city (as in the list)."""

    @extend_schema(
        operation_id="call_detail",
        parameters=[rest.CITY_PARAMETER, OpenApiParameter("call_id", int, OpenApiParameter.PATH)],
        responses={200: OpenApiTypes.OBJECT, 404: rest.NOT_FOUND},
    )
    def get(self, request, city, call_id):
        city_obj = city_selectors.city_get(slug=city)
        call = selectors.public_call(city=city_obj, call_id=call_id)
        rows, _totals = selectors.public_figures(city=city_obj)
        figures = next(row for row in rows if row.call.pk == call.pk)
        results = selectors.call_results(grant_calls=[call])[call.pk]
        scores = selectors.published_scores(grant_call=call)
        return Response(call_json(request, city_obj, call, figures, results, scores))


class NetworkFiguresApi(APIView):
    """The programme across the cities served here (as /figures/ shows it): each city's
    calls and `figures`, counted as its calls page counts them (hidden proposals left out),
    and the network's `totals`: counts summed, money (`granted_total`) summed within each
    currency only. For the network's own site and dashboards. No personal data."""

    @extend_schema(
        operation_id="network_figures",
        parameters=[
            OpenApiParameter(
                "year",
                int,
                description="Only the calls opened in this year (on each city's "
                "clock), with everything their proposals have done since.",
                required=False,
            )
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        try:
            year = selectors.figures_year(request.query_params.get("year"))
        except ValueError:
            return Response({"year": [_("Give a year such as 2026.")]}, status=400)
        network = selectors.network_figures(year=year)
        cities = [
            {
                "slug": row.city.slug,
                "name": row.city.name,
                "currency": row.city.currency,
                "calls": row.calls,
                "calls_url": request.build_absolute_uri(
                    reverse("api:calls", kwargs={"city": row.city.slug})
                ),
                "figures": figures_json(row.figures),
            }
            for row in network.cities
        ]
        totals = {k: v for k, v in figures_json(network.totals).items() if k != "granted_total"}
        totals["calls"] = network.calls
        totals["granted_total"] = {code: str(amount) for code, amount in network.money.items()}
        return Response({"year": year, "years": network.years, "cities": cities,
                         "totals": totals})  # fmt: skip
