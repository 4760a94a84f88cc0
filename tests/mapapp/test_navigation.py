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
    ],
)
def test_posted_next_stays_on_this_site(target, secure, expected):
    request = RequestFactory().post("/x/", {"next": target}, secure=secure)
    assert posted_next(request, "/fallback/") == expected
