from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from geodata.apis import LayerFeaturesApi, LayerImportApi, LayerImportJobApi, LayerListApi
from geodata.export_views import export
from geodata.views import analysis_api
from mapapp import apis
from proposals.apis import CallApi, CallListApi, NetworkFiguresApi, ProposalCollectionApi
from sites.apis import InterventionCollectionApi, SiteCollectionApi

app_name = "api"

urlpatterns = [
    path("", apis.ApiRootApi.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("cities/", apis.CityListApi.as_view(), name="city-list"),
    path("figures/", NetworkFiguresApi.as_view(), name="network-figures"),
    path("<slug:city>/", apis.CityApiIndex.as_view(), name="city"),
    path("<slug:city>/boundary/", apis.CityBoundaryApi.as_view(), name="city-boundary"),
    path("<slug:city>/proposals/", ProposalCollectionApi.as_view(), name="proposals"),
    path("<slug:city>/calls/", CallListApi.as_view(), name="calls"),
    path("<slug:city>/calls/<int:call_id>/", CallApi.as_view(), name="call"),
    path("<slug:city>/sites/", SiteCollectionApi.as_view(), name="sites"),
    path("<slug:city>/interventions/", InterventionCollectionApi.as_view(), name="interventions"),
    path("<slug:city>/layers/", LayerListApi.as_view(), name="layers"),
    path("<slug:city>/layers/imports/", LayerImportApi.as_view(), name="layer-imports"),
    path(
        "<slug:city>/layers/imports/<uuid:job>/", LayerImportJobApi.as_view(), name="layer-import"
    ),  # fmt: skip
    path("<slug:city>/analysis/", analysis_api, name="analysis"),
    path("<slug:city>/export/<str:collection_id>/", export, name="export"),
    path("<slug:city>/layers/<int:pk>/", LayerFeaturesApi.as_view(), name="layer"),
]
