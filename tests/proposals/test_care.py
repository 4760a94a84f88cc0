"""Residents tell a project's maintainers, in its sustainability period, what they found
there; the applicant answers; the officers see both; nothing of it is public; it goes with
the account's closing (unlinked) and after the retention time."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from mapapp.models import AuditEvent
from mapapp.privacy import account_delete, apply_retention, user_data_export
from proposals import messages as msg
from proposals.models import CareNotice, Proposal
from proposals.services import care, delivery
from tests.proposals.conftest import jpeg_upload, make_user
from tests.proposals.test_delivery import granted, in_progress, in_sustainability  # noqa: F401

pytestmark = pytest.mark.django_db

BROKEN = "The bench's <b>back</b> is broken & a plank is missing."


@pytest.fixture
def kept(in_progress, resident, officer):  # noqa: F811
    return in_sustainability(in_progress, resident, officer)


@pytest.fixture
def neighbour(koszalin):
    return make_user("neighbour@example.org", city=koszalin)


def test_a_resident_tells_the_maintainers_and_reads_the_answer(
    client, kept, resident, officer, neighbour, mailoutbox, django_capture_on_commit_callbacks
):
    """From the project's public page to the form; the applicant is e-mailed the words, reads
    them escaped on the works page and answers there; the resident is e-mailed the answer
    and reads it on the form's page. The public, the applicant's address and the resident's
    stay apart: nobody else sees the notice."""
    page = f"/koszalin/proposals/{kept.pk}/"
    care_url = f"/koszalin/proposals/{kept.pk}/care/"
    assert care_url in client.get(page).content.decode()  # offered, also to visitors
    assert client.get(care_url).status_code == 302  # who signs in
    client.force_login(neighbour)
    assert "Tell those who look after it" in client.get(care_url).content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(care_url, {"text": BROKEN})
    assert sent.status_code == 302
    [to_applicant] = mailoutbox
    assert to_applicant.to == [resident.email] and BROKEN in to_applicant.body
    assert neighbour.email not in to_applicant.body
    assert f"/koszalin/proposals/{kept.pk}/progress/#care-notices" in to_applicant.body
    notice = CareNotice.objects.get()
    assert notice.author == neighbour and notice.text == BROKEN
    event = AuditEvent.objects.get(action="care.notice")
    assert BROKEN not in json.dumps(event.after) and event.note == ""

    escaped = "The bench&#x27;s &lt;b&gt;back&lt;/b&gt; is broken &amp; a plank is missing."
    client.force_login(resident)
    works = client.get(f"/koszalin/proposals/{kept.pk}/progress/").content.decode()
    assert escaped in works and neighbour.email not in works
    refused = client.post(
        f"/koszalin/proposals/{kept.pk}/progress/",
        {"action": "care_answer", "item": notice.pk, "answer": "   "},
    )
    assert refused.status_code == 400 and str(msg.CARE_TEXT_MISSING) in refused.content.decode()
    long = "Fixed. " * 300  # over the 2,000 characters: refused, and kept in the box
    refused = client.post(
        f"/koszalin/proposals/{kept.pk}/progress/",
        {"action": "care_answer", "item": notice.pk, "answer": long},
    )
    assert refused.status_code == 400 and long.strip() in refused.content.decode()
    assert "At most 2000 characters" in refused.content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(
            f"/koszalin/proposals/{kept.pk}/progress/",
            {"action": "care_answer", "item": notice.pk, "answer": "Fixed on Saturday, thanks!"},
        )
    assert answered.status_code == 302
    [to_resident] = mailoutbox
    assert to_resident.to == [neighbour.email] and "Fixed on Saturday, thanks!" in to_resident.body
    assert resident.email not in to_resident.body and BROKEN in to_resident.body
    again = client.post(
        f"/koszalin/proposals/{kept.pk}/progress/",
        {"action": "care_answer", "item": notice.pk, "answer": "Twice?"},
    )
    assert again.status_code == 400 and str(msg.CARE_ANSWERED) in again.content.decode()

    client.force_login(neighbour)
    mine = client.get(care_url).content.decode()
    assert escaped in mine and "Fixed on Saturday, thanks!" in mine
    client.force_login(officer)
    office = client.get(f"/koszalin/officer/proposals/{kept.pk}/").content.decode()
    assert escaped in office and neighbour.email in office and "Fixed on Saturday" in office
    client.logout()
    public = client.get(page).content.decode()
    assert "plank" not in public and "Fixed on Saturday" not in public
    other = make_user("other@example.org")
    client.force_login(other)
    assert "plank" not in client.get(care_url).content.decode()  # only one's own


def test_the_form_is_refused_with_what_was_typed_kept(client, kept, neighbour):
    client.force_login(neighbour)
    url = f"/koszalin/proposals/{kept.pk}/care/"
    empty = client.post(url, {"text": "  "})
    assert empty.status_code == 400 and CareNotice.objects.count() == 0
    long = client.post(url, {"text": "x" * (CareNotice.TEXT_MAX + 1)})
    assert long.status_code == 400 and "x" * 50 in long.content.decode()
    for n in range(care.MOST_OPEN_PER_PERSON):
        assert client.post(url, {"text": f"Notice {n}"}).status_code == 302
    over = client.post(url, {"text": "And the hedge."})
    assert over.status_code == 400 and "And the hedge." in over.content.decode()
    assert "still waiting for an answer" in over.content.decode()
    assert CareNotice.objects.count() == care.MOST_OPEN_PER_PERSON


def test_notices_only_in_the_sustainability_period_and_never_to_oneself(
    in_progress,  # noqa: F811
    resident,
    officer,
    neighbour,
    koszalin,
):
    with pytest.raises(ValidationError):  # still being built
        care.care_notice_add(user=neighbour, proposal=in_progress, text="When is it ready?")
    kept = in_sustainability(in_progress, resident, officer)
    with pytest.raises(ValidationError) as own:
        care.care_notice_add(user=resident, proposal=kept, text="Note to self.")
    assert own.value.messages == [str(msg.CARE_OWN)]
    unconfirmed = make_user("new@example.org", city=koszalin, verified=False)
    with pytest.raises(ValidationError) as exc:
        care.care_notice_add(user=unconfirmed, proposal=kept, text="Broken.")
    assert exc.value.messages == [str(msg.CARE_EMAIL_UNCONFIRMED)]
    notice = care.care_notice_add(user=neighbour, proposal=kept, text="Broken.")
    with pytest.raises(PermissionDenied):  # the applicant answers, or the city's officers
        care.care_notice_answer(actor=neighbour, notice=notice, answer="Noted.")
    delivery.proposal_close(actor=officer, proposal=kept, today=kept.sustainability_ends_on)
    with pytest.raises(ValidationError):  # closed: nothing more to tell, nor to answer
        care.care_notice_add(user=neighbour, proposal=kept, text="Broken again.")
    with pytest.raises(ValidationError):
        care.care_notice_answer(actor=resident, notice=notice, answer="Too late.")


def test_personal_data_export_closing_the_account_and_retention(client, kept, neighbour, resident):
    notice = care.care_notice_add(user=neighbour, proposal=kept, text="The tap drips.")
    client.force_login(neighbour)  # the account page says what happens to the notices
    assert "stays with them, no longer linked to you" in client.get("/me/data/").content.decode()
    privacy = client.get("/privacy/").content.decode()
    assert "What you told those who look after a completed project is erased" in privacy
    [exported] = user_data_export(user=neighbour)["care_notices"]
    assert exported["text"] == "The tap drips." and exported["proposal"] == kept.pk
    assert user_data_export(user=resident)["care_notices"] == []
    account_delete(user=neighbour)
    notice.refresh_from_db()
    assert notice.author is None and notice.text == "The tap drips."  # still the maintainers'
    # kept until the retention time after the period's end, then erased (and audited)
    ends = kept.sustainability_ends_on
    days = settings.SUPPORTER_DATA_RETENTION_DAYS
    assert apply_retention(today=ends + timedelta(days=days))["care_notices"] == 0
    assert apply_retention(today=ends + timedelta(days=days + 1), dry_run=True)["care_notices"] == 1
    assert CareNotice.objects.exists()
    call_command("apply_retention", stdout=io.StringIO())  # today: nothing due yet
    assert CareNotice.objects.exists()
    assert apply_retention(today=ends + timedelta(days=days + 1))["care_notices"] == 1
    assert not CareNotice.objects.exists()
    assert AuditEvent.objects.filter(action="retention.care_notices_erased").count() == 1


def test_the_completed_projects_page_leads_to_the_form_while_in_maintenance(client, kept, resident):
    done = kept.intervention
    page = client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    assert f"/koszalin/proposals/{kept.pk}/care/" in page
    client.force_login(resident)  # the applicant is not offered it
    page = client.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    assert f"/koszalin/proposals/{kept.pk}/care/" not in page


def test_the_admin_reads_a_notice_without_changing_it_and_may_delete_it(
    admin_client, kept, neighbour
):
    """Read-only in the admin (the officers remove an abusive one on the project's page);
    a superuser may still delete one there."""
    notice = care.care_notice_add(user=neighbour, proposal=kept, text="You are all <idiots>.")
    url = f"/admin/proposals/carenotice/{notice.pk}/"
    shown = admin_client.get(f"{url}change/").content.decode()
    assert "You are all &lt;idiots&gt;." in shown and 'name="text"' not in shown  # read-only
    assert admin_client.post(f"{url}delete/", {"post": "yes"}).status_code == 302
    assert not CareNotice.objects.exists()
    assert AuditEvent.objects.filter(action="care.notice").exists()  # that it was sent


def test_my_proposals_name_the_notices_waiting_after_an_overdue_report(
    client, kept, resident, neighbour, koszalin
):
    from django.utils import timezone

    from proposals.selectors import next_step

    assert next_step(proposal=kept).text.startswith("Maintenance report 1 is due ")
    care.care_notice_add(user=neighbour, proposal=kept, text="The gate squeaks.")
    second = make_user("second@example.org", city=koszalin)
    care.care_notice_add(user=second, proposal=kept, text="Weeds.")
    step = next_step(proposal=kept)
    assert step.text == "2 residents' notices wait for your answer" and not step.urgent
    assert step.url == f"/koszalin/proposals/{kept.pk}/progress/#care-notices"
    client.force_login(resident)
    assert step.url in client.get("/me/proposals/").content.decode()
    # an overdue report comes first: it is urgent
    Proposal.objects.filter(pk=kept.pk).update(completed_at=timezone.now() - timedelta(days=200))
    late = next_step(proposal=Proposal.objects.get(pk=kept.pk))
    assert late.urgent and late.text.startswith("Maintenance report 1 is overdue")


def test_the_officers_overview_counts_the_notices_waiting(
    client, kept, resident, officer, neighbour, koszalin, django_assert_num_queries
):
    """Beside the reports filed (two, so that a join would multiply the counts): the
    notices that wait for the applicant's answer, in the same one query."""
    from proposals.selectors import sustainability_overview

    Proposal.objects.filter(pk=kept.pk).update(completed_at=kept.completed_at - timedelta(days=400))
    for text in ("Weeded.", "Repainted."):
        delivery.maintenance_report_file(actor=resident, proposal=kept, text=text)
    answered = care.care_notice_add(user=neighbour, proposal=kept, text="Loose plank.")
    care.care_notice_answer(actor=resident, notice=answered, answer="Fixed.")
    for n in range(3):
        who = make_user(f"n{n}@example.org", city=koszalin)
        care.care_notice_add(user=who, proposal=kept, text=f"Litter {n}.")
    with django_assert_num_queries(1):
        [row] = sustainability_overview(city=kept.city)
    assert (row.filed, row.unanswered) == (2, 3)
    client.force_login(officer)
    page = client.get("/koszalin/officer/").content.decode()
    table = page[page.index('id="in-care"') : page.index("</table>", page.index('id="in-care"'))]
    assert "notices unanswered" in table and '<td class="num">3</td>' in table


def test_notices_are_rate_limited_per_person(client, settings, kept, neighbour):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "care_notice": "2/h"}
    client.force_login(neighbour)
    url = f"/koszalin/proposals/{kept.pk}/care/"
    assert client.post(url, {"text": "Loose plank."}).status_code == 302
    assert client.get(url).status_code == 200  # reading one's notices is not counted
    assert client.post(url, {"text": ""}).status_code == 400  # refused, but counted
    limited = client.post(url, {"text": "The gate."})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert CareNotice.objects.count() == 1


