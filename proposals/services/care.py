"""Residents tell a project's maintainers, in its two-year sustainability period, that
something is broken or neglected; the applicant answers.

A care notice is not a neglected-site report (those are places for new projects) and not a
content report (those are for moderators): it goes to the community that promised to keep
the place, privately. The applicant reads it on the works page and answers there (the
resident is e-mailed the answer); the city's officers see both on the project's page, so a
notice left unanswered is seen by whoever checks the maintenance reports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mapapp.audit import audit_record
from mapapp.images import process_image
from mapapp.tasks import mail, site_link
from proposals import messages as msg
from proposals.access import check_applicant, check_officer, email_confirmed
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


def _locked_in_care(proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("city").get(pk=proposal.pk)
    check_status(proposal, S.SUSTAINABILITY)
    if proposal.hidden_at is not None:
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    return proposal


def _check_waiting(waiting) -> None:
    if waiting.filter(answered_at__isnull=True).count() >= MOST_OPEN_PER_PERSON:
        refuse(msg.CARE_TOO_MANY, n=MOST_OPEN_PER_PERSON)


def _sent(notice: CareNotice, *, actor, client=None) -> CareNotice:
    """Saved, audited (who and when; the words stay out of the log: they may name people)
    and e-mailed to the applicant once it commits."""
    notice.save()
    after = {"notice": notice.pk, "photo": bool(notice.photo)}
    if client is not None:
        after["open311_client"] = client.pk
    proposal = notice.proposal
    audit_record(actor=actor, action="care.notice", obj=proposal, city=proposal.city, after=after)
    transaction.on_commit(lambda: _tell_applicant(notice.pk))
    return notice


@transaction.atomic
def care_notice_add(*, user, proposal: Proposal, text: str, photo=None) -> CareNotice:
    """With a photo if given: one, re-encoded without its metadata (so without where it was
    taken), and kept private like the words."""
    proposal = _locked_in_care(proposal)
    if proposal.author_id == user.pk:
        refuse(msg.CARE_OWN)
    if not email_confirmed(user):  # the answer is e-mailed: the address must be theirs
        refuse(msg.CARE_EMAIL_UNCONFIRMED)
    text = _text(text, "text")
    _check_waiting(proposal.care_notices.filter(author=user))
    notice = CareNotice(proposal=proposal, author=user, text=text)
    if photo is not None:
        try:
            image = process_image(photo, name_stem=f"care{proposal.pk}")
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from exc
        notice.photo.save(image.display.name, image.display, save=False)
    return _sent(notice, actor=user)


# An Open311 notice without a project's number goes to the project in its sustainability
# period nearest the place given, within this distance (to a drawn area's edge; measured in
# the city's metric CRS); one with a number must be this near it (a wrong number would send
# it to other maintainers).
OPEN311_NEAR_M = 50
OPEN311_PROJECT_NEAR_M = 250


def _projects_by_distance(city, point):
    from django.contrib.gis.db.models import GeometryField
    from django.contrib.gis.db.models.functions import Transform
    from django.db.models import FloatField, Func, Value
    from django.db.models.functions import Coalesce

    here = point.transform(city.metric_srid, clone=True)
    shape = Transform(Coalesce("area", "geom", output_field=GeometryField(srid=4326)),
                      city.metric_srid)  # fmt: skip
    metres = Func(shape, Value(here, output_field=GeometryField(srid=city.metric_srid)),
                  function="ST_Distance", output_field=FloatField())  # fmt: skip
    return (
        Proposal.objects.filter(city=city, status=S.SUSTAINABILITY, hidden_at__isnull=True)
        .annotate(metres=metres)
        .order_by("metres", "pk")
    )


@transaction.atomic
def care_notice_open311(
    *, client, lon, lat, text: str, email: str, language: str = "", media_url: str = "",
    project: str = "",
) -> CareNotice:  # fmt: skip
    """A notice filed by an Open311 application for someone without an account (service
    `completed-project-care`): to the project numbered `project`, or else the one in its
    sustainability period nearest the place. The answer goes to `email`, in `language`."""
    from django.core.validators import validate_email

    from mapapp.geo import lonlat_point

    city = client.city
    point = lonlat_point(lon, lat)
    if point is None:
        refuse(msg.CARE_OPEN311_PLACE)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        refuse(msg.CARE_OPEN311_EMAIL)
    if len(email) > CareNotice._meta.get_field("email").max_length:  # the validator takes 320
        refuse(msg.CARE_OPEN311_EMAIL)
    text = _text(text, "text")
    candidates = _projects_by_distance(city, point)
    if project:
        found = candidates.filter(pk=int(project)).first() if project.isdigit() else None
        if found is None:
            refuse(msg.CARE_PROJECT_UNKNOWN)
        if found.metres > OPEN311_PROJECT_NEAR_M:
            refuse(msg.CARE_PROJECT_FAR, m=OPEN311_PROJECT_NEAR_M)
    else:
        found = candidates.filter(metres__lte=OPEN311_NEAR_M).first()
        if found is None:
            refuse(msg.CARE_NO_PROJECT_NEAR, m=OPEN311_NEAR_M)
    proposal = _locked_in_care(found)
    if proposal.author.email.lower() == email.lower():
        refuse(msg.CARE_OWN)
    _check_waiting(proposal.care_notices.filter(author=None, email__iexact=email))
    notice = CareNotice(
        proposal=proposal, text=text, open311_client=client, email=email,
        language=language if language in dict(settings.LANGUAGES) else "",
        token=uuid.uuid4(), media_url=media_url,
    )  # fmt: skip
    return _sent(notice, actor=None, client=client)


@transaction.atomic
def care_notice_answer(*, actor, notice: CareNotice, answer: str) -> CareNotice:
    """The applicant answers; or one of the city's officers, for a project whose applicant
    does not (the resident then reads that the city answered), or whose grant the city
    revoked in its sustainability period (only the city answers what waits then)."""
    notice = CareNotice.objects.select_for_update().get(pk=notice.pk)
    proposal = Proposal.objects.select_related("city").get(pk=notice.proposal_id)
    by_city = proposal.author_id != getattr(actor, "pk", None)
    if by_city:
        check_officer(actor, proposal.city)
        check_status(proposal, S.SUSTAINABILITY, S.REVOKED)
    else:
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
    if notice.author_id or notice.email:
        transaction.on_commit(lambda: _tell_resident(notice.pk))
    if by_city:  # the maintainers learn what the city told a resident about their project
        transaction.on_commit(lambda: _tell_applicant_city_answered(notice.pk))
    return notice


# --- abuse: the applicant reports a notice; the city's officers keep or remove it ----------


@transaction.atomic
def care_notice_report_abuse(*, actor, notice: CareNotice) -> CareNotice:
    """The applicant tells the city that a notice abuses them (insults, threats, a
    campaign): while the officers decide it waits for no answer (no reminder, not counted
    unanswered; the officers' step instead); the resident is not told."""
    notice = CareNotice.objects.select_for_update().get(pk=notice.pk)
    proposal = Proposal.objects.select_related("city").get(pk=notice.proposal_id)
    check_applicant(actor, proposal)
    check_status(proposal, S.SUSTAINABILITY)
    if notice.abuse == CareNotice.Abuse.REPORTED:
        refuse(msg.CARE_ABUSE_REPORTED)
    if notice.abuse == CareNotice.Abuse.KEPT:
        refuse(msg.CARE_ABUSE_KEPT)
    notice.abuse = CareNotice.Abuse.REPORTED
    notice.save(update_fields=["abuse"])
    audit_record(actor=actor, action="care.abuse_reported", obj=proposal, city=proposal.city,
                 after={"notice": notice.pk})  # fmt: skip
    return notice


@transaction.atomic
def care_notice_keep(*, actor, notice: CareNotice) -> CareNotice:
    """An officer finds a reported notice acceptable: it waits for the applicant's answer
    again (they are told), and cannot be reported again."""
    notice = CareNotice.objects.select_for_update().get(pk=notice.pk)
    proposal = Proposal.objects.select_related("city", "author").get(pk=notice.proposal_id)
    check_officer(actor, proposal.city)
    if notice.abuse != CareNotice.Abuse.REPORTED:
        refuse(msg.CARE_ABUSE_NOT_REPORTED)
    notice.abuse = CareNotice.Abuse.KEPT
    notice.save(update_fields=["abuse"])
    audit_record(actor=actor, action="care.abuse_kept", obj=proposal, city=proposal.city,
                 after={"notice": notice.pk})  # fmt: skip
    transaction.on_commit(partial(_tell_applicant_kept, proposal))
    return notice


@transaction.atomic
def care_notice_remove(*, actor, notice: CareNotice, reason: str) -> None:
    """An officer removes a notice that abuses those who look after the project, reported
    or not: its words and photo go; the audit keeps who removed it and why (not its words);
    the resident is e-mailed the reason, and the applicant, if they reported it, the
    outcome."""
    from mapapp.files import delete_after_commit

    notice = CareNotice.objects.select_for_update().get(pk=notice.pk)
    proposal = Proposal.objects.select_related("city", "author").get(pk=notice.proposal_id)
    check_officer(actor, proposal.city)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [msg.CARE_REMOVE_REASON]})
    if len(reason) > CareNotice.TEXT_MAX:
        raise ValidationError({"reason": [msg.CARE_TEXT_LONG % {"n": CareNotice.TEXT_MAX}]})
    address, language = _resident_contact(notice, proposal)
    reported = notice.abuse == CareNotice.Abuse.REPORTED
    audit_record(
        actor=actor, action="care.removed", obj=proposal, city=proposal.city,
        before={"notice": notice.pk, "abuse": notice.abuse}, note=reason,
    )  # fmt: skip
    delete_after_commit(notice.photo)
    notice.delete()
    if address:
        transaction.on_commit(partial(_tell_resident_removed, proposal, address, language, reason))
    if reported:
        transaction.on_commit(partial(_tell_applicant_removed, proposal))


