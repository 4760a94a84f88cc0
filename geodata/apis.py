"""Reference layers: the list of public layers and each layer's features as GeoJSON."""

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata import selectors
from mapapp import selectors as city_selectors


class LayerListApi(APIView):
    """GET /api/v1/<city>/layers/ -> the city's public, current layers with their kind."""

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
            for layer in selectors.public_layers(city=city_obj)
        ]
        return Response({"layers": layers})


def _layer_etag(request, city, pk):
    return f'"layer-{pk}"'  # a layer version never changes; a new import is a new id


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_layer_etag), name="get")
class LayerFeaturesApi(APIView):
    def get(self, request, city, pk):
        city_obj = city_selectors.city_get(slug=city)
        layer = selectors.public_layers(city=city_obj).filter(pk=pk).first()
        if layer is None:
            raise Http404
        return HttpResponse(
            selectors.layer_geojson(layer=layer), content_type="application/geo+json; charset=utf-8"
        )
