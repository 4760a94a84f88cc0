"""Residents tell a project's maintainers, in its two-year sustainability period, that
something is broken or neglected; the applicant answers.

A care notice is not a neglected-site report (those are places for new projects) and not a
content report (those are for moderators): it goes to the community that promised to keep
the place, privately. The applicant reads it on the works page and answers there (the
resident is e-mailed the answer); the city's officers see both on the project's page, so a
notice left unanswered is seen by whoever checks the maintenance reports."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mapapp.audit import audit_record
from mapapp.images import process_image
from mapapp.tasks import mail, site_link
from proposals import messages as msg
from proposals.access import check_officer, email_confirmed
from proposals.models import CareNotice, Proposal
from proposals.services.common import S, check_status, refuse

# One person's notices still unanswered on one project: enough for the bench and the
# hedge at once, not a channel for a dispute (which goes to the city).
MOST_OPEN_PER_PERSON = 3
# A notice still unanswered this many days after it was sent: the applicant is reminded, once.
REMIND_AFTER_DAYS = 7


def can_tell(*, user, proposal: Proposal) -> bool:
    """Whether the page offers the form: the sustainability period, shown to the public,
    someone other than the applicant (signed in or not: the form asks them to sign in)."""
    return (
        proposal.status == S.SUSTAINABILITY
        and proposal.hidden_at is None
        and not (user.is_authenticated and proposal.author_id == user.pk)
    )


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [msg.CARE_TEXT_MISSING]})
    if len(text) > CareNotice.TEXT_MAX:
        raise ValidationError({field: [msg.CARE_TEXT_LONG % {"n": CareNotice.TEXT_MAX}]})
    return text


@transaction.atomic
def care_notice_add(*, user, proposal: Proposal, text: str, photo=None) -> CareNotice:
    """With a photo if given: one, re-encoded without its metadata (so without where it was
    taken), and kept private like the words."""
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    check_status(proposal, S.SUSTAINABILITY)
    if proposal.hidden_at is not None:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    if proposal.author_id == user.pk:
        refuse(msg.CARE_OWN)
    if not email_confirmed(user):  # the answer is e-mailed: the address must be theirs
        refuse(msg.CARE_EMAIL_UNCONFIRMED)
    text = _text(text, "text")
    waiting = proposal.care_notices.filter(author=user, answered_at__isnull=True).count()
    if waiting >= MOST_OPEN_PER_PERSON:
        refuse(msg.CARE_TOO_MANY, n=MOST_OPEN_PER_PERSON)
    notice = CareNotice(proposal=proposal, author=user, text=text)
    if photo is not None:
        try:
            image = process_image(photo, name_stem=f"care{proposal.pk}")
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from exc
        notice.photo.save(image.display.name, image.display, save=False)
    notice.save()
    # the words stay out of the audit log (they may name people); the row says who and when
    audit_record(
        actor=user, action="care.notice", obj=proposal, city=proposal.city,
        after={"notice": notice.pk, "photo": bool(notice.photo)},
    )  # fmt: skip
    transaction.on_commit(lambda: _tell_applicant(notice.pk))
    return notice


@transaction.atomic
def care_notice_answer(*, actor, notice: CareNotice, answer: str) -> CareNotice:
    """The applicant answers; or one of the city's officers, for a project whose applicant
    does not (the resident then reads that the city answered)."""
    notice = CareNotice.objects.select_for_update().get(pk=notice.pk)
    proposal = Proposal.objects.select_related("city").get(pk=notice.proposal_id)
    by_city = proposal.author_id != getattr(actor, "pk", None)
    if by_city:
        check_officer(actor, proposal.city)
    check_status(proposal, S.SUSTAINABILITY)
    if notice.answered_at is not None:
        refuse(msg.CARE_ANSWERED)
    notice.answer = _text(answer, "answer")
    notice.answered_at = timezone.now()
    notice.by_city = by_city
    notice.save(update_fields=["answer", "answered_at", "by_city"])
    audit_record(
        actor=actor, action="care.answer", obj=proposal, city=proposal.city,
        after={"notice": notice.pk, "by_city": by_city},
    )  # fmt: skip
    if notice.author_id:
        transaction.on_commit(lambda: _tell_resident(notice.pk))
    if by_city:  # the maintainers learn what the city told a resident about their project
        transaction.on_commit(lambda: _tell_applicant_city_answered(notice.pk))
    return notice


def _tell_applicant(notice_id: int) -> None:
    notice = CareNotice.objects.select_related("proposal__author", "proposal__city").get(
        pk=notice_id
    )
    proposal = notice.proposal
    with translation.override(proposal.author.language_in(proposal.city)):
        subject = _("A resident writes about “%(title)s”") % {"title": proposal.title}
        body = (
            _("A resident tells you, as those who look after “%(title)s”, what they found there:")
            % {"title": proposal.title}
            + "\n\n"
            + notice.text
            + "\n\n"
            + _(
                "Answer on the project's works page: the resident is e-mailed your answer, and"
                " the city sees it. Your next maintenance report can say what you did."
            )
        )
        if notice.photo:
            body += "\n\n" + _("They sent a photo: it is on the works page.")
        page = reverse("proposals:progress", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page + "#care-notices")
        mail(subject, body, [proposal.author.email], city=proposal.city)


def _tell_resident(notice_id: int) -> None:
    notice = CareNotice.objects.select_related("author", "proposal__city").get(pk=notice_id)
    proposal = notice.proposal
    with translation.override(notice.author.language_in(proposal.city)):
        words = {"title": proposal.title}
        if notice.by_city:
            subject = _("An answer from the city about “%(title)s”") % words
        else:
            subject = _("An answer from those who look after “%(title)s”") % words
        body = (
            _("You wrote:")
            + "\n\n"
            + notice.text
            + "\n\n"
            + (_("The city's answer:") if notice.by_city else _("Their answer:"))
            + "\n\n"
            + notice.answer
        )
        page = reverse("proposals:detail", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page)
        mail(subject, body, [notice.author.email], city=proposal.city)


def _tell_applicant_city_answered(notice_id: int) -> None:
    notice = CareNotice.objects.select_related("proposal__author", "proposal__city").get(
        pk=notice_id
    )
    proposal = notice.proposal
    with translation.override(proposal.author.language_in(proposal.city)):
        words = {"title": proposal.title}
        subject = _("The city answered a resident about “%(title)s”") % words
        body = (
            _("A resident wrote to you, as those who look after “%(title)s”:") % words
            + "\n\n"
            + notice.text
            + "\n\n"
            + _("The city answered them for you:")
            + "\n\n"
            + notice.answer
        )
        page = reverse("proposals:progress", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page + "#care-notices")
        mail(subject, body, [proposal.author.email], city=proposal.city)


def care_reminders_send(*, city, now=None) -> int:
    """Remind each applicant of the notices on their projects in the sustainability period
    that have waited REMIND_AFTER_DAYS without an answer: one e-mail a project, each notice
    once, however often this runs (the daily job). Returns how many e-mails were sent."""
    now = now or timezone.now()
    waiting = {  # the notice's own columns: an UPDATE re-checks them under a row's lock
        "answered_at__isnull": True,
        "reminded_at__isnull": True,
        "created_at__lt": now - timedelta(days=REMIND_AFTER_DAYS),
    }
    projects = Proposal.objects.filter(
        city=city, status=S.SUSTAINABILITY, care_notices__in=CareNotice.objects.filter(**waiting)
    ).distinct()
    sent = 0
    for proposal in projects.select_related("author", "city"):
        with transaction.atomic():  # marked first: two jobs at once remind once
            marked = CareNotice.objects.filter(proposal=proposal, **waiting).update(reminded_at=now)
            if marked:
                transaction.on_commit(partial(_remind_applicant, proposal, marked))
                sent += 1
    return sent


def _remind_applicant(proposal: Proposal, count: int) -> None:
    with translation.override(proposal.author.language_in(proposal.city)):
        words = {"title": proposal.title, "n": count, "days": REMIND_AFTER_DAYS}
        subject = _("Residents wait for your answer: “%(title)s”") % words
        body = (
            ngettext(
                "A resident's notice about “%(title)s” has waited more than %(days)s days for "
                "your answer.",
                "%(n)s residents' notices about “%(title)s” have waited more than %(days)s days "
                "for your answer.",
                count,
            )
            % words
        )
        page = reverse("proposals:progress", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page + "#care-notices")
        mail(subject, body, [proposal.author.email], city=proposal.city)
