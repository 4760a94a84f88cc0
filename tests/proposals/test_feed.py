"""A city's proposals as an Atom feed: what the public list shows, newest first, in the
city's language, escaped, and without personal data."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from proposals.models import Proposal
from proposals.services import drafting
from tests.proposals.conftest import add_supporters

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_feed_lists_public_proposals_in_the_citys_language(
    client, collecting, resident, supporters
):
    Proposal.objects.filter(pk=collecting.pk).update(
        title='<script>alert("x")</script> & benches', contact_phone="+48 600 111 222"
    )
    add_supporters(collecting, supporters[:2])
    draft = drafting.proposal_create_draft(author=resident, grant_call=collecting.grant_call)
    hidden = Proposal.objects.create(
        city=collecting.city, grant_call=collecting.grant_call, author=resident,
        status="collecting_support", hidden_at=timezone.now(), title="Hidden one",
    )  # fmt: skip
    client.cookies.clear()  # no language chosen: Koszalin's Polish
    response = client.get("/koszalin/proposals/feed/")
    assert response.status_code == 200 and "atom+xml" in response["Content-Type"]
    text = response.content.decode()
    feed = ET.fromstring(response.content)  # noqa: S314 - our own answer; well-formed: escaped
    assert feed.findtext(f"{ATOM}title") == "Propozycje: Koszalin"
    entries = feed.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert any(link.endswith(f"/koszalin/proposals/{collecting.pk}/") for link in links)
    assert not any(f"/proposals/{draft.pk}/" in link for link in links)
    assert not any(f"/proposals/{hidden.pk}/" in link for link in links)
    [entry] = entries
    assert entry.findtext(f"{ATOM}title").startswith('<script>alert("x")</script> & benches')
    assert "(Zbieranie poparcia)" in entry.findtext(f"{ATOM}title")
    assert "<script>" not in text  # escaped in the XML
    for private in ("+48 600 111 222", "Neighbour Number", "Ulica Zwycięstwa", resident.email):
        assert private not in text

    page = client.get("/koszalin/proposals/").content.decode()
    assert 'type="application/atom+xml" href="/koszalin/proposals/feed/"' in page
    assert client.get("/nowhere/proposals/feed/").status_code == 404


def test_a_filtered_list_has_the_feed_of_its_filters(client, collecting, resident):
    """Neighbours who follow "garden" proposals subscribe to the list they searched."""
    other = Proposal.objects.create(
        city=collecting.city, grant_call=collecting.grant_call, author=resident,
        status="collecting_support", title="Benches by the pond", category="seating",
        published_at=timezone.now(),
    )  # fmt: skip
    Proposal.objects.filter(pk=collecting.pk).update(title="Ogród deszczowy <i>")
    client.cookies.clear()
    page = client.get("/koszalin/proposals/", {"q": "ogrod", "page": "1"}).content.decode()
    assert 'href="/koszalin/proposals/feed/?q=ogrod"' in page  # no page number
    response = client.get("/koszalin/proposals/feed/", {"q": "ogrod"})
    feed = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert feed.findtext(f"{ATOM}title") == "Propozycje: Koszalin, ze słowami „ogrod”"
    ids = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert ids == [f"http://testserver/koszalin/proposals/{collecting.pk}/"]
    self_link = [x for x in feed.findall(f"{ATOM}link") if x.get("rel") == "self"][0]
    assert self_link.get("href").endswith("/koszalin/proposals/feed/?q=ogrod")
    alternate = [x for x in feed.findall(f"{ATOM}link") if x.get("rel") == "alternate"][0]
    assert alternate.get("href").endswith("/koszalin/proposals/?q=ogrod")
    # other filters too, and words that match nothing give an empty feed, not an error
    response = client.get("/koszalin/proposals/feed/", {"category": "seating"})
    entries = ET.fromstring(response.content).findall(f"{ATOM}entry")  # noqa: S314
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == [
        f"http://testserver/koszalin/proposals/{other.pk}/"
    ]
    response = client.get("/koszalin/proposals/feed/", {"q": "nothing-like-it"})
    assert ET.fromstring(response.content).findall(f"{ATOM}entry") == []  # noqa: S314
