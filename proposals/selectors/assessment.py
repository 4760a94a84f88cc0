"""Reads for the assessment: the committee's scores and comments, the ranking and the call's
table, and the officers' feedback box."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum

from mapapp.collation import collated
from proposals.models import (
    ConflictOfInterest,
    GrantCall,
    Proposal,
    Score,
)

S = Proposal.Status


# --- assessment -----------------------------------------------------------------------


@dataclass
class ScoreSummary:
    weighted: float | None  # mean over members of each member's weighted average
    spread: float | None  # max - min of the members' weighted averages
    members: dict[str, float] = field(default_factory=dict)  # member e-mail -> weighted avg
    per_criterion: dict[str, float] = field(default_factory=dict)


def score_summary(*, proposal: Proposal, round_number: int) -> ScoreSummary:
    rows = (
        Score.objects.filter(proposal=proposal, round_number=round_number)
        .values("member__email")
        .annotate(
            weighted_sum=Sum(F("value") * F("criterion__weight")),
            weight_sum=Sum("criterion__weight"),
        )
    )
    members = {
        r["member__email"]: float(r["weighted_sum"] / r["weight_sum"])
        for r in rows
        if r["weight_sum"]
    }
    per_criterion = {
        str(r["criterion__key"]): float(r["avg"])
        for r in Score.objects.filter(proposal=proposal, round_number=round_number)
        .values("criterion__key")
        .annotate(avg=Sum("value") * 1.0 / Count("id"))
    }
    if not members:
        return ScoreSummary(None, None, {}, per_criterion)
    values = list(members.values())
    return ScoreSummary(
        weighted=statistics.fmean(values),
        spread=max(values) - min(values),
        members=members,
        per_criterion=per_criterion,
    )


@dataclass
class CriterionComments:
    criterion: object  # a Criterion
    comments: list  # (member's e-mail, score, comment), in the members' order


def round_comments(*, proposal: Proposal, round_number: int) -> list[CriterionComments]:
    """What the committee wrote on each criterion in a round (the scores without a comment
    left out), for the officers who write the applicant's feedback; criteria in the call's
    order."""
    rows = (
        Score.objects.filter(proposal=proposal, round_number=round_number)
        .exclude(comment="")
        .select_related("criterion", "member")
        .order_by("criterion__position", "criterion__id", "member__email")
    )
    found: dict[int, CriterionComments] = {}
    for row in rows:
        found.setdefault(row.criterion_id, CriterionComments(row.criterion, [])).comments.append(
            (row.member.email, row.value, row.comment)
        )
    return list(found.values())


def feedback_from_comments(*, proposal: Proposal, typed: str = "") -> str:
    """The feedback box with the committee's comments on the round just closed added after
    what was typed, under each criterion, without who wrote them or their scores (the
    applicant reads the committee's view, not a member's)."""
    comments = round_comments(proposal=proposal, round_number=proposal.grant_call.current_round)

    def item(text: str) -> str:  # one list item; a comment's paragraphs indented under it
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
        return "- " + "\n  ".join(p for p in paragraphs if p)

    composed = "\n\n".join(
        f"{each.criterion}:\n" + "\n".join(item(text) for _e, _v, text in each.comments)
        for each in comments
    )
    typed = (typed or "").strip()
    return f"{typed}\n\n{composed}" if typed else composed


def proposals_for_committee(*, member, grant_call: GrantCall) -> QuerySet[Proposal]:
    """Eligible proposals of the call, minus those the member is conflicted on."""
    conflicted = ConflictOfInterest.objects.filter(member=member).values("proposal_id")
    return (
        grant_call.proposals.filter(status=S.IN_ASSESSMENT)
        .exclude(pk__in=conflicted)
        .order_by(collated("title"), "pk")
    )


def next_to_score(*, member, grant_call: GrantCall) -> Proposal | None:
    """The first proposal, in the committee list's order, that the member has not scored
    in the open round (None when none is left, or no round is open)."""
    if not grant_call.round_open:
        return None
    scored = Score.objects.filter(
        member=member, round_number=grant_call.current_round, proposal__grant_call=grant_call
    ).values("proposal_id")
    return (
        proposals_for_committee(member=member, grant_call=grant_call).exclude(pk__in=scored).first()
    )


@dataclass
class RankedProposal:
    proposal: Proposal
    score: float | None
    recommended: bool
    cumulative: Decimal


def weighted_scores(*, grant_call: GrantCall, round_number: int) -> dict[int, float]:
    """proposal id -> mean over members of each member's weighted average, in one query."""
    rows = (
        Score.objects.filter(proposal__grant_call=grant_call, round_number=round_number)
        .values("proposal_id", "member_id")
        .annotate(
            weighted_sum=Sum(F("value") * F("criterion__weight")),
            weight_sum=Sum("criterion__weight"),
        )
    )
    per_proposal: dict[int, list[float]] = {}
    for r in rows:
        per_proposal.setdefault(r["proposal_id"], []).append(
            float(r["weighted_sum"] / r["weight_sum"])
        )
    return {pk: statistics.fmean(values) for pk, values in per_proposal.items()}


