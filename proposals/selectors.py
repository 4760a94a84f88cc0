"""Reads for proposals: public lists and map data, assessment summaries, ranking, diffs."""

from __future__ import annotations

import difflib
import re
import statistics
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from decimal import Decimal

from django.contrib.gis.db.models.functions import Area, Distance, SymDifference, Transform
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from mapapp.collation import collated
from mapapp.errors import NotFound
from mapapp.models import City
from proposals.models import (
    CityCriterion,
    ConflictOfInterest,
    Follow,
    GrantCall,
    Proposal,
    ProposalVersion,
    Representative,
    Score,
)

S = Proposal.Status


# the text a search (`q`) looks in; trigram indexes on both (proposals 0015)
SEARCH_FIELDS = ("title", "description")


def public_proposals(*, city: City, filters: dict | None = None) -> QuerySet[Proposal]:
    """Proposals the public may see, filtered by call, status, category, year, district and
    search words."""
    qs = Proposal.objects.filter(
        city=city, status__in=Proposal.PUBLIC_STATUSES, hidden_at__isnull=True
    )
    filters = filters or {}
    if filters.get("call"):
        qs = qs.filter(grant_call_id=filters["call"])
    if filters.get("status"):
        qs = qs.filter(status__in=filters["status"])
    if filters.get("category"):
        qs = qs.filter(category__in=filters["category"])
    if filters.get("year"):
        qs = qs.filter(created_at__year=filters["year"])
    if filters.get("district"):
        from geodata.selectors import in_district

        qs = in_district(qs, city=city, name=filters["district"])
    if filters.get("q"):
        from mapapp.filters import matching

        qs = matching(qs, filters["q"], *SEARCH_FIELDS)
    return qs


def parse_filters(params, *, city: City) -> dict:
    """Filters from a query string; unknown values are dropped, not an error."""
    from mapapp.filters import choices, parse_common

    out: dict = parse_common(params)
    call = params.get("call", "")
    if call.isdigit() and GrantCall.objects.filter(city=city, pk=int(call)).exists():
        out["call"] = int(call)
    out["status"] = choices(params, "status", Proposal.Status.values)
    out["category"] = choices(params, "category", Proposal.Category.values)
    return out


def call_proposals(
    *, grant_call, status: str = "", q: str = ""
) -> tuple[QuerySet[Proposal], dict[str, int]]:
    """The proposals the officers' call page lists: the call's (drafts left out) in title order,
    narrowed to `status` when the call has any such proposal (else ignored) and to search
    words; with the count of the call's proposals in each status, for the choices."""
    from mapapp.filters import matching

    proposals = grant_call.proposals.exclude(status=Proposal.Status.DRAFT)
    counts = dict(proposals.order_by().values_list("status").annotate(n=Count("pk")))
    if status in counts:
        proposals = proposals.filter(status=status)
    return matching(proposals, q, *SEARCH_FIELDS).order_by(collated("title"), "pk"), counts


def proposals_of(*, user) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(author=user)
        .select_related("city", "grant_call")
        .order_by("-updated_at")
    )


@dataclass
class NextStep:
    text: str
    url: str
    urgent: bool = False  # overdue: shown as such


