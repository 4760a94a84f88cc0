"""Open311 GeoReport v2 at /open311/<city>/v2/: neglected-site reports for existing Open311
reporting apps. JSON and XML. Two services:

- `neglected-site`: a posted request enters the moderation queue and the application gets a
  token, which turns into a request id once an officer accepts the report. Only accepted
  reports are listed, with public fields only.
- `completed-project-care`: something broken or neglected at a completed project in its
  sustainability period, for those who look after it (proposals.services.care): it goes to
  the applicant, never public, so it is never listed and its token never turns into a
  request id; the answer is e-mailed to the address given.

Spec: https://wiki.open311.org/GeoReport_v2 (field names, errors as a list of code and
description, `api_key` for POST, dates in W3C format)."""

from __future__ import annotations

import contextlib
import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML here, never parse it

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from mapapp import selectors as city_selectors
from sites.models import Open311Client, Open311Request, Site
from sites.services import site_report_open311

SERVICE_CODE = "neglected-site"
MAX_DESCRIPTION = 4000
MAX_LIST = 1000
DEFAULT_DAYS = 90


def _service(city) -> dict:
    return {
        "service_code": SERVICE_CODE,
        "service_name": str(_("Neglected place in public space")),
        "description": str(
            _(
                "A place in %(city)s that needs care: broken benches, an abandoned corner, a "
                "run-down playground. Reports are checked by the city before they are public."
            )
            % {"city": city.name}
        ),  # fmt: skip
        "metadata": True,
        "type": "batch",  # a person moderates each report before it is listed
        "keywords": "public space, neglected site, We Create Space",
        "group": str(_("Public space")),
    }


CARE_CODE = "completed-project-care"


def _care_service(city) -> dict:
    return {
        "service_code": CARE_CODE,
        "service_name": str(_("Damage or neglect at a completed project")),
        "description": str(
            _(
                "A project in %(city)s that residents built with a grant and now look after: "
                "tell them what is broken or neglected there. It goes to them, not to the "
                "public; they answer by e-mail."
            )
            % {"city": city.name}
        ),  # fmt: skip
        "metadata": True,
        "type": "realtime",  # straight to those who look after the project
        "keywords": "public space, maintenance, We Create Space",
        "group": str(_("Public space")),
    }


def _care_definition() -> dict:
    from proposals.services.care import OPEN311_NEAR_M

    return {
        "service_code": CARE_CODE,
        "attributes": [
            {
                "variable": True,
                "code": "project",
                "datatype": "number",
                "required": False,
                "datatype_description": str(
                    _(
                        "The number in the address of the project's page; without it, the "
                        "project within %(m)s m of the place"
                    )
                    % {"m": OPEN311_NEAR_M}
                ),  # fmt: skip
                "order": 1,
                "description": str(_("Project")),
            }
        ],
    }


def _definition() -> dict:
    return {
        "service_code": SERVICE_CODE,
        "attributes": [
            {
                "variable": True,
                "code": "name",
                "datatype": "string",
                "required": False,
                "datatype_description": str(_("A short name for the place (up to 200 characters)")),
                "order": 1,
                "description": str(_("Name of the place")),
            }
        ],
    }


