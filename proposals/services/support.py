"""Supporters: online by confirmed users, or entered by officers from paper sheets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from mapapp.audit import audit_record
from mapapp.files import check_document
from proposals import messages as msg
from proposals.access import check_officer, email_confirmed
from proposals.models import Proposal, SignatureSheet, Support, normalise_identity
from proposals.services.common import S, refuse

SUPPORTABLE = (S.COLLECTING_SUPPORT, S.SUBMITTED)


def support_open(proposal: Proposal) -> bool:
    """Whether supports are given and withdrawn now: while the proposal gathers them (or is
    submitted) and its call is open. The pages offer the support form and the paper sheet
    by the same rule."""
    return proposal.status in SUPPORTABLE and proposal.grant_call.is_open()


def _check_support_window(proposal: Proposal) -> None:
    if not support_open(proposal):
        refuse(msg.SUPPORT_CLOSED)


def _clean_person(full_name: str, address: str) -> tuple[str, str]:
    full_name, address = (full_name or "").strip(), (address or "").strip()
    errors = {}
    if len(full_name) < 3:
        errors["full_name"] = [msg.SUPPORT_NAME]
    if len(address) < 5:
        errors["address"] = [msg.SUPPORT_ADDRESS]
    if errors:
        raise ValidationError(errors)
    return full_name[:200], address[:300]


def _touch(proposal: Proposal, delta: int) -> None:
    """Count the support (an increment: safe against concurrent supports) and mark the
    proposal as changed, since the count is part of the public map data."""
    Proposal.objects.filter(pk=proposal.pk).update(
        updated_at=timezone.now(), support_count=F("support_count") + delta
    )


def _create_support(
    *, proposal: Proposal, full_name: str, address: str, age_confirmed: bool, **values
) -> Support:
    """The checks every support passes (age, name and address), then the insert inside a
    savepoint: the unique constraints are the final word on duplicates, also against a
    second request racing this one."""
    if not age_confirmed:
        refuse(msg.SUPPORT_AGE, age=proposal.grant_call.supporter_min_age)
    full_name, address = _clean_person(full_name, address)
    struck = Q(identity_key=normalise_identity(full_name, address))
    if values.get("user") is not None:
        struck |= Q(user=values["user"])
    if proposal.supports.filter(struck, struck_by__isnull=False).exists():
        refuse(msg.SUPPORT_STRUCK)  # an officer's decision is not undone by signing again
    try:
        with transaction.atomic():
            support = Support.objects.create(
                proposal=proposal,
                full_name=full_name,
                address=address,
                age_confirmed=True,
                identity_key=normalise_identity(full_name, address),
                **values,
            )
    except IntegrityError:
        refuse(msg.SUPPORT_DUPLICATE)
    _touch(proposal, +1)
    return support


@transaction.atomic
def support_add(
    *, user, proposal: Proposal, full_name: str, address: str, age_confirmed: bool
) -> Support:
    proposal = Proposal.objects.select_related("grant_call").get(pk=proposal.pk)
    _check_support_window(proposal)
    if proposal.author_id == user.pk:
        refuse(msg.SUPPORT_OWN)
    if not email_confirmed(user):
        refuse(msg.SUPPORT_EMAIL_UNCONFIRMED)
    support = _create_support(
        proposal=proposal,
        full_name=full_name,
        address=address,
        age_confirmed=age_confirmed,
        user=user,
        source=Support.Source.ONLINE,
    )
    audit_record(
        actor=user,
        action="support.add",
        obj=support,
        city=proposal.city,
        after={"proposal": proposal.pk},
    )
    _flag_burst(proposal)
    return support


def _flag_burst(proposal: Proposal) -> None:
    """Many supports in a short time from accounts made just before: officers are told (a
    flag in their review queue, once while it is open); nothing is refused automatically."""
    from datetime import timedelta

    from django.conf import settings

    from mapapp.models import Flag

    now = timezone.now()
    window = timedelta(minutes=settings.SUPPORT_BURST_MINUTES)
    recent = Support.objects.filter(
        proposal=proposal,
        created_at__gte=now - window,
        user__date_joined__gte=now - timedelta(days=1),
    ).count()
    if recent < settings.SUPPORT_BURST_COUNT:
        return
    already = Flag.objects.filter(
        target_type=Flag.Target.PROPOSAL, target_id=proposal.pk, flagged_by=None, state="open"
    )
    if not already.exists():
        Flag.objects.create(
            city=proposal.city,
            target_type=Flag.Target.PROPOSAL,
            target_id=proposal.pk,
            reason=Flag.Reason.SUPPORT_BURST,
            details={"supports": recent, "minutes": settings.SUPPORT_BURST_MINUTES},
        )


@transaction.atomic
def support_withdraw(*, user, proposal: Proposal) -> Support:
    proposal = Proposal.objects.select_related("grant_call").get(pk=proposal.pk)
    _check_support_window(proposal)
    support = (
        Support.objects.select_for_update()
        .filter(proposal=proposal, user=user, withdrawn_at__isnull=True)
        .first()
    )
    if support is None:
        refuse(msg.SUPPORT_NOT_FOUND)
    support.withdrawn_at = timezone.now()
    support.save(update_fields=["withdrawn_at"])
    _touch(proposal, -1)
    audit_record(
        actor=user,
        action="support.withdraw",
        obj=support,
        city=proposal.city,
        after={"proposal": proposal.pk},
    )
    return support


STRIKABLE = (S.COLLECTING_SUPPORT, S.SUBMITTED)


@transaction.atomic
def support_strike(*, actor, support: Support, reason: str) -> Support:
    """An officer checking the supporters finds one invalid (no such person or address,
    under age, the same person twice under two spellings...): it stops counting and is
    kept, with who struck it and why. Until the formal check decides; the same person
    cannot support the proposal again."""
    proposal = (
        Proposal.objects.select_for_update().select_related("city").get(pk=support.proposal_id)
    )
    check_officer(actor, proposal.city)
    if proposal.status not in STRIKABLE:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError({"strike_reason": [msg.STRIKE_REASON]})
    support = Support.objects.select_for_update().get(pk=support.pk)
    if support.withdrawn_at is not None:
        refuse(msg.SUPPORT_INACTIVE)
    support.withdrawn_at = timezone.now()
    support.struck_by = actor
    support.strike_reason = reason[:300]
    support.save(update_fields=["withdrawn_at", "struck_by", "strike_reason"])
    _touch(proposal, -1)
    audit_record(
        actor=actor,
        action="support.strike",
        obj=support,
        city=proposal.city,
        after={"proposal": proposal.pk},
        note=reason,
    )
    return support


@transaction.atomic
def support_restore(*, actor, support: Support) -> Support:
    """A support struck by mistake counts again: while supports may still be struck, by an
    officer. The audit keeps the strike's reason and who restored it."""
    proposal = (
        Proposal.objects.select_for_update().select_related("city").get(pk=support.proposal_id)
    )
    check_officer(actor, proposal.city)
    if proposal.status not in STRIKABLE:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    support = Support.objects.select_for_update().get(pk=support.pk)
    struck = support.withdrawn_at is not None and (support.struck_by_id or support.strike_reason)
    if not struck:  # withdrawn by the person, or counting: not the officers' to restore
        refuse(msg.SUPPORT_NOT_STRUCK)
    reason = support.strike_reason
    support.withdrawn_at, support.struck_by, support.strike_reason = None, None, ""
    try:
        with transaction.atomic():
            support.save(update_fields=["withdrawn_at", "struck_by", "strike_reason"])
    except IntegrityError:  # the same person counts already (a later support of theirs)
        refuse(msg.SUPPORT_DUPLICATE_ACTIVE)
    _touch(proposal, +1)
    audit_record(
        actor=actor,
        action="support.restore",
        obj=support,
        city=proposal.city,
        before={"strike_reason": reason},
        after={"proposal": proposal.pk},
    )
    return support


@transaction.atomic
def signature_sheet_upload(*, actor, proposal: Proposal, file) -> SignatureSheet:
    check_officer(actor, proposal.city)
    check_document(file)
    sheet = SignatureSheet.objects.create(proposal=proposal, file=file, uploaded_by=actor)
    audit_record(actor=actor, action="support.sheet", obj=sheet, city=proposal.city)
    return sheet


@transaction.atomic
def support_add_paper(
    *, actor, sheet: SignatureSheet, full_name: str, address: str, age_confirmed: bool
) -> Support:
    """A supporter from a scanned paper sheet; refused when the same person (name and
    address, ignoring case, accents and punctuation) already supports the proposal."""
    proposal = sheet.proposal
    check_officer(actor, proposal.city)
    _check_support_window(proposal)
    support = _create_support(
        proposal=proposal,
        full_name=full_name,
        address=address,
        age_confirmed=age_confirmed,
        source=Support.Source.PAPER,
        sheet=sheet,
        entered_by=actor,
    )
    audit_record(
        actor=actor,
        action="support.paper",
        obj=support,
        city=proposal.city,
        after={"proposal": proposal.pk, "sheet": sheet.pk},
    )
    return support
