"""Long public lists (proposals, sites, completed projects) in pages, with the filters kept in
the page links: a city with 10,000 sites gets a page of LIST_PAGE_SIZE rows, not 10,000."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet

from mapapp.filters import matching, query_without, text_query


def list_page(request, qs: QuerySet, *, search: tuple[str, ...], order: tuple[str, ...]) -> dict:
    """A public list page's context: the rows of `qs` holding the search words (`q`) in the
    `search` fields, in `order`, and the requested page of them (the last one for a number
    past the end, the first for anything else that is not a page number); the query strings
    of the page links (every other parameter) and of the "show them on the map" link (no
    search words either: the map has none)."""
    q = text_query(request.GET)
    if q:
        qs = matching(qs, q, *search)
    page = Paginator(qs.order_by(*order), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "q": q,
        "page_query": query_without(request.GET, "page"),
        "map_query": query_without(request.GET, "page", "q"),
    }
