"""Reads for the works and the sustainability period: the maintenance schedule, what the
officers check, and what the public sees of the community's care."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum

from mapapp.models import City
from proposals.models import CareNotice, Proposal

S = Proposal.Status


# --- after the grant ------------------------------------------------------------------


def _in_sustainability(city: City) -> QuerySet[Proposal]:
    """The city's projects in their sustainability period, their reports counted (`filed`):
    with the call's period and the completion, all their report dates follow."""
    return (
        Proposal.objects.filter(city=city, status=S.SUSTAINABILITY)
        .select_related("grant_call", "city")  # the city's clock dates the reports
        .defer("city__boundary")
        .annotate(
            filed=Count("maintenance_reports", distinct=True),
            # residents' notices to the maintainers that wait for an answer (services.care)
            unanswered=Count(
                "care_notices", filter=CareNotice.waiting("care_notices__"), distinct=True
            ),
        )
    )


def unfiled_reports(*, city: City):
    """(proposal, period, due date) for every maintenance report of the city's proposals in
    their sustainability period that is not filed yet, earliest period first per proposal."""
    from proposals.services.delivery import report_due_dates

    for proposal in _in_sustainability(city).select_related("author"):
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
    what was filed (and its photos): what an officer checks before closing the project. A
    grant revoked in the period ended it: the reports due until the revocation (and any
    filed since)."""
    from proposals.services.delivery import report_due_dates

    today = today or proposal.city.local_date()
    filed = {r.period: r for r in proposal.maintenance_reports.prefetch_related("photos")}
    schedule = [
        ReportDue(period, due, filed.get(period), period not in filed and due < today)
        for period, due in enumerate(report_due_dates(proposal), start=1)
    ]
    if proposal.status == S.REVOKED and proposal.revoked_at:
        revoked_on = proposal.city.local_date(proposal.revoked_at)
        schedule = [r for r in schedule if r.report or r.due <= revoked_on]
    listed = {each.period for each in schedule}  # filed beyond the schedule: shown too
    extra = [ReportDue(n, None, r, False) for n, r in sorted(filed.items()) if n not in listed]
    return schedule + extra


@dataclass
class PublicCare:
    """The sustainability period of a completed project as the public sees it."""

    schedule: list[ReportDue]
    filed: int  # reports filed
    due: int  # reports the period asks for
    ends_on: object  # the date the period ends (or ended: its grant revoked)
    revoked_on: object = None  # the day the city revoked the grant in the period, if it did


def public_care(*, proposal: Proposal, today=None) -> PublicCare | None:
    """What the completed project's public page shows of the community's care: each
    maintenance report's due date, the day it was filed and its photos (all of a project's
    photos are public). Not the reports' texts: they are written to the officers and may
    name the neighbours who did the work. None before the completion is accepted, for a
    proposal hidden after a report, and for a period too short for any report. A grant
    revoked in the period: the reports due until the revocation, the period ended then."""
    revoked_on = None
    if proposal.status == S.REVOKED and proposal.sustainability_ends_on and proposal.revoked_at:
        revoked_on = proposal.city.local_date(proposal.revoked_at)
    elif proposal.status not in (S.SUSTAINABILITY, S.CLOSED):
        return None
    if proposal.hidden_at:
        return None
    schedule = maintenance_schedule(proposal=proposal, today=today)
    if not schedule:
        return None
    return PublicCare(
        schedule=schedule,
        filed=sum(1 for r in schedule if r.report),
        due=sum(1 for r in schedule if r.due),
        ends_on=revoked_on or proposal.sustainability_ends_on,
        revoked_on=revoked_on,
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


def call_expenses(*, grant_call) -> QuerySet:
    """Every expense the call's projects recorded, project by project, for settling the
    grants (the officers' spreadsheet)."""
    from proposals.models import Expense

    return (
        Expense.objects.filter(proposal__grant_call=grant_call)
        .select_related("proposal")
        .order_by("proposal_id", "spent_on", "pk")
    )


@dataclass
class RemovedEntry:
    at: object  # when the applicant removed it
    said: str  # what the entry said, in the reader's language


def works_removed(*, proposal: Proposal) -> list[RemovedEntry]:
    """The works' entries the applicant removed as recorded by mistake, oldest first, from
    the audit (services.delivery.REMOVALS): the officers see what was once claimed."""
    from datetime import date

    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from mapapp.models import AuditEvent
    from mapapp.templatetags.civic import money
    from proposals.models import Photo
    from proposals.services.delivery import REMOVALS

    def day(text):
        return date_format(date.fromisoformat(text), "SHORT_DATE_FORMAT") if text else ""

    events = AuditEvent.objects.filter(  # the object index: the proposal's own history
        object_type="proposals.proposal", object_id=str(proposal.pk), action__in=REMOVALS
    ).order_by("at", "pk")
    rows = []
    for event in events:
        was = event.before
        if event.action == "delivery.expense_remove":
            said = _("Expense “%(what)s”: %(amount)s, paid on %(date)s") % {
                "what": was["description"], "date": day(was["spent_on"]),
                "amount": money(was["amount"], proposal.city),
            }  # fmt: skip
        elif event.action == "delivery.work_day_remove":
            said = _("Work day of %(date)s: %(people)s people × %(hours)s h") % {
                "date": day(was["date"]), "people": was["people"], "hours": was["hours"],
            }  # fmt: skip
        elif event.action == "delivery.milestone_remove":
            said = _("Milestone “%(what)s”, due %(date)s") % {
                "what": was["title"], "date": day(was["due_on"]),
            }  # fmt: skip
        else:
            kind = Photo.Kind(was["kind"]).label
            said = _("Photo #%(id)s (%(kind)s)") % {"id": was["photo"], "kind": kind}
            if was.get("caption"):
                said += f": “{was['caption']}”"
        rows.append(RemovedEntry(event.at, said))
    return rows


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
    removed: list[RemovedEntry]  # entries the applicant took back (works_removed)


def project_works(*, proposal: Proposal, today=None) -> ProjectWorks | None:
    """The works of a granted project once its agreement is signed; None before. Also of a
    project ended after its agreement (its grant revoked, or withdrawn by the applicant):
    what was done, for settling what was paid out."""
    from proposals.services.grants import GRANTED_STATES

    ended = proposal.status in (S.REVOKED, S.WITHDRAWN) and proposal.agreement_signed_at
    if not ended and (proposal.status not in GRANTED_STATES or proposal.status == S.GRANTED):
        return None
    today = today or proposal.city.local_date()
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
        removed=works_removed(proposal=proposal),
    )


