"""The signature sheet, printed by a real Chromium: one A4 page holding every row, without
the site's header, footer or buttons."""

import re

import pytest

pytestmark = [pytest.mark.browser]


def test_the_sheet_prints_on_one_a4_page_without_the_sites_chrome(page, transactional_db):
    from mapapp.demo import load_demo_cities
    from proposals.demo import load_demo_programme
    from proposals.models import Proposal
    from proposals.views.applicant import SHEET_ROWS
    from tests.browser.test_proposal_journey import login

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    load_demo_programme(koszalin)
    proposal = next(
        p
        for p in Proposal.objects.filter(city=koszalin, status="collecting_support")
        if p.grant_call.is_open()
    )
    # the longest title a proposal may have, and a three-line address to hand it in at
    from mapapp.services import city_information_update

    Proposal.objects.filter(pk=proposal.pk).update(title=("Ławki i zieleń " * 15)[:200])
    city_information_update(actor=None, city=koszalin, data={
        "postal_address": "Urząd Miejski\nRynek Staromiejski 6-7\n75-007 Koszalin"})  # fmt: skip
    login(page, proposal.author)
    page.goto(page.base_url + f"/koszalin/proposals/{proposal.pk}/")
    page.locator("#sheet-link").click()
    page.wait_for_url(f"**/proposals/{proposal.pk}/sheet/")
    assert page.locator("table.sheet-table tbody tr").count() == SHEET_ROWS
    assert page.locator("button[data-print]").is_visible()

    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator("button[data-print]").is_visible()
    assert page.locator("table.sheet-table").is_visible()
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the sheet takes {pages} A4 pages"
