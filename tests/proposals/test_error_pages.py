"""Error pages: in the visitor's language and the site's frame for people, JSON for the
machine interfaces, and pages that render without the request when that is what failed."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from mapapp.models import Role
from tests.proposals.conftest import make_user


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Page not found"), ("pl", "Nie znaleziono strony"), ("cs", "Stránka nenalezena")],
)
def test_404_page_is_translated_and_framed(client, koszalin, language, title):
    client.cookies["django_language"] = language  # as the language switcher sets it
    response = client.get("/koszalin/proposals/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert 'class="site-header"' in html and 'href="/"' in html  # the site's frame, a way on


def test_machine_interfaces_get_json_errors(client, koszalin):
    response = client.get("/api/v1/koszalin/nothing-here/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    response = client.get("/tiles/koszalin/nothing-here/14/9000/5000.mvt")  # a reason given
    assert response.status_code == 404 and response.json() == {"detail": "No such collection."}
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/cities/", HTTP_HOST="evil.example.org")
    assert response.status_code == 400 and response.json() == {"detail": "Bad request."}
    from mapapp.views import permission_denied

    response = permission_denied(RequestFactory().get("/tiles/koszalin/x/1/1/1.mvt"))
    assert response.status_code == 403 and response["Content-Type"] == "application/json"


def test_403_says_why_and_offers_a_way_on(client, draft, koszalin):
    client.force_login(make_user("stranger@example.org", Role.RESIDENT, city=koszalin))
    response = client.get(f"/koszalin/proposals/{draft.pk}/files/consent/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Not allowed</h1>" in html and "ask the city's programme office" in html
    assert "stranger@example.org" in html  # the frame shows who is signed in


def test_an_unknown_host_gets_a_plain_400_page(db):
    """DisallowedHost: the request cannot be trusted to build links, so the page stands
    alone instead of rendering the site's frame (which would fail the same way)."""
    client = Client(raise_request_exception=False)
    response = client.get("/koszalin/", HTTP_HOST="evil.example.org", HTTP_ACCEPT_LANGUAGE="cs")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Chybný požadavek</h1>" in html and "evil.example.org" not in html


def test_500_page_renders_without_the_request(db):
    from mapapp.views import server_error

    with translation.override("pl"):
        response = server_error(RequestFactory().get("/koszalin/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Coś poszło nie tak</h1>" in html and 'lang="pl"' in html
    response = server_error(RequestFactory().get("/ogcapi/koszalin/"))
    assert response.status_code == 500 and response.content == b'{"detail": "Server error."}'


def test_a_failed_csrf_check_explains_itself(koszalin, resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    client.cookies["django_language"] = "pl"
    response = client.post("/koszalin/proposals/new/", {"title": "T"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Formularz wygasł</h1>" in html and "Wróć, odśwież stronę" in html
