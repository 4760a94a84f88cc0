from django.urls import path

from sites import views

app_name = "sites"

# Mounted under /<city>/ (see mapapp/urls.py).
urlpatterns = [
    path("sites/", views.site_list, name="list"),
    path("sites/report/", views.site_report, name="report"),
    path("sites/new/", views.site_report, {"staff": True}, name="new"),
    path("sites/moderation/", views.moderation, name="moderation"),
    path("sites/<int:pk>/", views.site_detail, name="detail"),
    path("sites/<int:pk>/edit/", views.site_report, {"staff": True}, name="edit"),
    path("interventions/new/", views.intervention_new, name="intervention-new"),
    path("interventions/import/", views.project_import, name="project-import"),
    path("interventions/import/<uuid:pk>/", views.project_import_job, name="project-import-job"),
    path(
        "interventions/import/<uuid:pk>/again/",
        views.project_import_again,
        name="project-import-again",
    ),  # fmt: skip
    path("interventions/", views.intervention_list, name="interventions"),
    path("interventions/<int:pk>/", views.intervention_detail, name="intervention"),
    path("interventions/<int:pk>/pairs/", views.intervention_pairs, name="intervention-pairs"),
    path("embed/", views.embed, name="embed"),
]