def ranking(*, grant_call: GrantCall) -> list[RankedProposal]:
    """Proposals by weighted score of the latest round, and the funding proposal: down the
    ranking, each proposal that still fits the remaining budget is recommended. A grant
    revoked keeps its rank but not its money: what it leaves goes down the ranking, where a
    proposal not granted may take it from the reserve."""
    call = GrantCall.objects.get(pk=grant_call.pk)  # the round as it is now
    scores = weighted_scores(grant_call=call, round_number=call.current_round)
    candidates = call.proposals.filter(
        status__in=[
            S.IN_ASSESSMENT,
            S.GRANTED,
            S.REJECTED,
            S.AGREEMENT_SIGNED,
            S.IN_PROGRESS,
            S.COMPLETED,
            S.SUSTAINABILITY,
            S.CLOSED,
            S.REVOKED,
        ]
    )
    ordered = sorted(
        candidates,
        key=lambda p: (p.pk not in scores, -scores.get(p.pk, 0), p.requested_amount, p.pk),
    )
    remaining = call.total_budget
    cumulative = Decimal("0")
    out = []
    for proposal in ordered:
        score = scores.get(proposal.pk)
        fits = (
            score is not None
            and proposal.status != S.REVOKED
            and proposal.requested_amount <= remaining
        )
        if fits:
            remaining -= proposal.requested_amount
            cumulative += proposal.requested_amount
        out.append(RankedProposal(proposal, score, fits, cumulative))
    return out


def reserve_next(*, ranked: list[RankedProposal]) -> list[RankedProposal]:
    """Who is next in line for what a call's budget has not granted now (the reserve): the
    proposals not granted that the funding proposal recommends, in the ranking's order."""
    return [r for r in ranked if r.recommended and r.proposal.status == S.REJECTED]


def call_table(*, grant_call: GrantCall) -> list[tuple[Proposal, float | None, int | None, bool]]:
    """The officers' table of a call: (proposal, score, rank, recommended) for every proposal
    past its draft. Once the assessment is finished, the ranking's order with its ranks and
    funding proposal, then the others; before, all by title with the current round's
    scores."""
    rows = grant_call.proposals.exclude(status=S.DRAFT).select_related("organisation")
    proposals = {p.pk: p for p in rows.order_by(collated("title"), "pk")}  # the page's order
    out = []
    if grant_call.assessment_finished:
        for rank, row in enumerate(ranking(grant_call=grant_call), start=1):
            out.append((proposals.pop(row.proposal.pk), row.score, rank, row.recommended))
    scores = weighted_scores(grant_call=grant_call, round_number=grant_call.current_round)
    for p in proposals.values():
        out.append((p, scores.get(p.pk), None, False))
    return out


@dataclass
class FeedbackBox:
    """The officers' feedback on the round just closed, as their page shows it: the saved
    draft, the feedback released (to correct it), and the text the box opens with."""

    draft: object  # FeedbackDraft or None
    released: object  # Feedback or None
    text: str
    # drafts of earlier rounds never released (the next round opened first): shown, to be
    # taken into this round's feedback or left; they can no longer be released as they are
    unreleased: list = field(default_factory=list)

    @property
    def seen(self) -> str:
        """What the page sends back: a save or release from it is refused once the draft
        has changed (services.assessment)."""
        return self.draft.stamp if self.draft else ""


def feedback_box(*, proposal: Proposal, typed: str | None = None) -> FeedbackBox:
    """`typed`: what the officer sent (refused, or with the committee's comments added),
    which stays in the box; else the draft, else the released feedback."""
    round_number = proposal.grant_call.current_round
    draft = (
        proposal.feedback_drafts.select_related("saved_by")
        .filter(round_number=round_number)
        .first()
    )
    released = proposal.feedback.filter(round_number=round_number).first()
    if typed is None:
        typed = draft.text if draft else (released.text if released else "")
    unreleased = list(
        proposal.feedback_drafts.select_related("saved_by")
        .filter(round_number__lt=round_number)
        .order_by("round_number")
    )
    return FeedbackBox(draft=draft, released=released, text=typed, unreleased=unreleased)


def feedback_due(*, proposals: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Of these proposals, those in assessment between two rounds whose feedback on the
    round just closed is not released: their applicants cannot revise them before the next
    round opens."""
    from proposals.models import Feedback

    released = Feedback.objects.filter(
        proposal=OuterRef("pk"), round_number=OuterRef("grant_call__current_round")
    )
    return proposals.filter(
        status=S.IN_ASSESSMENT,
        grant_call__current_round__gte=1,
        grant_call__current_round__lt=F("grant_call__rounds"),
        grant_call__round_open=False,
    ).exclude(Exists(released))


@dataclass
class MemberProgress:
    member: object  # User
    scored: int  # proposals scored this round
    due: int  # proposals to score: those in assessment, less the member's conflicts
    conflicts: int

    @property
    def done(self) -> bool:
        return self.scored >= self.due


def round_progress(*, grant_call: GrantCall) -> list[MemberProgress]:
    """Each committee member's scoring in the open round (empty when none is open): how many
    proposals they have scored of those they are to score; in four queries."""
    if not grant_call.round_open:
        return []
    proposals = grant_call.proposals.filter(status=S.IN_ASSESSMENT)
    count = proposals.count()
    conflicts = dict(
        ConflictOfInterest.objects.filter(proposal__in=proposals)
        .values_list("member_id")
        .annotate(n=Count("pk"))
    )
    scored = dict(
        Score.objects.filter(proposal__in=proposals, round_number=grant_call.current_round)
        .exclude(
            Exists(
                ConflictOfInterest.objects.filter(
                    proposal=OuterRef("proposal"), member=OuterRef("member")
                )
            )
        )
        .values_list("member_id")
        .annotate(n=Count("proposal", distinct=True))
    )
    return [
        MemberProgress(
            member=m,
            scored=scored.get(m.pk, 0),
            due=count - conflicts.get(m.pk, 0),
            conflicts=conflicts.get(m.pk, 0),
        )
        for m in grant_call.committee.order_by("email")
    ]
