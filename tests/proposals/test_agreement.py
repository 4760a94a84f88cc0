"""The grant agreement's record: the day it was signed (costs before it stand out), the city's
number for it and the signed copy, recorded and corrected by officers, read by the applicant;
refusals keep what was typed and chosen."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mapapp.models import AuditEvent
from proposals import messages as msg
from proposals.models import Proposal
from proposals.services import delivery
from tests.proposals.conftest import make_user
from tests.proposals.test_delivery import granted  # noqa: F401 - a fixture

S = Proposal.Status
PDF = b"%PDF-1.4 the agreement, signed"


def pdf(name="agreement.pdf", content=PDF):
    return SimpleUploadedFile(name, content, "application/pdf")


def stored(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def decided_days_ago(proposal, days):
    """The grant was decided `days` ago (test set-up: the decision's time moved back)."""
    Proposal.objects.filter(pk=proposal.pk).update(decided_at=timezone.now() - timedelta(days=days))
    proposal.refresh_from_db()
    return proposal.city.local_date(proposal.decided_at)


def _page(client, proposal):
    return client.get(f"/koszalin/officer/proposals/{proposal.pk}/").content.decode()


def test_officers_record_the_day_number_and_signed_copy(
    client,
    granted,  # noqa: F811
    officer,
    resident,
    koszalin,
):
    decided_on = decided_days_ago(granted, 10)
    signed_on = decided_on + timedelta(days=3)
    client.force_login(officer)
    assert 'value="agreement"' in _page(client, granted)
    sent = client.post(
        f"/koszalin/officer/proposals/{granted.pk}/",
        {"action": "agreement", "signed_on": signed_on.isoformat(), "reference": " UM/2026/17 ",
         "agreement_document": pdf()},
    )  # fmt: skip
    assert sent.status_code == 302
    granted.refresh_from_db()
    assert granted.status == S.AGREEMENT_SIGNED
    assert koszalin.local_date(granted.agreement_signed_at) == signed_on
    assert granted.agreement_reference == "UM/2026/17"
    assert stored(granted.agreement_document) == PDF
    page = _page(client, granted)
    assert "Agreement UM/2026/17, signed on" in page
    assert f"/koszalin/proposals/{granted.pk}/files/agreement/" in page
    event = AuditEvent.objects.filter(action="proposal.agreement_signed").latest("pk")
    assert event.after["agreement_reference"] == "UM/2026/17"
    assert "agreement.pdf" not in str(event.after)  # no file name (it may name a person)
    # the applicant reads it and downloads the copy; nobody else does
    client.force_login(resident)
    progress = client.get(f"/koszalin/proposals/{granted.pk}/progress/").content.decode()
    assert "Agreement UM/2026/17, signed on" in progress
    download = client.get(f"/koszalin/proposals/{granted.pk}/files/agreement/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Cache-Control"] == "private, no-store"
    client.force_login(make_user("stranger@example.org", city=koszalin))
    assert client.get(f"/koszalin/proposals/{granted.pk}/files/agreement/").status_code == 403


def test_today_by_default_and_the_copy_is_optional(granted, officer, koszalin):  # noqa: F811
    before = timezone.now()
    signed = delivery.agreement_sign(actor=officer, proposal=granted)
    assert signed.status == S.AGREEMENT_SIGNED
    assert before <= signed.agreement_signed_at <= timezone.now()  # the moment, not noon
    assert signed.agreement_reference == "" and not signed.agreement_document


@pytest.mark.parametrize(
    "case",
    ["future", "before_decision", "long_reference", "not_a_document", "unreadable_day"],
)
def test_a_refused_record_changes_nothing_and_keeps_what_was_sent(
    client,
    granted,  # noqa: F811
    officer,
    koszalin,
    case,
):
    decided_on = decided_days_ago(granted, 10)
    today = koszalin.local_date()
    form = {"action": "agreement", "signed_on": today.isoformat(), "reference": "UM/2026/17",
            "agreement_document": pdf("signed-by-both.pdf")}  # fmt: skip
    expected = {
        "future": (today + timedelta(days=1)).isoformat(),
        "before_decision": (decided_on - timedelta(days=1)).isoformat(),
        "unreadable_day": "28.11.2026",
    }
    if case in expected:
        form["signed_on"] = expected[case]
    if case == "long_reference":
        form["reference"] = "X" * 101
    if case == "not_a_document":
        form["agreement_document"] = SimpleUploadedFile("a.txt", b"plain text", "text/plain")
    client.force_login(officer)
    refused = client.post(f"/koszalin/officer/proposals/{granted.pk}/", form)
    assert refused.status_code == 400
    page = refused.content.decode()
    said = {
        "future": "An agreement is recorded once it is signed",
        "before_decision": "cannot be signed before the grant was decided",
        "long_reference": "An agreement number has at most 100 characters.",
        "not_a_document": "PDF",
        "unreadable_day": "Enter a date as YYYY-MM-DD.",
    }[case]
    assert said in page
    granted.refresh_from_db()
    assert granted.status == S.GRANTED and not granted.agreement_document
    assert granted.agreement_signed_at is None and granted.agreement_reference == ""
    if case == "long_reference":
        assert 'value="' + "X" * 101 + '"' in page  # what was typed stays
    if case != "not_a_document":  # the chosen copy is kept for the next try
        assert "Kept from your last try: signed-by-both.pdf" in page
        token = page.split('name="held_agreement" value="')[1].split('"')[0]
        again = client.post(
            f"/koszalin/officer/proposals/{granted.pk}/",
            {"action": "agreement", "signed_on": today.isoformat(), "reference": "UM/2026/17",
             "held_agreement": token},
        )  # fmt: skip
        assert again.status_code == 302
        granted.refresh_from_db()
        assert granted.status == S.AGREEMENT_SIGNED and stored(granted.agreement_document) == PDF


def test_a_correction_moves_the_day_and_the_expenses_marks_follow(
    client,
    granted,  # noqa: F811
    officer,
    resident,
    koszalin,
):
    decided_on = decided_days_ago(granted, 30)
    today = koszalin.local_date()
    delivery.agreement_sign(actor=officer, proposal=granted, reference="UM/1")  # today, wrongly
    delivery.works_start(actor=resident, proposal=granted)
    delivery.expense_add(
        actor=resident, proposal=granted, description="Timber", amount=Decimal("300"),
        spent_on=today - timedelta(days=5),
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 r", "application/pdf"),
    )  # fmt: skip
    client.force_login(officer)
    assert "before the agreement" in _page(client, granted)
    signed_on = decided_on + timedelta(days=7)  # the day it really was signed
    corrected = client.post(
        f"/koszalin/officer/proposals/{granted.pk}/",
        {"action": "agreement_correct", "signed_on": signed_on.isoformat(),
         "reference": "UM/2026/17", "agreement_document": pdf()},
    )  # fmt: skip
    assert corrected.status_code == 302
    granted.refresh_from_db()
    assert koszalin.local_date(granted.agreement_signed_at) == signed_on
    noon = datetime.combine(signed_on, datetime.min.time()).replace(hour=12)
    zone = ZoneInfo(koszalin.time_zone)
    assert granted.agreement_signed_at.astimezone(zone).replace(tzinfo=None) == noon
    assert granted.agreement_reference == "UM/2026/17" and stored(granted.agreement_document) == PDF
    page = _page(client, granted)
    assert "before the agreement" not in page and 'class="before-decision"' not in page
    event = AuditEvent.objects.get(action="proposal.agreement_corrected")
    assert event.before == {"signed_on": today.isoformat(), "reference": "UM/1"}
    assert event.after == {
        "signed_on": signed_on.isoformat(), "reference": "UM/2026/17", "document_replaced": True,
    }  # fmt: skip
    # the same again: nothing to correct
    with pytest.raises(ValidationError) as exc:
        delivery.agreement_correct(
            actor=officer, proposal=granted, signed_on=signed_on, reference="UM/2026/17"
        )
    assert exc.value.messages == [str(msg.AGREEMENT_UNCHANGED)]
    # a better scan replaces the first copy
    delivery.agreement_correct(
        actor=officer, proposal=granted, reference="UM/2026/17", document=pdf(content=b"%PDF-2")
    )
    granted.refresh_from_db()
    assert stored(granted.agreement_document) == b"%PDF-2"
    assert koszalin.local_date(granted.agreement_signed_at) == signed_on  # the day kept


def test_only_officers_and_only_in_turn(granted, officer, resident):  # noqa: F811
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        delivery.agreement_sign(actor=resident, proposal=granted)
    with pytest.raises(ValidationError):  # nothing recorded yet to correct
        delivery.agreement_correct(actor=officer, proposal=granted, reference="UM/1")
    delivery.agreement_sign(actor=officer, proposal=granted)
    with pytest.raises(ValidationError):  # recorded once
        delivery.agreement_sign(actor=officer, proposal=granted)
    with pytest.raises(PermissionDenied):
        delivery.agreement_correct(actor=resident, proposal=granted, reference="UM/1")
    Proposal.objects.filter(pk=granted.pk).update(status=S.SUSTAINABILITY)
    with pytest.raises(ValidationError):  # the works are over: the record stands
        delivery.agreement_correct(actor=officer, proposal=granted, reference="UM/2")


def test_the_signed_copy_ends_with_the_accounting_records(
    granted,  # noqa: F811
    officer,
    settings,
    django_capture_on_commit_callbacks,
):
    from mapapp.privacy import apply_retention

    signed = delivery.agreement_sign(actor=officer, proposal=granted, document=pdf())
    storage, name = signed.agreement_document.storage, signed.agreement_document.name
    today = granted.city.local_date()
    Proposal.objects.filter(pk=granted.pk).update(
        sustainability_ends_on=date(today.year - 6, 12, 31)
    )
    settings.WORKS_RECORDS_KEEP_YEARS = 5
    with django_capture_on_commit_callbacks(execute=True):
        done = apply_retention(today=today)
    assert done["agreements"] == 1
    granted.refresh_from_db()
    assert not granted.agreement_document and not storage.exists(name)
    assert granted.agreement_signed_at is not None  # the day stays


def test_the_applicant_is_told_the_grant_and_then_the_agreement(
    in_assessment, officer, committee, resident, mailoutbox, django_capture_on_commit_callbacks
):
    from proposals.services import grants
    from tests.proposals.conftest import run_rounds

    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    with django_capture_on_commit_callbacks(execute=True):
        grants.proposal_decide(actor=officer, proposal=in_assessment, granted=True, amount="15000")
    told = [m for m in mailoutbox if m.to == [resident.email]][-1]
    assert (
        "The city granted 15,000.00\u00a0PLN (you asked for 20,000.50\u00a0PLN). Next comes the "
        "grant agreement"
    ) in told.body.replace("\n", " ")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delivery.agreement_sign(actor=officer, proposal=in_assessment, reference="UM/2026/17")
    told = [m for m in mailoutbox if m.to == [resident.email]][-1]
    assert "The agreement UM/2026/17 was recorded as signed on" in told.body
    assert f"works page: http://127.0.0.1:8000/koszalin/proposals/{in_assessment.pk}/progress/" in (
        told.body
    )