def next_step(*, proposal: Proposal, today=None) -> NextStep | None:
    """What the applicant has to do next with their proposal, and where, for the list of
    their proposals; None while it waits for others (the officers, the committee)."""
    from zoneinfo import ZoneInfo

    from django.urls import reverse
    from django.utils.formats import date_format

    from proposals.services.drafting import active_support_count, revision_window_open

    call = proposal.grant_call
    args = {"city": proposal.city.slug, "pk": proposal.pk}
    edit, detail = reverse("proposals:edit", kwargs=args), reverse("proposals:detail", kwargs=args)
    works = reverse("proposals:progress", kwargs=args)

    def when(moment) -> str:  # the day in the city's own time zone, as its calls are set
        zone = ZoneInfo(proposal.city.time_zone)
        return date_format(timezone.localtime(moment, zone).date(), "SHORT_DATE_FORMAT")

    if proposal.status == S.DRAFT:
        return NextStep(_("Finish it and publish it to gather supporters"), edit)
    if proposal.status == S.COLLECTING_SUPPORT:
        if call.closes_at <= timezone.now():  # the expiry job has not run yet
            return NextStep(
                _("The call closed on %(date)s before it was submitted")
                % {"date": when(call.closes_at)},
                detail,
            )
        have, need = active_support_count(proposal), call.min_supporters
        if have < need:
            return NextStep(
                _("%(have)s of %(need)s supporters; submit it by %(date)s")
                % {"have": have, "need": need, "date": when(call.closes_at)},
                detail,
            )
        return NextStep(_("Supported: submit it by %(date)s") % {"date": when(call.closes_at)},
                        detail)  # fmt: skip
    if proposal.status == S.IN_ASSESSMENT and revision_window_open(proposal):
        return NextStep(_("The committee's feedback is out: revise it before the next round"),
                        edit)  # fmt: skip
    if proposal.status == S.AGREEMENT_SIGNED:
        return NextStep(_("Start the works"), works)
    if proposal.status == S.IN_PROGRESS:
        return NextStep(_("Record the works, then report the project completed"), works)
    if proposal.status == S.SUSTAINABILITY:
        due = next_report(maintenance_schedule(proposal=proposal, today=today))
        if due is not None:
            words = {"n": due.period, "date": date_format(due.due, "SHORT_DATE_FORMAT")}
            if due.overdue:
                return NextStep(_("Maintenance report %(n)s is overdue: it was due %(date)s")
                                % words, works, urgent=True)  # fmt: skip
            return NextStep(_("Maintenance report %(n)s is due %(date)s") % words, works)
    return None


def city_criteria(*, city: City) -> list[CityCriterion]:
    """The assessment criteria a new call of the city starts with: the city's own, else
    the built-in ones (services.calls.DEFAULT_CRITERIA, unsaved), each weighing 1."""
    from proposals.services.calls import DEFAULT_CRITERIA

    return list(city.call_criteria.all()) or [
        CityCriterion(city=city, key=key, name=name, weight=Decimal("1.00"), position=n)
        for n, (key, name) in enumerate(DEFAULT_CRITERIA)
    ]


