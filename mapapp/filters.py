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
