"""Flags: residents report content that should not be public; officers review. Upholding a
flag hides the proposal or site everywhere public (pages, API, OGC API, tiles, exports go
through the same public selectors); nothing of the content is changed, so it can be shown
again or kept as evidence."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mapapp.audit import audit_record
from mapapp.models import City, Flag

ALREADY_FLAGGED = _("You have already reported this; an officer will look at it.")
ALREADY_REVIEWED = _("This report has already been reviewed.")


def _target_model(target_type: str):
    from proposals.models import Proposal
    from sites.models import Site

    return {Flag.Target.PROPOSAL: Proposal, Flag.Target.SITE: Site}[target_type]


def can_review(user, city: City) -> bool:
    from proposals.access import is_officer

    return is_officer(user, city)


@transaction.atomic
def flag_create(*, user, city: City, target_type: str, target_id: int, reason: str, note: str):
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    reasons = {value for value, _label in Flag.resident_reasons()}
    if target_type not in Flag.Target.values or reason not in reasons:
        raise ValidationError(_("Choose what is wrong."))
    target = _target_model(target_type).objects.filter(city=city, pk=target_id).first()
    if target is None:
        raise ValidationError(_("There is nothing to report here."))
    flag = Flag(city=city, target_type=target_type, target_id=target.pk, reason=reason,
                note=(note or "").strip()[:1000], flagged_by=user)  # fmt: skip
    try:
        with transaction.atomic():
            flag.save()
    except IntegrityError as exc:
        raise ValidationError(ALREADY_FLAGGED) from exc
    audit_record(actor=user, action="flag.create", obj=flag, city=city,
                 after={"target": f"{target_type}#{target.pk}", "reason": reason})  # fmt: skip
    return flag


@transaction.atomic
def flag_review(*, actor, flag: Flag, uphold: bool, note: str = "") -> Flag:
    if not can_review(actor, flag.city):
        raise PermissionDenied
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.state != Flag.State.OPEN:
        raise ValidationError(ALREADY_REVIEWED)
    now = timezone.now()
    state = Flag.State.UPHELD if uphold else Flag.State.DISMISSED
    model = _target_model(flag.target_type)
    if uphold:
        model.objects.filter(pk=flag.target_id, hidden_at__isnull=True).update(hidden_at=now)
        # the other open reports of the same content are answered by this decision
        same = Flag.objects.filter(
            target_type=flag.target_type, target_id=flag.target_id, state=Flag.State.OPEN
        )
    else:
        same = Flag.objects.filter(pk=flag.pk)
    same.update(state=state, reviewed_by=actor, reviewed_at=now, review_note=note.strip())
    audit_record(actor=actor, action=f"flag.{state}", obj=flag, city=flag.city,
                 before={"state": "open"}, after={"state": state,
                 "target": f"{flag.target_type}#{flag.target_id}"}, note=note)  # fmt: skip
    flag.refresh_from_db()
    return flag


@transaction.atomic
def content_show_again(*, actor, city: City, target_type: str, target_id: int) -> None:
    if not can_review(actor, city):
        raise PermissionDenied
    model = _target_model(target_type)
    done = model.objects.filter(city=city, pk=target_id, hidden_at__isnull=False).update(
        hidden_at=None
    )
    if done:
        audit_record(actor=actor, action="content.shown", obj=model.objects.get(pk=target_id),
                     city=city)  # fmt: skip


def open_flags(*, city: City) -> list[Flag]:
    """The open reports, oldest first, each with its `target` (the proposal or site, None if
    it is gone) so the queue can name what was reported: one query per kind of target."""
    flags = list(Flag.objects.filter(city=city, state=Flag.State.OPEN).select_related("flagged_by"))
    for target_type in Flag.Target.values:
        ids = {f.target_id for f in flags if f.target_type == target_type}
        found = _target_model(target_type).objects.filter(city=city).in_bulk(ids) if ids else {}
        for f in flags:
            if f.target_type == target_type:
                f.target = found.get(f.target_id)
    return flags


def hidden_content(*, city: City) -> list:
    from proposals.models import Proposal
    from sites.models import Site

    return [
        *(("proposal", p) for p in Proposal.objects.filter(city=city, hidden_at__isnull=False)),
        *(("site", s) for s in Site.objects.filter(city=city, hidden_at__isnull=False)),
    ]
