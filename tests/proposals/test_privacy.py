"""Privacy: the notice in each language, a person's data download, account deletion that keeps
public contributions, and retention that erases supporters' details and consents in time."""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from mapapp.models import AuditEvent, User
from proposals.models import Proposal, SignatureSheet, Support
from tests.proposals.conftest import add_supporters

PASSWORD = "a-long-enough-passphrase-42"


@pytest.mark.parametrize(
    "language, heading",
    [
        ("en", "Privacy notice"),
        ("pl", "Informacja o prywatności"),
        ("cs", "Ochrana osobních údajů"),
    ],
)
def test_privacy_notice_in_each_language(client, koszalin, language, heading):
    client.cookies["django_language"] = language
    html = client.get("/privacy/").content.decode()
    assert f"<h1>{heading}</h1>" in html


def test_a_person_downloads_their_own_data_only(client, collecting, supporters):
    add_supporters(collecting, supporters[:2])
    client.force_login(supporters[0])
    r = client.get("/me/data/", {"download": "1"})
    assert r["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(r.content)
    assert data["account"]["email"] == supporters[0].email
    assert [s["full_name"] for s in data["supports"]] == ["Neighbour Number 0"]
    assert "Neighbour Number 1" not in r.content.decode()
    assert client.get("/me/data/").status_code == 200
    client.logout()
    assert client.get("/me/data/", {"download": "1"}).status_code == 302  # sign in first


def test_deleting_an_account_keeps_contributions_and_erases_the_person(
    client, collecting, resident, supporters
):
    add_supporters(collecting, supporters[:3])
    person = supporters[0]
    client.force_login(person)
    r = client.post("/me/data/", {"password": "wrong", "confirm": "delete"})
    assert r.status_code == 400 and User.objects.get(pk=person.pk).is_active

    r = client.post("/me/data/", {"password": PASSWORD, "confirm": "delete"})
    assert r.status_code == 200 and "Account deleted" in r.content.decode()
    person.refresh_from_db()
    assert not person.is_active and person.email.endswith("@deleted.invalid")
    assert not person.has_usable_password() and not EmailAddress.objects.filter(user=person)
    support = Support.objects.get(user=person)
    assert support.full_name == "—" and support.address == "" and support.withdrawn_at
    assert Proposal.objects.get(pk=collecting.pk).support_count == 2
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="account.deleted", object_id=str(person.pk)).exists()
    assert not AuditEvent.objects.filter(
        actor_label__contains=person.pk and "@example.org", actor=person
    )

    # an applicant's proposal stays public; their phone number goes
    client.force_login(resident)
    client.post("/me/data/", {"password": PASSWORD, "confirm": "delete"})
    proposal = Proposal.objects.get(pk=collecting.pk)
    assert proposal.contact_phone == "" and proposal.title
    assert client.get(f"/koszalin/proposals/{proposal.pk}/").status_code == 200
    # the address can be used for a new account
    assert not User.objects.filter(email=resident.email).exists()


def scanned_sheet(proposal, officer) -> SignatureSheet:
    """A scanned signature sheet: supporters' names, erased with them."""
    return SignatureSheet.objects.create(
        proposal=proposal,
        file=SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 names", "application/pdf"),
        uploaded_by=officer,
    )


def test_retention_erases_supporters_and_consents_when_due(
    submitted, officer, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORTER_DATA_RETENTION_DAYS = 365
    sheet = scanned_sheet(submitted, officer)
    # decided recently: nothing is due yet
    Proposal.objects.filter(pk=submitted.pk).update(
        status="rejected", decided_at=timezone.now() - dt.timedelta(days=30)
    )
    call_command("apply_retention", stdout=__import__("io").StringIO())
    assert not Support.objects.filter(proposal=submitted, erased_at__isnull=False).exists()

    Proposal.objects.filter(pk=submitted.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=400)
    )
    out = __import__("io").StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "due: 15 supporters' details" in out.getvalue()
    assert not Support.objects.filter(erased_at__isnull=False).exists()  # a dry run

    files = [(f.storage, f.name) for f in (sheet.file, submitted.consent_document)]
    assert all(storage.exists(name) for storage, name in files)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention", stdout=out)
    supports = Support.objects.filter(proposal=submitted)
    assert supports.count() == 15 and all(s.full_name == "—" and not s.address for s in supports)
    assert not SignatureSheet.objects.get(proposal=submitted).file
    proposal = Proposal.objects.get(pk=submitted.pk)
    assert not proposal.consent_document  # never granted, retention time over
    assert not any(storage.exists(name) for storage, name in files)  # the files went too
    assert AuditEvent.objects.filter(action="retention.supporters_erased").count() == 1
    assert AuditEvent.objects.filter(action="retention.consent_erased").count() == 1


