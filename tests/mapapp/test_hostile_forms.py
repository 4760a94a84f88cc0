"""Every form a role reaches, posted with hostile values, answers something other than a
server error: a refusal (400 with the reason), a redirect, or a page. The values are the
ones that once answered 500 when a session posted every form of the demo this way (a
`next` of "-1", row ids that are no numbers, an image document of 900 megapixels); the
crawl keeps them from coming back in a form added later. One form a kind of page (ids in
paths count as one), each of its actions; each file field gets the bad files in turn, the
rest of the form as the page filled it."""

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

# not followed or not posted: signing out, erasing, downloads, the account's own settings
# (a password form posted with junk locks the crawl out), files and the admin
SKIP = re.compile(
    r"^/(accounts/|admin/|static/|media/|api/|ogcapi/|open311/|tiles/|i18n/)|logout|"
    r"stop-emails|/files/|export|erase|delete|backup|\.(csv|gpkg|zip|geojson|ics|pdf|mvt|qgs)$"
)
HOSTILE = ["-1", "x" * 3000, "1e309", "9999-12-31", "\u202e<b>&amp;", "http://[::1"]
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
FIELD = re.compile(r"<(?:input|textarea|select|button)\b[^>]*>", re.I)


def _attrs(tag: str) -> dict:
    return {k.lower(): unescape(v) for k, v in ATTR.findall(tag)}


def _forms(html: str, page: str):
    """(action path, fields with their values, its file fields, the actions its buttons
    post)."""
    for tag, body in FORM.findall(html):
        form = _attrs(tag)
        if form.get("method", "get").lower() != "post":
            continue
        action = urlsplit(urljoin(page, form.get("action") or page)).path
        fields, files, actions = {}, [], set()
        for field in FIELD.findall(body):
            a = _attrs(field)
            if "name" not in a:
                continue
            if a.get("type") == "file":
                files.append(a["name"])
            elif a["name"] == "action":
                actions.add(a.get("value", ""))
            else:
                fields.setdefault(a["name"], a.get("value", ""))
        yield action, fields, files, sorted(actions) or [None]


def _bad_files():
    """Files no upload may take, each a fresh upload: the kinds that were tried by hand."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.proposals.conftest import png_claiming

    return [
        SimpleUploadedFile("empty.jpg", b"", "image/jpeg"),
        SimpleUploadedFile("words.jpg", b"not an image at all", "image/jpeg"),
        SimpleUploadedFile("bomb.png", png_claiming(30000, 30000), "image/png"),
        SimpleUploadedFile("broken.pdf", b"%PDF-1.4 and nothing", "application/pdf"),
        SimpleUploadedFile(
            "x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/svg+xml"
        ),
        SimpleUploadedFile("../../x.zip", b"PK\x03\x04broken", "application/zip"),
    ]


@pytest.fixture
def demo(db, settings):
    from mapapp.demo import load_demo_cities, load_demo_users
    from proposals.demo import load_demo_programme
    from sites.demo import load_demo_sites

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.RATE_LIMITS = {}  # a crawl posts faster than any person
    cities = load_demo_cities()
    load_demo_users(cities)
    for city in cities:
        load_demo_sites(city)
        if city.slug == "koszalin":  # one city's programme: every state of a proposal
            load_demo_programme(city)
    return cities


def test_every_form_survives_hostile_values(client, demo):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for email, home in [
        ("officer@example.org", "/koszalin/officer/"),
        ("resident@example.org", "/me/proposals/"),
        ("committee@example.org", "/koszalin/committee/"),
    ]:
        client.force_login(users.get(email=email))
        posted = _crawl(client, ["/koszalin/", home])
        assert len(posted) > 5, (email, posted)  # the crawl reached the role's forms


def _crawl(client, queue: list[str]) -> set:
    """Follows the city's pages from `queue` (150 at most) and posts each kind of form found
    with each hostile value; returns the kinds posted."""
    seen, posted = set(), set()
    while queue and len(seen) < 150:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        response = client.get(page)
        assert response.status_code < 500, page
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for href in re.findall(r'href="(/[^"#?]*)', html):
            if (
                href.startswith("/koszalin/") and not SKIP.search(href)
            ) or href == "/me/proposals/":
                queue.append(href)
        for action, fields, files, buttons in _forms(html, page):
            if SKIP.search(action):
                continue
            for button in buttons:
                kind = (re.sub(r"\d+", "N", action), button)
                if kind in posted:
                    continue
                posted.add(kind)
                for value in HOSTILE:
                    data = {k: value for k in fields if k != "csrfmiddlewaretoken"}
                    if button is not None:
                        data["action"] = button
                    answer = client.post(action, data)
                    assert answer.status_code < 500, (action, button, value[:20])
                for name in files:  # the form as the page filled it, a bad file in each field
                    for bad in _bad_files():
                        data = {**fields, name: bad}
                        if button is not None:
                            data["action"] = button
                        answer = client.post(action, data)
                        assert answer.status_code < 500, (action, button, name, bad.name)
    return posted
