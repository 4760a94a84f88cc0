"""The city's decisions. The call's budget is never exceeded, even with two officers deciding
at once: every decision locks the call's row and sums what is granted inside that lock."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from mapapp.amounts import AmountError, parse_amount
from mapapp.audit import audit_record
from proposals import messages as msg
from proposals.access import check_officer
from proposals.models import GrantCall, Proposal
from proposals.services.common import S, given_day, refuse, transition

GRANTED_STATES = (
    S.GRANTED,
    S.AGREEMENT_SIGNED,
    S.IN_PROGRESS,
    S.COMPLETED,
    S.SUSTAINABILITY,
    S.CLOSED,
)


def granted_total(grant_call: GrantCall) -> Decimal:
    return grant_call.proposals.filter(status__in=GRANTED_STATES).aggregate(
        t=Sum("granted_amount")
    )["t"] or Decimal("0")


def _checked_amount(call: GrantCall, proposal: Proposal, amount, *, granted_before) -> Decimal:
    """A grant's amount as the officer typed it, refused unless above zero, within what was
    asked and the call's cap, and within the budget with what the call granted besides
    (`granted_before`)."""
    try:
        amount = parse_amount(amount) if amount not in (None, "") else None
    except AmountError as error:
        raise ValidationError(error.message) from None
    if amount is None or amount <= 0:
        refuse(msg.AMOUNT_REQUIRED)
    if amount > proposal.requested_amount:
        refuse(msg.AMOUNT_OVER_REQUEST, requested=proposal.requested_amount)
    if amount > call.project_cap:
        refuse(msg.OVER_CAP, total=amount, cap=call.project_cap)
    total = granted_before + amount
    if total > call.total_budget:
        refuse(msg.OVER_BUDGET, amount=amount, total=total, budget=call.total_budget)
    return amount


def _decided_at(proposal: Proposal, call: GrantCall, decided_on: date | None, *, earliest=None):
    """When the city decided: today unless the officer gives the day (the board's meeting,
    recorded later), not in the future nor before the call closed or the committee's last
    round did, by the city's calendar; nor before `earliest` (a grant from the reserve: the
    proposal's first decision)."""
    return given_day(proposal.city, decided_on, future=msg.DECISION_IN_FUTURE, not_before=(
        (call.closes_at, msg.DECISION_BEFORE_CLOSE),
        (call.round_closed_at, msg.DECISION_BEFORE_ROUNDS),  # decisions wait for the committee
        (earliest, msg.RESERVE_BEFORE_DECISION),
    ))  # fmt: skip


def reserve_closes_at(proposal: Proposal):
    """Until when a proposal not granted may be granted later from the money a revoked or
    withdrawn grant left in the call's budget (the reserve): while its landowner's consent
    and its applicant's contact details are kept, SUPPORTER_DATA_RETENTION_DAYS after the
    decision (mapapp.privacy erases them then, and ends the follows kept for it)."""
    return proposal.decided_at + timedelta(days=settings.SUPPORTER_DATA_RETENTION_DAYS)


def reserve_open(proposal: Proposal) -> bool:
    from django.utils import timezone

    return not proposal.decided_at or timezone.now() <= reserve_closes_at(proposal)


