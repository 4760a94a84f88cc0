"""A grant revoked by the city (with a public reason and its own day), its money back in the
call's budget, and a proposal not granted granted from it later (the reserve)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from mapapp.models import AuditEvent
from proposals import messages as msg
from proposals.models import GrantCall, Proposal
from proposals.selectors import call_results, ranking, status_timeline
from proposals.services import delivery, following, grants
from tests.proposals.test_grants import assessed  # noqa: F401 - a fixture

S = Proposal.Status


@pytest.fixture
def decided(assessed, officer, koszalin):  # noqa: F811
    """Of the four assessed (40k, 35k, 30k, 20k asked; budget 100k): the first, second and
    fourth granted in full (95k) a week ago, the third not granted five days ago; the call
    closed ten days ago, the last round eight."""
    first, second, third, fourth = assessed
    GrantCall.objects.filter(pk=first.grant_call_id).update(
        closes_at=timezone.now() - timedelta(days=10),
        round_closed_at=timezone.now() - timedelta(days=8),
    )
    today = koszalin.local_date()
    week_ago = today - timedelta(days=7)
    for p in (first, second, fourth):
        grants.proposal_decide(actor=officer, proposal=p, granted=True,
                               amount=p.requested_amount, decided_on=week_ago)  # fmt: skip
    grants.proposal_decide(actor=officer, proposal=third, granted=False,
                           decided_on=today - timedelta(days=5))  # fmt: skip
    return [Proposal.objects.get(pk=p.pk) for p in assessed]


def english():
    visitor = Client()
    visitor.cookies["django_language"] = "en"
    return visitor


def _officer_page(client, proposal):
    return client.get(f"/koszalin/officer/proposals/{proposal.pk}/").content.decode()


def test_officers_revoke_a_grant_with_a_public_reason(
    client, decided, officer, resident, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = decided[0], decided[1]
    call = second.grant_call
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    client.force_login(officer)
    assert 'value="revoke"' in _officer_page(client, second)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/koszalin/officer/proposals/{second.pk}/",
            {"action": "revoke", "revoke_reason": "The landowner <b>withdrew</b> consent.",
             "revoked_on": second.city.local_date().isoformat()},
        )  # fmt: skip
    assert sent.status_code == 302
    second.refresh_from_db()
    assert second.status == S.REVOKED
    assert second.revocation_reason == "The landowner <b>withdrew</b> consent."
    assert second.city.local_date(second.revoked_at) == second.city.local_date()
    assert second.granted_amount == Decimal("35000")  # the amount stays, as it was granted
    assert grants.granted_total(call) == Decimal("60000")  # its money is back in the budget
    event = AuditEvent.objects.get(action="proposal.revoked", object_id=str(second.pk))
    assert event.before == {"status": "granted"}
    assert event.note == "The landowner <b>withdrew</b> consent."
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "Grant revoked" in told.subject
    assert "The landowner <b>withdrew</b> consent." in told.body  # plain text
    # in public: the status, why (escaped), the amount marked, the day in its history
    page = english().get(f"/koszalin/proposals/{second.pk}/").content.decode()
    assert "Grant revoked" in page
    assert "The landowner &lt;b&gt;withdrew&lt;/b&gt; consent." in page
    assert "<b>withdrew" not in page
    assert "Granted, then revoked" in page
    assert [s["status"] for s in status_timeline(proposal=second)][-2:] == ["granted", "revoked"]
    # the call's results: not among the grants, counted apart, in the API as well
    results = call_results(grant_calls=[call])[call.pk]
    assert second not in results.granted and results.revoked_count == 1
    html = english().get(f"/koszalin/calls/{call.pk}/").content.decode()
    table = html[html.index('id="results"') :]
    table = table[: table.index("</table>")]
    assert second.title not in table and first.title in table
    assert "The city revoked 1 grant" in html
    assert f"?call={call.pk}&amp;status=revoked" in html
    api = english().get(f"/api/v1/koszalin/calls/{call.pk}/").json()
    assert api["results"]["revoked_count"] == 1
    listed = english().get(f"/koszalin/proposals/?call={call.pk}&status=revoked")
    assert second.title in listed.content.decode()
    # the list's Granted column: struck through, and said to be revoked
    assert '<del>35,000.00\u00a0PLN</del> <span class="visually-hidden">revoked</span>' in (
        listed.content.decode()
    )
    # the officers' page: its record, no second revocation
    page = _officer_page(client, second)
    assert 'value="revoke"' not in page and 'id="revoked"' in page
    with pytest.raises(ValidationError) as exc:
        grants.grant_revoke(actor=officer, proposal=second, reason="Again")
    assert "this proposal is “Grant revoked”" in exc.value.messages[0]


def test_a_revocation_refused_changes_nothing_and_keeps_what_was_typed(
    client, decided, officer, resident, koszalin
):
    second = decided[1]
    today = koszalin.local_date()
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{second.pk}/"
    for form, said in (
        ({"revoke_reason": "  "}, "Say why the grant is revoked"),
        ({"revoke_reason": "x" * 2001}, "at most 2000 characters"),
        ({"revoke_reason": "Typed reason", "revoked_on": (today + timedelta(1)).isoformat()},
         "has not come yet"),
        ({"revoke_reason": "Typed reason", "revoked_on": (today - timedelta(8)).isoformat()},
         "cannot be revoked before it was granted"),
        ({"revoke_reason": "Typed reason", "revoked_on": "31.02.2026"}, "date"),
    ):  # fmt: skip
        response = client.post(url, {"action": "revoke", **form})
        page = response.content.decode()
        assert response.status_code == 400, form
        assert said in page, form
        if form["revoke_reason"] == "Typed reason":
            assert ">Typed reason</textarea>" in page  # nothing typed is lost
            assert "<details open>" in page.replace('<details open=""', "<details open")
        second.refresh_from_db()
        assert second.status == S.GRANTED and second.revoked_at is None
    assert not AuditEvent.objects.filter(action="proposal.revoked").exists()
    # nobody but the city's officers: not the applicant, not another city's officer
    with pytest.raises(PermissionDenied):
        grants.grant_revoke(actor=resident, proposal=second, reason="Mine")
    client.force_login(resident)
    assert client.post(url, {"action": "revoke", "revoke_reason": "x"}).status_code in (403, 404)
    second.refresh_from_db()
    assert second.status == S.GRANTED
    # out of turn: not granted, or assessed and not yet decided
    third = decided[2]
    with pytest.raises(ValidationError) as exc:
        grants.grant_revoke(actor=officer, proposal=third, reason="No")
    assert exc.value.messages == [str(msg.REVOKE_TURN % {"status": "Not granted"})]


def test_revoked_during_the_works_and_its_site_and_followers(
    client, decided, officer, resident, supporters, koszalin, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """After the agreement, with the works on: revoked all the same (what was paid out is
    settled under the agreement); the listed site is neglected again; followers are told,
    and their follows end."""
    from django.contrib.gis.geos import Point

    from sites.models import Site
    from sites.services import site_project_funded

    first = decided[0]
    site = Site.objects.create(city=koszalin, name="Lot", geom=Point(16.18, 54.19),
                               moderation="accepted", condition="neglected")  # fmt: skip
    Proposal.objects.filter(pk=first.pk).update(site=site)
    first.refresh_from_db()
    site_project_funded(actor=officer, proposal=first)  # as its grant did
    delivery.agreement_sign(actor=officer, proposal=first)
    first = delivery.works_start(actor=resident, proposal=first)
    follower = supporters[0]
    follower.preferred_language = "en"
    follower.save(update_fields=["preferred_language"])
    following.follow(user=follower, proposal=first)
    receipt = SimpleUploadedFile("r.pdf", b"%PDF-1.4", "application/pdf")
    delivery.expense_add(actor=resident, proposal=first, description="Timber",
                         amount=Decimal("300"), spent_on=koszalin.local_date(),
                         receipt=receipt)  # fmt: skip
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        grants.grant_revoke(actor=officer, proposal=first, reason="The works broke the terms.")
    first.refresh_from_db()
    assert first.status == S.REVOKED
    # the expenses spreadsheet says so beside its costs, for settling them apart
    import csv
    import io

    client.force_login(officer)
    sheet = client.get(f"/koszalin/officer/calls/{first.grant_call_id}/expenses.csv")
    header, *rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert header[-2:] == ["Status", "Revoked on"]
    assert rows[0][-2:] == ["Grant revoked", koszalin.local_date().isoformat()]
    # and its page still shows the works and their costs, for settling what was paid out
    page = _officer_page(client, first)
    assert 'id="works"' in page and "Timber" in page
    site.refresh_from_db()
    assert site.condition == "neglected"
    [told] = [m for m in mailoutbox if m.to == [follower.email]]
    assert "The city revoked its grant; its page says why." in told.body
    assert not first.follows.exists()


def test_money_left_goes_to_the_next_in_line_from_the_reserve(
    client, decided, officer, resident, koszalin, mailoutbox, django_capture_on_commit_callbacks
):
    first, second, third = decided[:3]
    call = third.grant_call
    today = koszalin.local_date()
    client.force_login(officer)
    # 95k of 100k granted: the third (30k) does not fit, no reserve to speak of
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=third, granted=True, amount="30000")
    assert "budget" in exc.value.messages[0]
    call_page = client.get(f"/koszalin/officer/calls/{call.pk}/").content.decode()
    assert 'id="reserve-note"' not in call_page
    page = _officer_page(client, third)  # 5k is left: less than the third asks, but offered
    assert "has 5,000.00\u00a0PLN not granted now" in page and 'value="grant"' in page
    grants.grant_revoke(actor=officer, proposal=second, reason="Agreement never signed.")
    # revoked keeps its rank, not its money: the third is recommended now
    ranked = {r.proposal.pk: r for r in ranking(grant_call=call)}
    assert not ranked[second.pk].recommended and ranked[third.pk].recommended
    call_page = client.get(f"/koszalin/officer/calls/{call.pk}/").content.decode()
    note = call_page[call_page.index('id="reserve-note"') :]
    note = note[: note.index("</p>")]
    assert "40,000.00" in note and third.title in note and first.title not in note
    page = _officer_page(client, third)
    assert 'id="reserve"' in page and "Grant from the reserve" in page
    url = f"/koszalin/officer/proposals/{third.pk}/"
    # not before the day it was not granted
    refused = client.post(url, {"action": "grant", "amount": "30000",
                                "decided_on": (today - timedelta(6)).isoformat()})  # fmt: skip
    assert refused.status_code == 400
    assert "cannot be dated before the proposal was first decided" in refused.content.decode()
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"action": "grant", "amount": "30000", "note": "From the reserve",
                                 "decided_on": today.isoformat()})  # fmt: skip
    assert sent.status_code == 302
    third.refresh_from_db()
    assert third.status == S.GRANTED and third.granted_amount == Decimal("30000")
    assert grants.granted_total(call) == Decimal("90000")
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "The city granted 30,000.00" in told.body
    # its history: not granted on its day, granted on today's
    steps = [(s["status"], koszalin.local_date(s["at"])) for s in status_timeline(proposal=third)]
    assert steps[-2:] == [("rejected", today - timedelta(5)), ("granted", today)]
    assert 'id="reserve"' not in _officer_page(client, third)


def test_the_reserve_closes_when_the_applicants_data_may_be_erased(
    client, decided, officer, settings
):
    second, third = decided[1], decided[2]
    grants.grant_revoke(actor=officer, proposal=second, reason="Agreement never signed.")
    long_ago = timezone.now() - timedelta(days=settings.SUPPORTER_DATA_RETENTION_DAYS + 1)
    Proposal.objects.filter(pk=third.pk).update(decided_at=long_ago)
    third.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        grants.proposal_decide(actor=officer, proposal=third, granted=True, amount="30000")
    assert "cannot be granted from the reserve" in exc.value.messages[0]
    client.force_login(officer)
    assert 'id="reserve"' not in _officer_page(client, third)
    third.refresh_from_db()
    assert third.status == S.REJECTED


def test_a_revoked_grants_records_end_counted_from_the_revocation(
    decided, officer, settings, django_capture_on_commit_callbacks
):
    """The landowner's consent and the phone after the retention time; the signed agreement
    and receipts after the accounting years, counted from the year of the revocation."""
    from mapapp.privacy import apply_retention

    first = decided[0]
    Proposal.objects.filter(pk=first.pk).update(contact_phone="+48 600 100 200")
    agreement = SimpleUploadedFile("a.pdf", b"%PDF-1.4 signed", "application/pdf")
    delivery.agreement_sign(actor=officer, proposal=first, document=agreement)
    grants.grant_revoke(actor=officer, proposal=first, reason="Agreement broken.")
    first.refresh_from_db()
    assert first.consent_document and first.agreement_document
    settings.WORKS_RECORDS_KEEP_YEARS = 5
    assert apply_retention(dry_run=True)["consent_documents"] == 0  # revoked today: kept
    # its call decided long ago: the revocation's own time holds all the same
    third = decided[2]
    long_ago = timezone.now() - timedelta(days=settings.SUPPORTER_DATA_RETENTION_DAYS + 30)
    Proposal.objects.filter(grant_call=first.grant_call).update(decided_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention()["consent_documents"] == 1  # the one not granted
    first.refresh_from_db(), third.refresh_from_db()
    assert first.consent_document and not third.consent_document
    # revoked six years ago
    Proposal.objects.filter(pk=first.pk).update(
        revoked_at=timezone.now().replace(year=timezone.now().year - 6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = apply_retention()
    assert done["consent_documents"] == 1 and done["agreements"] == 1
    first.refresh_from_db()
    assert not first.consent_document and first.contact_phone == ""
    assert not first.agreement_document and first.agreement_signed_at is not None
    assert date.today().year - first.revoked_at.year == 6
    # the privacy notice says so
    notice = english().get("/koszalin/privacy/").content.decode()
    days = settings.SUPPORTER_DATA_RETENTION_DAYS
    assert f"for a grant the city revoked, {days} days after the revocation" in notice
    assert "(or its grant was revoked)" in notice


def test_a_decisions_day_typed_wrong_is_corrected(client, decided, officer, resident, koszalin):
    """Officers correct the day a decision was recorded for (until the works end), with a
    reason: the public history and the expenses' marks follow it; refused out of its rules,
    and each refusal keeps what was typed."""
    first, third = decided[0], decided[2]
    today = koszalin.local_date()
    week_ago = today - timedelta(days=7)
    url = f"/koszalin/officer/proposals/{first.pk}/"
    client.force_login(officer)
    assert 'value="decision_correct"' in client.get(url).content.decode()
    delivery.agreement_sign(actor=officer, proposal=first, signed_on=today - timedelta(days=2))
    for form, said in (
        ({"corrected_on": (today - timedelta(6)).isoformat(), "decision_reason": " "},
         "Say why the decision"),
        ({"corrected_on": week_ago.isoformat(), "decision_reason": "Typo"}, "day already"),
        ({"corrected_on": (today - timedelta(1)).isoformat(), "decision_reason": "Typo"},
         "after its agreement was signed"),
        ({"corrected_on": (today - timedelta(9)).isoformat(), "decision_reason": "Typo"},
         "before the committee&#x27;s last round closed"),
        ({"corrected_on": "", "decision_reason": "Typo"}, "YYYY-MM-DD"),
    ):  # fmt: skip
        refused = client.post(url, {"action": "decision_correct", **form})
        page = refused.content.decode()
        assert refused.status_code == 400 and said in page, form
        assert f'value="{form["decision_reason"]}"' in page  # what was typed
        first.refresh_from_db()
        assert koszalin.local_date(first.decided_at) == week_ago
    corrected_on = today - timedelta(days=6)
    sent = client.post(url, {"action": "decision_correct", "corrected_on": corrected_on.isoformat(),
                             "decision_reason": "The board met on the 22nd."})  # fmt: skip
    assert sent.status_code == 302
    first.refresh_from_db()
    assert koszalin.local_date(first.decided_at) == corrected_on
    event = AuditEvent.objects.get(action="proposal.decision_corrected")
    assert (event.before, event.after) == (
        {"decided_on": str(week_ago)},
        {"decided_on": str(corrected_on)},
    )
    assert event.note == "The board met on the 22nd."
    steps = {s["status"]: koszalin.local_date(s["at"]) for s in status_timeline(proposal=first)}
    assert steps["granted"] == corrected_on
    # a rejection's day too; not once the grant is revoked, nor by anyone but the officers
    grants.decision_correct(actor=officer, proposal=third, decided_on=today - timedelta(days=4),
                            reason="Typo")  # fmt: skip
    third.refresh_from_db()
    assert koszalin.local_date(third.decided_at) == today - timedelta(days=4)
    with pytest.raises(PermissionDenied):
        grants.decision_correct(actor=resident, proposal=third, decided_on=today, reason="x")
    second = grants.grant_revoke(actor=officer, proposal=decided[1], reason="Not signed.")
    with pytest.raises(ValidationError) as exc:
        grants.decision_correct(actor=officer, proposal=second, decided_on=today, reason="x")
    assert "corrected until the works end" in exc.value.messages[0]


def test_a_reserve_grants_day_is_not_corrected_to_before_it_was_not_granted(
    client, decided, officer, koszalin
):
    """A proposal not granted, its day corrected, then granted from the reserve: the history
    shows the rejection on its corrected day, and the grant's day cannot be corrected to
    before it (the call's and the rounds' days alone would allow it)."""
    second, third = decided[1], decided[2]
    today = koszalin.local_date()
    six_days_ago = today - timedelta(days=6)
    grants.decision_correct(actor=officer, proposal=third, decided_on=six_days_ago,
                            reason="The board met a day earlier.")  # fmt: skip
    grants.grant_revoke(actor=officer, proposal=second, reason="Agreement never signed.")
    third.refresh_from_db()
    grants.proposal_decide(actor=officer, proposal=third, granted=True, amount="30000")
    third.refresh_from_db()
    steps = [(s["status"], koszalin.local_date(s["at"])) for s in status_timeline(proposal=third)]
    assert steps[-2:] == [("rejected", six_days_ago), ("granted", today)]
    url = f"/koszalin/officer/proposals/{third.pk}/"
    client.force_login(officer)
    page = client.get(url).content.decode()
    field = page[page.index('name="corrected_on"') :]
    assert f'min="{six_days_ago.isoformat()}"' in field[: field.index(">")]
    refused = client.post(url, {"action": "decision_correct", "decision_reason": "Typo",
                                "corrected_on": (today - timedelta(7)).isoformat()})  # fmt: skip
    assert refused.status_code == 400
    assert "cannot be dated before the proposal was first decided" in refused.content.decode()
    third.refresh_from_db()
    assert koszalin.local_date(third.decided_at) == today
    grants.decision_correct(actor=officer, proposal=third, decided_on=six_days_ago, reason="Typo")
    third.refresh_from_db()
    steps = [(s["status"], koszalin.local_date(s["at"])) for s in status_timeline(proposal=third)]
    assert steps[-2:] == [("rejected", six_days_ago), ("granted", six_days_ago)]


def test_the_officers_hear_when_an_applicant_withdraws_a_funded_project(
    decided, officer, resident, mailoutbox, django_capture_on_commit_callbacks
):
    """Its grant goes back to the budget: the officers are told how much is left and who is
    next in line for it, with the call's page; nothing for a withdrawal before a grant."""
    from proposals.services import drafting

    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    second, third = decided[1], decided[2]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_withdraw(actor=resident, proposal=second, note="We <moved> away.")
    [told] = [m for m in mailoutbox if m.to == [officer.email]]
    assert told.subject == f"“{second.title}” was withdrawn: its grant is back in the budget"
    assert "granted 35,000.00\u00a0PLN" in told.body
    assert "which has 40,000.00\u00a0PLN not granted now" in told.body
    assert "The applicant's note: We <moved> away." in told.body  # plain text
    assert f"next in line for it (the reserve): “{third.title}”." in told.body.replace("\n", " ")
    assert f"/koszalin/officer/calls/{second.grant_call_id}/" in told.body
    # a proposal never granted: the officers are not written to
    other = Proposal.objects.create(
        city=second.city, grant_call=second.grant_call, author=resident, status=S.SUBMITTED
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_withdraw(actor=resident, proposal=other)
    assert [m for m in mailoutbox if m.to == [officer.email]] == []


def test_a_site_imported_as_being_revitalised_keeps_it_when_its_project_is_revoked(
    decided, officer, koszalin
):
    """A city's file listed the place as being revitalised (no project of ours set it, no
    audit event says so): revoking the only project for it leaves the condition alone."""
    from django.contrib.gis.geos import Point

    from sites.models import Site

    first = decided[0]
    site = Site.objects.create(city=koszalin, name="Lot", geom=Point(16.18, 54.19),
                               moderation="accepted", condition="being_revitalised")  # fmt: skip
    Proposal.objects.filter(pk=first.pk).update(site=site)
    grants.grant_revoke(actor=officer, proposal=first, reason="Agreement never signed.")
    site.refresh_from_db()
    assert site.condition == "being_revitalised"


def test_followers_of_a_proposal_not_granted_hear_of_a_grant_from_the_reserve(
    client, assessed, officer, supporters, koszalin, mailoutbox, settings,  # noqa: F811
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """A proposal not granted is not the last news while the reserve may still fund it: the
    follow stays (the e-mail says until when, with the stop link), a grant from the reserve
    is told, and the retention job ends the follows of what the reserve can no longer fund."""
    from django.utils.formats import date_format

    from mapapp.privacy import apply_retention
    from proposals.models import Follow

    first, second, third, fourth = assessed
    follower = supporters[0]
    follower.preferred_language = "en"
    follower.save(update_fields=["preferred_language"])
    following.follow(user=follower, proposal=third)
    following.follow(user=follower, proposal=fourth)
    with django_capture_on_commit_callbacks(execute=True):
        for p in (first, second):
            grants.proposal_decide(actor=officer, proposal=p, granted=True,
                                   amount=p.requested_amount)  # fmt: skip
        for p in (third, fourth):
            grants.proposal_decide(actor=officer, proposal=p, granted=False)
    told = [m for m in mailoutbox if m.to == [follower.email]]
    assert len(told) == 2
    days = settings.SUPPORTER_DATA_RETENTION_DAYS
    until = date_format(koszalin.local_date(timezone.now() + timedelta(days=days)))
    assert f"may still fund it from the money given back, until {until}:" in told[0].body
    assert "/stop-emails/" in told[0].body and "last e-mail about it: you no" not in told[0].body
    assert Follow.objects.filter(user=follower).count() == 2
    mailoutbox.clear()
    grants.grant_revoke(actor=officer, proposal=second, reason="Agreement never signed.")
    with django_capture_on_commit_callbacks(execute=True):
        grants.proposal_decide(actor=officer, proposal=third, granted=True, amount="30000")
    [told] = [m for m in mailoutbox if m.to == [follower.email]]
    assert told.subject == f"“{third.title}” is now: Granted"
    assert "The city decided to fund it." in told.body
    # the fourth may still be followed while the reserve may fund it, and its page says so
    newcomer = supporters[1]
    client.force_login(newcomer)
    page = client.get(f"/koszalin/proposals/{fourth.pk}/").content.decode()
    assert f"until {until} the city may still fund it" in page
    assert client.post(f"/koszalin/proposals/{fourth.pk}/follow/").status_code == 302
    assert Follow.objects.filter(user=newcomer, proposal=fourth).exists()
    assert (
        f"should the city still fund it, until {until}"
        in client.get(f"/koszalin/proposals/{fourth.pk}/").content.decode()
    )
    Follow.objects.filter(user=newcomer).delete()
    # the reserve closed for the fourth: its follow ends with the retention job, not before
    assert apply_retention()["follows"] == 0
    long_ago = timezone.now() - timedelta(days=settings.SUPPORTER_DATA_RETENTION_DAYS + 1)
    Proposal.objects.filter(pk=fourth.pk).update(decided_at=long_ago)
    assert apply_retention(dry_run=True)["follows"] == 1
    assert apply_retention()["follows"] == 1
    assert list(Follow.objects.filter(user=follower).values_list("proposal", flat=True)) == [
        third.pk
    ]
    with pytest.raises(ValidationError):  # nor can it be followed any more
        following.follow(user=newcomer, proposal=fourth)
    assert (
        "Follow this proposal"
        not in client.get(f"/koszalin/proposals/{fourth.pk}/").content.decode()
    )
    notice = english().get("/koszalin/privacy/").content.decode()
    assert f"not granted: {days} days after the decision, while money given back" in notice


def test_a_revocations_day_typed_wrong_is_corrected(client, decided, officer, resident, koszalin):
    """Officers correct the day a revocation was recorded for, with a reason: not in the
    future, not before the grant nor the step the proposal had reached; the history and the
    retention clock follow it; each refusal keeps what was typed."""
    first, second = decided[0], decided[1]
    today = koszalin.local_date()
    grants.grant_revoke(actor=officer, proposal=first, reason="Agreement never signed.")
    url = f"/koszalin/officer/proposals/{first.pk}/"
    client.force_login(officer)
    assert 'value="revocation_correct"' in client.get(url).content.decode()
    for form, said in (
        ({"revocation_corrected_on": (today - timedelta(2)).isoformat(),
          "revocation_reason_corrected": " "}, "Say why the revocation"),
        ({"revocation_corrected_on": today.isoformat(),
          "revocation_reason_corrected": "Typo"}, "revocation&#x27;s day already"),
        ({"revocation_corrected_on": (today + timedelta(1)).isoformat(),
          "revocation_reason_corrected": "Typo"}, "has not come yet"),
        ({"revocation_corrected_on": (today - timedelta(8)).isoformat(),
          "revocation_reason_corrected": "Typo"}, "before it was granted"),
    ):  # fmt: skip
        refused = client.post(url, {"action": "revocation_correct", **form})
        page = refused.content.decode()
        assert refused.status_code == 400 and said in page, form
        assert f'value="{form["revocation_corrected_on"]}"' in page  # what was typed
        first.refresh_from_db()
        assert koszalin.local_date(first.revoked_at) == today
    corrected = {"revocation_reason_corrected": "The board met on Monday.",
                 "revocation_corrected_on": (today - timedelta(3)).isoformat()}  # fmt: skip
    sent = client.post(url, {"action": "revocation_correct", **corrected})
    assert sent.status_code == 302
    first.refresh_from_db()
    assert koszalin.local_date(first.revoked_at) == today - timedelta(3)
    event = AuditEvent.objects.get(action="proposal.revocation_corrected")
    assert (event.before, event.after, event.note) == (
        {"revoked_on": str(today)},
        {"revoked_on": str(today - timedelta(3))},
        "The board met on Monday.",
    )
    steps = [(s["status"], koszalin.local_date(s["at"])) for s in status_timeline(proposal=first)]
    assert steps[-1] == ("revoked", today - timedelta(3))
    # not before the step the proposal had reached: its agreement, signed five days ago
    delivery.agreement_sign(actor=officer, proposal=second, signed_on=today - timedelta(5))
    second = grants.grant_revoke(actor=officer, proposal=second, reason="Works never began.")
    with pytest.raises(ValidationError) as exc:
        grants.revocation_correct(actor=officer, proposal=second,
                                  revoked_on=today - timedelta(6), reason="Typo")  # fmt: skip
    assert "before the step the proposal had reached then" in exc.value.messages[0]
    with pytest.raises(PermissionDenied):
        grants.revocation_correct(actor=resident, proposal=second, revoked_on=today, reason="x")
    with pytest.raises(ValidationError) as exc:  # only a revoked grant's
        grants.revocation_correct(actor=officer, proposal=decided[3], revoked_on=today,
                                  reason="x")  # fmt: skip
    assert exc.value.messages == [str(msg.REVOKE_CORRECT_TURN)]
