"""After the grant: agreement, works (milestones, expenses, volunteer days, photos),
completion, the sustainability period with maintenance reports, closing."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from mapapp.audit import audit_record
from mapapp.files import check_document, delete_after_commit
from mapapp.images import process_image
from proposals import messages as msg
from proposals.access import check_applicant, check_officer, is_officer
from proposals.models import (
    Expense,
    MaintenanceReport,
    Milestone,
    Photo,
    Proposal,
    ReportReminder,
    WorkDay,
)
from proposals.services.common import S, check_status, given_day, refuse, transition

REPORT_EVERY_MONTHS = 6
REMIND_DAYS_BEFORE = 7  # the applicant is reminded of a report this many days before it is due


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update()
        .select_related("city", "grant_call")
        .get(pk=proposal.pk)
    )


AGREEMENT_REFERENCE_MAX = 100


def _agreement_moment(proposal: Proposal, signed_on: date | None) -> datetime:
    """When the agreement was signed, checked: not in the future, not before the grant
    decision, by the city's calendar. Today (or no day given) is now; an earlier day is
    noon of it in the city's time, the day all its pages and spreadsheets then show."""
    return given_day(proposal.city, signed_on, future=msg.AGREEMENT_IN_FUTURE, field="signed_on",
                     not_before=[(proposal.decided_at, msg.AGREEMENT_BEFORE_DECISION)])  # fmt: skip


def _agreement_reference(reference: str) -> str:
    reference = " ".join((reference or "").split())
    if len(reference) > AGREEMENT_REFERENCE_MAX:
        raise ValidationError(
            {"reference": [msg.AGREEMENT_REFERENCE_LONG % {"max": AGREEMENT_REFERENCE_MAX}]}
        )
    return reference


def _agreement_document(proposal: Proposal, document) -> None:
    """The signed copy (PDF or a scan) replaces the one before, whose file goes once the
    transaction commits."""
    try:
        check_document(document)
    except ValidationError as exc:
        raise ValidationError({"agreement_document": exc.messages}) from None
    delete_after_commit(proposal.agreement_document)
    proposal.agreement_document = document
    proposal.save(update_fields=["agreement_document", "updated_at"])


@transaction.atomic
def agreement_sign(
    *, actor, proposal: Proposal, signed_on: date | None = None, reference: str = "",
    document=None,
) -> Proposal:  # fmt: skip
    """Records the grant agreement: the day it was signed (today unless given; costs
    before it stand out), the city's number for it and the signed copy (both optional)."""
    check_officer(actor, proposal.city)
    proposal = _lock(proposal)
    check_status(proposal, S.GRANTED)
    moment = _agreement_moment(proposal, signed_on)
    reference = _agreement_reference(reference)
    proposal = transition(
        proposal, to=S.AGREEMENT_SIGNED, actor=actor, allowed_from=(S.GRANTED,),
        agreement_signed_at=moment, agreement_reference=reference,
    )  # fmt: skip
    if document is not None:
        _agreement_document(proposal, document)
    return proposal


@transaction.atomic
def agreement_correct(
    *, actor, proposal: Proposal, signed_on: date | None = None, reference: str = "",
    document=None,
) -> Proposal:  # fmt: skip
    """Corrects the agreement's record (a day typed wrong, the number, a better scan) while
    the project is being built: the expenses' marks follow the day. Audited with what it
    was."""
    check_officer(actor, proposal.city)
    proposal = _lock(proposal)
    check_status(proposal, S.AGREEMENT_SIGNED, S.IN_PROGRESS)
    city = proposal.city
    was_on = city.local_date(proposal.agreement_signed_at) if proposal.agreement_signed_at else None
    reference = _agreement_reference(reference)
    day_changed = signed_on is not None and signed_on != was_on
    if not day_changed and reference == proposal.agreement_reference and document is None:
        refuse(msg.AGREEMENT_UNCHANGED)
    before = {"signed_on": str(was_on), "reference": proposal.agreement_reference}
    if day_changed:
        proposal.agreement_signed_at = _agreement_moment(proposal, signed_on)
    proposal.agreement_reference = reference
    proposal.save(update_fields=["agreement_signed_at", "agreement_reference", "updated_at"])
    if document is not None:
        _agreement_document(proposal, document)
    audit_record(
        actor=actor,
        action="proposal.agreement_corrected",
        obj=proposal,
        city=city,
        before=before,
        after={
            "signed_on": str(city.local_date(proposal.agreement_signed_at)),
            "reference": reference,
            "document_replaced": document is not None,
        },
    )
    return proposal