@transaction.atomic
def proposal_decide(
    *, actor, proposal: Proposal, granted: bool, amount: Decimal | str | None = None,
    note: str = "", decided_on: date | None = None,
) -> Proposal:  # fmt: skip
    """The city's decision on a proposal assessed: granted (an amount within what was asked,
    the call's cap and what is left of its budget) or not; `decided_on` the day it was
    taken (costs paid before it stand out), today when not given. A proposal not granted
    may be granted later, from the reserve, when a grant revoked or withdrawn left money in
    the budget (`reserve_open`)."""
    check_officer(actor, proposal.city)
    # Lock order: the call first, then the proposal; every decision on this call queues here.
    call = GrantCall.objects.select_for_update().get(pk=proposal.grant_call_id)
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    if not call.assessment_finished:
        refuse(msg.ASSESSMENT_NOT_FINISHED)
    if granted and proposal.status == S.REJECTED and not reserve_open(proposal):
        refuse(msg.RESERVE_TOO_LATE, days=settings.SUPPORTER_DATA_RETENTION_DAYS)
    earliest = proposal.decided_at if proposal.status == S.REJECTED else None  # the reserve
    decided_at = _decided_at(proposal, call, decided_on, earliest=earliest)
    if not granted:
        return transition(
            proposal,
            to=S.REJECTED,
            actor=actor,
            allowed_from=(S.IN_ASSESSMENT,),
            note=note,
            decided_at=decided_at,
        )
    amount = _checked_amount(call, proposal, amount, granted_before=granted_total(call))
    proposal = transition(
        proposal,
        to=S.GRANTED,
        actor=actor,
        allowed_from=(S.IN_ASSESSMENT, S.REJECTED),
        note=note,
        granted_amount=amount,
        decided_at=decided_at,
    )
    from proposals.services import alerts
    from sites.services import site_project_funded

    site_project_funded(actor=actor, proposal=proposal)  # its listed site: being revitalised
    # news for those who asked for projects near it, once the decision is committed
    transaction.on_commit(lambda: alerts.grant_news_schedule(call))
    return proposal


@transaction.atomic
def grant_correct(*, actor, proposal: Proposal, amount: Decimal | str, reason: str) -> Proposal:
    """Corrects a grant's amount typed wrong (1,500 for 15,000), before the agreement is
    signed: within what was asked, the cap and the budget as a decision is; a reason is
    required, the audit keeps both amounts and the applicant is e-mailed the correction."""
    check_officer(actor, proposal.city)
    call = GrantCall.objects.select_for_update().get(pk=proposal.grant_call_id)
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    if proposal.status != S.GRANTED:
        refuse(msg.GRANT_CORRECT_TURN, status=proposal.get_status_display())
    reason = _correction_reason(reason, "correct_reason", msg.GRANT_CORRECT_REASON)
    was = proposal.granted_amount
    others = granted_total(call) - (was or Decimal("0"))
    amount = _checked_amount(call, proposal, amount, granted_before=others)
    if amount == was:
        refuse(msg.GRANT_CORRECT_UNCHANGED)
    proposal.granted_amount = amount
    proposal.save(update_fields=["granted_amount", "updated_at"])
    audit_record(
        actor=actor,
        action="proposal.grant_corrected",
        obj=proposal,
        city=proposal.city,
        before={"granted_amount": f"{was:.2f}"},
        after={"granted_amount": f"{amount:.2f}"},
        note=reason,
    )
    transaction.on_commit(lambda: _tell_grant_corrected(proposal.pk, was, reason))
    return proposal


DECISION_CORRECTABLE = (S.REJECTED, S.GRANTED, S.AGREEMENT_SIGNED, S.IN_PROGRESS)


@transaction.atomic
def decision_correct(*, actor, proposal: Proposal, decided_on: date, reason: str) -> Proposal:
    """Corrects the day a decision was recorded for (typed wrong: the board met on the 12th,
    not the 21st) while it still matters, until the works end: the public history and the
    expenses' marks follow it. The decision's own rules hold (not in the future, not before
    the call or the committee's last round closed, nor before the decision it replaced: a
    grant from the reserve), and it is not after the agreement was signed. A reason is
    required; the audit keeps both days."""
    from django.utils.formats import date_format

    check_officer(actor, proposal.city)
    call = GrantCall.objects.select_for_update().get(pk=proposal.grant_call_id)
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    if proposal.status not in DECISION_CORRECTABLE or proposal.decided_at is None:
        refuse(msg.DECISION_CORRECT_TURN, status=proposal.get_status_display())
    reason = _correction_reason(reason, "decision_reason", msg.DECISION_CORRECT_REASON)
    city = proposal.city
    if decided_on == city.local_date(proposal.decided_at):
        refuse(msg.DECISION_CORRECT_UNCHANGED)
    moment = _decided_at(proposal, call, decided_on, earliest=decided_before(proposal))
    if proposal.agreement_signed_at:
        signed_on = city.local_date(proposal.agreement_signed_at)
        if decided_on > signed_on:
            refuse(msg.DECISION_AFTER_AGREEMENT, date=date_format(signed_on, "DATE_FORMAT"))
    return _day_corrected(
        actor, proposal, "decided", moment, reason, action="proposal.decision_corrected"
    )


