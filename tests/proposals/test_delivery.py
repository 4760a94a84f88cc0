"""After the grant: agreement, works, expenses, completion with paired photos, sustainability,
maintenance reports, closing."""

import re
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from proposals import messages as msg
from proposals.models import Proposal
from proposals.selectors import overdue_reports
from proposals.services import delivery, grants
from tests.proposals.conftest import close_call, jpeg_upload, make_user, run_rounds

S = Proposal.Status


@pytest.fixture
def granted(in_assessment, officer, committee):
    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    return grants.proposal_decide(
        actor=officer, proposal=in_assessment, granted=True, amount="20000"
    )


@pytest.fixture
def in_progress(granted, officer, resident):
    delivery.agreement_sign(actor=officer, proposal=granted)
    return delivery.works_start(actor=resident, proposal=granted)


def in_sustainability(proposal, resident, officer):
    """Paired before/after photos, completion reported and accepted."""
    before = delivery.photo_add(
        actor=resident, proposal=proposal, kind="before", upload=jpeg_upload()
    )
    delivery.photo_add(
        actor=resident, proposal=proposal, kind="after", upload=jpeg_upload(), pair_of=before
    )
    delivery.completion_report(actor=resident, proposal=proposal)
    return delivery.completion_accept(actor=officer, proposal=proposal)


@pytest.mark.parametrize("language, separator", [("pl", ","), ("en", ".")])
def test_the_decision_form_offers_the_requested_amount_as_the_page_writes_it(
    client, in_assessment, officer, committee, language, separator
):
    """The granted amount is offered as the page's language writes amounts, and granted as
    offered when the officer sends it unchanged."""
    import re

    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    client.force_login(officer)
    client.cookies["django_language"] = language
    url = f"/koszalin/officer/proposals/{in_assessment.pk}/"
    page = client.get(url).content.decode()
    offered = re.search(r'<input name="amount" inputmode="decimal" value="([^"]*)"', page)
    requested = in_assessment.requested_amount  # 20000.50
    assert offered and offered.group(1) == f"{requested:.2f}".replace(".", separator)
    client.post(url, {"action": "grant", "amount": offered.group(1), "note": ""})
    in_assessment.refresh_from_db()
    assert in_assessment.status == S.GRANTED
    assert in_assessment.granted_amount == requested


def receipt():
    return SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")


def test_agreements_recorded_before_the_column_get_their_day_from_the_audit_log(
    in_progress,
):
    """Migration 0035: a project whose agreement was recorded before `agreement_signed_at`
    existed takes the day of its audit event; one already dated keeps its own."""
    import importlib

    from django.apps import apps

    from mapapp.models import AuditEvent

    migration = importlib.import_module("proposals.migrations.0035_proposal_agreement_signed_at")
    event = AuditEvent.objects.get(
        action="proposal.agreement_signed", object_id=str(in_progress.pk)
    )
    Proposal.objects.filter(pk=in_progress.pk).update(agreement_signed_at=None)
    migration.from_the_audit_log(apps, None)
    in_progress.refresh_from_db()
    assert in_progress.agreement_signed_at == event.at
    earlier = event.at - timedelta(days=40)
    Proposal.objects.filter(pk=in_progress.pk).update(agreement_signed_at=earlier)
    migration.from_the_audit_log(apps, None)  # run again: what is dated stays
    in_progress.refresh_from_db()
    assert in_progress.agreement_signed_at == earlier


def test_agreement_only_by_officer_and_in_turn(granted, resident, officer):
    with pytest.raises(PermissionDenied):
        delivery.agreement_sign(actor=resident, proposal=granted)
    with pytest.raises(ValidationError) as exc:
        delivery.works_start(actor=resident, proposal=granted)
    assert "Granted" in exc.value.messages[0]


def test_expenses_cannot_exceed_the_grant(in_progress, resident):
    delivery.expense_add(
        actor=resident,
        proposal=in_progress,
        description="Timber",
        amount=Decimal("15000"),
        spent_on=in_progress.city.local_date(),
        receipt=receipt(),
    )
    with pytest.raises(ValidationError) as exc:
        delivery.expense_add(
            actor=resident,
            proposal=in_progress,
            description="Soil",
            amount=Decimal("5000.01"),
            spent_on=in_progress.city.local_date(),
            receipt=receipt(),
        )
    assert exc.value.messages == [
        str(msg.EXPENSE_OVER_GRANT) % {"total": "20000.01", "granted": "20000.00"}
    ]
    assert in_progress.expenses.count() == 1


def test_milestones_and_work_days(in_progress, resident):
    m = delivery.milestone_add(
        actor=resident,
        proposal=in_progress,
        title="Beds built",
        due_on=in_progress.city.local_date() + timedelta(days=14),
    )
    delivery.milestone_done(actor=resident, milestone=m, done_on=in_progress.city.local_date())
    today = in_progress.city.local_date()
    delivery.work_day_add(
        actor=resident, proposal=in_progress, day=today, people=12, hours=Decimal("4.5")
    )
    assert in_progress.work_days.get().people == 12


def test_completion_needs_a_paired_after_photo(in_progress, resident, officer):
    with pytest.raises(ValidationError) as exc:
        delivery.completion_report(actor=resident, proposal=in_progress)
    assert exc.value.messages == [str(msg.AFTER_PHOTO_REQUIRED)]
    before = delivery.photo_add(
        actor=resident, proposal=in_progress, kind="before", upload=jpeg_upload(color="grey")
    )
    delivery.photo_add(
        actor=resident,
        proposal=in_progress,
        kind="after",
        upload=jpeg_upload(color="green"),
        pair_of=before,
    )
    done = delivery.completion_report(actor=resident, proposal=in_progress)
    assert done.status == S.COMPLETED
    accepted = delivery.completion_accept(actor=officer, proposal=done)
    assert accepted.status == S.SUSTAINABILITY
    start = accepted.city.local_date(accepted.completed_at)  # by its clocks
    assert accepted.sustainability_ends_on == delivery.add_months(start, 24)


def test_receipts_and_maintenance_reports_go_after_the_years_the_deployment_sets(
    client, in_progress, resident, officer, settings, django_capture_on_commit_callbacks
):
    """WORKS_RECORDS_KEEP_YEARS full calendar years after the year the sustainability period
    ended (accounting law's count), a project's receipts' files and maintenance reports'
    texts are erased; the amounts and dates stay; 0 (the default) keeps them."""
    from mapapp.models import AuditEvent
    from mapapp.privacy import ERASED, apply_retention

    expense = delivery.expense_add(
        actor=resident, proposal=in_progress, description="Timber", amount=Decimal("1200"),
        spent_on=in_progress.city.local_date(), receipt=receipt(),
    )  # fmt: skip
    proposal = in_sustainability(in_progress, resident, officer)
    report = delivery.maintenance_report_file(actor=resident, proposal=proposal, text="Mowed.")
    storage, name = expense.receipt.storage, expense.receipt.name
    today = proposal.city.local_date()
    client.force_login(officer)
    assert "accounting law requires" in client.get("/koszalin/privacy/").content.decode()

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return apply_retention(today=today, **kwargs)

    Proposal.objects.filter(pk=proposal.pk).update(
        sustainability_ends_on=date(today.year - 6, 12, 31)
    )
    assert run()["receipts"] == 0  # kept: no period set
    settings.WORKS_RECORDS_KEEP_YEARS = 5
    page = client.get("/koszalin/privacy/").content.decode()
    assert "erased 5 full calendar years after the year its sustainability period" in page
    Proposal.objects.filter(pk=proposal.pk).update(
        sustainability_ends_on=date(today.year - 5, 1, 1)
    )
    assert run()["receipts"] == 0  # within its fifth full year after: kept
    Proposal.objects.filter(pk=proposal.pk).update(
        sustainability_ends_on=date(today.year - 6, 12, 31)
    )
    due = run(dry_run=True)
    assert (due["receipts"], due["maintenance_reports"]) == (1, 1)
    assert storage.exists(name)
    done = run()
    assert (done["receipts"], done["maintenance_reports"]) == (1, 1)
    expense.refresh_from_db()
    report.refresh_from_db()
    assert not expense.receipt and not storage.exists(name) and expense.amount == Decimal("1200")
    assert report.text == ERASED and report.period == 1
    event = AuditEvent.objects.get(action="retention.works_records_erased")
    assert event.after == {"receipts": 1, "maintenance_reports": 1, "agreements": 0}
    assert run()["receipts"] == 0  # once

    page = client.get(f"/koszalin/officer/proposals/{proposal.pk}/")
    assert page.status_code == 200 and "Receipt erased (retention)" in page.content.decode()
    assert (
        client.get(f"/koszalin/proposals/{proposal.pk}/files/receipt/{expense.pk}/").status_code
        == 404
    )
    sheet = client.get(f"/koszalin/officer/calls/{proposal.grant_call_id}/expenses.csv")
    assert "Receipt erased (retention)" in sheet.content.decode()


