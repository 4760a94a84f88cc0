"""What an applicant types is not lost when the save never arrives (mapapp/keep_typed.js):
signed out in another tab, or the page expired by signing in again elsewhere. The editor
says why the autosave failed, keeps the text in the tab, and offers it back once the
applicant is signed in again; nothing is offered when the server has it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mapapp.models import Role
from proposals.models import Proposal
from proposals.services import calls, drafting
from tests.browser.test_accessibility import page_violations
from tests.browser.test_proposal_journey import go, login
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser]

TYPED = "Benches of oak <b>not bold</b>, and a bin."


@pytest.fixture
def world(transactional_db):
    from mapapp.demo import load_demo_cities
    from tests.proposals.conftest import make_user

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    officer = make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    now = timezone.now()
    call = calls.grant_call_create(actor=officer, city=koszalin, title={"en": "Spaces 2027"},
                                   opens_at=now - timedelta(days=1),
                                   closes_at=now + timedelta(days=10),
                                   total_budget=100000, project_cap=30000)  # fmt: skip
    resident = make_user("resident@example.org", Role.RESIDENT, city=koszalin)
    return {"city": koszalin, "call": call, "resident": resident}


@pytest.fixture
def draft(world):
    proposal = drafting.proposal_create_draft(author=world["resident"], grant_call=world["call"])
    drafting.proposal_save(actor=world["resident"], proposal=proposal,
                           fields={"title": "Benches", "description": "Old text."},
                           budget_lines=[("Wood", "1000")])  # fmt: skip
    return proposal


def sign_in(page, user):  # in English: the tests read the messages
    login(page, user)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])


def editor(page, proposal):
    go(page, f"/koszalin/proposals/{proposal.pk}/edit/")
    page.locator("#editor-map.leaflet-container").wait_for()


def test_signed_out_the_typed_text_is_offered_back_and_saved(page, world, draft):
    sign_in(page, world["resident"])
    editor(page, draft)
    page.fill("textarea[name=description]", TYPED)
    page.locator("input[name=budget_item]").nth(1).fill("Paint")
    page.locator("input[name=budget_amount]").nth(1).fill("1 250,50")
    page.fill("input[name=latitude]", "54.190312")  # the pin, by typed coordinates
    page.fill("input[name=longitude]", "16.181745")
    page.locator("input[name=longitude]").dispatch_event("change")
    page.context.clear_cookies(name="sessionid")  # signed out in another tab
    status = page.locator("#autosave-status")
    wait_until(page, "document.getElementById('autosave-status').textContent"
                     ".includes('signed out')")  # fmt: skip
    assert (
        status.locator("a")
        .get_attribute("href")
        .endswith(f"?next=/koszalin/proposals/{draft.pk}/edit/")
    )
    page.click("button[value=save]")  # the sign-in page: the form's text goes nowhere
    page.wait_for_url("**/accounts/login/**")
    draft.refresh_from_db()
    assert draft.description == "Old text."

    sign_in(page, world["resident"])  # signed in again, in the same tab
    editor(page, draft)
    notice = page.locator(".typed-notice")
    assert "was not saved" in notice.inner_text()
    assert page_violations(page) == []  # the notice and its buttons, as assistive tools read
    assert page.locator("textarea[name=description]").input_value() == "Old text."
    page.click(".typed-restore")
    assert page.locator("textarea[name=description]").input_value() == TYPED
    assert "Put back" in notice.inner_text()
    assert page.locator(".typed-notice b").count() == 0  # text, never HTML
    page.click("button[value=save]")
    page.wait_for_load_state("load")
    draft.refresh_from_db()
    assert draft.description == TYPED
    lines = [(b.item, str(b.amount)) for b in draft.budget_lines.order_by("position")]
    assert lines == [("Wood", "1000.00"), ("Paint", "1250.50")]
    assert draft.geom.coords == pytest.approx((16.181745, 54.190312))

    # saved: the server writes the amounts back as "1250,50", and the point as its own
    # GeoJSON; nothing is offered again
    editor(page, draft)
    assert page.locator(".typed-notice").count() == 0


def test_an_expired_page_says_so_and_discarding_forgets(page, world, draft):
    sign_in(page, world["resident"])
    editor(page, draft)
    page.context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": page.base_url}])
    page.fill("textarea[name=description]", TYPED)  # signed in again elsewhere: a new token
    wait_until(page, "document.getElementById('autosave-status').textContent"
                     ".includes('expired')")  # fmt: skip
    assert Proposal.objects.get(pk=draft.pk).description == "Old text."
    sign_in(page, world["resident"])
    editor(page, draft)
    page.click(".typed-discard")
    assert page.locator(".typed-notice").count() == 0
    editor(page, draft)
    assert page.locator(".typed-notice").count() == 0  # forgotten


def test_an_autosaved_change_is_not_offered(page, world, draft):
    sign_in(page, world["resident"])
    editor(page, draft)
    page.fill("input[name=title]", "  Benches   by the pond ")  # the server tidies spaces
    wait_until(page, "document.getElementById('autosave-status').textContent == 'Draft saved.'")
    assert Proposal.objects.get(pk=draft.pk).title == "Benches by the pond"
    kept = "Object.keys(sessionStorage).filter(k => k.startsWith('wcs-typed:'))"
    assert page.evaluate(kept) == []  # the server has it: nothing is kept any more
    editor(page, draft)
    assert page.locator(".typed-notice").count() == 0


def test_a_site_report_sent_while_signed_out_is_offered_back_and_then_forgotten(page, world):
    """A form that makes something new: sent while signed out, it lands on the sign-in page
    (which marks it as not arrived) and is offered back on the form; sent and accepted, the
    next page forgets it, so the blank form offers nothing."""
    from sites.models import Site

    sign_in(page, world["resident"])
    go(page, "/koszalin/sites/report/")
    page.locator("#editor-map.leaflet-container").wait_for()
    page.fill("input[name=name]", "Empty lot behind the school")
    page.fill("textarea[name=description]", TYPED)
    page.fill("input[name=latitude]", "54.190312")
    page.fill("input[name=longitude]", "16.181745")
    page.locator("input[name=longitude]").dispatch_event("change")
    page.context.clear_cookies(name="sessionid")
    page.locator("#site-form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/login/**")
    assert page.locator("body[data-keep-typed-pending]").count() == 1
    assert not Site.objects.filter(name="Empty lot behind the school").exists()

    sign_in(page, world["resident"])
    go(page, "/koszalin/sites/report/")
    page.locator(".typed-restore").click()
    assert page.locator("textarea[name=description]").input_value() == TYPED
    assert page.locator("input[name=name]").input_value() == "Empty lot behind the school"
    page.locator("#site-form button[type=submit]").first.click()
    page.wait_for_url("**/koszalin/sites/*/")
    site = Site.objects.get(name="Empty lot behind the school")
    assert site.description == TYPED and site.geom is not None
    go(page, "/koszalin/sites/report/")
    page.locator("#editor-map.leaflet-container").wait_for()
    assert page.locator(".typed-notice").count() == 0


def test_an_officers_text_refused_as_expired_is_offered_back(page, world):
    """The city's information, sent from a page whose form token expired (signed in again
    in another tab): Django's refusal marks it as not arrived; the form offers it back."""
    from tests.proposals.conftest import make_user

    officer = make_user("officer2@example.org", Role.PROGRAMME_OFFICER, city=world["city"])
    sign_in(page, officer)
    go(page, "/koszalin/officer/information/")
    text = "Koszalin's programme, <i>in our words</i>,\nover two lines."
    page.fill("textarea[name=introduction_en]", text)
    page.context.add_cookies([{"name": "csrftoken", "value": "y" * 32, "url": page.base_url}])
    page.locator("#city-information button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert page.locator("body[data-keep-typed-pending]").count() == 1  # the refusal
    sign_in(page, officer)  # a fresh token
    go(page, "/koszalin/officer/information/")
    notice = page.locator("#city-information .typed-notice")
    assert "was not saved" in notice.inner_text()
    notice.locator(".typed-restore").click()
    assert page.locator("textarea[name=introduction_en]").input_value() == text
    page.locator("#city-information button[type=submit]").first.click()
    page.wait_for_load_state("load")
    from mapapp.models import CityInformation

    stored = CityInformation.objects.get(city=world["city"]).introduction["en"]
    assert stored.replace("\r\n", "\n") == text  # a browser sends a textarea's lines CRLF
    go(page, "/koszalin/officer/information/")
    assert page.locator(".typed-notice").count() == 0


def test_what_one_person_typed_is_never_offered_to_another_in_the_same_tab(page, world):
    """A shared computer: what a resident typed and never sent is offered back to them only,
    not to the next person who signs in in the same tab; signing out on purpose forgets it."""
    from tests.proposals.conftest import make_user

    other = make_user("neighbour@example.org", Role.RESIDENT, city=world["city"])

    def type_a_report():
        go(page, "/koszalin/sites/report/")
        page.locator("#editor-map.leaflet-container").wait_for()
        page.fill("textarea[name=description]", TYPED)

    def offered() -> int:
        go(page, "/koszalin/sites/report/")
        page.locator("#editor-map.leaflet-container").wait_for()
        return page.locator(".typed-notice").count()

    sign_in(page, world["resident"])
    type_a_report()
    page.context.clear_cookies(name="sessionid")  # signed out in another tab: not on purpose
    sign_in(page, other)
    assert offered() == 0  # another person: nothing of the first one's
    sign_in(page, world["resident"])
    assert offered() == 1  # still kept for the one who typed it

    page.locator("form[data-keep-typed-forget] button").click()  # signing out on purpose
    page.wait_for_load_state("load")
    assert (
        page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('wcs-typed:'))") == []
    )
    sign_in(page, world["resident"])
    assert offered() == 0


