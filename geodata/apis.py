"""Reference layers: the list of public layers and each layer's features as GeoJSON."""

from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata import selectors
from geodata.models import Feature
from mapapp import rest
from mapapp import selectors as city_selectors
from mapapp.filters import matching, text_query


class LayerListApi(APIView):
    """The city's current reference layers with their kind: the public ones, and for the
    city's GIS staff, planners and officers (token or session) the non-public ones too."""

    @extend_schema(
        operation_id="layers_list",
        parameters=[rest.CITY_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 404: rest.NOT_FOUND},
    )
    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        layers = [
            {
                "id": layer.pk,
                "name": layer.name,
                "kind": layer.kind,
                "kind_label": str(layer.get_kind_display()),
                "version": layer.version,
                "source": layer.source,
                "licence": layer.licence,
                "date": layer.data_date.isoformat() if layer.data_date else None,
                "synthetic": layer.is_synthetic,
                "features": layer.feature_count,
                "url": request.build_absolute_uri(
                    reverse("api:layer", kwargs={"city": city_obj.slug, "pk": layer.pk})
                ),
            }
            for layer in selectors.layers_for(city=city_obj, user=request.user)
        ]
        return Response({"layers": layers})


def _layer_etag(request, city, pk):
    # a layer version never changes (a new import is a new id); the query picks the page
    return f'"layer-{pk}-{request.GET.urlencode()}"'


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_layer_etag), name="get")
class LayerFeaturesApi(APIView):
    """One reference layer's features as a GeoJSON FeatureCollection (name, population and
    the imported attributes as properties), with bbox, search words in the name (`q`, as in
    OGC API Features) and paging like the other collections."""

    renderer_classes = rest.GEOJSON_RENDERERS

    @extend_schema(
        operation_id="layer_features",
        parameters=[
            rest.CITY_PARAMETER,
            OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH),
            *[p for p in rest.COMMON_PARAMETERS if p.name in ("bbox", "q", "limit", "offset")],
            rest.ordering_parameter({"id": "id", "name": "name"}),
        ],
        responses=rest.geojson_responses(),
    )
    def get(self, request, city, pk):
        city_obj = city_selectors.city_get(slug=city)
        layer = selectors.layers_for(city=city_obj, user=request.user).filter(pk=pk).first()
        if layer is None:
            raise Http404
        features = matching(Feature.objects.filter(layer=layer), text_query(request.GET), "name")
        return rest.collection_response(
            request,
            features,
            properties=["name", "population", "attributes"],
            orderings={"id": "id", "name": "name"},
        )
