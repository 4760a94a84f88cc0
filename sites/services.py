"""Writes for sites and interventions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mapapp.audit import audit_record
from mapapp.files import delete_after_commit
from mapapp.images import process_image
from mapapp.models import City, Role
from mapapp.tasks import mail, site_link
from proposals.access import has_role
from proposals.geometry import check_location, parse_geojson_geometry
from sites.models import Intervention, Open311Request, PhotoPair, Site, SitePhoto

SITE_MAX_AREA_M2 = 200_000  # a neglected site may be a whole park or square (20 ha)
SITE_MAX_VERTICES = 1000
MAX_PHOTOS = 6
NOT_STAFF = gettext_lazy("Only programme officers and planners can do this.")
ALREADY_MODERATED = gettext_lazy("This report has already been moderated.")
REPORT_WITHDRAWN = gettext_lazy("The reporter has withdrawn this report.")
TOO_MANY_PHOTOS = gettext_lazy("At most %(n)s photos.")


def is_site_staff(user, city: City) -> bool:
    return has_role(user, city, Role.PROGRAMME_OFFICER, Role.PLANNER)


def check_site_staff(user, city: City) -> None:
    if not is_site_staff(user, city):
        raise PermissionDenied(NOT_STAFF)


def _location(city: City, point_geojson, area_geojson):
    try:
        location = check_location(
            city=city,
            max_area_m2=SITE_MAX_AREA_M2,
            max_vertices=SITE_MAX_VERTICES,
            point=parse_geojson_geometry(point_geojson),
            area=parse_geojson_geometry(area_geojson),
        )
    except ValidationError as exc:
        raise ValidationError({"geom": exc.messages}) from exc
    area = MultiPolygon(location.area, srid=4326) if location.area is not None else None
    return location.point, area


def _photos(site: Site, uploads) -> None:
    """All uploads are checked before any is stored (nothing half-saved)."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({"photos": [TOO_MANY_PHOTOS % {"n": MAX_PHOTOS}]})
    processed = []
    for upload in uploads:
        try:
            processed.append(process_image(upload, name_stem=f"site{site.pk}"))
        except ValidationError as exc:
            raise ValidationError(
                {"photos": [f"{upload.name}: {m}" for m in exc.messages]}
            ) from exc
    for image in processed:
        photo = SitePhoto(site=site)
        photo.image.save(image.display.name, image.display, save=False)
        photo.thumbnail.save(image.thumbnail.name, image.thumbnail, save=False)
        photo.save()


@transaction.atomic
def site_report(
    *,
    reporter,
    city: City,
    name: str,
    description: str,
    point_geojson=None,
    area_geojson=None,
    photos=None,
) -> Site:
    """A resident's report: it waits for moderation and is not public until accepted."""
    if not getattr(reporter, "is_authenticated", False):
        raise PermissionDenied
    point, area = _location(city, point_geojson, area_geojson)
    site = Site(
        city=city,
        name=(name or "").strip(),
        description=(description or "").strip(),
        geom=point,
        area=area,
        reported_by=reporter,
        source="report",
        moderation=Site.Moderation.PENDING,
    )
    site.full_clean(exclude=["geom", "area"])
    site.save()
    _photos(site, photos)
    audit_record(actor=reporter, action="site.report", obj=site, city=city)
    return site


@transaction.atomic
def site_save(
    *,
    actor,
    city: City,
    site: Site | None = None,
    name: str,
    description: str,
    condition: str,
    ownership: str,
    district: str = "",
    point_geojson=None,
    area_geojson=None,
    photos=None,
) -> Site:
    """Planners and officers add or edit sites directly (public at once)."""
    check_site_staff(actor, city)
    created = site is None
    site = site or Site(city=city, source="staff", reported_by=actor)
    before = None if created else {"condition": site.condition, "name": site.name}
    if point_geojson or area_geojson or created:
        site.geom, site.area = _location(city, point_geojson, area_geojson)
    site.name, site.description = (name or "").strip(), (description or "").strip()
    site.condition, site.ownership, site.district = condition, ownership, (district or "").strip()
    if created:
        site.moderation, site.moderated_by = Site.Moderation.ACCEPTED, actor
    site.full_clean(exclude=["geom", "area"])
    site.save()
    _photos(site, photos)
    if created:
        from proposals.services import alerts

        alerts.enqueue("sites", site.pk, city.pk)  # one added by staff is news as well
    audit_record(
        actor=actor,
        action="site.create" if created else "site.update",
        obj=site,
        city=city,
        before=before,
        after={"condition": site.condition, "name": site.name},
    )
    return site


