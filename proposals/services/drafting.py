"""Applicants: drafts, publishing for support, submission, revisions, withdrawal."""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format

from mapapp.amounts import AmountError, parse_amount
from mapapp.audit import audit_record
from mapapp.files import check_document
from proposals import messages as msg
from proposals.access import check_applicant
from proposals.geometry import check_location, parse_geojson_geometry
from proposals.models import BudgetLine, GrantCall, Proposal, ProposalVersion, Representative
from proposals.services import alerts
from proposals.services.common import S, check_status, refuse, transition

EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "neighbour_involvement",
    "maintenance_plan",
    "landowner",
    "contact_phone",
)
MAX_BUDGET_LINES = 50
KEEP = object()  # "leave as it is" for optional arguments of proposal_save


def check_call_open(grant_call: GrantCall) -> None:
    if not grant_call.is_open():
        refuse(
            msg.CALL_NOT_OPEN,
            # in the current zone (a city's page runs in the city's): date_format alone
            # would print the stored UTC
            opens=date_format(timezone.localtime(grant_call.opens_at), "SHORT_DATETIME_FORMAT"),
            closes=date_format(timezone.localtime(grant_call.closes_at), "SHORT_DATETIME_FORMAT"),
        )


def check_applicant_eligible(*, user, grant_call: GrantCall, applicant_kind: str, organisation):
    if applicant_kind == Proposal.ApplicantKind.NGO:
        if not grant_call.allow_ngos:
            refuse(msg.CALL_INDIVIDUALS_ONLY)
        verified = Representative.objects.filter(
            organisation=organisation, user=user, verified_at__isnull=False
        ).exists()
        if organisation is None or not verified or organisation.city_id != grant_call.city_id:
            refuse(msg.NGO_NOT_VERIFIED)
    elif not grant_call.allow_individuals:
        refuse(msg.CALL_NGOS_ONLY)


@transaction.atomic
def proposal_create_draft(
    *, author, grant_call: GrantCall, applicant_kind: str = "individual", organisation=None
) -> Proposal:
    check_call_open(grant_call)
    check_applicant_eligible(
        user=author, grant_call=grant_call, applicant_kind=applicant_kind, organisation=organisation
    )
    proposal = Proposal.objects.create(
        city=grant_call.city,
        grant_call=grant_call,
        author=author,
        applicant_kind=applicant_kind,
        organisation=organisation if applicant_kind == "ngo" else None,
    )
    audit_record(actor=author, action="proposal.draft", obj=proposal, city=proposal.city)
    return proposal


def _parse_budget(lines) -> list[tuple[str, Decimal]]:
    parsed = []
    errors = []
    for i, (item, amount) in enumerate(lines, start=1):
        item = (item or "").strip()
        if not item and amount in (None, ""):
            continue
        try:
            value = parse_amount(amount)
        except AmountError as error:
            errors.append(msg.BUDGET_LINE_UNREADABLE % {"n": i, "error": error.message})
            continue
        if not item or value <= 0:
            errors.append(msg.BUDGET_LINE_INCOMPLETE % {"n": i})
            continue
        parsed.append((item[:200], value))
    if errors:
        raise ValidationError({"budget": errors})
    if len(parsed) > MAX_BUDGET_LINES:
        raise ValidationError({"budget": [msg.BUDGET_TOO_MANY % {"n": MAX_BUDGET_LINES}]})
    return parsed


def revision_window_open(proposal: Proposal) -> bool:
    """Between rounds, once feedback for the last closed round is released."""
    call = proposal.grant_call
    return (
        proposal.status == S.IN_ASSESSMENT
        and 1 <= call.current_round < call.rounds
        and not call.round_open
        and proposal.feedback.filter(round_number=call.current_round).exists()
    )


