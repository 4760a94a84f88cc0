"""Reads for proposals: the public lists and their filters, a person's own, map data, the
status timeline, and the differences between a proposal's versions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.gis.db.models.functions import Area, Distance, SymDifference, Transform
from django.db.models import Count, QuerySet
from django.utils.text import capfirst

from mapapp.collation import collated
from mapapp.models import City
from proposals.models import (
    Follow,
    GrantCall,
    Proposal,
    ProposalVersion,
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
    out["status"] = choices(params, "status", Proposal.PUBLIC_STATUSES)
    out["category"] = choices(params, "category", Proposal.Category.values)
    return out


def filter_choices(*, city: City, params) -> dict[str, list[str]]:
    """What each choice filter of the public proposals takes (the REST API refuses others):
    the public statuses, the categories and the ids of the city's calls (read only when
    `params` ask for a call: the map's requests do not pay for it)."""
    out = {"status": list(Proposal.PUBLIC_STATUSES), "category": list(Proposal.Category.values)}
    if any(params.getlist("call")):
        calls = GrantCall.objects.filter(city=city).order_by("pk").values_list("pk", flat=True)
        out["call"] = [str(pk) for pk in calls]
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


# --- pages ----------------------------------------------------------------------------


def status_timeline(*, proposal: Proposal) -> list[dict]:
    """The proposal's public history: each state it entered and when (from the audit log);
    a decision, a revocation and an agreement on the day the officers gave for them, which
    may be before they recorded it. Each decision on its own day: one not granted and later
    granted from the reserve shows both; a decision's or a revocation's day corrected since
    (decision_correct, revocation_correct) as corrected."""
    from datetime import date, datetime

    from mapapp.models import AuditEvent
    from proposals.services.common import moment_of

    S = Proposal.Status
    labels = dict(S.choices)
    events = AuditEvent.objects.filter(
        object_type="proposals.proposal", object_id=str(proposal.pk), action__startswith="proposal."
    ).order_by("at", "id")
    given = {S.GRANTED: "decided_at", S.REJECTED: "decided_at", S.REVOKED: "revoked_at"}
    CORRECTED = {  # an officer's correction of a day: (its field, the steps it corrects)
        "decision_corrected": ("decided_on", (S.GRANTED, S.REJECTED)),
        "revocation_corrected": ("revoked_on", (S.REVOKED,)),
    }
    timeline = []
    for event in events:
        status = event.action.removeprefix("proposal.")
        if status in CORRECTED and timeline:  # the decision or revocation before it, its day
            field, steps = CORRECTED[status]
            found = [step for step in timeline if step["status"] in steps]
            day = (event.after or {}).get(field)
            if found and day:
                found[-1]["at"] = moment_of(proposal.city, date.fromisoformat(day))
            continue
        if status not in labels:
            continue
        at = event.at
        if status == S.AGREEMENT_SIGNED and proposal.agreement_signed_at:
            at = proposal.agreement_signed_at  # corrected since, perhaps
        elif status in given:
            try:  # as the transition wrote it (str of a datetime)
                at = datetime.fromisoformat((event.after or {}).get(given[status]) or "")
            except ValueError:  # an event written without it
                at = event.at
        timeline.append({"status": status, "label": labels[status], "at": at})
    decisions = [step for step in timeline if step["status"] in (S.GRANTED, S.REJECTED)]
    if decisions and proposal.decided_at:  # the latest on its day as corrected since, perhaps
        decisions[-1]["at"] = proposal.decided_at
    return timeline


def proposal_map_config(*, proposal: Proposal) -> dict:
    """The proposal's own geometry for its page map."""
    from mapapp.selectors import shape_map_config

    return shape_map_config(obj=proposal, city=proposal.city, status=proposal.status)
