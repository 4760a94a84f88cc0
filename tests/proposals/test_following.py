"""Following a proposal: an opt-in, e-mails at its milestones in the follower's language, a
stop link that works without signing in, and nothing kept once it ends."""

import re

import pytest

from proposals.models import Follow, Proposal
from proposals.services import assessment, drafting, following
from tests.proposals.conftest import add_supporters, close_call, make_user

pytestmark = pytest.mark.django_db


def _mails_to(outbox, user):
    return [m for m in outbox if m.to == [user.email]]


def test_followers_hear_each_milestone_in_their_language_and_the_last_ends_it(
    client, collecting, resident, supporters, officer, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    polish, english = supporters[0], supporters[1]
    polish.preferred_language, english.preferred_language = "pl", "en"
    polish.save(update_fields=["preferred_language"])
    english.save(update_fields=["preferred_language"])
    # the first follows when supporting (the box is not ticked for anyone by default)
    client.force_login(polish)
    form = client.get(f"/koszalin/proposals/{collecting.pk}/support/").content.decode()
    assert 'name="follow"' in form and not re.search(r'name="follow"[^>]*checked', form)
    client.post(
        f"/koszalin/proposals/{collecting.pk}/support/",
        {"full_name": "Anna Nowak", "address": "Zwycięstwa 1", "age_confirmed": "on",
         "follow": "on"},
    )  # fmt: skip
    # the second from the proposal's page, without supporting
    client.force_login(english)
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "Follow this proposal" in page
    client.post(f"/koszalin/proposals/{collecting.pk}/follow/")
    client.post(f"/koszalin/proposals/{collecting.pk}/follow/")  # a double click: still one
    assert "Stop following" in client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert set(Follow.objects.values_list("user_id", flat=True)) == {polish.pk, english.pk}

    add_supporters(collecting, supporters[2:17])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_submit(actor=resident, proposal=collecting)
    [pl] = _mails_to(mailoutbox, polish)
    [en] = _mails_to(mailoutbox, english)
    assert "ma teraz status: Złożony" in pl.subject and collecting.title in pl.subject
    assert "komisja ekspertów" in pl.body
    assert en.subject == f"“{collecting.title}” is now: Submitted"
    assert f"/koszalin/proposals/{collecting.pk}/" in en.body
    [stop] = re.findall(r"https?://\S+/stop-emails/\S+/", en.body)
    assert stop != re.findall(r"https?://\S+/stop-emails/\S+/", pl.body)[0]  # each their own
    # the applicant gets their own e-mail, not a follower's
    [own] = _mails_to(mailoutbox, resident)
    assert "Twoja propozycja" in own.subject and "obserwowanej" not in own.body

    close_call(collecting.grant_call)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assessment.proposal_formal_check(
            actor=officer, proposal=collecting, eligible=False, reason="Not public land."
        )
    [pl] = _mails_to(mailoutbox, polish)
    [en] = _mails_to(mailoutbox, english)
    assert "does not meet the call's rules" in en.body
    assert "last e-mail" in en.body and "stop-emails" not in en.body
    assert not Follow.objects.exists()  # nothing more to tell: the follows are gone


def test_the_stop_link_asks_then_stops_only_that_persons_emails(client, collecting, supporters):
    a, b = supporters[0], supporters[1]
    following.follow(user=a, proposal=collecting)
    following.follow(user=b, proposal=collecting)
    token = following.stop_token(user_id=a.pk, proposal_id=collecting.pk)
    url = f"/koszalin/proposals/{collecting.pk}/stop-emails/{token}/"

    page = client.get(url)  # a mail scanner opening the link stops nothing
    assert page.status_code == 200 and "Stop these e-mails" in page.content.decode()
    assert Follow.objects.filter(user=a).exists()
    assert client.post(url).status_code == 200
    assert not Follow.objects.filter(user=a).exists()
    assert Follow.objects.filter(user=b).exists()

    other = Proposal.objects.create(
        city=collecting.city, grant_call=collecting.grant_call, author=collecting.author
    )
    for bad in (
        f"/koszalin/proposals/{other.pk}/stop-emails/{token}/",  # another proposal's page
        f"/koszalin/proposals/{collecting.pk}/stop-emails/{token[:-2]}xx/",  # tampered
    ):
        response = client.post(bad)
        assert response.status_code == 400, bad
        assert "This link is not valid" in response.content.decode()
    assert Follow.objects.filter(user=b).exists()


def test_who_may_follow(client, collecting, draft, resident, supporters, koszalin):
    from django.core.exceptions import ValidationError

    from proposals import messages as msg

    with pytest.raises(ValidationError) as own:
        following.follow(user=resident, proposal=collecting)
    assert own.value.messages == [str(msg.FOLLOW_OWN)]
    unconfirmed = make_user("unconfirmed@example.org", verified=False)
    with pytest.raises(ValidationError) as exc:
        following.follow(user=unconfirmed, proposal=collecting)
    assert exc.value.messages == [str(msg.FOLLOW_EMAIL_UNCONFIRMED)]
    client.force_login(unconfirmed)
    client.post(f"/koszalin/proposals/{collecting.pk}/follow/")
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "Confirm your e-mail address before following" in page
    assert not Follow.objects.exists()
    # someone else's draft is not there to follow
    other = make_user("other@example.org")
    client.force_login(other)
    second = Proposal.objects.create(city=koszalin, grant_call=collecting.grant_call, author=other)
    client.force_login(supporters[0])
    assert client.post(f"/koszalin/proposals/{second.pk}/follow/").status_code == 404
    # the author is not offered it; the public is offered to sign in
    client.force_login(resident)
    assert (
        "Follow this proposal"
        not in client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    )
    client.logout()  # and its language cookie: the page speaks Koszalin's Polish
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "Zaloguj się, aby obserwować" in page
    assert f"?next=/koszalin/proposals/{collecting.pk}/%23follow" in page


def test_who_follows_is_never_shown_and_is_the_persons_data(
    client, collecting, supporters, officer
):
    from mapapp.privacy import account_delete, user_data_export

    person = supporters[0]
    following.follow(user=person, proposal=collecting)
    for viewer in (None, officer):
        if viewer:
            client.force_login(viewer)
        page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
        assert person.email not in page
    exported = user_data_export(user=person)["following"]
    assert [f["proposal"] for f in exported] == [collecting.pk]
    account_delete(user=person)
    assert not Follow.objects.exists()


def test_my_proposals_lists_what_i_follow_with_a_way_to_stop(client, collecting, supporters):
    person = supporters[0]
    following.follow(user=person, proposal=collecting)
    client.force_login(person)
    page = client.get("/me/proposals/").content.decode()
    assert "Proposals you follow" in page and collecting.title in page
    response = client.post(
        f"/koszalin/proposals/{collecting.pk}/unfollow/", {"next": "/me/proposals/#following"}
    )
    assert response.status_code == 302 and response["Location"] == "/me/proposals/#following"
    assert not Follow.objects.exists()
    assert "Proposals you follow" not in client.get("/me/proposals/").content.decode()
    # an outside address in `next` is not followed
    following.follow(user=person, proposal=collecting)
    response = client.post(
        f"/koszalin/proposals/{collecting.pk}/unfollow/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/koszalin/proposals/{collecting.pk}/"


def test_a_proposal_hidden_after_a_report_tells_its_followers_nothing(
    collecting, resident, supporters, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    following.follow(user=supporters[0], proposal=collecting)
    add_supporters(collecting, supporters[1:16])
    Proposal.objects.filter(pk=collecting.pk).update(hidden_at=timezone.now())
    collecting.refresh_from_db()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert _mails_to(mailoutbox, supporters[0]) == []


def test_a_deactivated_account_is_told_nothing(
    collecting, resident, supporters, mailoutbox, django_capture_on_commit_callbacks
):
    """The city deactivated the account (abuse, a request): its follows stay, silent."""
    active, deactivated = supporters[0], supporters[1]
    following.follow(user=active, proposal=collecting)
    following.follow(user=deactivated, proposal=collecting)
    deactivated.is_active = False
    deactivated.save(update_fields=["is_active"])
    add_supporters(collecting, supporters[:15])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert len(_mails_to(mailoutbox, active)) == 1
    assert _mails_to(mailoutbox, deactivated) == []


def test_a_mail_clients_own_unsubscribe_button_stops_them(
    collecting, resident, supporters, mailoutbox, django_capture_on_commit_callbacks
):
    """RFC 8058: the stop link is also the List-Unsubscribe header, and the mail provider's
    one-click POST (no cookie, no CSRF token) is taken."""
    from django.test import Client

    person = supporters[0]
    following.follow(user=person, proposal=collecting)
    add_supporters(collecting, supporters[1:16])
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_submit(actor=resident, proposal=collecting)
    [sent] = _mails_to(mailoutbox, person)
    header = sent.extra_headers["List-Unsubscribe"]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [in_body] = re.findall(r"https?://\S+/stop-emails/\S+/", sent.body)
    assert header == f"<{in_body}>"
    provider = Client(enforce_csrf_checks=True)
    path = in_body.split("://", 1)[1].split("/", 1)[1]
    response = provider.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Follow.objects.exists()


def test_a_title_with_a_line_break_does_not_stop_its_emails(
    collecting, resident, supporters, mailoutbox, django_capture_on_commit_callbacks
):
    """A mail header cannot hold a line break, and a crafted form can put one in a title:
    the subject is written on one line instead of the e-mail failing for good."""
    Proposal.objects.filter(pk=collecting.pk).update(title="Benches\r\nBcc: victim@example.org")
    collecting.refresh_from_db()
    following.follow(user=supporters[0], proposal=collecting)
    add_supporters(collecting, supporters[1:16])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_submit(actor=resident, proposal=collecting)
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 2  # the applicant's and the follower's
    assert all("\n" not in s and "\r" not in s for s in subjects)
    assert all("Benches Bcc: victim@example.org" in s for s in subjects)
    assert all(m.bcc == [] and "victim@example.org" not in m.to for m in mailoutbox)
    from mapapp.models import OutgoingMail

    assert not OutgoingMail.objects.filter(failed_at__isnull=False).exists()
