from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_control

from geodata.tiles import tile
from mapapp import views
from mapapp.sitemaps import SITEMAPS
from proposals.views.alerts import alert_delete, alert_stop
from proposals.views.applicant import my_proposals
from sites.views import my_reports

admin.site.site_header = "We Create Space"
admin.site.site_title = "We Create Space"

urlpatterns = [
    path("", views.home, name="home"),
    path("figures/", views.network_figures, name="network-figures"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/tasks", views.healthz_tasks, name="healthz-tasks"),
    path("healthz/jobs", views.healthz_jobs, name="healthz-jobs"),
    path("favicon.ico", views.favicon),
    path("robots.txt", views.robots, name="robots"),
    path(".well-known/security.txt", views.security_txt, name="security-txt"),
    path(
        "sitemap.xml",
        cache_control(public=True, max_age=3600)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_control(public=True, max_age=3600)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("api/v1/", include("mapapp.api_urls")),
    path("ogcapi/", include("geodata.ogcapi_urls")),
    path("open311/", include("sites.open311_urls")),
    path(
        "tiles/<slug:city>/<str:collection_id>/<int:z>/<int:x>/<int:y>.mvt",
        tile,
        name="tile",
    ),
    path("me/proposals/", my_proposals, name="my-proposals"),
    path("me/alerts/<int:pk>/delete/", alert_delete, name="alert-delete"),
    path("me/alerts/stop/<str:token>/", alert_stop, name="alert-stop"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/token/", views.my_token, name="my-token"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("me/reports/", my_reports, name="my-reports"),
    # City pages last: their first segment is a slug (see RESERVED_SLUGS).
    path("<slug:city>/", views.city_map, name="city-map"),
    path("<slug:city>/flag/", views.flag, name="flag"),
    path("<slug:city>/flags/", views.flags_review, name="flags"),
    path("<slug:city>/place/", views.city_place, name="city-place"),
    path("<slug:city>/places/", views.city_places, name="city-places"),
    path("<slug:city>/about/", views.city_about, name="city-about"),
    path("<slug:city>/privacy/", views.city_privacy, name="city-privacy"),
    path("<slug:city>/accessibility/", views.city_accessibility, name="city-accessibility"),
    path(
        "<slug:city>/officer/information/",
        views.city_information_edit,
        name="city-information-edit",
    ),
    path("<slug:city>/", include("proposals.urls")),
    path("<slug:city>/", include("sites.urls")),
    path("<slug:city>/", include("geodata.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "mapapp.views.bad_request"
handler403 = "mapapp.views.permission_denied"
handler404 = "mapapp.views.not_found"
handler500 = "mapapp.views.server_error"
