"""Text sorted as the reader's alphabet sorts it: "Šafránka" among the S's in Czech and
"Łąka" after "L" in Polish, lower and upper case side by side. The database's own
collation (C in the project's cluster) put every lowercase name after "Z".

PostgreSQL's ICU collations ("cs-x-icu", "pl-x-icu", "en-x-icu") do it; a server built
without ICU keeps its own order."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate
from django.utils.translation import get_language


@cache
def _icu_collations() -> frozenset[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT collname FROM pg_collation WHERE collname LIKE '%%-x-icu'")
        return frozenset(row[0] for row in cursor.fetchall())


def _collation() -> str | None:
    """The ICU collation of the active language, if the server has it."""
    name = f"{(get_language() or 'en')[:2]}-x-icu"
    return name if name in _icu_collations() else None


def collated(field: str):
    """An order_by() term for the text `field` ("-name" descending) in the active
    language's alphabet."""
    collation = _collation()
    if collation is None:
        return field
    term = Collate(F(field.lstrip("-")), collation)
    return term.desc() if field.startswith("-") else term.asc()


def sorted_names(names) -> list[str]:
    """`names` (a few dozen: districts, say) sorted as collated() sorts rows."""
    names = list(names)
    collation = _collation()
    if collation is None:
        return sorted(names)
    with connection.cursor() as cursor:
        # the collation's name is one found in pg_collation (_collation), never user input
        sql = f'SELECT n FROM unnest(%s::text[]) AS n ORDER BY n COLLATE "{collation}"'  # noqa: S608
        cursor.execute(sql, [names])
        return [row[0] for row in cursor.fetchall()]
