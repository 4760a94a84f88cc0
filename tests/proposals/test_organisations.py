"""NGOs apply through representatives the city verified: a person asks, an officer of the
city verifies it or refuses it with a reason, the person is told, and only then may they
propose in the organisation's name."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mapapp.models import AuditEvent, Role
from proposals import messages as msg
from proposals.models import Organisation, Proposal, Representative
from proposals.services import organisations
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db
REQUEST = {"name": "Stowarzyszenie Zielony Koszalin", "registration_number": "KRS 0000 123 456",
           "role": "Prezes zarządu"}  # fmt: skip


def test_a_person_asks_an_officer_verifies_and_the_person_proposes_for_the_ngo(
    client, resident, officer, grant_call, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    start = client.get("/koszalin/proposals/new/").content.decode()
    assert "/koszalin/organisations/request/" in start  # the way there from the start page
    response = client.post("/koszalin/organisations/request/", REQUEST)
    assert response.status_code == 302
    request = Representative.objects.get(user=resident)
    assert request.pending and request.organisation.registration_number == "KRS0000123456"
    page = client.get("/koszalin/organisations/request/").content.decode()
    assert "Waiting for the city" in page
    # asking twice: said, not doubled
    response = client.post(
        "/koszalin/organisations/request/", {**REQUEST, "registration_number": "krs0000123456"}
    )
    assert response.status_code == 400 and str(msg.ORG_ALREADY_WAITING) in response.content.decode()
    assert Representative.objects.count() == 1

    client.force_login(officer)
    home = client.get("/koszalin/officer/").content.decode()
    assert "1 request to represent an organisation waits" in home
    queue = client.get("/koszalin/officer/organisations/").content.decode()
    assert "Stowarzyszenie Zielony Koszalin" in queue and resident.email in queue
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/koszalin/officer/organisations/", {"request": request.pk, "action": "verify"})
    request.refresh_from_db()
    assert request.verified_at and request.verified_by == officer
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "Stowarzyszenie Zielony Koszalin" in told.subject and "/proposals/new/" in told.body
    assert AuditEvent.objects.filter(action="organisation.verify", actor=officer).exists()

    client.force_login(resident)
    response = client.post(
        "/koszalin/proposals/new/",
        {"grant_call": grant_call.pk, "applicant_kind": "ngo",
         "organisation": request.organisation_id},
    )  # fmt: skip
    assert response.status_code == 302
    proposal = Proposal.objects.get(author=resident)
    assert proposal.organisation_id == request.organisation_id


def test_a_refusal_says_why_and_the_person_may_ask_again(
    client, resident, officer, mailoutbox, django_capture_on_commit_callbacks
):
    request = organisations.representation_request(
        user=resident, city=officer.city_roles.first().city, **REQUEST
    )
    client.force_login(officer)
    # a refusal needs its reason
    client.post("/koszalin/officer/organisations/", {"request": request.pk, "action": "refuse"})
    request.refresh_from_db()
    assert request.pending
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/koszalin/officer/organisations/",
            {"request": request.pk, "action": "refuse",
             "reason": "Nie ma Pani w zarządzie według KRS."},
        )  # fmt: skip
    request.refresh_from_db()
    assert request.refused_at and request.verified_at is None
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "Nie ma Pani w zarządzie według KRS." in told.body
    # decided once
    with pytest.raises(ValidationError) as again:
        organisations.representation_decide(actor=officer, representative=request, verify=True)
    assert again.value.messages == [str(msg.ORG_NOT_PENDING)]

    client.force_login(resident)
    page = client.get("/koszalin/organisations/request/").content.decode()
    assert "Nie ma Pani w zarządzie według KRS." in page
    assert client.post("/koszalin/organisations/request/", REQUEST).status_code == 302
    request.refresh_from_db()
    assert request.pending and request.refusal_reason == ""


def test_who_may_decide_and_what_a_request_needs(resident, officer, koszalin, ostrava):
    with pytest.raises(ValidationError) as bad:
        organisations.representation_request(
            user=resident, city=koszalin, name=" ", registration_number="12"
        )
    assert set(bad.value.message_dict) == {"name", "registration_number"}
    unconfirmed = make_user("unconfirmed@example.org", verified=False)
    with pytest.raises(ValidationError) as exc:
        organisations.representation_request(user=unconfirmed, city=koszalin, **REQUEST)
    assert exc.value.messages == [str(msg.ORG_EMAIL_UNCONFIRMED)]

    request = organisations.representation_request(user=resident, city=koszalin, **REQUEST)
    ostrava_officer = make_user("o@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    with pytest.raises(PermissionDenied):
        organisations.representation_decide(
            actor=ostrava_officer, representative=request, verify=True
        )
    with pytest.raises(PermissionDenied):
        organisations.representation_decide(actor=resident, representative=request, verify=True)
    # a request names an existing organisation by its number; its name stays
    other = make_user("other@example.org")
    organisations.representation_request(
        user=other, city=koszalin, name="Zielony Koszalin (inna nazwa)",
        registration_number="krs 0000.123.456",
    )  # fmt: skip
    assert Organisation.objects.get().name == "Stowarzyszenie Zielony Koszalin"
    assert Representative.objects.filter(organisation__city=koszalin).count() == 2


def test_the_officers_digest_names_requests_waiting(
    resident, officer, koszalin, mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    organisations.representation_request(user=resident, city=koszalin, **REQUEST)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports")
    [digest] = [m for m in mailoutbox if m.to == [officer.email]]
    assert "/koszalin/officer/organisations/" in digest.body


def test_a_request_is_in_the_persons_data_export(resident, koszalin):
    from mapapp.privacy import user_data_export

    organisations.representation_request(user=resident, city=koszalin, **REQUEST)
    [item] = user_data_export(user=resident)["organisations"]
    assert item["role"] == "Prezes zarządu" and item["verified_at"] is None
    assert item["registration_number"] == "KRS0000123456"


def test_a_representative_who_left_is_revoked_and_cannot_propose_for_it(
    client, resident, officer, koszalin, grant_call
):
    request = organisations.representation_request(user=resident, city=koszalin, **REQUEST)
    organisations.representation_decide(actor=officer, representative=request, verify=True)
    client.force_login(officer)
    client.post("/koszalin/officer/organisations/", {"request": request.pk, "action": "revoke"})
    request.refresh_from_db()
    assert request.verified_at is not None  # a revocation needs its reason
    client.post(
        "/koszalin/officer/organisations/",
        {"request": request.pk, "action": "revoke", "reason": "Left the board in May."},
    )
    request.refresh_from_db()
    assert request.verified_at is None and request.refusal_reason == "Left the board in May."
    assert AuditEvent.objects.filter(action="organisation.revoke").exists()
    client.force_login(resident)
    client.post(
        "/koszalin/proposals/new/",
        {"grant_call": grant_call.pk, "applicant_kind": "ngo",
         "organisation": request.organisation_id},
    )  # fmt: skip
    assert not Proposal.objects.filter(organisation=request.organisation).exists()


@pytest.fixture
def verified(resident, officer, koszalin):
    """The resident, verified as the association's representative."""
    request = organisations.representation_request(user=resident, city=koszalin, **REQUEST)
    return organisations.representation_decide(actor=officer, representative=request, verify=True)


