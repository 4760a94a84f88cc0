"""Officers correct and extend a call: its texts in every language at any time; its deadline
while it is open; its rules only before it opens; the committee's size until the assessment
begins. Each refusal says why and changes nothing; every change is audited."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mapapp.models import AuditEvent
from proposals import messages as msg
from proposals.models import GrantCall, Proposal
from proposals.services import calls, following
from tests.proposals.conftest import close_call, make_user, publish_another, submit_another

pytestmark = pytest.mark.django_db


def _form(client, call):
    """What the edit page offers, as a browser would post it back unchanged."""
    form = client.get(f"/koszalin/officer/calls/{call.pk}/edit/").context["form"]
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if name in ("opens_at", "closes_at"):  # in the city's time, as the input sends it
            local = timezone.localtime(getattr(call, name), ZoneInfo(call.city.time_zone))
            value = local.strftime("%Y-%m-%dT%H:%M")
        if value is True:
            value = "on"
        if value not in (None, False):
            data[name] = value
    return data


def test_the_texts_are_written_in_each_language_and_read_in_the_readers(
    client, officer, grant_call
):
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/calls/{grant_call.pk}/").content.decode()
    assert f"/koszalin/officer/calls/{grant_call.pk}/edit/" in page
    data = _form(client, grant_call)
    assert data["title_pl"] == "Tworzymy przestrzeń 2027" and data["title_en"]
    assert (
        "description_cs"
        in client.get(f"/koszalin/officer/calls/{grant_call.pk}/edit/").context["form"].fields
    )  # every language of settings.LANGUAGES
    data |= {"description_pl": "Małe granty na przestrzeń publiczną.",
             "description_cs": "Malé granty.", "description_en": "Small grants."}  # fmt: skip
    response = client.post(f"/koszalin/officer/calls/{grant_call.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    call = GrantCall.objects.get(pk=grant_call.pk)
    assert call.description["pl"] == "Małe granty na przestrzeń publiczną."
    event = AuditEvent.objects.get(action="call.update")
    assert event.actor == officer and event.after["description"]["cs"] == "Malé granty."

    client.cookies["django_language"] = "pl"
    public = client.get(f"/koszalin/calls/{grant_call.pk}/").content.decode()
    assert "Małe granty na przestrzeń publiczną." in public and "Small grants." not in public


def new_call_form(**changes) -> dict:
    """A new call's form as an officer fills it in, with `changes`."""
    return {
        "title_cs": "Tvoříme prostor 2028", "opens_at": "2028-03-01T00:00",
        "closes_at": "2028-05-31T23:59", "total_budget": "250000", "project_cap": "50000",
        "allow_individuals": "on", "min_supporters": "15", "supporter_min_age": "15",
        "rounds": "3", "sustainability_months": "24", "max_area_m2": "10000",
        "max_vertices": "300", **changes,
    }  # fmt: skip


