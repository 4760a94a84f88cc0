"""Accessibility: every public page and form checked with axe-core (vendored from npm) in
Chromium, WCAG 2.1 A and AA rules: no serious or critical violations. The maps can be used
with the keyboard and have a text alternative.

axe is injected through the DevTools protocol, as a person's assistive tools would see the
page; the page's own Content Security Policy stays on."""

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser]

AXE = (Path(__file__).parents[1] / "vendor/axe-core/axe.min.js").read_text()


@pytest.fixture
def public_world(transactional_db):
    from django.contrib.gis.geos import Point

    from mapapp.demo import load_demo_cities
    from mapapp.models import Role
    from sites.demo import load_demo_sites
    from sites.models import Intervention, Site
    from tests.proposals.conftest import make_user

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    load_demo_sites(koszalin)
    intervention = Intervention.objects.create(
        city=koszalin, title="Benches", category="seating", geom=Point(16.18, 54.19),
        completed_on="2025-05-01", sustainability_ends_on="2027-05-01",
    )  # fmt: skip
    site = Site.objects.filter(city=koszalin, moderation="accepted").first()
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geodata.models import Feature, Layer

    parks = Layer.objects.create(city=koszalin, kind="park", name="Parks", is_current=True)
    Feature.objects.create(  # a named place: the map offers "find a place"
        layer=parks, name="Park Książąt Pomorskich",
        geom=MultiPolygon(Polygon.from_bbox((16.18, 54.19, 16.182, 54.191)), srid=4326),
    )  # fmt: skip
    resident = make_user("a11y@example.org", Role.RESIDENT, city=koszalin)
    from proposals.demo import load_demo_programme
    from proposals.models import Proposal

    load_demo_programme(koszalin)  # proposals in every public status, with photos
    proposals = Proposal.objects.filter(city=koszalin, status__in=Proposal.PUBLIC_STATUSES)
    # a programme project past its sustainability period, with its maintenance reports
    closed = Intervention.objects.get(city=koszalin, proposal__status="closed")
    return {"site": site, "intervention": intervention, "resident": resident,
            "proposal": proposals.order_by("pk").first(), "closed": closed}  # fmt: skip


