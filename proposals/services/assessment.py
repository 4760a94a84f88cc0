"""Formal check, assessment rounds, committee scores, conflicts, feedback."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mapapp.audit import audit_record
from proposals import messages as msg
from proposals.access import check_committee_member, check_officer
from proposals.models import (
    ConflictOfInterest,
    Feedback,
    FeedbackDraft,
    GrantCall,
    Proposal,
    Score,
)
from proposals.services.common import S, check_status, refuse, transition
from proposals.services.drafting import active_support_count, expire_unsubmitted


def _lock_call(grant_call: GrantCall) -> GrantCall:
    return GrantCall.objects.select_for_update().select_related("city").get(pk=grant_call.pk)


@transaction.atomic
def proposal_formal_check(
    *, actor, proposal: Proposal, eligible: bool, reason: str = ""
) -> Proposal:
    check_officer(actor, proposal.city)
    proposal = Proposal.objects.select_for_update().select_related("grant_call").get(pk=proposal.pk)
    call = proposal.grant_call
    if call.is_open():
        refuse(msg.CALL_STILL_OPEN)
    if call.current_round > 0:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    if eligible:
        # supporters may withdraw, and officers strike invalid supports, after submission
        have = active_support_count(proposal)
        if proposal.status == S.SUBMITTED and have < call.min_supporters:
            refuse(msg.SUPPORTERS_SHORT, have=have, need=call.min_supporters)
        return transition(
            proposal,
            to=S.IN_ASSESSMENT,
            actor=actor,
            allowed_from=(S.SUBMITTED,),
            eligible_at=timezone.now(),
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [msg.INELIGIBLE_REASON]})
    return transition(
        proposal,
        to=S.INELIGIBLE,
        actor=actor,
        allowed_from=(S.SUBMITTED,),
        note=reason,
        ineligible_reason=reason,
    )


@transaction.atomic
def proposal_formal_check_reopen(*, actor, proposal: Proposal, reason: str = "") -> Proposal:
    """Take back a formal check made by mistake (a support struck wrongly, a consent found
    later in the post): the proposal awaits the check again. Only before the first round
    opens, when no member has read it as eligible or not; the applicant is told why."""
    check_officer(actor, proposal.city)
    proposal = Proposal.objects.select_for_update().select_related("grant_call").get(pk=proposal.pk)
    if proposal.grant_call.current_round > 0:
        refuse(msg.FORMAL_CHECK_FINAL)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reopen_reason": [msg.REOPEN_REASON]})
    return transition(
        proposal,
        to=S.SUBMITTED,
        actor=actor,
        allowed_from=(S.INELIGIBLE, S.IN_ASSESSMENT),
        note=reason,
        followers=False,  # nothing new for them: it was submitted before
        eligible_at=None,
        ineligible_reason="",
    )


@transaction.atomic
def round_open(*, actor, grant_call: GrantCall) -> GrantCall:
    check_officer(actor, grant_call.city)
    call = _lock_call(grant_call)
    if call.is_open():
        refuse(msg.CALL_STILL_OPEN)
    if call.round_open:
        refuse(msg.ROUND_ALREADY_OPEN, round=call.current_round)
    if call.current_round == 0:
        expire_unsubmitted(grant_call=call)  # the daily job's work, if it has not run yet
    if call.current_round >= call.rounds:
        refuse(msg.NO_MORE_ROUNDS, rounds=call.rounds)
    have = call.committee.count()
    if have < call.committee_size:
        refuse(msg.COMMITTEE_INCOMPLETE, have=have, size=call.committee_size)
    pending = call.proposals.filter(status=S.SUBMITTED).count()
    if pending:
        refuse(msg.FORMAL_CHECK_PENDING, count=pending)
    call.current_round += 1
    call.round_open, call.round_closed_at = True, None
    call.save(update_fields=["current_round", "round_open", "round_closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="call.round_open",
        obj=call,
        city=call.city,
        after={"round": call.current_round},
    )
    transaction.on_commit(lambda: _notify_committee(call.pk))
    return call


@transaction.atomic
def round_close(*, actor, grant_call: GrantCall) -> GrantCall:
    check_officer(actor, grant_call.city)
    call = _lock_call(grant_call)
    if not call.round_open:
        refuse(msg.ROUND_NOT_OPEN)
    call.round_open, call.round_closed_at = False, timezone.now()
    call.save(update_fields=["round_open", "round_closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="call.round_close",
        obj=call,
        city=call.city,
        after={"round": call.current_round},
    )
    return call


def has_conflict(*, member, proposal: Proposal) -> bool:
    return ConflictOfInterest.objects.filter(proposal=proposal, member=member).exists()


@transaction.atomic
def conflict_declare(*, member, proposal: Proposal, reason: str = "") -> ConflictOfInterest:
    check_committee_member(member, proposal.grant_call)
    conflict, _ = ConflictOfInterest.objects.get_or_create(
        proposal=proposal, member=member, defaults={"reason": reason.strip()}
    )
    # a conflicted member's scores do not count, in this round or any other; the audit log
    # keeps what they were
    dropped = Score.objects.filter(proposal=proposal, member=member)
    before = {
        "scores": [
            {"round": s.round_number, "criterion": s.criterion_id, "value": s.value}
            for s in dropped
        ]
    }
    dropped.delete()
    audit_record(
        actor=member,
        action="assessment.conflict",
        obj=proposal,
        city=proposal.city,
        before=before,
        note=reason,
    )
    return conflict


@transaction.atomic
def scores_save(*, member, proposal: Proposal, scores: dict[int, tuple[int, str]]) -> list[Score]:
    """One member's scores of one proposal in the open round: {criterion_id: (0-5, comment)}."""
    call = GrantCall.objects.select_related("city").get(pk=proposal.grant_call_id)
    check_committee_member(member, call)
    if not call.round_open:
        refuse(msg.ROUND_NOT_OPEN)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    check_status(proposal, S.IN_ASSESSMENT)
    if has_conflict(member=member, proposal=proposal):
        refuse(msg.CONFLICTED)
    criteria = {c.pk: c for c in call.criteria.all()}
    if set(scores) != set(criteria):
        refuse(msg.SCORE_INCOMPLETE)
    before = {
        s.criterion_id: s.value
        for s in Score.objects.filter(
            proposal=proposal, member=member, round_number=call.current_round
        )
    }
    if any(not isinstance(value, int) or not 0 <= value <= 5 for value, _ in scores.values()):
        refuse(msg.SCORE_RANGE)
    # the sheet in one statement, whatever its number of criteria (a round trip each before)
    saved = Score.objects.bulk_create(
        [
            Score(
                proposal=proposal,
                round_number=call.current_round,
                member=member,
                criterion=criteria[criterion_id],
                value=value,
                comment=(comment or "").strip(),
            )
            for criterion_id, (value, comment) in scores.items()
        ],
        update_conflicts=True,
        unique_fields=["proposal", "round_number", "member", "criterion"],
        update_fields=["value", "comment", "updated_at"],
    )
    audit_record(
        actor=member,
        action="assessment.score",
        obj=proposal,
        city=call.city,
        before={str(k): v for k, v in before.items()} or None,
        after={"round": call.current_round, **{str(k): v for k, (v, _) in scores.items()}},
    )
    return saved


