"""/sitemap.xml: every public page of every active city, so search engines find proposals,
sites and completed projects that the lists only reach through their pages (robots.txt keeps
crawlers off the lists' page links, whose filter combinations never end). What is listed is
what the public pages show: the same selectors decide."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from mapapp.selectors import city_list


def _across_cities(public):
    """The public rows of every active city, as one query (each city's own rules)."""
    querysets = [public(city=city) for city in city_list()]
    if not querysets:
        return []
    # ids, times and slugs only: 50,000 rows a page, no geometry loaded
    rows = reduce(or_, querysets).select_related("city")
    return rows.only("pk", "updated_at", "city__slug").order_by("pk")


class CityPages(Sitemap):
    changefreq = "daily"
    priority = 0.8
    PAGES = ("city-map", "proposals:calls", "proposals:list", "sites:list", "sites:interventions",
             "city-about", "city-accessibility")  # fmt: skip

    def items(self):
        return [(city.slug, name) for city in city_list() for name in self.PAGES]

    def location(self, item):
        slug, name = item
        return reverse(name, kwargs={"city": slug})


class Rows(Sitemap):
    """Detail pages of one kind of public row; `url` names the page, `key` its id argument."""

    url: str
    key = "pk"
    public = None

    def items(self):
        return _across_cities(type(self).public)

    def location(self, item):
        return reverse(self.url, kwargs={"city": item.city.slug, self.key: item.pk})

    def lastmod(self, item):
        return getattr(item, "updated_at", None)


def _public_proposals(*, city):
    from proposals.selectors import public_proposals

    return public_proposals(city=city)


def _public_calls(*, city):
    from proposals.models import GrantCall

    return GrantCall.objects.filter(city=city)  # every call of the city has a public page


def _public_sites(*, city):
    from sites.selectors import public_sites

    return public_sites(city=city)


def _public_interventions(*, city):
    from sites.selectors import public_interventions

    return public_interventions(city=city)


class Calls(Rows):
    url, key, public = "proposals:call", "call_id", _public_calls


class Proposals(Rows):
    url, public = "proposals:detail", _public_proposals


class Sites(Rows):
    url, public = "sites:detail", _public_sites


class Interventions(Rows):
    url, public = "sites:intervention", _public_interventions


SITEMAPS = {
    "cities": CityPages,
    "calls": Calls,
    "proposals": Proposals,
    "sites": Sites,
    "interventions": Interventions,
}
