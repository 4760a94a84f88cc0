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