def _gps_photo():
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (54.0, 11.0, 25.0)}  # where it was taken
    return jpeg_upload(name="bench.jpg", exif=exif.tobytes())


def test_a_photo_goes_with_the_notice_privately_and_without_where_it_was_taken(
    client, kept, resident, officer, neighbour, koszalin
):
    """Refused once (no words): the photo is kept for the next try, which sends it. Stored
    re-encoded, without the GPS position; shown to the applicant, the officers and the
    resident who sent it, inline; refused to anybody else."""
    from PIL import Image

    client.force_login(neighbour)
    url = f"/koszalin/proposals/{kept.pk}/care/"
    refused = client.post(url, {"text": "", "photo": _gps_photo()})
    assert refused.status_code == 400 and CareNotice.objects.count() == 0
    [token] = re.findall(r'name="held" value="([^"]+)"', refused.content.decode())
    assert "Kept from your last try: bench.jpg" in refused.content.decode()
    assert client.post(url, {"text": "Broken plank.", "held": token}).status_code == 302
    notice = CareNotice.objects.get()
    with Image.open(notice.photo.path) as stored:
        assert not stored.getexif() and "exif" not in stored.info
    photo_url = f"/koszalin/proposals/{kept.pk}/files/care/{notice.pk}/"
    assert f'src="{photo_url}"' in client.get(url).content.decode()  # the sender sees it
    for who, page in ((resident, f"/koszalin/proposals/{kept.pk}/progress/"),
                      (officer, f"/koszalin/officer/proposals/{kept.pk}/")):  # fmt: skip
        client.force_login(who)
        assert f'src="{photo_url}"' in client.get(page).content.decode()
        got = client.get(photo_url)
        assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
        assert "attachment" not in got.get("Content-Disposition", "")
        assert got["Cache-Control"] == "private, no-store"
        assert b"".join(got.streaming_content).startswith(b"\xff\xd8")
    client.force_login(make_user("other@example.org", city=koszalin))
    assert client.get(photo_url).status_code == 403
    client.logout()
    assert client.get(photo_url).status_code == 302  # who signs in
    assert "plank" not in client.get(f"/koszalin/proposals/{kept.pk}/").content.decode()
    without = care.care_notice_add(user=neighbour, proposal=kept, text="And the bin.")
    client.force_login(officer)
    assert client.get(f"/koszalin/proposals/{kept.pk}/files/care/{without.pk}/").status_code == 404


