"""Flags: residents report content that should not be public; officers review. Upholding a
flag hides the proposal or site everywhere public (pages, API, OGC API, tiles, exports go
through the same public selectors); nothing of the content is changed, so it can be shown
again or kept as evidence.

Each decision is told: the author of hidden content gets the reasons (the reports'
reasons, and what the officer wrote for them) and where to object; when it is shown
again, they are told too; whoever reported it learns the outcome. The author may object
from the hidden content's page (objection_create): the objection waits in the officers'
queue, who show it again or keep it hidden, and the author is told either way. This is the
"statement of reasons", the notice of the decision and the complaint handling the EU's
Digital Services Act (Art. 16, 17, 20) asks of hosting services. The officer's note for
the record stays internal."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mapapp.audit import audit_record
from mapapp.models import City, Flag

ALREADY_FLAGGED = _("You have already reported this; an officer will look at it.")
ALREADY_REVIEWED = _("This report has already been reviewed.")
NOT_HIDDEN = _("It is public: there is nothing to object to.")
NOT_THE_AUTHOR = _("Only its author can object to hiding it.")
OBJECTION_WAITING = _("Your objection already waits for the officers' review.")
OBJECTION_DECIDED = _(
    "The officers reviewed your objection to this decision and keep it hidden; the "
    "programme's office answers further questions (the city's “About and contact” page)."
)
OBJECTION_TEXT = _("Say in a sentence or two why it should be shown again.")


def _target_model(target_type: str):
    from proposals.models import Proposal
    from sites.models import Site

    return {Flag.Target.PROPOSAL: Proposal, Flag.Target.SITE: Site}[target_type]


def _target_type(target) -> str:
    from proposals.models import Proposal

    return Flag.Target.PROPOSAL if isinstance(target, Proposal) else Flag.Target.SITE


def can_review(user, city: City) -> bool:
    from proposals.access import is_officer

    return is_officer(user, city)


def _target(city: City, target_type: str, target_id: int):
    """The reported proposal or site of this city, or a refusal."""
    found = None
    if target_type in Flag.Target.values:
        found = _target_model(target_type).objects.filter(city=city, pk=target_id).first()
    if found is None:
        raise ValidationError(_("There is nothing to report here."))
    return found


def _open_flag(*, user, city, target, target_type: str, reason: str, note: str, already):
    """Save a report (or an objection) of `target`, audited; `already` is the refusal when
    this person has one open for it."""
    flag = Flag(city=city, target_type=target_type, target_id=target.pk, reason=reason,
                note=note[:1000], flagged_by=user)  # fmt: skip
    try:
        with transaction.atomic():
            flag.save()
    except IntegrityError as exc:
        raise ValidationError(already) from exc
    action = "flag.objection" if reason == Flag.Reason.OBJECTION else "flag.create"
    audit_record(actor=user, action=action, obj=flag, city=city,
                 after={"target": f"{target_type}#{target.pk}", "reason": reason})  # fmt: skip
    return flag


@transaction.atomic
def flag_create(*, user, city: City, target_type: str, target_id: int, reason: str, note: str):
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    if reason not in {value for value, _label in Flag.resident_reasons()}:
        raise ValidationError(_("Choose what is wrong."))
    target = _target(city, target_type, target_id)
    return _open_flag(
        user=user, city=city, target=target, target_type=target_type, reason=reason,
        note=(note or "").strip(), already=ALREADY_FLAGGED,
    )  # fmt: skip


@transaction.atomic
def objection_create(*, user, city: City, target_type: str, target_id: int, note: str) -> Flag:
    """The author of hidden content asks for it to be shown again; the objection waits in
    the officers' queue like a report. One objection to one decision: while it waits, and
    once the officers kept it hidden, no other (hidden again later, it may be objected to
    again)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    target = _target(city, target_type, target_id)
    if getattr(_author(target), "pk", None) != user.pk:
        raise PermissionDenied(NOT_THE_AUTHOR)
    if target.hidden_at is None:
        raise ValidationError(NOT_HIDDEN)
    earlier = objection_of(user=user, target=target)
    if earlier is not None and earlier.state == Flag.State.DISMISSED:
        raise ValidationError(OBJECTION_DECIDED)  # one objection to one decision
    note = (note or "").strip()
    if len(note) < 10:
        raise ValidationError(OBJECTION_TEXT)
    return _open_flag(
        user=user, city=city, target=target, target_type=target_type,
        reason=Flag.Reason.OBJECTION, note=note, already=OBJECTION_WAITING,
    )  # fmt: skip


def objection_of(*, user, target) -> Flag | None:
    """This person's objection to the content's present hiding: open (it waits, whichever
    decision it was made against: a later one is reviewed with it), dismissed since the
    latest decision to hide it (reviewed: it stays hidden), or None."""
    from django.db.models import Q

    if not getattr(user, "is_authenticated", False) or target.hidden_at is None:
        return None
    return (
        Flag.objects.filter(
            Q(state=Flag.State.OPEN)
            | Q(state=Flag.State.DISMISSED, created_at__gte=target.hidden_at),
            target_type=_target_type(target),
            target_id=target.pk,
            flagged_by=user,
            reason=Flag.Reason.OBJECTION,
        )  # fmt: skip
        .order_by("-created_at")
        .first()
    )