def _mail_applicant(proposal: Proposal, compose) -> None:
    """An e-mail to the applicant about notices on their project, in their language, ending
    with the works page's notices; `compose()` gives (subject, body) in that language."""
    with translation.override(proposal.author.language_in(proposal.city)):
        subject, body = compose()
        page = reverse("proposals:progress", kwargs={"city": proposal.city.slug, "pk": proposal.pk})
        body += "\n\n" + site_link(page + "#care-notices")
        mail(subject, body, [proposal.author.email], city=proposal.city)


def _resident_contact(notice: CareNotice, proposal: Proposal) -> tuple[str, str]:
    """Where the resident hears of their notice: their account's address and language, or
    what an Open311 application gave; ("", "") once their account is closed."""
    if notice.author is not None:
        return notice.author.email, notice.author.language_in(proposal.city)
    if notice.email:
        return notice.email, notice.language or proposal.city.default_language
    return "", ""


def _tell_resident_removed(proposal: Proposal, address: str, language: str, reason: str):
    with translation.override(language):
        words = {"title": proposal.title}
        subject = _("Your notice about “%(title)s” was removed") % words
        body = (
            _("The city removed what you wrote to those who look after “%(title)s”. Its reason:")
            % words
            + "\n\n"
            + reason
        )
        mail(subject, body, [address], city=proposal.city)


