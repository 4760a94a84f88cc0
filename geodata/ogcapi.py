"""OGC API - Features, Part 1 (core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS by reference),
at /ogcapi/<city>/, over the collections of geodata.collections.

Thin views: parameters are parsed by geodata.exchange (a BadQuery is a 400 with its text),
features are built by PostGIS. A browser (Accept: text/html) gets HTML, anything else JSON;
`f=json|html` overrides."""

from __future__ import annotations

import datetime as dt
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geodata import exchange
from geodata.collections import Collection, city_collections, collection_get
from mapapp import selectors as city_selectors
from mapapp.authentication import token_user
from mapapp.errors import NotFound

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3, filtering with CQL2 (geodata.cql)
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
]
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 100
ITEMS_PARAMS = {"f", "limit", "offset", "cursor", "bbox", "bbox-crs", "crs", "datetime"}


def _wants_html(request) -> bool:
    f = request.GET.get("f", "")
    if f:
        if f not in ("json", "html", "geojson"):
            raise exchange.BadQuery(_("f: use json or html."))
        return f == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept


def _error(status: int, code: str, text: str) -> JsonResponse:
    response = JsonResponse({"code": code, "description": text}, status=status)
    response["Vary"] = "Accept"
    return response


def _json(data, content_type="application/json", status=200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type=content_type, status=status
    )
    response["Vary"] = "Accept"
    return response


def _check_params(request, allowed: set[str]) -> None:
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise exchange.BadQuery(
            _("Unknown query parameter: %(names)s. Allowed: %(allowed)s.")
            % {"names": ", ".join(unknown)[:200], "allowed": ", ".join(sorted(allowed))}
        )


def _refused(text: str) -> JsonResponse:
    return _error(401, "Unauthorized", text)


def ogc_view(allowed=frozenset({"f"})):
    """GET only; known parameters only; BadQuery -> 400, a missing city -> 404 (JSON); an
    API token signs its holder in (QGIS and GDAL read non-public layers with it), a refused
    one -> 401."""

    def wrap(view):
        def inner(request, city, **kwargs):
            try:
                city_obj = city_selectors.city_get(slug=city)
            except Http404:
                return _error(404, "NotFound", _("No such city."))
            try:
                extra = allowed(city_obj, kwargs, request) if callable(allowed) else allowed
                _check_params(request, set(extra))
                return view(request, city_obj, **kwargs)
            except exchange.BadQuery as e:
                return _error(400, "InvalidParameterValue", str(e))
            except Http404 as e:
                return _error(404, "NotFound", str(e) or _("Not found."))

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return token_user(require_GET(inner), refused=_refused)

    return wrap


def _url(request, name, city, query=None, **kwargs) -> str:
    url = request.build_absolute_uri(
        reverse(f"ogcapi:{name}", kwargs={"city": city.slug, **kwargs})
    )
    return f"{url}?{urlencode(query)}" if query else url


def _self_links(request, name, city, title, json_type="application/json", **kwargs):
    html = _wants_html(request)
    return [
        {
            "rel": "self",
            "type": "text/html" if html else json_type,
            "title": title,
            "href": _url(request, name, city, {"f": "html" if html else "json"}, **kwargs),
        },
        {
            "rel": "alternate",
            "type": json_type if html else "text/html",
            "title": title,
            "href": _url(request, name, city, {"f": "json" if html else "html"}, **kwargs),
        },
    ]


@ogc_view()
def landing(request, city):
    data = {
        "title": _("We Create Space: %(city)s") % {"city": city.name},
        "description": _(
            "Proposals, neglected sites, completed projects and reference layers of %(city)s, "
            "as OGC API - Features."
        )
        % {"city": city.name},
        "links": [
            *_self_links(request, "landing", city, _("This document")),
            {
                "rel": "service-desc",
                "type": OPENAPI,
                "title": _("The API definition"),
                "href": _url(request, "api", city),
            },
            {
                "rel": "service-doc",
                "type": "text/html",
                "title": _("The API documentation"),
                "href": request.build_absolute_uri(reverse("api:docs")),
            },
            {
                "rel": "conformance",
                "type": "application/json",
                "title": _("Conformance"),
                "href": _url(request, "conformance", city),
            },
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                "type": "application/json",
                "title": _("Conformance"),
                "href": _url(request, "conformance", city),
            },
            {
                "rel": "data",
                "type": "application/json",
                "title": _("Collections"),
                "href": _url(request, "collections", city),
            },
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/data",
                "type": "application/json",
                "title": _("Collections"),
                "href": _url(request, "collections", city),
            },
        ],
    }
    if _wants_html(request):
        return render(request, "geodata/ogcapi/landing.html", {"city": city, "doc": data})
    return _json(data)