def follows_of(*, user) -> QuerySet[Follow]:
    """The proposals a person follows (only while they are public: a hidden one is left
    out, though its follow stays until the person or its last milestone ends it)."""
    return (
        Follow.objects.filter(
            user=user, proposal__status__in=Proposal.PUBLIC_STATUSES, proposal__hidden_at=None
        )
        .select_related("proposal", "proposal__city")
        .order_by("-created_at")
    )


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
    ranking, each proposal that still fits the remaining budget is recommended."""
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
        fits = score is not None and proposal.requested_amount <= remaining
        if fits:
            remaining -= proposal.requested_amount
            cumulative += proposal.requested_amount
        out.append(RankedProposal(proposal, score, fits, cumulative))
    return out


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


# --- versions -------------------------------------------------------------------------


@dataclass
class VersionDiff:
    text: dict[str, list[str]]  # field -> unified diff lines
    budget_added: list[dict]
    budget_removed: list[dict]
    requested_before: Decimal
    requested_after: Decimal
    moved_m: float | None  # distance between the two points, metres
    area_before_m2: float | None
    area_after_m2: float | None
    area_changed_m2: float | None  # symmetric difference of the two areas

    @property
    def text_changes(self) -> list[tuple[str, list[str]]]:
        """The changed texts under their names as the proposal form gives them."""
        return [
            (capfirst(Proposal._meta.get_field(name).verbose_name), lines)
            for name, lines in self.text.items()
        ]


TEXT_FIELDS = ("title", "description", "neighbour_involvement", "maintenance_plan")


def version_diff(*, older: ProposalVersion, newer: ProposalVersion) -> VersionDiff:
    text = {}
    for name in TEXT_FIELDS:
        a, b = getattr(older, name), getattr(newer, name)
        if a != b:
            text[name] = list(
                difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1)
            )[2:]
    before = {(line["item"], line["amount"]) for line in older.budget}
    after = {(line["item"], line["amount"]) for line in newer.budget}
    srid = older.proposal.city.metric_srid
    # Geometry changes measured by PostGIS in the city's metric CRS.
    geo = (
        ProposalVersion.objects.filter(pk=newer.pk)
        .annotate(
            moved=Distance(Transform("geom", srid), Transform(_value(older.geom), srid)),
            area_after=Area(Transform("area", srid)),
        )
        .values("moved", "area_after")
        .get()
    )
    area_before = area_changed = None
    if older.area is not None:
        area_before = (
            ProposalVersion.objects.filter(pk=older.pk)
            .annotate(a=Area(Transform("area", srid)))
            .values_list("a", flat=True)
            .get()
            .sq_m
        )
    if older.area is not None and newer.area is not None:
        area_changed = (
            ProposalVersion.objects.filter(pk=newer.pk)
            .annotate(d=Area(Transform(SymDifference("area", _value(older.area)), srid)))
            .values_list("d", flat=True)
            .get()
            .sq_m
        )
    return VersionDiff(
        text=text,
        budget_added=[{"item": i, "amount": a} for i, a in sorted(after - before)],
        budget_removed=[{"item": i, "amount": a} for i, a in sorted(before - after)],
        requested_before=older.requested_amount,
        requested_after=newer.requested_amount,
        moved_m=geo["moved"].m if geo["moved"] is not None else None,
        area_before_m2=area_before,
        area_after_m2=geo["area_after"].sq_m if geo["area_after"] is not None else None,
        area_changed_m2=area_changed,
    )


def _value(geometry):
    from django.contrib.gis.db.models import GeometryField
    from django.db.models import Value

    return Value(geometry, output_field=GeometryField(srid=4326))


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


# --- after the grant ------------------------------------------------------------------


def unfiled_reports(*, city: City):
    """(proposal, period, due date) for every maintenance report of the city's proposals in
    their sustainability period that is not filed yet, earliest period first per proposal."""
    from proposals.services.delivery import report_due_dates

    proposals = (
        Proposal.objects.filter(city=city, status=S.SUSTAINABILITY)
        .select_related("grant_call", "author", "city")
        .annotate(filed=Count("maintenance_reports"))
    )
    for proposal in proposals:
        for period, due in enumerate(report_due_dates(proposal), start=1):
            if period > proposal.filed:
                yield proposal, period, due


@dataclass
class ReportDue:
    period: int  # 1 = the first six months
    due: object  # a date
    report: object  # the MaintenanceReport filed, or None
    overdue: bool  # past its due date and not filed


def maintenance_schedule(*, proposal: Proposal, today=None) -> list[ReportDue]:
    """Every maintenance report of the sustainability period, due, filed or overdue, with
    what was filed (and its photos): what an officer checks before closing the project."""
    from proposals.services.delivery import report_due_dates

    today = today or timezone.localdate()
    filed = {r.period: r for r in proposal.maintenance_reports.prefetch_related("photos")}
    schedule = [
        ReportDue(period, due, filed.get(period), period not in filed and due < today)
        for period, due in enumerate(report_due_dates(proposal), start=1)
    ]
    listed = {each.period for each in schedule}  # filed beyond the schedule: shown too
    extra = [ReportDue(n, None, r, False) for n, r in sorted(filed.items()) if n not in listed]
    return schedule + extra


@dataclass
class PublicCare:
    """The sustainability period of a completed project as the public sees it."""

    schedule: list[ReportDue]
    filed: int  # reports filed
    due: int  # reports the period asks for
    ends_on: object  # the date the period ends


def public_care(*, proposal: Proposal, today=None) -> PublicCare | None:
    """What the completed project's public page shows of the community's care: each
    maintenance report's due date, the day it was filed and its photos (all of a project's
    photos are public). Not the reports' texts: they are written to the officers and may
    name the neighbours who did the work. None before the completion is accepted, for a
    proposal hidden after a report, and for a period too short for any report."""
    if proposal.status not in (S.SUSTAINABILITY, S.CLOSED) or proposal.hidden_at:
        return None
    schedule = maintenance_schedule(proposal=proposal, today=today)
    if not schedule:
        return None
    return PublicCare(
        schedule=schedule,
        filed=sum(1 for r in schedule if r.report),
        due=sum(1 for r in schedule if r.due),
        ends_on=proposal.sustainability_ends_on,
    )


def next_report(schedule: list[ReportDue]) -> ReportDue | None:
    """The report the applicant files next (maintenance_report_file files them in order):
    the first of the period not filed yet; None once all are."""
    return next((r for r in schedule if r.report is None and r.due), None)


def work_totals(*, proposal: Proposal) -> dict:
    """The volunteers and volunteer hours of a project's work days, added up by the
    database: the officers' page and the completed project's numbers."""
    found = proposal.work_days.aggregate(
        volunteers=Sum("people"), volunteer_hours=Sum(F("people") * F("hours"))
    )
    return {name: value or 0 for name, value in found.items()}


@dataclass
class ProjectWorks:
    """What the applicant reported of the works and the sustainability period, as the
    officers read it before accepting a completion or closing a project."""

    milestones: QuerySet
    work_days: QuerySet
    volunteer_hours: Decimal | int
    photos: QuerySet
    schedule: list[ReportDue]  # empty before the works are completed
    can_close: bool  # the sustainability period is over (services.delivery.proposal_close)


def project_works(*, proposal: Proposal, today=None) -> ProjectWorks | None:
    """The works of a granted project once its agreement is signed; None before."""
    from proposals.services.grants import GRANTED_STATES

    if proposal.status not in GRANTED_STATES or proposal.status == S.GRANTED:
        return None
    today = today or timezone.localdate()
    ends = proposal.sustainability_ends_on
    return ProjectWorks(
        milestones=proposal.milestones.all(),
        work_days=proposal.work_days.all(),
        volunteer_hours=work_totals(proposal=proposal)["volunteer_hours"],
        photos=proposal.photos.select_related("report"),
        schedule=maintenance_schedule(proposal=proposal, today=today)
        if proposal.completed_at
        else [],
        can_close=not ends or today >= ends,
    )


@dataclass
class FeedbackBox:
    """The officers' feedback on the round just closed, as their page shows it: the saved
    draft, the feedback released (to correct it), and the text the box opens with."""

    draft: object  # FeedbackDraft or None
    released: object  # Feedback or None
    text: str

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
    return FeedbackBox(draft=draft, released=released, text=typed)


def overdue_reports(*, city: City, today=None) -> list[tuple[Proposal, int]]:
    """(proposal, period) for every maintenance report past its due date and not filed."""
    today = today or timezone.localdate()
    return [(p, period) for p, period, due in unfiled_reports(city=city) if due < today]


@dataclass
class OfficerWaiting:
    """What waits for a city's programme officers: the officers' page and their daily digest
    (notify_overdue_reports) read it from here, so the e-mail's counts are the page's."""

    checks: list[Proposal]  # submitted to a closed call before round 1, oldest first
    flags: int  # residents' reports of content (and authors' objections), open
    sites: int  # neglected-site reports waiting for moderation
    representations: int = 0  # requests to represent an NGO, to verify
    flags_since: datetime | None = None  # when the oldest open report was made
    flags_overdue: int = 0  # open for longer than FLAG_REVIEW_DAYS
    # the projects' next steps that are the officers' to take, oldest first
    feedback: list[Proposal] = field(default_factory=list)  # between rounds, none released
    agreements: list[Proposal] = field(default_factory=list)  # granted, agreement not recorded
    completions: list[Proposal] = field(default_factory=list)  # reported completed
    closable: list[Proposal] = field(default_factory=list)  # sustainability period over

    @property
    def nothing(self) -> bool:
        return not (
            self.checks or self.flags or self.sites or self.representations or self.projects
        )

    @property
    def projects(self) -> list[tuple[str, str, list[Proposal]]]:
        """(step, what waits in the active language, its proposals) for each of the
        projects' steps that has any: the officers' page and their digest say the same."""
        from django.utils.translation import ngettext

        said = {
            "feedback": lambda n: ngettext(
                "%(n)s proposal waits for the committee's feedback, for its applicant to "
                "revise it:",
                "%(n)s proposals wait for the committee's feedback, for their applicants to "
                "revise them:",
                n,
            ),
            "agreements": lambda n: ngettext(
                "%(n)s granted project waits for its agreement to be recorded:",
                "%(n)s granted projects wait for their agreements to be recorded:",
                n,
            ),
            "completions": lambda n: ngettext(
                "%(n)s project reported completed waits for your acceptance:",
                "%(n)s projects reported completed wait for your acceptance:",
                n,
            ),
            "closable": lambda n: ngettext(
                "%(n)s project's sustainability period is over; it can be closed:",
                "%(n)s projects' sustainability periods are over; they can be closed:",
                n,
            ),
        }
        steps = [("feedback", self.feedback), ("agreements", self.agreements),
                 ("completions", self.completions), ("closable", self.closable)]  # fmt: skip
        return [
            (step, said[step](len(found)) % {"n": len(found)}, found)
            for step, found in steps
            if found
        ]

    @property
    def review_days(self) -> int:
        from django.conf import settings

        return settings.FLAG_REVIEW_DAYS

    @property
    def checks_shown(self) -> list[Proposal]:
        """The oldest CHECKS_SHOWN of them: after a deadline a call may have hundreds."""
        return self.checks[:CHECKS_SHOWN]

    @property
    def checks_by_call(self) -> list[tuple[GrantCall, int]]:
        """(call, how many of its proposals wait), for links to each call's page."""
        counts: dict[GrantCall, int] = {}
        for proposal in self.checks:
            counts[proposal.grant_call] = counts.get(proposal.grant_call, 0) + 1
        return list(counts.items())


