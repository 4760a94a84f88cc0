from django.urls import path

from geodata import export_views, views

app_name = "geodata"

urlpatterns = [
    path("analysis/", views.dashboard, name="dashboard"),
    path("analysis/map/", views.dashboard_map, name="dashboard-map"),
    path("analysis/refresh/", views.refresh, name="analysis-refresh"),
    path("analysis/<str:name>", views.download, name="download"),
    path("exports/", export_views.export_page, name="exports"),
    path("exports/qgis-project.qgs", export_views.qgis_project, name="qgis-project"),
    path("exports/<uuid:pk>/", export_views.export_job, name="export-job"),
    path("exports/<uuid:pk>/download", export_views.export_download, name="export-download"),
]