def test_retention_that_fails_midway_keeps_rows_and_files_together(submitted, officer, settings):
    """Files are deleted only once the erasure is committed: a failure after the rows were
    changed leaves both the rows and their files, never rows naming deleted files."""
    from django.db import transaction

    from mapapp.privacy import apply_retention

    settings.SUPPORTER_DATA_RETENTION_DAYS = 365
    sheet = scanned_sheet(submitted, officer)
    Proposal.objects.filter(pk=submitted.pk).update(
        status="rejected", decided_at=timezone.now() - dt.timedelta(days=400)
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        assert apply_retention()["signature_sheets"] == 1
        raise RuntimeError("the disk filled up after the rows were changed")
    sheet.refresh_from_db()
    assert sheet.file and sheet.file.storage.exists(sheet.file.name)
    proposal = Proposal.objects.get(pk=submitted.pk)
    assert proposal.consent_document.storage.exists(proposal.consent_document.name)
    assert not Support.objects.filter(erased_at__isnull=False).exists()


def test_deleting_an_account_ends_its_other_sessions(client, supporters):
    from django.test import Client

    person = supporters[0]
    other_device = Client()
    other_device.force_login(person)
    assert other_device.get("/me/data/").status_code == 200
    client.force_login(person)
    client.post("/me/data/", {"password": PASSWORD, "confirm": "delete"})
    assert other_device.get("/me/data/").status_code == 302  # signed out everywhere


def test_consents_and_phones_of_proposals_never_decided_go_with_their_call(
    draft, resident, officer, settings, django_capture_on_commit_callbacks
):
    """An ineligible, a withdrawn, an expired proposal and a draft never published have no
    decision of their own: their consent documents and phones go the retention time after
    their call's last decision, or its deadline when none was decided (they were kept for
    ever); a granted project's stay until its sustainability period ends."""
    from decimal import Decimal

    from mapapp.privacy import apply_retention
    from proposals.models import GrantCall

    settings.SUPPORTER_DATA_RETENTION_DAYS = 365
    call = draft.grant_call

    def consent():
        return SimpleUploadedFile("consent.pdf", b"%PDF-1.4 consent", "application/pdf")

    def proposal(status, **extra):
        return Proposal.objects.create(
            city=call.city, grant_call=call, author=resident, title=status, status=status,
            contact_phone="+48 600 100 200", consent_document=consent(), **extra,
        )  # fmt: skip

    Proposal.objects.filter(pk=draft.pk).update(contact_phone="+48 600 100 200")
    gone = [draft.pk] + [proposal(s).pk for s in ("ineligible", "withdrawn", "expired")]
    kept = proposal("in_progress", granted_amount=Decimal("1000"))
    files = {p.pk: (p.consent_document.storage, p.consent_document.name)
             for p in Proposal.objects.filter(pk__in=gone)}  # fmt: skip
    assert all(storage.exists(name) for storage, name in files.values())

    now = timezone.now()
    GrantCall.objects.filter(pk=call.pk).update(
        opens_at=now - dt.timedelta(days=60), closes_at=now - dt.timedelta(days=30)
    )
    assert apply_retention()["contact_phones"] == 0  # closed a month ago: not yet
    GrantCall.objects.filter(pk=call.pk).update(
        opens_at=now - dt.timedelta(days=430), closes_at=now - dt.timedelta(days=400)
    )
    due = apply_retention(dry_run=True)
    assert (due["consent_documents"], due["contact_phones"]) == (4, 4)
    with django_capture_on_commit_callbacks(execute=True):
        done = apply_retention()
    assert (done["consent_documents"], done["contact_phones"]) == (4, 4)
    for p in Proposal.objects.filter(pk__in=gone):
        assert not p.consent_document and p.contact_phone == "", p.status
    assert not any(storage.exists(name) for storage, name in files.values())
    kept.refresh_from_db()
    assert kept.consent_document and kept.contact_phone == "+48 600 100 200"
    assert AuditEvent.objects.filter(action="retention.contact_phone_erased").count() == 4
    assert apply_retention()["contact_phones"] == 0


def test_who_did_what_in_the_audit_log_ends_when_the_deployment_says(
    client, submitted, officer, settings
):
    """With AUDIT_ACTORS_KEEP_YEARS set, the events before the last so many full calendar
    years lose their actor (account and e-mail address); what was done, when and why stay;
    the erasure is an event itself; the privacy notice says it. Unset, nothing is erased."""
    from django.db import connection

    from mapapp.audit import audit_record
    from mapapp.privacy import apply_retention

    today = timezone.localdate()
    six_years_ago = timezone.now().replace(year=today.year - 6)

    def written_then(actor, label, action, note=""):  # an event of six years ago
        with connection.cursor() as cursor:  # (the log's trigger refuses to change `at`)
            cursor.execute(
                "INSERT INTO mapapp_auditevent (at, actor_id, actor_label, action, object_type,"
                " object_id, note) VALUES (%s, %s, %s, %s, 'proposals.proposal', %s, %s)"
                " RETURNING id",
                [six_years_ago, actor, label, action, str(submitted.pk), note],
            )
            return AuditEvent.objects.get(pk=cursor.fetchone()[0])

    old = written_then(officer.pk, officer.email, "test.old", "Why: kept.")
    system = written_then(None, "system", "test.system")
    recent = audit_record(actor=officer, action="test.recent", obj=submitted)
    assert apply_retention(dry_run=True)["audit_actors"] == 0  # kept unless the city says
    notice = client.get("/koszalin/privacy/").content.decode()
    assert "kept for the programme's accountability" in notice
    settings.AUDIT_ACTORS_KEEP_YEARS = 5
    assert apply_retention(dry_run=True)["audit_actors"] == 1
    assert apply_retention()["audit_actors"] == 1
    old.refresh_from_db(), recent.refresh_from_db(), system.refresh_from_db()
    assert (old.actor, old.actor_label) == (None, "—")
    assert (old.action, old.note, old.object_id) == ("test.old", "Why: kept.", str(submitted.pk))
    assert (recent.actor, recent.actor_label) == (officer, officer.email)
    assert system.actor_label == "system"
    done = AuditEvent.objects.get(action="retention.audit_actors_erased")
    assert done.after == {"events": 1, "before_year": today.year - 5}
    assert apply_retention()["audit_actors"] == 0  # once
    notice = client.get("/koszalin/privacy/").content.decode()
    assert "is kept 5 full calendar years after the year of the change, then erased" in notice