CHECKS_SHOWN = 20


def officer_waiting(*, city: City) -> OfficerWaiting:
    from mapapp.models import Flag
    from sites.models import Site

    # the formal check is possible from the call's deadline until its first round opens
    # (services.assessment.proposal_formal_check): a proposal of an open call waits for
    # nobody yet
    checks = (
        Proposal.objects.filter(
            city=city,
            status=S.SUBMITTED,
            grant_call__closes_at__lte=timezone.now(),
            grant_call__current_round=0,
        )
        .select_related("grant_call")
        .order_by("submitted_at", "id")
    )
    from mapapp.flags import review_due_before

    flags = Flag.objects.filter(city=city, state=Flag.State.OPEN).aggregate(
        n=Count("id"),
        oldest=Min("created_at"),
        overdue=Count("id", filter=Q(created_at__lt=review_due_before())),
    )
    from zoneinfo import ZoneInfo

    today = timezone.localdate(timezone=ZoneInfo(city.time_zone))
    projects = Proposal.objects.filter(city=city).select_related("grant_call")
    return OfficerWaiting(
        feedback=list(feedback_due(proposals=projects).order_by("eligible_at", "id")),
        agreements=list(projects.filter(status=S.GRANTED).order_by("decided_at", "id")),
        completions=list(projects.filter(status=S.COMPLETED).order_by("completed_at", "id")),
        closable=list(
            projects.filter(status=S.SUSTAINABILITY, sustainability_ends_on__lte=today).order_by(
                "sustainability_ends_on", "id"
            )
        ),
        checks=list(checks),
        flags=flags["n"],
        flags_since=flags["oldest"],
        flags_overdue=flags["overdue"],
        sites=Site.objects.filter(city=city, moderation=Site.Moderation.PENDING).count(),
        representations=pending_representations(city=city).count(),
    )


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


