"""Following a proposal: a signed-in person, by their own choice, is e-mailed when it reaches
its milestones (submitted, through the formal check, decided, works started, built, or gone),
and when its call's deadline moves while it gathers support.

A follow is personal data (who takes an interest in what), so it is kept no longer than it
serves: the proposal's last milestone ends it after the e-mail, the person ends it from any
such e-mail without signing in (a signed link) or from their proposals page, and closing the
account ends it (mapapp.privacy)."""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mapapp.tasks import mail, site_link, unsubscribe_headers
from proposals import messages as msg
from proposals.access import email_confirmed
from proposals.models import Follow, Proposal
from proposals.services.common import refuse

S = Proposal.Status

# Public and still going somewhere: what a person may start following.
FOLLOWABLE = (
    S.COLLECTING_SUPPORT,
    S.SUBMITTED,
    S.IN_ASSESSMENT,
    S.GRANTED,
    S.AGREEMENT_SIGNED,
    S.IN_PROGRESS,
)


def _milestones():
    """What followers are told at each milestone (gettext at call time: the follower's
    language is active)."""
    return {
        S.SUBMITTED: _(
            "It was submitted to the city with enough supporters. The city checks it against "
            "the call's rules, then the expert committee assesses it."
        ),
        S.IN_ASSESSMENT: _("It passed the formal check: the expert committee is assessing it."),
        S.INELIGIBLE: _(
            "The city found that it does not meet the call's rules; its page says why."
        ),
        S.REJECTED: _("The city decided not to fund it in this call."),
        S.GRANTED: _("The city decided to fund it. The community now builds it."),
        S.IN_PROGRESS: _("The works have started."),
        S.COMPLETED: _("It is built: its page shows it before and after."),
        S.WITHDRAWN: _("The applicant withdrew it; it is no longer public."),
        S.REVOKED: _("The city revoked its grant; its page says why."),
        S.EXPIRED: _("It was not submitted before the call closed; it is no longer public."),
    }


MILESTONES = frozenset(_milestones())
# After these nothing more will happen to tell: the follows end with the e-mail. Not after
# "not granted": money a grant revoked or withdrawn gives back may still fund it (the
# reserve), so its follows stay until that can no longer happen (grants.reserve_closes_at),
# when mapapp.privacy.apply_retention ends them.
LAST = frozenset({S.INELIGIBLE, S.COMPLETED, S.WITHDRAWN, S.EXPIRED, S.REVOKED})
_SALT = "proposals.follow.stop"


def followable(proposal: Proposal) -> bool:
    """Whether a person may start following it: public and still going somewhere, which a
    proposal not granted is while the reserve may still fund it."""
    from proposals.services.grants import reserve_open

    if proposal.hidden_at is not None:
        return False
    return proposal.status in FOLLOWABLE or (
        proposal.status == S.REJECTED and reserve_open(proposal)
    )


def follow(*, user, proposal: Proposal) -> Follow:
    """Start following (again: no error, the same follow). Only a confirmed address is
    written to, so nobody can sign another person's address up for e-mails."""
    proposal = Proposal.objects.get(pk=proposal.pk)
    if not followable(proposal):
        refuse(msg.OUT_OF_TURN, status=proposal.get_status_display())
    if proposal.author_id == user.pk:
        refuse(msg.FOLLOW_OWN)
    if not email_confirmed(user):
        refuse(msg.FOLLOW_EMAIL_UNCONFIRMED)
    try:
        with transaction.atomic():
            return Follow.objects.create(user=user, proposal=proposal)
    except IntegrityError:  # following already (or a double click)
        return Follow.objects.get(user=user, proposal=proposal)


def unfollow(*, user, proposal: Proposal) -> bool:
    """Stop following; True if there was something to stop. `user` may be an id (the stop
    link's, whose holder need not sign in)."""
    deleted, _rows = Follow.objects.filter(user=user, proposal=proposal).delete()
    return bool(deleted)


def is_following(*, user, proposal: Proposal) -> bool:
    return user.is_authenticated and Follow.objects.filter(user=user, proposal=proposal).exists()


def stop_token(*, user_id: int, proposal_id: int) -> str:
    """What an e-mail's "stop these e-mails" link carries: signed with the site's key, so it
    stops this person's follow of this proposal and nothing else. It does not expire: an
    old e-mail's link must still work."""
    return signing.dumps([user_id, proposal_id], salt=_SALT, compress=True)


def stop_by_token(*, token: str, proposal_id: int) -> int | None:
    """The user id a stop link is for, if it is a genuine link for this proposal."""
    try:
        user_id, signed_proposal = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return user_id if signed_proposal == proposal_id else None