def _correction_reason(reason: str, field: str, missing) -> str:
    """The reason an officer gives for a correction (an amount, a day), on one line;
    required."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({field: [missing]})
    return reason


def _day_corrected(actor, proposal: Proposal, what: str, moment, reason: str, *, action: str):
    """Writes the corrected day of a decision or a revocation (`what`: "decided" or
    "revoked", the `<what>_at` field) and audits both days (`<what>_on`) with the reason as
    `action` (the public history reads it: selectors.status_timeline)."""
    city = proposal.city
    was_on = city.local_date(getattr(proposal, f"{what}_at"))
    setattr(proposal, f"{what}_at", moment)
    proposal.save(update_fields=[f"{what}_at", "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        obj=proposal,
        city=city,
        before={f"{what}_on": str(was_on)},
        after={f"{what}_on": str(city.local_date(moment))},
        note=reason,
    )
    return proposal


def decided_before(proposal: Proposal):
    """When the decision before the latest one was taken (a grant from the reserve: the day
    the proposal was not granted), as the public history has it; None for a first decision."""
    from proposals.selectors import status_timeline

    decisions = [
        s for s in status_timeline(proposal=proposal) if s["status"] in (S.GRANTED, S.REJECTED)
    ]
    return decisions[-2]["at"] if len(decisions) > 1 else None


def _tell_grant_corrected(proposal_id: int, was: Decimal, reason: str) -> None:
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from mapapp.tasks import mail, site_link
    from mapapp.templatetags.civic import money

    proposal = Proposal.objects.select_related("author", "city").get(pk=proposal_id)
    with translation.override(proposal.author.language_in(proposal.city)):
        words = {
            "title": proposal.title,
            "amount": money(proposal.granted_amount, proposal.city),
            "was": money(was, proposal.city),
        }
        subject = _("The grant for “%(title)s” was corrected") % words
        body = _("The city corrected the amount granted to “%(title)s”: %(amount)s, not %(was)s.")
        body = body % words + "\n\n" + reason
        page = reverse("proposals:detail", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page)
        mail(subject, body, [proposal.author.email], city=proposal.city)


REVOKE_REASON_MAX = 2000
REVOCABLE = (S.GRANTED, S.AGREEMENT_SIGNED, S.IN_PROGRESS, S.COMPLETED, S.SUSTAINABILITY)


@transaction.atomic
def grant_revoke(*, actor, proposal: Proposal, reason: str, revoked_on: date | None = None):
    """The city takes a grant back (the applicant cannot or will not carry it out, the
    agreement is not signed, the works broke its terms, the community stopped looking after
    the place), from the decision until the sustainability period ends: with a reason,
    which the applicant is e-mailed and the proposal's page says, and the day it was
    decided (today unless given; not in the future, not before the grant). The amount goes
    back to the call's budget, where a proposal not granted can take it (the reserve);
    whatever was paid out is settled under the agreement, outside this platform. Its listed
    site is no longer being revitalised, unless another funded project goes on there.
    Revoked in its sustainability period, the project built stays on the public map of
    completed projects, its upkeep under the grant ended the day before the revocation."""
    from sites.services import site_project_dropped

    check_officer(actor, proposal.city)
    GrantCall.objects.select_for_update().get(pk=proposal.grant_call_id)  # decisions queue
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    if proposal.status not in REVOCABLE:
        refuse(msg.REVOKE_TURN, status=proposal.get_status_display())
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"revoke_reason": [msg.REVOKE_REASON]})
    if len(reason) > REVOKE_REASON_MAX:
        raise ValidationError(
            {"revoke_reason": [msg.REVOKE_REASON_LONG % {"max": REVOKE_REASON_MAX}]}
        )
    granted = [(proposal.decided_at, msg.REVOKE_BEFORE_DECISION)]
    revoked_at = given_day(
        proposal.city, revoked_on, future=msg.REVOKE_IN_FUTURE, not_before=granted
    )
    proposal = transition(
        proposal,
        to=S.REVOKED,
        actor=actor,
        allowed_from=REVOCABLE,
        note=reason,
        revoked_at=revoked_at,
        revocation_reason=reason,
    )
    site_project_dropped(actor=actor, proposal=proposal)
    _end_upkeep(proposal)
    return proposal


def _end_upkeep(proposal: Proposal) -> None:
    """A project built, its grant revoked in its sustainability period: its completed
    project's upkeep under the grant ended the day before the revocation."""
    if hasattr(proposal, "intervention"):
        last_day = proposal.city.local_date(proposal.revoked_at) - timedelta(days=1)
        proposal.intervention.sustainability_ends_on = last_day
        proposal.intervention.save(update_fields=["sustainability_ends_on", "updated_at"])


