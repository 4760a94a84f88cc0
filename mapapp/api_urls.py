from django.urls import path

from mapapp import apis
from proposals.apis import ProposalCollectionApi

app_name = "api"

urlpatterns = [
    path("cities/", apis.CityListApi.as_view(), name="city-list"),
    path("<slug:city>/boundary/", apis.CityBoundaryApi.as_view(), name="city-boundary"),
    path("<slug:city>/proposals/", ProposalCollectionApi.as_view(), name="proposals"),
]
