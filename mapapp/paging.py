"""Long public lists (proposals, sites, completed projects) in pages, with the filters kept in
the page links: a city with 10,000 sites gets a page of LIST_PAGE_SIZE rows, not 10,000."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_of(request, qs: QuerySet) -> tuple[Page, str]:
    """The requested page of the ordered `qs` (the last one for a number past the end, the
    first for anything else that is not a page number), and the query string of the other
    parameters, for the page links."""
    page = Paginator(qs, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rest = request.GET.copy()
    rest.pop("page", None)
    return page, rest.urlencode()