def test_a_new_call_needs_a_title_in_one_language_any_of_them(client, officer, committee):
    client.force_login(officer)
    data = new_call_form(description_cs="Popis výzvy.")
    response = client.post("/koszalin/officer/calls/new/", data)
    assert response.status_code == 302
    call = GrantCall.objects.get(title__cs="Tvoříme prostor 2028")
    assert call.title == {"cs": "Tvoříme prostor 2028"}
    assert call.description == {"cs": "Popis výzvy."}

    response = client.post("/koszalin/officer/calls/new/", {**data, "title_cs": "  "})
    assert response.status_code == 400
    assert str(msg.CALL_TITLE_MISSING) in response.content.decode()
    # the dates the wrong way round: said in words, not as a database constraint's name
    response = client.post(
        "/koszalin/officer/calls/new/",
        {**data, "title_cs": "Zpět", "closes_at": "2028-02-01T00:00"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "The call must close after it opens." in text and "proposals_call_dates" not in text
    assert not GrantCall.objects.filter(title__cs="Zpět").exists()


def test_a_calls_budget_and_cap_are_read_as_people_type_amounts(client, officer, committee):
    """A call's budget and cap are typed as any amount ("500 000,00", "100 000 Kč"), in a
    text box (a number box refuses the space), refused in words when they read two ways,
    and shown back as the page's language writes them."""
    client.force_login(officer)
    client.cookies["django_language"] = "cs"
    data = new_call_form(title_cs="Tvoříme prostor 2029", opens_at="2029-03-01T00:00",
                         closes_at="2029-05-31T23:59", total_budget="500 000,00",
                         project_cap="100 000 Kč", committee_size="6")  # fmt: skip
    form = client.get("/koszalin/officer/calls/new/").content.decode()
    assert 'type="text" name="total_budget"' in form and 'inputmode="decimal"' in form
    refused = client.post("/koszalin/officer/calls/new/", {**data, "total_budget": "1.500"})
    assert refused.status_code == 400
    assert "lze číst dvojím způsobem" in refused.content.decode()  # said in Czech
    response = client.post("/koszalin/officer/calls/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    call = GrantCall.objects.get(title__cs="Tvoříme prostor 2029")
    assert (call.total_budget, call.project_cap) == (Decimal("500000.00"), Decimal("100000"))
    edit = client.get(f"/koszalin/officer/calls/{call.pk}/edit/").content.decode()
    assert 'name="total_budget" value="500000,00"' in edit
    # and saved unchanged, as shown
    response = client.post(f"/koszalin/officer/calls/{call.pk}/edit/",
                           {**data, "total_budget": "500000,00"})  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    assert GrantCall.objects.get(pk=call.pk).total_budget == Decimal("500000.00")


def test_what_each_phase_of_the_call_allows_to_change(officer, grant_call, collecting):
    call = grant_call  # open since yesterday, proposals gathering support
    keep = {"title": call.title, "description": {}}
    # the rules applicants rely on stay once it has opened
    with pytest.raises(ValidationError) as refused:
        calls.grant_call_update(
            actor=officer, grant_call=call, **keep, project_cap=Decimal("45000")
        )
    assert "per-project cap" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        calls.grant_call_update(
            actor=officer, grant_call=call, **keep, opens_at=call.opens_at - timedelta(days=1)
        )
    assert refused.value.messages == [str(msg.CALL_OPENS_LOCKED)]
    # unchanged values pass, and the deadline moves while it is open
    later = call.closes_at + timedelta(days=14)
    calls.grant_call_update(
        actor=officer, grant_call=call, **keep, project_cap=call.project_cap, closes_at=later
    )
    assert GrantCall.objects.get(pk=call.pk).closes_at == later
    # the committee's size: not below the members it has
    with pytest.raises(ValidationError) as refused:
        calls.grant_call_update(actor=officer, grant_call=call, **keep, committee_size=5)
    assert refused.value.messages == [str(msg.COMMITTEE_SIZE_BELOW) % {"have": 6}]

    # closed: the deadline stays
    GrantCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(hours=1))
    call.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        calls.grant_call_update(
            actor=officer, grant_call=call, **keep, closes_at=timezone.now() + timedelta(days=1)
        )
    assert refused.value.messages == [str(msg.CALL_CLOSES_LOCKED)]
    assert GrantCall.objects.get(pk=call.pk).closes_at < timezone.now()
    assert Proposal.objects.get(pk=collecting.pk).status == "collecting_support"


@pytest.fixture
def unopened(officer, koszalin):
    """A call that opens in ten days: all its rules may still change."""
    now = timezone.now()
    return calls.grant_call_create(
        actor=officer, city=koszalin, title={"pl": "Nabór 2028"},
        opens_at=now + timedelta(days=10), closes_at=now + timedelta(days=40),
        total_budget=Decimal("100000"), project_cap=Decimal("20000"),
    )  # fmt: skip


def test_before_it_opens_everything_changes(client, officer, committee, unopened):
    call = unopened
    client.force_login(officer)
    data = _form(client, call) | {"project_cap": "25000", "min_supporters": "20"}
    response = client.post(f"/koszalin/officer/calls/{call.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    call.refresh_from_db()
    assert (call.project_cap, call.min_supporters) == (Decimal("25000"), 20)
    # a cap over the budget: the form says so, nothing changes
    response = client.post(
        f"/koszalin/officer/calls/{call.pk}/edit/", {**data, "project_cap": "500000"}
    )
    assert response.status_code == 400
    assert "at most the total budget" in response.content.decode()
    call.refresh_from_db()
    assert call.project_cap == Decimal("25000")


def test_once_open_the_page_shows_the_rules_but_does_not_take_them(client, officer, grant_call):
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/calls/{grant_call.pk}/edit/")
    form = page.context["form"]
    assert form.fields["project_cap"].disabled and form.fields["opens_at"].disabled
    assert not form.fields["closes_at"].disabled and not form.fields["title_pl"].disabled
    data = _form(client, grant_call) | {"project_cap": "1", "title_en": "Renamed"}
    response = client.post(f"/koszalin/officer/calls/{grant_call.pk}/edit/", data)
    assert response.status_code == 302
    call = GrantCall.objects.get(pk=grant_call.pk)
    assert call.project_cap == grant_call.project_cap and call.title["en"] == "Renamed"


def test_only_the_citys_officers_edit_its_calls(client, resident, grant_call, ostrava):
    from mapapp.models import Role
    from tests.proposals.conftest import make_user

    other = make_user("ostrava-officer@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    for person in (resident, other):
        client.force_login(person)
        response = client.post(
            f"/koszalin/officer/calls/{grant_call.pk}/edit/", {"title_en": "Hijacked"}
        )
        assert response.status_code in (403, 404)
    assert "Hijacked" not in GrantCall.objects.get(pk=grant_call.pk).title.values()


def test_saving_the_texts_leaves_a_deadline_set_to_the_second_alone(client, officer, grant_call):
    """The page's time inputs show minutes: posting them back is not a change of deadline."""
    client.force_login(officer)
    data = _form(client, grant_call) | {"title_en": "Typo fixed"}
    assert client.post(f"/koszalin/officer/calls/{grant_call.pk}/edit/", data).status_code == 302
    call = GrantCall.objects.get(pk=grant_call.pk)
    assert call.closes_at == grant_call.closes_at  # to the microsecond, as it was
    event = AuditEvent.objects.get(action="call.update")
    assert "closes_at" not in event.after


def test_texts_in_a_language_the_site_no_longer_offers_are_kept(officer, grant_call):
    GrantCall.objects.filter(pk=grant_call.pk).update(
        description={"de": "Kleine Zuschüsse.", "demo": True, "en": "Old."}
    )
    call = GrantCall.objects.get(pk=grant_call.pk)
    calls.grant_call_update(
        actor=officer, grant_call=call, title={"en": "T", "pl": ""},
        description={"en": "New.", "cs": "  "},
    )  # fmt: skip
    call.refresh_from_db()
    assert call.description == {"de": "Kleine Zuschüsse.", "demo": True, "en": "New."}
    assert call.title == {"en": "T"}


def move_deadline(officer, grant_call, capture_on_commit):
    """The officer moves the call's deadline a week later; what follows the commit runs."""
    later = grant_call.closes_at + timedelta(days=7)
    with capture_on_commit(execute=True):
        calls.grant_call_update(
            actor=officer, grant_call=grant_call, title=grant_call.title, description={},
            closes_at=later,
        )  # fmt: skip
    return later


def test_applicants_still_to_submit_are_told_of_a_new_deadline(
    officer, grant_call, collecting, resident, submitted_elsewhere,
    mailoutbox, django_capture_on_commit_callbacks,
):  # fmt: skip
    resident.preferred_language = "pl"
    resident.save(update_fields=["preferred_language"])
    later = move_deadline(officer, grant_call, django_capture_on_commit_callbacks)
    told = [m for m in mailoutbox if "termin" in m.subject.lower()]
    assert [m.to for m in told] == [[resident.email]]  # not the one already submitted
    local = later.astimezone(ZoneInfo("Europe/Warsaw"))
    assert f"{local:%H:%M}" in told[0].body and "Koszalin" in told[0].body
    assert f"/koszalin/proposals/{collecting.pk}/edit/" in told[0].body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # texts only: nobody is told
        calls.grant_call_update(
            actor=officer, grant_call=grant_call, title={"en": "Renamed"}, description={}
        )
    assert mailoutbox == []


def test_followers_of_proposals_still_gathering_support_hear_of_a_new_deadline(
    officer, grant_call, collecting, supporters, submitted_elsewhere,
    mailoutbox, django_capture_on_commit_callbacks,
):  # fmt: skip
    """Their support ends with the call: they are told when, in their language, with the
    page and their own stop link; not of a submitted proposal, nor of a hidden one."""
    czech, of_submitted, of_hidden = (make_user(f"follower{i}@example.org") for i in range(3))
    czech.preferred_language = "cs"
    czech.save(update_fields=["preferred_language"])
    following.follow(user=czech, proposal=collecting)
    following.follow(user=of_submitted, proposal=submitted_elsewhere)
    hidden = publish_another(make_user("third@example.org"), grant_call, supporters, "Swings")
    following.follow(user=of_hidden, proposal=hidden)
    Proposal.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    later = move_deadline(officer, grant_call, django_capture_on_commit_callbacks)
    [told] = [m for m in mailoutbox if m.to == [czech.email]]
    assert told.subject.startswith("Nová uzávěrka")  # Czech
    local = later.astimezone(ZoneInfo("Europe/Warsaw"))
    assert f"{local.hour}:{local:%M}" in told.body  # Czech writes 0:02, not 00:02
    assert collecting.title in told.body
    assert f"/koszalin/proposals/{collecting.pk}/" in told.body
    assert "stop-emails" in told.extra_headers["List-Unsubscribe"]
    assert not [m for m in mailoutbox if m.to in ([of_submitted.email], [of_hidden.email])]


@pytest.fixture
def submitted_elsewhere(grant_call, supporters):
    """Another applicant's proposal of the same call, submitted already."""
    return submit_another(make_user("other-applicant@example.org"), grant_call, supporters)


def test_a_call_started_from_an_earlier_one_is_filled_in_and_then_as_typed(
    client, officer, grant_call, committee, ostrava
):
    """ "Start from an earlier call" fills the form in with its rules, description and
    committee; what the officer then sends is the new call's (a typed budget was once
    silently replaced by the copy's), and the earlier call's criteria come with it."""
    import re

    from proposals.models import Criterion

    GrantCall.objects.filter(pk=grant_call.pk).update(
        description={"en": "Last year's <text>."}, min_supporters=20, total_budget=Decimal("3e5")
    )
    Criterion.objects.filter(grant_call=grant_call, key="community").update(weight=Decimal("2"))
    calls.grant_call_set_committee(actor=officer, grant_call=grant_call, members=committee[:2])
    client.force_login(officer)
    url = "/koszalin/officer/calls/new/"
    empty = client.get(url).content.decode()
    assert 'id="copy-from"' in empty and 'id="copied-from"' not in empty
    page = client.get(url, {"copy_from": grant_call.pk}).content.decode()
    assert 'id="copied-from"' in page and "Its 5 assessment criteria come with it." in page
    assert 'name="min_supporters" value="20"' in page
    assert re.search(r'name="total_budget" value="300[ .,]?000', page)
    assert "Last year&#x27;s &lt;text&gt;.</textarea>" in page
    ticked = re.findall(r'name="committee" value="(\d+)" checked', page)
    assert sorted(map(int, ticked)) == sorted(m.pk for m in committee[:2])
    assert f'name="copy_from" value="{grant_call.pk}"' in page
    elsewhere = GrantCall.objects.create(  # another city's call is not offered
        city=ostrava, title={"en": "Theirs"}, opens_at=timezone.now(),
        closes_at=timezone.now() + timedelta(days=9), total_budget=1, project_cap=1,
    )  # fmt: skip
    assert client.get(url, {"copy_from": elsewhere.pk}).status_code == 404
    data = {
        "title_en": "Spaces 2029", "description_pl": "Nowy opis naboru.",
        "opens_at": "2029-03-01T00:00", "closes_at": "2029-05-31T23:59",
        "total_budget": "400000", "project_cap": "40000", "min_supporters": "15",
        "supporter_min_age": "15", "rounds": "2", "sustainability_months": "24",
        "max_area_m2": "5000", "max_vertices": "300", "copy_from": grant_call.pk,
        "committee": [committee[2].pk],
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    copied = GrantCall.objects.get(title__en="Spaces 2029")
    assert copied.description == {"pl": "Nowy opis naboru."}  # typed wins over the copy's
    assert (copied.total_budget, copied.min_supporters, copied.rounds) == (400000, 15, 2)
    assert copied.copied_from == grant_call
    assert [(c.key, c.weight) for c in copied.criteria.all()] == [
        (c.key, c.weight) for c in grant_call.criteria.all()
    ]
    assert list(copied.committee.all()) == [committee[2]]  # as ticked
    del data["description_pl"], data["committee"]
    data["title_en"] = "Spaces 2030"
    assert client.post(url, data).status_code == 302
    again = GrantCall.objects.get(title__en="Spaces 2030")
    assert again.description == {"en": "Last year's <text>."}  # none typed: the copy's
    assert not again.committee.exists()  # none ticked, none copied


def test_the_committee_is_chosen_on_the_calls_page_within_the_calls_rules(
    client, officer, committee, grant_call, resident, in_assessment
):
    """The officers' call page: the checked members become the committee (audited, before
    and after); more than the call's size, or a change while a round is open, is refused
    with the reason and changes nothing. Someone without the city's committee role is not
    taken even when a forged form names them."""
    from django.contrib.messages import get_messages

    from mapapp.models import Role
    from proposals.services import assessment

    client.force_login(officer)
    url = f"/koszalin/officer/calls/{grant_call.pk}/"
    five = committee[:5]
    saved = client.post(url, {"action": "committee",
                              "committee": [m.pk for m in five] + [resident.pk]})  # fmt: skip
    assert saved.status_code == 302
    assert set(grant_call.committee.all()) == set(five)
    event = AuditEvent.objects.filter(action="call.committee").latest("pk")
    assert len(event.before["committee"]) == 6 and len(event.after["committee"]) == 5
    assert resident.email not in event.after["committee"]

    seventh = make_user("member6@example.org", Role.COMMITTEE_MEMBER, city=grant_call.city)
    too_many = client.post(url, {"action": "committee",
                                 "committee": [m.pk for m in [*committee, seventh]]})  # fmt: skip
    assert too_many.status_code == 400  # the page again, the seven still ticked
    shown = too_many.content.decode()
    assert "The call&#x27;s committee has 6 members; 7 were chosen." in shown
    assert shown.count('" checked>') == 7
    for member in [*committee, seventh]:
        assert f'name="committee" value="{member.pk}" checked>' in shown
    assert set(grant_call.committee.all()) == set(five)
    again = client.get(url).content.decode()  # said once, not again on the next page
    assert "7 were chosen" not in again

    calls.grant_call_set_committee(actor=officer, grant_call=grant_call, members=committee)
    close_call(grant_call)
    assessment.round_open(actor=officer, grant_call=grant_call)
    during = client.post(url, {"action": "committee", "committee": [m.pk for m in five]})
    said = [str(m) for m in get_messages(during.wsgi_request)]
    assert said == [str(msg.COMMITTEE_ROUND_OPEN) % {"round": 1}]
    assert grant_call.committee.count() == 6


def test_a_committee_size_below_the_chosen_committee_is_refused_on_the_form(
    client, officer, committee, unopened
):
    """Before the call opens its committee's size may change, but not below the members
    already chosen: the form says so (400) and keeps what was typed."""
    call = unopened
    calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee)
    client.force_login(officer)
    data = _form(client, call) | {"committee_size": "5", "title_en": "Typed, not lost"}
    refused = client.post(f"/koszalin/officer/calls/{call.pk}/edit/", data)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert str(msg.COMMITTEE_SIZE_BELOW) % {"have": 6} in page
    assert 'value="Typed, not lost"' in page
    call.refresh_from_db()
    assert call.committee_size == 6 and "en" not in call.title