def test_sustainability_reports_overdue_and_closing(in_progress, resident, officer, koszalin):
    proposal = in_sustainability(in_progress, resident, officer)
    dues = delivery.report_due_dates(proposal)
    assert len(dues) == 4
    # seven months on, the first report is overdue
    assert overdue_reports(city=koszalin, today=dues[0] + timedelta(days=30)) == [(proposal, 1)]
    delivery.maintenance_report_file(actor=resident, proposal=proposal, text="Weeded, repainted.")
    assert overdue_reports(city=koszalin, today=dues[0] + timedelta(days=30)) == []
    with pytest.raises(ValidationError) as exc:
        delivery.proposal_close(actor=officer, proposal=proposal, today=dues[2])
    assert "sustainability period ends on" in exc.value.messages[0]
    closed = delivery.proposal_close(actor=officer, proposal=proposal, today=dues[3])
    assert closed.status == S.CLOSED


def test_photo_metadata_is_stripped(draft, resident):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (54.0, 11.0, 25.0)}  # GPSInfo: latitude
    upload = jpeg_upload(exif=exif.tobytes())
    with Image.open(upload) as original:  # the test file really carries GPS data
        assert original.getexif().get_ifd(0x8825)
    photo = delivery.photo_add(actor=resident, proposal=draft, kind="before", upload=upload)
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_text_file_named_jpg_is_refused(draft, resident):
    fake = SimpleUploadedFile("photo.jpg", b"just some text", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        delivery.photo_add(actor=resident, proposal=draft, kind="before", upload=fake)
    assert "not a JPEG, PNG or WebP" in exc.value.messages[0]
    assert not draft.photos.exists()


def test_overdue_reports_are_mailed_to_officers(
    in_progress, resident, officer, mailoutbox, settings
):
    settings.SITE_URL = "https://grants.example.org"
    from django.core.management import call_command

    from proposals.models import Proposal as P

    officer.preferred_language = "en"  # Koszalin's own language is Polish
    officer.save(update_fields=["preferred_language"])
    in_sustainability(in_progress, resident, officer)
    # the works were completed seven months ago
    P.objects.filter(pk=in_progress.pk).update(completed_at=timezone.now() - timedelta(days=213))
    call_command("notify_overdue_reports")
    [digest] = [m for m in mailoutbox if m.to == ["officer@example.org"]]
    assert digest.subject == "[Koszalin] Waiting in the officers' workspace"
    assert "1 maintenance report is overdue:" in digest.body
    assert f"(#{in_progress.pk}), report 1" in digest.body
    link = f"https://grants.example.org/koszalin/officer/proposals/{in_progress.pk}/"
    assert link in digest.body


def test_officers_get_a_daily_digest_of_waiting_work_in_their_language(
    submitted, officer, koszalin, resident, mailoutbox, settings
):
    from django.core.management import call_command

    from mapapp.models import Flag
    from sites.models import Site
    from tests.proposals.conftest import make_user

    settings.SITE_URL = "https://grants.example.org"
    second = make_user("officer2@example.org", "programme_officer", city=koszalin)
    second.preferred_language = "cs"
    second.save(update_fields=["preferred_language"])
    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    close_call(submitted.grant_call)  # the formal check can start
    open_flags = Flag.objects.filter(state="open").count()  # the fixtures' supports burst
    Flag.objects.create(city=koszalin, target_type="proposal", target_id=submitted.pk,
                        reason="spam", flagged_by=resident)  # fmt: skip
    for name in ("Broken bench", "Dumped tyres"):
        Site.objects.create(city=koszalin, name=name, geom=submitted.geom, moderation="pending")
    call_command("notify_overdue_reports")
    by = {m.to[0]: m for m in mailoutbox}
    english = by["officer@example.org"].body
    site = "https://grants.example.org/koszalin"
    assert f"1 proposal waits for the formal check: {site}/officer/" in english
    flags = open_flags + 1
    reports = "report of content waits" if flags == 1 else "reports of content wait"
    assert f"{flags} {reports} for review: {site}/flags/" in english
    assert "2 neglected-site reports wait for moderation:" in english
    assert "overdue" not in english
    assert "The oldest has waited" not in english  # reported today: nothing to add
    assert by["officer2@example.org"].subject.startswith("[Koszalin] ")
    assert "formal check" not in by["officer2@example.org"].body  # in Czech
    # signed by the city in each one's language, as its other e-mails are
    assert f"How we treat your data: {site}/privacy/" in english
    assert f"{site}/privacy/" in by["officer2@example.org"].body
    assert "How we treat your data" not in by["officer2@example.org"].body
    # a report left for days: the digest says since when (the city's calendar)
    from datetime import datetime

    mailoutbox.clear()
    waited = datetime(2026, 11, 20, 23, 30, tzinfo=ZoneInfo("UTC"))  # the 21st in Koszalin
    Flag.objects.filter(reason="spam").update(created_at=waited)
    call_command("notify_overdue_reports")
    english = {m.to[0]: m for m in mailoutbox}["officer@example.org"].body
    assert "The oldest has waited since 21 November 2026." in english, english
    mailoutbox.clear()
    Flag.objects.update(state="dismissed")
    Site.objects.update(moderation="accepted")
    Proposal.objects.filter(pk=submitted.pk).update(status="in_assessment")
    call_command("notify_overdue_reports")
    assert mailoutbox == []  # nothing waits: no e-mail


def test_officers_page_lists_what_waits_where_the_digest_links(
    client, submitted, officer, koszalin, resident
):
    """The digest's "proposals wait for the formal check" link lands on the officers' page:
    it lists each of them with its link, and the reports waiting elsewhere."""
    from mapapp.models import Flag
    from proposals.services import assessment
    from sites.models import Site

    Flag.objects.update(state="dismissed")  # the fixtures' supports burst
    Site.objects.create(city=koszalin, name="Dumped tyres", geom=submitted.geom,
                        moderation="pending")  # fmt: skip
    Proposal.objects.filter(pk=submitted.pk).update(title="<b>Bench</b> by the pond")
    client.force_login(officer)
    page = client.get("/koszalin/officer/").content.decode()
    assert "formal check" not in page  # the call is open: not yet
    close_call(submitted.grant_call)
    page = client.get("/koszalin/officer/").content.decode()
    waiting = page[page.index('id="waiting"') : page.index("Grant calls")]
    assert "1 proposal waits for the formal check" in waiting
    assert f'href="/koszalin/officer/proposals/{submitted.pk}/"' in waiting
    assert "&lt;b&gt;Bench&lt;/b&gt; by the pond" in waiting  # escaped
    assert '<a href="/koszalin/sites/moderation/">1 neglected-site report waits' in waiting
    assert "/koszalin/flags/" not in waiting  # no open report of content

    Flag.objects.create(city=koszalin, target_type="proposal", target_id=submitted.pk,
                        reason="spam", flagged_by=resident)  # fmt: skip
    assessment.proposal_formal_check(actor=officer, proposal=submitted, eligible=True)
    page = client.get("/koszalin/officer/").content.decode()
    waiting = page[page.index('id="waiting"') : page.index("Grant calls")]
    assert "formal check" not in waiting
    assert '<a href="/koszalin/flags/">1 report of content waits for review</a>' in waiting
    assert 'id="flags-since"' in waiting  # since when, as the digest says

    Flag.objects.update(state="dismissed")
    Site.objects.update(moderation="accepted")
    page = client.get("/koszalin/officer/").content.decode()
    assert "Nothing waits" in page


def test_receipt_must_be_a_document(in_progress, resident):
    fake = SimpleUploadedFile("receipt.pdf", b"<html>not a receipt</html>", "application/pdf")
    with pytest.raises(ValidationError) as exc:
        delivery.expense_add(
            actor=resident,
            proposal=in_progress,
            description="Timber",
            amount=Decimal("10"),
            spent_on=in_progress.city.local_date(),
            receipt=fake,
        )
    assert "Upload a PDF, JPEG, PNG or WebP file." in exc.value.messages[0]
    assert not in_progress.expenses.exists()


def test_applicants_are_reminded_of_maintenance_reports_once_each(
    in_progress, resident, officer, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """A week before a report is due, and once when it is overdue; never twice, however
    often the daily job runs; not for a report already filed; in the applicant's language."""
    from django.core.management import call_command

    from proposals.models import Proposal as P
    from proposals.models import ReportReminder

    def daily_job():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("notify_overdue_reports")

    settings.SITE_URL = "https://grants.example.org"
    resident.preferred_language = "en"  # Koszalin's own language is Polish
    resident.save(update_fields=["preferred_language"])
    in_sustainability(in_progress, resident, officer)
    P.objects.filter(pk=in_progress.pk).update(completed_at=timezone.now() - timedelta(days=10))
    daily_job()
    applicant = [m for m in mailoutbox if m.to == [resident.email]]
    assert applicant == []  # the first report is due in about six months
    mailoutbox.clear()

    def completed(days_ago):
        P.objects.filter(pk=in_progress.pk).update(
            completed_at=timezone.now() - timedelta(days=days_ago)
        )
        return delivery.report_due_dates(P.objects.get(pk=in_progress.pk))[0]

    due = completed(days_ago=180)  # six months minus a few days: due within the week
    assert timezone.localdate() < due <= timezone.localdate() + timedelta(days=7)
    for _ in range(2):
        daily_job()
    [soon] = [m for m in mailoutbox if m.to == [resident.email]]  # (officers get a digest)
    assert "due on" in soon.subject
    assert f"https://grants.example.org/koszalin/proposals/{in_progress.pk}/progress/" in soon.body

    mailoutbox.clear()
    resident.preferred_language = "pl"
    resident.save(update_fields=["preferred_language"])
    completed(days_ago=200)  # now overdue: the applicant once, the officers every day
    for _ in range(2):
        daily_job()
    to_applicant = [m for m in mailoutbox if m.to == [resident.email]]
    assert len(to_applicant) == 1 and "zaległe" in to_applicant[0].subject.lower()
    assert sum(m.to == [officer.email] for m in mailoutbox) == 2
    assert set(ReportReminder.objects.values_list("period", "kind")) == {
        (1, "soon"), (1, "overdue")
    }  # fmt: skip

    mailoutbox.clear()
    delivery.maintenance_report_file(actor=resident, proposal=in_progress, text="Weeded.")
    completed(days_ago=200)
    daily_job()
    assert not [m for m in mailoutbox if m.to == [resident.email]]  # report 1 is filed


def test_officers_page_shows_the_oldest_checks_and_links_each_calls_list(
    client, submitted, officer
):
    """After a deadline a call may have hundreds of proposals waiting: the page lists the
    oldest twenty and links each call's page filtered to them, with their number."""
    from datetime import timedelta

    from django.utils import timezone

    from proposals.selectors import CHECKS_SHOWN

    start = timezone.now() - timedelta(days=3)
    for n in range(CHECKS_SHOWN + 4):
        Proposal.objects.create(
            city=submitted.city, grant_call=submitted.grant_call, author=submitted.author,
            status="submitted", title=f"Bench {n:02d}", geom=submitted.geom,
            submitted_at=start + timedelta(minutes=n),
        )  # fmt: skip
    close_call(submitted.grant_call)
    client.force_login(officer)
    page = client.get("/koszalin/officer/").content.decode()
    waiting = page[page.index('id="waiting"') : page.index("Grant calls")]
    total = CHECKS_SHOWN + 5  # with the fixture's own
    assert f"{total} proposals wait for the formal check" in waiting
    assert waiting.count('href="/koszalin/officer/proposals/') == CHECKS_SHOWN
    assert "Bench 00" in waiting and f"Bench {CHECKS_SHOWN - 1:02d}" in waiting  # the oldest
    assert f"Bench {CHECKS_SHOWN + 3:02d}" not in waiting
    call = submitted.grant_call
    link = f'href="/koszalin/officer/calls/{call.pk}/?status=submitted">{call.display_title}'
    assert f"{link} ({total})</a>" in waiting


def test_a_refused_expense_keeps_what_was_typed_and_the_receipt(client, in_progress, resident):
    """An expense over the grant is refused with the reason; the form comes back (400) with
    the description, amount and date as typed, and the receipt kept: correcting the amount
    and sending again stores it with that receipt, without choosing it again."""
    import re

    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    scan = b"%PDF-1.4 the shop's receipt no. 17"
    refused = client.post(url, {
        "action": "expense", "description": "Timber & screws", "amount": "20000.01",
        "spent_on": "2026-06-01",
        "receipt": SimpleUploadedFile("paragon.pdf", scan, "application/pdf"),
    })  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 400 and "20000.01" in page.split('class="messages')[1][:600]
    assert 'value="Timber &amp; screws"' in page and 'value="20000.01"' in page
    assert 'value="2026-06-01"' in page
    [token] = re.findall(r'name="held_receipt" value="([^"]+)" checked', page)
    assert "Kept from your last try: paragon.pdf" in page
    assert not in_progress.expenses.exists()

    saved = client.post(url, {"action": "expense", "description": "Timber & screws",
                              "amount": "19000", "spent_on": "2026-06-01",
                              "held_receipt": token})  # fmt: skip
    assert saved.status_code == 302
    expense = in_progress.expenses.get()
    with expense.receipt.open("rb") as stored:
        assert stored.read() == scan
    assert expense.receipt.name.endswith(".pdf")


def test_a_refused_maintenance_report_keeps_its_text(client, in_progress, resident, officer):
    done = in_sustainability(in_progress, resident, officer)
    for _period in delivery.report_due_dates(done):
        delivery.maintenance_report_file(actor=resident, proposal=done, text="Done.")
    client.force_login(resident)
    url = f"/koszalin/proposals/{done.pk}/progress/"
    text = "Mowed the meadow twice, repaired the bench's backrest <b>and</b> planted bulbs."
    # one report more than the period has: refused, and the text is not lost
    refused = client.post(url, {"action": "maintenance", "text": text})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Mowed the meadow twice, repaired the bench&#x27;s backrest &lt;b&gt;and" in page


def test_the_completion_note_reaches_the_officers_page(client, in_progress, resident, officer):
    """The applicant's note on reporting the works completed is shown, as text, where the
    officers accept it; the works page names its expenses' columns and says when there are
    none."""
    page = client
    page.force_login(resident)
    page.cookies["django_language"] = "en"
    works = page.get(f"/koszalin/proposals/{in_progress.pk}/progress/").content.decode()
    assert '<th scope="col">Expense</th>' in works and "No expenses recorded yet." in works
    assert "Completion</h2>" in works
    before = delivery.photo_add(actor=resident, proposal=in_progress, kind="before",
                                upload=jpeg_upload())  # fmt: skip
    delivery.photo_add(actor=resident, proposal=in_progress, kind="after",
                       upload=jpeg_upload(), pair_of=before)  # fmt: skip
    note = "Done; the <b>bench</b> paint dries until Friday."
    response = page.post(f"/koszalin/proposals/{in_progress.pk}/progress/",
                         {"action": "complete", "note": note})  # fmt: skip
    assert response.status_code == 302
    in_progress.refresh_from_db()
    assert in_progress.status == S.COMPLETED
    page.force_login(officer)
    shown = page.get(f"/koszalin/officer/proposals/{in_progress.pk}/").content.decode()
    assert "The applicant's note on the completion" in shown
    assert "the &lt;b&gt;bench&lt;/b&gt; paint" in shown and "<b>bench</b>" not in shown


def test_officers_see_the_works_and_which_maintenance_reports_are_filed_or_overdue(
    in_progress, resident, officer, client
):
    """The officers' digest links an overdue report to the proposal's page: there they read
    the milestones, volunteer days, photos and every report of the period, filed or not."""
    from proposals.models import Proposal as P

    delivery.milestone_add(actor=resident, proposal=in_progress, title="Beds <built>",
                           due_on=timezone.localdate() + timedelta(days=30))  # fmt: skip
    delivery.work_day_add(actor=resident, proposal=in_progress, day=timezone.localdate(),
                          people=4, hours=Decimal("2.5"))  # fmt: skip
    delivery.work_day_add(actor=resident, proposal=in_progress, day=timezone.localdate(),
                          people=2, hours=Decimal("3"))  # fmt: skip
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    url = f"/koszalin/officer/proposals/{in_progress.pk}/"
    page = client.get(url).content.decode()
    assert "Beds &lt;built&gt;" in page and 'id="maintenance-schedule"' not in page
    assert '<th scope="row">Volunteer hours</th><td></td><td class="num">16.0</td>' in page
    in_sustainability(in_progress, resident, officer)
    # completed thirteen months ago: reports 1 and 2 were due, report 1 is filed
    P.objects.filter(pk=in_progress.pk).update(completed_at=timezone.now() - timedelta(days=396))
    delivery.maintenance_report_file(actor=resident, proposal=in_progress, text="Weeded <all>.")
    page = client.get(url).content.decode()
    table = page[
        page.index('id="maintenance-schedule"') : page.index(
            "</table>", page.index('id="maintenance-schedule"')
        )
    ]
    rows = table.split("<tr")[2:]
    assert len(rows) == 4  # two years, every six months
    assert "Overdue" not in rows[0] and "not yet due" not in rows[0]  # filed, with its date
    assert 'class="overdue"' in rows[1] and "Overdue" in rows[1]
    assert all("not yet due" in row for row in rows[2:])
    assert "Report 1, filed" in page and "Weeded &lt;all&gt;." in page
    assert page.count('<img src="') >= 2  # the before and after photos


def test_the_completed_projects_page_shows_the_communitys_care_but_not_the_reports_texts(
    in_progress, resident, officer, client
):
    """The public page of a completed programme project lists its maintenance reports: when
    each is due, when it was filed and its photos (their captions escaped); never the
    reports' texts, written to the officers, which may name neighbours."""
    from mapapp.models import Flag, Role
    from proposals.models import GrantCall, Photo
    from proposals.models import Proposal as P
    from tests.proposals.conftest import make_user

    client.force_login(resident)
    client.cookies["django_language"] = "en"
    works = client.get(f"/koszalin/proposals/{in_progress.pk}/progress/").content.decode()
    assert "Photos and their captions are public" in works  # the applicant is told
    in_sustainability(in_progress, resident, officer)
    works = client.get(f"/koszalin/proposals/{in_progress.pk}/progress/").content.decode()
    assert "The text goes to the programme's officers only. The photos" in works
    done = P.objects.get(pk=in_progress.pk).intervention
    assert f'href="/koszalin/interventions/{done.pk}/#care" id="public-care"' in works
    client.logout()
    # completed thirteen months ago: reports 1 and 2 were due, report 1 is filed
    P.objects.filter(pk=in_progress.pk).update(completed_at=timezone.now() - timedelta(days=396))
    delivery.maintenance_report_file(actor=resident, proposal=in_progress,
                                     text="Jan Kowalski weeded <all>.",
                                     photos=[jpeg_upload()])  # fmt: skip
    Photo.objects.filter(kind="maintenance").update(caption="The <gate> mended")
    client.cookies["django_language"] = "en"
    page = client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    care = page[page.index('id="care"') : page.index("</section>", page.index('id="care"'))]
    assert "look after the project until" in care and "1 of 4 reports filed." in care
    reports = care.split('<li class="')[1:]
    assert [r.split('"')[0] for r in reports] == ["filed", "unfiled", "due", "due"]
    assert "Report 1, filed" in reports[0]
    assert 'alt="Maintenance photo, report 1: The &lt;gate&gt; mended"' in reports[0]
    assert "Report 2, due" in reports[1] and "Not filed." in reports[1]
    assert "Kowalski" not in page and "weeded" not in page
    # a photo that should not be public is reported from there, as the proposal's
    neighbour = make_user("neighbour@example.org", Role.RESIDENT, city=in_progress.city)
    client.force_login(neighbour)
    page = client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    care = page[page.index('id="care"') : page.index("</section>", page.index('id="care"'))]
    assert f'name="target_id" value="{in_progress.pk}"' in care
    here = f"/koszalin/interventions/{done.pk}/"
    flagged = client.post("/koszalin/flag/", {"target_type": "proposal", "next": here,
                                               "target_id": in_progress.pk,
                                               "reason": "personal_data"})  # fmt: skip
    assert flagged.status_code == 302 and flagged["Location"].endswith(here)
    assert Flag.objects.filter(target_type="proposal", target_id=in_progress.pk,
                               flagged_by=neighbour).exists()  # fmt: skip
    client.logout()
    # a sustainability period too short for a report: nothing to show
    GrantCall.objects.filter(pk=in_progress.grant_call_id).update(sustainability_months=5)
    Photo.objects.filter(kind="maintenance").delete()
    in_progress.maintenance_reports.all().delete()
    page = client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    assert 'id="care"' not in page and done.title in page
    GrantCall.objects.filter(pk=in_progress.grant_call_id).update(sustainability_months=24)
    assert 'id="care"' in client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    # a proposal hidden after a report shows nothing of it; the project stays
    P.objects.filter(pk=in_progress.pk).update(hidden_at=timezone.now())
    page = client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    assert 'id="care"' not in page and done.title in page


def test_the_officers_follow_every_project_in_its_sustainability_period(
    in_progress, resident, officer, client, django_assert_num_queries
):
    """The officers' page lists the projects in their two years of care, the soonest to end
    first: reports filed of those the period asks for, the next one's date, marked when it
    has passed."""
    from proposals.models import Proposal as P
    from proposals.selectors import sustainability_overview

    client.force_login(officer)
    client.cookies["django_language"] = "en"
    assert 'id="in-care"' not in client.get("/koszalin/officer/").content.decode()
    in_sustainability(in_progress, resident, officer)
    # completed thirteen months ago: reports 1 and 2 were due, report 1 is filed
    P.objects.filter(pk=in_progress.pk).update(completed_at=timezone.now() - timedelta(days=396))
    delivery.maintenance_report_file(actor=resident, proposal=in_progress, text="Weeded.")
    with django_assert_num_queries(1):  # however many projects
        row = sustainability_overview(city=in_progress.city)[0]
    assert (row.proposal.pk, row.filed, row.reports, row.overdue) == (in_progress.pk, 1, 4, True)
    page = client.get("/koszalin/officer/").content.decode()
    table = page[page.index('id="in-care"') : page.index("</table>", page.index('id="in-care"'))]
    assert '<tr class="overdue">' in table and ">1 / 4<" in table and "Overdue" in table
    for _period in range(3):
        delivery.maintenance_report_file(actor=resident, proposal=in_progress, text="Kept.")
    page = client.get("/koszalin/officer/").content.decode()
    table = page[page.index('id="in-care"') : page.index("</table>", page.index('id="in-care"'))]
    assert ">4 / 4<" in table and "All filed" in table and "overdue" not in table


def test_the_close_button_waits_for_the_end_of_the_sustainability_period(
    in_progress, resident, officer, client
):
    in_sustainability(in_progress, resident, officer)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    url = f"/koszalin/officer/proposals/{in_progress.pk}/"
    page = client.get(url).content.decode()
    assert 'value="close"' not in page and 'id="close-from"' in page
    Proposal.objects.filter(pk=in_progress.pk).update(sustainability_ends_on=timezone.localdate())
    page = client.get(url).content.decode()
    assert 'value="close"' in page and 'id="close-from"' not in page
    client.post(url, {"action": "close"})
    assert Proposal.objects.get(pk=in_progress.pk).status == S.CLOSED


def test_a_maintenance_report_carries_its_photos_all_or_nothing(
    client, in_progress, resident, officer
):
    import re

    from proposals.models import MaintenanceReport, Photo

    done = in_sustainability(in_progress, resident, officer)
    fake = SimpleUploadedFile("bench.jpg", b"not a photo", content_type="image/jpeg")
    with pytest.raises(ValidationError):  # one photo refused: no report, no photo
        delivery.maintenance_report_file(actor=resident, proposal=done, text="Weeded.",
                                         photos=[jpeg_upload(), fake])  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        delivery.maintenance_report_file(actor=resident, proposal=done, text="Weeded.",
                                         photos=[jpeg_upload() for _ in range(7)])  # fmt: skip
    assert exc.value.messages == ["At most 6 photos."]
    assert not MaintenanceReport.objects.exists()
    assert not done.photos.filter(kind=Photo.Kind.MAINTENANCE).exists()
    # through the page: refused for its bad photo, the good one kept for the next try
    client.force_login(resident)
    url = f"/koszalin/proposals/{done.pk}/progress/"
    fake.seek(0)
    refused = client.post(url, {"action": "maintenance", "text": "Repainted the bench.",
                                "report_photo": [jpeg_upload("mown.jpg"), fake]})  # fmt: skip
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Repainted the bench." in page and "Kept from your last try: mown.jpg" in page
    [token] = re.findall(r'name="held_report_photo" value="([^"]+)" checked', page)
    saved = client.post(url, {"action": "maintenance", "text": "Repainted the bench.",
                              "held_report_photo": token})  # fmt: skip
    assert saved.status_code == 302
    report = MaintenanceReport.objects.get(proposal=done)
    [photo] = report.photos.all()
    assert (photo.kind, photo.proposal_id) == (Photo.Kind.MAINTENANCE, done.pk)
    client.force_login(officer)
    shown = client.get(f"/koszalin/officer/proposals/{done.pk}/").content.decode()
    block = shown[shown.index("Report 1, filed") :]
    assert photo.thumbnail.url in block[: block.index("</div>")]


def test_the_applicants_works_page_shows_the_reports_schedule_and_which_one_is_next(
    client, in_progress, resident, officer
):
    from django.utils.formats import date_format

    from proposals.models import Photo

    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    kinds = re.findall(r'<option value="(\w+)"', client.get(url).content.decode())
    assert kinds == ["before", "progress", "after"]  # the kinds the works allow, not maintenance
    done = in_sustainability(in_progress, resident, officer)
    with pytest.raises(ValidationError) as exc:  # a maintenance photo comes with its report
        delivery.photo_add(actor=resident, proposal=done, kind="maintenance", upload=jpeg_upload())
    assert exc.value.messages == [str(msg.REPORT_PHOTO_WITH_REPORT)]
    dues = delivery.report_due_dates(done)
    first = delivery.maintenance_report_file(actor=resident, proposal=done, text="Weeded <all>.",
                                             photos=[jpeg_upload()])  # fmt: skip
    page = client.get(url).content.decode()
    assert 'id="photo-form"' not in page  # nothing to add outside a report any more
    rows = re.findall(r"<tr[^>]*><td>(\d)</td>", page[page.index('id="maintenance-schedule"') :])
    assert rows == [str(n) for n in range(1, len(dues) + 1)]
    report = page[page.index("Report 1, filed") :]
    assert "Weeded &lt;all&gt;." in report[: report.index("</div>")]
    [photo] = first.photos.all()
    assert page.count(photo.thumbnail.url) == 1  # under its report, not among the others
    assert f"Report 2, due {date_format(dues[1], 'SHORT_DATE_FORMAT')}" in page
    for _period in dues[1:]:
        delivery.maintenance_report_file(actor=resident, proposal=done, text="Done.")
    page = client.get(url).content.decode()
    assert 'id="maintenance-form"' not in page  # all filed
    refused = client.post(url, {"action": "maintenance", "text": "One more."})  # another tab
    assert refused.status_code == 400
    page = refused.content.decode()
    assert f"All {len(dues)} maintenance reports of the sustainability period are filed." in page
    assert "One more." in page  # the text kept in the form
    assert not Photo.objects.filter(kind="maintenance", report=None).exists()


def test_my_proposals_say_what_to_do_next_and_where(client, in_progress, resident, officer):
    from proposals.selectors import next_step

    step = next_step(proposal=in_progress)
    assert step.text == "Record the works, then report the project completed"
    assert step.url == f"/koszalin/proposals/{in_progress.pk}/progress/" and not step.urgent
    in_sustainability(in_progress, resident, officer)
    Proposal.objects.filter(pk=in_progress.pk).update(
        completed_at=timezone.now() - timedelta(days=200)
    )
    done = Proposal.objects.get(pk=in_progress.pk)
    step = next_step(proposal=done)
    assert step.text.startswith("Maintenance report 1 is overdue: it was due ") and step.urgent
    client.force_login(resident)
    page = client.get("/me/proposals/").content.decode()
    assert f'<a href="/koszalin/proposals/{done.pk}/progress/" class="overdue">Maintenance' in page
    delivery.maintenance_report_file(actor=resident, proposal=done, text="Weeded.")
    step = next_step(proposal=done)
    assert step.text.startswith("Maintenance report 2 is due ") and not step.urgent


def test_the_officers_are_told_of_each_projects_step_that_is_theirs(
    client, granted, resident, officer, mailoutbox, settings
):
    """Granted, reported completed, its sustainability period over: each waits for an
    officer, and their workspace and daily digest say so, linking the project."""
    from django.core.management import call_command

    from proposals.selectors import officer_waiting

    def waiting():
        found = officer_waiting(city=granted.city)
        return found.agreements, found.completions, found.closable

    client.force_login(officer)
    assert waiting() == ([granted], [], [])
    page = client.get("/koszalin/officer/").content.decode()
    assert (
        '<li id="waiting-agreements">1 granted project waits for its agreement to be recorded: '
        f'<a href="/koszalin/officer/proposals/{granted.pk}/">{granted.title}</a></li>'
    ) in page
    delivery.agreement_sign(actor=officer, proposal=granted)
    delivery.works_start(actor=resident, proposal=granted)
    assert waiting() == ([], [], [])  # the works are the applicant's
    before = delivery.photo_add(actor=resident, proposal=granted, kind="before",
                                upload=jpeg_upload())  # fmt: skip
    delivery.photo_add(actor=resident, proposal=granted, kind="after", upload=jpeg_upload(),
                       pair_of=before)  # fmt: skip
    delivery.completion_report(actor=resident, proposal=granted)
    assert waiting() == ([], [granted], [])
    delivery.completion_accept(actor=officer, proposal=granted)
    assert waiting() == ([], [], [])  # two years to go
    Proposal.objects.filter(pk=granted.pk).update(sustainability_ends_on=timezone.localdate())
    assert waiting() == ([], [], [granted])
    settings.SITE_URL = "https://grants.example.org"
    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    call_command("notify_overdue_reports")
    [digest] = [m for m in mailoutbox if m.to == [officer.email]]
    assert (
        "1 project's sustainability period is over; it can be closed:\n"
        f"- {granted.title} (#{granted.pk}): "
        f"https://grants.example.org/koszalin/officer/proposals/{granted.pk}/"
    ) in digest.body


def test_the_works_page_records_milestones_and_work_days(client, in_progress, resident):
    """The works page's own forms, as the applicant sends them: a milestone, marked done,
    and a day of work in the Polish way of writing hours."""
    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    added = client.post(url, {"action": "milestone", "title": "Fence <posts> & gate",
                              "due_on": "2027-04-30"})  # fmt: skip
    assert added.status_code == 302
    milestone = in_progress.milestones.get()
    assert (milestone.title, milestone.due_on, milestone.done_on) == (
        "Fence <posts> & gate",
        date(2027, 4, 30),
        None,
    )
    page = client.get(url).content.decode()
    assert "Fence &lt;posts&gt; &amp; gate" in page
    # the browser holds the same limits: no day after today (the city's), at most 1,000
    today = in_progress.city.local_date().isoformat()
    assert page.count(f'required max="{today}"') == 2  # the work day's and the expense's
    assert 'name="people" min="1" max="1000"' in page
    done = client.post(url, {"action": "milestone_done", "milestone": milestone.pk})
    assert done.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on == in_progress.city.local_date()  # the page's day: the city's

    day = in_progress.city.local_date() - timedelta(days=1)
    worked = client.post(url, {"action": "work_day", "date": day.isoformat(), "people": "12",
                               "hours": "4,5"})  # fmt: skip
    assert worked.status_code == 302
    work_day = in_progress.work_days.get()
    assert (work_day.date, work_day.people, work_day.hours) == (day, 12, Decimal("4.5"))


def test_a_milestone_marked_done_by_mistake_is_open_again(client, in_progress, resident):
    """ "Not done yet" beside a done milestone while the works are recorded; a second "Mark
    done" (another tab) keeps the first day; the audit keeps the day it said."""
    from mapapp.models import AuditEvent

    milestone = delivery.milestone_add(
        actor=resident, proposal=in_progress, title="Benches", due_on=date(2027, 4, 30)
    )
    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    assert (
        client.post(url, {"action": "milestone_done", "milestone": milestone.pk}).status_code == 302
    )
    milestone.refresh_from_db()
    day = milestone.done_on
    assert day == in_progress.city.local_date()
    page = client.get(url).content.decode()
    assert 'value="milestone_undone"' in page and 'value="milestone_done"' not in page
    twice = client.post(url, {"action": "milestone_done", "milestone": milestone.pk})
    assert twice.status_code == 400 and str(msg.MILESTONE_DONE_ALREADY) in twice.content.decode()

    undone = client.post(url, {"action": "milestone_undone", "milestone": milestone.pk})
    assert undone.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on is None
    event = AuditEvent.objects.get(action="delivery.milestone_undone")
    assert event.before == {"done_on": str(day)} and event.actor == resident
    page = client.get(url).content.decode()
    assert 'value="milestone_done"' in page and 'value="milestone_undone"' not in page
    again = client.post(url, {"action": "milestone_undone", "milestone": milestone.pk})
    assert again.status_code == 400 and str(msg.MILESTONE_NOT_DONE) in again.content.decode()

    delivery.milestone_done(actor=resident, milestone=milestone, done_on=day)
    other = make_user("other-applicant@example.org")
    with pytest.raises(PermissionDenied):
        delivery.milestone_undone(actor=other, milestone=milestone)
    in_progress.status = Proposal.Status.COMPLETED
    in_progress.save(update_fields=["status"])
    with pytest.raises(ValidationError):  # the works checked: what they said stands
        delivery.milestone_undone(actor=resident, milestone=milestone)
    milestone.refresh_from_db()
    assert milestone.done_on == day


def test_a_milestone_of_another_proposal_is_not_found(client, in_progress, resident):
    from proposals.models import Milestone

    other = Proposal.objects.create(
        city=in_progress.city, grant_call=in_progress.grant_call, author=resident, title="Other"
    )
    theirs = Milestone.objects.create(proposal=other, title="Theirs", due_on=date(2027, 1, 1))
    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    refused = client.post(url, {"action": "milestone_done", "milestone": theirs.pk})
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.done_on is None


def _gif() -> SimpleUploadedFile:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="GIF")
    return SimpleUploadedFile("receipt.gif", out.getvalue(), "image/gif")


TOMORROW = "tomorrow"  # replaced by the date in the city's calendar


@pytest.mark.parametrize(
    "post, reason, kept",
    [
        ({"action": "milestone", "title": "Paint", "due_on": "next week"},
         "Enter a date as YYYY-MM-DD.", 'value="Paint"'),
        ({"action": "work_day", "date": "2026-05-01", "people": "twelve", "hours": "4"},
         "The number of people must be a whole number from 1 to 1000.", 'value="twelve"'),
        ({"action": "work_day", "date": "2026-05-01", "people": "0", "hours": "4"},
         "The number of people must be a whole number from 1 to 1000.", 'value="2026-05-01"'),
        ({"action": "work_day", "date": "2026-05-01", "people": "1001", "hours": "4"},
         "The number of people must be a whole number from 1 to 1000.", 'value="1001"'),
        ({"action": "work_day", "date": "2026-05-01", "people": "8", "hours": "-4"},
         "Hours each must be more than 0 and at most 24.", 'value="-4"'),
        ({"action": "work_day", "date": "2026-05-01", "people": "8", "hours": "25"},
         "Hours each must be more than 0 and at most 24.", 'value="25"'),
        ({"action": "work_day", "date": TOMORROW, "people": "8", "hours": "4"},
         "A work day is recorded once it has happened", 'value="8"'),
        ({"action": "expense", "description": "Paint", "amount": "120", "spent_on": "2026-05-01"},
         "Attach the receipt.", 'value="Paint"'),
        ({"action": "expense", "description": "Refund", "amount": "-500",
          "spent_on": "2026-05-01", "receipt": "pdf"},
         "An expense&#x27;s amount must be more than zero.", 'value="-500"'),
        ({"action": "expense", "description": "Paint", "amount": "120", "spent_on": TOMORROW,
          "receipt": "pdf"},
         "An expense is recorded once it is paid", 'value="Paint"'),
        ({"action": "expense", "description": "Paint", "amount": "120",
          "spent_on": "2026-05-01", "receipt": "gif"},
         "Upload a PDF, JPEG, PNG or WebP file.", 'value="120"'),
        ({"action": "expense", "description": "Paint", "amount": "120",
          "spent_on": "2026-05-01", "receipt": "huge"},
         "The file is larger than 10 MB.", 'value="Paint"'),
        ({"action": "photo", "kind": "progress", "caption": "The fence"},
         "Choose a photo.", 'value="The fence"'),
        ({"action": "dance"}, "Unknown action.", ""),
    ],
    ids=["milestone-date", "people-words", "people-none", "people-crowd", "hours-negative",
         "hours-over-a-day", "work-day-tomorrow", "expense-no-receipt", "expense-negative",
         "expense-tomorrow", "receipt-gif", "receipt-huge", "photo-none", "unknown"],
)  # fmt: skip
def test_the_works_page_refuses_with_the_reason_keeps_what_was_typed_and_saves_nothing(
    client, in_progress, resident, post, reason, kept
):
    """Each of the works page's forms, sent wrong: 400, the reason in words, the form back
    with what was typed, and nothing stored (a negative expense or a work day of 25 hours
    would change the public figures)."""
    tomorrow = in_progress.city.local_date() + timedelta(days=1)
    post = {k: tomorrow.isoformat() if v == TOMORROW else v for k, v in post.items()}
    receipts = {
        "pdf": lambda: SimpleUploadedFile("r.pdf", b"%PDF-1.4 receipt", "application/pdf"),
        "gif": _gif,
        "huge": lambda: SimpleUploadedFile(
            "r.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "application/pdf"
        ),
    }
    if "receipt" in post:
        post["receipt"] = receipts[post["receipt"]]()
    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    refused = client.post(url, post)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert reason in page.split('class="messages')[1][:800]
    assert kept in page
    stored = (in_progress.milestones, in_progress.work_days, in_progress.expenses,
              in_progress.photos)  # fmt: skip
    assert [rows.count() for rows in stored] == [0, 0, 0, 0]


def test_a_photo_refused_from_the_editor_goes_back_to_the_editor(client, in_progress, resident):
    """The editor's photo form posts to the works page with `next`; refused, the applicant
    lands where they were, told why."""
    client.force_login(resident)
    editor = f"/koszalin/proposals/{in_progress.pk}/edit/"
    refused = client.post(
        f"/koszalin/proposals/{in_progress.pk}/progress/",
        {"action": "photo", "kind": "before", "next": editor},
        follow=True,
    )
    assert refused.redirect_chain[-1][0].startswith(f"/koszalin/proposals/{in_progress.pk}/")
    assert refused.redirect_chain[0][0] == editor
    assert "Choose a photo." in refused.content.decode()
    assert not in_progress.photos.exists()


def test_the_officers_reject_and_accept_the_works_from_the_proposals_page(
    client, in_assessment, officer, committee, resident
):
    """The decision not to grant, with its note, as the officers send it from the proposal's
    page; sent twice, the second is refused."""
    from mapapp.models import AuditEvent

    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 2)])
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{in_assessment.pk}/"
    rejected = client.post(url, {"action": "reject", "note": "Lower score <b>this year</b>."})
    assert rejected.status_code == 302
    in_assessment.refresh_from_db()
    assert in_assessment.status == S.REJECTED and in_assessment.decided_at is not None
    event = AuditEvent.objects.filter(action="proposal.rejected").get()
    assert event.note == "Lower score <b>this year</b>."  # the applicant's e-mail says it
    again = client.post(url, {"action": "reject"})  # decided already: out of turn
    assert again.status_code == 400


