"""Public proposals as GeoJSON for the city map (public fields only)."""

import json

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Count, Max
from django.http import HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import condition
from rest_framework.views import APIView

from mapapp import selectors as city_selectors
from proposals import selectors
from proposals.models import Proposal


def _etag(request, city):
    """Changes when any proposal of the city changes (support services touch updated_at too),
    and differs per query and language (labels are translated)."""
    from django.utils.translation import get_language

    city_obj = city_selectors.city_get(slug=city)
    stamp = Proposal.objects.filter(city=city_obj).aggregate(m=Max("updated_at"), n=Count("id"))
    moment = stamp["m"].timestamp() if stamp["m"] else 0
    return f'"{moment}-{stamp["n"]}-{get_language()}-{request.GET.urlencode()}"'


@method_decorator(condition(etag_func=_etag), name="get")
class ProposalCollectionApi(APIView):
    """GET /api/v1/<city>/proposals/?call=&status=&category= -> GeoJSON FeatureCollection.

    Geometry is serialised by PostGIS (ST_AsGeoJSON, 6 decimals); rows are read as values,
    never as model instances, so a city with tens of thousands of proposals stays fast."""

    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        filters = selectors.parse_filters(request.GET, city=city_obj)
        rows = (
            selectors.support_counts(selectors.public_proposals(city=city_obj, filters=filters))
            .annotate(point=AsGeoJSON("geom", precision=6))
            .values_list(
                "pk", "title", "status", "category", "grant_call_id", "support_count", "point"
            )
            .order_by("pk")
        )
        statuses = dict(Proposal.Status.choices)
        categories = dict(Proposal.Category.choices)
        base = reverse("proposals:detail", kwargs={"city": city_obj.slug, "pk": 0})[:-2]
        features = []
        for pk, title, status, category, call_id, support_count, point in rows:
            if point is None:
                continue
            properties = {
                "id": pk,
                "title": title,
                "status": status,
                "status_label": str(statuses.get(status, status)),
                "category": category,
                "category_label": str(categories.get(category, category)),
                "call": call_id,
                "support_count": support_count,
                "url": f"{base}{pk}/",
            }
            # the geometry is already GeoJSON text from PostGIS: splice it in, do not re-parse
            props = json.dumps(properties, ensure_ascii=False)
            features.append(
                f'{{"type": "Feature", "id": {pk}, "geometry": {point}, "properties": {props}}}'
            )
        body = '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"
        return HttpResponse(body, content_type="application/geo+json; charset=utf-8")
