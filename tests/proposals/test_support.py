"""Supporters: confirmed users, one per person, withdrawable while the call is open; paper
sheets checked against online supporters; names never public."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from proposals import messages as msg
from proposals.models import Support
from proposals.services import support
from tests.proposals.conftest import close_call, make_user


def add(proposal, user, name="Jana Nováková", address="Nádražní 5, Koszalin", age=True):
    return support.support_add(
        user=user, proposal=proposal, full_name=name, address=address, age_confirmed=age
    )


def test_one_support_per_person(collecting, supporters):
    add(collecting, supporters[0])
    with pytest.raises(ValidationError) as exc:
        add(collecting, supporters[0], name="Jana N.", address="Somewhere else 1")
    assert exc.value.messages == [str(msg.SUPPORT_DUPLICATE)]
    assert collecting.supports.count() == 1


def test_withdraw_and_support_again(collecting, supporters):
    add(collecting, supporters[0])
    support.support_withdraw(user=supporters[0], proposal=collecting)
    add(collecting, supporters[0])
    assert collecting.supports.filter(withdrawn_at__isnull=True).count() == 1
    assert collecting.supports.count() == 2  # the withdrawal stays on record


def test_stored_support_count_follows_adds_withdrawals_and_refusals(collecting, supporters):
    from proposals.models import Proposal

    def stored():
        return Proposal.objects.get(pk=collecting.pk).support_count

    for person in supporters[:3]:
        add(collecting, person, name=f"Person {person.pk}", address=f"Street {person.pk}, Koszalin")
    with pytest.raises(ValidationError):  # a duplicate counts nothing
        add(collecting, supporters[0], name="Other Name", address="Other 1, Koszalin")
    assert stored() == 3
    support.support_withdraw(user=supporters[1], proposal=collecting)
    assert stored() == 2 == collecting.supports.filter(withdrawn_at__isnull=True).count()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unconfirmed", msg.SUPPORT_EMAIL_UNCONFIRMED),
        ("own", msg.SUPPORT_OWN),
        ("under_age", "at least 15 years old"),
        ("draft", msg.SUPPORT_CLOSED),
        ("closed", msg.SUPPORT_CLOSED),
    ],
)
def test_support_refusals(collecting, draft, resident, koszalin, setup, expected):
    user = make_user("someone@example.org", city=koszalin, verified=setup != "unconfirmed")
    proposal = collecting
    if setup == "own":
        user = resident
    if setup == "closed":
        close_call(collecting.grant_call)
    with pytest.raises(ValidationError) as exc:
        if setup == "draft":
            from proposals.services import drafting

            other = drafting.proposal_create_draft(author=resident, grant_call=draft.grant_call)
            add(other, user)
        else:
            add(proposal, user, age=setup != "under_age")
    assert str(expected) in " ".join(exc.value.messages)
    assert not Support.objects.filter(user=user).exists()


def test_paper_supporter_matching_online_one_is_refused(collecting, supporters, officer):
    add(collecting, supporters[0], name="Jana Nováková", address="Nádražní 5, Koszalin")
    sheet = support.signature_sheet_upload(
        actor=officer,
        proposal=collecting,
        file=SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 sheet", "application/pdf"),
    )
    with pytest.raises(ValidationError) as exc:
        support.support_add_paper(
            actor=officer,
            sheet=sheet,
            full_name="JANA NOVAKOVA",
            address="nadrazni 5 koszalin",
            age_confirmed=True,
        )
    assert exc.value.messages == [str(msg.SUPPORT_DUPLICATE)]
    support.support_add_paper(
        actor=officer,
        sheet=sheet,
        full_name="Piotr Nowak",
        address="Zwycięstwa 10, Koszalin",
        age_confirmed=True,
    )
    assert collecting.supports.filter(source="paper").count() == 1


def test_only_officers_enter_paper_supporters(collecting, resident):
    with pytest.raises(PermissionDenied):
        support.signature_sheet_upload(
            actor=resident, proposal=collecting, file=SimpleUploadedFile("s.pdf", b"x")
        )


def test_supporters_are_not_public(client, collecting, supporters):
    add(collecting, supporters[0], name="Secret Person", address="Hidden Street 7")
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    api = client.get("/api/v1/koszalin/proposals/").content.decode()
    for body in (page, api):
        assert "Secret Person" not in body
        assert "Hidden Street" not in body
    import json

    assert json.loads(api)["features"][0]["properties"]["support_count"] == 1


def test_name_and_address_are_required(collecting, supporters):
    with pytest.raises(ValidationError) as exc:
        add(collecting, supporters[0], name=" ", address="x")
    assert set(exc.value.message_dict) == {"full_name", "address"}
    assert not collecting.supports.exists()


def test_officer_strikes_an_invalid_support_and_the_formal_check_counts_it(
    client, submitted, supporters, officer, resident
):
    """15 supports, the call's minimum. The officer finds one invalid and strikes it: it
    stops counting, is kept with the reason, and the proposal can no longer pass the formal
    check; the struck person cannot sign again."""
    from mapapp.models import AuditEvent
    from proposals.models import Proposal
    from proposals.services import assessment

    target = submitted.supports.get(user=supporters[3])
    with pytest.raises(PermissionDenied):
        support.support_strike(actor=resident, support=target, reason="Not a neighbour")
    with pytest.raises(ValidationError) as exc:
        support.support_strike(actor=officer, support=target, reason=" ")
    assert exc.value.message_dict == {"strike_reason": ["Say why this support does not count."]}

    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{submitted.pk}/"
    page = client.get(url).content.decode()
    assert "15 supports count; the call needs 15." in page
    assert "The formal check starts when the call closes" in page  # the call is open
    assert 'value="eligible"' not in page
    client.post(url, {"action": "strike", "support": target.pk,
                      "strike_reason": "No such address in the city register"})  # fmt: skip
    target.refresh_from_db()
    assert target.withdrawn_at and target.struck_by == officer
    assert target.strike_reason == "No such address in the city register"
    assert Proposal.objects.get(pk=submitted.pk).support_count == 14
    assert AuditEvent.objects.filter(action="support.strike", object_id=str(target.pk)).exists()
    with pytest.raises(ValidationError, match="no longer counts"):
        support.support_strike(actor=officer, support=target, reason="Again")

    with pytest.raises(ValidationError, match="An officer found an earlier support"):
        support.support_add(user=supporters[3], proposal=submitted, full_name="Another Name",
                            address="Elsewhere 5, Koszalin", age_confirmed=True)  # fmt: skip
    with pytest.raises(ValidationError, match="An officer found an earlier support"):
        support.support_add(user=supporters[15], proposal=submitted,
                            full_name="Neighbour Number 3",
                            address="Ulica Zwycięstwa 4, Koszalin", age_confirmed=True)  # fmt: skip

    close_call(submitted.grant_call)
    page = client.get(url).content.decode()
    assert "14 supports count; the call needs 15." in page
    assert "Only 14 supports count; the call needs 15." in page
    assert 'value="eligible"' not in page and 'value="ineligible"' in page
    assert "struck: No such address in the city register (officer@example.org)" in page
    with pytest.raises(ValidationError, match="Only 14 supports count"):
        assessment.proposal_formal_check(actor=officer, proposal=submitted, eligible=True)
    assessment.proposal_formal_check(
        actor=officer, proposal=submitted, eligible=False, reason="Too few valid supporters."
    )
    other = submitted.supports.get(user=supporters[4])
    with pytest.raises(ValidationError, match="cannot be done while"):
        support.support_strike(actor=officer, support=other, reason="Too late")


def test_a_support_struck_by_mistake_is_restored_until_the_formal_check(
    client, submitted, supporters, officer, resident
):
    """Struck, the proposal falls below the minimum; the officer restores the support from
    the supporters' table and it counts again (the audit keeps the strike's reason). Not a
    support the person withdrew, not by others, not once the formal check is made."""
    from mapapp.models import AuditEvent
    from proposals.models import Proposal
    from proposals.services import assessment

    target = submitted.supports.get(user=supporters[3])
    support.support_strike(actor=officer, support=target, reason="Looked like a duplicate")
    assert Proposal.objects.get(pk=submitted.pk).support_count == 14
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{submitted.pk}/"
    page = client.get(url).content.decode()
    assert 'value="restore"' in page and "14 supports count" in page
    with pytest.raises(PermissionDenied):
        support.support_restore(actor=resident, support=target)
    assert client.post(url, {"action": "restore", "support": target.pk}).status_code == 302
    target.refresh_from_db()
    assert target.withdrawn_at is None and target.struck_by is None and not target.strike_reason
    assert Proposal.objects.get(pk=submitted.pk).support_count == 15
    event = AuditEvent.objects.get(action="support.restore", object_id=str(target.pk))
    assert event.before == {"strike_reason": "Looked like a duplicate"} and event.actor == officer
    assert "15 supports count" in client.get(url).content.decode()
    again = client.post(url, {"action": "restore", "support": target.pk})  # counting: refused
    assert again.status_code == 400 and "Only a support an officer struck" in again.content.decode()
    support.support_withdraw(user=supporters[4], proposal=submitted)  # the person's own choice
    mine = submitted.supports.get(user=supporters[4])
    with pytest.raises(ValidationError, match="Only a support an officer struck"):
        support.support_restore(actor=officer, support=mine)
    support.support_strike(actor=officer, support=target, reason="A duplicate after all")
    close_call(submitted.grant_call)
    assessment.proposal_formal_check(
        actor=officer, proposal=submitted, eligible=False, reason="Too few valid supporters."
    )
    with pytest.raises(ValidationError, match="cannot be done while"):
        support.support_restore(actor=officer, support=target)
    assert 'value="restore"' not in client.get(url).content.decode()


def test_a_struck_supports_reason_is_the_persons_data(submitted, supporters, officer):
    from django.utils import timezone

    from mapapp.privacy import _erase_supports, user_data_export

    target = submitted.supports.get(user=supporters[0])
    support.support_strike(actor=officer, support=target, reason="Signed for Jan, aged 12")
    [mine] = user_data_export(user=supporters[0])["supports"]
    assert mine["struck"] is True and mine["strike_reason"] == "Signed for Jan, aged 12"
    _erase_supports(submitted.supports.all(), now=timezone.now())
    target.refresh_from_db()
    assert target.strike_reason == "" and target.struck_by == officer


def test_a_refused_officer_form_comes_back_with_what_was_typed(client, collecting, officer):
    """Officers' forms on a proposal (a paper supporter, a reason, feedback, a note) are
    shown again with what was typed, with the refusal, as a 400: nothing is lost."""
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{collecting.pk}/"
    pdf = SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 sheet", "application/pdf")
    assert client.post(url, {"action": "sheet", "file": pdf}).status_code == 302
    sheet = collecting.sheets.get()
    typed = {"full_name": "Zofia <Nowak>", "address": "Polna 7, Koszalin"}  # not old enough
    response = client.post(url, {"action": "paper_supporter", "sheet": sheet.pk, **typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Supporters must be at least 15 years old." in page
    assert 'value="Zofia &lt;Nowak&gt;"' in page and 'value="Polna 7, Koszalin"' in page
    assert not Support.objects.filter(proposal=collecting).exists()


def test_withdrawing_is_offered_only_while_it_can_be_done(client, collecting, supporters):
    """After the call closes a support can no longer be withdrawn: the page says that the
    person supports it instead of offering a button that would be refused."""
    from tests.proposals.conftest import add_supporters

    add_supporters(collecting, supporters[:1])
    client.force_login(supporters[0])
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "Withdraw my support" in page and "support-until" in page
    close_call(collecting.grant_call)
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "Withdraw my support" not in page and "support-until" not in page
    assert 'id="my-support"' in page and "You support this proposal." in page


def test_a_scan_with_too_many_pixels_is_refused_with_a_reason(client, collecting, officer):
    """A document that is an image of too many pixels (a decompression bomb, or a scan at too
    high a resolution) is refused with a message saying what to do, nothing stored; it
    answered 500 before (found by posting bad files to every upload form)."""
    import warnings

    from PIL import Image

    from tests.proposals.conftest import png_claiming

    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{collecting.pk}/"
    bomb = SimpleUploadedFile("sheet.png", png_claiming(30000, 30000), "image/png")
    response = client.post(url, {"action": "sheet", "file": bomb})
    assert response.status_code == 400
    assert "The scan has too many pixels (at most 89 megapixels)" in response.content.decode()
    assert not collecting.sheets.exists()
    from mapapp.files import DOCUMENT_MAX_PIXELS, check_document

    # above the limit but under twice it Pillow only warns when opening: refused all the same
    over = SimpleUploadedFile("s.png", png_claiming(10000, DOCUMENT_MAX_PIXELS // 10000 + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(ValidationError, match="too many pixels"):
            check_document(over)
    check_document(SimpleUploadedFile("a3.png", png_claiming(7016, 9921)))  # A3 at 600 dpi
