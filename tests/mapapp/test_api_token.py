"""Staff make their own API token for QGIS and scripts at /me/token/: shown once, one at a
time, ended at will, audited; it reads what their role may, and nothing once ended."""

import re

import pytest
from rest_framework.authtoken.models import Token

from geodata.models import Layer
from mapapp.models import AuditEvent, Role
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db


def _key(page: str) -> str:
    return re.search(r'<code id="token-key">([0-9a-f]{40})</code>', page).group(1)


def test_gis_staff_make_a_token_that_reads_their_layers_then_replace_and_end_it(
    client, koszalin, settings
):
    settings.LANGUAGE_CODE = "en"
    hidden = Layer.objects.create(city=koszalin, kind="municipal_land", name="City land",
                                  is_current=True, is_public=False)  # fmt: skip
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    client.force_login(gis)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/me/token/")
    assert page.status_code == 200 and "You have no token." in page.content.decode()
    made = client.post("/me/token/", {"action": "issue"})
    assert made["Cache-Control"] == "no-store"
    first = _key(made.content.decode())
    client.logout()  # a script, not the browser
    layer = f"/api/v1/koszalin/layers/{hidden.pk}/"
    assert client.get(layer, HTTP_AUTHORIZATION=f"Token {first}").status_code == 200
    client.force_login(gis)
    again = client.get("/me/token/").content.decode()
    assert first not in again and f"…{first[-4:]}" in again  # never shown again
    second = _key(client.post("/me/token/", {"action": "issue"}).content.decode())
    assert second != first and Token.objects.filter(user=gis).count() == 1
    ended = client.post("/me/token/", {"action": "revoke"}).content.decode()
    assert 'id="token-revoked"' in ended and not Token.objects.filter(user=gis).exists()
    client.logout()
    for key in (first, second):
        assert client.get(layer, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    actions = list(AuditEvent.objects.filter(action__startswith="token.")
                   .order_by("pk").values_list("action", flat=True))  # fmt: skip
    assert actions == ["token.issued", "token.issued", "token.revoked"]
    assert not any(first in str(e.after) for e in AuditEvent.objects.all())  # no key kept


def test_residents_hold_no_token_and_staff_find_the_page(client, koszalin):
    resident = make_user("res@example.org", Role.RESIDENT, city=koszalin)
    client.force_login(resident)
    assert client.get("/me/token/").status_code == 403
    assert client.post("/me/token/", {"action": "issue"}).status_code == 403
    assert not Token.objects.exists()
    assert "/me/token/" not in client.get("/koszalin/exports/").content.decode()
    client.force_login(make_user("planner@example.org", Role.PLANNER, city=koszalin))
    assert "/me/token/" in client.get("/koszalin/exports/").content.decode()
    assert "/me/token/" in client.get("/me/data/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_leave_one_token(koszalin):
    """A double click: two makes at once wait for each other (the person's row is locked),
    rather than the second failing on the one-token-a-person constraint."""
    import threading

    from django.db import connection

    from mapapp.services import api_token_issue

    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    errors, barrier = [], threading.Barrier(2)

    def make():
        try:
            barrier.wait()
            api_token_issue(user=gis)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and Token.objects.filter(user=gis).count() == 1


def _made_ago(token, **ago):
    from datetime import timedelta

    from django.utils import timezone

    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(**ago))


def test_the_page_says_until_when_a_token_is_good_and_when_it_ended(client, koszalin, settings):
    settings.LANGUAGE_CODE = "en"
    settings.API_TOKEN_DAYS, settings.API_TOKEN_REMIND_DAYS = 365, 14
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    client.force_login(gis)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post("/me/token/", {"action": "issue"})
    page = client.get("/me/token/").content.decode()
    assert 'id="token-ends"' in page and "We e-mail you 14 days before it ends." in page
    _made_ago(Token.objects.get(user=gis), days=366)
    page = client.get("/me/token/").content.decode()
    assert 'id="token-ended"' in page and 'id="token-ends"' not in page
    client.post("/me/token/", {"action": "issue"})  # a new one starts a new year
    assert 'id="token-ended"' not in client.get("/me/token/").content.decode()
    settings.API_TOKEN_DAYS = 0
    page = client.get("/me/token/").content.decode()
    assert 'id="token-ends"' not in page and 'id="token-ended"' not in page


def test_holders_are_told_once_before_their_token_ends(
    koszalin, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from mapapp.services import api_token_issue
    from mapapp.services import api_token_reminders_send as send

    def api_token_reminders_send():
        with django_capture_on_commit_callbacks(execute=True):
            return send()

    settings.API_TOKEN_DAYS, settings.API_TOKEN_REMIND_DAYS = 365, 14
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    gis.preferred_language = "pl"
    gis.save()
    planner = make_user("planner@example.org", Role.PLANNER, city=koszalin)
    gone = make_user("gone@example.org", Role.GIS_STAFF, city=koszalin)
    ending, later = api_token_issue(user=gis), api_token_issue(user=planner)
    ended = api_token_issue(user=gone)
    _made_ago(ending, days=352)  # ends in 13 days
    _made_ago(later, days=340)  # in 25 days: not yet
    _made_ago(ended, days=366)  # ended: its holder already knows from the refusals
    assert api_token_reminders_send() == 1
    assert api_token_reminders_send() == 0  # once per token
    (sent,) = mailoutbox
    assert sent.to == ["gis@example.org"]
    assert f"…{ending.key[-4:]}" in sent.body and ending.key not in sent.body
    assert "/me/token/" in sent.body and "Koszalin" in sent.body  # signed by the city
    assert "token API" in sent.subject  # in the holder's language (Polish)

    fresh = api_token_issue(user=gis)  # a replaced token is reminded in its own turn
    assert api_token_reminders_send() == 0
    _made_ago(fresh, days=360)
    gis.is_active = False  # unless the account is closed
    gis.save()
    assert api_token_reminders_send() == 0
    gis.is_active = True
    gis.save()
    assert api_token_reminders_send() == 1 and len(mailoutbox) == 2
    settings.API_TOKEN_DAYS = 0  # tokens that do not end are never reminded
    _made_ago(later, days=360)
    assert api_token_reminders_send() == 0


def test_the_daily_job_tells_holders_of_ending_tokens(
    koszalin, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from mapapp.services import api_token_issue

    settings.API_TOKEN_DAYS, settings.API_TOKEN_REMIND_DAYS = 30, 14
    token = api_token_issue(user=make_user("gis@example.org", Role.GIS_STAFF, city=koszalin))
    _made_ago(token, days=20)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports", stdout=__import__("io").StringIO())
    assert [m.to for m in mailoutbox] == [["gis@example.org"]]


def test_the_last_use_is_noted_at_most_once_an_hour(client, koszalin, settings):
    from datetime import timedelta

    from django.utils import timezone

    from mapapp.models import ApiTokenRecord
    from mapapp.services import api_token_issue

    settings.LANGUAGE_CODE = "en"
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    token = api_token_issue(user=gis)
    client.force_login(gis)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Not used yet." in client.get("/me/token/").content.decode()
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/v1/koszalin/layers/", **auth).status_code == 200
    used = ApiTokenRecord.objects.get(token=token).last_used_at
    assert timezone.now() - used < timedelta(seconds=30)
    assert "Last used on" in client.get("/me/token/").content.decode()
    earlier = used - timedelta(minutes=20)
    ApiTokenRecord.objects.filter(token=token).update(last_used_at=earlier)
    client.get("/ogcapi/koszalin/collections", {"f": "json"}, **auth)  # within the hour
    assert ApiTokenRecord.objects.get(token=token).last_used_at == earlier


def test_the_admin_lists_tokens_without_their_keys_and_ends_them(client, koszalin):
    from mapapp.models import User
    from mapapp.services import api_token_issue

    admin = User.objects.create_superuser(email="root@example.org", password="x-long-pass-42")
    client.force_login(admin)
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    planner = make_user("planner@example.org", Role.PLANNER, city=koszalin)
    keys = {u.pk: api_token_issue(user=u).key for u in (gis, planner)}
    listing = client.get("/admin/authtoken/tokenproxy/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert all(key not in page and f"…{key[-4:]}" in page for key in keys.values())
    assert "gis@example.org" in page
    assert client.get(f"/admin/authtoken/tokenproxy/{gis.pk}/change/").status_code == 404
    assert client.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    ended = client.post("/admin/authtoken/tokenproxy/", {
        "action": "end_tokens", "_selected_action": [str(gis.pk)]}, follow=True)  # fmt: skip
    assert "1 token ended." in ended.content.decode()
    assert list(Token.objects.values_list("user_id", flat=True)) == [planner.pk]
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor_id == admin.pk and keys[gis.pk] not in str(event.after)


def test_only_gis_staff_make_a_token_that_imports(client, koszalin, settings):
    settings.LANGUAGE_CODE = "en"
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    client.force_login(gis)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'name="can_import"' in client.get("/me/token/").content.decode()
    made = client.post("/me/token/", {"action": "issue", "can_import": "1"}).content.decode()
    assert "It reads, and sends layers for import." in made
    again = client.post("/me/token/", {"action": "issue"}).content.decode()
    assert "It reads only." in again  # a new token is made as asked, not as the last one
    event = AuditEvent.objects.filter(action="token.issued").order_by("pk").first()
    assert event.after["can_import"] is True
    planner = make_user("planner@example.org", Role.PLANNER, city=koszalin)
    client.force_login(planner)
    page = client.get("/me/token/").content.decode()
    assert 'name="can_import"' not in page
    assert client.post("/me/token/", {"action": "issue", "can_import": "1"}).status_code == 403
    assert not Token.objects.filter(user=planner).exists()


def test_tokens_of_gis_staff_made_before_scopes_keep_importing(koszalin):
    """The migration that gave tokens their scope (mapapp 0018) records the existing
    tokens of GIS staff as able to import, so that running scripts do not break; others
    only read. Its data step, run on today's models."""
    import importlib

    from django.apps import apps

    from mapapp.models import ApiTokenRecord

    step = importlib.import_module("mapapp.migrations.0018_api_token_can_import")
    gis = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    planner = make_user("planner@example.org", Role.PLANNER, city=koszalin)
    old = {u.email: Token.objects.create(user=u) for u in (gis, planner)}
    step.keep_imports_working(apps, None)
    assert ApiTokenRecord.objects.get(token=old["gis@example.org"]).can_import
    assert not ApiTokenRecord.objects.filter(token=old["planner@example.org"], can_import=True)
    step.keep_imports_working(apps, None)  # twice: still one record each
    assert ApiTokenRecord.objects.count() == 1
