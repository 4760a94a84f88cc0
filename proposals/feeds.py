"""A city's proposals as an Atom feed (`/<city>/proposals/feed/`), for neighbourhood groups,
local papers and anyone who reads feeds: the newest public proposals first, chosen by the
same selector as the list (no draft, hidden or expired proposal; no personal data)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mapapp.selectors import city_get
from proposals.selectors import public_proposals

FEED_SIZE = 50


class CityProposalsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, city):
        return city_get(slug=city)

    def language(self, city):
        return get_language()  # the page's (mapapp.middleware.VisitorLanguage): the city's

    def title(self, city):
        return _("Proposals in %(name)s") % {"name": city.name}

    def link(self, city):
        return reverse("proposals:list", kwargs={"city": city.slug})

    def subtitle(self, city):
        return _("New proposals for public space, and where each of them stands.")

    def items(self, city):
        rows = public_proposals(city=city).select_related("city", "grant_call")
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