@transaction.atomic
def works_start(*, actor, proposal: Proposal) -> Proposal:
    proposal = _lock(proposal)
    if not is_officer(actor, proposal.city):
        check_applicant(actor, proposal)
    return transition(proposal, to=S.IN_PROGRESS, actor=actor, allowed_from=(S.AGREEMENT_SIGNED,))


@transaction.atomic
def milestone_add(*, actor, proposal: Proposal, title: str, due_on: date) -> Milestone:
    proposal = _lock(proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.AGREEMENT_SIGNED, S.IN_PROGRESS)
    milestone = Milestone(proposal=proposal, title=title.strip(), due_on=due_on)
    milestone.full_clean()
    milestone.save()
    audit_record(actor=actor, action="delivery.milestone", obj=milestone, city=proposal.city)
    return milestone


@transaction.atomic
def milestone_done(*, actor, milestone: Milestone, done_on: date) -> Milestone:
    proposal = _lock(milestone.proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.IN_PROGRESS)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is not None:  # a second tab's click: the first day stands
        refuse(msg.MILESTONE_DONE_ALREADY)
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    audit_record(actor=actor, action="delivery.milestone_done", obj=milestone, city=proposal.city)
    return milestone


@transaction.atomic
def milestone_undone(*, actor, milestone: Milestone) -> Milestone:
    """A milestone marked done by mistake is open again, while the works are recorded; the
    audit keeps the day it said."""
    proposal = _lock(milestone.proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.IN_PROGRESS)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is None:
        refuse(msg.MILESTONE_NOT_DONE)
    before = {"done_on": str(milestone.done_on)}
    milestone.done_on = None
    milestone.save(update_fields=["done_on"])
    audit_record(
        actor=actor, action="delivery.milestone_undone", obj=milestone, city=proposal.city,
        before=before, after={"done_on": None},
    )  # fmt: skip
    return milestone


# An entry of the works recorded by mistake (a typo in the amount, the wrong receipt, a day
# counted twice) is removed by the applicant while the works are theirs to record, and
# added again right: each removal is audited on the proposal (its history in the audit
# log, by the object index) with what the entry said and its id. The officers' page of the
# project lists them (selectors.works_removed).
REMOVALS = (
    "delivery.milestone_remove",
    "delivery.expense_remove",
    "delivery.work_day_remove",
    "photo.remove",
)


@transaction.atomic
def milestone_remove(*, actor, milestone: Milestone) -> None:
    proposal = _lock(milestone.proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.AGREEMENT_SIGNED, S.IN_PROGRESS)
    audit_record(
        actor=actor, action="delivery.milestone_remove", obj=proposal, city=proposal.city,
        before={"milestone": milestone.pk, "title": milestone.title,
                "due_on": str(milestone.due_on),
                "done_on": str(milestone.done_on) if milestone.done_on else None},
    )  # fmt: skip
    milestone.delete()


def _check_not_future(day: date, proposal: Proposal, message) -> None:
    """`day` has come by the proposal's city's calendar (where the works are)."""
    from django.utils.formats import date_format

    if day > proposal.city.local_date():
        refuse(message, date=date_format(day, "DATE_FORMAT"))