@transaction.atomic
def proposal_save(
    *,
    actor,
    proposal: Proposal,
    fields: dict,
    budget_lines: list[tuple[str, str]] | None = None,
    point_geojson=None,
    area_geojson=None,
    consent_document=None,
    site=KEEP,
) -> Proposal:
    """Save the applicant's edits: any time before submission, or as a revision between
    assessment rounds (which keeps a new version). Raises ValidationError with per-field
    messages; nothing is written then."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    check_applicant(actor, proposal)
    revising = proposal.status == S.IN_ASSESSMENT
    if revising and not revision_window_open(proposal):
        refuse(msg.REVISION_NOT_NOW)
    if not revising:
        check_status(proposal, S.DRAFT, S.COLLECTING_SUPPORT)

    errors: dict[str, list] = {}
    for name in EDITABLE_FIELDS:
        if name in fields:
            value = (fields[name] or "").strip()
            if name == "title":  # one line: it heads pages, lists, e-mail subjects, feeds
                value = " ".join(value.split())
            setattr(proposal, name, value)
    if point_geojson is not None or area_geojson is not None:
        try:
            area = parse_geojson_geometry(area_geojson)
            point = parse_geojson_geometry(point_geojson)
            if area is not None or point is not None:
                location = check_location(
                    city=proposal.city, grant_call=proposal.grant_call, point=point, area=area
                )
                proposal.geom, proposal.area = location.point, location.area
            elif revising:
                refuse(msg.GEOMETRY_REQUIRED)
            else:
                proposal.geom = proposal.area = None
        except ValidationError as exc:
            errors["geom"] = exc.messages
    lines = None
    if budget_lines is not None:
        try:
            lines = _parse_budget(budget_lines)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    linked_before = proposal.site_id
    if site is not KEEP:
        if site is not None and (site.city_id != proposal.city_id or site.moderation != "accepted"):
            errors["site"] = [str(msg.NOT_ALLOWED)]
        else:
            proposal.site = site
    if consent_document is not None:
        try:
            check_document(consent_document)
            proposal.consent_document = consent_document
        except ValidationError as exc:
            errors["consent_document"] = exc.messages
    try:
        # geometry was checked above (check_location); its constraints stay in the database
        proposal.full_clean(exclude=["consent_document", "geom", "area"])
    except ValidationError as exc:
        for key, value in exc.message_dict.items():
            errors.setdefault(key, []).extend(value)
    if errors:
        raise ValidationError(errors)

    if lines is not None:
        proposal.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(proposal=proposal, position=i, item=item, amount=amount)
            for i, (item, amount) in enumerate(lines)
        )
        proposal.requested_amount = sum((a for _, a in lines), Decimal("0"))
    if revising:
        _check_complete(proposal)
        _check_budget(proposal)
    proposal.save()
    if proposal.status == S.COLLECTING_SUPPORT and proposal.site_id not in (None, linked_before):
        _tell_site_reporter(proposal)  # a public proposal, newly for a reported place
    if revising:
        version = _snapshot(proposal)
        audit_record(
            actor=actor,
            action="proposal.revise",
            obj=proposal,
            city=proposal.city,
            after={"version": version.number},
        )
    return proposal


def missing_fields(proposal: Proposal) -> list[str]:
    labels = []
    for name in (
        "title",
        "description",
        "category",
        "neighbour_involvement",
        "maintenance_plan",
        "landowner",
    ):
        if not getattr(proposal, name):
            labels.append(str(Proposal._meta.get_field(name).verbose_name))
    if proposal.geom is None:
        labels.append(str(Proposal._meta.get_field("geom").verbose_name))
    if not proposal.budget_lines.exists():
        labels.append(str(msg.BUDGET_EMPTY))
    return labels


def _check_complete(proposal: Proposal) -> None:
    missing = missing_fields(proposal)
    if missing:
        refuse(msg.INCOMPLETE, missing=", ".join(missing))


def _check_budget(proposal: Proposal) -> None:
    total = proposal.budget_lines.aggregate(t=Sum("amount"))["t"] or Decimal("0")
    if total != proposal.requested_amount:
        refuse(msg.BUDGET_MISMATCH, sum=total, total=proposal.requested_amount)
    if total > proposal.grant_call.project_cap:
        refuse(msg.OVER_CAP, total=total, cap=proposal.grant_call.project_cap)


def _snapshot(proposal: Proposal) -> ProposalVersion:
    proposal.version += 1
    proposal.save(update_fields=["version", "updated_at"])
    return ProposalVersion.objects.create(
        proposal=proposal,
        number=proposal.version,
        round_number=proposal.grant_call.current_round,
        title=proposal.title,
        description=proposal.description,
        category=proposal.category,
        neighbour_involvement=proposal.neighbour_involvement,
        maintenance_plan=proposal.maintenance_plan,
        budget=[
            {"item": line.item, "amount": str(line.amount)} for line in proposal.budget_lines.all()
        ],
        requested_amount=proposal.requested_amount,
        geom=proposal.geom,
        area=proposal.area,
    )


def active_support_count(proposal: Proposal) -> int:
    """Counted from the supports themselves (the rules check this, not the stored count)."""
    return proposal.supports.filter(withdrawn_at__isnull=True).count()


@transaction.atomic
def proposal_publish(*, actor, proposal: Proposal) -> Proposal:
    """Make the proposal public so that supporters can sign it."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    check_applicant(actor, proposal)
    check_status(proposal, S.DRAFT)
    check_call_open(proposal.grant_call)
    missing = [
        str(Proposal._meta.get_field(n).verbose_name)
        for n in ("title", "description")
        if not getattr(proposal, n)
    ]
    if proposal.geom is None:
        missing.append(str(Proposal._meta.get_field("geom").verbose_name))
    if missing:
        refuse(msg.INCOMPLETE, missing=", ".join(missing))
    proposal = transition(
        proposal,
        to=S.COLLECTING_SUPPORT,
        actor=actor,
        allowed_from=(S.DRAFT,),
        published_at=timezone.now(),
    )
    alerts.enqueue("proposals", proposal.pk, proposal.city_id)  # those who asked for its area
    if proposal.site_id:
        _tell_site_reporter(proposal)
    return proposal


