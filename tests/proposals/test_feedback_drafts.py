"""The officers write a round's feedback from what the committee wrote: they read the
committee's comments on the proposal's page, start the feedback from them, keep a draft on
the server (only officers see it) and release it when it is ready. A second officer's save
never silently replaces the first's: their page refuses, keeping both texts."""

import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mapapp.models import Role
from proposals import messages as msg
from proposals.models import Feedback, FeedbackDraft, Proposal
from proposals.services import assessment
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def between_rounds(in_assessment, officer, committee):
    """Round 1 held and closed; two members wrote comments, one scored without any."""
    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    criteria = list(call.criteria.all())
    for n, member in enumerate(committee):
        words = {0: "Who waters the <plants> in August?", 1: "A fine & cheap plan."}.get(n, "")
        assessment.scores_save(
            member=member,
            proposal=in_assessment,
            scores={c.pk: (3 + (n % 2), words if c == criteria[0] else "") for c in criteria},
        )
    assessment.round_close(actor=officer, grant_call=call)
    return in_assessment


def _box(page: str) -> tuple[str, str]:
    """The feedback box's text and the draft stamp the page sends back."""
    text = re.search(r'<textarea name="text" rows="8"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    seen = re.search(r'<input type="hidden" name="seen" value="([^"]*)">', page).group(1)
    return unescape(text), seen


