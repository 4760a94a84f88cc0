"""Area alerts: asked for from a city's lists, ended from "my proposals" or from the link in
each e-mail (services.alerts)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mapapp.navigation import posted_next
from proposals.models import AreaAlert
from proposals.services import alerts
from proposals.views.common import load_city, report


@login_required
@require_POST
def alert_create(request, city):
    city_obj = load_city(request, city)
    back = posted_next(request, reverse("proposals:list", kwargs={"city": city_obj.slug}))
    try:
        alert = alerts.alert_set(
            user=request.user,
            city=city_obj,
            district=request.POST.get("district", ""),
            proposals=bool(request.POST.get("proposals")),
            sites=bool(request.POST.get("sites")),
            projects=bool(request.POST.get("projects")),
            **_place(request),
        )
    except ValidationError as exc:
        report(request, exc)
        return redirect(back)
    if alert.near is not None:
        done = _("You will get an e-mail when something new appears within %(distance)s of "
                 "this place.") % {"distance": alert.distance_label()}  # fmt: skip
    else:
        done = _("You will get an e-mail when something new appears in %(area)s.") % {
            "area": alert.area_label()
        }
    messages.success(request, done)
    return redirect(back)


def _place(request) -> dict:
    """The map's place and distance, when the form is the city map's "near here" one (its
    script fills in the map's centre). A place that is not one is said, not guessed."""
    from mapapp.geo import lonlat_point

    if "near_lon" not in request.POST:
        return {}
    point = lonlat_point(request.POST.get("near_lon"), request.POST.get("near_lat"))
    radius = request.POST.get("radius", "")
    if point is None or not radius.isdecimal():
        raise ValidationError(_("The place could not be read: move the map and try again."))
    return {"near": point, "radius_m": int(radius)}


@login_required
@require_POST
def alert_delete(request, pk):
    if alerts.alerts_delete(user_id=request.user.pk, alert_ids=[pk]):
        messages.success(request, _("You no longer get these e-mails."))
    return redirect(posted_next(request, reverse("my-proposals") + "#alerts"))


@csrf_exempt  # the signed token is what authorises; mail clients' one-click POST has no CSRF
def alert_stop(request, token):
    """The link in an alert's e-mail: ends that alert without signing in. A GET only asks
    (mail scanners open links); the button POSTs, as does a mail client's one-click."""
    found = alerts.stop_by_token(token)
    if found is None:
        return render(request, "proposals/alert_stop.html", {"invalid": True}, status=400)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    user_id, alert_ids = found
    theirs = list(
        AreaAlert.objects.filter(pk__in=alert_ids, user_id=user_id)
        .select_related("city")
        .order_by("district")
    )
    stopped = request.method == "POST"
    if stopped:
        alerts.alerts_delete(user_id=user_id, alert_ids=alert_ids)
    return render(
        request,
        "proposals/alert_stop.html",
        {
            "areas": alerts.areas_label(theirs) if theirs else "",
            "stopped": stopped,
            "gone": not theirs and not stopped,
        },
    )
