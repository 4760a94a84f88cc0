"""/sitemap.xml lists every public page of every active city, and nothing else: what the
public pages show (the same selectors decide), never a draft, a hidden proposal, a site
report waiting for moderation or an inactive city."""

import re

import pytest
from django.utils import timezone

from proposals.models import Proposal
from sites.models import Site

pytestmark = pytest.mark.django_db


def _locations(client, url):
    response = client.get(url)
    assert response.status_code == 200 and "xml" in response["Content-Type"]
    assert "public" in response["Cache-Control"]
    return re.findall(r"<loc>(.*?)</loc>", response.content.decode())


def test_the_sitemap_lists_the_public_pages_and_only_those(
    client, collecting, koszalin, ostrava, resident
):
    from proposals.services import drafting

    draft = drafting.proposal_create_draft(author=resident, grant_call=collecting.grant_call)
    hidden = Proposal.objects.create(
        city=koszalin, grant_call=collecting.grant_call, author=resident,
        status="collecting_support", hidden_at=timezone.now(), title="Hidden",
    )  # fmt: skip
    accepted = Site.objects.create(
        city=koszalin, name="Old yard", geom=collecting.geom, moderation="accepted"
    )
    waiting = Site.objects.create(
        city=koszalin, name="Pending yard", geom=collecting.geom, moderation="pending"
    )
    ostrava.is_active = False
    ostrava.save()
    from mapapp.selectors import city_forget

    city_forget()

    sections = _locations(client, "/sitemap.xml")
    assert {s.rsplit("/", 1)[1] for s in sections} >= {
        "sitemap-cities.xml", "sitemap-proposals.xml", "sitemap-sites.xml", "sitemap-calls.xml",
    }  # fmt: skip
    everything = [loc for section in sections for loc in _locations(client, section)]
    paths = {re.sub(r"^https?://[^/]+", "", loc) for loc in everything}
    assert f"/koszalin/proposals/{collecting.pk}/" in paths
    assert f"/koszalin/proposals/{draft.pk}/" not in paths  # a draft is the applicant's
    assert f"/koszalin/proposals/{hidden.pk}/" not in paths
    assert f"/koszalin/sites/{accepted.pk}/" in paths
    assert f"/koszalin/sites/{waiting.pk}/" not in paths
    assert f"/koszalin/calls/{collecting.grant_call_id}/" in paths
    assert {"/koszalin/", "/koszalin/proposals/", "/koszalin/interventions/",
            "/koszalin/about/", "/koszalin/accessibility/"} <= paths  # fmt: skip
    assert not any(p.startswith("/ostrava/") for p in paths)  # an inactive city
    for path in paths:  # every listed page is there for an anonymous visitor
        assert client.get(path).status_code == 200, path


def test_robots_names_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert re.search(r"^Sitemap: https?://[^/]+/sitemap\.xml$", text, re.M)
