"""Background tasks of the core (Django's tasks API via django-tasks; see settings.TASKS)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


def site_link(path: str) -> str:
    """An address for an e-mail: absolute (SITE_URL), as an e-mail has no page to be relative
    to and is sent by the worker, outside any request."""
    return settings.SITE_URL + path


@task()
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    """One e-mail, sent by the worker: a slow or failing mail server never holds a request."""
    return send_mail(subject, body, None, recipients)


def mail(subject, body, recipients) -> None:
    """Queue an e-mail (texts are rendered in the right language before they are queued)."""
    recipients = [r for r in recipients if r]
    if recipients:
        send_email.enqueue(str(subject), str(body), list(recipients))
