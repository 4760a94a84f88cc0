"""The poster and the signature sheet, printed by a real Chromium: one A4 page each, whose QR
code a real decoder (zxing-cpp) reads as the proposal's address."""

import io
import re

import pytest

pytestmark = [pytest.mark.browser]


@pytest.fixture
def gathering(transactional_db):
    """A demo proposal gathering support in an open call, with the longest title allowed
    and a long description."""
    from mapapp.demo import load_demo_cities
    from proposals.demo import load_demo_programme
    from proposals.models import Proposal

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    load_demo_programme(koszalin)
    proposal = next(
        p
        for p in Proposal.objects.filter(city=koszalin, status="collecting_support")
        if p.grant_call.is_open()
    )
    Proposal.objects.filter(pk=proposal.pk).update(
        title=("Ławki i zieleń " * 15)[:200],
        description="Sadzimy drzewa, stawiamy ławki i dbamy o nie razem z sąsiadami. " * 30,
    )
    proposal.refresh_from_db()
    return proposal


def decoded(page, selector) -> list[str]:
    """What a QR decoder reads from the element as the browser draws it."""
    import zxingcpp
    from PIL import Image

    png = page.locator(selector).screenshot()
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def pdf_pages(page) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(format="A4")))


def test_anyone_prints_a_poster_whose_code_opens_the_proposal(page, gathering):
    detail = f"{page.base_url}/koszalin/proposals/{gathering.pk}/"
    page.goto(detail)
    page.locator("#poster-link").click()
    page.wait_for_url(f"**/proposals/{gathering.pk}/poster/")
    assert page.locator("button[data-print]").is_visible()
    assert page.locator("svg.qr").get_attribute("role") == "img"
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator("button[data-print]").is_visible()
    assert decoded(page, "svg.qr") == [detail]
    assert page.locator(".poster-url").inner_text() == detail
    assert pdf_pages(page) == 1, "the poster takes more than one A4 page"
    assert page.errors.unexpected() == []


def test_the_signature_sheet_carries_the_code_too(page, gathering):
    from tests.browser.test_proposal_journey import login

    login(page, gathering.author)
    page.goto(f"{page.base_url}/koszalin/proposals/{gathering.pk}/sheet/")
    page.emulate_media(media="print")
    detail = f"{page.base_url}/koszalin/proposals/{gathering.pk}/"
    assert decoded(page, ".sheet-qr svg.qr") == [detail]
    assert pdf_pages(page) == 1, "the sheet takes more than one A4 page"
