"""Security headers: a Content Security Policy without inline script on every page, frame
rules that still let the embeddable map be embedded, and pages that run under the policy
in Chromium without a single violation."""

import pytest

from mapapp.models import Role
from tests.proposals.conftest import make_user

PAGES = [
    "/",
    "/koszalin/",
    "/koszalin/proposals/",
    "/koszalin/sites/",
    "/koszalin/interventions/",
    "/koszalin/exports/",
    "/koszalin/embed/",
    "/ogcapi/koszalin/collections/proposals/items?f=html",
    "/ogcapi/koszalin/collections/sites/items/{site}?f=html",
    "/api/v1/docs/",
    "/accounts/login/",
    "/accounts/signup/",
]


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()
    }


def test_every_page_has_a_policy_without_inline_script(client, exchange_world):
    from sites.models import Site

    site = Site.objects.filter(moderation="accepted").first()
    for path in PAGES:
        r = client.get(path.format(site=site.pk))
        assert r.status_code == 200, path
        rules = policy(r)
        assert "'unsafe-inline'" not in rules["script-src"], path
        assert "'unsafe-eval'" not in rules["script-src"], path
        assert rules["object-src"] == "'none'"
        if path.endswith("/embed/"):
            assert rules["frame-ancestors"] == "*" and "X-Frame-Options" not in r
        else:
            assert rules["frame-ancestors"] == "'none'" and r["X-Frame-Options"] == "DENY"


def test_the_analysis_map_may_be_framed_by_our_own_pages_only(client, exchange_world):
    client.force_login(make_user("planner@example.org", Role.PLANNER, city=exchange_world))
    r = client.get("/koszalin/analysis/map/")
    assert policy(r)["frame-ancestors"] == "'self'" and r["X-Frame-Options"] == "SAMEORIGIN"
    nonce = policy(r)["script-src"].split("'nonce-")[1].split("'")[0]
    html = r.content.decode()
    assert html.count("<script") == html.count(f'nonce="{nonce}"') > 0


CATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));
"""


@pytest.mark.browser
def test_pages_run_under_the_policy_without_violations(page, exchange_world):
    from sites.models import Site

    site = Site.objects.filter(moderation="accepted").first()
    planner = make_user("planner@example.org", Role.PLANNER, city=exchange_world)
    page.context.add_init_script(CATCH)
    seen = {}
    for path in PAGES:
        page.goto(page.base_url + path.format(site=site.pk))
        page.wait_for_load_state("load")
        seen[path] = page.evaluate("window.__csp")
    # the planners' dashboard frames the folium map, whose inline script carries the nonce
    from tests.browser.test_proposal_journey import login

    login(page, planner)
    page.goto(page.base_url + "/koszalin/analysis/")
    frame = page.frame_locator("iframe").first
    frame.locator(".leaflet-container").wait_for()
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached")
    seen["analysis"] = page.evaluate("window.__csp")
    seen["analysis-map"] = page.frames[-1].evaluate("window.__csp || []")
    assert {k: v for k, v in seen.items() if v} == {}