def _tell_site_reporter(proposal: Proposal) -> None:
    from sites.services import tell_reporter_of_proposal

    transaction.on_commit(lambda: tell_reporter_of_proposal(proposal.pk))


@transaction.atomic
def proposal_submit(*, actor, proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    check_applicant(actor, proposal)
    check_status(proposal, S.DRAFT, S.COLLECTING_SUPPORT)
    call = proposal.grant_call
    check_call_open(call)
    check_applicant_eligible(
        user=actor,
        grant_call=call,
        applicant_kind=proposal.applicant_kind,
        organisation=proposal.organisation,
    )
    _check_complete(proposal)
    _check_budget(proposal)
    if call.landowner_consent_required:
        if proposal.landowner == Proposal.Landowner.UNKNOWN:
            refuse(msg.LANDOWNER_UNKNOWN)
        if not proposal.consent_document:
            refuse(msg.CONSENT_MISSING)
    have = active_support_count(proposal)
    if have < call.min_supporters:
        refuse(
            msg.TOO_FEW_SUPPORTERS,
            missing=call.min_supporters - have,
            have=have,
            need=call.min_supporters,
        )
    transition(
        proposal,
        to=S.SUBMITTED,
        actor=actor,
        allowed_from=(S.DRAFT, S.COLLECTING_SUPPORT),
        submitted_at=timezone.now(),
        published_at=proposal.published_at or timezone.now(),
    )
    _snapshot(proposal)
    return proposal


def expire_unsubmitted(*, grant_call: GrantCall | None = None, now=None) -> int:
    """Proposals still gathering support when their call closed were never submitted: they
    leave the public pages and stop counting as waiting (so the call can be decided and its
    supporters' details erased in time), and the applicant is told. Run daily and when a
    call's first round opens. Drafts stay the applicant's. Returns how many expired."""
    now = now or timezone.now()
    due = Proposal.objects.filter(
        status=S.COLLECTING_SUPPORT, grant_call__closes_at__lte=now
    ).order_by("pk")
    if grant_call is not None:
        due = due.filter(grant_call=grant_call)
    count = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=pk)
            if proposal.status != S.COLLECTING_SUPPORT:
                continue  # submitted or withdrawn meanwhile
            transition(
                proposal, to=S.EXPIRED, actor=None, allowed_from=(S.COLLECTING_SUPPORT,),
                note=msg.EXPIRED_NOTE,  # lazy: the e-mail says it in the applicant's language
            )  # fmt: skip
            count += 1
    return count


def deadline_reminders_send(*, city, now=None) -> int:
    """Applicants whose proposal is not submitted (a draft, or gathering support) are
    reminded before their call closes, SUBMIT_REMIND_DAYS before it (7 and 2 by default):
    what is still missing, or that it is ready to submit. Each stage once per deadline
    (DeadlineReminder; a moved deadline is reminded again); a proposal first seen in a
    later stage gets that one only. Run daily. Returns how many were reminded."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import IntegrityError

    from proposals.models import DeadlineReminder

    now = now or timezone.now()
    stages = sorted(settings.SUBMIT_REMIND_DAYS)
    if not stages:
        return 0
    waiting = Proposal.objects.filter(
        city=city, status__in=(S.DRAFT, S.COLLECTING_SUPPORT),
        grant_call__opens_at__lte=now, grant_call__closes_at__gt=now,
        grant_call__closes_at__lte=now + timedelta(days=stages[-1]),
    ).select_related("grant_call", "author", "city")  # fmt: skip
    reminded = 0
    for proposal in waiting.order_by("pk"):
        deadline = proposal.grant_call.closes_at
        stage = next(days for days in stages if deadline - now <= timedelta(days=days))
        done = proposal.deadline_reminders.filter(deadline=deadline, days__lte=stage)
        if done.exists():
            continue
        try:
            with transaction.atomic():  # one reminder however many jobs run at once
                DeadlineReminder.objects.create(proposal=proposal, deadline=deadline, days=stage)
                transaction.on_commit(lambda p=proposal: _remind_of_deadline(p))
        except IntegrityError:
            continue
        reminded += 1
    return reminded


def _remind_of_deadline(proposal: Proposal) -> None:
    """The reminder itself, in the applicant's language, with the call's deadline in the
    city's time and what the proposal still lacks."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from mapapp.tasks import mail, site_link
    from proposals.services.calls import deadline_local

    call, city = proposal.grant_call, proposal.city
    with translation.override(proposal.author.language_in(city)):
        words = {
            "call": call.display_title,
            "when": deadline_local(call),
            "city": city.name,
            "title": proposal.title or _("Untitled proposal"),
        }
        lines = [
            _(
                "The call “%(call)s” closes on %(when)s (%(city)s time). Your proposal "
                "“%(title)s” is not submitted yet: a proposal not submitted by then is not "
                "assessed."
            )
            % words
        ]
        missing = missing_fields(proposal)
        if missing:
            lines.append(_("Still to fill in: %(missing)s.") % {"missing": ", ".join(missing)})
        if call.landowner_consent_required and not proposal.consent_document:
            lines.append(_("The landowner's consent is still to be uploaded."))
        if proposal.status == S.DRAFT:
            lines.append(_("It is still a draft: publish it, so that people can support it."))
            ready = False
        else:
            have, need = active_support_count(proposal), call.min_supporters
            if have < need:
                lines.append(
                    _("It has %(have)s of the %(need)s supporters it needs.")
                    % {"have": have, "need": need}
                )
            ready = have >= need
        if ready and len(lines) == 1:
            lines.append(_("It has all it needs: submit it."))
        subject = _("“%(title)s” is not submitted: the call closes on %(when)s") % words
        url = reverse("proposals:edit", kwargs={"city": city.slug, "pk": proposal.pk})
        body = "\n\n".join(lines) + "\n\n" + site_link(url)
        mail(subject, body, [proposal.author.email], city=city)