def overdue_reports(*, city: City, today=None) -> list[tuple[Proposal, int]]:
    """(proposal, period) for every maintenance report past its due date and not filed."""
    today = today or city.local_date()
    return [(p, period) for p, period, due in unfiled_reports(city=city) if due < today]


@dataclass
class CareRow:
    """A project in its sustainability period, as the officers' overview lists it."""

    proposal: Proposal
    filed: int  # maintenance reports filed
    reports: int  # reports the period asks for
    next_due: object  # the date the next unfiled report is (or was) due; None once all are
    overdue: bool  # that date has passed
    unanswered: int = 0  # residents' notices waiting for the applicant's answer


def sustainability_overview(*, city: City, today=None) -> list[CareRow]:
    """Every project of the city in its sustainability period, the soonest to end first:
    what the officers follow for two years. One query (the reports counted by the
    database; their due dates follow from the completion and the call's period)."""
    from proposals.services.delivery import report_due_dates

    today = today or city.local_date()
    rows = []
    for proposal in _in_sustainability(city).order_by("sustainability_ends_on", "pk"):
        dates = report_due_dates(proposal)
        next_due = dates[proposal.filed] if proposal.filed < len(dates) else None
        rows.append(CareRow(proposal, proposal.filed, len(dates), next_due,
                            next_due is not None and next_due < today,
                            proposal.unanswered))  # fmt: skip
    return rows


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