def _feedback_turn(actor, proposal: Proposal) -> tuple[GrantCall, Proposal]:
    """The call and the proposal, locked, when a round's feedback may be written: between
    rounds (after one, before the next opens) of a proposal in assessment; and after the last
    round, also once the city has decided (granted or not), until the agreement: the last
    round's feedback says why, and helps the next call's proposal."""
    check_officer(actor, proposal.city)
    call = _lock_call(proposal.grant_call)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not (call.assessment_finished and proposal.status in (S.GRANTED, S.REJECTED)):
        check_status(proposal, S.IN_ASSESSMENT)
    if call.current_round == 0 or call.round_open:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    return call, proposal


def _draft_unchanged(proposal: Proposal, round_number: int, seen: str | None) -> None:
    """Refuses a save or a release from a page that did not show the draft as it is now:
    another officer saved it since, and their text would be lost. `seen` None: the caller
    does not compare (a script, a test)."""
    draft = (
        FeedbackDraft.objects.select_related("saved_by")
        .filter(proposal=proposal, round_number=round_number)
        .first()
    )
    if seen is None or (draft.stamp if draft else "") == seen:
        return
    if draft is None:
        raise ValidationError({"text": [msg.FEEDBACK_DRAFT_GONE]})
    who = draft.saved_by.email if draft.saved_by else "—"
    raise ValidationError({"text": [msg.FEEDBACK_DRAFT_CHANGED % {"who": who}]})