def notify_followers(proposal_id: int, status: str) -> int:
    """E-mail each follower (not the applicant, who is told separately), in their language,
    what the milestone means, with the page's link while it is public and their own link to
    stop. After the last milestone the follows end. Returns how many were e-mailed. Run by
    the worker (proposals.tasks.tell_followers)."""
    proposal = Proposal.objects.select_related("city").get(pk=proposal_id)
    if status not in MILESTONES:
        return 0
    follows = Follow.objects.filter(proposal=proposal, user__is_active=True)
    follows = follows.exclude(user=proposal.author_id)
    follows = follows.select_related("user").order_by("pk")
    sent = 0
    if proposal.hidden_at is None:  # hidden after a report: nothing is said of it
        city = proposal.city
        for item in follows:
            with translation.override(item.user.language_in(city)):
                subject, body, headers = _follower_mail(proposal, status, item.user_id)
                mail(subject, body, [item.user.email], headers=headers, city=city)
            sent += 1
    if status in LAST:
        Follow.objects.filter(proposal=proposal).delete()
    return sent


def _follower_mail(proposal: Proposal, status: str, user_id: int) -> tuple[str, str, dict]:
    """Subject, text and headers. Until the last, the stop link is also in List-Unsubscribe
    with RFC 8058's one-click POST, so a mail client's own "unsubscribe" button stops them."""
    kwargs = {"city": proposal.city.slug, "pk": proposal.pk}
    subject = _("“%(title)s” is now: %(status)s") % {
        "title": proposal.title,
        "status": S(status).label,  # the milestone's, should the proposal have moved on since
    }
    lines = [
        _("News of the proposal “%(title)s” that you follow:") % {"title": proposal.title},
        _milestones()[status],
    ]
    if proposal.status in Proposal.PUBLIC_STATUSES:
        lines.append(site_link(reverse("proposals:detail", kwargs=kwargs)))
    headers = {}
    if status in LAST:
        lines.append(_("This is the last e-mail about it: you no longer follow it."))
    elif status == S.REJECTED and proposal.decided_at:
        from proposals.services.grants import reserve_closes_at

        until = date_format(proposal.city.local_date(reserve_closes_at(proposal)), "DATE_FORMAT")
        lines.append(
            _(
                "Should a grant of this call be revoked or withdrawn, the city may still fund "
                "it from the money given back, until %(date)s: you would hear. Otherwise this "
                "is the last e-mail about it, and your follow ends then."
            )
            % {"date": until}
        )
        line, headers = _stop_part(proposal, user_id)
        lines.append(line)
    else:
        line, headers = _stop_part(proposal, user_id)
        lines.append(line)
    return subject, "\n\n".join(lines), headers


def _stop_part(proposal: Proposal, user_id: int) -> tuple[str, dict]:
    """The follower's own stop link, as a line of the e-mail and as its headers."""
    kwargs = {"city": proposal.city.slug, "pk": proposal.pk}
    token = stop_token(user_id=user_id, proposal_id=proposal.pk)
    stop = site_link(reverse("proposals:stop-emails", kwargs={**kwargs, "token": token}))
    line = _("You get these e-mails because you chose to follow it. To stop them: %(link)s") % {
        "link": stop
    }
    return line, unsubscribe_headers(stop)


def tell_followers_of_deadline(call_id: int) -> int:
    """The call's deadline moved: the followers of its proposals still gathering support
    (whose support ends with it) are told the new one, in their language and the city's
    time, with the page and their stop link. Not the applicant (told separately), nor of a
    proposal hidden after a report. Returns how many e-mails were sent."""
    from proposals.models import GrantCall
    from proposals.services.calls import deadline_local

    call = GrantCall.objects.select_related("city").get(pk=call_id)
    follows = (
        Follow.objects.filter(
            user__is_active=True,
            proposal__grant_call=call,
            proposal__status=S.COLLECTING_SUPPORT,
            proposal__hidden_at=None,
        )
        .exclude(user=F("proposal__author"))
        .select_related("user", "proposal", "proposal__city")
        .order_by("pk")
    )
    sent = 0
    for item in follows:
        proposal = item.proposal
        with translation.override(item.user.language_in(call.city)):
            words = {
                "call": call.display_title,
                "when": deadline_local(call),
                "city": call.city.name,
                "title": proposal.title,
            }
            page = reverse("proposals:detail", kwargs={"city": call.city.slug, "pk": proposal.pk})
            line, headers = _stop_part(proposal, item.user_id)
            body = "\n\n".join(
                [
                    _(
                        "The deadline of the call “%(call)s” is now %(when)s (%(city)s time): "
                        "the proposal “%(title)s” that you follow gathers support until then."
                    )
                    % words,
                    site_link(page),
                    line,
                ]
            )
            subject = _("New deadline for “%(call)s”") % words
            mail(subject, body, [item.user.email], headers=headers, city=call.city)
        sent += 1
    return sent
