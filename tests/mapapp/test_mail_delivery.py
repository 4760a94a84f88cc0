"""E-mails to applicants and officers survive a mail server that is down for a while: the
real task worker sends them through a real SMTP server (aiosmtpd), queues an e-mail again
when the server cannot take it for now, and gives up on a permanent refusal."""

import datetime as dt
import json
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from tests import support

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_worker(port: int) -> str:
    """The real task worker against the test database, sending through `port`."""
    return support.run_worker(EMAIL_URL=f"smtp://127.0.0.1:{port}")


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses recipients with `refuse`."""

    def __init__(self, refuse: str | None = None):
        self.messages, self.refuse = [], refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 Message accepted"


def run_worker_with_server(port: int, inbox: "Inbox | None" = None) -> tuple["Inbox", str]:
    """The worker runs while a real SMTP server listens on `port`; what arrived, and the log."""
    inbox = inbox or Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        log = run_worker(port)
    finally:
        server.stop()
    return inbox, log


@pytest.fixture
def queue(transactional_db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects


def test_an_email_waits_for_a_mail_server_that_is_down_and_then_arrives(queue):
    from mapapp.models import OutgoingMail
    from mapapp.tasks import mail

    port = free_port()  # nothing listens there yet: the server is down
    mail("Your proposal was granted", "Congratulations.", ["ala@example.org"])
    log = run_worker(port)
    assert "trying again in 1 min" in log
    retry = queue.get(status="READY")
    assert retry.task_path == "mapapp.tasks.deliver_mail"
    [waiting] = OutgoingMail.objects.all()
    assert retry.args_kwargs["args"] == [waiting.pk, 1]  # the second attempt, by id only
    assert "Congratulations" not in json.dumps([r.args_kwargs for r in queue.all()])
    assert retry.run_after > timezone.now() + dt.timedelta(seconds=30)  # not before a minute
    assert queue.count() == 2 and not queue.filter(status="FAILED").exists()

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        run_worker(port)
        assert inbox.messages == []  # the minute has not passed: the worker leaves it
        queue.filter(pk=retry.pk).update(run_after=timezone.now())  # ... now it has
        run_worker(port)
    finally:
        server.stop()
    [(to, message)] = inbox.messages
    assert to == ["ala@example.org"] and "Subject: Your proposal was granted" in message
    assert "Congratulations." in message
    assert not queue.filter(status="READY").exists()
    assert not OutgoingMail.objects.exists()  # sent: its text is gone from the database


def test_a_permanent_refusal_is_not_tried_again(queue):
    from mapapp.tasks import mail

    mail("Your proposal was granted", "Congratulations.", ["nobody@example.org"])
    inbox, log = run_worker_with_server(free_port(), Inbox(refuse="550 No such user here"))
    assert "not sent after 1 attempt(s)" in log and "No such user here" in log
    assert queue.filter(status="FAILED").count() == 1 and queue.count() == 1
    assert inbox.messages == []
    from mapapp.models import OutgoingMail

    [failed] = OutgoingMail.objects.all()  # kept for the operator, with why
    assert failed.failed_at and "No such user here" in failed.last_error


def test_after_the_last_wait_the_email_is_given_up_and_logged(queue, settings):
    from mapapp.models import OutgoingMail
    from mapapp.tasks import deliver_mail

    item = OutgoingMail.objects.create(subject="Subject", body="Text", recipients=["a@x.org"])
    deliver_mail.enqueue(item.pk, len(settings.MAIL_RETRY_MINUTES))
    log = run_worker(free_port())
    assert f"not sent after {len(settings.MAIL_RETRY_MINUTES) + 1} attempt(s)" in log
    assert queue.filter(status="FAILED").count() == 1 and queue.count() == 1
    item.refresh_from_db()
    assert item.failed_at is not None


def test_emails_queued_before_the_outbox_are_still_sent(queue, settings):
    """send_email, whose task record carries the text, stays for what an upgrade finds
    waiting; it retries and gives up like deliver_mail."""
    from mapapp.tasks import send_email

    send_email.enqueue("Subject", "Text", ["ala@example.org"], len(settings.MAIL_RETRY_MINUTES))
    log = run_worker(free_port())
    assert f"not sent after {len(settings.MAIL_RETRY_MINUTES) + 1} attempt(s)" in log
    assert queue.filter(status="FAILED").count() == 1 and queue.count() == 1
    send_email.enqueue("Old", "Queued before the upgrade.", ["ala@example.org"])
    inbox, _log = run_worker_with_server(free_port())
    [(to, message)] = inbox.messages
    assert "Queued before the upgrade." in message


def test_a_sign_up_neither_waits_for_nor_fails_with_the_mail_server(queue, client):
    """allauth's e-mails (confirmation, password reset) go through the same queue."""
    port = free_port()  # the mail server is down while the person signs up
    r = client.post("/accounts/signup/", {"email": "new@example.org",
                    "password1": "a-long-enough-passphrase-42",
                    "password2": "a-long-enough-passphrase-42"})  # fmt: skip
    assert r.status_code == 302
    [task] = queue.filter(status="READY")
    assert task.task_path == "mapapp.tasks.deliver_mail"
    from mapapp.models import OutgoingMail

    waiting = OutgoingMail.objects.get(pk=task.args_kwargs["args"][0])
    assert waiting.recipients == ["new@example.org"]
    assert "confirm-email" not in json.dumps(task.args_kwargs)  # the link is not in the queue

    inbox, _log = run_worker_with_server(port)
    [(to, message)] = inbox.messages
    assert to == ["new@example.org"] and "/accounts/confirm-email/" in message
