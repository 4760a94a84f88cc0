from django.urls import path

from geodata import views

app_name = "geodata"

urlpatterns = [
    path("analysis/", views.dashboard, name="dashboard"),
    path("analysis/map/", views.dashboard_map, name="dashboard-map"),
    path("analysis/<str:name>", views.download, name="download"),
]