@transaction.atomic
def feedback_draft_save(
    *, actor, proposal: Proposal, text: str, seen: str | None = None
) -> FeedbackDraft | None:
    """Saves the officers' draft of this round's feedback (an empty text discards it). The
    applicant is not told; nothing is public."""
    call, proposal = _feedback_turn(actor, proposal)
    _draft_unchanged(proposal, call.current_round, seen)
    text = (text or "").strip()
    found = FeedbackDraft.objects.filter(proposal=proposal, round_number=call.current_round)
    if not text:
        found.delete()
        draft = None
    else:
        draft, _created = FeedbackDraft.objects.update_or_create(
            proposal=proposal,
            round_number=call.current_round,
            defaults={"text": text, "saved_by": actor},
        )
    audit_record(
        actor=actor,
        action="assessment.feedback_draft",
        obj=proposal,
        city=call.city,
        after={"round": call.current_round, "discarded": draft is None},
    )
    return draft


@transaction.atomic
def feedback_release(*, actor, proposal: Proposal, text: str, seen: str | None = None) -> Feedback:
    """Releases this round's feedback to the applicant (again, corrected, if it was), and
    ends the officers' draft of it."""
    call, proposal = _feedback_turn(actor, proposal)
    _draft_unchanged(proposal, call.current_round, seen)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [msg.FEEDBACK_EMPTY]})
    FeedbackDraft.objects.filter(proposal=proposal, round_number=call.current_round).delete()
    before = Feedback.objects.filter(proposal=proposal, round_number=call.current_round).first()
    feedback, _created = Feedback.objects.update_or_create(
        proposal=proposal,
        round_number=call.current_round,
        defaults={"text": text, "released_by": actor},
    )
    if before is None or before.text != text:  # new or changed: the applicant reads it
        transaction.on_commit(lambda: _notify_feedback(feedback.pk))
    audit_record(
        actor=actor,
        action="assessment.feedback",
        obj=proposal,
        city=call.city,
        after={"round": call.current_round},
    )
    return feedback


def _notify_feedback(feedback_id: int) -> None:
    """E-mail the applicant the committee's feedback, in their language, with the way to
    revise the proposal before the next round."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from mapapp.tasks import mail, site_link

    feedback = Feedback.objects.select_related(
        "proposal__author", "proposal__city", "proposal__grant_call"
    ).get(pk=feedback_id)
    proposal = feedback.proposal
    language = proposal.author.language_in(proposal.city)
    with translation.override(language):
        words = {"title": proposal.title, "n": feedback.round_number}
        subject = _("Feedback on your proposal “%(title)s”") % words
        body = _("The expert committee's feedback after round %(n)s:") % words
        body += "\n\n" + feedback.text + "\n\n"
        if feedback.round_number < proposal.grant_call.rounds:
            body += _("You can revise your proposal until the next round opens.") + "\n"
        page = reverse("proposals:detail", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += site_link(page)
        mail(subject, body, [proposal.author.email], city=proposal.city)


def _notify_committee(call_id: int) -> None:
    """Tell each committee member, in their language, that a round is open and how many
    proposals wait for their scores."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from mapapp.tasks import mail, site_link

    call = GrantCall.objects.select_related("city").get(pk=call_id)
    count = call.proposals.filter(status=S.IN_ASSESSMENT).count()
    page = site_link(reverse("proposals:committee", kwargs={"city": call.city.slug}))
    for member in call.committee.all():
        with translation.override(member.language_in(call.city)):
            words = {"call": call.display_title, "n": call.current_round, "count": count}
            subject = _("Round %(n)s of “%(call)s” is open for scoring") % words
            body = (
                ngettext(
                    "%(count)s proposal waits for your scores.",
                    "%(count)s proposals wait for your scores.",
                    count,
                )
                % words
            )
            mail(subject, body + "\n\n" + page, [member.email], city=call.city)
