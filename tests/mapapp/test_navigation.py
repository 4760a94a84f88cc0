"""Where a posted form goes back to: only into this site, never elsewhere."""

import pytest
from django.test import RequestFactory

from mapapp.navigation import posted_next


@pytest.mark.parametrize(
    "target, secure, expected",
    [
        ("/koszalin/proposals/4/#follow", False, "/koszalin/proposals/4/#follow"),
        ("https://testserver/me/proposals/", True, "https://testserver/me/proposals/"),
        ("http://testserver/me/proposals/", True, "/fallback/"),  # http from an https page
        ("https://evil.example/", False, "/fallback/"),
        ("//evil.example/x", False, "/fallback/"),
        ("", False, "/fallback/"),
        # not an address at all: Django's redirect() would take it for a view's name and
        # answer a server error (found by posting forms with crafted values)
        ("-1", False, "/fallback/"),
        ("proposals:list", False, "/fallback/"),
        ("koszalin/proposals/", False, "/fallback/"),  # relative to the page: not ours
        ("javascript:alert(1)", False, "/fallback/"),
        ("http://[::1", False, "/fallback/"),
    ],
)
def test_posted_next_stays_on_this_site(target, secure, expected):
    request = RequestFactory().post("/x/", {"next": target}, secure=secure)
    assert posted_next(request, "/fallback/") == expected


@pytest.mark.parametrize("path", ["/koszalin/alerts/", "/koszalin/flag/"])
def test_a_form_posting_a_next_that_is_no_address_goes_back_to_its_default(client, koszalin, path):
    """The two forms where a crafted `next` of "-1" answered 500: a redirect home now."""
    from mapapp.models import Role
    from tests.proposals.conftest import make_user

    client.force_login(make_user("r@example.org", Role.RESIDENT, city=koszalin))
    response = client.post(path, {"next": "-1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/koszalin/")