@transaction.atomic
def expense_add(
    *, actor, proposal: Proposal, description: str, amount: Decimal, spent_on: date, receipt
) -> Expense:
    proposal = _lock(proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.IN_PROGRESS)
    if amount <= 0:  # a negative one would hide spending from the totals
        refuse(msg.EXPENSE_NOT_POSITIVE)
    _check_not_future(spent_on, proposal, msg.EXPENSE_IN_FUTURE)
    check_document(receipt)
    spent = proposal.expenses.aggregate(t=Sum("amount"))["t"] or Decimal("0")
    if spent + amount > proposal.granted_amount:
        refuse(msg.EXPENSE_OVER_GRANT, total=spent + amount, granted=proposal.granted_amount)
    expense = Expense(
        proposal=proposal,
        description=description.strip(),
        amount=amount,
        spent_on=spent_on,
        receipt=receipt,
    )
    expense.full_clean()
    expense.save()
    audit_record(
        actor=actor,
        action="delivery.expense",
        obj=expense,
        city=proposal.city,
        after={"amount": str(amount), "total": str(spent + amount)},
    )
    return expense


@transaction.atomic
def expense_remove(*, actor, expense: Expense) -> None:
    """The expense goes, and its receipt's file with it (a wrong receipt is the usual
    reason); the audit keeps what it said."""
    proposal = _lock(expense.proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.IN_PROGRESS)
    audit_record(
        actor=actor, action="delivery.expense_remove", obj=proposal, city=proposal.city,
        before={"expense": expense.pk, "description": expense.description,
                "amount": str(expense.amount), "spent_on": str(expense.spent_on)},
    )  # fmt: skip
    receipt = expense.receipt
    expense.delete()
    delete_after_commit(receipt)


WORK_DAY_MOST_PEOPLE = 1000  # a neighbourhood's big day, not a typo


@transaction.atomic
def work_day_add(*, actor, proposal: Proposal, day: date, people: int, hours: Decimal) -> WorkDay:
    proposal = _lock(proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.IN_PROGRESS)
    # the volunteers' hours are public figures (the city's and the network's): no typo of
    # 1,000 hours a day or a negative count slips into them
    if not 1 <= people <= WORK_DAY_MOST_PEOPLE:
        refuse(msg.WORK_DAY_PEOPLE, most=WORK_DAY_MOST_PEOPLE)
    if not 0 < hours <= 24:
        refuse(msg.WORK_DAY_HOURS)
    _check_not_future(day, proposal, msg.WORK_DAY_IN_FUTURE)
    work_day = WorkDay(proposal=proposal, date=day, people=people, hours=hours)
    work_day.full_clean()
    work_day.save()
    audit_record(actor=actor, action="delivery.work_day", obj=work_day, city=proposal.city)
    return work_day


@transaction.atomic
def work_day_remove(*, actor, work_day: WorkDay) -> None:
    proposal = _lock(work_day.proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.IN_PROGRESS)
    audit_record(
        actor=actor, action="delivery.work_day_remove", obj=proposal, city=proposal.city,
        before={"work_day": work_day.pk, "date": str(work_day.date),
                "people": work_day.people, "hours": str(work_day.hours)},
    )  # fmt: skip
    work_day.delete()


PHOTO_STATES = {
    Photo.Kind.BEFORE: (
        S.DRAFT,
        S.COLLECTING_SUPPORT,
        S.IN_ASSESSMENT,
        S.GRANTED,
        S.AGREEMENT_SIGNED,
        S.IN_PROGRESS,
    ),
    Photo.Kind.PROGRESS: (S.IN_PROGRESS,),
    Photo.Kind.AFTER: (S.IN_PROGRESS, S.COMPLETED),
    Photo.Kind.MAINTENANCE: (S.SUSTAINABILITY,),
}


def photo_kinds(proposal: Proposal) -> list[tuple[str, str]]:
    """The kinds of photo the works page's photo form offers in the proposal's state
    (maintenance photos come with a maintenance report, not from that form)."""
    return [(kind.value, kind.label) for kind, states in PHOTO_STATES.items()
            if proposal.status in states and kind != Photo.Kind.MAINTENANCE]  # fmt: skip


