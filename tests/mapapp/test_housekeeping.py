"""The daily apply_retention also removes what only piles up and names people: expired
sessions, the task queue's old finished records, and e-mails given up long ago."""

import datetime as dt
import io

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone


def test_expired_sessions_and_old_finished_task_records_go(db, settings):
    from django_tasks_db.models import DBTaskResult

    from mapapp.tasks import send_email

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    ids = {
        name: send_email.enqueue("Subject", "Text", ["ala@example.org"]).id
        for name in ("old_done", "old_failed", "recent_done", "waiting", "running")
    }
    finished = {"old_done": 20, "old_failed": 20, "recent_done": 2}
    for name, days in finished.items():
        DBTaskResult.objects.filter(pk=ids[name]).update(
            status="SUCCESSFUL" if "done" in name else "FAILED",
            finished_at=now - dt.timedelta(days=days),
        )
    DBTaskResult.objects.filter(pk=ids["waiting"]).update(enqueued_at=now - dt.timedelta(days=30))
    DBTaskResult.objects.filter(pk=ids["running"]).update(
        status="RUNNING", started_at=now - dt.timedelta(days=30)
    )
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=now - dt.timedelta(1))
    Session.objects.create(session_key="y" * 32, session_data="", expire_date=now + dt.timedelta(1))

    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "1 expired sessions, 2 finished task records" in out.getvalue()
    assert DBTaskResult.objects.count() == 5 and Session.objects.count() == 2

    call_command("apply_retention", stdout=out)
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert kept == {str(ids[n]) for n in ("recent_done", "waiting", "running")}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]

    settings.TASK_RESULTS_KEEP_DAYS = 1
    call_command("apply_retention", stdout=out)
    assert DBTaskResult.objects.count() == 2  # only what waits or runs stays


def test_unsent_emails_go_after_the_keep_days_and_with_their_recipients_account(db, settings):
    """An e-mail's text is deleted when it is sent; one given up stays for the operator until
    the task records' keep days pass, and none waits for an account that was closed."""
    from mapapp.models import OutgoingMail, User
    from mapapp.privacy import account_delete

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()

    def outgoing(to, days_ago=0, failed=False):
        item = OutgoingMail.objects.create(subject="S", body="B", recipients=to)
        when = now - dt.timedelta(days=days_ago)
        OutgoingMail.objects.filter(pk=item.pk).update(
            created_at=when, failed_at=when if failed else None
        )
        return item.pk

    old_failed = outgoing(["ala@example.org"], days_ago=20, failed=True)
    recent_failed = outgoing(["ala@example.org"], days_ago=2, failed=True)
    waiting = outgoing(["ala@example.org"])
    for_closed = outgoing(["ola@example.org"])
    shared = outgoing(["ola@example.org", "ala@example.org"])
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 unsent e-mails" in out.getvalue()
    assert set(OutgoingMail.objects.values_list("pk", flat=True)) == {
        recent_failed,
        waiting,
        for_closed,
        shared,
    }
    assert old_failed not in OutgoingMail.objects.values_list("pk", flat=True)

    ola = User.objects.create_user(email="ola@example.org", password="x" * 20)
    account_delete(user=ola)
    assert set(OutgoingMail.objects.values_list("pk", flat=True)) == {
        recent_failed,
        waiting,
        shared,
    }
    assert OutgoingMail.objects.get(pk=shared).recipients == ["ala@example.org"]


def test_superusers_send_given_up_emails_again_and_no_one_else_sees_them(client, db, mailoutbox):
    from mapapp.models import OutgoingMail, User

    item = OutgoingMail.objects.create(subject="Granted", body="Congratulations.",
                                       recipients=["ala@example.org"],
                                       failed_at=timezone.now(),
                                       last_error="SMTPAuthenticationError(535)")  # fmt: skip
    waiting = OutgoingMail.objects.create(subject="Waiting", body="x", recipients=["b@x.org"])
    staff = User.objects.create_user(email="staff@example.org", password="x" * 20, is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/mapapp/outgoingmail/").status_code == 403
    root = User.objects.create_superuser(email="root@example.org", password="x" * 20)
    client.force_login(root)
    listing = client.get("/admin/mapapp/outgoingmail/?failed_at__isnull=False").content.decode()
    assert "SMTPAuthenticationError(535)" in listing and "Waiting" not in listing
    client.post("/admin/mapapp/outgoingmail/", {
        "action": "send_again", "_selected_action": [item.pk, waiting.pk]})  # fmt: skip
    [sent] = mailoutbox  # the given-up one, sent at once by the tests' task backend
    assert sent.to == ["ala@example.org"] and sent.subject == "Granted"
    assert not OutgoingMail.objects.filter(pk=item.pk).exists()  # sent: gone
    assert OutgoingMail.objects.filter(pk=waiting.pk, failed_at=None).exists()  # untouched


def test_sign_ups_never_confirmed_are_removed_after_the_days_set(db, settings, koszalin):
    """Confirmation is mandatory, so an account never confirmed never signed in: after
    UNCONFIRMED_ACCOUNT_DAYS it goes (it holds an address someone typed). Confirmed ones,
    recent ones, staff, role holders and any that signed in stay."""
    from allauth.account.models import EmailAddress

    from mapapp.models import CityRole, Role, User
    from mapapp.privacy import expire_records

    settings.UNCONFIRMED_ACCOUNT_DAYS = 30
    now = timezone.now()

    def account(email, days_ago=31, verified=None, **extra):
        user = User.objects.create_user(email=email, password="a-long-passphrase-42", **extra)
        User.objects.filter(pk=user.pk).update(date_joined=now - dt.timedelta(days=days_ago))
        if verified is not None:
            EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user.pk

    gone = [account("typo@example.org", verified=False), account("never@example.org")]
    stay = [
        account("confirmed@example.org", verified=True),
        account("recent@example.org", days_ago=3, verified=False),
        account("staff@example.org", is_staff=True),
        account("signed-in@example.org", last_login=now - dt.timedelta(days=40)),
    ]
    officer = account("officer@example.org")
    CityRole.objects.create(user_id=officer, city=koszalin, role=Role.PROGRAMME_OFFICER)
    stay.append(officer)

    assert expire_records(dry_run=True)["unconfirmed_accounts"] == 2
    assert User.objects.filter(pk__in=gone).count() == 2
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "2 accounts never confirmed" in out.getvalue()
    assert not User.objects.filter(pk__in=gone).exists()
    assert User.objects.filter(pk__in=stay).count() == len(stay)
    assert not EmailAddress.objects.filter(email="typo@example.org").exists()
