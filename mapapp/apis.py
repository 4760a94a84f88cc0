"""Core API: the API's own index, cities and their boundaries (GeoJSON)."""

from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from mapapp import rest, selectors
from mapapp.models import City


def _city_last_modified(request, city: str):
    return (
        City.objects.filter(slug=city, is_active=True).values_list("updated_at", flat=True).first()
    )


def _link(request, rel: str, name: str, type_: str, title: str, **kwargs) -> dict:
    href = request.build_absolute_uri(reverse(name, kwargs=kwargs or None))
    return {"rel": rel, "type": type_, "title": title, "href": href}


class ApiRootApi(APIView):
    """Where to start: the OpenAPI document, its docs page, and each city's index."""

    @extend_schema(operation_id="api_root", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        json_ = "application/json"
        schema = _link(
            request,
            "service-desc",
            "api:schema",
            "application/vnd.oai.openapi+json;version=3.0",
            "The OpenAPI 3 document",
        )
        schema["href"] += "?format=json"
        links = [
            _link(request, "self", "api:root", json_, "This document"),
            schema,
            _link(request, "service-doc", "api:docs", "text/html", "The API's documentation"),
            _link(request, "data", "api:city-list", json_, "The cities, with details"),
            _link(
                request,
                "data",
                "api:network-figures",
                json_,
                "The programme in figures, city by city and in total",
            ),
        ]
        cities = [
            {
                "slug": c.slug,
                "name": c.name,
                "href": request.build_absolute_uri(reverse("api:city", kwargs={"city": c.slug})),
            }
            for c in selectors.city_list()
        ]
        return Response({"title": "We Create Space API", "links": links, "cities": cities})


class CityApiIndex(APIView):
    """A city's collections, and its other machine interfaces: OGC API Features, Open311,
    vector tiles, exports."""

    @extend_schema(
        operation_id="city_index",
        parameters=[rest.CITY_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 404: rest.NOT_FOUND},
    )
    def get(self, request, city: str):
        c = selectors.city_get(slug=city)
        geojson, json_ = "application/geo+json", "application/json"
        collections = [
            {
                "id": name,
                "title": title,
                **_link(request, "items", f"api:{name}", geojson, title, city=c.slug),
            }
            for name, title in (
                ("proposals", "Proposals"),
                ("sites", "Neglected sites"),
                ("interventions", "Completed projects"),
            )
        ]
        collections.append(
            {
                "id": "calls",
                **_link(request, "data", "api:calls", json_, "Grant calls", city=c.slug),
            }
        )
        collections.append(
            {
                "id": "layers",
                **_link(request, "data", "api:layers", json_, "Reference layers", city=c.slug),
            }
        )
        # a URL template, as TileJSON and MapLibre styles write them
        sample = {"city": c.slug, "collection_id": "COLLECTION", "z": 0, "x": 0, "y": 0}
        tiles = request.build_absolute_uri(reverse("tile", kwargs=sample))
        links = [
            _link(request, "self", "api:city", json_, "This document", city=c.slug),
            _link(request, "up", "api:root", json_, "The API's index"),
            _link(
                request,
                "boundary",
                "api:city-boundary",
                geojson,
                "The city's boundary",
                city=c.slug,
            ),
            _link(request, "analysis", "api:analysis", json_, "Planners' analysis", city=c.slug),
            _link(request, "alternate", "ogcapi:landing", json_, "OGC API - Features", city=c.slug),
            _link(
                request,
                "open311",
                "open311:discovery",
                json_,
                "Open311 GeoReport v2",
                city=c.slug,
                fmt="json",
            ),
            _link(request, "exports", "geodata:exports", "text/html", "Exports", city=c.slug),
            # who runs it, how it treats personal data ("about" and "privacy-policy" are
            # IANA link relations), and how accessible its pages are
            _link(request, "about", "city-about", "text/html", "About and contact", city=c.slug),
            _link(
                request,
                "privacy-policy",
                "city-privacy",
                "text/html",
                "Privacy notice",
                city=c.slug,
            ),
            _link(
                request,
                "accessibility",
                "city-accessibility",
                "text/html",
                "Accessibility statement",
                city=c.slug,
            ),
        ]
        info = selectors.city_information(city=c)
        contact = {"name": info.operator_text, "email": info.contact_email,
                   "url": info.website}  # fmt: skip
        return Response(
            {
                "city": {"slug": c.slug, "name": c.name},
                "contact": {k: v for k, v in contact.items() if v} or None,
                "links": links,
                "collections": collections,
                "tiles": tiles.replace("COLLECTION/0/0/0.mvt", "{collection}/{z}/{x}/{y}.mvt"),
            }
        )


class CityListApi(APIView):
    """The cities served here, with their language, currency and metric CRS."""

    @extend_schema(operation_id="cities_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        cities = [
            {
                "slug": c.slug,
                "name": c.name,
                "default_language": c.default_language,
                "currency": c.currency,
                "time_zone": c.time_zone,
                "metric_srid": c.metric_srid,
                "boundary": request.build_absolute_uri(
                    reverse("api:city-boundary", kwargs={"city": c.slug})
                ),
            }
            for c in selectors.city_list()
        ]
        return Response({"cities": cities})


@method_decorator(condition(last_modified_func=_city_last_modified), name="get")
class CityBoundaryApi(APIView):
    """The city's boundary as one GeoJSON Feature (RFC 7946)."""

    renderer_classes = rest.GEOJSON_RENDERERS

    @extend_schema(
        operation_id="city_boundary",
        parameters=[rest.CITY_PARAMETER],
        responses={
            (200, "application/geo+json"): OpenApiTypes.OBJECT,
            404: OpenApiTypes.OBJECT,
            304: OpenApiResponse(description="Not modified since If-Modified-Since"),
        },
    )
    def get(self, request, city: str):
        feature = selectors.city_boundary_feature(city=selectors.city_get(slug=city))
        return Response(feature, content_type="application/geo+json")
