"""Formal check, rounds, scores, conflicts of interest, feedback and revisions."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from proposals import messages as msg
from proposals.models import Proposal, Score
from proposals.selectors import proposals_for_committee, score_summary, version_diff
from proposals.services import assessment, drafting
from tests.proposals.conftest import RYNEK, close_call, score_all, square


def test_formal_check_waits_for_the_deadline(submitted, officer):
    with pytest.raises(ValidationError) as exc:
        assessment.proposal_formal_check(actor=officer, proposal=submitted, eligible=True)
    assert exc.value.messages == [str(msg.CALL_STILL_OPEN)]


def test_ineligible_needs_a_reason_the_applicant_sees(submitted, officer):
    close_call(submitted.grant_call)
    with pytest.raises(ValidationError):
        assessment.proposal_formal_check(actor=officer, proposal=submitted, eligible=False)
    proposal = assessment.proposal_formal_check(
        actor=officer, proposal=submitted, eligible=False, reason="The land is a private car park."
    )
    assert proposal.status == Proposal.Status.INELIGIBLE
    assert proposal.ineligible_reason == "The land is a private car park."


def test_the_formal_check_on_the_officers_page(client, submitted, officer):
    """The page's buttons: "ineligible" without a reason is refused (400, with the reason
    asked for, nothing changed); with one the applicant reads it; an unknown action is
    refused by name."""
    close_call(submitted.grant_call)
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{submitted.pk}/"
    refused = client.post(url, {"action": "ineligible", "reason": "  "})
    assert refused.status_code == 400
    assert str(msg.INELIGIBLE_REASON).replace("'", "&#x27;") in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Proposal.Status.SUBMITTED
    unknown = client.post(url, {"action": "approve-everything"})
    assert unknown.status_code == 400 and "Unknown action." in unknown.content.decode()
    done = client.post(url, {"action": "ineligible", "reason": "The land is a <car park>."})
    assert done.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Proposal.Status.INELIGIBLE
    public = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert "The land is a &lt;car park&gt;." in public


def test_a_formal_check_made_by_mistake_is_made_again_until_round_one(
    client, submitted, officer, supporters, mailoutbox, django_capture_on_commit_callbacks
):
    """Found ineligible by mistake: the officer reopens the check with a reason (refused
    without one, nothing changed); the proposal awaits the check again, its public page
    no longer says it was ineligible, the applicant is told why, and it can pass."""
    from mapapp.models import AuditEvent
    from proposals.services import following

    close_call(submitted.grant_call)
    following.follow(user=supporters[0], proposal=submitted)
    assessment.proposal_formal_check(
        actor=officer, proposal=submitted, eligible=False, reason="No landowner consent."
    )
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{submitted.pk}/"
    page = client.get(url).content.decode()
    assert "Found ineligible: No landowner consent." in page and 'value="reopen_check"' in page
    refused = client.post(url, {"action": "reopen_check", "reopen_reason": " "})
    assert refused.status_code == 400
    assert str(msg.REOPEN_REASON) in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Proposal.Status.INELIGIBLE
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"action": "reopen_check", "reopen_reason": "The consent came by post."}
        )
    assert done.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Proposal.Status.SUBMITTED and submitted.ineligible_reason == ""
    [told] = mailoutbox
    assert told.to == [submitted.author.email] and "The consent came by post." in told.body
    event = AuditEvent.objects.filter(action="proposal.submitted").latest("at")
    assert event.before == {"status": "ineligible"} and event.actor == officer
    public = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert "No landowner consent." not in public
    assert 'value="eligible"' in client.get(url).content.decode()  # the check, offered again
    again = assessment.proposal_formal_check(actor=officer, proposal=submitted, eligible=True)
    assert again.status == Proposal.Status.IN_ASSESSMENT


def test_a_passed_check_reopened_clears_its_date_and_spares_the_followers(
    in_assessment, officer, supporters, mailoutbox, django_capture_on_commit_callbacks
):
    from proposals.services import following

    following.follow(user=supporters[0], proposal=in_assessment)
    assert in_assessment.eligible_at is not None
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reopened = assessment.proposal_formal_check_reopen(
            actor=officer, proposal=in_assessment, reason="A support was struck wrongly."
        )
    assert reopened.status == Proposal.Status.SUBMITTED and reopened.eligible_at is None
    assert [m.to for m in mailoutbox] == [[in_assessment.author.email]]  # not the follower
    with pytest.raises(ValidationError) as exc:  # it awaits the check: nothing to reopen
        assessment.proposal_formal_check_reopen(actor=officer, proposal=reopened, reason="x")
    assert "submitted" in exc.value.messages[0].lower()


def test_the_formal_check_is_final_once_round_one_opens(client, in_assessment, officer, committee):
    with pytest.raises(PermissionDenied):
        assessment.proposal_formal_check_reopen(
            actor=committee[0], proposal=in_assessment, reason="I disagree."
        )
    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    with pytest.raises(ValidationError) as exc:
        assessment.proposal_formal_check_reopen(
            actor=officer, proposal=in_assessment, reason="Too late."
        )
    assert exc.value.messages == [str(msg.FORMAL_CHECK_FINAL)]
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/proposals/{in_assessment.pk}/").content.decode()
    assert 'value="reopen_check"' not in page
    in_assessment.refresh_from_db()
    assert in_assessment.status == Proposal.Status.IN_ASSESSMENT


def test_only_officers_do_the_formal_check(submitted, resident, committee):
    close_call(submitted.grant_call)
    for user in (resident, committee[0]):
        with pytest.raises(PermissionDenied):
            assessment.proposal_formal_check(actor=user, proposal=submitted, eligible=True)


def test_round_cannot_open_before_formal_checks(submitted, officer):
    close_call(submitted.grant_call)
    with pytest.raises(ValidationError) as exc:
        assessment.round_open(actor=officer, grant_call=submitted.grant_call)
    assert exc.value.messages == [str(msg.FORMAL_CHECK_PENDING) % {"count": 1}]


def test_scoring_only_in_an_open_round(in_assessment, committee):
    with pytest.raises(ValidationError) as exc:
        score_all(in_assessment, committee[:1], 4)
    assert exc.value.messages == [str(msg.ROUND_NOT_OPEN)]


def test_scores_weighted_average_and_spread(in_assessment, officer, committee):
    call = in_assessment.grant_call
    community = call.criteria.get(key="community")
    community.weight = 3
    community.save()
    assessment.round_open(actor=officer, grant_call=call)
    criteria = list(call.criteria.all())
    # member 0 gives 5 on community and 1 elsewhere: (3*5 + 4*1) / 7 = 19/7
    assessment.scores_save(
        member=committee[0],
        proposal=in_assessment,
        scores={c.pk: (5 if c.key == "community" else 1, "") for c in criteria},
    )
    score_all(in_assessment, committee[1:2], 4)
    summary = score_summary(proposal=in_assessment, round_number=1)
    assert summary.members["member0@example.org"] == pytest.approx(19 / 7)
    assert summary.members["member1@example.org"] == pytest.approx(4.0)
    assert summary.weighted == pytest.approx((19 / 7 + 4) / 2)
    assert summary.spread == pytest.approx(4 - 19 / 7)


def test_a_member_changes_their_sheet_within_the_round(in_assessment, officer, committee):
    """Saved again, a sheet replaces the member's scores of this round (one row a criterion,
    the new values and comments); another member's are left alone; the audit keeps what
    was replaced."""
    from mapapp.models import AuditEvent

    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    criteria = list(call.criteria.all())
    score_all(in_assessment, committee[:2], 2)
    first = {s.criterion_id: s.updated_at for s in Score.objects.filter(member=committee[0])}
    assessment.scores_save(
        member=committee[0],
        proposal=in_assessment,
        scores={c.pk: (4, f"  better {c.key}  ") for c in criteria},
    )
    mine = Score.objects.filter(member=committee[0], proposal=in_assessment, round_number=1)
    assert sorted(mine.values_list("criterion_id", "value", "comment")) == sorted(
        (c.pk, 4, f"better {c.key}") for c in criteria
    )
    assert all(s.updated_at > first[s.criterion_id] for s in mine)
    theirs = Score.objects.filter(member=committee[1])
    assert sorted(theirs.values_list("value", flat=True)) == [2] * len(criteria)
    event = AuditEvent.objects.filter(action="assessment.score", actor=committee[0]).latest("pk")
    assert event.before == {str(c.pk): 2 for c in criteria}
    assert event.after == {"round": 1, **{str(c.pk): 4 for c in criteria}}


def test_scores_must_cover_every_criterion_in_range(in_assessment, officer, committee):
    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    criteria = list(in_assessment.grant_call.criteria.all())
    with pytest.raises(ValidationError) as exc:
        assessment.scores_save(
            member=committee[0], proposal=in_assessment, scores={criteria[0].pk: (3, "")}
        )
    assert exc.value.messages == [str(msg.SCORE_INCOMPLETE)]
    with pytest.raises(ValidationError) as exc:
        assessment.scores_save(
            member=committee[0], proposal=in_assessment, scores={c.pk: (6, "") for c in criteria}
        )
    assert exc.value.messages == [str(msg.SCORE_RANGE)]
    assert not Score.objects.exists()


def test_conflicted_member_cannot_score_or_see(in_assessment, officer, committee):
    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    score_all(in_assessment, committee[:1], 3)
    assessment.conflict_declare(member=committee[0], proposal=in_assessment, reason="My neighbour")
    assert not Score.objects.filter(member=committee[0]).exists()
    with pytest.raises(ValidationError) as exc:
        score_all(in_assessment, committee[:1], 4)
    assert exc.value.messages == [str(msg.CONFLICTED)]
    assert in_assessment not in proposals_for_committee(member=committee[0], grant_call=call)
    assert in_assessment in proposals_for_committee(member=committee[1], grant_call=call)


def test_non_member_cannot_score(in_assessment, officer, resident):
    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    with pytest.raises(PermissionDenied):
        score_all(in_assessment, [resident], 5)


def test_revision_between_rounds_after_feedback(in_assessment, officer, committee, resident):
    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    score_all(in_assessment, committee, 3)
    # no revisions while the round is open
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_save(actor=resident, proposal=in_assessment, fields={"title": "v2"})
    assert exc.value.messages == [str(msg.REVISION_NOT_NOW)]
    assessment.round_close(actor=officer, grant_call=call)
    assessment.feedback_release(
        actor=officer, proposal=in_assessment, text="Say who waters the plants in August."
    )
    revised = drafting.proposal_save(
        actor=resident,
        proposal=in_assessment,
        fields={"maintenance_plan": "A rota of ten households, two of them in August."},
        budget_lines=[("Timber for raised beds", "12000"), ("Watering can set", "500")],
        area_geojson=json.dumps(square(RYNEK[0] + 0.0002, RYNEK[1], d_lon=0.0008)),
    )
    assert revised.version == 2
    v1, v2 = revised.versions.order_by("number")
    diff = version_diff(older=v1, newer=v2)
    assert list(diff.text) == ["maintenance_plan"]
    assert diff.budget_added == [{"item": "Watering can set", "amount": "500.00"}]
    assert diff.budget_removed == [{"item": "Soil and plants", "amount": "8000.50"}]
    assert diff.requested_after == 12500
    # the square moved east ~13 m and grew by a third
    assert diff.moved_m == pytest.approx(19.5, abs=4)
    assert diff.area_after_m2 == pytest.approx(diff.area_before_m2 * 4 / 3, rel=0.01)
    assert diff.area_changed_m2 > 0
    # after the next round opens, no more revisions
    assessment.round_open(actor=officer, grant_call=call)
    with pytest.raises(ValidationError):
        drafting.proposal_save(actor=resident, proposal=revised, fields={"title": "v3"})


def test_no_fourth_round(in_assessment, officer, committee):
    from tests.proposals.conftest import run_rounds

    call = run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    assert call.assessment_finished
    with pytest.raises(ValidationError) as exc:
        assessment.round_open(actor=officer, grant_call=call)
    assert exc.value.messages == [str(msg.NO_MORE_ROUNDS) % {"rounds": 3}]


def test_the_applicant_is_e_mailed_the_feedback_in_their_language(
    in_assessment, officer, committee, resident, mailoutbox, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.SITE_URL = "https://grants.example.org"
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    score_all(in_assessment, committee, 3)
    assessment.round_close(actor=officer, grant_call=call)
    mailoutbox.clear()
    text = "Say who waters the plants in August."
    for _ in range(2):  # released again unchanged: no second e-mail
        with django_capture_on_commit_callbacks(execute=True):
            assessment.feedback_release(actor=officer, proposal=in_assessment, text=text)
    [mail] = mailoutbox
    assert mail.to == [resident.email] and in_assessment.title in mail.subject
    assert text in mail.body and "until the next round opens" in mail.body
    assert f"https://grants.example.org/koszalin/proposals/{in_assessment.pk}/" in mail.body
    with django_capture_on_commit_callbacks(execute=True):  # corrected: told again
        assessment.feedback_release(actor=officer, proposal=in_assessment, text=text + " Thanks.")
    assert len(mailoutbox) == 2
    with pytest.raises(ValidationError) as exc:
        assessment.feedback_release(actor=officer, proposal=in_assessment, text="  ")
    assert exc.value.message_dict["text"] == [str(msg.FEEDBACK_EMPTY)]


def test_opening_a_round_tells_each_committee_member(
    in_assessment, officer, committee, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://grants.example.org"
    for member, language in ((committee[0], "cs"), (committee[1], "en")):
        member.preferred_language = language
        member.save(update_fields=["preferred_language"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in committee)
    by = {m.to[0]: m for m in mailoutbox}
    english, czech = by[committee[1].email], by[committee[0].email]
    assert english.subject == "Round 1 of “We Create Space 2027” is open for scoring"
    assert english.body.startswith("1 proposal waits for your scores.")
    assert "https://grants.example.org/koszalin/committee/" in english.body
    assert czech.subject.startswith("Kolo 1 výzvy")


def test_a_refused_score_sheet_comes_back_as_the_member_filled_it(
    client, in_assessment, officer, committee
):
    """Comments written for five criteria are not lost when the sheet is refused (here: one
    criterion left without a score, as a browser without validation would send it)."""
    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    member = committee[0]
    client.force_login(member)
    criteria = list(in_assessment.grant_call.criteria.all())
    form = {f"comment_{c.pk}": f"Note <b>{i}</b> on {c.key}" for i, c in enumerate(criteria)}
    form |= {f"score_{c.pk}": "4" for c in criteria[1:]}  # the first one forgotten
    url = f"/koszalin/committee/proposals/{in_assessment.pk}/"
    refused = client.post(url, form)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Score every criterion" in page
    for i, c in enumerate(criteria):
        assert f"Note &lt;b&gt;{i}&lt;/b&gt; on {c.key}</textarea>" in page
    assert page.count('value="4" checked') == len(criteria) - 1
    assert not Score.objects.filter(member=member).exists()


def test_a_member_scores_on_the_page_or_declares_a_conflict_there(
    client, in_assessment, officer, committee
):
    """The score sheet saved from the page; a member who declares a conflict of interest
    there has their scores of the proposal dropped, and a sheet sent from a page opened
    before is refused with the reason."""
    from proposals.models import ConflictOfInterest

    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    member = committee[0]
    client.force_login(member)
    client.cookies["django_language"] = "en"
    url = f"/koszalin/committee/proposals/{in_assessment.pk}/"
    criteria = list(in_assessment.grant_call.criteria.all())
    sheet = {f"score_{c.pk}": str(n % 6) for n, c in enumerate(criteria)}
    sheet |= {f"comment_{criteria[0].pk}": "Who waters it?"}
    saved = client.post(url, sheet)
    assert saved.status_code == 302 and saved["Location"] == "/koszalin/committee/"
    scores = {s.criterion_id: (s.value, s.comment) for s in Score.objects.filter(member=member)}
    assert scores[criteria[0].pk] == (0, "Who waters it?") and len(scores) == len(criteria)
    declared = client.post(url, {"action": "conflict", "reason": "My neighbour <applies>"})
    assert declared.status_code == 302
    conflict = ConflictOfInterest.objects.get(member=member, proposal=in_assessment)
    assert conflict.reason == "My neighbour <applies>"
    assert not Score.objects.filter(member=member).exists()  # they no longer count
    again = client.post(url, sheet)  # from the page opened before the declaration
    assert again.status_code == 400
    assert str(msg.CONFLICTED) in again.content.decode()
    assert not Score.objects.filter(member=member).exists()


def test_rounds_open_only_with_a_complete_committee_of_the_citys_members(
    client, in_assessment, officer, committee, resident, koszalin
):
    """The programme's committee has six members (per call: committee_size); a round opens
    only when it is complete, and only the city's committee members can sit on it."""
    from proposals.services import calls
    from tests.proposals.conftest import make_user

    call = in_assessment.grant_call
    calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee[:4])
    with pytest.raises(ValidationError, match="4 of its 6 members"):
        assessment.round_open(actor=officer, grant_call=call)
    with pytest.raises(ValidationError, match="Not committee members of this city: resident@"):
        calls.grant_call_set_committee(
            actor=officer, grant_call=call, members=[*committee[:4], resident]
        )
    seventh = make_user("member7@example.org", "committee_member", city=koszalin)
    with pytest.raises(ValidationError, match="has 6 members; 7 were chosen"):
        calls.grant_call_set_committee(
            actor=officer, grant_call=call, members=[*committee, seventh]
        )
    assert call.committee.count() == 4  # nothing half-saved

    client.force_login(officer)
    url = f"/koszalin/officer/calls/{call.pk}/"
    assert "4 of 6 members." in client.get(url).content.decode()
    client.post(url, {"action": "committee", "committee": [m.pk for m in committee]})
    assert call.committee.count() == 6
    assessment.round_open(actor=officer, grant_call=call)
    page = client.get(url).content.decode()
    assert "6 of 6 members." in page and 'value="committee"' not in page  # round open
    with pytest.raises(ValidationError, match="Round 1 is open"):
        calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee[:5])