@transaction.atomic
def revocation_correct(*, actor, proposal: Proposal, revoked_on: date, reason: str) -> Proposal:
    """Corrects the day a revocation was recorded for (typed wrong), with a reason; the audit
    keeps both days. Its rules as when it was recorded: not in the future, not before the
    step the proposal had reached then (the grant, the agreement, the works, the
    completion's acceptance). The public history, the retention clocks and a completed
    project's end of upkeep follow it."""
    from proposals.selectors import status_timeline

    check_officer(actor, proposal.city)
    GrantCall.objects.select_for_update().get(pk=proposal.grant_call_id)  # decisions queue
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    if proposal.status != S.REVOKED or proposal.revoked_at is None:
        refuse(msg.REVOKE_CORRECT_TURN)
    reason = _correction_reason(reason, "revocation_reason_corrected", msg.REVOKE_CORRECT_REASON)
    city = proposal.city
    if revoked_on == city.local_date(proposal.revoked_at):
        refuse(msg.REVOKE_CORRECT_UNCHANGED)
    steps = [step for step in status_timeline(proposal=proposal) if step["status"] != S.REVOKED]
    reached = steps[-1]["at"] if steps else proposal.decided_at
    moment = given_day(city, revoked_on, future=msg.REVOKE_IN_FUTURE, not_before=(
        (proposal.decided_at, msg.REVOKE_BEFORE_DECISION),
        (reached, msg.REVOKE_BEFORE_STEP),
    ))  # fmt: skip
    proposal = _day_corrected(
        actor, proposal, "revoked", moment, reason, action="proposal.revocation_corrected"
    )
    _end_upkeep(proposal)
    return proposal


def tell_officers_grant_freed(proposal_id: int, note: str = "") -> None:
    """An applicant withdrew a funded project: each of the city's programme officers is
    e-mailed (in their language) what its grant leaves in the call's budget and the
    proposals next in line for it (the reserve), with the call's page. Officers revoking a
    grant see the same on the page they revoke it from, and are not written to."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from mapapp.models import CityRole, Role
    from mapapp.tasks import mail, site_link
    from mapapp.templatetags.civic import money
    from proposals.selectors import ranking, reserve_next

    proposal = Proposal.objects.select_related("city", "grant_call").get(pk=proposal_id)
    call, city = proposal.grant_call, proposal.city
    left = call.total_budget - granted_total(call)
    next_in_line = [r.proposal.title for r in reserve_next(ranked=ranking(grant_call=call))]
    page = reverse("proposals:officer-call", kwargs={"city": city.slug, "call_id": call.pk})
    officers = CityRole.objects.filter(city=city, role=Role.PROGRAMME_OFFICER)
    for role in officers.select_related("user"):
        with translation.override(role.user.language_in(city)):
            words = {
                "title": proposal.title,
                "amount": money(proposal.granted_amount, city),
                "call": call.display_title,
                "left": money(left, city),
            }
            subject = _("“%(title)s” was withdrawn: its grant is back in the budget") % words
            lines = [
                _(
                    "The applicant withdrew “%(title)s”, granted %(amount)s in the call "
                    "“%(call)s”. The grant goes back to the call's budget, which has "
                    "%(left)s not granted now."
                )
                % words
            ]
            if note:
                lines.append(_("The applicant's note:") + " " + note)
            if next_in_line:
                titles = ", ".join(f"“{t}”" for t in next_in_line)
                reserve = _("Recommended and not granted, so next in line for it (the reserve):")
                lines.append(f"{reserve} {titles}.")
            body = "\n\n".join([*lines, site_link(page)])
            mail(subject, body, [role.user.email], city=city)
