"""The committee's home page: the call with a round to score first, each call saying where
its assessment stands, assessed calls out of the way."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from proposals.services import assessment, calls
from tests.proposals.conftest import run_rounds


def _another_call(city, officer, committee, title, *, closed=False):
    now = timezone.now()
    call = calls.grant_call_create(
        actor=officer,
        city=city,
        title={"en": title},
        opens_at=now - timedelta(days=60 if closed else 1),
        closes_at=now - timedelta(days=1) if closed else now + timedelta(days=30),
        total_budget=Decimal("100000"),
        project_cap=Decimal("40000"),
    )
    calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee)
    return call


def _sections(html):
    """(stage, title) of each current call, in the page's order."""
    out = []
    for part in html.split('<section class="committee-call" data-stage="')[1:]:
        stage = part[: part.index('"')]
        title = part[part.index("<h2>") + 4 : part.index("</h2>")]
        out.append((stage, title))
    return out


def test_a_round_to_score_comes_first_and_assessed_calls_are_folded(
    client, koszalin, in_assessment, officer, committee
):
    assessed = in_assessment.grant_call
    run_rounds(assessed, officer, committee, [(in_assessment, 4)])  # over, not decided
    later = _another_call(koszalin, officer, committee, "Upcoming assessment")
    client.force_login(committee[0])
    html = client.get("/koszalin/committee/").content.decode()
    assert _sections(html) == [("before_rounds", "Upcoming assessment")]
    assert "The assessment has not started: the first of 3 rounds opens" in html
    current = html[: html.index('class="committee-past"')]
    assert "<table" not in current  # nothing to list before the rounds
    past = html[html.index('class="committee-past"') :]
    assert '<details class="committee-past">' in html  # folded: no `open`
    assert "1 call assessed" in past
    assert f"/koszalin/calls/{assessed.pk}/#results" in past
    assert "the city has still to decide on 1 proposal" in past
    assert later.title["en"] not in past


def test_an_open_round_first_then_between_rounds(
    client, koszalin, in_assessment, officer, committee, resident, supporters
):
    first = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=first)
    assessment.round_close(actor=officer, grant_call=first)  # round 1 of 3 over
    other = _another_call(koszalin, officer, committee, "A later call", closed=True)
    assessment.round_open(actor=officer, grant_call=other)  # nothing submitted in it
    client.force_login(committee[0])
    html = client.get("/koszalin/committee/").content.decode()
    assert _sections(html) == [
        ("round_open", "A later call"),
        ("between_rounds", "We Create Space 2027"),
    ]
    assert "Round 1 of 3 is open." in html
    assert "Round 1 of 3 is closed. You are e-mailed when the officers open the next one." in html
    assert "committee-past" not in html  # none assessed yet


def test_officers_see_each_members_scores_and_when_a_round_can_close(
    client, in_assessment, officer, committee, mailoutbox, settings
):
    from django.core.management import call_command

    from proposals.selectors import officer_waiting, round_progress
    from tests.proposals.conftest import score_all

    call = in_assessment.grant_call
    assert round_progress(grant_call=call) == []  # no round open
    assessment.round_open(actor=officer, grant_call=call)
    call.refresh_from_db()
    progress = round_progress(grant_call=call)
    assert [(p.scored, p.due) for p in progress] == [(0, 1)] * 6
    assessment.conflict_declare(member=committee[0], proposal=in_assessment, reason="My street")
    score_all(in_assessment, committee[1:5], 3)
    by_member = {p.member: p for p in round_progress(grant_call=call)}
    assert (by_member[committee[0]].due, by_member[committee[0]].done) == (0, True)
    assert (by_member[committee[1]].scored, by_member[committee[1]].done) == (1, True)
    assert not by_member[committee[5]].done
    assert officer_waiting(city=call.city).rounds_done == []  # one member to go
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/calls/{call.pk}/").content.decode()
    table = page[
        page.index('id="round-progress"') : page.index(
            "</table>", page.index('id="round-progress"')
        )
    ]
    assert "Scores in round 1" in table
    assert f'<td>{committee[5].email}</td><td class="num">0 of 1</td>' in table
    assert f'<td>{committee[1].email}</td><td class="num">1 of 1 ✓</td>' in table
    score_all(in_assessment, committee[5:], 4)
    assert officer_waiting(city=call.city).rounds_done == [call]
    home = client.get("/koszalin/officer/").content.decode()
    assert "Every member has scored every proposal in round 1: close the round of" in home
    assert f'href="/koszalin/officer/calls/{call.pk}/#round-state"' in home
    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    call_command("notify_overdue_reports")
    [digest] = [m for m in mailoutbox if m.to == [officer.email]]
    assert "Every member has scored every proposal in round 1: close the round of" in digest.body
    assessment.round_close(actor=officer, grant_call=call)
    assert officer_waiting(city=call.city).rounds_done == []
