"""Ranking, funding proposal and the city's decisions within the call's budget."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from proposals import messages as msg
from proposals.models import GrantCall, Proposal
from proposals.selectors import ranking
from proposals.services import drafting, grants
from tests.proposals.conftest import (
    RYNEK,
    add_supporters,
    close_call,
    projects_news_people,
    run_rounds,
    square,
)


def make_proposals(grant_call, resident, supporters, amounts):
    """Several submitted, eligible proposals with the given budgets."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from proposals.services import assessment
    from tests.proposals.conftest import complete_fields

    made = []
    for i, amount in enumerate(amounts):
        p = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
        p = drafting.proposal_save(
            actor=resident,
            proposal=p,
            fields=complete_fields(title=f"Project {i}"),
            budget_lines=[("Everything", str(amount))],
            area_geojson=json.dumps(square(RYNEK[0] + i * 0.001, RYNEK[1])),
            consent_document=SimpleUploadedFile("c.pdf", b"%PDF-1.4", "application/pdf"),
        )
        drafting.proposal_publish(actor=resident, proposal=p)
        add_supporters(p, supporters[:15])
        made.append(drafting.proposal_submit(actor=resident, proposal=p))
    officer = GrantCall.objects.get(pk=grant_call.pk).city.roles.get(role="programme_officer").user
    close_call(grant_call)
    for p in made:
        assessment.proposal_formal_check(actor=officer, proposal=p, eligible=True)
    return made


@pytest.fixture
def assessed(grant_call, resident, supporters, officer, committee):
    """Four proposals of 40k, 35k, 30k, 20k scored 5, 4, 3, 2 over three rounds; budget 100k."""
    proposals = make_proposals(grant_call, resident, supporters, [40000, 35000, 30000, 20000])
    run_rounds(grant_call, officer, committee, list(zip(proposals, [5, 4, 3, 2], strict=True)))
    return proposals


def test_decisions_wait_for_the_last_round(in_assessment, officer):
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=in_assessment, granted=True, amount="100")
    assert exc.value.messages == [str(msg.ASSESSMENT_NOT_FINISHED)]


def test_ranking_and_funding_proposal(assessed):
    ranked = ranking(grant_call=assessed[0].grant_call)
    assert [r.proposal.pk for r in ranked] == [p.pk for p in assessed]
    # 40k + 35k = 75k; 30k would make 105k > 100k so it is skipped; 20k fits (95k)
    assert [r.recommended for r in ranked] == [True, True, False, True]
    assert ranked[-1].cumulative == Decimal("95000")


def test_budget_is_never_exceeded(assessed, officer):
    grants.proposal_decide(actor=officer, proposal=assessed[0], granted=True, amount="40000")
    grants.proposal_decide(actor=officer, proposal=assessed[1], granted=True, amount="35000")
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=assessed[2], granted=True, amount="30000")
    assert "over its budget of 100000.00" in exc.value.messages[0]
    grants.proposal_decide(actor=officer, proposal=assessed[2], granted=False, note="Over budget")
    assessed[2].refresh_from_db()
    assert assessed[2].status == Proposal.Status.REJECTED
    assert grants.granted_total(assessed[0].grant_call) == Decimal("75000")


def test_amount_limits(assessed, officer):
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=assessed[3], granted=True, amount="20001")
    assert exc.value.messages == [str(msg.AMOUNT_OVER_REQUEST) % {"requested": "20000.00"}]
    with pytest.raises(ValidationError):
        grants.proposal_decide(actor=officer, proposal=assessed[3], granted=True, amount="")


def test_second_decision_on_same_proposal_is_out_of_turn(assessed, officer):
    grants.proposal_decide(actor=officer, proposal=assessed[3], granted=True, amount="20000")
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=assessed[3], granted=True, amount="20000")
    assert "Granted" in exc.value.messages[0]