def pending_representations(*, city: City) -> QuerySet[Representative]:
    """Requests to represent an organisation of the city, waiting for an officer, oldest
    first."""
    return (
        Representative.objects.filter(
            organisation__city=city, verified_at__isnull=True, refused_at__isnull=True
        )
        .select_related("organisation", "user")
        .order_by("requested_at", "pk")
    )


def verified_representations(*, city: City) -> QuerySet[Representative]:
    """The city's verified NGO representatives, by organisation in the reader's alphabet."""
    return (
        Representative.objects.filter(organisation__city=city, verified_at__isnull=False)
        .select_related("organisation", "user", "verified_by")
        .order_by(collated("organisation__name"), "user__email")
    )


def representations_of(*, user, city: City) -> QuerySet[Representative]:
    return (
        Representative.objects.filter(user=user, organisation__city=city)
        .select_related("organisation")
        .order_by("organisation__name")
    )


# --- pages ----------------------------------------------------------------------------


def status_timeline(*, proposal: Proposal) -> list[dict]:
    """The proposal's public history: each state it entered and when (from the audit log)."""
    from mapapp.models import AuditEvent

    labels = dict(Proposal.Status.choices)
    events = AuditEvent.objects.filter(
        object_type="proposals.proposal", object_id=str(proposal.pk), action__startswith="proposal."
    ).order_by("at", "id")
    timeline = []
    for event in events:
        status = event.action.removeprefix("proposal.")
        if status in labels:
            timeline.append({"status": status, "label": labels[status], "at": event.at})
    return timeline


