"""The public lists of proposals, sites and completed projects come in pages: every public
row on exactly one page, the filters kept in the page links, odd page numbers forgiven."""

import re
from html import unescape

import pytest

from proposals.models import Proposal
from sites.models import Intervention, Site

LISTS = {
    "/koszalin/proposals/": (
        "data-proposal",
        lambda: Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, hidden_at=None),
    ),
    "/koszalin/sites/": (
        "data-site",
        lambda: Site.objects.filter(moderation="accepted", hidden_at=None),
    ),
    "/koszalin/interventions/": ("data-intervention", lambda: Intervention.objects.all()),
}


def rows(html: str, attribute: str) -> list[int]:
    return [int(v) for v in re.findall(rf'{attribute}="(\d+)"', html)]


@pytest.mark.parametrize("path", LISTS)
def test_every_public_row_is_on_exactly_one_page(client, exchange_world, settings, path):
    attribute, expected = LISTS[path]
    settings.LIST_PAGE_SIZE = 4
    total = expected().count()
    assert total > 4  # more than one page
    seen, url, pages = [], path, 0
    while url:
        html = client.get(url).content.decode()
        on_page = rows(html, attribute)
        assert 0 < len(on_page) <= 4
        seen += on_page
        pages += 1
        first = (pages - 1) * 4 + 1
        assert f"{first}–{first + len(on_page) - 1} of {total}" in html
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = path + unescape(found.group(1)) if found else None
    assert sorted(seen) == sorted(expected().values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) and pages == -(-total // 4)


def test_page_links_keep_the_filters(client, exchange_world, settings):
    settings.LIST_PAGE_SIZE = 3
    granted = Proposal.objects.filter(status="granted", hidden_at=None)
    assert granted.count() > 3
    html = client.get("/koszalin/proposals/", {"status": "granted", "page": "2"}).content.decode()
    assert 'aria-current="page">Page 2 of' in html
    prev = unescape(re.search(r'rel="prev" href="\?([^"]+)"', html).group(1))
    assert prev == "status=granted&page=1"
    shown = rows(html, "data-proposal")
    assert shown and set(shown) <= set(granted.values_list("pk", flat=True))


@pytest.mark.parametrize(("asked", "shown"), [("999", "last"), ("abc", "first"), ("-1", "last")])
def test_odd_page_numbers_are_forgiven(client, exchange_world, settings, asked, shown):
    settings.LIST_PAGE_SIZE = 4
    pages = -(-Site.objects.filter(moderation="accepted", hidden_at=None).count() // 4)
    response = client.get("/koszalin/sites/", {"page": asked})
    assert response.status_code == 200
    number = pages if shown == "last" else 1
    assert f'aria-current="page">Page {number} of {pages}' in response.content.decode()


def test_year_filter_lists_each_public_year_once(
    exchange_world, koszalin, django_assert_num_queries
):
    import datetime as dt

    from django.utils import timezone

    from sites.selectors import years

    now = timezone.now()
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES)
    public.filter(pk__in=list(public.values_list("pk", flat=True)[:3])).update(
        created_at=now.replace(year=2024)
    )
    Proposal.objects.filter(status="draft").update(created_at=now.replace(year=2019))  # private
    Site.objects.filter(moderation="accepted").update(reported_at=now.replace(year=2023))
    Intervention.objects.update(completed_on=dt.date(2022, 5, 1))
    assert years(city=koszalin) == [now.year, 2024, 2023, 2022]
    with django_assert_num_queries(3):  # the three change stamps, the years from the cache
        assert years(city=koszalin) == [now.year, 2024, 2023, 2022]
    # kept until one of the three tables changes in the city
    Site.objects.filter(pk=Site.objects.filter(moderation="accepted").first().pk).update(
        reported_at=now.replace(year=2021)
    )
    assert years(city=koszalin) == [now.year, 2024, 2023, 2022, 2021]


def test_lists_search_by_words_in_name_or_description(client, exchange_world, settings):
    settings.LIST_PAGE_SIZE = 2
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, hidden_at=None)
    a, b, c = public.order_by("pk")[:3]
    Proposal.objects.filter(pk=a.pk).update(title="Rain Garden by the school")
    Proposal.objects.filter(pk=b.pk).update(description="A small rain-fed garden for bees")
    Proposal.objects.filter(pk=c.pk).update(title="Rain shelter")  # "garden" missing
    draft = Proposal.objects.filter(status="draft").first()
    Proposal.objects.filter(pk=draft.pk).update(title="Rain garden, a private draft")

    html = client.get("/koszalin/proposals/", {"q": "  garden   RAIN "}).content.decode()
    assert sorted(rows(html, "data-proposal")) == sorted([a.pk, b.pk])
    assert 'name="q" value="garden RAIN"' in html and "1–2 of 2" in html
    # the map searches alike: its link keeps the words and the other filters, and shows
    # the one layer the list is of (not the layers of a map the list was opened from)
    html = client.get(
        "/koszalin/proposals/", {"q": "rain", "status": "granted", "layers": "sites", "page": "2"}
    ).content.decode()
    assert re.search(r'href="/koszalin/\?layers=proposals&amp;q=rain&amp;status=granted">', html)

    site = Site.objects.filter(moderation="accepted").first()
    Site.objects.filter(pk=site.pk).update(description="Broken fountain in the courtyard")
    html = client.get("/koszalin/sites/", {"q": "fountain"}).content.decode()
    assert rows(html, "data-site") == [site.pk]
    project = Intervention.objects.first()
    Intervention.objects.filter(pk=project.pk).update(title="Benches by the pond")
    html = client.get("/koszalin/interventions/", {"q": "POND"}).content.decode()
    assert rows(html, "data-intervention") == [project.pk]


def test_search_words_are_echoed_escaped(client, exchange_world):
    html = client.get("/koszalin/proposals/", {"q": '"><script>alert(1)</script>'}).content
    assert b"<script>alert(1)" not in html and b"&quot;&gt;&lt;script&gt;" in html


@pytest.mark.parametrize("path", LISTS)
def test_a_page_costs_the_same_queries_however_many_rows(client, exchange_world, settings, path):
    """The queries of a list page do not grow with the rows shown (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(size: int) -> int:
        settings.LIST_PAGE_SIZE = size
        client.get(path, {"q": "a"})  # the cached parts (cities, years) read once
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(path).content.decode()
        assert len(rows(html, LISTS[path][0])) == min(size, LISTS[path][1]().count())
        return len(ctx.captured_queries)

    assert queries(1) == queries(50) <= 10


def test_the_sites_list_sorts_in_the_readers_alphabet(client, ostrava):
    """Czech puts "ch" after "h" and "Š" after "S", with lower and upper case together; the
    database's own C order put every lowercase name after "Z". The district filters too."""
    from django.db.models import F
    from django.utils import translation

    from sites.models import Site

    names = ["Zahrada", "chodník", "Šafránka", "hřiště", "sportovní areál", "Alej"]
    for name in names:
        Site.objects.create(city=ostrava, name=name, moderation="accepted",
                            geom=ostrava.boundary.point_on_surface)  # fmt: skip
    client.cookies["django_language"] = "cs"
    page = client.get("/ostrava/sites/").content.decode()
    shown = sorted(names, key=page.index)
    assert shown == ["Alej", "hřiště", "chodník", "sportovní areál", "Šafránka", "Zahrada"]

    from sites.selectors import districts

    Site.objects.filter(name__in=names).update(district=F("name"))
    with translation.override("cs"):
        assert districts(city=ostrava)[:6] == shown
