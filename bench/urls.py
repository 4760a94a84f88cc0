"""The project's URLs plus the peer the benchmark compares with: a plain
GeoFeatureModelSerializer list endpoint with drf-gis's bbox filter, as a typical GeoDjango
project would write it."""

from django.urls import include, path
from rest_framework.generics import ListAPIView
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from proposals.models import Proposal


class PeerSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Proposal
        geo_field = "geom"
        fields = ("id", "title", "status", "category", "grant_call", "support_count")


class PeerProposals(ListAPIView):
    serializer_class = PeerSerializer
    filter_backends = [InBBoxFilter]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True

    def get_queryset(self):
        return Proposal.objects.filter(
            city__slug=self.kwargs["city"], status__in=Proposal.PUBLIC_STATUSES
        )


urlpatterns = [
    path("bench-peer/<slug:city>/proposals/", PeerProposals.as_view()),
    path("", include("mapapp.urls")),
]

handler400 = "mapapp.views.bad_request"
handler403 = "mapapp.views.permission_denied"
handler404 = "mapapp.views.not_found"
handler500 = "mapapp.views.server_error"