def test_accepting_the_works_on_the_proposals_page_starts_the_care(
    client, in_progress, officer, resident
):
    """The acceptance of completed works, from the proposal's page, starts the
    sustainability period and puts the project on the public map with its photos; the
    neglected site it was proposed for is marked revitalised."""
    from django.contrib.gis.geos import Point

    from sites.models import Site

    site = Site.objects.create(city=in_progress.city, name="Empty lot", geom=Point(16.18, 54.19),
                               moderation="accepted", condition="neglected")  # fmt: skip
    Proposal.objects.filter(pk=in_progress.pk).update(site=site)
    before = delivery.photo_add(
        actor=resident, proposal=in_progress, kind="before", upload=jpeg_upload()
    )
    delivery.photo_add(actor=resident, proposal=in_progress, kind="after", upload=jpeg_upload(),
                       pair_of=before)  # fmt: skip
    delivery.completion_report(actor=resident, proposal=in_progress)
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{in_progress.pk}/"
    # a signature sheet without its file first: refused, nothing changes
    refused = client.post(url, {"action": "sheet"})
    assert refused.status_code == 400 and "Choose the scanned sheet." in refused.content.decode()
    accepted = client.post(url, {"action": "accept_completion"})
    assert accepted.status_code == 302
    in_progress.refresh_from_db()
    assert in_progress.status == S.SUSTAINABILITY
    completed = in_progress.city.local_date(in_progress.completed_at)
    months = in_progress.grant_call.sustainability_months
    assert in_progress.sustainability_ends_on == delivery.add_months(completed, months)
    assert in_progress.intervention.pairs.count() == 1  # on the public map, with its photos
    site.refresh_from_db()
    assert site.condition == Site.Condition.REVITALISED