def test_a_refused_committee_leaves_no_call_behind(client, officer, committee, koszalin):
    from django.utils import timezone

    from proposals.models import GrantCall

    client.force_login(officer)
    now = timezone.localtime()
    form = {
        "title_en": "Spaces 2028", "opens_at": (now).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timezone.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "total_budget": "100000", "project_cap": "20000", "allow_individuals": "on",
        "min_supporters": 15, "supporter_min_age": 15, "landowner_consent_required": "on",
        "rounds": 3, "committee_size": 3, "sustainability_months": 24, "max_area_m2": 10000,
        "max_vertices": 300, "committee": [m.pk for m in committee[:4]],
    }  # fmt: skip
    response = client.post("/koszalin/officer/calls/new/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "has 3 members; 4 were chosen" in page
    assert page.count('name="committee" value=') == 6 and page.count(" checked>") >= 4
    assert not GrantCall.objects.filter(title__en="Spaces 2028").exists()
    form["committee"] = [m.pk for m in committee[:3]]
    assert client.post("/koszalin/officer/calls/new/", form).status_code == 302
    assert GrantCall.objects.get(title__en="Spaces 2028").committee.count() == 3


def test_the_committee_reads_what_changed_in_words_and_amounts_of_the_page(
    client, in_assessment, officer, committee, resident
):
    """The revision's changes under the form's names for the texts (not the database's),
    removed and added lines marked, the budget's amounts as the page's language writes them."""
    call = in_assessment.grant_call
    assessment.round_open(actor=officer, grant_call=call)
    score_all(in_assessment, committee, 3)
    assessment.round_close(actor=officer, grant_call=call)
    assessment.feedback_release(actor=officer, proposal=in_assessment, text="Who waters?")
    drafting.proposal_save(
        actor=resident, proposal=in_assessment,
        fields={"maintenance_plan": "A rota of <ten> households."},
        budget_lines=[("Timber for raised beds", "12000"), ("Watering can set", "1500.5")],
    )  # fmt: skip
    assessment.round_open(actor=officer, grant_call=call)
    client.force_login(committee[0])
    client.cookies["django_language"] = "pl"
    page = client.get(f"/koszalin/committee/proposals/{in_assessment.pk}/").content.decode()
    diff = page[
        page.index('id="version-diff"') : page.index("</section>", page.index('id="version-diff"'))
    ]
    assert "<h3>Plan utrzymania</h3>" in diff and "maintenance_plan" not in diff
    assert "<ins>+ A rota of &lt;ten&gt; households.</ins>" in diff
    assert "<del>− " in diff and "@@" not in diff
    assert "+ Watering can set 1\u00a0500,50\u00a0zł" in diff


def test_the_committee_sees_the_proposals_photos(client, in_assessment, officer, committee):
    from proposals.services import delivery
    from tests.proposals.conftest import jpeg_upload

    photo = delivery.photo_add(actor=in_assessment.author, proposal=in_assessment, kind="before",
                               upload=jpeg_upload(), caption="The <corner> today")  # fmt: skip
    assessment.round_open(actor=officer, grant_call=in_assessment.grant_call)
    client.force_login(committee[0])
    page = client.get(f"/koszalin/committee/proposals/{in_assessment.pk}/").content.decode()
    assert f'<img src="{photo.thumbnail.url}" alt="Before: The &lt;corner&gt; today">' in page


def test_a_member_sees_their_own_score_and_comment_of_the_round_before(
    client, in_assessment, officer, committee
):
    """Three rounds of the same proposal: beside each criterion, what the member gave it and
    wrote the round before (not another member's), to see whether a revision answered it."""
    call = in_assessment.grant_call
    criteria = list(call.criteria.all())
    assessment.round_open(actor=officer, grant_call=call)
    for n, member in enumerate(committee):
        assessment.scores_save(member=member, proposal=in_assessment, scores={
            c.pk: (2 + n % 2, f"Member {n}: who <waters>?" if c == criteria[0] else "")
            for c in criteria})  # fmt: skip
    assessment.round_close(actor=officer, grant_call=call)
    assessment.round_open(actor=officer, grant_call=call)
    client.force_login(committee[1])
    page = client.get(f"/koszalin/committee/proposals/{in_assessment.pk}/").content.decode()
    assert page.count('class="hint previous-score"') == len(criteria)
    assert "Your score in round 1: 3/5. Member 1: who &lt;waters&gt;?" in page
    assert "Member 0:" not in page


def test_a_member_goes_from_one_score_sheet_to_the_next_still_to_score(
    client, submitted, resident, supporters, officer, committee
):
    """Saved, the sheet leads to the next proposal of the list the member has not scored
    this round (conflicts left out), then back to the list once none is left; the list
    says how many are scored."""
    from tests.proposals.conftest import submit_another

    call = submitted.grant_call
    benches = submit_another(resident, call, supporters, title="Benches")
    arbour = submit_another(resident, call, supporters, title="Arbour <wooden>")
    close_call(call)
    for p in (submitted, benches, arbour):
        assessment.proposal_formal_check(actor=officer, proposal=p, eligible=True)
    assessment.round_open(actor=officer, grant_call=call)
    member = committee[0]
    assessment.conflict_declare(member=member, proposal=arbour, reason="My brother's")
    client.force_login(member)
    criteria = list(call.criteria.all())
    sheet = {f"score_{c.pk}": "3" for c in criteria}
    listing = client.get("/koszalin/committee/").content.decode()
    assert "You have scored 0 of 2 proposals this round." in listing

    first = client.post(f"/koszalin/committee/proposals/{benches.pk}/", sheet, follow=True)
    assert first.redirect_chain == [(f"/koszalin/committee/proposals/{submitted.pk}/", 302)]
    assert "Scores saved." in first.content.decode()
    assert f"Next to score: “{submitted.title}”." in first.content.decode()
    last = client.post(f"/koszalin/committee/proposals/{submitted.pk}/", sheet, follow=True)
    assert last.redirect_chain == [("/koszalin/committee/", 302)]
    page = last.content.decode()
    assert "Scores saved." in page and "You have scored every proposal of this round." in page
    assert "You have scored 2 of 2 proposals this round." in page
    # scoring one again (a second thought) leads nowhere new: all are scored
    again = client.post(f"/koszalin/committee/proposals/{benches.pk}/", sheet)
    assert again["Location"] == "/koszalin/committee/"
    # none is next once the round closes (the list says no round is open)
    from proposals.selectors import next_to_score

    assessment.round_close(actor=officer, grant_call=call)
    assert next_to_score(member=committee[1], grant_call=call) is None
    assessment.round_open(actor=officer, grant_call=call)
    # another member declares a conflict on one: on to the first they still have to score
    client.force_login(committee[1])
    declared = client.post(f"/koszalin/committee/proposals/{benches.pk}/",
                           {"action": "conflict", "reason": "My street"})  # fmt: skip
    assert declared["Location"] == f"/koszalin/committee/proposals/{arbour.pk}/"