def test_a_file_that_is_no_photo_is_refused_by_name(client, kept, neighbour):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(neighbour)
    fake = SimpleUploadedFile("bench.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    refused = client.post(
        f"/koszalin/proposals/{kept.pk}/care/", {"text": "Broken.", "photo": fake}
    )
    assert refused.status_code == 400 and CareNotice.objects.count() == 0
    assert "The file is not a JPEG, PNG or WebP image." in refused.content.decode()


def test_the_photos_file_goes_with_its_notice(
    admin_client, kept, neighbour, django_capture_on_commit_callbacks
):
    """Erased after the retention time, or deleted in the admin: the file too."""
    import os

    first = care.care_notice_add(user=neighbour, proposal=kept, text="A.", photo=_gps_photo())
    second = care.care_notice_add(user=neighbour, proposal=kept, text="B.", photo=_gps_photo())
    paths = [first.photo.path, second.photo.path]
    assert all(os.path.exists(p) for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/proposals/carenotice/{first.pk}/delete/", {"post": "yes"})
    assert not os.path.exists(paths[0]) and os.path.exists(paths[1])
    later = kept.sustainability_ends_on + timedelta(days=settings.SUPPORTER_DATA_RETENTION_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention(today=later)["care_notices"] == 1
    assert not os.path.exists(paths[1])


def test_the_database_keeps_an_answer_and_its_date_together(kept, neighbour):
    from django.db import IntegrityError, transaction

    notice = care.care_notice_add(user=neighbour, proposal=kept, text="Loose plank.")
    for change in ({"answer": "Fixed."}, {"answered_at": notice.created_at}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CareNotice.objects.filter(pk=notice.pk).update(**change)


def test_the_applicant_is_reminded_once_of_notices_left_unanswered_a_week(
    kept, resident, neighbour, koszalin, mailoutbox, django_capture_on_commit_callbacks
):
    """By the daily job: one e-mail a project in the applicant's language, for the notices
    older than a week without an answer; never twice for the same notice; not for an
    answered one nor a fresh one."""
    from django.utils import timezone

    old, answered, fresh = (
        care.care_notice_add(user=make_user(f"r{n}@example.org", city=koszalin), proposal=kept,
                             text=f"Notice {n}.")
        for n in range(3)
    )  # fmt: skip
    care.care_notice_answer(actor=resident, notice=answered, answer="Done.")
    week_ago = timezone.now() - timedelta(days=care.REMIND_AFTER_DAYS, hours=1)
    CareNotice.objects.filter(pk__in=[old.pk, answered.pk]).update(created_at=week_ago)
    resident.preferred_language = "pl"
    resident.save(update_fields=["preferred_language"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports", stdout=io.StringIO())
    [reminder] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "czeka" in reminder.subject and kept.title in reminder.subject
    assert f"/koszalin/proposals/{kept.pk}/progress/#care-notices" in reminder.body
    assert CareNotice.objects.get(pk=old.pk).reminded_at is not None
    assert CareNotice.objects.get(pk=fresh.pk).reminded_at is None
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports", stdout=io.StringIO())
    assert [m for m in mailoutbox if m.to == [resident.email]] == []  # once
    CareNotice.objects.filter(pk=fresh.pk).update(created_at=week_ago)
    assert care.care_reminders_send(city=koszalin) == 1  # the other, when its week is over


def test_the_officers_are_told_of_notices_unanswered_a_week_after_the_reminder(
    client, kept, resident, officer, neighbour, mailoutbox, django_capture_on_commit_callbacks
):
    """Reminded once, the applicant still does not answer: the officers' workspace and
    their daily digest name the project, until the notice is answered."""
    from django.utils import timezone

    from proposals.selectors import officer_waiting

    notice = care.care_notice_add(user=neighbour, proposal=kept, text="The gate is broken.")
    assert officer_waiting(city=kept.city).unanswered == []
    days = care.REMIND_AFTER_DAYS
    CareNotice.objects.filter(pk=notice.pk).update(
        created_at=timezone.now() - timedelta(days=2 * days + 1),
        reminded_at=timezone.now() - timedelta(days=days - 1),
    )
    assert officer_waiting(city=kept.city).unanswered == []  # reminded less than a week ago
    CareNotice.objects.filter(pk=notice.pk).update(
        reminded_at=timezone.now() - timedelta(days=days + 1)
    )
    assert officer_waiting(city=kept.city).unanswered == [kept]
    client.force_login(officer)
    page = client.get("/koszalin/officer/").content.decode()
    assert 'id="waiting-unanswered"' in page and f"/koszalin/officer/proposals/{kept.pk}/" in page
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports", stdout=io.StringIO())
    [digest] = [m for m in mailoutbox if m.to == [officer.email]]
    assert "bez odpowiedzi tydzień po przypomnieniu wnioskodawcy" in digest.body  # theirs: pl
    care.care_notice_answer(actor=resident, notice=notice, answer="Mended.")
    assert officer_waiting(city=kept.city).unanswered == []


def test_the_city_answers_when_the_applicant_does_not(
    client, kept, officer, neighbour, mailoutbox, django_capture_on_commit_callbacks
):
    """From the project's officers' page (refused without words, the box kept as typed);
    the resident is told it is the city's answer, and so is everyone who reads it."""
    notice = care.care_notice_add(user=neighbour, proposal=kept, text="The gate is broken.")
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{kept.pk}/"
    assert 'name="answer"' in client.get(url).content.decode()
    refused = client.post(url, {"action": "care_answer", "item": notice.pk, "answer": " "})
    assert refused.status_code == 400 and str(msg.CARE_TEXT_MISSING) in refused.content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"action": "care_answer", "item": notice.pk, "answer": "We asked the group."}
        )
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.by_city and notice.answer == "We asked the group."
    [told] = [m for m in mailoutbox if m.to == [neighbour.email]]  # Polish: the city's
    assert told.subject.startswith("Odpowiedź miasta") and "Odpowiedź miasta:" in told.body
    [maintainers] = [m for m in mailoutbox if m.to == [kept.author.email]]  # they learn it too
    assert "The gate is broken." in maintainers.body and "We asked the group." in maintainers.body
    assert neighbour.email not in maintainers.body
    assert f"/koszalin/proposals/{kept.pk}/progress/#care-notices" in maintainers.body
    assert len(mailoutbox) == 2
    page = client.get(url).content.decode()
    assert "Answered by the city" in page and 'name="answer"' not in page
    client.force_login(kept.author)
    assert (
        "The city's answer"
        in client.get(f"/koszalin/proposals/{kept.pk}/progress/").content.decode()
    )
    client.force_login(neighbour)
    mine = client.get(f"/koszalin/proposals/{kept.pk}/care/").content.decode()
    assert "The city's answer" in mine and "We asked the group." in mine


# --- through an Open311 application (sites.open311, service completed-project-care) ------


@pytest.fixture
def app(koszalin):
    from sites.models import Open311Client

    return Open311Client.objects.create(city=koszalin, name="Koszalin <Fix> app")


@pytest.fixture
def granted_elsewhere(kept, neighbour):
    """A project at the same place, not in its sustainability period."""
    return Proposal.objects.create(
        city=kept.city, grant_call=kept.grant_call, author=neighbour, title="Other",
        status=Proposal.Status.IN_PROGRESS, geom=kept.geom,
    )  # fmt: skip


def east_of(proposal, metres: float) -> dict:
    """The Open311 lat and long `metres` east of the project's point (the city's metric CRS)."""
    point = proposal.geom.transform(proposal.city.metric_srid, clone=True)
    point.x += metres
    point.transform(4326)
    return {"lat": f"{point.y:.7f}", "long": f"{point.x:.7f}"}


def open311_post(client, app, language="en", **fields):
    """As the application sends it: its own HTTP client, without a browser's cookies."""
    from django.test import Client

    data = {"api_key": app.api_key, "service_code": "completed-project-care",
            "description": "The swing's chain is broken.", "email": "walker@example.org",
            **fields}  # fmt: skip
    return Client().post("/open311/koszalin/v2/requests.json", data, HTTP_ACCEPT_LANGUAGE=language)


def test_an_open311_application_tells_the_nearest_projects_maintainers(
    client, kept, resident, officer, app, mailoutbox, django_capture_on_commit_callbacks
):
    """No project number: the project in its sustainability period within 50 m gets it. The
    applicant is e-mailed and answers on the works page; the answer goes to the address the
    application gave, in the language it asked in; nothing of it is listed in Open311."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    with django_capture_on_commit_callbacks(execute=True):
        sent = open311_post(client, app, "cs", media_url="https://fix.example.org/p/1.jpg",
                            **east_of(kept, 30))  # fmt: skip
    assert sent.status_code == 200, sent.content
    [answer] = sent.json()
    assert (
        set(answer) == {"token", "service_notice", "account_id"}
        and kept.title in (answer["service_notice"])
    )
    notice = CareNotice.objects.get()
    assert (notice.proposal, notice.author, notice.email, notice.language) == (
        kept, None, "walker@example.org", "cs",
    )  # fmt: skip
    assert notice.open311_client == app and str(notice.token) == answer["token"]
    [to_applicant] = mailoutbox
    assert (
        to_applicant.to == [resident.email] and "The swing's chain is broken." in to_applicant.body
    )
    assert "walker@example.org" not in to_applicant.body
    event = AuditEvent.objects.get(action="care.notice")
    assert event.actor is None and event.after["open311_client"] == app.pk

    token = client.get(f"/open311/koszalin/v2/tokens/{answer['token']}.json").json()
    assert token == [{"service_request_id": None, "token": answer["token"]}]  # never public
    for query in ("", "?service_code=completed-project-care"):
        listed = client.get(f"/open311/koszalin/v2/requests.json{query}").content.decode()
        assert "swing" not in listed

    client.force_login(officer)
    office = client.get(f"/koszalin/officer/proposals/{kept.pk}/").content.decode()
    assert "walker@example.org, through Koszalin &lt;Fix&gt; app" in office
    client.force_login(resident)
    works = client.get(f"/koszalin/proposals/{kept.pk}/progress/").content.decode()
    assert "swing&#x27;s chain" in works and "walker@example.org" not in works
    assert 'href="https://fix.example.org/p/1.jpg" rel="noopener noreferrer nofollow"' in works
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answered = {"action": "care_answer", "item": notice.pk, "answer": "A new chain, Monday."}
        client.post(f"/koszalin/proposals/{kept.pk}/progress/", answered)
    [to_walker] = mailoutbox
    with translation.override("cs"):
        subject = _("An answer from those who look after “%(title)s”") % {"title": kept.title}
    assert to_walker.to == ["walker@example.org"] and to_walker.subject == subject
    assert "A new chain, Monday." in to_walker.body and resident.email not in to_walker.body


def test_an_open311_notice_names_its_project_or_is_refused_with_what_is_wrong(
    client, kept, app, granted_elsewhere
):
    """Every refusal in Open311's error format, naming the field, and nothing stored: no
    address to answer to, no project near, a number that is not a project in its period
    here or is far from the place, no place, too few words, too many waiting."""
    cases = [
        ({**east_of(kept, 10), "email": ""}, "email"),
        ({**east_of(kept, 10), "email": "not an address"}, "email"),
        ({**east_of(kept, 10), "email": "a" * 64 + "@" + "b" * 60 + ".bb" * 60 + ".org"}, "email"),
        ({**east_of(kept, 400)}, "attribute[project]"),
        ({**east_of(kept, 10), "attribute[project]": "999999"}, "attribute[project]: no"),
        ({**east_of(kept, 10), "attribute[project]": str(granted_elsewhere.pk)},
         "attribute[project]: no"),
        ({**east_of(kept, 400), "attribute[project]": str(kept.pk)}, "more than 250 m"),
        ({"lat": "nan", "long": "16.18"}, "lat and long"),
        ({**east_of(kept, 10), "description": " "}, ""),
        ({**east_of(kept, 10), "email": kept.author.email}, ""),  # the maintainers themselves
        ({**east_of(kept, 10), "media_url": "javascript:alert(1)"}, "media_url"),
    ]  # fmt: skip
    for fields, words in cases:
        refused = open311_post(client, app, **fields)
        assert refused.status_code == 400, (fields, refused.content)
        [error] = refused.json()
        assert error["code"] == 400 and words in error["description"], (fields, error)
    assert not CareNotice.objects.exists()

    near = open311_post(client, app, **east_of(kept, 200), **{"attribute[project]": str(kept.pk)})
    assert near.status_code == 200  # numbered: within 250 m
    for _i in range(2):
        assert open311_post(client, app, **east_of(kept, 10)).status_code == 200
    too_many = open311_post(client, app, **east_of(kept, 10), email="WALKER@example.org")
    assert too_many.status_code == 400 and "3" in too_many.json()[0]["description"]
    assert CareNotice.objects.count() == 3


def test_the_open311_services_offer_the_maintainers_notice(client, koszalin):
    services = client.get("/open311/koszalin/v2/services.json").json()
    assert [s["service_code"] for s in services] == ["neglected-site", "completed-project-care"]
    assert services[1]["type"] == "realtime"
    definition = client.get("/open311/koszalin/v2/services/completed-project-care.json").json()
    [attribute] = definition["attributes"]
    assert attribute["code"] == "project" and attribute["required"] is False
    broken = client.get("/open311/koszalin/v2/tokens/------------------------------------.json")
    assert broken.status_code == 404


# --- abuse: the applicant reports a notice; the officers keep or remove it ----------------


def test_the_applicant_reports_an_abusive_notice_and_the_city_removes_or_keeps_it(
    client, kept, resident, officer, neighbour, mailoutbox, django_capture_on_commit_callbacks
):
    """Reported, a notice waits for no answer (no reminder, no step, not in "My proposals")
    and is the officers' step; removed, its words and photo go, the resident hears why and
    the applicant the outcome; kept, it waits for the answer again and cannot be reported
    again. The audit keeps who and why, never the words."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    from mapapp.models import AuditEvent
    from proposals.selectors import officer_waiting
    from proposals.selectors.workspace import next_step

    abusive = care.care_notice_add(user=neighbour, proposal=kept, text="You are <all> idiots.",
                                   photo=jpeg_upload())  # fmt: skip
    fair = care.care_notice_add(user=neighbour, proposal=kept, text="The gate squeaks.")
    photo = (abusive.photo.storage, abusive.photo.name)
    works = f"/koszalin/proposals/{kept.pk}/progress/"
    client.force_login(resident)
    assert 'value="care_abuse"' in client.get(works).content.decode()
    assert client.post(works, {"action": "care_abuse", "item": abusive.pk}).status_code == 302
    abusive.refresh_from_db()
    assert abusive.abuse == CareNotice.Abuse.REPORTED
    page = client.get(works).content.decode()
    assert "You reported it as abusive" in page and page.count('value="care_abuse"') == 1
    again = client.post(works, {"action": "care_abuse", "item": abusive.pk})
    assert again.status_code == 400 and str(msg.CARE_ABUSE_REPORTED) in again.content.decode()

    # waiting for the city, not for the applicant's answer
    assert "A resident's notice waits" in str(next_step(proposal=kept).text)
    CareNotice.objects.update(created_at=abusive.created_at - timedelta(days=8))
    assert care.care_reminders_send(city=kept.city) == 1
    assert list(CareNotice.objects.filter(reminded_at__isnull=False)) == [fair]
    assert officer_waiting(city=kept.city).abusive == [kept]

    with pytest.raises(PermissionDenied):  # the applicant does not decide
        care.care_notice_remove(actor=resident, notice=abusive, reason="Rude.")
    office = f"/koszalin/officer/proposals/{kept.pk}/"
    client.force_login(officer)
    page = client.get(office).content.decode()
    assert "The applicant reports it as abusive" in page and 'value="care_keep"' in page
    refused = client.post(office, {"action": "care_remove", "item": abusive.pk, "reason": " "})
    assert refused.status_code == 400 and str(msg.CARE_REMOVE_REASON) in refused.content.decode()
    assert CareNotice.objects.filter(pk=abusive.pk).exists()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(office, {"action": "care_remove", "item": abusive.pk,
                                       "reason": "Insults <are> not a notice."})  # fmt: skip
    assert removed.status_code == 302
    assert not CareNotice.objects.filter(pk=abusive.pk).exists()
    assert not photo[0].exists(photo[1])
    event = AuditEvent.objects.get(action="care.removed")
    assert event.note == "Insults <are> not a notice." and "idiots" not in str(event.before)
    [to_resident] = [m for m in mailoutbox if m.to == [neighbour.email]]
    with translation.override(neighbour.language_in(kept.city)):
        subject = _("Your notice about “%(title)s” was removed") % {"title": kept.title}
    assert to_resident.subject == subject and "Insults <are> not a notice." in to_resident.body
    [to_applicant] = [m for m in mailoutbox if m.to == [resident.email]]
    with translation.override(resident.language_in(kept.city)):
        subject = _("The notice you reported about “%(title)s” was removed") % {"title": kept.title}
    assert to_applicant.subject == subject and "idiots" not in to_applicant.body
    assert officer_waiting(city=kept.city).abusive == []

    # reported and kept: it waits for the answer again, and stays
    care.care_notice_report_abuse(actor=resident, notice=fair)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        kept_it = client.post(office, {"action": "care_keep", "item": fair.pk})
    assert kept_it.status_code == 302
    fair.refresh_from_db()
    assert fair.abuse == CareNotice.Abuse.KEPT
    [told] = mailoutbox
    assert told.to == [resident.email] and f"{works}#care-notices" in told.body
    client.force_login(resident)
    again = client.post(works, {"action": "care_abuse", "item": fair.pk})
    assert again.status_code == 400 and str(msg.CARE_ABUSE_KEPT) in again.content.decode()
    assert "The city kept it after your report" in client.get(works).content.decode()
    assert "A resident's notice waits" in str(next_step(proposal=kept).text)
    with pytest.raises(ValidationError):  # kept is not reported: nothing to keep
        care.care_notice_keep(actor=officer, notice=fair)
    client.force_login(neighbour)
    mine = client.get(f"/koszalin/proposals/{kept.pk}/care/").content.decode()
    assert "idiots" not in mine and "The gate squeaks." in mine


def test_a_grant_revoked_in_the_sustainability_period(
    client, kept, resident, officer, neighbour, koszalin, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """The community stopped looking after the place: the officers revoke the grant in the
    sustainability period. The project built stays on the public map of completed projects,
    its upkeep ended that day (the reports asked of it until then, no more); residents can no
    longer write to its maintainers; the residents' notices and the applicant's data are
    erased the retention time after the revocation, not after the period it cut short."""
    from proposals.services import grants

    call = kept.grant_call
    granted_before = grants.granted_total(call)
    Proposal.objects.filter(pk=kept.pk).update(  # completed 400 days ago: two reports due
        completed_at=timezone.now() - timedelta(days=400), contact_phone="+48 600 100 200"
    )
    kept.refresh_from_db()
    delivery.maintenance_report_file(actor=resident, proposal=kept, text="Weeded.")
    sent_notice = care.care_notice_add(user=neighbour, proposal=kept, text="The bench is gone.")
    today = koszalin.local_date()
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    client.force_login(officer)
    url = f"/koszalin/officer/proposals/{kept.pk}/"
    assert 'value="revoke"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"action": "revoke", "revoked_on": today.isoformat(),
                                 "revoke_reason": "Nobody looks after the <garden>."})  # fmt: skip
    assert sent.status_code == 302
    kept.refresh_from_db()
    assert kept.status == Proposal.Status.REVOKED
    assert grants.granted_total(call) == granted_before - kept.granted_amount
    # built all the same, in the programme's figures; its grant no longer counts
    from proposals.selectors.figures import programme_figures

    [row] = [r for r in programme_figures(city=koszalin)[0] if r.call.pk == call.pk]
    assert (row.completed, row.granted) == (1, 0)
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "Nobody looks after the <garden>." in told.body
    # the project built stays public, its upkeep under the grant ended the day before
    done = kept.intervention
    done.refresh_from_db()
    assert done.sustainability_ends_on == today - timedelta(days=1)
    visitor = Client()
    visitor.cookies["django_language"] = "en"
    page = visitor.get(f"/koszalin/interventions/{done.pk}/").content.decode()
    assert 'status-pill status-revoked">Grant revoked' in page
    notice = page[page.index('id="grant-revoked"') :]
    notice = notice[: notice.index("</p>")]
    assert "The city revoked the project's grant on" in notice
    assert f'href="/koszalin/proposals/{kept.pk}/"' in notice
    assert "Maintained by" not in page and "Sustainability period ends" not in page
    reports = page[page.index('class="care-reports"') :]
    reports = reports[: reports.index("</ol>")]
    assert reports.count("<li") == 2 and "Report 1, filed" in reports and "Not filed." in reports
    assert f"/koszalin/proposals/{kept.pk}/care/" not in page
    public = visitor.get(f"/koszalin/proposals/{kept.pk}/").content.decode()
    assert "Nobody looks after the &lt;garden&gt;." in public
    assert f'id="completed-project" href="/koszalin/interventions/{done.pk}/"' in public
    listed = visitor.get("/api/v1/koszalin/interventions/").json()["features"]
    assert [f["properties"]["sustainability"] for f in listed if f["id"] == done.pk] == [
        "grant_revoked"
    ]
    listed = visitor.get("/api/v1/koszalin/interventions/?sustainability=grant_revoked").json()
    assert [f["id"] for f in listed["features"]] == [done.pk]
    row = visitor.get("/koszalin/interventions/").content.decode()
    row = row[row.index(f'data-intervention="{done.pk}"') :]
    assert "Grant revoked" in row[: row.index("</tr>")]
    with pytest.raises(ValidationError):
        care.care_notice_add(user=neighbour, proposal=kept, text="Still gone.")
    # the officers still see what was done and reported, for settling what was paid out
    officers_page = client.get(url).content.decode()
    assert 'id="works"' in officers_page and "Weeded." in officers_page
    schedule = officers_page[officers_page.index('id="maintenance-schedule"') :]
    schedule = schedule[: schedule.index("</tbody>")]
    assert schedule.count("<tr") == 3  # the header and reports 1 and 2: not those due after
    assert "Sustainability period ends" not in officers_page
    # what waits is the city's to answer now: its officers' page says so, the applicant may not
    home = client.get("/koszalin/officer/").content.decode()
    line = home[home.index('id="waiting-revoked_notices"') :]
    assert "1 project whose grant was revoked has residents&#x27; notices waiting" in line
    assert f"/koszalin/officer/proposals/{kept.pk}/" in line[: line.index("</li>")]
    with pytest.raises(ValidationError):
        care.care_notice_answer(actor=resident, notice=sent_notice, answer="We moved away.")
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(url, {"action": "care_answer", "item": sent_notice.pk,
                                     "answer": "The city will see to the bench."})  # fmt: skip
    assert answered.status_code == 302
    sent_notice.refresh_from_db()
    assert sent_notice.by_city and sent_notice.answer == "The city will see to the bench."
    assert "waiting-revoked_notices" not in client.get("/koszalin/officer/").content.decode()
    # its period would have ended yesterday: the revocation's day counts instead
    Proposal.objects.filter(pk=kept.pk).update(sustainability_ends_on=today - timedelta(days=400))
    days = settings.SUPPORTER_DATA_RETENTION_DAYS
    result = apply_retention(today=today)
    assert (result["care_notices"], result["contact_phones"]) == (0, 0)
    assert CareNotice.objects.filter(pk=sent_notice.pk).exists()
    Proposal.objects.filter(pk=kept.pk).update(revoked_at=timezone.now() - timedelta(days + 1))
    result = apply_retention(today=today)
    assert (result["care_notices"], result["contact_phones"]) == (1, 1)
    assert not CareNotice.objects.filter(pk=sent_notice.pk).exists()