def test_the_draft_is_kept_seen_by_officers_only_and_ends_with_the_release(
    between_rounds, officer, resident, client, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = between_rounds
    draft = assessment.feedback_draft_save(actor=officer, proposal=proposal, text="  Half done ")
    assert (draft.text, draft.round_number, draft.saved_by) == ("Half done", 1, officer)
    with pytest.raises(PermissionDenied):
        assessment.feedback_draft_save(actor=resident, proposal=proposal, text="mine")
    assert not mailoutbox  # a draft tells nobody
    for page in (f"/koszalin/proposals/{proposal.pk}/", f"/koszalin/me/proposals/{proposal.pk}/"):
        client.force_login(resident)
        assert "Half done" not in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assessment.feedback_release(actor=officer, proposal=proposal, text="Say who waters.")
    assert not FeedbackDraft.objects.exists()
    assert [m.to for m in mailoutbox] == [[resident.email]]
    # an empty save discards a draft
    assessment.feedback_draft_save(actor=officer, proposal=proposal, text="Corrections")
    assert assessment.feedback_draft_save(actor=officer, proposal=proposal, text=" ") is None
    assert not FeedbackDraft.objects.exists()


def test_a_draft_only_between_rounds(in_assessment, officer, committee):
    call = in_assessment.grant_call
    with pytest.raises(ValidationError):  # before the first round
        assessment.feedback_draft_save(actor=officer, proposal=in_assessment, text="Early")
    assessment.round_open(actor=officer, grant_call=call)
    with pytest.raises(ValidationError) as exc:  # while the committee scores
        assessment.feedback_draft_save(actor=officer, proposal=in_assessment, text="Early")
    assert "cannot be done" in exc.value.messages[0]
    assert not FeedbackDraft.objects.exists()


def test_the_officers_page_shows_the_comments_and_starts_the_feedback_from_them(
    between_rounds, officer, client
):
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{between_rounds.pk}/"
    page = client.get(url).content.decode()
    assert "The committee's comments in round 1" in page
    assert "member0@example.org (3/5):</span> Who waters the &lt;plants&gt; in August?" in page
    assert "member1@example.org (4/5):</span> A fine &amp; cheap plan." in page
    assert "member2@example.org (3/5)" not in page  # scored without a comment
    assert _box(page) == ("", "")
    typed = "Thank you for the proposal."
    composed = client.post(url, {"action": "feedback_compose", "text": typed, "seen": ""})
    assert composed.status_code == 200
    text, seen = _box(composed.content.decode())
    criterion = str(between_rounds.grant_call.criteria.first())
    assert text == (
        f"{typed}\n\n{criterion}:\n- Who waters the <plants> in August?\n- A fine & cheap plan."
    )  # what was typed kept, the comments after it, without who wrote them
    assert "member0" not in text and not FeedbackDraft.objects.exists()  # nothing saved yet
    saved = client.post(url, {"action": "feedback_draft", "text": text, "seen": seen})
    assert saved.status_code == 302
    page = client.get(url).content.decode()
    assert "Draft saved by officer@example.org" in page
    assert _box(page)[0] == text  # the box opens on the draft
    released = client.post(url, {"action": "feedback", "text": text, "seen": _box(page)[1]})
    assert released.status_code == 302
    assert Feedback.objects.get(proposal=between_rounds).text == text
    page = client.get(url).content.decode()
    assert _box(page) == (text, "")  # the released text, to correct
    assert "Released already" in page and "Draft saved by" not in page


def test_a_comment_of_several_paragraphs_stays_one_item_with_its_paragraphs(
    in_assessment, officer, committee
):
    from proposals.selectors import feedback_from_comments

    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    criteria = list(call.criteria.all())
    long = "Who waters it?\n\n  The rota   is\nmissing.\r\n\r\nAnd the bins."
    for n, member in enumerate(committee):
        assessment.scores_save(member=member, proposal=in_assessment, scores={
            c.pk: (3, long if n == 0 and c == criteria[0] else "") for c in criteria})  # fmt: skip
    assessment.round_close(actor=officer, grant_call=call)
    in_assessment.grant_call.refresh_from_db()  # its round closed
    assert feedback_from_comments(proposal=in_assessment) == (
        f"{criteria[0]}:\n- Who waters it?\n  The rota is missing.\n  And the bins."
    )


def test_a_second_officers_save_is_refused_and_nothing_is_lost(between_rounds, officer, client):
    other = make_user("second@example.org", Role.PROGRAMME_OFFICER, city=between_rounds.city)
    url = f"/koszalin/officer/proposals/{between_rounds.pk}/"
    client.force_login(officer)
    _text, seen_by_first = _box(client.get(url).content.decode())  # opened: no draft yet
    assessment.feedback_draft_save(actor=other, proposal=between_rounds, text="Theirs", seen="")
    for action in ("feedback_draft", "feedback"):
        refused = client.post(url, {"action": action, "text": "Mine", "seen": seen_by_first})
        assert refused.status_code == 400
        page = refused.content.decode()
        assert (
            str(msg.FEEDBACK_DRAFT_CHANGED % {"who": "second@example.org"}).replace("'", "&#x27;")
            in page
        )
        assert _box(page)[0] == "Mine"  # kept in the box
        assert re.search(r'<details class="saved-draft" open>.*?Theirs', page, re.S)
    assert FeedbackDraft.objects.get().text == "Theirs" and not Feedback.objects.exists()
    # from the page that showed theirs, the first officer's merged text goes through
    merged = client.post(url, {"action": "feedback_draft", "text": "Mine and theirs",
                               "seen": _box(page)[1]})  # fmt: skip
    assert merged.status_code == 302
    assert FeedbackDraft.objects.get().text == "Mine and theirs"
    # the other officer releases it meanwhile: the first's stale page is told so
    stale = _box(client.get(url).content.decode())[1]
    assessment.feedback_release(actor=other, proposal=between_rounds, text="Released", seen=stale)
    gone = client.post(url, {"action": "feedback_draft", "text": "Late", "seen": stale})
    assert gone.status_code == 400
    assert "released or discarded the draft" in gone.content.decode()
    assert not FeedbackDraft.objects.exists()


def test_a_draft_never_released_before_the_next_round_stays_on_the_officers_page(
    between_rounds, officer, client
):
    """The next round opened while a draft of the last one's feedback waited: it can no
    longer be released as it is, but what the officer wrote is shown, not lost."""
    call = between_rounds.grant_call
    assessment.feedback_draft_save(actor=officer, proposal=between_rounds,
                                   text="Ask who waters the <plants>.")  # fmt: skip
    url = f"/koszalin/officer/proposals/{between_rounds.pk}/"
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    assert "never released" not in client.get(url).content.decode()  # its own round still
    assessment.round_open(actor=officer, grant_call=call)
    assessment.round_close(actor=officer, grant_call=call)
    page = client.get(url).content.decode()
    kept = page[page.index('class="saved-draft unreleased-draft"') :]
    kept = kept[: kept.index("</details>")]
    assert "A draft of round 1's feedback was never released" in kept
    assert "Ask who waters the &lt;plants&gt;." in kept and "officer@example.org" in kept
    assert _box(page)[0] == ""  # round 2's box starts empty


def test_the_officers_page_says_why_a_member_stood_aside(
    between_rounds, committee, officer, client
):
    assessment.conflict_declare(member=committee[2], proposal=between_rounds,
                                reason="My <neighbour>'s garden")  # fmt: skip
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/proposals/{between_rounds.pk}/").content.decode()
    assert "member2@example.org (My &lt;neighbour&gt;&#x27;s garden)" in page


def test_the_applicant_revises_with_the_feedback_beside_the_form(
    in_assessment, officer, committee, resident, client
):
    from tests.proposals.conftest import score_all

    call = in_assessment.grant_call
    for n in (1, 2):
        assessment.round_open(actor=officer, grant_call=call)
        score_all(in_assessment, committee, 3)
        assessment.round_close(actor=officer, grant_call=call)
        assessment.feedback_release(actor=officer, proposal=in_assessment,
                                    text=f"After {n}: add a <watering> rota.")  # fmt: skip
    client.force_login(resident)
    page = client.get(f"/koszalin/proposals/{in_assessment.pk}/edit/").content.decode()
    newest = page.index('<div class="feedback"><h3>After round 2</h3>')
    older = page.index('<details class="feedback"><summary>After round 1</summary>')
    assert newest < older < page.index('id="proposal-form"')
    assert "After 2: add a &lt;watering&gt; rota." in page[newest:older]


def test_my_proposals_send_the_applicant_to_revise_once_the_feedback_is_out(
    between_rounds, officer, resident, client
):
    from proposals.models import Proposal
    from proposals.selectors import next_step

    proposal = Proposal.objects.get(pk=between_rounds.pk)  # its call as it is now
    assert next_step(proposal=proposal) is None  # the officers write the feedback
    assessment.feedback_release(actor=officer, proposal=proposal, text="Who waters?")
    step = next_step(proposal=Proposal.objects.get(pk=proposal.pk))
    assert step.url == f"/koszalin/proposals/{proposal.pk}/edit/"
    client.force_login(resident)
    client.cookies["django_language"] = "pl"
    page = client.get("/me/proposals/").content.decode()
    assert f'<td class="next-step"><a href="{step.url}">' in page


def test_the_next_step_of_a_draft_and_of_a_proposal_gathering_support(draft, resident, supporters):
    from django.utils import timezone
    from django.utils.formats import date_format

    from proposals.selectors import next_step
    from proposals.services import drafting
    from tests.proposals.conftest import add_supporters

    step = next_step(proposal=draft)
    assert (step.text, step.url) == ("Finish it and publish it to gather supporters",
                                     f"/koszalin/proposals/{draft.pk}/edit/")  # fmt: skip
    collecting = drafting.proposal_publish(actor=resident, proposal=draft)
    from zoneinfo import ZoneInfo

    local = timezone.localtime(collecting.grant_call.closes_at, ZoneInfo("Europe/Warsaw"))
    closes = date_format(local.date(), "SHORT_DATE_FORMAT")
    step = next_step(proposal=collecting)
    assert step.text == f"0 of 15 supporters; submit it by {closes}"
    assert step.url == f"/koszalin/proposals/{draft.pk}/"
    add_supporters(collecting, supporters[:15])
    assert next_step(proposal=collecting).text == f"Supported: submit it by {closes}"


def test_the_next_step_once_the_call_closed_before_the_proposal_was_submitted(
    collecting, supporters
):
    from proposals.selectors import next_step
    from tests.proposals.conftest import add_supporters, close_call

    add_supporters(collecting, supporters[:15])
    close_call(collecting.grant_call)  # and the job that expires it has not run yet
    step = next_step(proposal=collecting)
    assert step.text.startswith("The call closed on ") and "submit it" not in step.text
    assert step.url == f"/koszalin/proposals/{collecting.pk}/"


def test_the_officers_workspace_lists_what_waits_for_feedback(between_rounds, officer, client):
    from proposals.selectors import officer_waiting

    assert officer_waiting(city=between_rounds.city).feedback == [between_rounds]
    client.force_login(officer)
    page = client.get("/koszalin/officer/").content.decode()
    assert '<li id="waiting-feedback">1 proposal waits for the committee' in page
    assessment.feedback_release(actor=officer, proposal=between_rounds, text="Who waters?")
    assert officer_waiting(city=between_rounds.city).feedback == []


def test_the_call_page_warns_of_proposals_without_feedback_before_the_next_round(
    between_rounds, officer, client
):
    client.force_login(officer)
    url = f"/koszalin/officer/calls/{between_rounds.grant_call_id}/"
    page = client.get(url).content.decode()
    assert (
        '<p class="notice" id="feedback-missing">1 proposal has no feedback after round 1: its '
        "applicant cannot revise it before the next round. "
        f'<a href="/koszalin/officer/proposals/{between_rounds.pk}/">{between_rounds.title}</a>'
    ) in page
    assessment.feedback_release(actor=officer, proposal=between_rounds, text="Who waters?")
    assert 'id="feedback-missing"' not in client.get(url).content.decode()


def test_officers_and_the_committee_see_who_owns_the_land(in_assessment, officer, committee,
                                                          client):  # fmt: skip
    """The applicant says who owns the land; the officers check the consent against it and
    the committee weighs feasibility with it."""
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/proposals/{in_assessment.pk}/").content.decode()
    assert 'Landowner: <span id="landowner">The city</span>' in page
    assert "Landowner consent</a>" in page and "no consent uploaded" not in page
    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    client.force_login(committee[0])
    page = client.get(f"/koszalin/committee/proposals/{in_assessment.pk}/").content.decode()
    assert "Landowner: The city (consent given)" in page


def test_a_proposals_page_links_the_listed_site_it_would_revitalise(collecting, resident,
                                                                    client):  # fmt: skip
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from proposals.services import drafting
    from sites.models import Site

    site = Site.objects.create(city=collecting.city, name="Pond <corner>", moderation="accepted",
                               geom=Point(*collecting.geom.coords, srid=4326))  # fmt: skip
    drafting.proposal_save(actor=resident, proposal=collecting, fields={}, site=site)
    url = f"/koszalin/proposals/{collecting.pk}/"
    page = client.get(url).content.decode()
    assert (f'<p id="for-site">For the listed site: <a href="/koszalin/sites/{site.pk}/">'
            "Pond &lt;corner&gt;</a></p>") in page  # fmt: skip
    Site.objects.filter(pk=site.pk).update(hidden_at=timezone.now())  # hidden after a report
    assert 'id="for-site"' not in client.get(url).content.decode()


def test_the_decision_warns_of_the_last_rounds_feedback_left_a_draft(
    in_assessment, officer, committee, client
):
    """After the last round the page offers the feedback and the decision together: a
    feedback kept as a draft would never reach the applicant, so the decision says so."""
    from tests.proposals.conftest import run_rounds

    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{in_assessment.pk}/"
    page = client.get(url).content.decode()
    assert 'value="grant"' in page and 'id="draft-unreleased"' not in page
    assessment.feedback_draft_save(actor=officer, proposal=in_assessment, text="Well done.")
    page = client.get(url).content.decode()
    assert 'id="draft-unreleased"' in page and "the applicant has not received it" in page
    assessment.feedback_release(actor=officer, proposal=in_assessment, text="Well done.")
    assert 'id="draft-unreleased"' not in client.get(url).content.decode()


def test_the_last_rounds_feedback_after_the_decision_until_the_agreement(
    in_assessment, officer, committee, resident, client, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """A draft of the last round's feedback left when the city decided is not lost: it is
    still on the page and can be released (it says why, and helps the next call's
    proposal); once the agreement is signed the feedback is closed."""
    from proposals.services import delivery, grants
    from tests.proposals.conftest import run_rounds

    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 2)])
    assessment.feedback_draft_save(actor=officer, proposal=in_assessment, text="Too costly.")
    grants.proposal_decide(actor=officer, proposal=in_assessment, granted=False)
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{in_assessment.pk}/"
    page = client.get(url).content.decode()
    assert "Too costly." in page and 'value="feedback"' in page
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        released = client.post(url, {"action": "feedback", "text": "Too costly; try 2028.",
                                     "seen": _box(page)[1]})  # fmt: skip
    assert released.status_code == 302
    feedback = in_assessment.feedback.get(round_number=3)
    assert feedback.text == "Too costly; try 2028." and not FeedbackDraft.objects.exists()
    assert [m.to for m in mailoutbox] == [[resident.email]]
    assert "Too costly; try 2028." in mailoutbox[0].body
    assert (
        "Too costly; try 2028."
        in client.get(f"/koszalin/proposals/{in_assessment.pk}/").content.decode()
    )  # public, as every released feedback
    # a granted one, until its agreement is signed
    other = Proposal.objects.get(pk=in_assessment.pk)
    Proposal.objects.filter(pk=other.pk).update(status=Proposal.Status.GRANTED)
    assessment.feedback_release(actor=officer, proposal=other, text="Well planned.")
    delivery.agreement_sign(actor=officer, proposal=other)
    with pytest.raises(ValidationError):
        assessment.feedback_release(actor=officer, proposal=other, text="Later")
    assert 'value="feedback"' not in client.get(url).content.decode()
