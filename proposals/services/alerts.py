"""Area alerts: a signed-in person, by their own choice, is e-mailed when a proposal is
published, a neglected site is accepted onto the map, or a project is funded (a sitting's
grants in one e-mail) or completed, in a city, one of its districts (each counts by its
point), or within a distance of a place they chose on its map (any part of the area drawn
for it counts).

Like following a proposal, an alert is personal data (where someone takes an interest, a
chosen place often their home): it is written to a confirmed address only, nobody else
sees it, it is ended by the person from any such e-mail without signing in (a signed link,
also List-Unsubscribe with RFC 8058's one-click) or from their proposals page, and it ends
with the account.

What sets one off: a proposal's first publication (not its later changes), a resident's
report accepted by moderation, a site added by the city's staff one at a time, the city's
grants, a granted project's completion accepted by the officers, and a completed project
the officers record one at a time. Bulk imports (of registers, of past projects) do not: a
thousand e-mails for an import would teach people to ignore them. The person who proposed
or reported it is not told of their own."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import Distance, Transform
from django.contrib.gis.geos import Point
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from mapapp.geofuncs import DWithin
from mapapp.models import City
from mapapp.tasks import mail, site_link, unsubscribe_headers
from proposals import messages as msg
from proposals.access import email_confirmed
from proposals.models import AreaAlert
from proposals.services.common import refuse

MAX_ALERTS = 20  # per person: more is a mistake or abuse, not interest
KINDS = ("proposals", "sites", "projects")  # the AreaAlert fields that ask for each
_SALT = "proposals.alert.stop"


def alert_set(
    *, user, city: City, district: str, proposals: bool, sites: bool, projects: bool = False,
    near: Point | None = None, radius_m: int | None = None,
) -> AreaAlert:  # fmt: skip
    """Ask for news of `district` (a name from the city's district filter; "" for the whole
    city), or of the `radius_m` metres around `near` (a point in the city; one of
    AreaAlert.RADII). Asking again for the same area changes what is sent."""
    from sites.selectors import districts

    district = "" if near is not None else (district or "").strip()
    if not email_confirmed(user):
        refuse(msg.ALERT_EMAIL_UNCONFIRMED)
    if not (proposals or sites or projects):
        refuse(msg.ALERT_NOTHING)
    if near is not None:
        if radius_m not in AreaAlert.RADII:
            refuse(msg.ALERT_RADIUS)
        near = Point(round(near.x, 5), round(near.y, 5), srid=4326)  # about a metre: enough
        if not City.objects.filter(pk=city.pk, boundary__covers=near).exists():
            refuse(msg.ALERT_PLACE_OUTSIDE, city=city.name)
        same = {"near__equals": near, "radius_m": radius_m}
    else:
        if district and district not in districts(city=city):
            refuse(msg.ALERT_DISTRICT_UNKNOWN, district=district[:120])
        same, radius_m = {"near__isnull": True, "district": district}, None
    existing = AreaAlert.objects.filter(user=user, city=city, **same).first()
    if existing is None and AreaAlert.objects.filter(user=user).count() >= MAX_ALERTS:
        refuse(msg.ALERT_TOO_MANY, max=MAX_ALERTS)
    if existing is not None:
        existing.proposals, existing.sites, existing.projects = proposals, sites, projects
        existing.save(update_fields=["proposals", "sites", "projects"])
        return existing
    try:
        with transaction.atomic():
            return AreaAlert.objects.create(
                user=user, city=city, district=district, near=near, radius_m=radius_m,
                proposals=proposals, sites=sites, projects=projects,
            )  # fmt: skip
    except IntegrityError:  # the same request twice at once
        return AreaAlert.objects.get(user=user, city=city, **same)


def alerts_delete(*, user_id: int, alert_ids: list[int]) -> int:
    """End these alerts of this person (from their page, or a stop link's); how many there
    still were."""
    deleted, _rows = AreaAlert.objects.filter(user_id=user_id, pk__in=alert_ids).delete()
    return deleted


def alerts_of(*, user) -> list[AreaAlert]:
    """A person's alerts, each with `gone` set when its district is no longer one of its
    city's (a new districts layer renamed it): such an alert finds nothing any more."""
    from sites.selectors import districts

    alerts = list(
        AreaAlert.objects.filter(user=user).select_related("city").order_by("city__name", "pk")
    )
    known: dict[int, set[str]] = {}
    for alert in alerts:
        if alert.district and alert.city_id not in known:
            known[alert.city_id] = set(districts(city=alert.city))
        alert.gone = bool(alert.district) and alert.district not in known[alert.city_id]
    return alerts


def areas_label(theirs) -> str:
    """The areas of several alerts, as a sentence names them ("Koszalin and Rokosowo")."""
    return get_text_list([alert.area_label() for alert in theirs], _("and"))


def stop_token(*, user_id: int, alert_ids: list[int]) -> str:
    """Signed with the site's key: stops these alerts of this person and nothing else (all of
    theirs that covered the news the e-mail told of). It does not expire (an old e-mail's
    link must still work)."""
    ids = sorted(alert_ids)
    return signing.dumps([user_id, ids[0] if len(ids) == 1 else ids], salt=_SALT, compress=True)


def stop_by_token(token: str) -> tuple[int, list[int]] | None:
    """(user id, alert ids) of a genuine stop link. Links sent before one e-mail could stop
    several alerts carry a single id; they still work."""
    try:
        user_id, alert_ids = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if isinstance(alert_ids, int):
        alert_ids = [alert_ids]
    if not (
        isinstance(user_id, int)
        and isinstance(alert_ids, list)
        and alert_ids
        and all(isinstance(pk, int) for pk in alert_ids)
    ):
        return None
    return user_id, alert_ids


def enqueue(kind: str, object_id: int, city_id: int) -> None:
    """After the transaction commits, queue the e-mails, if anyone asked for this kind of news
    in this city."""
    from proposals.tasks import tell_area_alerts

    if AreaAlert.objects.filter(city_id=city_id, **{kind: True}).exists():
        transaction.on_commit(lambda: tell_area_alerts.enqueue(kind, object_id))


def tell_area_alerts(kind: str, object_id: int) -> int:
    """E-mail everyone whose alert covers the new proposal, site or completed project, in
    their language. Returns how many were e-mailed. Run by the worker."""
    from proposals.selectors import public_proposals
    from sites.selectors import public_interventions, public_sites

    if kind not in KINDS:
        return 0
    if kind == "proposals":
        from proposals.models import Proposal

        obj = Proposal.objects.select_related("city").filter(pk=object_id).first()
        public, author_id = public_proposals, getattr(obj, "author_id", None)
    elif kind == "sites":
        from sites.models import Site

        obj = Site.objects.select_related("city").filter(pk=object_id).first()
        public, author_id = public_sites, getattr(obj, "reported_by_id", None)
    else:
        from sites.models import Intervention

        obj = Intervention.objects.select_related("city", "proposal").filter(pk=object_id).first()
        # the applicants of a granted project know it is done
        author_id = obj.proposal.author_id if obj is not None and obj.proposal else None
        public = public_interventions
    if obj is None or not public(city=obj.city).filter(pk=obj.pk).exists():
        return 0  # gone, or no longer public, by the time the worker came to it
    alerts = AreaAlert.objects.filter(city=obj.city, user__is_active=True, **{kind: True})
    covering = _covering(obj, alerts.exclude(user_id=author_id), public)
    for theirs in covering.values():  # one e-mail a person, however many alerts cover it
        with translation.override(theirs[0].user.language_in(obj.city)):
            subject, body, headers = _alert_mail(kind, obj, theirs)
            mail(subject, body, [theirs[0].user.email], headers=headers, city=obj.city)
    return len(covering)


def _covering(obj, alerts, public) -> dict[int, list[AreaAlert]]:
    """Each person's `alerts` that cover `obj` (a proposal, site or project; `public` its
    selector): the whole city, then districts (by its point, as the lists' filter), then
    places (within the distance of any part of what is drawn, measured in the city's metric
    CRS; such alerts carry `metres`)."""
    alerts = alerts.select_related("user", "city").order_by("user_id", "district", "pk")
    inside: dict[str, bool] = {"": True}
    covering: dict[int, list[AreaAlert]] = {}
    for alert in alerts.filter(near__isnull=True):
        if alert.district not in inside:
            within = public(city=obj.city, filters={"district": alert.district})
            inside[alert.district] = within.filter(pk=obj.pk).exists()
        if inside[alert.district]:
            covering.setdefault(alert.user_id, []).append(alert)
    srid = obj.city.metric_srid  # metres, as the city measures them
    # a place counts what is drawn within the distance, not only the point: a park's edge
    here, there = Transform("near", srid), Transform(obj.area or obj.geom, srid)
    places = alerts.filter(near__isnull=False).filter(DWithin(here, there, F("radius_m")))
    for alert in places.annotate(metres=Distance(here, there)):  # the places after the areas
        covering.setdefault(alert.user_id, []).append(alert)
    return covering


def grant_news_schedule(call) -> None:
    """After a grant is decided (and committed): the news of the call's grants goes to those
    who asked for projects in their area GRANT_NEWS_DELAY_MINUTES later, once for all the
    grants decided meanwhile. The officers decide a call's grants one by one, in a sitting:
    one e-mail a person, not one a grant. A news task due long ago (its worker lost) is
    replaced; a grant committed while the news is being written gets news of its own."""
    import datetime as dt

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    from proposals.models import GrantCall
    from proposals.tasks import tell_grants

    if not AreaAlert.objects.filter(city_id=call.city_id, projects=True).exists():
        return
    if not tell_grants.get_backend().supports_defer:  # one that cannot wait: at once
        tell_grants.enqueue(call.pk)
        return
    now = timezone.now()
    due = now + dt.timedelta(minutes=settings.GRANT_NEWS_DELAY_MINUTES)
    lost = now - dt.timedelta(seconds=settings.TASKS_STALE_SECONDS)
    free = Q(grant_news_due_at__isnull=True) | Q(grant_news_due_at__lt=lost)
    if GrantCall.objects.filter(free, pk=call.pk).update(grant_news_due_at=due):
        tell_grants.using(run_after=due).enqueue(call.pk)


def tell_grants(call_id: int) -> int:
    """E-mail those who asked for projects in an area of the call's city the grants decided
    there and not yet told: one e-mail a person listing them all. Returns how many were
    e-mailed. Run by the worker."""
    from django.db.models import Q
    from django.utils import timezone

    from proposals.models import GrantCall, Proposal
    from proposals.selectors import public_proposals
    from proposals.services.grants import GRANTED_STATES

    call = GrantCall.objects.select_related("city").filter(pk=call_id).first()
    if call is None:
        return 0
    # cleared first: a grant committed from now on schedules news of its own
    GrantCall.objects.filter(pk=call.pk).update(grant_news_due_at=None)
    untold = Q(grant_call=call, status__in=GRANTED_STATES, grant_told_at__isnull=True)
    granted = list(public_proposals(city=call.city).filter(untold).order_by("title", "pk"))
    alerts = AreaAlert.objects.filter(city=call.city, user__is_active=True, projects=True)
    news: dict[int, list[tuple[Proposal, list[AreaAlert]]]] = {}
    for proposal in granted:
        mine = alerts.exclude(user_id=proposal.author_id)  # the applicants know already
        for user_id, theirs in _covering(proposal, mine, public_proposals).items():
            news.setdefault(user_id, []).append((proposal, theirs))
    for items in news.values():
        user = items[0][1][0].user
        with translation.override(user.language_in(call.city)):
            subject, body, headers = _grants_mail(call, items)
            mail(subject, body, [user.email], headers=headers, city=call.city)
    told = Proposal.objects.filter(pk__in=[p.pk for p in granted], grant_told_at__isnull=True)
    told.update(grant_told_at=timezone.now())
    return len(news)


def _grants_mail(call, items) -> tuple[str, str, dict]:
    """One e-mail of the grants that a person's alerts cover: each with its page, and how far
    from their place when a place's alert covers it."""
    n = len(items)
    names = {"n": n, "city": call.city.name, "title": items[0][0].title}
    if n == 1:
        subject = _("Funded in %(city)s: %(title)s") % names
    else:
        subject = (
            translation.ngettext(
                "%(n)s project funded in %(city)s", "%(n)s projects funded in %(city)s", n
            )
            % names
        )
    lines = [
        translation.ngettext(
            "The city decided to fund this project near you. It will be built by the "
            "residents who proposed it:",
            "The city decided to fund these %(n)s projects near you. They will be built by "
            "the residents who proposed them:",
            n,
        )
        % {"n": n}
    ]
    every = {}
    for proposal, theirs in items:
        page = reverse("proposals:detail", kwargs={"city": call.city.slug, "pk": proposal.pk})
        places = sorted((a for a in theirs if a.near is not None), key=lambda a: a.metres)
        near = (  # the nearest of their places, when one covers it
            " · "
            + _("about %(distance)s from the place you chose") % {"distance": _about(places[0])}
            if places
            else ""
        )
        lines.append(
            f"{proposal.title} ({proposal.get_category_display()}){near}\n{site_link(page)}"
        )
        every.update({alert.pk: alert for alert in theirs})
    alerts = sorted(every.values(), key=lambda a: (a.near is not None, a.district, a.pk))
    why, headers = _why_and_stop(alerts)
    return subject, "\n\n".join([*lines, why]), headers


def _why_and_stop(theirs: list[AreaAlert]) -> tuple[str, dict]:
    """An alert e-mail's last line (why it came, and the link that stops every alert of the
    person's that it answers) and its List-Unsubscribe headers."""
    token = stop_token(user_id=theirs[0].user_id, alert_ids=[alert.pk for alert in theirs])
    stop = site_link(reverse("alert-stop", kwargs={"token": token}))
    why = _(
        "You get these e-mails because you asked for news of %(area)s. To stop them: %(link)s"
    ) % {"area": areas_label(theirs), "link": stop}
    return why, unsubscribe_headers(stop)


def _about(alert: AreaAlert) -> str:
    """How far the news is from the alert's place, as people say it: "320 m", "1,4 km"."""
    from django.utils.formats import number_format

    metres = alert.metres.m
    if metres < 995:
        return _("%(m)s m") % {"m": max(10, round(metres / 10) * 10)}
    return _("%(km)s km") % {"km": number_format(round(metres / 1000, 1), 1)}


def _alert_mail(kind: str, obj, theirs: list[AreaAlert]) -> tuple[str, str, dict]:
    first_alert = theirs[0]  # the whole city, then its districts, then chosen places
    near = first_alert.near is not None
    names = {"area": first_alert.area_label(), "distance": _about(first_alert) if near else ""}
    if kind == "proposals":
        page = reverse("proposals:detail", kwargs={"city": obj.city.slug, "pk": obj.pk})
        names["title"] = obj.title
        if near:
            subject = _("New proposal near the place you chose: %(title)s") % names
            first = _(
                "A proposal was published about %(distance)s from the place you chose. It "
                "gathers supporters now:"
            ) % names  # fmt: skip
        else:
            subject = _("New proposal in %(area)s: %(title)s") % names
            first = _("A proposal was published in %(area)s. It gathers supporters now:") % names
        what = f"{obj.title} ({obj.get_category_display()})"
    elif kind == "projects":
        page = reverse("sites:intervention", kwargs={"city": obj.city.slug, "pk": obj.pk})
        names["title"] = obj.title
        if near:
            subject = _("Project completed near the place you chose: %(title)s") % names
            first = _(
                "A project was completed about %(distance)s from the place you chose. Its page "
                "shows what was made, with photos before and after where there are some:"
            ) % names  # fmt: skip
        else:
            subject = _("Project completed in %(area)s: %(title)s") % names
            first = _(
                "A project was completed in %(area)s. Its page shows what was made, with photos "
                "before and after where there are some:"
            ) % names  # fmt: skip
        from proposals.models import Proposal

        label = dict(Proposal.Category.choices).get(obj.category)
        what = f"{obj.title} ({label})" if label else obj.title
    else:
        page = reverse("sites:detail", kwargs={"city": obj.city.slug, "pk": obj.pk})
        names["name"] = obj.name
        if near:
            subject = _("New neglected site near the place you chose: %(name)s") % names
            first = _(
                "A neglected site about %(distance)s from the place you chose is now on the map:"
            ) % names  # fmt: skip
        else:
            subject = _("New neglected site in %(area)s: %(name)s") % names
            first = _("A neglected site in %(area)s is now on the map:") % names
        what = obj.name
    why, headers = _why_and_stop(theirs)
    return subject, "\n\n".join([first, what, site_link(page), why]), headers