def test_the_officers_proposal_page_says_whether_the_author_still_represents_the_ngo(
    client, resident, officer, grant_call, verified
):
    from proposals.services import drafting

    proposal = drafting.proposal_create_draft(
        author=resident, grant_call=grant_call, applicant_kind="ngo",
        organisation=verified.organisation,
    )  # fmt: skip
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/proposals/{proposal.pk}/").content.decode()
    assert "KRS0000123456" in page and "verified representative since" in page
    organisations.representation_revoke(actor=officer, representative=verified, reason="Left.")
    page = client.get(f"/koszalin/officer/proposals/{proposal.pk}/").content.decode()
    assert "not a verified representative now" in page


def test_a_revoked_representative_cannot_submit_a_draft_in_the_ngos_name(
    resident, officer, grant_call, supporters, verified
):
    from proposals.services import drafting
    from tests.proposals.conftest import publish_another

    draft = publish_another(
        resident, grant_call, supporters, applicant_kind="ngo", organisation=verified.organisation
    )
    organisations.representation_revoke(actor=officer, representative=verified, reason="Left.")
    with pytest.raises(ValidationError) as refused:
        drafting.proposal_submit(actor=resident, proposal=draft)
    assert refused.value.messages == [str(msg.NGO_NOT_VERIFIED)]
    assert Proposal.objects.get(pk=draft.pk).status == "collecting_support"


