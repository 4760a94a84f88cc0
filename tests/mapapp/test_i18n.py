"""Polish, Czech and English from the start: every UI string translated."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def untranslated(po_path: Path) -> list[str]:
    """msgids whose msgstr is empty or marked fuzzy (fuzzy entries are not compiled)."""
    text = po_path.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first block is the header
    missing = []
    for entry in entries:
        if entry.startswith("#~"):
            continue  # obsolete
        msgid = "".join(re.findall(r'^(?:msgid |")(".*"|.*")$', entry, re.M))
        msgstr_part = entry.split("msgstr", 1)[1] if "msgstr" in entry else ""
        strings = re.findall(r'"(.*)"', msgstr_part)
        if "#, fuzzy" in entry or not "".join(strings):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("language", ["pl", "cs"])
def test_every_string_is_translated(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    assert untranslated(po) == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Pick your city."), ("pl", "Wybierz swoje miasto."), ("cs", "Vyberte své město.")],
)
def test_home_in_each_language(client, db, language, expected):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.headers["Content-Language"] == language
    assert expected in response.content.decode()


@pytest.mark.parametrize("language", ["pl", "cs", "en"])
def test_every_catalogue_compiles(language):
    """msgfmt (what compilemessages runs) accepts the catalogue, format strings included: a
    broken one leaves the previous compiled catalogue in place, untranslated new strings."""
    import subprocess

    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    done = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_every_city_page_speaks_one_language(client, ostrava):
    """A visitor who has not chosen reads a city in its language on every page: the exports
    page (and the reports queue) used to answer in the browser's language while the map
    and lists spoke the city's."""
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    for path in ("/ostrava/", "/ostrava/proposals/", "/ostrava/exports/", "/ostrava/calls/",
                 "/ostrava/interventions/", "/ostrava/analysis/", "/ostrava/about/",
                 "/ostrava/privacy/", "/ostrava/accessibility/"):  # fmt: skip
        page = client.get(path, **english).content.decode()
        assert '<html lang="cs">' in page, path
    assert '<html lang="en">' in client.get("/", **english).content.decode()


@pytest.mark.django_db
def test_a_signed_in_persons_choice_follows_them_and_their_emails(client, ostrava):
    """Choosing a language while signed in makes it the person's: their pages speak it on
    another device (no cookie there) and their e-mails are written in it."""
    from django.test import Client

    from mapapp.models import User

    user = User.objects.create_user(email="jana@example.org", password="x" * 20)
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "pl", "next": "/ostrava/"})
    assert response.status_code == 302 and response["Location"] == "/ostrava/"
    user.refresh_from_db()
    assert user.preferred_language == "pl"

    phone = Client()  # another device: signed in, no language cookie
    phone.force_login(user)
    assert '<html lang="pl">' in phone.get("/ostrava/proposals/").content.decode()
    phone.cookies["django_language"] = "en"  # a choice made on that device wins there
    assert '<html lang="en">' in phone.get("/ostrava/proposals/").content.decode()

    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # not a language of ours
    user.refresh_from_db()
    assert user.preferred_language == "pl"
    client.logout()
    client.post("/i18n/setlang/", {"language": "cs", "next": "/"})  # anonymous: cookie only
    user.refresh_from_db()
    assert user.preferred_language == "pl"


@pytest.mark.django_db
def test_the_interfaces_negotiate_their_language_with_accept_language_alone(client, ostrava):
    """Open311 and the APIs answer machines: the city's language is for its pages only."""
    english = client.get("/api/v1/ostrava/proposals/?bbox=x", HTTP_ACCEPT_LANGUAGE="en")
    czech = client.get("/api/v1/ostrava/proposals/?bbox=x", HTTP_ACCEPT_LANGUAGE="cs")
    assert english.status_code == czech.status_code == 400
    assert english.content != czech.content
    assert english["Content-Language"] == "en" and czech["Content-Language"] == "cs"


@pytest.mark.django_db
def test_a_language_chosen_before_signing_in_becomes_the_persons_if_they_had_none(client):
    from mapapp.models import User
    from tests.proposals.conftest import make_user

    make_user("ola@example.org")
    User.objects.filter(pk=make_user("eva@example.org").pk).update(preferred_language="cs")
    client.cookies["django_language"] = "pl"
    for email in ("ola@example.org", "eva@example.org"):
        form = {"login": email, "password": "a-long-enough-passphrase-42"}
        r = client.post("/accounts/login/", form)
        assert r.status_code == 302 and "_auth_user_id" in client.session
        client.post("/accounts/logout/")
    langs = dict(User.objects.values_list("email", "preferred_language"))
    assert langs == {"ola@example.org": "pl", "eva@example.org": "cs"}  # a choice made stays


@pytest.mark.parametrize(
    "language, currency, expected",
    [
        ("pl", "PLN", "1\u00a0234\u00a0567,50\u00a0zł"),
        ("cs", "CZK", "1\u00a0234\u00a0567,50\u00a0Kč"),
        ("en", "PLN", "1,234,567.50\u00a0PLN"),
        # a language added later gets its own grouping from Django's formats
        ("de", "EUR", "1.234.567,50\u00a0EUR"),
    ],
)
def test_money_is_written_as_the_readers_language_writes_it(language, currency, expected):
    from decimal import Decimal

    from django.utils import translation

    from mapapp.templatetags.civic import money

    with translation.override(language):
        assert money(Decimal("1234567.5"), currency) == expected


def test_granted_the_amount_and_granted_the_status_are_told_apart(client, db):
    """One English word, two meanings: the money granted (a column, a figure) and the state
    of a granted proposal; Czech says them differently."""
    from django.utils import translation

    from proposals.models import Proposal

    client.cookies["django_language"] = "cs"
    page = client.get("/figures/").content.decode()
    assert '<th scope="col" class="num">Přiděleno</th>' in page
    with translation.override("cs"):
        assert str(Proposal.Status.GRANTED.label) == "Podpořený"