def test_the_person_who_reported_the_place_hears_it_was_revitalised(
    in_progress, officer, resident, koszalin, mailoutbox, django_capture_on_commit_callbacks
):
    """Once, in their language, with the completed project's page; not when the works are
    accepted again, not the applicant who reported the place themselves, and through the
    address an Open311 application gave for its reporter."""
    import uuid

    from django.contrib.gis.geos import Point

    from sites.models import Open311Client, Open311Request, Site
    from sites.services import intervention_from_proposal
    from tests.proposals.conftest import make_user

    reporter = make_user("reporter@example.org", city=koszalin)
    reporter.preferred_language = "cs"
    reporter.save(update_fields=["preferred_language"])
    site = Site.objects.create(city=koszalin, name="Empty <lot>", geom=Point(16.18, 54.19),
                               moderation="accepted", condition="neglected",
                               reported_by=reporter)  # fmt: skip
    Proposal.objects.filter(pk=in_progress.pk).update(site=site)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = in_sustainability(in_progress, resident, officer)
    [told] = [m for m in mailoutbox if m.to == [reporter.email]]
    assert told.subject == "Místo, které jste oznámili, „Empty <lot>“, bylo revitalizováno"
    assert f"/koszalin/interventions/{done.intervention.pk}/" in told.body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        intervention_from_proposal(proposal=done)  # again (a correction): nobody told twice
    assert [m for m in mailoutbox if m.to == [reporter.email]] == []

    # reported through an Open311 application, with the reporter's address
    app = Open311Client.objects.create(city=koszalin, name="App")
    Site.objects.filter(pk=site.pk).update(condition="neglected", reported_by=None)
    Open311Request.objects.create(token=uuid.uuid4(), site=site, client=app,
                                  email="walker@example.net")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        intervention_from_proposal(proposal=done)
    assert [m.to for m in mailoutbox] == [["walker@example.net"]]
    # the applicant who reported the place built it: not told what they know
    mailoutbox.clear()
    Open311Request.objects.filter(site=site).delete()
    Site.objects.filter(pk=site.pk).update(condition="neglected", reported_by=resident)
    with django_capture_on_commit_callbacks(execute=True):
        intervention_from_proposal(proposal=done)
    assert mailoutbox == []


