from django.urls import path

from geodata import ogcapi

app_name = "ogcapi"

urlpatterns = [
    path("<slug:city>/", ogcapi.landing, name="landing"),
    path("<slug:city>/conformance", ogcapi.conformance, name="conformance"),
    path("<slug:city>/api", ogcapi.api, name="api"),
    path("<slug:city>/collections", ogcapi.collections, name="collections"),
    path("<slug:city>/collections/<str:collection_id>", ogcapi.collection, name="collection"),
    path("<slug:city>/collections/<str:collection_id>/items", ogcapi.items, name="items"),
    path(
        "<slug:city>/collections/<str:collection_id>/queryables",
        ogcapi.queryables,
        name="queryables",
    ),
    path(
        "<slug:city>/collections/<str:collection_id>/items/<int:feature_id>",
        ogcapi.item,
        name="item",
    ),
]
