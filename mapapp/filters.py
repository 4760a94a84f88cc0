"""Map and list filters shared by every layer: parsed leniently (unknown values are
dropped, never an error), applied the same way."""

from __future__ import annotations


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


def words_q(text: str, *fields: str):
    """Rows whose fields contain every word of `text`, ignoring case (a resident searching for
    "rain garden" finds "Rain garden by the school"). Written as `UPPER(field) LIKE`, which
    the trigram indexes on UPPER(field) serve (proposals and sites have them)."""
    from django.db.models import Q

    found = Q()
    for word in text.split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
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