def test_a_report_refused_on_its_way_back_to_the_page_is_offered_back(page, world):
    """A form posted to another address comes back to its page with an error message (a
    report of what one has already reported): that page offers the text back, unfolding the
    form it sits in."""
    from mapapp.flags import flag_create
    from tests.proposals.conftest import make_user

    author = make_user("author@example.org", Role.RESIDENT, city=world["city"])
    proposal = drafting.proposal_create_draft(author=author, grant_call=world["call"])
    drafting.proposal_save(actor=author, proposal=proposal, fields={"title": "Mural"})
    Proposal.objects.filter(pk=proposal.pk).update(status="collecting_support")
    flag_create(user=world["resident"], city=world["city"], target_type="proposal",
                target_id=proposal.pk, reason="offensive", note="First report.")  # fmt: skip
    sign_in(page, world["resident"])
    go(page, f"/koszalin/proposals/{proposal.pk}/")
    page.locator(".flag-form summary").click()
    page.select_option("#flag-reason", "offensive")
    page.fill("#flag-note", TYPED)
    page.locator(".flag-form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator(".messages .error").count() == 1  # already reported
    notice = page.locator(".flag-form .typed-notice")
    assert notice.is_visible()  # the folded form opened to show it
    notice.locator(".typed-restore").click()
    assert page.locator("#flag-note").input_value() == TYPED
