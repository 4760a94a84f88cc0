"""The one way a proposal changes state: check the turn, save, audit, tell the applicant (and
whoever follows it)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mapapp.audit import audit_record
from mapapp.tasks import mail, site_link
from proposals import messages as msg
from proposals.models import Proposal

S = Proposal.Status

# Which states the applicant hears about by e-mail.
NOTIFY = {
    S.SUBMITTED,
    S.INELIGIBLE,
    S.IN_ASSESSMENT,
    S.REJECTED,
    S.GRANTED,
    S.AGREEMENT_SIGNED,
    S.SUSTAINABILITY,
    S.CLOSED,
    S.EXPIRED,
    S.REVOKED,
}


def refuse(message, **params):
    raise ValidationError(message, params=params or None)


def moment_of(city, day: date) -> datetime:
    """When an officer says something happened on `day` (a decision, an agreement signed):
    now if that is today by the city's calendar, else noon of that day in the city's time,
    which every page and spreadsheet then shows as that day."""
    if day == city.local_date():
        return timezone.now()
    return datetime.combine(day, time(12), zoneinfo.ZoneInfo(city.time_zone))


def given_day(city, day: date | None, *, future, not_before=(), field: str | None = None):
    """The day an officer gives for what happened (a decision, a revocation, an agreement
    signed), checked by the city's calendar: today when none is given; refused in the
    future (`future`, a message taking %(date)s) or before any of `not_before` ((moment,
    message) pairs: a None moment is skipped, the message takes the moment's day as
    %(date)s); errors keyed to the form's `field` when given. Returns moment_of the day."""
    from django.utils.formats import date_format

    def refused(message, on: date):
        said = message % {"date": date_format(on, "DATE_FORMAT")}
        raise ValidationError({field: [said]} if field else said)

    today = city.local_date()
    day = day or today
    if day > today:
        refused(future, day)
    for moment, message in not_before:
        if moment is not None and day < city.local_date(moment):
            refused(message, city.local_date(moment))
    return moment_of(city, day)


def check_status(proposal: Proposal, *allowed: str) -> None:
    if proposal.status not in allowed:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())


def transition(
    proposal: Proposal,
    *,
    to: str,
    actor,
    allowed_from: tuple[str, ...],
    note: str = "",
    followers: bool = True,
    **fields,
) -> Proposal:
    """Move a proposal to another state. Callers hold a row lock in their transaction.
    `followers=False` keeps a step back (a formal check reopened) from their e-mails."""
    check_status(proposal, *allowed_from)
    before = proposal.status
    proposal.status = to
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save()
    audit_record(
        actor=actor,
        action=f"proposal.{to}",
        obj=proposal,
        city=proposal.city,
        before={"status": before},
        after={"status": to, **{k: str(v) for k, v in fields.items()}},
        note=note,
    )
    if to in NOTIFY:
        transaction.on_commit(lambda: notify_applicant(proposal.pk, note))
    from proposals.services.following import MILESTONES  # it uses this module's refuse()
    from proposals.tasks import tell_followers

    if followers and to in MILESTONES and proposal.follows.exists():
        transaction.on_commit(lambda: tell_followers.enqueue(proposal.pk, str(to)))
    return proposal


def notify_applicant(proposal_id: int, note: str = "") -> None:
    proposal = Proposal.objects.select_related("author", "city").get(pk=proposal_id)
    language = proposal.author.language_in(proposal.city)
    with translation.override(language):
        url = reverse("proposals:detail", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        subject = _("Your proposal “%(title)s” is now: %(status)s") % {
            "title": proposal.title,
            "status": proposal.get_status_display(),
        }
        body = _("The status of your proposal “%(title)s” changed to: %(status)s.") % {
            "title": proposal.title,
            "status": proposal.get_status_display(),
        }
        if note:
            body += "\n\n" + note
        body += _next_step(proposal)
        body += "\n\n" + site_link(url)
        mail(subject, body, [proposal.author.email], city=proposal.city)


def _next_step(proposal: Proposal) -> str:
    """What a grant's two steps mean for the applicant (in the active language): the amount
    and what comes next; the agreement's day and number, and where to record the works."""
    from django.utils.formats import date_format

    from mapapp.templatetags.civic import money

    if proposal.status == S.GRANTED:
        said = _(
            "The city granted %(amount)s (you asked for %(requested)s). Next comes the grant "
            "agreement: the city's officers will arrange its signing with you; the works start "
            "once it is signed."
        ) % {
            "amount": money(proposal.granted_amount, proposal.city),
            "requested": money(proposal.requested_amount, proposal.city),
        }
        return "\n\n" + said
    if proposal.status == S.AGREEMENT_SIGNED and proposal.agreement_signed_at:
        day = date_format(proposal.city.local_date(proposal.agreement_signed_at), "DATE_FORMAT")
        if proposal.agreement_reference:
            said = _("The agreement %(ref)s was recorded as signed on %(day)s.") % {
                "ref": proposal.agreement_reference,
                "day": day,
            }
        else:
            said = _("The agreement was recorded as signed on %(day)s.") % {"day": day}
        works = reverse(
            "proposals:progress", kwargs={"city": proposal.city.slug, "pk": proposal.pk}
        )
        said += " " + _(
            "Start the works and record them as they go (milestones, expenses with their "
            "receipts, volunteer days, photos) on the project's works page: %(url)s"
        ) % {"url": site_link(works)}
        return "\n\n" + said
    return ""
