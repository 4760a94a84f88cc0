"""The criteria form's "Add a criterion", in a real Chromium: rows added without a save,
numbered on from the formset's rows, up to its maximum, and saved with the others."""

import pytest

pytestmark = [pytest.mark.browser]


def test_officers_add_criteria_rows_without_saving_first(page, transactional_db):
    from mapapp.demo import load_demo_cities
    from mapapp.models import Role
    from proposals.models import CityCriterion
    from proposals.services.calls import MAX_CRITERIA
    from tests.browser.test_proposal_journey import login
    from tests.proposals.conftest import make_user

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    login(page, make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    page.goto(page.base_url + "/koszalin/officer/criteria/")
    rows = page.locator("table.criteria-edit tbody tr")
    assert rows.count() == 7  # the five built-in criteria and two empty rows
    add = page.locator("#add-criterion")
    assert add.is_visible() and not page.locator("#more-rows").is_visible()
    add.click()
    assert rows.count() == 8
    new_name = page.locator("input[name='criteria-7-name_en']")
    assert new_name.evaluate("e => e === document.activeElement")  # typing goes there
    assert page.get_by_label("New criterion: Name (English)").count() == 3  # labelled
    new_name.fill("Shade <and> trees")
    page.locator("input[name='criteria-7-weight']").fill("2,5")
    for _more in range(MAX_CRITERIA - 8):
        add.click()
    assert rows.count() == MAX_CRITERIA and add.is_disabled()  # no more than the service takes
    page.get_by_role("button", name="Save the criteria").click()
    page.wait_for_url("**/koszalin/officer/criteria/")
    saved = list(CityCriterion.objects.filter(city__slug="koszalin"))
    assert [(str(c), str(c.weight)) for c in saved][5:] == [("Shade <and> trees", "2.50")]
    assert len(saved) == 6  # the empty rows left out


def test_rows_added_before_a_send_that_never_arrived_come_back_with_what_was_typed(
    page, transactional_db
):
    """The form's token expired (signed in again in another tab): Django refuses the send,
    the tab kept what was typed (mapapp/keep_typed.js), and offering it back makes room for
    the rows added by script before filling them in."""
    from mapapp.demo import load_demo_cities
    from mapapp.models import Role
    from proposals.models import CityCriterion
    from tests.browser.test_keep_typed import sign_in
    from tests.proposals.conftest import make_user

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    officer = make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    sign_in(page, officer)
    page.goto(page.base_url + "/koszalin/officer/criteria/")
    for _row in range(3):
        page.locator("#add-criterion").click()
    page.fill("input[name='criteria-9-name_en']", "Lighting <at night>")
    page.context.add_cookies([{"name": "csrftoken", "value": "y" * 32, "url": page.base_url}])
    page.get_by_role("button", name="Save the criteria").click()
    page.wait_for_load_state("load")
    assert page.locator("body[data-keep-typed-pending]").count() == 1  # refused
    sign_in(page, officer)  # a fresh token
    page.goto(page.base_url + "/koszalin/officer/criteria/")
    rows = page.locator("table.criteria-edit tbody tr")
    assert rows.count() == 7
    page.locator("#criteria-form .typed-restore").click()
    assert rows.count() == 10
    assert page.locator("input[name='criteria-9-name_en']").input_value() == "Lighting <at night>"
    page.get_by_role("button", name="Save the criteria").click()
    page.wait_for_url("**/koszalin/officer/criteria/")
    names = [str(c) for c in CityCriterion.objects.filter(city=koszalin)]
    assert names[5:] == ["Lighting <at night>"] and len(names) == 6
