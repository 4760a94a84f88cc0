"""Map and list filters shared by every layer: parsed leniently (unknown values are
dropped, never an error), applied the same way."""

from __future__ import annotations


def parse_common(params) -> dict:
    """Year and district from a query string."""
    year = params.get("year", "")
    return {
        "year": int(year) if year.isdigit() and 1900 < int(year) < 2200 else None,
        "district": params.get("district", "")[:120],
    }


def choices(params, name: str, allowed) -> list[str]:
    return [v for v in params.getlist(name) if v in set(allowed)]


def text_query(params) -> str:
    """The list pages' search words (`q`), whitespace squeezed, at most 100 characters."""
    return " ".join(params.get("q", "").split())[:100]


def matching(qs, text: str, *fields: str):
    """Rows whose fields contain every word of `text`, ignoring case (a resident searching for
    "rain garden" finds "Rain garden by the school")."""
    from django.db.models import Q

    for word in text.split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        qs = qs.filter(any_field)
    return qs


def query_without(params, *names: str) -> str:
    """The query string of `params` without the parameters `names` (for links that set
    them anew, or that lead to a page which has none of them)."""
    rest = params.copy()
    for name in names:
        rest.pop(name, None)
    return rest.urlencode()
