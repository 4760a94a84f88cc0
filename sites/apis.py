"""Public sites and interventions as GeoJSON (moderated sites only, public fields only)."""

from django.db.models import Count, Max
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from rest_framework.views import APIView

from mapapp import selectors as city_selectors
from sites import selectors
from sites.models import Intervention, Site


def _etag_for(model):
    def etag(request, city):
        city_obj = city_selectors.city_get(slug=city)
        stamp = model.objects.filter(city=city_obj).aggregate(m=Max("updated_at"), n=Count("id"))
        moment = stamp["m"].timestamp() if stamp["m"] else 0
        return f'"{model.__name__}-{moment}-{stamp["n"]}-{request.GET.urlencode()}"'

    return etag


def _geojson(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_etag_for(Site)), name="get")
class SiteCollectionApi(APIView):
    """GET /api/v1/<city>/sites/?condition=&district=&year= (condition: neglected,
    being_revitalised, revitalised)."""

    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET)
        return _geojson(selectors.public_sites_geojson(city=city_obj, filters=filters))


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_etag_for(Intervention)), name="get")
class InterventionCollectionApi(APIView):
    """GET /api/v1/<city>/interventions/?category=&year=&sustainability=."""

    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET)
        return _geojson(selectors.public_interventions_geojson(city=city_obj, filters=filters))
