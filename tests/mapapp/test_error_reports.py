"""Errors reach the maintainers by e-mail (ERROR_EMAILS), without the personal data of the
request that met them, once per place of failure per ERROR_MAIL_SECONDS."""

import logging

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import include, path

from tests.proposals.conftest import make_user


def _first_failure(request):
    raise RuntimeError("the first page broke")


def _second_failure(request):
    raise LookupError("the second page broke")


urlpatterns = [
    path("boom/", _first_failure),
    path("boom-again/", _second_failure),
    path("", include("mapapp.urls")),
]
handler500 = "mapapp.views.server_error"


@pytest.fixture
def maintainers(settings):
    settings.ADMINS = [("ops@city.example.org", "ops@city.example.org")]
    settings.ERROR_MAIL_SECONDS = 600
    settings.DEBUG = False
    caches["default"].clear()  # the once-a-while marks of other tests
    return settings


def _fail(path_, **extra):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "s3cr3t-session-value"
    client.cookies["django_language"] = "pl"
    return client, client.post(
        path_,
        {"full_name": "Jan Kowalski", "address": "Zwycięstwa 42, Koszalin", "phone": "601234567"},
        REMOTE_ADDR="203.0.113.77",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
        HTTP_USER_AGENT="TestBrowser/1.0",
        **extra,
    )


@pytest.mark.urls("tests.mapapp.test_error_reports")
def test_a_server_error_is_mailed_without_what_the_person_sent(maintainers, db):
    _client, response = _fail("/boom/")
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@city.example.org"]
    body = message.body
    assert message.subject == (
        "[We Create Space] ERROR (EXTERNAL IP): Internal Server Error: /boom/ [RuntimeError]"
    )
    # what a maintainer needs: the traceback, the page, the method, the browser
    assert "the first page broke" in body and "_first_failure" in body
    assert "Request Method: POST" in body and "TestBrowser/1.0" in body
    # what the person sent, and who they are: never
    for private in ("Jan Kowalski", "Zwycięstwa 42", "601234567", "s3cr3t-session-value",
                    "203.0.113.77", "198.51.100.23"):  # fmt: skip
        assert private not in body, private
    assert "full_name = '********************'" in body  # the field, to know what was sent
    assert "USER: anonymous" in body
    assert not message.alternatives  # plain text only: no HTML page of local variables


@pytest.mark.urls("tests.mapapp.test_error_reports")
def test_a_signed_in_person_is_an_account_number(maintainers, koszalin):
    user = make_user("maria.nowak@example.org", city=koszalin)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    assert client.get("/boom/").status_code == 500
    body = mail.outbox[0].body
    assert "maria.nowak@example.org" not in body
    assert f"USER: account #{user.pk}" in body


@pytest.mark.urls("tests.mapapp.test_error_reports")
def test_one_mail_per_place_of_failure_in_a_while(maintainers, db):
    for _ in range(5):
        assert _fail("/boom/")[1].status_code == 500
    assert len(mail.outbox) == 1  # a broken page hit five times
    assert _fail("/boom-again/")[1].status_code == 500
    assert len(mail.outbox) == 2  # another failure is news
    assert "LookupError" in mail.outbox[1].subject
    caches["default"].clear()  # ERROR_MAIL_SECONDS pass
    _fail("/boom/")
    assert len(mail.outbox) == 3


@pytest.mark.urls("tests.mapapp.test_error_reports")
def test_nothing_is_mailed_without_addresses_or_while_debugging(maintainers, db):
    maintainers.ADMINS = []
    _fail("/boom/")
    assert mail.outbox == []
    maintainers.ADMINS = [("ops@city.example.org", "ops@city.example.org")]
    maintainers.DEBUG = True
    logging.getLogger("geodata.import_jobs").error("a job failed")
    assert mail.outbox == []


def test_a_background_job_failing_is_mailed(maintainers, db):
    try:
        raise ValueError("the layer file is broken")
    except ValueError:
        logging.getLogger("geodata.import_jobs").exception("layer import %s failed", 7)
    assert len(mail.outbox) == 1
    assert "layer import 7 failed" in mail.outbox[0].subject
    assert "the layer file is broken" in mail.outbox[0].body


def test_a_request_for_another_host_is_not_mailed(maintainers, db):
    response = Client().get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert mail.outbox == []
