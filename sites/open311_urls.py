from django.urls import re_path

from sites import open311

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^(?P<city>[-\w]+)/v2/discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^(?P<city>[-\w]+)/v2/services" + FMT, open311.services, name="services"),
    re_path(
        r"^(?P<city>[-\w]+)/v2/services/(?P<code>[-\w]+)" + FMT,
        open311.service_definition,
        name="service",
    ),
    re_path(r"^(?P<city>[-\w]+)/v2/requests" + FMT, open311.requests_, name="requests"),
    re_path(
        r"^(?P<city>[-\w]+)/v2/requests/(?P<pk>\d+)" + FMT, open311.single_request, name="request"
    ),
    re_path(
        r"^(?P<city>[-\w]+)/v2/tokens/(?P<token>[0-9a-f-]{36})" + FMT, open311.token, name="token"
    ),
]
