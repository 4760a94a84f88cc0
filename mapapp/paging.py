"""Long public lists (proposals, sites, completed projects) in pages, with the filters kept in
the page links: a city with 10,000 sites gets a page of LIST_PAGE_SIZE rows, not 10,000."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet

from mapapp.filters import query_without, text_query


def list_page(request, qs: QuerySet, *, order: tuple[str, ...]) -> dict:
    """A public list page's context: the rows of `qs` (already filtered, search words
    included, by the collection's selector) in `order`, and the requested page of them (the
    last one for a number past the end, the first for anything else that is not a page
    number); the search words to show in the form; the query strings of the page links
    (every other parameter) and of the filters alone, for the links to the same selection
    elsewhere: "show them on the map" (which names its one layer itself) and the feed."""
    page = Paginator(qs.order_by(*order), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "q": text_query(request.GET),
        "page_query": query_without(request.GET, "page"),
        "filter_query": query_without(request.GET, "page", "layers"),
    }