def violations(page, path):
    page.goto(page.base_url + path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # maps settle
    return page_violations(page)


def page_violations(page):
    """axe's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Runtime.evaluate", {"expression": AXE})
    result = cdp.send(
        "Runtime.evaluate",
        {
            "expression": """axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                .then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))""",
            "awaitPromise": True,
            "returnByValue": True,
        },
    )
    import json

    found = json.loads(result["result"]["value"])
    return [v for v in found if v["impact"] in ("serious", "critical")] + dangling(page)


def dangling(page) -> list[dict]:
    """References to ids the page does not have (aria-describedby, aria-labelledby,
    aria-controls, a label's for): axe lets aria-describedby pass when one of its ids
    exists, so a field whose help or error a screen reader should read with it, and
    cannot, goes unnoticed (Django's widgets name `<id>_helptext` and `<id>_error`)."""
    missing = page.evaluate(
        """() => {
            const out = [];
            for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
                for (const el of document.querySelectorAll(`[${attr}]`)) {
                    for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                        if (!document.getElementById(id)) { out.push(`${attr}=${id}`); }
                    }
                }
            }
            for (const label of document.querySelectorAll("label[for]")) {
                if (!document.getElementById(label.htmlFor)) { out.push(`for=${label.htmlFor}`); }
            }
            return out;
        }"""
    )
    return [{"id": "dangling-idref", "impact": "serious", "nodes": missing}] if missing else []


def test_public_pages_and_forms_have_no_serious_violations(page, public_world):
    from tests.browser.test_proposal_journey import login

    site, intervention = public_world["site"], public_world["intervention"]
    pages = [
        "/", "/koszalin/", "/koszalin/proposals/", "/koszalin/sites/",
        f"/koszalin/proposals/{public_world['proposal'].pk}/",
        f"/koszalin/sites/{site.pk}/", "/koszalin/interventions/",
        f"/koszalin/interventions/{intervention.pk}/", "/koszalin/embed/",
        f"/koszalin/interventions/{public_world['closed'].pk}/",
        "/koszalin/analysis/", "/koszalin/exports/", "/privacy/", "/accounts/login/",
        "/accounts/signup/", "/accounts/password/reset/",
        "/ogcapi/koszalin/?f=html", "/ogcapi/koszalin/collections/sites/items?f=html",
        "/accessibility/",
        "/koszalin/no-such-page/",  # the 404 page
        "/koszalin/calls/", f"/koszalin/calls/{public_world['proposal'].grant_call_id}/",
        "/koszalin/about/", "/koszalin/privacy/", "/koszalin/accessibility/",
        "/figures/",
    ]  # fmt: skip
    from proposals.models import Proposal

    decided = Proposal.objects.get(city__slug="koszalin", status="granted").grant_call_id
    pages.append(f"/koszalin/calls/{decided}/")  # its results
    scored = Proposal.objects.get(city__slug="koszalin", status="closed").grant_call_id
    pages.append(f"/koszalin/calls/{scored}/")  # its results with the committee's scores
    revoked = Proposal.objects.get(city__slug="koszalin", status="revoked")
    pages.append(f"/koszalin/proposals/{revoked.pk}/")  # why its grant was revoked
    pages += [f"/koszalin/proposals/{p.pk}/poster/" for p in Proposal.objects.filter(
        city__slug="koszalin", status="collecting_support") if p.grant_call.is_open()]  # fmt: skip
    from proposals.services.following import stop_token

    stop = stop_token(user_id=public_world["resident"].pk, proposal_id=public_world["proposal"].pk)
    pages.append(f"/koszalin/proposals/{public_world['proposal'].pk}/stop-emails/{stop}/")
    from proposals.services.alerts import alert_set
    from proposals.services.alerts import stop_token as alert_stop_token

    alert = alert_set(user=public_world["resident"], city=public_world["proposal"].city,
                      district="", proposals=True, sites=False)  # fmt: skip
    alert_set(user=public_world["resident"], city=public_world["proposal"].city, district="",
              proposals=True, sites=True, near=public_world["proposal"].geom,
              radius_m=500)  # fmt: skip
    alert_stop = alert_stop_token(user_id=alert.user_id, alert_ids=[alert.pk])
    pages.append(f"/me/alerts/stop/{alert_stop}/")
    found = {path: violations(page, path) for path in pages}
    login(page, public_world["resident"])
    proposal = public_world["proposal"].pk
    signed_in = [
        "/koszalin/sites/report/",
        "/koszalin/proposals/new/",
        "/me/data/",
        f"/koszalin/proposals/{proposal}/support/",
        f"/koszalin/proposals/{proposal}/",  # signed in: "follow this proposal"
        "/koszalin/organisations/request/",
        "/koszalin/officer/",  # a resident there: the 403 page
        "/koszalin/sites/",  # signed in: the form asking for news of an area by e-mail
        "/koszalin/interventions/",  # the same form, for completed projects
        "/koszalin/",  # signed in: the map's form asking for news near a place
        "/me/proposals/",  # the person's alerts, a place's among them
    ]
    for path in signed_in:
        found[f"{path} (signed in)"] = violations(page, path)
    assert {path: v for path, v in found.items() if v} == {}


def test_the_officers_workspace_has_no_serious_violations(page, public_world):
    """The staff's pages too: officers and planners use them all day, some with a screen
    reader or the keyboard."""
    from mapapp.models import User
    from proposals.models import Proposal
    from tests.browser.test_proposal_journey import login

    login(page, User.objects.get(email="officer@example.org"))
    proposal = Proposal.objects.get(city__slug="koszalin", status="in_assessment")
    call = proposal.grant_call  # the finished call of 2025, in its rounds
    from datetime import timedelta

    from django.utils import timezone

    from proposals.services import calls

    unopened = calls.grant_call_copy(  # its criteria's form
        actor=User.objects.get(email="officer@example.org"), source=call, title={"en": "Next"},
        opens_at=timezone.now() + timedelta(days=60),
        closes_at=timezone.now() + timedelta(days=120),
    )  # fmt: skip
    pages = [
        f"/koszalin/officer/calls/{unopened.pk}/criteria/",
        f"/koszalin/officer/calls/{call.pk}/criteria/", "/koszalin/officer/criteria/",
        "/koszalin/officer/", f"/koszalin/officer/calls/{call.pk}/", "/koszalin/officer/audit/",
        "/koszalin/officer/figures/", "/koszalin/calls/", "/me/token/",
        f"/koszalin/officer/proposals/{proposal.pk}/", "/koszalin/officer/calls/new/",
        *(f"/koszalin/officer/proposals/{p.pk}/" for p in Proposal.objects.filter(
            city__slug="koszalin", status="sustainability")[:1]),  # its works and reports
        "/koszalin/flags/", "/koszalin/sites/moderation/", "/koszalin/sites/new/",
        f"/koszalin/officer/calls/{call.pk}/edit/", "/koszalin/officer/organisations/",
        "/koszalin/officer/information/", "/koszalin/interventions/import/",
        *(f"/koszalin/proposals/{p.pk}/sheet/" for p in Proposal.objects.filter(
            city__slug="koszalin", status="collecting_support") if p.grant_call.is_open()),
        f"/koszalin/interventions/{public_world['intervention'].pk}/",  # its photo forms
        # the agreement's form, and its record with the correction's form; the revocation's
        # form and record; a grant from the reserve (a grant revoked left money)
        *(f"/koszalin/officer/proposals/{p.pk}/" for p in Proposal.objects.filter(
            city__slug="koszalin",
            status__in=("granted", "agreement_signed", "revoked", "rejected"))),
    ]  # fmt: skip
    found = {path: violations(page, path) for path in pages}
    assert {path: v for path, v in found.items() if v} == {}
    page.goto(page.base_url + "/koszalin/officer/")
    assert page.locator("#waiting-heading").count() == 1  # the workspace, not a refusal
    caring = Proposal.objects.get(city__slug="koszalin", status="sustainability")
    page.goto(page.base_url + f"/koszalin/officer/proposals/{caring.pk}/")
    assert page.locator("#works-removed li").count() == 1  # axe saw the demo's removed day
    assert page.locator("#care-notices .unanswered").count() == 1  # and the residents' notices

    # a neighbour: the project's "something wrong there?" and the form, with their answered
    # notice below it
    login(page, User.objects.get(email="neighbour01@example.org"))
    pages = [f"/koszalin/proposals/{caring.pk}/", f"/koszalin/proposals/{caring.pk}/care/"]
    found = {path: violations(page, path) for path in pages}
    assert {path: v for path, v in found.items() if v} == {}
    assert page.locator("#my-notices .care-notice h3").count() == 1  # the answer, read by axe
    shown = page.locator("#my-notices .care-photo img")  # the photo sent, through its check
    assert shown.count() == 1 and page.evaluate("e => e.naturalWidth", shown.element_handle()) > 0

    # the applicant's own pages: the editor of a draft, works and maintenance
    login(page, User.objects.get(email="resident@example.org"))
    mine = Proposal.objects.filter(city__slug="koszalin", author__email="resident@example.org")
    from django.utils import timezone

    hidden = mine.get(status="sustainability")  # hidden after a report: the objection form
    Proposal.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    from sites.services import site_report

    # a site report of theirs waiting for moderation: "My reports" offers to withdraw it
    site_report(reporter=User.objects.get(email="resident@example.org"), city=hidden.city,
                name="Broken fence", description="",
                point_geojson=hidden.geom.geojson)  # fmt: skip
    pages = [
        f"/koszalin/proposals/{hidden.pk}/",
        f"/koszalin/proposals/{mine.get(status='draft').pk}/edit/",
        f"/koszalin/proposals/{mine.get(status='in_progress').pk}/progress/",
        f"/koszalin/proposals/{mine.get(status='sustainability').pk}/progress/",
        "/me/proposals/",
        "/me/reports/",
    ]
    found = {path: violations(page, path) for path in pages}
    assert {path: v for path, v in found.items() if v} == {}
    page.goto(page.base_url + f"/koszalin/proposals/{hidden.pk}/")
    assert page.locator("#objection-form textarea").count() == 1  # axe saw the form
    page.goto(
        page.base_url + f"/koszalin/proposals/{mine.get(status='sustainability').pk}/progress/"
    )
    assert page.locator("#care-notices textarea[name=answer]").count() == 1  # the one waiting
    page.goto(page.base_url + "/me/reports/")
    assert page.get_by_role("button", name="Withdraw Broken fence").count() == 1

    # the committee's: its list, and a proposal with its photos and past feedback
    login(page, User.objects.get(email="committee@example.org"))
    pages = ["/koszalin/committee/", f"/koszalin/committee/proposals/{proposal.pk}/"]
    found = {path: violations(page, path) for path in pages}
    assert {path: v for path, v in found.items() if v} == {}
    assert page.locator(".feedback").count() >= 1  # axe saw the feedback of past rounds


def test_the_map_works_with_the_keyboard_and_has_a_text_alternative(page, public_world):
    page.goto(page.base_url + "/koszalin/")
    page.locator("#map[data-layers-loaded='true']").wait_for()
    box = page.locator("#map")
    assert box.get_attribute("aria-label") or box.get_attribute("aria-describedby")
    box.focus()
    zoom = page.evaluate("window.cityMap.getZoom()")
    page.keyboard.press("+")
    page.wait_for_timeout(400)
    assert page.evaluate("window.cityMap.getZoom()") == zoom + 1
    centre = page.evaluate("window.cityMap.getCenter().lng")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(400)
    assert page.evaluate("window.cityMap.getCenter().lng") > centre
    # the same content as lists, linked from the map page
    assert page.locator("a[href*='/koszalin/sites/']").count() > 0


def test_find_a_place_with_its_results_open_has_no_violations(page, public_world):
    """The search's results open, one marked by the arrow keys: the combobox's states
    (aria-expanded, aria-activedescendant, the options) as assistive tools read them."""
    page.goto(page.base_url + "/koszalin/")
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    search = page.locator("#place-q")
    assert search.get_attribute("role") == "combobox"
    search.press_sequentially("park", delay=30)  # typed: the results open, none chosen
    page.locator("#place-results li").first.wait_for()
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant") == "place-results-0"
    assert page_violations(page) == []


def test_pages_reflow_on_a_narrow_screen(page, public_world):
    """WCAG 2.1 reflow (1.4.10): at 320 CSS pixels the page does not scroll sideways; a wide
    table scrolls within itself, with its first column still in view."""
    site, intervention = public_world["site"], public_world["intervention"]
    page.set_viewport_size({"width": 320, "height": 800})
    wide = {}
    for path in ("/", "/koszalin/", "/koszalin/proposals/", "/koszalin/sites/",
                 "/koszalin/interventions/", "/koszalin/analysis/", "/koszalin/exports/",
                 f"/koszalin/proposals/{public_world['proposal'].pk}/",
                 f"/koszalin/sites/{site.pk}/", f"/koszalin/interventions/{intervention.pk}/",
                 "/ogcapi/koszalin/collections?f=html", "/privacy/", "/koszalin/calls/",
                 "/koszalin/accessibility/", "/koszalin/about/", "/figures/",
                 f"/koszalin/calls/{public_world['proposal'].grant_call_id}/"):  # fmt: skip
        page.goto(page.base_url + path)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 321:
            wide[path] = width
    from mapapp.models import Role
    from tests.browser.test_proposal_journey import login
    from tests.proposals.conftest import make_user

    # the header then holds the account's menu and address, here a long one, in Polish,
    # whose labels are the longest of the three languages
    city = public_world["site"].city
    login(page, make_user("maria.konopnicka-wisniewska@example.org", Role.RESIDENT, city=city))
    page.context.add_cookies([{"name": "django_language", "value": "pl", "url": page.base_url}])
    for path in ("/me/proposals/", "/me/data/", "/koszalin/proposals/new/"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 321:
            wide[path] = width
    assert wide == {}
    page.goto(page.base_url + "/koszalin/proposals/")
    table = page.locator("table.proposal-list")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")  # it scrolls by itself
    assert table.locator("a").first.is_visible()


def test_working_pages_reflow_on_a_narrow_screen(page, public_world):
    """The pages where people work reflow at 320 CSS pixels too, in Polish: the applicant's
    editor (a fieldset is as wide as its content unless told otherwise), a site report, the
    blank signature sheet, and the officers' pages, whose status filter names the longest
    status ("Niespełniający wymogów formalnych")."""
    from django.contrib.auth import get_user_model

    from proposals.models import Proposal
    from sites.models import Site
    from tests.browser.test_proposal_journey import login

    users = get_user_model().objects
    draft = Proposal.objects.get(city__slug="koszalin", status="draft")
    ineligible = Proposal.objects.get(city__slug="koszalin", status="ineligible")
    page.set_viewport_size({"width": 320, "height": 800})

    def sign_in(email):  # in Polish, whose labels are the longest of the three languages
        login(page, users.get(email=email))  # (which clears the cookies)
        page.context.add_cookies([{"name": "django_language", "value": "pl",
                                   "url": page.base_url}])  # fmt: skip

    def too_wide(paths) -> dict:
        wide = {}
        for path in paths:
            page.goto(page.base_url + path)
            page.wait_for_load_state("load")
            assert page.locator("h1").count(), path  # the page itself, not a refusal
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 321:
                wide[path] = width
        return wide

    sign_in("resident@example.org")
    wide = too_wide([f"/koszalin/proposals/{draft.pk}/edit/", "/koszalin/sites/report/",
                     f"/koszalin/proposals/{public_world['proposal'].pk}/sheet/"])  # fmt: skip
    sign_in("officer@example.org")
    site = Site.objects.filter(city__slug="koszalin").first()
    wide |= too_wide([f"/koszalin/officer/calls/{ineligible.grant_call_id}/",
                      "/koszalin/officer/information/", "/koszalin/sites/new/",
                      f"/koszalin/sites/{site.pk}/edit/",
                      "/koszalin/interventions/new/",
                      # a table of inputs, their labels visually hidden in its cells
                      "/koszalin/officer/criteria/"])  # fmt: skip
    assert wide == {}
    sign_in("resident@example.org")
    page.goto(page.base_url + f"/koszalin/proposals/{draft.pk}/edit/")
    item, amount = (
        page.locator("input[name=budget_item]").first,
        page.locator("input[name=budget_amount]").first,
    )
    assert item.bounding_box()["width"] > amount.bounding_box()["width"]  # the item's words fit


def test_wide_tables_fit_a_desktop_screen_in_polish(page, public_world):
    """At 1280 CSS pixels in Polish (the longest headers) no page scrolls sideways: the
    network's figures wrap their column headers; the OGC API's pages of features, with a
    column per property, and the officers' figures scroll within their table."""
    from django.contrib.auth import get_user_model

    from tests.browser.test_proposal_journey import login

    page.set_viewport_size({"width": 1280, "height": 800})
    wide = {}

    def check(*paths):
        page.context.add_cookies([{"name": "django_language", "value": "pl",
                                   "url": page.base_url}])  # fmt: skip
        for path in paths:
            page.goto(page.base_url + path)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 1281:
                wide[path] = width

    check("/figures/", "/koszalin/calls/", "/koszalin/proposals/",
          "/ogcapi/koszalin/collections?f=html",
          "/ogcapi/koszalin/collections/proposals/items?f=html")  # fmt: skip
    login(page, get_user_model().objects.get(email="officer@example.org"))
    check("/koszalin/officer/figures/")  # a column per figure, in its own scrolling region
    assert wide == {}