@transaction.atomic
def site_moderate(*, actor, site: Site, accept: bool, note: str = "") -> Site:
    check_site_staff(actor, site.city)
    site = (
        Site.objects.select_for_update(of=("self",)).select_related("city")
        .filter(pk=site.pk).first()
    )  # fmt: skip
    if site is None:  # withdrawn by its reporter since the queue was shown
        raise ValidationError(REPORT_WITHDRAWN)
    if site.moderation != Site.Moderation.PENDING:
        raise ValidationError(ALREADY_MODERATED)
    if not accept and not (note or "").strip():
        raise ValidationError({"note": [_("Tell the reporter why the report is not accepted.")]})
    site.moderation = Site.Moderation.ACCEPTED if accept else Site.Moderation.REJECTED
    site.moderation_note, site.moderated_by = (note or "").strip(), actor
    site.save(update_fields=["moderation", "moderation_note", "moderated_by", "updated_at"])
    audit_record(
        actor=actor,
        action=f"site.{site.moderation}",
        obj=site,
        city=site.city,
        before={"moderation": "pending"},
        after={"moderation": site.moderation},
        note=site.moderation_note,
    )
    if site.reported_by_id or hasattr(site, "open311"):
        transaction.on_commit(lambda: _tell_reporter(site.pk))
    if accept:
        from proposals.services import alerts

        alerts.enqueue("sites", site.pk, site.city_id)  # those who asked for its area
    return site


@transaction.atomic
def site_report_withdraw(*, user, site: Site) -> None:
    """The reporter takes back a report the officers have not moderated yet (the wrong
    place, a photo that should not be seen): it goes, with its photos' files once the
    transaction commits; the audit keeps its name. A moderated report stays (an accepted
    one is public; the reasons for one not accepted were sent)."""
    site = Site.objects.select_for_update(of=("self",)).filter(pk=site.pk).first()
    if site is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    if site.reported_by_id != user.pk or site.source != "report":
        raise PermissionDenied
    if site.moderation != Site.Moderation.PENDING:
        raise ValidationError(ALREADY_MODERATED)
    audit_record(
        actor=user, action="site.withdrawn", obj=site, city=site.city,
        before={"name": site.name, "photos": site.photos.count()},
    )  # fmt: skip
    files = [f for photo in site.photos.all() for f in (photo.image, photo.thumbnail)]
    site.delete()
    delete_after_commit(*files)


def reporter_contact(site: Site) -> tuple[str, str, int | None]:
    """Where the person who reported a site hears of it: (address, language, account id).
    A resident at their account's address and in their language; someone who reported
    through an Open311 application at the address they gave, if any, in the city's."""
    user = site.reported_by
    if user is not None:
        return user.email, user.language_in(site.city), user.pk
    request = Open311Request.objects.filter(site=site).first()
    return (request.email if request else ""), site.city.default_language, None


def _tell_reporter(site_id: int) -> None:
    """The reporter hears the outcome of the moderation."""
    site = Site.objects.select_related("reported_by", "city").get(pk=site_id)
    address, language, _user = reporter_contact(site)
    if not address:
        return
    with translation.override(language):
        subject = _("Your report “%(name)s”: %(outcome)s") % {
            "name": site.name,
            "outcome": site.get_moderation_display(),
        }
        body = subject + ("\n\n" + site.moderation_note if site.moderation_note else "")
        if site.moderation == Site.Moderation.ACCEPTED:  # public from now on
            url = reverse("sites:detail", kwargs={"city": site.city.slug, "pk": site.pk})
            body += "\n\n" + site_link(url)
        mail(subject, body, [address], city=site.city)


def _mail_reporter(site: Site | None, *, applicant_id: int | None, compose) -> None:
    """E-mail whoever reported `site` what `compose()` writes, (subject, text, page), in
    their language. Not the project's own applicant (who knows), nor for a site the public
    no longer sees."""
    if site is None or site.moderation != Site.Moderation.ACCEPTED or site.hidden_at:
        return
    address, language, user_id = reporter_contact(site)
    if not address or (user_id is not None and user_id == applicant_id):
        return
    with translation.override(language):
        subject, body, page = compose()
        mail(subject, body + "\n\n" + site_link(page), [address], city=site.city)


