"""A city's proposals as an Atom feed (`/<city>/proposals/feed/`), for neighbourhood groups,
local papers and anyone who reads feeds: the newest public proposals first, chosen by the
same selector as the list (no draft, hidden or expired proposal; no personal data), with the
list's filters (`?q=garden&category=greenery`: the feed of a filtered list is the list's)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mapapp.filters import query_without
from mapapp.models import City
from mapapp.selectors import city_get
from proposals.selectors import parse_filters, public_proposals

FEED_SIZE = 50


@dataclass(frozen=True)
class Listing:
    city: City
    filters: dict
    query: str  # the filters as given, for the links (empty: the whole city)

    def suffix(self) -> str:
        return f"?{self.query}" if self.query else ""


class CityProposalsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, city):
        city_obj = city_get(slug=city)
        return Listing(
            city_obj,
            parse_filters(request.GET, city=city_obj),
            query_without(request.GET, "page", "layers"),
        )

    def language(self, listing):
        return get_language()  # the page's (mapapp.middleware.VisitorLanguage): the city's

    def title(self, listing):
        name = listing.city.name
        if listing.filters.get("q"):
            return _("Proposals in %(name)s with “%(words)s”") % {
                "name": name,
                "words": listing.filters["q"],
            }
        return _("Proposals in %(name)s") % {"name": name}

    def link(self, listing):
        page = reverse("proposals:list", kwargs={"city": listing.city.slug})
        return page + listing.suffix()

    def feed_url(self, listing):  # the feed's own address, filters included
        page = reverse("proposals:feed", kwargs={"city": listing.city.slug})
        return page + listing.suffix()

    def subtitle(self, listing):
        return _("New proposals for public space, and where each of them stands.")

    def items(self, listing):
        rows = public_proposals(city=listing.city, filters=listing.filters)
        rows = rows.select_related("city", "grant_call")
        return rows.order_by("-published_at", "-id")[:FEED_SIZE]

    def item_title(self, item):
        return f"{item.title} ({item.get_status_display()})"

    def item_description(self, item):
        return Truncator(item.description).chars(400)  # the feed escapes it

    def item_link(self, item):
        return reverse("proposals:detail", kwargs={"city": item.city.slug, "pk": item.pk})

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_category_display(), item.grant_call.display_title]
