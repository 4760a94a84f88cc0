"""Public sites and interventions as GeoJSON (moderated sites only, public fields only)."""

from django.db.models import CharField, F
from django.db.models.functions import Cast
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
from proposals.models import Proposal
from sites import selectors
from sites.models import Intervention, Site


def _etag_for(model):
    def etag(request, city):
        city_obj = city_selectors.city_get(slug=city)
        stamp = data_stamp(model, city_obj)
        return f'"{model.__name__}-{stamp}-{get_language()}-{request.GET.urlencode()}"'

    return etag


CITY = rest.CITY_PARAMETER
SITE_ORDERINGS = {"id": "id", "name": "name", "reported": "reported_at"}
INTERVENTION_ORDERINGS = {"id": "id", "title": "title", "completed": "completed_on"}


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_etag_for(Site)), name="get")
class SiteCollectionApi(APIView):
    """Moderated neglected sites of a city (GeoJSON; properties name, condition, ownership,
    district)."""

    renderer_classes = rest.GEOJSON_RENDERERS

    @extend_schema(
        operation_id="sites_list",
        parameters=[
            CITY,
            OpenApiParameter("condition", OpenApiTypes.STR, many=True, enum=Site.Condition.values),
            *rest.COMMON_PARAMETERS,
            rest.ordering_parameter(SITE_ORDERINGS),
        ],
        responses=rest.geojson_responses(),
    )
    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET)
        return rest.collection_response(
            request,
            selectors.public_sites(city=city_obj, filters=filters),
            properties=["name", "condition", "ownership", "district"],
            orderings=SITE_ORDERINGS,
            choices={"condition": list(Site.Condition.values)},
            datetime_field="reported_at",
            points=True,  # geom is a PointField
        )


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_etag_for(Intervention)), name="get")
class InterventionCollectionApi(APIView):
    """Completed projects of a city (GeoJSON; properties title, category, completed,
    sustainability, funding, call)."""

    renderer_classes = rest.GEOJSON_RENDERERS

    @extend_schema(
        operation_id="interventions_list",
        parameters=[
            CITY,
            OpenApiParameter(
                "category", OpenApiTypes.STR, many=True, enum=Proposal.Category.values
            ),
            OpenApiParameter(
                "sustainability",
                OpenApiTypes.STR,
                many=True,
                enum=list(selectors.SUSTAINABILITY_STATES),
            ),
            *rest.COMMON_PARAMETERS,
            rest.ordering_parameter(INTERVENTION_ORDERINGS),
        ],
        responses=rest.geojson_responses(),
    )
    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET)
        qs = selectors.public_interventions(city=city_obj, filters=filters).annotate(
            completed=Cast("completed_on", CharField()), call=F("grant_call_id")
        )
        return rest.collection_response(
            request,
            qs,
            properties=["title", "category", "completed", "sustainability", "funding", "call"],
            orderings=INTERVENTION_ORDERINGS,
            choices={
                "category": list(Proposal.Category.values),
                "sustainability": list(selectors.SUSTAINABILITY_STATES),
            },
            datetime_field="completed_on",
            points=True,  # geom is a PointField
        )