COPYABLE = (S.EXPIRED, S.REJECTED, S.INELIGIBLE, S.WITHDRAWN, S.REVOKED)


@transaction.atomic
def proposal_copy(*, author, source: Proposal, grant_call: GrantCall) -> Proposal:
    """A new draft in an open call from the applicant's proposal that went nowhere (not
    submitted in time, not granted, ineligible, withdrawn, its grant revoked): its text,
    category, place and budget. Not its supporters, landowner's consent or photos: they
    belong to the earlier call, and a consent document may be erased with it. The new call's
    rules apply: a place it refuses (a smaller largest area) is left for the applicant to
    draw again."""
    source = Proposal.objects.select_related("organisation", "site").get(pk=source.pk)
    check_applicant(author, source)
    check_status(source, *COPYABLE)
    if grant_call.city_id != source.city_id:
        refuse(msg.NOT_ALLOWED)
    draft = proposal_create_draft(
        author=author,
        grant_call=grant_call,
        applicant_kind=source.applicant_kind,
        organisation=source.organisation,
    )
    fields = {name: getattr(source, name) for name in EDITABLE_FIELDS}
    lines = [(line.item, str(line.amount)) for line in source.budget_lines.order_by("position")]
    # GeoJSON from the coordinates themselves: GEOS's own output rounds the last digit
    if source.area is not None:
        place = {"area_geojson": json.dumps({"type": "Polygon", "coordinates": source.area.coords})}
    elif source.geom is not None:
        place = {"point_geojson": json.dumps({"type": "Point", "coordinates": source.geom.coords})}
    else:
        place = {}
    site = source.site if source.site and source.site.moderation == "accepted" else None
    try:
        with transaction.atomic():
            copy = proposal_save(
                actor=author, proposal=draft, fields=fields, budget_lines=lines, site=site,
                **place,
            )  # fmt: skip
    except ValidationError:
        copy = proposal_save(actor=author, proposal=draft, fields=fields, budget_lines=lines)
    audit_record(actor=author, action="proposal.copy", obj=copy, city=copy.city,
                 after={"from": source.pk, "call": grant_call.pk})  # fmt: skip
    return copy


WITHDRAWABLE = (
    S.DRAFT,
    S.COLLECTING_SUPPORT,
    S.SUBMITTED,
    S.IN_ASSESSMENT,
    S.GRANTED,
    S.AGREEMENT_SIGNED,
)


@transaction.atomic
def proposal_withdraw(*, actor, proposal: Proposal, note: str = "") -> Proposal:
    from sites.services import FUNDED_ONGOING, site_project_dropped

    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    check_applicant(actor, proposal)
    funded = proposal.status in FUNDED_ONGOING
    proposal = transition(
        proposal, to=S.WITHDRAWN, actor=actor, allowed_from=WITHDRAWABLE, note=note
    )
    if funded:  # its listed site is no longer being revitalised, unless another project goes on
        from proposals.services.grants import tell_officers_grant_freed

        site_project_dropped(actor=actor, proposal=proposal)
        # the officers hear that its grant is free for the next in line
        transaction.on_commit(lambda: tell_officers_grant_freed(proposal.pk, note))
    return proposal