def _w3c(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _request_doc(site: Site, city) -> dict:
    closed = site.condition == Site.Condition.REVITALISED
    media = getattr(getattr(site, "open311", None), "media_url", "") or None
    return {
        "service_request_id": str(site.pk),
        "status": "closed" if closed else "open",
        "status_notes": str(site.get_condition_display()),
        "service_name": _service(city)["service_name"],
        "service_code": SERVICE_CODE,
        "description": site.description or site.name,
        "agency_responsible": city.name,
        "service_notice": None,
        "requested_datetime": _w3c(site.reported_at),
        "updated_datetime": _w3c(site.updated_at),
        "expected_datetime": None,
        "address": site.district or None,
        "address_id": None,
        "zipcode": None,
        "lat": round(site.geom.y, 6),
        "long": round(site.geom.x, 6),
        "media_url": media,
    }


# --- output ------------------------------------------------------------------------------


def _xml(root: str, item: str | None, data) -> bytes:
    def fill(parent, obj):
        for key, value in obj.items():
            child = ET.SubElement(parent, key)
            if isinstance(value, list):
                for entry in value:
                    fill(ET.SubElement(child, key.rstrip("s") or key), entry)
            elif isinstance(value, dict):
                fill(child, value)
            elif value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)

    top = ET.Element(root)
    if item is None:
        fill(top, data)
    else:
        for entry in data:
            fill(ET.SubElement(top, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _respond(fmt: str, data, *, root: str, item: str | None, status: int = 200):
    if fmt == "xml":
        return HttpResponse(
            _xml(root, item, data), content_type="text/xml; charset=utf-8", status=status
        )
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, status: int, text: str):
    return _respond(fmt, [{"code": status, "description": text}], root="errors", item="error",
                    status=status)  # fmt: skip


def _city(slug):
    try:
        return city_selectors.city_get(slug=slug)
    except Http404:  # answered in Open311's own error format by the caller
        return None


# --- views -------------------------------------------------------------------------------


@require_GET
def discovery(request, city, fmt):
    city_obj = _city(city)
    if city_obj is None:
        return _error(fmt, 404, _("No such city."))
    base = request.build_absolute_uri(f"/open311/{city_obj.slug}/v2/")
    data = {
        "changeset": _w3c(city_obj.updated_at),
        "contact": str(_("The city's programme office, through the website")),
        "key_service": str(_("API keys are issued by the city's programme officers.")),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": _w3c(city_obj.updated_at),
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return _respond(fmt, data, root="discovery", item=None)


@require_GET
def services(request, city, fmt):
    city_obj = _city(city)
    if city_obj is None:
        return _error(fmt, 404, _("No such city."))
    return _respond(fmt, [_service(city_obj), _care_service(city_obj)], root="services",
                    item="service")  # fmt: skip


@require_GET
def service_definition(request, city, code, fmt):
    city_obj = _city(city)
    definitions = {SERVICE_CODE: _definition, CARE_CODE: _care_definition}
    if city_obj is None or code not in definitions:
        return _error(fmt, 404, _("No such service."))
    return _respond(fmt, definitions[code](), root="service_definition", item=None)


def _public_sites(city):
    return Site.objects.filter(
        city=city, moderation=Site.Moderation.ACCEPTED, hidden_at__isnull=True
    ).select_related("open311")


@csrf_exempt  # applications authenticate with api_key, not cookies
@require_http_methods(["GET", "POST"])
def requests_(request, city, fmt):
    city_obj = _city(city)
    if city_obj is None:
        return _error(fmt, 404, _("No such city."))
    if request.method == "POST":
        return _post_request(request, city_obj, fmt)
    p = request.GET
    qs = _public_sites(city_obj)
    if p.get("service_request_id"):
        ids = [x.strip() for x in p["service_request_id"].split(",") if x.strip()]
        if not all(x.isdigit() for x in ids):
            return _error(fmt, 400, _("service_request_id: whole numbers separated by commas."))
        qs = qs.filter(pk__in=[int(x) for x in ids])
    else:
        if p.get("service_code") and p["service_code"] != SERVICE_CODE:
            return _respond(fmt, [], root="service_requests", item="request")
        bounds = {}
        for name in ("start_date", "end_date"):
            if p.get(name):
                moment = None
                with contextlib.suppress(ValueError):  # month 13 and the like
                    moment = parse_datetime(p[name])
                if moment is None:
                    return _error(fmt, 400, _("%(name)s: a W3C date and time is expected.")
                                  % {"name": name})  # fmt: skip
                bounds[name] = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        start = bounds.get("start_date")
        end = bounds.get("end_date")
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)  # the spec's default
        if start is not None:
            qs = qs.filter(reported_at__gte=start)
        if end is not None:
            qs = qs.filter(reported_at__lte=end)
        statuses = {s.strip() for s in p.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            return _error(fmt, 400, _("status: open, closed or both."))
        if statuses == {"open"}:
            qs = qs.exclude(condition=Site.Condition.REVITALISED)
        elif statuses == {"closed"}:
            qs = qs.filter(condition=Site.Condition.REVITALISED)
    sites = list(qs.order_by("-reported_at")[:MAX_LIST])
    docs = [_request_doc(site, city_obj) for site in sites]
    return _respond(fmt, docs, root="service_requests", item="request")


def _post_request(request, city, fmt):
    from mapapp.ratelimit import limit_message, over_limit

    wait = over_limit("open311", request)
    if wait:
        return _error(fmt, 429, limit_message(wait))
    p = request.POST
    client = Open311Client.objects.filter(
        city=city, api_key=p.get("api_key", ""), is_active=True
    ).first()
    if client is None:
        return _error(fmt, 403, _("api_key: missing, unknown or switched off."))
    if p.get("service_code") == CARE_CODE:
        return _post_care(request, client, fmt)
    if p.get("service_code") != SERVICE_CODE:
        return _error(fmt, 404, _("service_code: use %(code)s or %(care)s.")
                      % {"code": SERVICE_CODE, "care": CARE_CODE})  # fmt: skip
    if not (p.get("lat") and p.get("long")):
        return _error(fmt, 400, _("lat and long are required (addresses are not looked up here)."))
    try:
        lat, lon = float(p["lat"]), float(p["long"])
    except ValueError:
        return _error(fmt, 400, _("lat and long must be decimal degrees."))
    description = p.get("description", "")
    if len(description.strip()) < 10:
        return _error(fmt, 400, _("description: tell us what is wrong (at least 10 characters)."))
    if len(description) > MAX_DESCRIPTION:
        return _error(
            fmt, 400, _("description: at most %(n)s characters.") % {"n": MAX_DESCRIPTION}
        )
    media_url = p.get("media_url", "")
    if refused := _media_url_refused(media_url):
        return _error(fmt, 400, refused)
    try:
        report = site_report_open311(
            client=client,
            lat=lat,
            lon=lon,
            description=description,
            name=p.get("attribute[name]", "")[:200],
            email=p.get("email", ""),
            first_name=p.get("first_name", "")[:100],
            last_name=p.get("last_name", "")[:100],
            phone=p.get("phone", "")[:40],
            device_id=p.get("device_id", "")[:100],
            media_url=media_url,
        )
    except ValidationError as e:
        return _refused(fmt, e)
    notice = str(_("Thank you. The city checks each report before it is published."))
    return _respond(
        fmt,
        [{"token": str(report.token), "service_notice": notice, "account_id": None}],
        root="service_requests",
        item="request",
    )


MAX_MEDIA_URL = 500  # the column of both services (Open311Request, CareNotice)


def _media_url_refused(media_url: str) -> str | None:
    """What is wrong with a request's photo address (kept as given, never fetched)."""
    if media_url and not media_url.startswith(("https://", "http://")):
        return _("media_url: an http or https address is expected.")
    if len(media_url) > MAX_MEDIA_URL:
        return _("media_url: at most %(n)s characters.") % {"n": MAX_MEDIA_URL}
    return None


def _refused(fmt, error: ValidationError):
    messages = error.messages if not hasattr(error, "message_dict") else [
        m for ms in error.message_dict.values() for m in ms]  # fmt: skip
    return _error(fmt, 400, " ".join(str(m) for m in messages))


def _post_care(request, client, fmt):
    """A notice to a completed project's maintainers: the same checks as the service's
    own form, and its answer e-mailed in the language the application asked in."""
    from django.utils.translation import get_language

    from proposals.services.care import care_notice_open311

    p = request.POST
    media_url = p.get("media_url", "")
    if refused := _media_url_refused(media_url):
        return _error(fmt, 400, refused)
    try:
        notice = care_notice_open311(
            client=client, lon=p.get("long"), lat=p.get("lat"),
            text=p.get("description", ""), email=p.get("email", ""),
            language=(get_language() or "")[:2], media_url=media_url,
            project=p.get("attribute[project]", "").strip(),
        )  # fmt: skip
    except ValidationError as e:
        return _refused(fmt, e)
    said = str(
        _("Thank you. It went to those who look after “%(title)s”; their answer comes by "
          "e-mail. It is not published.") % {"title": notice.proposal.title}
    )  # fmt: skip
    return _respond(
        fmt,
        [{"token": str(notice.token), "service_notice": said, "account_id": None}],
        root="service_requests",
        item="request",
    )


@require_GET
def single_request(request, city, pk, fmt):
    city_obj = _city(city)
    site = _public_sites(city_obj).filter(pk=pk).first() if city_obj else None
    if site is None:
        return _error(fmt, 404, _("No such request (or not yet published)."))
    return _respond(fmt, [_request_doc(site, city_obj)], root="service_requests", item="request")


def _uuid(text: str):
    import uuid

    try:
        return uuid.UUID(text)
    except ValueError:  # 36 of the URL's characters that are no UUID ("----...")
        return None


@require_GET
def token(request, city, token, fmt):
    from proposals.models import CareNotice

    city_obj, key = _city(city), _uuid(token)
    if city_obj is None or key is None:
        return _error(fmt, 404, _("No such token."))
    found = Open311Request.objects.filter(token=key, site__city=city_obj).select_related("site")
    if found := found.first():
        accepted = found.site.moderation == Site.Moderation.ACCEPTED
        data = [{"service_request_id": str(found.site.pk) if accepted else None, "token": token}]
    elif CareNotice.objects.filter(token=key, proposal__city=city_obj).exists():
        # a notice to a project's maintainers is never a public request: no id, ever
        data = [{"service_request_id": None, "token": token}]
    else:
        return _error(fmt, 404, _("No such token."))
    return _respond(fmt, data, root="service_requests", item="request")
