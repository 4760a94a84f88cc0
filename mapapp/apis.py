"""Core API: cities and their boundaries (GeoJSON)."""

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
