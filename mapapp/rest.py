"""The REST API's GeoJSON collections: bounding box, time, ordering and paging with next links
on top of each collection's own filters, the document built by PostGIS.

A page holds up to 10,000 features (the default and the maximum), so the city maps get a
whole collection in one request up to that size; larger collections are drawn from vector
tiles. Malformed bbox, limit, offset, ordering or datetime values, and filter values outside
their choices, answer 400 with the reason; unknown parameters are ignored, as REST clients
expect (and the city map sends one query to every layer)."""

from __future__ import annotations

import json

from django.db.models import F, Q, QuerySet
from django.http import HttpResponse, JsonResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer

from geodata import exchange
from geodata.collections import points_in


class GeoJSONRenderer(JSONRenderer):
    """Lets a client that asks for GeoJSON by its own media type (RFC 7946:
    `Accept: application/geo+json`) be served: the collections answer with it, but content
    negotiation knew only application/json and refused such a client with 406."""

    media_type = "application/geo+json"
    format = "geojson"


# the renderers of every view answering a GeoJSON FeatureCollection
GEOJSON_RENDERERS = [JSONRenderer, GeoJSONRenderer]


PAGE_MAX = 10_000

CITY_PARAMETER = OpenApiParameter(
    "city",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[-a-zA-Z0-9_]+$",
    description="The city's slug, as listed by /api/v1/cities/",
)

COMMON_PARAMETERS = [
    OpenApiParameter(
        "bbox",
        OpenApiTypes.STR,
        description="minLon,minLat,maxLon,maxLat (WGS 84): features that intersect it",
    ),
    OpenApiParameter(
        "datetime",
        OpenApiTypes.STR,
        description="RFC 3339 instant or interval (a/b, ../b, a/..) on the collection's date",
    ),
    OpenApiParameter("year", OpenApiTypes.INT, description="Only this year"),
    OpenApiParameter("district", OpenApiTypes.STR, description="Only in this district"),
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description=(
            "Search words (six at most): only features holding every word in their text, "
            "in any case, with or without accents"
        ),
    ),
    OpenApiParameter(
        "limit", OpenApiTypes.INT, description=f"Page size, 1 to {PAGE_MAX} (default {PAGE_MAX})"
    ),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Features to skip"),
]

GEOJSON_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "A GeoJSON FeatureCollection (RFC 7946: lon/lat, 6 decimals, counter-clockwise "
        "exterior rings) with numberMatched, numberReturned and links (self, next, prev)."
    ),
)
BAD_REQUEST = OpenApiResponse(
    response=OpenApiTypes.OBJECT, description="A parameter is malformed: {'detail': reason}"
)
NOT_FOUND = OpenApiResponse(response=OpenApiTypes.OBJECT, description="No such city or item")


def geojson_responses(**extra) -> dict:
    """Responses of a GeoJSON endpoint, with the media type it really sends."""
    return {
        (200, "application/geo+json"): GEOJSON_RESPONSE,
        400: BAD_REQUEST,
        404: NOT_FOUND,
        **extra,
    }


def ordering_parameter(allowed: dict[str, str]) -> OpenApiParameter:
    names = sorted(allowed)
    return OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=[*names, *(f"-{n}" for n in names)],
        description="Sort by this property; a leading minus sorts in descending order",
    )


def checked_choices(params, choices: dict[str, list[str]], *, year: bool) -> None:
    """Every value of a collection's choice filters (`status`, `category`, `call`, ...) one of
    its choices, and `year` (where the collection has one) a year: else BadQuery naming it,
    as the OGC API and the tiles answer, not the whole collection as if unfiltered (a client
    asking for a misspelt status got every proposal). An empty value is no filter, as a
    form's "all" sends it."""
    from django.utils import timezone

    from mapapp.filters import parse_common

    for name, allowed in choices.items():
        for value in params.getlist(name):
            if value and value not in allowed:
                raise exchange.BadQuery(
                    _("%(name)s: %(value)s is not one of %(allowed)s.")
                    % {"name": name, "value": value[:40], "allowed": ", ".join(allowed)}
                )
    if year and params.get("year") and parse_common(params)["year"] is None:
        raise exchange.BadQuery(
            _("year: a year such as %(year)s is expected.") % {"year": timezone.now().year}
        )


def bad_request(error: exchange.BadQuery) -> JsonResponse:
    return JsonResponse({"detail": str(error)}, status=400)


def collection_response(
    request,
    qs: QuerySet,
    *,
    properties: list[str],
    orderings: dict[str, str],
    choices: dict[str, list[str]] | None = None,
    datetime_field: str | None = None,
    points: bool = False,
) -> HttpResponse:
    """One page of `qs` as GeoJSON. `orderings` maps public names to model fields; `choices`
    the collection's choice filters to their values (checked_choices); `points` says that
    `geom` holds points only (its bbox filter is then cheaper, see points_in)."""
    p = request.GET
    try:  # `year` is one of the collections with a time (COMMON_PARAMETERS)
        checked_choices(p, choices or {}, year=datetime_field is not None)
        limit = exchange.parse_limit(p.get("limit"), default=PAGE_MAX, maximum=PAGE_MAX)
        offset = exchange.parse_offset(p.get("offset"))
        if p.get("bbox"):
            box = exchange.parse_bbox(p["bbox"], bbox_crs=None)
            qs = qs.filter(points_in("geom", box) if points else Q(geom__intersects=box))
        if p.get("datetime"):
            if not datetime_field:
                raise exchange.BadQuery(_("datetime: this collection has no time."))
            qs = qs.filter(
                exchange.datetime_q(
                    p["datetime"], datetime_field, is_date=datetime_field.endswith("_on")
                )
            )
        order = p.get("ordering", "")
        ordering: tuple[str, ...] = ("id",)
        if order:
            name = order.lstrip("-")
            if name not in orderings:
                raise exchange.BadQuery(
                    _("ordering: use one of %(names)s, with a leading minus to reverse.")
                    % {"names": ", ".join(sorted(orderings))}
                )
            field = orderings[name]
            ordering = (f"-{field}" if order.startswith("-") else field, "id")
    except exchange.BadQuery as e:
        return bad_request(e)
    features, returned = exchange.features_json(
        qs,
        properties=properties,
        limit=limit,
        offset=offset,
        ordering=ordering,
        geometry=F("geom"),
        id_property=True,
    )
    matched = returned if (offset == 0 and returned < limit) else exchange.matched(qs)
    base = request.build_absolute_uri(request.path)
    query = {k: v for k, v in p.items() if k not in ("offset",)}
    links = [{"rel": "self", "href": request.build_absolute_uri()}]
    if offset + returned < matched:
        links.append(
            {"rel": "next", "href": f"{base}?{urlencode({**query, 'offset': offset + limit})}"}
        )
    if offset:
        prev = {**query, "offset": max(0, offset - limit)}
        links.append({"rel": "prev", "href": f"{base}?{urlencode(prev)}"})
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "links": links,
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + features + "}"
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")
