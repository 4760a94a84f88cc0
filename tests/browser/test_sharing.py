"""Sharing a proposal in Chromium: the copy button puts the page's address on the clipboard
and says so; the address field is there to select either way."""

import pytest

pytestmark = [pytest.mark.browser]


@pytest.fixture
def public_proposal(transactional_db):
    from mapapp.demo import load_demo_cities
    from proposals.demo import load_demo_programme
    from proposals.models import Proposal

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    load_demo_programme(koszalin)
    return Proposal.objects.filter(city=koszalin, status="collecting_support").order_by("pk")[0]


def test_the_copy_button_copies_the_address(page, public_proposal):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base_url)
    page.goto(f"{page.base_url}/koszalin/proposals/{public_proposal.pk}/")
    address = page.locator("#share-address").input_value()
    assert address == f"{page.base_url}/koszalin/proposals/{public_proposal.pk}/"
    copy = page.locator("[data-share-copy]")
    copy.click()  # hidden until the script runs: a click proves it ran
    said = page.locator("#share").get_attribute("data-copied")  # in the page's language
    page.locator("[data-share-status]").filter(has_text=said).wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert page.errors.unexpected() == []
