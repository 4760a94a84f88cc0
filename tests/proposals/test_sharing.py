"""Passing a public proposal on: a link preview of it (Open Graph), its address to copy, the
phone's share sheet, e-mail and Facebook links; nothing of the kind for a draft or a hidden
proposal."""

import html
import re
from urllib.parse import quote

import pytest
from django.utils import timezone

from proposals.models import Photo, Proposal
from proposals.services import delivery, drafting
from tests.proposals.conftest import jpeg_upload

pytestmark = pytest.mark.django_db


def meta(page: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{prop}" content="([^"]*)">', page)
    return html.unescape(found.group(1)) if found else None


def test_a_public_proposal_has_a_preview_and_ways_to_share_it(client, draft, resident):
    Proposal.objects.filter(pk=draft.pk).update(
        title='Benches "by the <pond>"', description="Six benches & a table. " * 20
    )
    draft.refresh_from_db()
    before = delivery.photo_add(actor=resident, proposal=draft, kind="before", upload=jpeg_upload())
    # an after photo (taken once built; made here from a second upload)
    after = delivery.photo_add(actor=resident, proposal=draft, kind="before", upload=jpeg_upload())
    Photo.objects.filter(pk=after.pk).update(kind="after", pair_of=before)
    collecting = drafting.proposal_publish(actor=resident, proposal=draft)
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    address = f"http://testserver/koszalin/proposals/{collecting.pk}/"
    assert meta(page, "og:title") == 'Benches "by the <pond>"'  # escaped in the attribute
    assert 'content="Benches &quot;by the &lt;pond&gt;&quot;"' in page
    assert meta(page, "og:url") == address
    assert meta(page, "og:image") == "http://testserver" + after.image.url  # the after photo
    assert meta(page, "og:description").startswith("Six benches & a table.")
    assert len(meta(page, "og:description")) <= 200
    assert meta(page, "twitter:card") == "summary_large_image"
    assert page.count('property="og:title"') == 1
    assert f'id="share-address" type="url" value="{address}"' in page
    encoded = quote(address, safe="")
    assert f'href="https://www.facebook.com/sharer/sharer.php?u={encoded}"' in page
    assert f"body={encoded}" in page and "subject=Benches%20%22by%20the%20%3Cpond%3E%22" in page
    assert "send them the link" in page  # support is open: the hint says why
    assert "mapapp/share.js" in page


def test_without_photos_the_preview_is_a_summary(client, collecting):
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert meta(page, "og:image") is None and meta(page, "twitter:card") == "summary"


def test_a_draft_offers_no_sharing(client, draft, resident):
    client.force_login(resident)  # its author: nobody else sees it
    page = client.get(f"/koszalin/proposals/{draft.pk}/").content.decode()
    assert 'id="share"' not in page and "share.js" not in page
    assert meta(page, "og:description") is None  # the site's own preview, not the draft's


def test_a_hidden_proposal_offers_no_sharing_even_to_its_author(client, collecting, resident):
    Proposal.objects.filter(pk=collecting.pk).update(hidden_at=timezone.now())
    client.force_login(resident)
    response = client.get(f"/koszalin/proposals/{collecting.pk}/")
    assert response.status_code == 200  # its author still sees it
    assert 'id="share"' not in response.content.decode()