def _author(target):
    """Who wrote the proposal or reported the site (None for a site staff added)."""
    return getattr(target, "author", None) or getattr(target, "reported_by", None)


def _target_url(target) -> str:
    from django.urls import reverse

    name = "proposals:detail" if _target_type(target) == Flag.Target.PROPOSAL else "sites:detail"
    return reverse(name, kwargs={"city": target.city.slug, "pk": target.pk})


def _author_contact(target) -> tuple[str, str, bool] | None:
    """(address, language, whether it is an account's) of whoever wrote the proposal or
    reported the site: their account, or the address an Open311 application gave with the
    report (in the city's language); None when there is nobody to tell."""
    author = _author(target)
    if author is not None:
        return author.email, author.language_in(target.city), True
    request = getattr(target, "open311", None)  # a site reported through Open311
    if request is not None and request.email:
        return request.email, target.city.default_language, False
    return None


def _tell_author(
    target, *, hidden: bool, reasons=(), statement: str = "", objection: bool = False
) -> None:
    """The author of hidden (or again shown) content is told, in their language; with
    `objection`, that their objection was reviewed and it stays hidden. Someone who reported
    a site through an Open311 application has no account to see it or object with: they
    are told to write to the programme's office instead."""
    from django.urls import reverse

    from mapapp.tasks import mail, site_link

    contact = _author_contact(target)
    if contact is None:
        return
    address, language, account = contact
    city = target.city
    with translation.override(language):
        names = {"title": str(target), "city": city.name}
        about = site_link(reverse("city-about", kwargs={"city": city.slug}))
        if hidden and objection:
            subject = gettext("Your objection about “%(title)s”") % names
            parts = [
                gettext(
                    "The officers of %(city)s reviewed your objection and keep “%(title)s” "
                    "hidden from the public."
                )
                % names
            ]
            if statement:
                parts.append(statement)
        elif hidden:
            subject = gettext("“%(title)s” is hidden after a report") % names
            why = "; ".join(str(Flag.Reason(r).label) for r in reasons)
            what = (
                gettext(
                    "After a report, the officers of %(city)s hid “%(title)s” from the public "
                    "pages, the map and the data exports. Nothing in it was changed, and you "
                    "still see it when you are signed in."
                )
                if account
                else gettext(
                    "After a report, the officers of %(city)s hid “%(title)s” from the public "
                    "pages, the map and the data exports. Nothing in it was changed."
                )
            )
            parts = [what % names]
            if why:
                parts.append(gettext("Why: %(reasons)s.") % {"reasons": why})
            if statement:
                parts.append(statement)
            if account:
                parts.append(
                    gettext(
                        "If you think this is wrong, object on its page (the link below); the "
                        "programme's office answers questions: %(url)s"
                    )
                    % {"url": about}
                )
            else:
                parts.append(
                    gettext("If you think this is wrong, write to the programme's office: %(url)s")
                    % {"url": about}
                )
        else:
            subject = gettext("“%(title)s” is public again") % names
            parts = [gettext("The officers of %(city)s made “%(title)s” public again.") % names]
        if account or not hidden:  # a hidden page is shown to its author's account only
            parts.append(site_link(_target_url(target)))
        mail(subject, "\n\n".join(parts), [address], city=city)


def _tell_reporters(reporters, target, *, upheld: bool) -> None:
    """Whoever reported the content learns the decision (not the officer's notes)."""
    from mapapp.tasks import mail

    city = target.city
    for user in reporters:
        with translation.override(user.language_in(city)):
            names = {"title": str(target)}
            subject = gettext("Your report about “%(title)s”") % names
            if upheld:
                body = (
                    gettext(
                        "Thank you. The officers reviewed your report and hid “%(title)s” from the "
                        "public."
                    )
                    % names
                )
            else:
                body = (
                    gettext(
                        "Thank you. The officers reviewed your report and decided that "
                        "“%(title)s” stays public."
                    )
                    % names
                )
            mail(subject, body, [user.email], city=city)


