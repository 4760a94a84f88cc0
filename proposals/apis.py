"""Public proposals as GeoJSON for the city map (public fields only)."""

from django.db.models import Count, Max
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from rest_framework.views import APIView

from mapapp import selectors as city_selectors
from proposals import selectors
from proposals.models import Proposal


def _etag(request, city):
    """Changes when any proposal of the city changes (support services touch updated_at too),
    and differs per query."""
    city_obj = city_selectors.city_get(slug=city)
    stamp = Proposal.objects.filter(city=city_obj).aggregate(m=Max("updated_at"), n=Count("id"))
    moment = stamp["m"].timestamp() if stamp["m"] else 0
    return f'"{moment}-{stamp["n"]}-{get_language()}-{request.GET.urlencode()}"'


# Compressed here rather than site-wide: this response holds no secrets (BREACH), and a
# city's proposals compress about 15:1.
@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_etag), name="get")
class ProposalCollectionApi(APIView):
    """GET /api/v1/<city>/proposals/?call=&status=&category= -> GeoJSON FeatureCollection.

    Properties: id, title, status, category, call, support_count. Labels and page URLs are
    derived by the client (the map gets the label tables once, with its configuration), so
    each feature stays small. The whole document is built by PostGIS."""

    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET, city=city_obj)
        body = selectors.public_proposals_geojson(city=city_obj, filters=filters)
        return HttpResponse(body, content_type="application/geo+json; charset=utf-8")