def test_entries_recorded_by_mistake_are_removed_from_the_works_page_and_audited(
    client, in_progress, resident, officer, django_capture_on_commit_callbacks
):
    """A milestone, an expense (its receipt's file too), a work day and a photo (its image
    and thumbnail too), each removed with its own button; the audit keeps what each said,
    and the officers' page of the project lists them."""
    from django.utils.formats import date_format

    from mapapp.models import AuditEvent

    delivery.milestone_add(actor=resident, proposal=in_progress, title="Paint <the> fence",
                           due_on=date(2027, 5, 1))  # fmt: skip
    expense = delivery.expense_add(
        actor=resident, proposal=in_progress, description="Paint", amount=Decimal("120"),
        spent_on=in_progress.city.local_date() - timedelta(days=1),
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 wrong shop", "application/pdf"),
    )  # fmt: skip
    yesterday = in_progress.city.local_date() - timedelta(1)
    delivery.work_day_add(actor=resident, proposal=in_progress, day=yesterday, people=100,
                          hours=Decimal("4"))  # fmt: skip
    photo = delivery.photo_add(actor=resident, proposal=in_progress, kind="progress",
                               upload=jpeg_upload(), caption="A neighbour's face")  # fmt: skip
    files = [
        (expense.receipt.storage, expense.receipt.name),
        (photo.image.storage, photo.image.name),
        (photo.thumbnail.storage, photo.thumbnail.name),
    ]
    assert all(storage.exists(name) for storage, name in files)
    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    page = client.get(url).content.decode()
    for action in ("milestone_remove", "expense_remove", "work_day_remove", "photo_remove"):
        assert page.count(f'value="{action}"') == 1, action
    assert 'Remove<span class="visually-hidden"> Paint &lt;the&gt; fence</span>' in page

    items = {
        "milestone_remove": in_progress.milestones.get().pk,
        "expense_remove": expense.pk,
        "work_day_remove": in_progress.work_days.get().pk,
        "photo_remove": photo.pk,
    }
    for action, pk in items.items():
        with django_capture_on_commit_callbacks(execute=True):
            removed = client.post(url, {"action": action, "item": pk})
        assert removed.status_code == 302, action
    related = ("milestones", "expenses", "work_days", "photos")
    assert [getattr(in_progress, name).count() for name in related] == [0, 0, 0, 0]
    assert not any(storage.exists(name) for storage, name in files)
    removals = AuditEvent.objects.filter(action__endswith="remove")
    assert {(e.object_type, e.object_id) for e in removals} == {
        ("proposals.proposal", str(in_progress.pk))  # the project's history
    }
    said = {e.action: e.before for e in removals}
    assert said["delivery.expense_remove"] == {
        "expense": expense.pk, "description": "Paint", "amount": "120.00",
        "spent_on": str(in_progress.city.local_date() - timedelta(days=1)),
    }  # fmt: skip
    assert said["delivery.work_day_remove"]["people"] == 100
    assert said["delivery.milestone_remove"]["title"] == "Paint <the> fence"
    assert said["photo.remove"]["caption"] == "A neighbour's face"
    assert "Removed." in client.get(url).content.decode()
    client.force_login(officer)
    page = client.get(f"/koszalin/officer/proposals/{in_progress.pk}/").content.decode()
    removed = page[page.index('id="works-removed"') :]
    removed = removed[: removed.index("</ul>")]
    yesterday = date_format(in_progress.city.local_date() - timedelta(1), "SHORT_DATE_FORMAT")
    assert f"Expense “Paint”: 120.00\u00a0PLN, paid on {yesterday}" in removed
    assert f"Work day of {yesterday}: 100 people × 4.0 h" in removed
    due = date_format(date(2027, 5, 1), "SHORT_DATE_FORMAT")
    assert f"Milestone “Paint &lt;the&gt; fence”, due {due}" in removed
    assert f"Photo #{photo.pk} (Progress): “A neighbour&#x27;s face”" in removed