@transaction.atomic
def flag_review(*, actor, flag: Flag, uphold: bool, note: str = "", statement: str = "") -> Flag:
    """Decide a report. Upholding hides the content and answers every open report of it;
    `statement` is what the author is told beyond the reports' reasons; `note` stays in
    the record."""
    if not can_review(actor, flag.city):
        raise PermissionDenied
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.state != Flag.State.OPEN:
        raise ValidationError(ALREADY_REVIEWED)
    if flag.reason == Flag.Reason.OBJECTION:
        return _objection_review(actor=actor, flag=flag, show=uphold, note=note,
                                 statement=statement)  # fmt: skip
    now = timezone.now()
    state = Flag.State.UPHELD if uphold else Flag.State.DISMISSED
    model = _target_model(flag.target_type)
    if uphold:
        # hidden from now; upheld while already hidden (a later report), a new decision:
        # its author may object to it (objection_of counts objections since hidden_at)
        model.objects.filter(pk=flag.target_id).update(hidden_at=now)
        # the other open reports of the same content are answered by this decision
        same = Flag.objects.filter(
            target_type=flag.target_type, target_id=flag.target_id, state=Flag.State.OPEN
        ).exclude(reason=Flag.Reason.OBJECTION)
    else:
        same = Flag.objects.filter(pk=flag.pk)
    decided = list(same.select_related("flagged_by"))
    same.update(state=state, reviewed_by=actor, reviewed_at=now, review_note=note.strip())
    target = model.objects.filter(pk=flag.target_id).first()
    if target is not None:
        reporters = {f.flagged_by_id: f.flagged_by for f in decided
                     if f.flagged_by is not None and f.flagged_by != _author(target)}  # fmt: skip
        reasons = sorted({f.reason for f in decided} - Flag.AUTOMATIC_REASONS)
        statement = (statement or "").strip()[:1000]

        def tell():
            if uphold:
                _tell_author(target, hidden=True, reasons=reasons, statement=statement)
            _tell_reporters(reporters.values(), target, upheld=uphold)

        transaction.on_commit(tell)
    audit_record(actor=actor, action=f"flag.{state}", obj=flag, city=flag.city,
                 before={"state": "open"}, after={"state": state,
                 "target": f"{flag.target_type}#{flag.target_id}"}, note=note)  # fmt: skip
    flag.refresh_from_db()
    return flag


def _objection_review(*, actor, flag: Flag, show: bool, note: str, statement: str) -> Flag:
    """An author's objection decided: shown again (upheld) or kept hidden (dismissed); the
    author is told either way, with what the officer wrote for them."""
    now = timezone.now()
    state = Flag.State.UPHELD if show else Flag.State.DISMISSED
    model = _target_model(flag.target_type)
    Flag.objects.filter(pk=flag.pk).update(state=state, reviewed_by=actor, reviewed_at=now,
                                           review_note=note.strip())  # fmt: skip
    target = model.objects.filter(pk=flag.target_id).first()
    if target is not None:
        if show:
            model.objects.filter(pk=target.pk).update(hidden_at=None)
        statement = (statement or "").strip()[:1000]
        transaction.on_commit(lambda: _tell_author(target, hidden=not show, objection=True,
                                                   statement=statement))  # fmt: skip
    audit_record(actor=actor, action="flag.objection_" + ("upheld" if show else "dismissed"),
                 obj=flag, city=flag.city, before={"state": "open"},
                 after={"state": state, "target": f"{flag.target_type}#{flag.target_id}"},
                 note=note)  # fmt: skip
    flag.refresh_from_db()
    return flag


@transaction.atomic
def content_show_again(*, actor, city: City, target_type: str, target_id: int) -> None:
    if not can_review(actor, city):
        raise PermissionDenied
    model = _target_model(target_type)
    done = model.objects.filter(city=city, pk=target_id, hidden_at__isnull=False).update(
        hidden_at=None
    )
    if done:
        target = model.objects.get(pk=target_id)
        # an objection waiting for it is answered by this
        Flag.objects.filter(target_type=target_type, target_id=target_id, state=Flag.State.OPEN,
                            reason=Flag.Reason.OBJECTION).update(
            state=Flag.State.UPHELD, reviewed_by=actor, reviewed_at=timezone.now())  # fmt: skip
        audit_record(actor=actor, action="content.shown", obj=target, city=city)
        transaction.on_commit(lambda: _tell_author(target, hidden=False))


def review_due_before():
    """Reports made before this have waited longer than FLAG_REVIEW_DAYS: overdue."""
    import datetime as dt

    from django.conf import settings

    return timezone.now() - dt.timedelta(days=settings.FLAG_REVIEW_DAYS)


def open_flags(*, city: City) -> list[Flag]:
    """The open reports, oldest first, each with its `target` (the proposal or site, None if
    it is gone) so the queue can name what was reported: one query per kind of target."""
    flags = list(Flag.objects.filter(city=city, state=Flag.State.OPEN).select_related("flagged_by"))
    for target_type in Flag.Target.values:
        ids = {f.target_id for f in flags if f.target_type == target_type}
        found = _target_model(target_type).objects.filter(city=city).in_bulk(ids) if ids else {}
        for f in flags:
            if f.target_type == target_type:
                f.target = found.get(f.target_id)
    due = review_due_before()
    for f in flags:
        f.overdue = f.created_at < due
    return flags


def hidden_content(*, city: City) -> list:
    from proposals.models import Proposal
    from sites.models import Site

    return [
        *(("proposal", p) for p in Proposal.objects.filter(city=city, hidden_at__isnull=False)),
        *(("site", s) for s in Site.objects.filter(city=city, hidden_at__isnull=False)),
    ]
