"""Map and list filters shared by every layer: parsed leniently (unknown values are
dropped, never an error), applied the same way."""

from __future__ import annotations

from django.db.models import F, Func, Q, TextField, Value
from django.db.models.lookups import Contains


def parse_common(params) -> dict:
    """Year, district and search words from a query string."""
    year = params.get("year", "")
    return {
        "year": int(year) if year.isdigit() and 1900 < int(year) < 2200 else None,
        "district": params.get("district", "")[:120],
        "q": text_query(params),
    }


def choices(params, name: str, allowed) -> list[str]:
    return [v for v in params.getlist(name) if v in set(allowed)]


def text_query(params) -> str:
    """The search words (`q`), whitespace squeezed, at most 100 characters."""
    return " ".join(params.get("q", "").split())[:100]


MAX_WORDS = 6


def search_words(text: str) -> list[str]:
    """The words a search looks for: each once (whatever its case), at most MAX_WORDS. Every
    word is a test of every row's text, so "o o o ... o" (fifty of them) once took 3.4 s over
    100,000 proposals; six different words are plenty to find a proposal."""
    seen: dict[str, str] = {}
    for word in text.split():
        seen.setdefault(word.casefold(), word)
    return list(seen.values())[:MAX_WORDS]


class Fold(Func):
    """Text as a search compares it: without accents and in capitals (`wcs_fold`, made by
    the migration mapapp 0010 from PostgreSQL's unaccent), so "skola" finds "Škola" and
    "zrodlo" finds "Źródło". Immutable, so the trigram indexes are built on it."""

    function = "wcs_fold"
    output_field = TextField()


def words_q(text: str, *fields: str) -> Q:
    """Rows whose fields contain every word of `text`, ignoring case and accents (a resident
    searching for "rain garden" finds "Rain garden by the school"). Written as
    `wcs_fold(field) LIKE '%' || wcs_fold(word) || '%'`; PostgreSQL folds the word once
    when planning, and the trigram indexes on wcs_fold(field) serve the LIKE (proposals and
    sites have them)."""
    found = Q()
    for word in search_words(text):
        any_field = Q()
        for name in fields:
            any_field |= Q(Contains(Fold(F(name)), Fold(Value(word))))
        found &= any_field
    return found


def matching(qs, text: str, *fields: str):
    return qs.filter(words_q(text, *fields)) if text.strip() else qs


def query_without(params, *names: str) -> str:
    """The query string of `params` without the parameters `names` (for links that set
    them anew, or that lead to a page which has none of them)."""
    rest = params.copy()
    for name in names:
        rest.pop(name, None)
    return rest.urlencode()
