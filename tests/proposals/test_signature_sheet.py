"""The signature sheet an applicant prints for neighbours who support on paper: the
proposal, the call's age rule, a row per supporter with the fields the online form asks,
whom their data goes to and for how long; only while support is open, and only for the
applicant and the city's officers."""

import pytest

from mapapp.models import Role
from mapapp.services import city_information_update
from proposals.views.applicant import SHEET_ROWS
from tests.proposals.conftest import close_call, make_user

pytestmark = pytest.mark.django_db


def sheet(client, proposal):
    return client.get(f"/koszalin/proposals/{proposal.pk}/sheet/")


def test_the_applicant_prints_a_sheet_with_the_calls_rule_and_the_citys_notice(
    client, collecting, resident, koszalin
):

    call = collecting.grant_call
    call.supporter_min_age = 16
    call.save(update_fields=["supporter_min_age"])
    city_information_update(actor=None, city=koszalin, data={
        "operator": {"en": "Koszalin City Hall"},
        "postal_address": "Rynek Staromiejski 6-7\n75-007 Koszalin",
    })  # fmt: skip
    client.force_login(resident)
    response = sheet(client, collecting)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Signature sheet: {collecting.title}" in body
    assert "confirm that I am 16 or older" in body
    assert body.count('<td class="n">') == SHEET_ROWS
    have = collecting.support_count
    assert (f"needs {call.min_supporters} supporters and has {have} so far. A sheet has "
            f"{SHEET_ROWS} rows: print as many sheets as you need") in body  # fmt: skip
    assert 'class="sheet-number"' in body  # to tell the copies apart
    assert f"/koszalin/proposals/{collecting.pk}/" in body  # where it is read about
    assert "Koszalin City Hall, Rynek Staromiejski 6-7<br>75-007 Koszalin" in body
    assert "go to Koszalin City Hall, which runs the programme" in body
    assert "erased 365 days after the city's final decision" in body
    assert "/koszalin/privacy/" in body
    # the proposal's page offers it to its applicant
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert f'href="/koszalin/proposals/{collecting.pk}/sheet/"' in page


def test_officers_print_it_for_residents_who_come_to_the_office(client, collecting, officer):
    client.force_login(officer)
    assert "confirm that I am" in sheet(client, collecting).content.decode()


def test_others_get_no_sheet(client, collecting, koszalin):
    neighbour = make_user("neighbour@example.org", Role.RESIDENT, city=koszalin)
    client.force_login(neighbour)
    assert sheet(client, collecting).status_code == 403
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "/sheet/" not in page
    client.logout()
    response = sheet(client, collecting)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_no_sheet_while_support_is_not_open(client, draft, resident, state):
    """A draft gathers no support yet; after the deadline a signature counts for nothing:
    the page says so instead of printing a sheet."""
    from proposals.services import drafting

    proposal = draft
    if state == "closed":
        proposal = drafting.proposal_publish(actor=resident, proposal=draft)
        close_call(proposal.grant_call)
    client.force_login(resident)
    response = sheet(client, proposal)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="sheet-closed"' in body and '<td class="n">' not in body
    page = client.get(f"/koszalin/proposals/{proposal.pk}/").content.decode()
    assert "/sheet/" not in page