def test_removals_out_of_turn_of_a_pair_or_of_another_proposal_are_refused(
    client, in_progress, resident, officer
):
    """Nothing goes that the officers are checking or that another row depends on: after
    the completion report the expenses stay, the last before/after pair stays, a before
    photo stays while an after photo is paired with it; an entry of another proposal is
    not found; someone else's works page is not theirs."""
    expense = delivery.expense_add(
        actor=resident, proposal=in_progress, description="Paint", amount=Decimal("120"),
        spent_on=in_progress.city.local_date() - timedelta(days=1),
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 receipt", "application/pdf"),
    )  # fmt: skip
    before = delivery.photo_add(actor=resident, proposal=in_progress, kind="before",
                                upload=jpeg_upload())  # fmt: skip
    after = delivery.photo_add(actor=resident, proposal=in_progress, kind="after",
                               upload=jpeg_upload(), pair_of=before)  # fmt: skip
    client.force_login(resident)
    url = f"/koszalin/proposals/{in_progress.pk}/progress/"
    paired = client.post(url, {"action": "photo_remove", "item": before.pk})
    assert paired.status_code == 400
    assert f"An after photo is paired with this one (#{after.pk})" in paired.content.decode()
    assert client.post(url, {"action": "expense_remove", "item": "x"}).status_code == 404

    delivery.completion_report(actor=resident, proposal=in_progress)
    late = client.post(url, {"action": "expense_remove", "item": expense.pk})
    assert late.status_code == 400 and "This cannot be done while the proposal is" in (
        late.content.decode()
    )
    last_pair = client.post(url, {"action": "photo_remove", "item": after.pk})
    assert last_pair.status_code == 400
    assert "Add at least one after photo" in last_pair.content.decode()
    assert set(in_progress.photos.all()) == {before, after}
    assert in_progress.expenses.get() == expense

    other = Proposal.objects.create(
        city=in_progress.city, grant_call=in_progress.grant_call, author=resident, title="Other"
    )
    theirs = delivery.photo_add(actor=resident, proposal=other, kind="before", upload=jpeg_upload())
    assert client.post(url, {"action": "photo_remove", "item": theirs.pk}).status_code == 404
    client.force_login(officer)  # not the applicant: the page is not theirs
    assert client.post(url, {"action": "expense_remove", "item": expense.pk}).status_code == 403
    assert other.photos.get() == theirs and in_progress.expenses.count() == 1


