"""The OpenAPI 3.0 definition of a city's OGC API - Features (conformance class oas30).

Generated from the same registry the views serve, one items path per collection, so that
the definition lists each collection's own filters and property schema."""

from __future__ import annotations

from django.urls import reverse

from geodata import exchange
from geodata.ogcapi import DEFAULT_LIMIT


def _param(name, where="query", schema=None, description="", required=False, style=None):
    p = {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"}}
    if description:
        p["description"] = description
    if style:
        p.update(style)
    return p


def _contact(city) -> dict:
    """OpenAPI's info.contact from the city's information page: whom to ask about the data."""
    from mapapp.selectors import city_information

    info = city_information(city=city)
    contact = {"name": info.operator_text or city.name}
    if info.contact_email:
        contact["email"] = info.contact_email
    if info.website:
        contact["url"] = info.website
    return contact if len(contact) > 1 else {}


def definition(request, city, collections) -> dict:
    base = request.build_absolute_uri(reverse("ogcapi:landing", kwargs={"city": city.slug}))
    f_param = _param("f", schema={"type": "string", "enum": ["json", "html"]})
    crs_param = _param("crs", schema={"type": "string", "enum": exchange.offered_crs(city)})
    json_ok = {"200": {"description": "OK", "content": {"application/json": {}}}}
    errors = {
        "400": {"description": "A query parameter is wrong; the body says which."},
        "404": {"description": "No such collection or feature."},
    }
    paths = {
        "/": {
            "get": {
                "summary": "Landing page",
                "operationId": "landing",
                "parameters": [f_param],
                "responses": json_ok,
            }
        },
        "/conformance": {
            "get": {
                "summary": "Conformance classes",
                "operationId": "conformance",
                "parameters": [f_param],
                "responses": json_ok,
            }
        },
        "/api": {
            "get": {
                "summary": "This definition",
                "operationId": "api",
                "parameters": [f_param],
                "responses": json_ok,
            }
        },
        "/collections": {
            "get": {
                "summary": "The collections",
                "operationId": "collections",
                "parameters": [f_param],
                "responses": json_ok,
            }
        },
    }
    for c in collections.values():
        props = {name: {"type": kind} for name, kind in c.properties.items()}
        feature = {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "integer"},
                "geometry": {"type": "object", "nullable": True},
                "properties": {"type": "object", "properties": props},
            },
        }
        filters = [
            _param(
                name,
                schema={"type": "array", "items": {"type": "integer"}}
                if flt.kind == "int"
                else {"type": "array", "items": {"type": "string", "enum": list(flt.allowed)}},
                style={"style": "form", "explode": False},
                description=f"Only features whose {name} is one of these.",
            )
            for name, flt in c.filters.items()
        ]
        if c.search:
            filters.append(
                _param(
                    "q",
                    schema={"type": "string", "maxLength": 100},
                    description=(
                        "Search words (six at most): only features holding every word, "
                        "ignoring case and accents, in " + " or ".join(c.search)
                    ),
                )
            )
        items_params = [
            f_param,
            _param(
                "limit",
                schema={
                    "type": "integer",
                    "minimum": 1,
                    "maximum": exchange.MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
                description="Page size; larger values are clamped to the maximum.",
            ),
            _param("offset", schema={"type": "integer", "minimum": 0, "default": 0}),
            _param("cursor", description="Opaque; given in next links (keyset paging)"),
            _param(
                "bbox",
                schema={"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                style={"style": "form", "explode": False},
            ),
            _param("bbox-crs", schema={"type": "string", "enum": exchange.offered_crs(city)}),
            crs_param,
            *filters,
            _param("filter", description=(
                "A CQL2 expression on the collection's queryables (see its queryables "
                "resource), e.g. status = 'granted' AND S_INTERSECTS(geometry, "
                "BBOX(16.17, 54.18, 16.20, 54.20))")),
            # cql-text: the draft's name, which GDAL before 3.7 sends (read as cql2-text)
            _param("filter-lang", schema={"type": "string",
                                          "enum": ["cql2-text", "cql2-json", "cql-text"],
                                          "default": "cql2-text"}),
            _param("filter-crs", schema={"type": "string", "enum": exchange.offered_crs(city),
                                         "default": exchange.CRS84}),
        ]  # fmt: skip
        if c.datetime_field:
            items_params.append(_param("datetime", description="RFC 3339 instant or interval"))
        paths[f"/collections/{c.id}"] = {
            "get": {
                "summary": c.title,
                "operationId": f"describe-{c.id}",
                "parameters": [f_param],
                "responses": {**json_ok, **errors},
            }
        }
        paths[f"/collections/{c.id}/items"] = {
            "get": {
                "summary": f"{c.title}: features",
                "operationId": f"items-{c.id}",
                "parameters": items_params,
                "responses": {
                    "200": {
                        "description": "A page of features",
                        "content": {
                            "application/geo+json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                                        "numberMatched": {"type": "integer"},
                                        "numberReturned": {"type": "integer"},
                                        "features": {"type": "array", "items": feature},
                                    },
                                }
                            }
                        },
                    },
                    **errors,
                },
            }
        }
        paths[f"/collections/{c.id}/queryables"] = {
            "get": {
                "summary": f"{c.title}: what a filter may name",
                "operationId": f"queryables-{c.id}",
                "responses": {
                    "200": {
                        "description": "The queryables, as JSON Schema",
                        "content": {"application/schema+json": {"schema": {"type": "object"}}},
                    },
                    **errors,
                },
            }
        }
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {
            "get": {
                "summary": f"{c.title}: one feature",
                "operationId": f"item-{c.id}",
                "parameters": [
                    _param("featureId", "path", {"type": "integer"}, required=True),
                    f_param,
                    crs_param,
                ],
                "responses": {
                    "200": {
                        "description": "The feature",
                        "content": {"application/geo+json": {"schema": feature}},
                    },
                    **errors,
                },
            }
        }
    info = {
        "title": f"We Create Space: {city.name} (OGC API - Features)",
        "version": "1.0.0",
        "license": {"name": "See each collection's licence"},
    }
    if contact := _contact(city):
        info["contact"] = contact
    return {
        "openapi": "3.0.3",
        "info": info,
        "servers": [{"url": base.rstrip("/")}],
        "paths": paths,
    }
