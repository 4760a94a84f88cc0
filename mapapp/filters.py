"""Map and list filters shared by every layer: parsed leniently (unknown values are
dropped, never an error), applied the same way."""

from __future__ import annotations

from django.db.models import BooleanField, F, Func, Q, TextField, Value
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


class HasWordLike(Func):
    """`text %> word`: the text holds a word close to `word` (pg_trgm's word similarity
    above its threshold, 0.6): another ending of the same word, as Polish and Czech inflect
    them ("zahrady" finds "zahrada", "ogród" finds "Ogrody", "lavička" finds "lavice"), or
    a letter mistyped. Served by the same trigram indexes as the LIKE."""

    arg_joiner = " %%> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


FUZZY_MIN_LENGTH = 4  # shorter words share too few trigrams to be told apart


def words_q(text: str, *fields: str) -> Q:
    """Rows whose fields hold every word of `text`, ignoring case and accents (a resident
    searching for "rain garden" finds "Rain garden by the school"): as a part of any field
    (`wcs_fold(field) LIKE '%' || wcs_fold(word) || '%'`), or, for a word of four letters
    or more, as a word close to it in the first field, the name or title (HasWordLike:
    inflected languages change endings). Not in descriptions: there the test doubled the
    search's cost again for matches a title rarely lacks (bench/README.md, search).
    PostgreSQL folds the word once when planning, and the trigram indexes on
    wcs_fold(field) serve both tests (proposals and sites have them)."""
    found = Q()
    for word in search_words(text):
        any_field = Q()
        for name in fields:
            any_field |= Q(Contains(Fold(F(name)), Fold(Value(word))))
        if len(word) >= FUZZY_MIN_LENGTH:
            any_field |= Q(HasWordLike(Fold(F(fields[0])), Fold(Value(word))))
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