def test_a_maintenance_reports_photo_stays_as_the_report_was_filed(in_progress, resident, officer):
    done = in_sustainability(in_progress, resident, officer)
    report = delivery.maintenance_report_file(
        actor=resident, proposal=done, text="Mowed.", photos=[jpeg_upload()]
    )
    with pytest.raises(ValidationError) as refused:
        delivery.photo_remove(actor=resident, photo=report.photos.get())
    assert refused.value.messages == [str(msg.PHOTO_OF_A_REPORT)]
    # nor the works' photos, now on the completed project's public page (the same files)
    with pytest.raises(ValidationError):
        delivery.photo_remove(actor=resident, photo=done.photos.filter(kind="after").get())
    assert done.photos.count() == 3


def test_a_before_photo_is_removed_from_the_editor_and_back_to_it(client, draft, resident):
    photo = delivery.photo_add(actor=resident, proposal=draft, kind="before",
                               upload=jpeg_upload(), caption="Kids <playing>")  # fmt: skip
    client.force_login(resident)
    editor = f"/koszalin/proposals/{draft.pk}/edit/"
    page = client.get(editor).content.decode()
    assert 'Remove<span class="visually-hidden"> Kids &lt;playing&gt;</span>' in page
    removed = client.post(f"/koszalin/proposals/{draft.pk}/progress/",
                          {"action": "photo_remove", "item": photo.pk, "next": editor})  # fmt: skip
    assert removed.status_code == 302 and removed["Location"] == editor
    assert not draft.photos.exists()