def completion_note(*, proposal: Proposal) -> str:
    """What the applicant wrote for the officers when reporting the works completed (the
    last such report; the audit log keeps it), for the officers deciding to accept it."""
    from mapapp.models import AuditEvent

    event = (
        AuditEvent.objects.filter(object_type="proposals.proposal", object_id=str(proposal.pk),
                                  action=f"proposal.{Proposal.Status.COMPLETED}")
        .order_by("-at", "-id").first()
    )  # fmt: skip
    return event.note if event else ""


def proposal_map_config(*, proposal: Proposal) -> dict:
    """The proposal's own geometry for its page map."""
    from mapapp.selectors import shape_map_config

    return shape_map_config(obj=proposal, city=proposal.city, status=proposal.status)


# --- the programme in figures --------------------------------------------------------


@dataclass
class CallFigures:
    """One call's figures for the programme's report (officers), or the totals of all."""

    call: GrantCall | None  # None: the totals row
    budget: Decimal = Decimal("0")
    published: int = 0  # ever published to gather support
    submitted: int = 0
    supporters: int = 0  # supports counted now, over the published proposals
    assessed: int = 0  # passed the formal check (then assessed, decided, or withdrawn)
    granted: int = 0
    granted_sum: Decimal = Decimal("0")
    spent: Decimal = Decimal("0")  # the granted projects' expenses with receipts
    completed: int = 0  # built: completed, in the sustainability period, or closed
    volunteer_hours: Decimal = Decimal("0")  # people x hours of the work days logged
    area_m2: float = 0.0  # the granted projects' drawn areas, in the city's metric CRS


def programme_figures(*, city: City, public: bool = False) -> tuple[list[CallFigures], CallFigures]:
    """Each call of the city, the latest first, in figures, and the totals: what a city
    reports to its council and its partners. Three grouped queries (proposals, expenses,
    work days), each summed per call in the database, so the rows of one relation never
    multiply another's sums. Hidden proposals count in the officers' record; `public`
    leaves them out (the calls page's "so far")."""
    from django.db.models import DecimalField, ExpressionWrapper, FloatField, Func
    from django.db.models.functions import Coalesce

    from proposals.models import Expense, WorkDay
    from proposals.services.grants import GRANTED_STATES

    granted = Q(status__in=GRANTED_STATES)
    built = Q(status__in=(S.COMPLETED, S.SUSTAINABILITY, S.CLOSED))
    assessed = Q(eligible_at__isnull=False)  # passed the formal check, withdrawn since or not
    area = Func(Transform("area", city.metric_srid), function="ST_Area", output_field=FloatField())
    proposals = Proposal.objects.filter(city=city)
    if public:
        proposals = proposals.filter(hidden_at__isnull=True)
    per_call = proposals.values("grant_call").annotate(
        published=Count("pk", filter=Q(published_at__isnull=False)),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        supporters=Sum("support_count", filter=Q(published_at__isnull=False)),
        assessed=Count("pk", filter=assessed),
        granted=Count("pk", filter=granted),
        granted_sum=Sum("granted_amount", filter=granted),
        completed=Count("pk", filter=built),
        area_m2=Sum(area, filter=granted & Q(area__isnull=False)),
    )
    spent = (
        Expense.objects.filter(proposal__in=proposals, proposal__status__in=GRANTED_STATES)
        .values("proposal__grant_call")
        .annotate(total=Sum("amount"))
    )
    hours = ExpressionWrapper(
        F("people") * F("hours"), output_field=DecimalField(max_digits=14, decimal_places=1)
    )
    worked = (
        WorkDay.objects.filter(proposal__in=proposals)
        .values("proposal__grant_call")
        .annotate(total=Coalesce(Sum(hours), Decimal("0")))
    )
    # call_year reads the city's time zone; its boundary (thousands of vertices for a real
    # city) would only weigh down every cached copy of these figures (public_figures)
    calls = GrantCall.objects.filter(city=city).select_related("city").defer("city__boundary")
    rows = {
        call.pk: CallFigures(call=call, budget=call.total_budget)
        for call in calls.order_by("-opens_at", "-pk")
    }
    for found in per_call:
        row = rows[found.pop("grant_call")]
        for name, value in found.items():
            setattr(row, name, value or type(getattr(row, name))())
    for found in spent:
        rows[found["proposal__grant_call"]].spent = found["total"]
    for found in worked:
        rows[found["proposal__grant_call"]].volunteer_hours = found["total"]
    return list(rows.values()), figures_summed(rows.values())


