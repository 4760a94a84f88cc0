"""Applicants are reminded before their call closes that their proposal is not submitted:
what it still lacks, or that it is ready (proposals.services.drafting.deadline_reminders_send,
run by the daily job)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from proposals.models import DeadlineReminder, GrantCall
from proposals.services import drafting
from tests.proposals.conftest import add_supporters, make_user, publish_another

pytestmark = pytest.mark.django_db


@pytest.fixture
def daily_job(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("notify_overdue_reports")

    return run


def _closes_in(call, **delta):
    GrantCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() + timedelta(**delta))
    call.refresh_from_db()


def _to(mailoutbox, person):
    return [m for m in mailoutbox if m.to == [person.email]]


def test_applicants_are_reminded_a_week_and_two_days_before_the_deadline_each_once(
    collecting, resident, supporters, grant_call, koszalin, mailoutbox, daily_job, settings
):
    """A week before and two days before; never twice however often the job runs; with
    what each proposal lacks: a draft's empty fields, supporters still missing, or nothing
    (submit it). Not for one already submitted, nor in a call that closes later."""
    settings.SITE_URL = "https://grants.example.org"
    other = make_user("ngo@example.org", city=koszalin)
    for person in (resident, other):
        person.preferred_language = "en"  # Koszalin's own language is Polish
        person.save(update_fields=["preferred_language"])
    add_supporters(collecting, supporters[:3])
    publish_another(other, grant_call, supporters, title="Benches")  # 15 supporters
    empty = drafting.proposal_create_draft(author=other, grant_call=grant_call)
    done = publish_another(other, grant_call, supporters, title="Swings")
    drafting.proposal_submit(actor=other, proposal=done)

    def applicants():
        return _to(mailoutbox, resident) + _to(mailoutbox, other)

    _closes_in(grant_call, days=20)
    daily_job()
    assert applicants() == []  # not yet

    _closes_in(grant_call, days=6, hours=12)
    daily_job()
    mine = _to(mailoutbox, resident)
    assert len(mine) == 1
    assert mine[0].subject.startswith("“Community garden by the square” is not submitted")
    body = mine[0].body
    assert "We Create Space 2027" in body and "Koszalin time" in body
    assert "It has 3 of the 15 supporters it needs." in body
    assert "Still to fill in" not in body and "submit it" not in body
    assert f"https://grants.example.org/koszalin/proposals/{collecting.pk}/edit/" in body
    theirs = {m.subject.split("”")[0].lstrip("“"): m.body for m in _to(mailoutbox, other)}
    assert set(theirs) == {"Benches", "Untitled proposal"}  # not the submitted "Swings"
    assert "It has all it needs: submit it." in theirs["Benches"]
    assert "Still to fill in: title, description" in theirs["Untitled proposal"]
    assert "It is still a draft: publish it" in theirs["Untitled proposal"]
    assert "submit it." not in theirs["Untitled proposal"]

    mailoutbox.clear()
    daily_job()  # the same day again
    assert applicants() == []
    _closes_in(grant_call, days=1, hours=12)
    daily_job()
    assert len(_to(mailoutbox, resident)) == 1 and len(_to(mailoutbox, other)) == 2
    mailoutbox.clear()
    daily_job()
    assert applicants() == []
    assert DeadlineReminder.objects.filter(proposal=empty).count() == 2
    assert DeadlineReminder.objects.filter(proposal=done).count() == 0


def test_first_seen_near_the_deadline_one_reminder_and_a_moved_deadline_another(
    collecting, resident, grant_call, mailoutbox, daily_job
):
    _closes_in(grant_call, hours=30)  # within two days: the week's reminder is past
    daily_job()
    assert len(_to(mailoutbox, resident)) == 1
    assert list(DeadlineReminder.objects.values_list("days", flat=True)) == [2]
    mailoutbox.clear()
    _closes_in(grant_call, days=5)  # the deadline moved: a new one, reminded again
    daily_job()
    assert len(_to(mailoutbox, resident)) == 1
    daily_job()
    assert len(_to(mailoutbox, resident)) == 1


def test_the_reminder_speaks_the_applicants_language_and_no_reminder_after_the_deadline(
    collecting, resident, grant_call, mailoutbox, daily_job, settings
):
    resident.preferred_language = "cs"
    resident.save(update_fields=["preferred_language"])
    _closes_in(grant_call, days=3)
    daily_job()
    (mail,) = _to(mailoutbox, resident)
    assert "není podán" in mail.subject  # Czech, in a Polish city
    mailoutbox.clear()
    DeadlineReminder.objects.all().delete()
    _closes_in(grant_call, minutes=-1)  # closed: it expires instead (and that is told)
    daily_job()
    assert DeadlineReminder.objects.count() == 0
    settings.SUBMIT_REMIND_DAYS = ()
    GrantCall.objects.filter(pk=grant_call.pk).update(closes_at=timezone.now() + timedelta(days=1))
    assert drafting.deadline_reminders_send(city=grant_call.city) == 0  # reminders off
