"""Public proposals as GeoJSON for the city map and outside tools (public fields only)."""

from django.db.models import F
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
            datetime_field="published_at",
            points=True,  # geom is a PointField
        )