@pytest.mark.parametrize(
    "country, given, stored",
    [
        ("PL", "KRS 0000 123 456", "KRS0000123456"),
        ("PL", "123456", "KRS0000123456"),  # as people write it, without the leading zeros
        ("PL", "NIP 123-456-32-18", "NIP1234563218"),
        ("PL", "PL1234563218", "NIP1234563218"),  # the EU VAT number is the NIP
        ("PL", "123456785", "REGON123456785"),
        ("PL", "REGON 12345678512347", "REGON12345678512347"),
        ("CZ", "IČO 00845451", "00845451"),  # the City of Ostrava
        ("CZ", "845451", "00845451"),
        ("CZ", "CZ00845451", "00845451"),
        ("", "Reg. 12/ab", "REG12AB"),  # a country without rules: letters and digits
        ("DE", "VR 1234", "VR1234"),
    ],
)
def test_a_number_is_stored_as_the_countrys_register_writes_it(country, given, stored):
    from mapapp.countries import registration_number

    assert registration_number(country, given) == stored


@pytest.mark.parametrize(
    "country, given, why",
    [
        ("PL", "1234563219", "is not a KRS number, NIP or REGON"),  # a NIP with a typo
        ("PL", "123456786", "is not a KRS number, NIP or REGON"),  # a REGON with a typo
        ("PL", "KRS 1234563218", "is not a KRS number, NIP or REGON"),  # a NIP called KRS
        ("PL", "REGON 1234563218", "is not a KRS number, NIP or REGON"),
        ("CZ", "00845452", "is not an IČO"),
        ("CZ", "123456789", "is not an IČO"),  # nine digits
        ("CZ", "KRS 845451", "is not an IČO"),
    ],
)
def test_a_typo_in_a_number_is_said_on_the_form(client, resident, koszalin, country, given, why):
    koszalin.country = country
    koszalin.save()  # city_get caches cities: saving clears it
    client.force_login(resident)
    posted = {**REQUEST, "registration_number": given}
    answer = client.post("/koszalin/organisations/request/", posted)
    page = answer.content.decode()
    assert answer.status_code == 400 and why in page and given in page
    assert not Organisation.objects.exists()


def test_one_organisation_however_its_number_is_written(resident, koszalin, client):
    koszalin.country = "PL"
    koszalin.save()
    first = organisations.representation_request(user=resident, city=koszalin, **REQUEST)
    other = make_user("other@example.org")
    second = organisations.representation_request(
        user=other, city=koszalin, name="Zielony Koszalin", registration_number="123456"
    )
    assert first.organisation_id == second.organisation_id
    # the officers' page links the country's register
    officer = make_user("urzednik@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    client.force_login(officer)
    page = client.get("/koszalin/officer/organisations/").content.decode()
    assert 'href="https://wyszukiwarka-krs.ms.gov.pl/"' in page and "KRS0000123456" in page


def test_numbers_recorded_before_are_brought_to_the_same_form(koszalin, ostrava):
    """The data migration: what the rules accept takes its form, unless another organisation
    of the city has that form already; what they refuse stays as it was."""
    from importlib import import_module

    from django.apps import apps

    koszalin.country, ostrava.country = "PL", "CZ"
    koszalin.save()
    ostrava.save()
    given = {
        (koszalin, "123456"): "KRS0000123456",
        (koszalin, "0000654321"): "0000654321",  # the next one has its form already
        (koszalin, "KRS0000654321"): "KRS0000654321",
        (koszalin, "DEMOKOSZALIN1"): "DEMOKOSZALIN1",  # refused by the rules
        (ostrava, "ICO845451"): "00845451",
    }
    made = {
        number: Organisation.objects.create(city=city, name=number, registration_number=number)
        for city, number in given
    }
    import_module("proposals.migrations.0018_registration_numbers_canonical").canonical(apps, None)
    assert {
        (o.city, o.name): o.registration_number
        for o in Organisation.objects.filter(pk__in=[o.pk for o in made.values()])
    } == given


def test_the_admin_checks_and_writes_the_number_as_the_request_does(admin_client, koszalin):
    koszalin.country = "PL"
    koszalin.save()
    form = {"name": "Zielony Koszalin", "city": koszalin.pk,
            "representatives-TOTAL_FORMS": "0", "representatives-INITIAL_FORMS": "0"}  # fmt: skip
    bad = admin_client.post("/admin/proposals/organisation/add/",
                            {**form, "registration_number": "1234563219"})  # fmt: skip
    assert bad.status_code == 200 and "is not a KRS number, NIP or REGON" in bad.content.decode()
    assert not Organisation.objects.exists()
    good = admin_client.post("/admin/proposals/organisation/add/",
                             {**form, "registration_number": "krs 123456"})  # fmt: skip
    assert good.status_code == 302
    assert Organisation.objects.get().registration_number == "KRS0000123456"