def _tell_reporter_revitalised(intervention_id: int) -> None:
    """The neglected place someone reported was made good by a project of the programme:
    they are told, with the completed project's page (before and after)."""
    intervention = Intervention.objects.select_related(
        "site__reported_by", "site__city", "proposal"
    ).get(pk=intervention_id)
    site = intervention.site

    def compose():
        words = {"name": site.name, "title": intervention.title}
        return (
            _("The place you reported, “%(name)s”, has been revitalised") % words,
            _(
                "Residents carried out the project “%(title)s” there, with a grant from the city."
                " See the place before and after:"
            )
            % words,
            reverse("sites:intervention", kwargs={"city": site.city.slug, "pk": intervention.pk}),
        )

    _mail_reporter(site, applicant_id=intervention.proposal.author_id, compose=compose)


def tell_reporter_of_proposal(proposal_id: int) -> None:
    """A public proposal is made for a place someone reported: they are told, and may
    support it (it needs supporters while its call is open). Called after the commit that
    publishes the proposal, or links a public one to the site."""
    from proposals.models import Proposal

    proposal = Proposal.objects.select_related("site__reported_by", "site__city").get(
        pk=proposal_id
    )
    if proposal.hidden_at or proposal.status != proposal.Status.COLLECTING_SUPPORT:
        return
    site = proposal.site

    def compose():
        words = {"name": site.name, "title": proposal.title}
        return (
            _("A proposal for the place you reported, “%(name)s”") % words,
            _(
                "Residents propose “%(title)s” for the place you reported. It needs supporters "
                "while the call is open: if you would like it carried out, you can support it."
            )
            % words,
            reverse("proposals:detail", kwargs={"city": site.city.slug, "pk": proposal.pk}),
        )

    _mail_reporter(site, applicant_id=proposal.author_id, compose=compose)


# a granted project for the site, not yet accepted as completed: the place is being made good
FUNDED_ONGOING = ("granted", "agreement_signed", "in_progress", "completed")


def _move_condition(*, actor, proposal, was: str, to: str) -> bool:
    """The proposal's listed site from condition `was` to `to`, audited with the proposal
    that moved it; False (nothing changed) when the site is in another condition, which an
    officer set."""
    site = Site.objects.select_related("city").get(pk=proposal.site_id)
    if site.condition != was:
        return False
    site.condition = to
    site.save(update_fields=["condition", "updated_at"])
    audit_record(
        actor=actor,
        action="site.condition",
        obj=site,
        city=site.city,
        before={"condition": was},
        after={"condition": to, "proposal": proposal.pk},
    )
    return True


def site_project_funded(*, actor, proposal) -> None:
    """A proposal for a listed site was granted: the site is "being revitalised" on the
    public map and list (from "neglected" only: a condition an officer set stays), and its
    reporter is told once. In the decision's transaction."""
    C = Site.Condition
    if proposal.site_id and _move_condition(
        actor=actor, proposal=proposal, was=C.NEGLECTED, to=C.BEING_REVITALISED
    ):
        transaction.on_commit(lambda: _tell_reporter_funded(proposal.pk))


def _condition_set_by_a_project(site_id: int) -> bool:
    """Whether the site's condition was last changed by a funded project (`_move_condition`),
    not by staff (a site added or edited) or anything without an audit event (an import)."""
    from mapapp.models import AuditEvent

    events = AuditEvent.objects.filter(
        object_type="sites.site",
        object_id=str(site_id),
        action__in=("site.condition", "site.create", "site.update"),
    ).order_by("-at", "-id")
    for event in events.only("action", "before", "after"):
        before, after = event.before or {}, event.after or {}
        if event.action == "site.update" and before.get("condition") == after.get("condition"):
            continue  # its name or description edited: not its condition
        return event.action == "site.condition"
    return False


def site_project_dropped(*, actor, proposal) -> None:
    """A granted project for a listed site was withdrawn or its grant revoked before it was
    completed: the site is "neglected" again, unless another funded project for it goes on,
    or the condition "being revitalised" was not the project's doing (staff set it: the
    city's own works there, say). In the withdrawal's transaction."""
    from proposals.models import Proposal

    if not proposal.site_id:
        return
    others = Proposal.objects.filter(site_id=proposal.site_id, status__in=FUNDED_ONGOING)
    if not others.exclude(pk=proposal.pk).exists() and _condition_set_by_a_project(
        proposal.site_id
    ):
        C = Site.Condition
        _move_condition(actor=actor, proposal=proposal, was=C.BEING_REVITALISED, to=C.NEGLECTED)