def public_figures(*, city: City) -> tuple[list[CallFigures], CallFigures]:
    """programme_figures(public=True), kept in the cache: about 170 ms for a city of 100,000
    proposals (make bench-figures), and /figures/ sums every city's for anonymous visitors.
    The key is the city's change counters (kept by triggers in the writer's transaction) of
    every table the figures count: proposals (a status, a grant, a support, a hiding), calls,
    expenses and work days (migration proposals 0025). One read by primary key."""
    from django.conf import settings
    from django.core.cache import cache

    from geodata.exchange import data_stamps
    from proposals.models import Expense, WorkDay

    tables = [m._meta.db_table for m in (Proposal, GrantCall, Expense, WorkDay)]
    key = f"figures:{city.pk}:{data_stamps(city, tables)}"
    found = cache.get(key)
    if found is None:
        found = programme_figures(city=city, public=True)
        cache.set(key, found, settings.FIGURES_CACHE_SECONDS)
    return found


def figures_summed(rows) -> CallFigures:
    """The totals row of some calls' figures."""
    totals = CallFigures(call=None)
    figures = [f.name for f in dataclass_fields(CallFigures) if f.name != "call"]
    for row in rows:
        for name in figures:
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    return totals


def call_year(call: GrantCall) -> int:
    """The year a call opened, on its city's clock: the year its figures belong to."""
    import zoneinfo

    return call.opens_at.astimezone(zoneinfo.ZoneInfo(call.city.time_zone)).year


@dataclass
class CityFigures:
    city: City
    figures: CallFigures  # the city's totals
    calls: int  # calls run or announced


@dataclass
class NetworkFigures:
    """The programme across the deployment's cities, as the public sees it: each active
    city's totals (programme_figures, hidden proposals left out), the counts summed, and
    the money summed within each currency only (a złoty and a koruna do not add up)."""

    cities: list[CityFigures]
    totals: CallFigures  # its money fields are not used: see `money`
    money: dict[str, Decimal]  # currency -> granted
    calls: int
    year: int | None = None  # the calls opened in this year only; None: all
    years: list[int] = field(default_factory=list)  # the years any call opened, latest first


def figures_year(value: str | None) -> int | None:
    """The `year` asked of the network's figures: None for every year; ValueError for what
    is no year."""
    if value in (None, ""):
        return None
    if not (value.isdigit() and 2000 <= int(value) <= 2100):
        raise ValueError(value)
    return int(value)


def network_figures(*, year: int | None = None) -> NetworkFigures:
    """Every city's figures; with `year`, those of the calls opened in that year (on the
    city's clock), with everything their proposals have done since."""
    from mapapp.selectors import city_list

    rows, years = [], set()
    for city in city_list():
        calls, figures = public_figures(city=city)  # a row a call, and the totals
        years |= {call_year(row.call) for row in calls}
        if year is not None:
            calls = [row for row in calls if call_year(row.call) == year]
            figures = figures_summed(calls)
        rows.append(CityFigures(city, figures, len(calls)))
    totals, money = CallFigures(call=None), {}
    for row in rows:
        for name in ("published", "submitted", "supporters", "granted", "completed",
                     "volunteer_hours", "area_m2"):  # fmt: skip
            setattr(totals, name, getattr(totals, name) + getattr(row.figures, name))
        money[row.city.currency] = money.get(row.city.currency, Decimal("0")) + (
            row.figures.granted_sum
        )
    return NetworkFigures(cities=rows, totals=totals, money=money,
                          calls=sum(row.calls for row in rows), year=year,
                          years=sorted(years, reverse=True))  # fmt: skip