@transaction.atomic
def photo_add(
    *,
    actor,
    proposal: Proposal,
    kind: str,
    upload,
    caption: str = "",
    pair_of: Photo | None = None,
    report: MaintenanceReport | None = None,
) -> Photo:
    """Add a photo; the file is re-encoded without metadata (see mapapp.images)."""
    proposal = _lock(proposal)
    check_applicant(actor, proposal)
    check_status(proposal, *PHOTO_STATES[kind])
    if (kind == Photo.Kind.MAINTENANCE) != (report is not None):  # each with its report
        refuse(msg.REPORT_PHOTO_WITH_REPORT)
    if pair_of is not None and (pair_of.proposal_id != proposal.pk or pair_of.kind != "before"):
        raise ValidationError({"pair_of": [msg.PAIR_WITH_BEFORE]})
    processed = process_image(upload, name_stem=f"p{proposal.pk}-{kind}")
    photo = Photo(
        proposal=proposal,
        kind=kind,
        caption=(caption or "").strip()[:200],
        pair_of=pair_of,
        report=report,
    )
    photo.image.save(processed.display.name, processed.display, save=False)
    photo.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
    photo.save()
    audit_record(actor=actor, action=f"photo.{kind}", obj=photo, city=proposal.city)
    return photo


@transaction.atomic
def photo_remove(*, actor, photo: Photo) -> None:
    """A photo taken off while its kind may still be added (a face shown without consent,
    the wrong place). Not a maintenance report's: the report is filed as it was. Not a
    before photo an after photo is paired with (the pair would silently come apart), nor,
    once the works are reported completed, the last pair the officers check."""
    proposal = _lock(photo.proposal)
    check_applicant(actor, proposal)
    if photo.kind == Photo.Kind.MAINTENANCE:
        refuse(msg.PHOTO_OF_A_REPORT)
    check_status(proposal, *PHOTO_STATES[photo.kind])
    paired = list(photo.paired.values_list("pk", flat=True))
    if paired:
        refuse(msg.PHOTO_PAIRED, ids=", ".join(f"#{pk}" for pk in paired))
    if proposal.status == S.COMPLETED and photo.pair_of_id:
        pairs = proposal.photos.filter(kind=Photo.Kind.AFTER, pair_of__isnull=False)
        if not pairs.exclude(pk=photo.pk).exists():
            refuse(msg.AFTER_PHOTO_REQUIRED)
    audit_record(
        actor=actor, action="photo.remove", obj=proposal, city=proposal.city,
        before={"photo": photo.pk, "kind": photo.kind, "caption": photo.caption,
                "pair_of": photo.pair_of_id},
    )  # fmt: skip
    files = (photo.image, photo.thumbnail)
    photo.delete()
    delete_after_commit(*files)


@transaction.atomic
def completion_report(*, actor, proposal: Proposal, note: str = "") -> Proposal:
    proposal = _lock(proposal)
    check_applicant(actor, proposal)
    if not proposal.photos.filter(kind=Photo.Kind.AFTER, pair_of__isnull=False).exists():
        refuse(msg.AFTER_PHOTO_REQUIRED)
    return transition(
        proposal,
        to=S.COMPLETED,
        actor=actor,
        allowed_from=(S.IN_PROGRESS,),
        note=note,
        completed_at=timezone.now(),
    )


@transaction.atomic
def completion_accept(*, actor, proposal: Proposal) -> Proposal:
    """The officer accepts the completed works; the sustainability period starts."""
    check_officer(actor, proposal.city)
    proposal = _lock(proposal)
    start = proposal.city.local_date(proposal.completed_at)  # the day, by the city's clocks
    ends = add_months(start, proposal.grant_call.sustainability_months)
    proposal = transition(
        proposal,
        to=S.SUSTAINABILITY,
        actor=actor,
        allowed_from=(S.COMPLETED,),
        sustainability_ends_on=ends,
    )
    # the completed project joins the public map of interventions
    from sites.services import intervention_from_proposal

    intervention_from_proposal(proposal=proposal)
    return proposal


def report_due_dates(proposal: Proposal) -> list[date]:
    """When maintenance reports are due: every six months of the sustainability period."""
    if not proposal.completed_at:
        return []
    start = proposal.city.local_date(proposal.completed_at)  # as completion_accept counts
    count = proposal.grant_call.sustainability_months // REPORT_EVERY_MONTHS
    return [add_months(start, REPORT_EVERY_MONTHS * k) for k in range(1, count + 1)]