def _tell_reporter_funded(proposal_id: int) -> None:
    """The place someone reported has a funded project: they are told, with its page."""
    from proposals.models import Proposal

    proposal = Proposal.objects.select_related("site__reported_by", "site__city").get(
        pk=proposal_id
    )
    site = proposal.site

    def compose():
        words = {"name": site.name, "title": proposal.title}
        return (
            _("The place you reported, “%(name)s”, will be revitalised") % words,
            _(
                "The city granted the project “%(title)s” for the place you reported; residents "
                "will carry it out. Follow it on its page:"
            )
            % words,
            reverse("proposals:detail", kwargs={"city": site.city.slug, "pk": proposal.pk}),
        )

    _mail_reporter(site, applicant_id=proposal.author_id, compose=compose)


@transaction.atomic
def site_report_open311(
    *,
    client,
    lat: float,
    lon: float,
    description: str,
    name: str = "",
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    device_id: str = "",
    media_url: str = "",
):
    """A report filed by an Open311 application: it enters the moderation queue like a
    resident's, and the application gets a token to ask for its request id later."""
    import json
    import uuid

    city = client.city
    point, area = _location(city, json.dumps({"type": "Point", "coordinates": [lon, lat]}), None)
    description = (description or "").strip()
    title = (name or "").strip() or description.split("\n")[0][:80]
    site = Site(
        city=city,
        name=title,
        description=description,
        geom=point,
        reported_by=None,
        source="open311",
        moderation=Site.Moderation.PENDING,
    )
    site.full_clean(exclude=["geom", "area"])
    site.save()
    request = Open311Request(
        token=uuid.uuid4(),
        site=site,
        client=client,
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        device_id=device_id,
        media_url=media_url,
    )
    request.full_clean(exclude=["site", "client", "token"])
    request.save()
    audit_record(
        actor=None, action="site.report", obj=site, city=city, note=f"Open311: {client.name}"
    )
    return request


# --- interventions --------------------------------------------------------------------


def intervention_from_proposal(*, proposal) -> Intervention:
    """The completed project of a granted proposal: its geometry, numbers and photo pairs.
    Called by proposals.services.delivery.completion_accept, inside its transaction."""
    from proposals.models import Photo
    from proposals.selectors import work_totals

    work = work_totals(proposal=proposal)
    spent = proposal.expenses.aggregate(t=Sum("amount"))["t"]
    area = MultiPolygon(proposal.area, srid=4326) if proposal.area is not None else None
    intervention, created = Intervention.objects.update_or_create(
        proposal=proposal,
        defaults={
            "city": proposal.city,
            "title": proposal.title,
            "description": proposal.description,
            "category": proposal.category,
            "geom": proposal.geom,
            "area": area,
            "completed_on": proposal.city.local_date(proposal.completed_at),
            "cost": spent or proposal.granted_amount or Decimal("0"),
            "funding": Intervention.Funding.GRANT,
            "grant_call": proposal.grant_call,
            "site": proposal.site,
            "volunteers": work["volunteers"],
            "volunteer_hours": work["volunteer_hours"],
            # blank: the page says "the residents who proposed it" in the reader's language
            "maintainer": proposal.organisation.name if proposal.organisation else "",
            "sustainability_ends_on": proposal.sustainability_ends_on,
        },
    )
    intervention.pairs.all().delete()
    afters = proposal.photos.filter(kind=Photo.Kind.AFTER, pair_of__isnull=False)
    for position, after in enumerate(afters.select_related("pair_of")):
        # the same stored files: nothing is copied or re-encoded
        PhotoPair.objects.create(
            intervention=intervention,
            before=after.pair_of.image.name,
            after=after.image.name,
            caption=after.caption or after.pair_of.caption,
            position=position,
        )
    if proposal.site_id:
        changed = (
            Site.objects.filter(pk=proposal.site_id)
            .exclude(condition=Site.Condition.REVITALISED)
            .update(condition=Site.Condition.REVITALISED)
        )
        if changed:  # once: the person who reported the place hears what became of it
            transaction.on_commit(lambda: _tell_reporter_revitalised(intervention.pk))
    if created:
        from proposals.services import alerts

        alerts.enqueue("projects", intervention.pk, intervention.city_id)  # news for its area
    return intervention