def _tell_applicant_removed(proposal: Proposal) -> None:
    _mail_applicant(proposal, lambda: (
        _("The notice you reported about “%(title)s” was removed") % {"title": proposal.title},
        _("The city removed the resident's notice you reported as abusive."),
    ))  # fmt: skip


def _tell_applicant_kept(proposal: Proposal) -> None:
    _mail_applicant(proposal, lambda: (
        _("The notice you reported about “%(title)s” stays") % {"title": proposal.title},
        _("The city read the resident's notice you reported as abusive and kept it: please "
          "answer it on the works page. Write to the city if you disagree."),
    ))  # fmt: skip


def _tell_applicant(notice_id: int) -> None:
    notice = CareNotice.objects.select_related("proposal__author", "proposal__city").get(
        pk=notice_id
    )
    proposal = notice.proposal

    def compose():
        words = {"title": proposal.title}
        body = (
            _("A resident tells you, as those who look after “%(title)s”, what they found there:")
            % words
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
        return _("A resident writes about “%(title)s”") % words, body

    _mail_applicant(proposal, compose)


def _tell_resident(notice_id: int) -> None:
    notice = CareNotice.objects.select_related("author", "proposal__city").get(pk=notice_id)
    proposal = notice.proposal
    address, language = _resident_contact(notice, proposal)
    if not address:  # the account closed meanwhile
        return
    with translation.override(language):
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
        mail(subject, body, [address], city=proposal.city)


def _tell_applicant_city_answered(notice_id: int) -> None:
    notice = CareNotice.objects.select_related("proposal__author", "proposal__city").get(
        pk=notice_id
    )
    proposal = notice.proposal

    def compose():
        words = {"title": proposal.title}
        body = (
            _("A resident wrote to you, as those who look after “%(title)s”:") % words
            + "\n\n"
            + notice.text
            + "\n\n"
            + _("The city answered them for you:")
            + "\n\n"
            + notice.answer
        )
        return _("The city answered a resident about “%(title)s”") % words, body

    _mail_applicant(proposal, compose)


def care_reminders_send(*, city, now=None) -> int:
    """Remind each applicant of the notices on their projects in the sustainability period
    that have waited REMIND_AFTER_DAYS without an answer: one e-mail a project, each notice
    once, however often this runs (the daily job). Returns how many e-mails were sent."""
    now = now or timezone.now()
    # the notice's own columns: an UPDATE re-checks them under a row's lock
    waiting = CareNotice.waiting() & Q(
        reminded_at__isnull=True, created_at__lt=now - timedelta(days=REMIND_AFTER_DAYS)
    )
    projects = Proposal.objects.filter(
        city=city, status=S.SUSTAINABILITY, care_notices__in=CareNotice.objects.filter(waiting)
    ).distinct()
    sent = 0
    for proposal in projects.select_related("author", "city"):
        with transaction.atomic():  # marked first: two jobs at once remind once
            marked = CareNotice.objects.filter(waiting, proposal=proposal).update(reminded_at=now)
            if marked:
                transaction.on_commit(partial(_remind_applicant, proposal, marked))
                sent += 1
    return sent


def _remind_applicant(proposal: Proposal, count: int) -> None:
    def compose():
        words = {"title": proposal.title, "n": count, "days": REMIND_AFTER_DAYS}
        body = ngettext(
            "A resident's notice about “%(title)s” has waited more than %(days)s days for "
            "your answer.",
            "%(n)s residents' notices about “%(title)s” have waited more than %(days)s days "
            "for your answer.",
            count,
        )
        return _("Residents wait for your answer: “%(title)s”") % words, body % words

    _mail_applicant(proposal, compose)