@ogc_view()
def conformance(request, city):
    data = {"conformsTo": CONFORMANCE}
    if _wants_html(request):
        return render(request, "geodata/ogcapi/conformance.html", {"city": city, "doc": data})
    return _json(data)


def _collection_doc(request, city, c: Collection) -> dict:
    qs = c.queryset()
    spatial = exchange.extent(qs) or list(city_selectors.city_extent(city=city))
    doc = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "keywords": list(c.keywords),
        "itemType": "feature",
        "extent": {
            "spatial": {"bbox": [spatial], "crs": exchange.CRS84},
        },
        "crs": exchange.offered_crs(city),
        "storageCrs": exchange.CRS84,
        "links": [
            {
                "rel": "self",
                "type": "application/json",
                "title": c.title,
                "href": _url(request, "collection", city, collection_id=c.id),
            },
            {
                "rel": "alternate",
                "type": "text/html",
                "title": c.title,
                "href": _url(request, "collection", city, {"f": "html"}, collection_id=c.id),
            },
            {
                "rel": "items",
                "type": GEOJSON,
                "title": _("Features"),
                "href": _url(request, "items", city, collection_id=c.id),
            },
            {
                "rel": "items",
                "type": "text/html",
                "title": _("Features"),
                "href": _url(request, "items", city, {"f": "html"}, collection_id=c.id),
            },
            {
                "rel": QUERYABLES_REL,
                "type": "application/schema+json",
                "title": _("Properties a filter may name"),
                "href": _url(request, "queryables", city, collection_id=c.id),
            },
        ],
    }
    temporal = exchange.temporal_extent(qs, c.datetime_field)
    if temporal is not None:
        doc["extent"]["temporal"] = {
            "interval": [temporal],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return doc


@ogc_view()
def collections(request, city):
    found = city_collections(city=city, user=request.user)
    data = {
        "links": _self_links(request, "collections", city, _("Collections")),
        "collections": [_collection_doc(request, city, c) for c in found.values()],
        "crs": exchange.offered_crs(city),
    }
    if _wants_html(request):
        return render(request, "geodata/ogcapi/collections.html", {"city": city, "doc": data})
    return _json(data)


def _get(request, city, collection_id) -> Collection:
    c = collection_get(city=city, collection_id=collection_id, user=request.user)
    if c is None:
        raise NotFound(_("No such collection."))
    return c


@ogc_view()
def collection(request, city, collection_id):
    c = _get(request, city, collection_id)
    data = _collection_doc(request, city, c)
    if _wants_html(request):
        return render(request, "geodata/ogcapi/collection.html", {"city": city, "doc": data})
    return _json(data)


@ogc_view()
def queryables(request, city, collection_id):
    """What a CQL2 filter may name in this collection (Part 3), as JSON Schema."""
    from geodata.cql import queryables_schema

    c = _get(request, city, collection_id)
    url = _url(request, "queryables", city, collection_id=c.id)
    return _json(queryables_schema(c, url), content_type="application/schema+json")


def _items_params(city, kwargs, request):
    c = collection_get(city=city, collection_id=kwargs["collection_id"], user=request.user)
    return ITEMS_PARAMS | (c.query_params() if c else set())


def parse_items(request, city, c: Collection, *, default_limit=DEFAULT_LIMIT) -> tuple:
    """(queryset, ItemsQuery) for an items request."""
    p = request.GET
    query = exchange.ItemsQuery(
        limit=exchange.parse_limit(p.get("limit"), default=default_limit),
        offset=exchange.parse_offset(p.get("offset")),
        srid=exchange.parse_crs(p.get("crs", ""), city=city),
    )
    qs, echo = exchange.filter_collection(c, p, city=city)
    query.echo.update(echo)
    query.filtered = bool(echo)
    query.matching = qs  # numberMatched counts these, however deep the page
    if p.get("cursor"):
        # next links carry "<last id>.<position>": the page starts after that id (an index
        # range, however deep), and the position keeps counts and prev links right
        if p.get("offset"):
            raise exchange.BadQuery(_("Give offset or cursor, not both."))
        after, _dot, position = p["cursor"].partition(".")
        if not (after.isdigit() and position.isdigit()):
            raise exchange.BadQuery(_("cursor: use the next link as it was given."))
        if int(after) > exchange.MAX_ID:
            raise exchange.BadQuery(_("cursor: use the next link as it was given."))
        qs = qs.filter(pk__gt=int(after))
        query.offset = int(position)
        query.after = int(after)
    if p.get("crs"):
        query.echo["crs"] = p["crs"]
    return qs, query


@ogc_view(allowed=_items_params)
def items(request, city, collection_id):
    c = _get(request, city, collection_id)
    html = _wants_html(request)
    qs, query = parse_items(request, city, c)
    features, returned, last_id = exchange.features_json(
        qs,
        properties=list(c.properties),
        srid=None if html else query.srid,  # the page's map reads CRS84
        limit=query.limit,
        offset=0 if query.after is not None else query.offset,
        with_last_id=True,
    )
    if query.filtered:
        number_matched = exchange.matched(query.matching)
    else:
        number_matched = exchange.collection_size(c, city)
    fmt = "html" if html else "json"
    base = {**query.echo, "f": fmt}

    def link(rel, offset, kind, cursor=None):
        q = {**base, "f": "html" if kind == "text/html" else "json", "limit": query.limit}
        if cursor:
            q["cursor"] = cursor
        elif offset:
            q["offset"] = offset
        return {
            "rel": rel,
            "type": kind,
            "title": rel,
            "href": _url(request, "items", city, q, collection_id=c.id),
        }

    here = f"{query.after}.{query.offset}" if query.after is not None else None
    links = [
        link("self", query.offset, "text/html" if html else GEOJSON, here),
        link("alternate", query.offset, GEOJSON if html else "text/html", here),
        {
            "rel": "collection",
            "type": "application/json",
            "title": c.title,
            "href": _url(request, "collection", city, collection_id=c.id),
        },
    ]
    if query.offset + returned < number_matched and returned:
        after = f"{last_id}.{query.offset + returned}"
        links.append(link("next", 0, "text/html" if html else GEOJSON, after))
    if query.offset > 0:
        links.append(
            link("prev", max(0, query.offset - query.limit), "text/html" if html else GEOJSON)
        )
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    head = {
        "type": "FeatureCollection",
        "numberMatched": number_matched,
        "numberReturned": returned,
        "timeStamp": stamp,
        "links": links,
    }
    if html:
        return render(
            request,
            "geodata/ogcapi/items.html",
            {
                "city": city,
                "collection": c,
                "doc": head,
                "features": json.loads(features),
                "properties": list(c.properties),
                "offset": query.offset,
                # the search form keeps the other filters of the page it is on
                "q": query.echo.get("q", ""),
                "kept": [(k, v) for k, v in query.echo.items() if k != "q"],
                # and the filter form (CQL2) its other parameters
                "filter": query.echo.get("filter", ""),
                "kept_by_filter": [
                    (k, v) for k, v in query.echo.items() if k not in ("filter", "filter-lang")
                ],  # fmt: skip
                "queryables": _url(request, "queryables", city, collection_id=c.id),
            },
        )
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + features + "}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = f"<{exchange.crs_uri(query.srid)}>"
    response["Vary"] = "Accept"
    return response


@ogc_view(allowed={"f", "crs"})
def item(request, city, collection_id, feature_id):
    c = _get(request, city, collection_id)
    if feature_id > exchange.MAX_ID:  # beyond any key: PostgreSQL would refuse the number
        raise NotFound(_("No such feature."))
    srid = exchange.parse_crs(request.GET.get("crs", ""), city=city)
    features, n = exchange.features_json(
        c.queryset().filter(pk=feature_id), properties=list(c.properties), srid=srid
    )
    if not n:
        raise NotFound(_("No such feature."))
    feature = json.loads(features)[0]
    feature["links"] = [
        {
            "rel": "self",
            "type": GEOJSON,
            "title": _("This feature"),
            "href": _url(request, "item", city, collection_id=c.id, feature_id=feature_id),
        },
        {
            "rel": "alternate",
            "type": "text/html",
            "title": _("This feature"),
            "href": _url(
                request, "item", city, {"f": "html"}, collection_id=c.id, feature_id=feature_id
            ),
        },
        {
            "rel": "collection",
            "type": "application/json",
            "title": c.title,
            "href": _url(request, "collection", city, collection_id=c.id),
        },
    ]
    if _wants_html(request):
        return render(
            request,
            "geodata/ogcapi/item.html",
            {
                "city": city,
                "collection": c,
                "feature": feature,
                "properties": [(k, feature["properties"].get(k)) for k in c.properties],
            },
        )
    response = _json(feature, content_type=GEOJSON)
    response["Content-Crs"] = f"<{exchange.crs_uri(srid)}>"
    return response


@ogc_view()
def api(request, city):
    """The OpenAPI 3.0 definition of this city's OGC API."""
    from geodata.ogcapi_openapi import definition

    doc = definition(request, city, city_collections(city=city, user=request.user))
    if _wants_html(request):
        return render(request, "geodata/ogcapi/api.html", {"city": city, "doc": doc})
    return _json(doc, content_type=OPENAPI)