def report_reminders_send(*, city, today: date | None = None) -> int:
    """E-mail applicants in the sustainability period about maintenance reports due within
    REMIND_DAYS_BEFORE days, and about overdue ones: each reminder once (ReportReminder),
    however often this runs. Returns how many were sent. Run daily, in the city's zone."""
    from datetime import timedelta

    from proposals.selectors import unfiled_reports

    today = today or city.local_date()
    soon = today + timedelta(days=REMIND_DAYS_BEFORE)
    sent = 0
    for proposal, period, due in unfiled_reports(city=city):
        if due > soon:
            continue  # not yet
        kind = ReportReminder.Kind.OVERDUE if due < today else ReportReminder.Kind.SOON
        with transaction.atomic():
            _reminder, created = ReportReminder.objects.get_or_create(
                proposal=proposal, period=period, kind=kind
            )
            if created:
                transaction.on_commit(
                    lambda p=proposal, n=period, d=due, k=kind: _remind(p, n, d, k)
                )
                sent += 1
    return sent


def _remind(proposal: Proposal, period: int, due: date, kind: str) -> None:
    from django.urls import reverse
    from django.utils import formats, translation
    from django.utils.translation import gettext as _

    from mapapp.tasks import mail, site_link

    language = proposal.author.language_in(proposal.city)
    with translation.override(language):
        words = {
            "title": proposal.title,
            "n": period,
            "date": formats.date_format(due, "DATE_FORMAT"),
        }
        if kind == ReportReminder.Kind.OVERDUE:
            subject = _("Maintenance report overdue: “%(title)s”") % words
            body = (
                _(
                    "Maintenance report %(n)s for “%(title)s” was due on %(date)s. Please tell the "
                    "city how the place is doing."
                )
                % words
            )
        else:
            subject = _("Maintenance report due on %(date)s: “%(title)s”") % words
            body = (
                _(
                    "Maintenance report %(n)s for “%(title)s” is due on %(date)s. Tell the city "
                    "how the place is doing, with photos if you can."
                )
                % words
            )
        page = reverse("proposals:progress", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page)
        mail(subject, body, [proposal.author.email], city=proposal.city)


MAX_REPORT_PHOTOS = 6  # as many as a site report takes


@transaction.atomic
def maintenance_report_file(
    *, actor, proposal: Proposal, text: str, photos=()
) -> MaintenanceReport:
    """Files the next maintenance report of the sustainability period, with its photos
    (kind "maintenance", linked to it): all of it, or, when a photo is refused, none."""
    photos = list(photos)
    if len(photos) > MAX_REPORT_PHOTOS:
        raise ValidationError({"photos": [msg.TOO_MANY_PHOTOS % {"n": MAX_REPORT_PHOTOS}]})
    proposal = _lock(proposal)
    check_applicant(actor, proposal)
    check_status(proposal, S.SUSTAINABILITY)
    period = proposal.maintenance_reports.count() + 1
    if period > len(report_due_dates(proposal)):
        refuse(msg.REPORTS_ALL_FILED, n=period - 1)
    report = MaintenanceReport(proposal=proposal, period=period, text=(text or "").strip())
    report.full_clean()
    report.save()
    for upload in photos:
        photo_add(actor=actor, proposal=proposal, kind=Photo.Kind.MAINTENANCE, upload=upload,
                  report=report)  # fmt: skip
    audit_record(
        actor=actor,
        action="delivery.maintenance",
        obj=report,
        city=proposal.city,
        after={"period": period},
    )
    return report


@transaction.atomic
def proposal_close(*, actor, proposal: Proposal, today: date | None = None) -> Proposal:
    check_officer(actor, proposal.city)
    proposal = _lock(proposal)
    today = today or proposal.city.local_date()
    if proposal.sustainability_ends_on and today < proposal.sustainability_ends_on:
        refuse(msg.SUSTAINABILITY_NOT_OVER, date=proposal.sustainability_ends_on)
    return transition(proposal, to=S.CLOSED, actor=actor, allowed_from=(S.SUSTAINABILITY,))