@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_cannot_exceed_the_budget(
    grant_call, resident, supporters, officer, committee, koszalin
):
    """Two threads, two database connections, decided at the same moment: 60k + 60k > 100k."""
    from mapapp.models import Role
    from tests.proposals.conftest import make_user

    GrantCall.objects.filter(pk=grant_call.pk).update(project_cap=Decimal("60000"))
    grant_call.refresh_from_db()
    first, second = make_proposals(grant_call, resident, supporters, [60000, 60000])
    run_rounds(grant_call, officer, committee, [(first, 4), (second, 4)])
    other_officer = make_user("officer2@example.org", Role.PROGRAMME_OFFICER, city=koszalin)

    barrier = threading.Barrier(2)
    results = {}

    def decide(name, actor, proposal):
        try:
            barrier.wait(timeout=10)
            grants.proposal_decide(actor=actor, proposal=proposal, granted=True, amount="60000")
            results[name] = "granted"
        except ValidationError as exc:
            results[name] = exc.messages[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", officer, first)),
        threading.Thread(target=decide, args=("b", other_officer, second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values())[1] == "granted"
    assert "over its budget" in sorted(results.values())[0]
    assert grants.granted_total(grant_call) == Decimal("60000")
    assert Proposal.objects.filter(status="granted").count() == 1


def test_officers_read_the_audit_log_with_before_and_after(client, submitted, officer, committee):
    from proposals.services.assessment import conflict_declare

    client.force_login(officer)
    html = client.get("/koszalin/officer/audit/").content.decode()
    assert "proposal.submit" in html or "submit" in html
    # a conflict removes a member's scores from the ranking; the log keeps them
    conflict_declare(member=committee[0], proposal=submitted, reason="My neighbour")
    page = client.get("/koszalin/officer/audit/", {"action": "assessment.conflict"})
    assert "My neighbour" in page.content.decode()
    page = client.get("/koszalin/officer/audit/", {"object": f"proposals.proposal#{submitted.pk}"})
    assert page.status_code == 200 and "assessment.conflict" in page.content.decode()


def test_the_officers_call_table_downloads_for_the_decision(
    client, officer, committee, in_assessment, settings
):
    """Ranked as on the call page once assessed, formulas kept as text, Excel-readable, and
    no applicant's contact details."""
    import csv
    import io

    from proposals.models import Proposal
    from tests.proposals.conftest import run_rounds

    Proposal.objects.filter(pk=in_assessment.pk).update(
        title="=1+1 garden", contact_phone="+48 600 100 200"
    )
    in_assessment.refresh_from_db()
    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    client.force_login(officer)
    url = f"/koszalin/officer/calls/{in_assessment.grant_call_id}/proposals.csv"
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith(
        f'attachment; filename="koszalin-call-{in_assessment.grant_call_id}-'
    )
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff#,Proposal,Title")
    [row] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert row["#"] == "1" and row["Proposal"] == str(in_assessment.pk)
    assert row["Title"] == "'=1+1 garden" and row["Recommended"] == "✓"
    assert float(row["Weighted score"]) == 4.0
    assert in_assessment.author.email not in text and "600 100 200" not in text
    page = client.get(f"/koszalin/officer/calls/{in_assessment.grant_call_id}/")
    assert f'href="{url}"' in page.content.decode()


def test_granted_amount_is_read_as_officers_type_it(assessed, officer):
    """The form offers the requested amount; officers in Poland and Czechia retype it their
    way ("35 000,00"). An amount that reads two ways is refused with what to write."""
    with pytest.raises(ValidationError, match="can be read two ways"):
        grants.proposal_decide(actor=officer, proposal=assessed[1], granted=True, amount="35.000")
    p = grants.proposal_decide(
        actor=officer, proposal=assessed[1], granted=True, amount="34 999,50"
    )
    assert p.granted_amount == Decimal("34999.50")


def test_grants_decided_in_a_sitting_are_told_in_one_email_a_person(
    assessed, officer, resident, koszalin, settings, django_capture_on_commit_callbacks
):
    """Those who asked for projects near them hear of the grants, not of each decision:
    the first grant of a sitting schedules the news GRANT_NEWS_DELAY_MINUTES later, the
    others join it, and one e-mail a person lists every grant their alerts cover (with the
    distance from their place). Rejections are no news; the applicant is not told of their
    own; a grant decided after the news was written gets news of its own."""
    import re

    from django_tasks_db.models import DBTaskResult

    from mapapp.models import OutgoingMail
    from proposals.services import alerts

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.GRANT_NEWS_DELAY_MINUTES = 60
    city_wide, near, _other = projects_news_people(koszalin, resident, radius_m=500)
    first, second, third, fourth = assessed
    with django_capture_on_commit_callbacks(execute=True):
        grants.proposal_decide(actor=officer, proposal=first, granted=True, amount="40000")
        grants.proposal_decide(actor=officer, proposal=second, granted=True, amount="35000")
        grants.proposal_decide(actor=officer, proposal=fourth, granted=False, note="No.")
    queued = DBTaskResult.objects.filter(task_path="proposals.tasks.tell_grants")
    assert queued.count() == 1  # one news for the sitting, an hour after its first grant
    call = GrantCall.objects.get(pk=first.grant_call_id)
    assert queued.get().run_after == call.grant_news_due_at

    assert alerts.tell_grants(call.pk) == 2  # what the worker runs when it is due
    news = OutgoingMail.objects.filter(body__contains="/me/alerts/stop/")  # not the decisions
    told = {m.recipients[0]: m for m in news}
    assert set(told) == {city_wide.email, near.email}  # not the applicant, nor the other
    mine = told[city_wide.email]
    assert mine.subject == "2 projects funded in Koszalin"
    assert f"/koszalin/proposals/{first.pk}/" in mine.body
    assert f"/koszalin/proposals/{second.pk}/" in mine.body
    assert f"/proposals/{fourth.pk}/" not in mine.body and "/me/alerts/stop/" in mine.body
    assert re.search(r"Project 0 \(.+\) · about \d+ m from the place you chose",
                     told[near.email].body)  # fmt: skip
    assert alerts.tell_grants(call.pk) == 0  # told once

    OutgoingMail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        grants.proposal_decide(actor=officer, proposal=third, granted=True, amount="20000")
    assert queued.count() == 2  # the earlier news was written: this grant gets its own
    alerts.tell_grants(call.pk)
    [alone] = news.filter(recipients=[city_wide.email])
    assert alone.subject == "Funded in Koszalin: Project 2"


def test_news_whose_task_was_lost_is_scheduled_again(grant_call, koszalin, settings):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from proposals.services import alerts
    from tests.proposals.conftest import make_user

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    alerts.alert_set(user=make_user("lost@example.org"), city=koszalin, district="",
                     proposals=False, sites=False, projects=True)  # fmt: skip
    queued = DBTaskResult.objects.filter(task_path="proposals.tasks.tell_grants")
    pending = timezone.now() + dt.timedelta(minutes=30)
    GrantCall.objects.filter(pk=grant_call.pk).update(grant_news_due_at=pending)
    alerts.grant_news_schedule(grant_call)
    assert queued.count() == 0  # news is due already: the grant joins it
    lost = timezone.now() - dt.timedelta(hours=2)  # due long ago, never run: its worker lost
    GrantCall.objects.filter(pk=grant_call.pk).update(grant_news_due_at=lost)
    alerts.grant_news_schedule(grant_call)
    assert queued.count() == 1 and GrantCall.objects.get(pk=grant_call.pk).grant_news_due_at > lost


def test_a_decision_dated_the_day_it_was_taken(assessed, officer, client):
    """The board decided days before the officers recorded it: the day they give is the
    decision's (costs paid after it are not marked), neither in the future nor before the
    call closed."""
    from datetime import timedelta

    from django.utils import timezone

    first, second = assessed[0], assessed[1]
    call = first.grant_call
    GrantCall.objects.filter(pk=call.pk).update(  # the rounds held then, too
        closes_at=timezone.now() - timedelta(days=20),
        round_closed_at=timezone.now() - timedelta(days=15),
    )
    city = first.city
    today = city.local_date()
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{first.pk}/"
    for day, said in (
        (today + timedelta(days=1), "A decision is recorded once it is taken"),
        (today - timedelta(days=25), "The decision cannot be dated before the call closed"),
    ):
        refused = client.post(
            url, {"action": "grant", "amount": "40000", "decided_on": day.isoformat()}
        )
        assert refused.status_code == 400 and said in refused.content.decode()
        assert f'value="{day.isoformat()}"' in refused.content.decode()  # what was typed
        first.refresh_from_db()
        assert first.status == "in_assessment" and first.decided_at is None
    decided_on = today - timedelta(days=10)
    sent = client.post(url, {"action": "grant", "amount": "40000",
                             "decided_on": decided_on.isoformat()})  # fmt: skip
    assert sent.status_code == 302
    first.refresh_from_db()
    assert first.status == "granted" and city.local_date(first.decided_at) == decided_on
    # not given (a script): today
    grants.proposal_decide(actor=officer, proposal=second, granted=False)
    second.refresh_from_db()
    assert city.local_date(second.decided_at) == today


def test_the_officers_are_told_of_proposals_waiting_for_the_decision(
    client, in_assessment, officer, committee, mailoutbox, settings
):
    """Every round over: the ranking is final and each proposal waits for the city; the
    workspace and the daily digest say so (they said nothing between the last round and
    the decisions)."""
    from django.core.management import call_command

    from proposals.selectors import officer_waiting
    from proposals.services import assessment

    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    assert officer_waiting(city=in_assessment.city).decisions == []  # the committee scores
    run_rounds_rest = call.rounds - 1
    assessment.round_close(actor=officer, grant_call=call)
    assert officer_waiting(city=in_assessment.city).decisions == []  # two rounds to go
    for _ in range(run_rounds_rest):
        assessment.round_open(actor=officer, grant_call=call)
        assessment.round_close(actor=officer, grant_call=call)
    assert officer_waiting(city=in_assessment.city).decisions == [in_assessment]
    client.force_login(officer)
    page = client.get("/koszalin/officer/").content.decode()
    assert (
        '<li id="waiting-decisions">1 proposal assessed in every round waits for the city\'s '
        f'decision: <a href="/koszalin/officer/proposals/{in_assessment.pk}/">'
    ) in page.replace("&#x27;", "'")
    settings.SITE_URL = "https://grants.example.org"
    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    call_command("notify_overdue_reports")
    [digest] = [m for m in mailoutbox if m.to == [officer.email]]
    assert "1 proposal assessed in every round waits for the city's decision:" in digest.body
    grants.proposal_decide(actor=officer, proposal=in_assessment, granted=False)
    assert officer_waiting(city=in_assessment.city).decisions == []


def test_a_granted_project_marks_its_site_being_revitalised_and_tells_its_reporter(
    assessed, officer, resident, koszalin, mailoutbox, django_capture_on_commit_callbacks
):
    """The listed site a proposal is for shows on the public map as being revitalised once
    the grant is decided (from "neglected" only), its reporter hears it once; withdrawn
    before completion, the site is neglected again unless another funded project goes on."""
    from django.contrib.gis.geos import Point

    from mapapp.models import AuditEvent
    from proposals.services import drafting
    from sites.models import Site
    from tests.proposals.conftest import make_user

    first, second, third, fourth = assessed
    reporter = make_user("reporter@example.org", city=koszalin)
    reporter.preferred_language = "en"
    reporter.save(update_fields=["preferred_language"])
    site = Site.objects.create(city=koszalin, name="Empty <lot>", geom=Point(16.18, 54.19),
                               moderation="accepted", condition="neglected",
                               reported_by=reporter)  # fmt: skip
    Proposal.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(site=site)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        grants.proposal_decide(actor=officer, proposal=third, granted=False)
    site.refresh_from_db()
    assert site.condition == "neglected"  # not granted: nothing
    assert [m for m in mailoutbox if m.to == [reporter.email]] == []
    with django_capture_on_commit_callbacks(execute=True):
        grants.proposal_decide(actor=officer, proposal=first, granted=True, amount="40000")
    site.refresh_from_db()
    assert site.condition == "being_revitalised"
    [told] = [m for m in mailoutbox if m.to == [reporter.email]]
    assert told.subject == "The place you reported, “Empty <lot>”, will be revitalised"
    assert f"/koszalin/proposals/{first.pk}/" in told.body
    event = AuditEvent.objects.get(action="site.condition")
    assert event.after == {"condition": "being_revitalised", "proposal": first.pk}
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # a second project for it
        grants.proposal_decide(actor=officer, proposal=second, granted=True, amount="35000")
    assert [m for m in mailoutbox if m.to == [reporter.email]] == []  # told once
    drafting.proposal_withdraw(actor=resident, proposal=first)
    site.refresh_from_db()
    assert site.condition == "being_revitalised"  # the second goes on
    drafting.proposal_withdraw(actor=resident, proposal=second)
    site.refresh_from_db()
    assert site.condition == "neglected"
    # an officer's own setting stays
    Site.objects.filter(pk=site.pk).update(condition="revitalised")
    Proposal.objects.filter(pk=fourth.pk).update(site=site)
    grants.proposal_decide(actor=officer, proposal=fourth, granted=True, amount="20000")
    site.refresh_from_db()
    assert site.condition == "revitalised"
    # and an officer's "being revitalised" (the city's own works there) outlives the project
    from sites.services import site_save

    site_save(actor=officer, city=koszalin, site=site, name=site.name, description="",
              condition="being_revitalised", ownership=site.ownership)  # fmt: skip
    site_save(actor=officer, city=koszalin, site=site, name="Lot by the school",
              description="", condition="being_revitalised", ownership=site.ownership)  # fmt: skip
    drafting.proposal_withdraw(actor=resident, proposal=fourth)
    site.refresh_from_db()
    assert site.condition == "being_revitalised"


def test_a_grants_amount_typed_wrong_is_corrected_before_the_agreement(
    client, assessed, officer, resident, mailoutbox, django_capture_on_commit_callbacks
):
    from mapapp.models import AuditEvent
    from proposals.services import delivery

    first, second = assessed[0], assessed[1]
    grants.proposal_decide(actor=officer, proposal=first, granted=True, amount="4000")  # 40,000
    grants.proposal_decide(actor=officer, proposal=second, granted=True, amount="35000")
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{first.pk}/"
    page = client.get(url).content.decode()
    assert 'value="grant_correct"' in page
    for form, said in (
        ({"correct_amount": "40000", "correct_reason": " "}, "Say why the amount is corrected"),
        ({"correct_amount": "40001", "correct_reason": "Typo"}, "may not exceed the"),
        ({"correct_amount": "4000", "correct_reason": "Typo"}, "That is the amount granted"),
        ({"correct_amount": "abc", "correct_reason": "Typo"}, ""),
    ):
        refused = client.post(url, {"action": "grant_correct", **form})
        assert refused.status_code == 400 and said in refused.content.decode()
        first.refresh_from_db()
        assert first.granted_amount == Decimal("4000")
    # the budget counts the others' grants, not this one's old amount
    assert grants.granted_total(first.grant_call) == Decimal("39000")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"action": "grant_correct", "correct_amount": "40000",
                                 "correct_reason": "A zero was left out."})  # fmt: skip
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.granted_amount == Decimal("40000")
    assert grants.granted_total(first.grant_call) == Decimal("75000")
    event = AuditEvent.objects.get(action="proposal.grant_corrected")
    assert (event.before, event.after, event.note) == (
        {"granted_amount": "4000.00"}, {"granted_amount": "40000.00"}, "A zero was left out.",
    )  # fmt: skip
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "A zero was left out." in told.body
    # over the budget with the other grants: refused
    third = assessed[2]  # 30,000 asked
    grants.proposal_decide(actor=officer, proposal=third, granted=True, amount="25000")
    with pytest.raises(ValidationError) as exc:
        grants.grant_correct(actor=officer, proposal=third, amount="30000", reason="More")
    assert exc.value.messages[0].startswith("Granting 30000 would bring the call to 105000.00")
    # once the agreement is signed, the amount stands (the agreement names it)
    delivery.agreement_sign(actor=officer, proposal=first)
    with pytest.raises(ValidationError):
        grants.grant_correct(actor=officer, proposal=first, amount="39000", reason="Again")


