"""Background tasks of the core (Django's tasks API via django-tasks; see settings.TASKS)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def site_link(path: str) -> str:
    """An address for an e-mail: absolute (SITE_URL), as an e-mail has no page to be relative
    to and is sent by the worker, outside any request."""
    return settings.SITE_URL + path


def unsubscribe_headers(stop_url: str) -> dict:
    """The headers with which a mail client offers its own "unsubscribe" button for news
    someone asked for: `stop_url` opened, or POSTed to at once (RFC 8058 one-click)."""
    return {
        "List-Unsubscribe": f"<{stop_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _temporary(error: Exception) -> bool:
    """Whether the mail server may take the message later: it could not be reached or it
    answered 4xx ("try again"). A 5xx answer (no such recipient, refused sender, wrong
    password) will not change by waiting."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPServerDisconnected, OSError))


def one_line(subject) -> str:
    """A subject on one line: user text in it (a proposal's or a site's title) may hold line
    breaks, which a mail header cannot (Django refuses the message for good)."""
    return " ".join(str(subject).split())


def _send_or_retry(subject, body, recipients, attempt: int, again, headers=None) -> int:
    """Send once. While the server cannot take it for now, `again(run_after, attempt + 1)`
    queues the next attempt after the next of MAIL_RETRY_MINUTES and 0 is returned; after
    the last, or on a permanent refusal, the error is logged and raised (the task fails)."""
    subject = one_line(subject)
    try:
        return EmailMessage(subject, body, None, recipients, headers=headers or None).send()
    except Exception as error:
        waits = settings.MAIL_RETRY_MINUTES
        retry = (
            _temporary(error) and attempt < len(waits) and deliver_mail.get_backend().supports_defer
        )
        if not retry:
            logger.error(
                "E-mail %r to %d recipient(s) not sent after %d attempt(s): %r",
                subject, len(recipients), attempt + 1, error,
            )  # fmt: skip
            raise
        logger.warning(
            "E-mail %r not sent (%r); trying again in %d min", subject, error, waits[attempt]
        )
        again(timezone.now() + dt.timedelta(minutes=waits[attempt]), attempt + 1)
        return 0


@task()
def deliver_mail(mail_id: int, attempt: int = 0) -> int:
    """One queued e-mail (OutgoingMail), sent by the worker: a slow or failing mail server
    never holds a request. Sent, its row is deleted; given up, the row keeps the error."""
    from mapapp.models import OutgoingMail

    item = OutgoingMail.objects.filter(pk=mail_id, failed_at__isnull=True).first()
    if item is None:
        return 0  # sent already, or withdrawn (the recipient's account was deleted)
    try:
        sent = _send_or_retry(
            item.subject, item.body, item.recipients, attempt,
            lambda when, nxt: deliver_mail.using(run_after=when).enqueue(mail_id, nxt),
            headers=item.headers,
        )  # fmt: skip
    except Exception as error:
        OutgoingMail.objects.filter(pk=mail_id).update(
            failed_at=timezone.now(), last_error=repr(error)[:2000]
        )
        raise
    if sent:
        item.delete()
    return sent


@task()
def send_email(subject: str, body: str, recipients: list[str], attempt: int = 0) -> int:
    """E-mails queued before OutgoingMail, with their text in the task record: kept so that
    an upgrade sends what was waiting. New e-mails go through `mail` and deliver_mail."""
    return _send_or_retry(
        subject, body, recipients, attempt,
        lambda when, nxt: send_email.using(run_after=when).enqueue(subject, body, recipients, nxt),
    )  # fmt: skip


def city_signature(city) -> tuple[str, str]:
    """(the signature closing an e-mail about `city`, in the active language; the address
    a reply should go to, or ""): who runs the programme, how to reach them, and the
    city's privacy notice, from its information page."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from mapapp.selectors import city_information

    info = city_information(city=city)
    programme = _("We Create Space, %(city)s") % {"city": city.name}
    lines = [f"{info.operator_text} · {programme}" if info.operator_text else programme]
    if info.contact_email:
        lines.append(info.contact_email)
    privacy = site_link(reverse("city-privacy", kwargs={"city": city.slug}))
    lines.append(_("How we treat your data: %(url)s") % {"url": privacy})
    return "-- \n" + "\n".join(lines), info.contact_email


def deployment_signature() -> str:
    """The signature of an e-mail about no city (accounts), in the active language: the
    programme's name and the deployment's privacy notice."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    privacy = site_link(reverse("privacy"))
    return "-- \n" + "\n".join([_("We Create Space"), _("How we treat your data: %(url)s")
                                 % {"url": privacy}])  # fmt: skip


def mail(subject, body, recipients, headers: dict | None = None, city=None) -> None:
    """Queue an e-mail (texts are rendered in the right language before they are queued).
    With the `city` it is about, it is signed by the city (city_signature, rendered in the
    active language: call it where the recipient's language is active) and a reply goes to
    the city's contact address, not to the sender's, which nobody may read.

    Addresses of closed accounts (deleted by their owner, or deactivated by an
    administrator) are left out: a deleted account's address is a placeholder that cannot
    receive mail, and a deactivated one cannot sign in to act on it. Addresses that are no
    account's (a reporter's through Open311) are kept."""
    from mapapp.models import OutgoingMail, User

    recipients = [r for r in recipients if r]
    if recipients:
        closed = set(
            User.objects.filter(email__in=recipients, is_active=False).values_list(
                "email", flat=True
            )
        )
        recipients = [r for r in recipients if r not in closed]
    headers = dict(headers or {})
    if recipients and city is not None:
        signature, reply_to = city_signature(city)
        body = f"{body}\n\n{signature}"
        if reply_to:
            headers.setdefault("Reply-To", reply_to)
    if recipients:
        item = OutgoingMail.objects.create(
            subject=one_line(subject), body=str(body), recipients=list(recipients),
            headers=headers,
        )  # fmt: skip
        deliver_mail.enqueue(item.pk)
