"""Reads for grant calls: the city's calls with their counts and state, and the criteria a
new call starts with."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mapapp.collation import collated
from mapapp.errors import NotFound
from mapapp.models import City
from proposals.models import (
    CityCriterion,
    GrantCall,
    Proposal,
)


def city_criteria(*, city: City) -> list[CityCriterion]:
    """The assessment criteria a new call of the city starts with: the city's own, else
    the built-in ones (services.calls.DEFAULT_CRITERIA, unsaved), each weighing 1."""
    from proposals.services.calls import DEFAULT_CRITERIA

    return list(city.call_criteria.all()) or [
        CityCriterion(city=city, key=key, name=name, weight=Decimal("1.00"), position=n)
        for n, (key, name) in enumerate(DEFAULT_CRITERIA)
    ]


# --- calls for the public -------------------------------------------------------------


def _with_counts(calls: QuerySet[GrantCall]) -> QuerySet[GrantCall]:
    from proposals.services.grants import GRANTED_STATES

    public = Q(proposals__status__in=Proposal.PUBLIC_STATUSES, proposals__hidden_at__isnull=True)
    granted = Q(proposals__status__in=GRANTED_STATES)
    return calls.annotate(
        proposal_count=Count("proposals", filter=public),
        granted_count=Count("proposals", filter=granted),
        granted_sum=Sum("proposals__granted_amount", filter=granted),
    )


def calls_with_counts(*, city: City) -> QuerySet[GrantCall]:
    """The city's calls, the latest first, with public_calls' counts and their criteria."""
    calls = GrantCall.objects.filter(city=city).prefetch_related("criteria")
    return _with_counts(calls).order_by("-opens_at", "-pk")


def open_calls(*, city: City, now=None) -> QuerySet[GrantCall]:
    """The calls taking proposals now, the nearest deadline first."""
    now = now or timezone.now()
    calls = GrantCall.objects.filter(city=city, opens_at__lte=now, closes_at__gt=now)
    return calls.order_by("closes_at", "pk")


def call_state(call: GrantCall, now=None) -> str:
    now = now or timezone.now()
    return "upcoming" if call.opens_at > now else "open" if call.closes_at > now else "closed"


def public_calls(*, city: City, now=None) -> dict[str, list[GrantCall]]:
    """The city's calls as residents see them: open (closing first), upcoming (opening
    first) and closed (the latest first), each with its public proposals counted and the
    projects and money granted."""
    now = now or timezone.now()
    out: dict[str, list[GrantCall]] = {"open": [], "upcoming": [], "closed": []}
    for call in _with_counts(GrantCall.objects.filter(city=city)).order_by("closes_at", "pk"):
        out[call_state(call, now)].append(call)
    out["upcoming"].sort(key=lambda c: (c.opens_at, c.pk))
    out["closed"].reverse()
    return out


def public_call(*, city: City, call_id: int) -> GrantCall:
    """One call of the city, as calls_with_counts gives it (404 for another city's)."""
    call = calls_with_counts(city=city).filter(pk=call_id).first()
    if call is None:
        raise NotFound(_("There is no such call in this city."))
    return call


# --- a call's results, for the public -------------------------------------------------


@dataclass
class CallResults:
    """What the city decided in a call, as the public may know it: the granted projects by
    name with their amounts (public money), the proposals not granted and those still to be
    decided counted. A hidden proposal (moderated) is not named; its grant is counted."""

    granted: list[Proposal]
    withheld_count: int  # granted but hidden
    withheld_sum: Decimal
    not_granted_count: int
    undecided_count: int  # in assessment once the rounds are over
    revoked_count: int = 0  # granted, then revoked by the city (not in `granted`)

    @property
    def granted_sum(self) -> Decimal:
        return sum((p.granted_amount for p in self.granted), self.withheld_sum)

    @property
    def decided(self) -> bool:
        return bool(
            self.granted or self.withheld_count or self.not_granted_count or self.revoked_count
        )


def call_results(*, grant_calls) -> dict[int, CallResults]:
    """Each call's results (CallResults), in two queries whatever the number of calls; the
    granted projects the largest grant first, then by title."""
    from proposals.services.grants import GRANTED_STATES

    calls = {c.pk: c for c in grant_calls}
    out = {
        pk: CallResults(
            granted=[],
            withheld_count=0,
            withheld_sum=Decimal("0.00"),
            not_granted_count=0,
            undecided_count=0,
        )
        for pk in calls
    }
    granted = Proposal.objects.filter(grant_call__in=calls, status__in=GRANTED_STATES)
    fields = ("title", "category", "status", "requested_amount", "granted_amount", "hidden_at")
    granted = granted.only("grant_call_id", *fields)
    for p in granted.order_by("-granted_amount", collated("title"), "pk"):
        if p.hidden_at is None:
            out[p.grant_call_id].granted.append(p)
        else:
            out[p.grant_call_id].withheld_count += 1
            out[p.grant_call_id].withheld_sum += p.granted_amount or Decimal("0.00")
    S = Proposal.Status
    counts = (
        Proposal.objects.filter(
            grant_call__in=calls, status__in=(S.REJECTED, S.IN_ASSESSMENT, S.REVOKED)
        )
        .order_by()
        .values_list("grant_call_id", "status")
        .annotate(n=Count("pk"))
    )
    for call_id, status, n in counts:
        if status == S.REJECTED:
            out[call_id].not_granted_count = n
        elif status == S.REVOKED:
            out[call_id].revoked_count = n
        elif calls[call_id].assessment_finished:
            out[call_id].undecided_count = n
    return out


@dataclass
class PublishedScore:
    """One line of a call's published scores: the rank, the committee's final weighted
    score, and the proposal (None when the moderators hid it: counted, not named)."""

    rank: int
    score: float
    proposal: Proposal | None


def published_scores(*, grant_call: GrantCall) -> list[PublishedScore]:
    """The committee's final weighted scores in rank order, for the public, where the call's
    rules say so (GrantCall.publish_scores), once the rounds are over and the city has
    decided on every proposal assessed; otherwise none. Never a member's own scores."""
    from proposals.selectors.assessment import ranking

    if not (grant_call.publish_scores and grant_call.assessment_finished):
        return []
    ranked = [r for r in ranking(grant_call=grant_call) if r.score is not None]
    if any(r.proposal.status == Proposal.Status.IN_ASSESSMENT for r in ranked):
        return []  # not while the city decides
    return [
        PublishedScore(
            rank=n,
            score=r.score,
            proposal=r.proposal if r.proposal.hidden_at is None else None,
        )
        for n, r in enumerate(ranked, start=1)
    ]