def test_the_public_history_shows_the_days_the_officers_gave(client, assessed, officer, koszalin):
    """A decision and an agreement recorded days after they were taken show, on the
    proposal's public page, on the days given."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.formats import date_format

    from proposals.services import delivery

    first = assessed[0]
    GrantCall.objects.filter(pk=first.grant_call_id).update(
        closes_at=timezone.now() - timedelta(days=30),
        round_closed_at=timezone.now() - timedelta(days=25),
    )
    today = koszalin.local_date()
    decided_on, signed_on = today - timedelta(days=12), today - timedelta(days=5)
    grants.proposal_decide(actor=officer, proposal=first, granted=True, amount="40000",
                           decided_on=decided_on)  # fmt: skip
    delivery.agreement_sign(actor=officer, proposal=first, signed_on=signed_on)
    html = client.get(f"/koszalin/proposals/{first.pk}/").content.decode()
    timeline = html[
        html.index('<ol class="timeline">') : html.index("</ol>", html.index("timeline"))
    ]

    def shown(label):
        part = timeline[timeline.index(f"<span>{label}</span>") :]
        return part[part.index('">') + 2 : part.index("</time>")]

    assert shown("Granted") == date_format(decided_on, "SHORT_DATE_FORMAT")
    assert shown("Agreement signed") == date_format(signed_on, "SHORT_DATE_FORMAT")


def test_a_decision_is_not_dated_before_the_committees_last_round_closed(
    assessed, officer, koszalin
):
    """The day the last round closed is kept (it was only in the audit log), and a decision
    recorded later is not dated before it; existing calls take it from the audit log."""
    import importlib
    from datetime import timedelta

    from django.utils import timezone

    from mapapp.models import AuditEvent
    from proposals.services import assessment

    call = GrantCall.objects.get(pk=assessed[0].grant_call_id)
    event = AuditEvent.objects.filter(action="call.round_close", object_id=str(call.pk)).latest(
        "at"
    )
    assert call.round_closed_at is not None and abs(call.round_closed_at - event.at) < timedelta(1)
    now = timezone.now()
    GrantCall.objects.filter(pk=call.pk).update(
        closes_at=now - timedelta(days=20), round_closed_at=now - timedelta(days=3)
    )
    today = koszalin.local_date()
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=assessed[0], granted=True,
                               amount="40000", decided_on=today - timedelta(days=5))  # fmt: skip
    assert "before the committee's last round closed" in exc.value.messages[0]
    assert Proposal.objects.get(pk=assessed[0].pk).status == Proposal.Status.IN_ASSESSMENT
    three_days_ago = today - timedelta(days=3)
    decided = grants.proposal_decide(actor=officer, proposal=assessed[0], granted=True,
                                     amount="40000", decided_on=three_days_ago)  # fmt: skip
    assert koszalin.local_date(decided.decided_at) == three_days_ago
    # the migration's backfill: the latest round's close from the audit log
    migration = importlib.import_module("proposals.migrations.0040_round_closed_at")
    GrantCall.objects.filter(pk=call.pk).update(round_closed_at=None)
    with connection.cursor() as cursor:
        cursor.execute(migration.FROM_AUDIT)
    call.refresh_from_db()
    assert call.round_closed_at == event.at
    # the next round's opening clears it (a fourth round, for the test)
    GrantCall.objects.filter(pk=call.pk).update(rounds=4)
    reopened = assessment.round_open(actor=officer, grant_call=call)
    assert reopened.round_closed_at is None