def test_a_project_completed_after_midnight_in_the_city_is_dated_by_the_citys_clock(
    client, in_progress, resident, officer
):
    """Completed at 00:30 in Koszalin (23:30 UTC the day before): its sustainability period,
    its report dates and its public completion day count from Koszalin's day, whichever
    zone the code runs in (a worker in UTC, the daily job, a page)."""
    from datetime import UTC, datetime

    before = delivery.photo_add(actor=resident, proposal=in_progress, kind="before",
                                upload=jpeg_upload())  # fmt: skip
    delivery.photo_add(actor=resident, proposal=in_progress, kind="after", upload=jpeg_upload(),
                       pair_of=before)  # fmt: skip
    delivery.completion_report(actor=resident, proposal=in_progress)
    late = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)  # 15 March, 00:30 in Koszalin
    Proposal.objects.filter(pk=in_progress.pk).update(completed_at=late)
    with timezone.override("UTC"):
        done = delivery.completion_accept(actor=officer, proposal=in_progress)
        dues = delivery.report_due_dates(done)
    assert done.sustainability_ends_on == date(2028, 3, 15)
    assert dues == [date(2026, 9, 15), date(2027, 3, 15), date(2027, 9, 15), date(2028, 3, 15)]
    assert done.intervention.completed_on == date(2026, 3, 15)
    with timezone.override("America/New_York"):
        assert delivery.report_due_dates(done) == dues


def test_the_calls_expenses_download_for_settling_the_grants(client, in_progress, resident,
                                                            officer):  # fmt: skip
    """Every expense of the call's projects in one spreadsheet: the project, its grant, the
    expense and a link to its receipt that only officers can open; a description that a
    spreadsheet would run as a formula stays text."""
    import csv
    import io

    spent = in_progress.city.local_date() - timedelta(days=2)
    for text, amount in (("=SUM(A1:A9)", "120.50"), ("Timber", "300")):
        delivery.expense_add(
            actor=resident, proposal=in_progress, description=text, amount=Decimal(amount),
            spent_on=spent,
            receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 receipt", "application/pdf"),
        )  # fmt: skip
    client.force_login(officer)
    call_page = client.get(f"/koszalin/officer/calls/{in_progress.grant_call_id}/")
    assert 'id="expenses-csv"' in call_page.content.decode()
    got = client.get(f"/koszalin/officer/calls/{in_progress.grant_call_id}/expenses.csv")
    assert got.status_code == 200 and "-expenses-" in got["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert header == ["Proposal", "Title", "Granted", "Decided", "Agreement",
                      "Agreement number", "Date", "Expense", "Amount", "Currency",
                      "Receipt", "Status", "Revoked on"]  # fmt: skip
    formula, timber = in_progress.expenses.order_by("pk")
    in_progress.refresh_from_db()
    decided = in_progress.city.local_date(in_progress.decided_at).isoformat()
    agreed = in_progress.city.local_date(in_progress.agreement_signed_at).isoformat()
    project = [str(in_progress.pk), in_progress.title, "20000.00", decided, agreed,
               in_progress.agreement_reference, spent.isoformat()]  # fmt: skip
    receipts = f"http://testserver/koszalin/proposals/{in_progress.pk}/files/receipt/"
    assert rows == [
        [*project, "'=SUM(A1:A9)", "120.50", "PLN", f"{receipts}{formula.pk}/", "In progress", ""],
        [*project, "Timber", "300.00", "PLN", f"{receipts}{timber.pk}/", "In progress", ""],
    ]
    opened = client.get(rows[0][-3].removeprefix("http://testserver"))
    assert opened.status_code == 200 and b"".join(opened.streaming_content).startswith(b"%PDF")
    # a cost dated before the grant was decided (here: decided today, spent two days ago)
    # stands out on the project's page
    page = client.get(f"/koszalin/officer/proposals/{in_progress.pk}/").content.decode()
    assert page.count('class="before-decision"') == 2 and "before the grant decision" in page
    Proposal.objects.filter(pk=in_progress.pk).update(
        decided_at=in_progress.decided_at - timedelta(days=30)
    )
    page = client.get(f"/koszalin/officer/proposals/{in_progress.pk}/").content.decode()
    assert "before the grant decision" not in page
    # decided a month ago, but the agreement recorded today: still before it
    assert page.count('class="before-decision"') == 2 and "before the agreement" in page
    Proposal.objects.filter(pk=in_progress.pk).update(
        agreement_signed_at=in_progress.agreement_signed_at - timedelta(days=20)
    )
    page = client.get(f"/koszalin/officer/proposals/{in_progress.pk}/").content.decode()
    assert "before the agreement" not in page and 'class="before-decision"' not in page
    client.force_login(resident)  # the applicant opens their own receipts, not the table
    assert (
        client.get(f"/koszalin/officer/calls/{in_progress.grant_call_id}/expenses.csv").status_code
        == 403
    )


def test_the_sustainability_dates_are_read_by_the_citys_day_wherever_the_code_runs(
    in_progress, resident, officer, koszalin
):
    """Closing, the overdue list and the officers' overview ask "what day is it?" of the
    city, not of the zone the code runs in (a worker, the daily job: UTC). The city is put
    where its day differs from UTC's right now (one of the world's two ends always does)."""
    from datetime import UTC

    from django.utils import timezone as tz

    from proposals.selectors import overdue_reports, sustainability_overview

    done = in_sustainability(in_progress, resident, officer)
    utc_today = tz.now().astimezone(UTC).date()
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        koszalin.time_zone = zone
        if koszalin.local_date() != utc_today:
            break
    koszalin.save(update_fields=["time_zone"])
    city_today = koszalin.local_date()
    Proposal.objects.filter(pk=done.pk).update(sustainability_ends_on=max(city_today, utc_today))
    done = Proposal.objects.select_related("city").get(pk=done.pk)
    with tz.override("UTC"):
        if city_today > utc_today:  # the city's day has come: it closes
            assert sustainability_overview(city=koszalin)[0].proposal.pk == done.pk
            assert delivery.proposal_close(actor=officer, proposal=done).status == S.CLOSED
        else:  # the city's day is yesterday still: the period has not ended there
            with pytest.raises(ValidationError):
                delivery.proposal_close(actor=officer, proposal=done)
            assert overdue_reports(city=koszalin) == []


def test_crafted_row_ids_in_the_forms_answer_404_not_a_server_error(
    client, in_progress, resident, officer
):
    """A form's hidden row id that is no number (a crafted or damaged form): nothing found,
    nothing changed; they raised ValueError (500) before (found by posting every form with
    crafted values)."""
    progress = f"/koszalin/proposals/{in_progress.pk}/progress/"
    officer_page = f"/koszalin/officer/proposals/{in_progress.pk}/"
    client.force_login(resident)
    for action in ("milestone_done", "milestone_undone"):
        response = client.post(progress, {"action": action, "milestone": "x" * 30})
        assert response.status_code == 404, action
    # a photo said to pair one that is no number is a photo without a pair, as with none
    response = client.post(
        progress, {"action": "photo", "kind": "before", "pair_of": "1x", "image": jpeg_upload()}
    )
    assert response.status_code == 302
    assert in_progress.photos.get().pair_of is None
    client.force_login(officer)
    crafted = (("strike", "support"), ("restore", "support"), ("paper_supporter", "sheet"))
    for action, field in crafted:
        response = client.post(officer_page, {"action": action, field: "-1"})
        assert response.status_code == 404, action
    response = client.post(
        "/koszalin/flags/", {"action": "show", "target_type": "proposal", "target_id": "1e3"}
    )
    assert response.status_code == 302
