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