@transaction.atomic
def intervention_record(
    *,
    actor,
    city: City,
    title: str,
    description: str,
    category: str,
    completed_on: date,
    cost: Decimal,
    maintainer: str,
    point_geojson=None,
    area_geojson=None,
    volunteers: int = 0,
    volunteer_hours: Decimal = 0,
    sustainability_ends_on: date | None = None,
    pairs: list[tuple] = (),
) -> Intervention:
    """An intervention made outside the programme; pairs are (before, after, caption) uploads."""
    from proposals.services.common import refuse

    if not has_role(actor, city, Role.PROGRAMME_OFFICER):
        raise PermissionDenied(NOT_STAFF)
    point, area = _location(city, point_geojson, area_geojson)
    intervention = Intervention(
        city=city,
        title=(title or "").strip(),
        description=(description or "").strip(),
        category=category,
        geom=point,
        area=area,
        completed_on=completed_on,
        cost=cost,
        funding=Intervention.Funding.OTHER,
        maintainer=(maintainer or "").strip(),
        volunteers=volunteers,
        volunteer_hours=volunteer_hours,
        sustainability_ends_on=sustainability_ends_on,
    )
    intervention.full_clean(exclude=["geom", "area"])
    if len(pairs) > MAX_PHOTOS:
        refuse(TOO_MANY_PHOTOS, n=MAX_PHOTOS)
    processed = [_processed_pair(before, after, caption) for before, after, caption in pairs]
    intervention.save()
    for position, item in enumerate(processed):
        _store_pair(intervention, item, position)
    audit_record(actor=actor, action="intervention.record", obj=intervention, city=city)
    from proposals.services import alerts

    alerts.enqueue("projects", intervention.pk, city.pk)  # one recorded by hand is news too
    return intervention


def _processed_pair(before, after, caption):
    """Both photos checked and re-encoded before either is stored (nothing half-saved)."""
    return (
        process_image(before, name_stem="before"),
        process_image(after, name_stem="after"),
        (caption or "").strip()[:200],
    )


def _store_pair(intervention: Intervention, processed, position: int) -> PhotoPair:
    before, after, caption = processed
    pair = PhotoPair(intervention=intervention, caption=caption, position=position)
    pair.before.save(before.display.name, before.display, save=False)
    pair.after.save(after.display.name, after.display, save=False)
    pair.save()
    return pair


@transaction.atomic
def intervention_add_pair(
    *, actor, intervention: Intervention, before, after, caption=""
) -> PhotoPair:
    """A before/after pair added to a completed project later: one recorded without photos,
    or imported from a city's file (sites.importers.import_interventions)."""
    from proposals.services.common import refuse

    if not has_role(actor, intervention.city, Role.PROGRAMME_OFFICER):
        raise PermissionDenied(NOT_STAFF)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.pairs.count() >= MAX_PHOTOS:
        refuse(TOO_MANY_PHOTOS, n=MAX_PHOTOS)
    position = (intervention.pairs.order_by("-position").values_list("position", flat=True)
                .first())  # fmt: skip
    pair = _store_pair(
        intervention,
        _processed_pair(before, after, caption),
        0 if position is None else position + 1,
    )
    audit_record(
        actor=actor, action="intervention.pair_add", obj=intervention, city=intervention.city,
        after={"pair": pair.pk, "caption": pair.caption},
    )  # fmt: skip
    return pair


@transaction.atomic
def intervention_remove_pair(*, actor, pair: PhotoPair) -> None:
    """A pair taken off a project's page (a wrong photo). Its files stay when a proposal's
    photos are the same files (intervention_from_proposal shares them), else they go."""

    intervention = pair.intervention
    if not has_role(actor, intervention.city, Role.PROGRAMME_OFFICER):
        raise PermissionDenied(NOT_STAFF)
    audit_record(
        actor=actor, action="intervention.pair_remove", obj=intervention,
        city=intervention.city, before={"pair": pair.pk, "caption": pair.caption},
    )  # fmt: skip
    pair_delete(pair)


def pair_delete(pair: PhotoPair) -> None:
    """The pair's row now, its files once the transaction commits (a rollback keeps them),
    except files a proposal's photos share (intervention_from_proposal). No checks: the
    callers' (an officer's removal, an import that no longer names the pair)."""
    from proposals.models import Photo

    names = [pair.before.name, pair.after.name]
    shared = set(Photo.objects.filter(image__in=names).values_list("image", flat=True))
    files = [f for f in (pair.before, pair.after) if f.name not in shared]
    pair.delete()
    delete_after_commit(*files)
