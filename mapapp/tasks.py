"""Background tasks of the core (Django's tasks API via django-tasks; see settings.TASKS)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def site_link(path: str) -> str:
    """An address for an e-mail: absolute (SITE_URL), as an e-mail has no page to be relative
    to and is sent by the worker, outside any request."""
    return settings.SITE_URL + path


def _temporary(error: Exception) -> bool:
    """Whether the mail server may take the message later: it could not be reached or it
    answered 4xx ("try again"). A 5xx answer (no such recipient, refused sender, wrong
    password) will not change by waiting."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPServerDisconnected, OSError))


@task()
def send_email(subject: str, body: str, recipients: list[str], attempt: int = 0) -> int:
    """One e-mail, sent by the worker: a slow or failing mail server never holds a request.
    While the server cannot take it for now, the e-mail is queued again after each of
    MAIL_RETRY_MINUTES in turn; after the last, or on a permanent refusal, the task fails
    and the error is logged (the task record keeps it until apply_retention removes it)."""
    try:
        return send_mail(subject, body, None, recipients)
    except Exception as error:
        waits = settings.MAIL_RETRY_MINUTES
        again = (
            _temporary(error) and attempt < len(waits) and send_email.get_backend().supports_defer
        )
        if not again:
            logger.error(
                "E-mail %r to %d recipient(s) not sent after %d attempt(s): %r",
                subject, len(recipients), attempt + 1, error,
            )  # fmt: skip
            raise
        logger.warning(
            "E-mail %r not sent (%r); trying again in %d min", subject, error, waits[attempt]
        )
        later = timezone.now() + dt.timedelta(minutes=waits[attempt])
        send_email.using(run_after=later).enqueue(subject, body, recipients, attempt + 1)
        return 0


def mail(subject, body, recipients) -> None:
    """Queue an e-mail (texts are rendered in the right language before they are queued)."""
    recipients = [r for r in recipients if r]
    if recipients:
        send_email.enqueue(str(subject), str(body), list(recipients))
