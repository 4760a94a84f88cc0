"""A resident tells a project's maintainers what is wrong there, with a photo, in the
browser: from the project's page to the form, a refused try that keeps the photo, the
applicant's answer on the works page, and the answer read back by the resident."""

import pytest

from mapapp.models import User
from proposals.models import CareNotice, Proposal
from tests.browser.test_proposal_journey import click_and_wait, login
from tests.proposals.conftest import jpeg_bytes

pytestmark = [pytest.mark.browser]


@pytest.fixture
def caring(transactional_db):
    from mapapp.demo import load_demo_cities
    from proposals.demo import load_demo_programme

    koszalin = {c.slug: c for c in load_demo_cities()}["koszalin"]
    load_demo_programme(koszalin)  # its project in the sustainability period has notices
    return Proposal.objects.get(city=koszalin, status="sustainability")


def sign_in(page, user):
    login(page, user)  # in English: the demo's people read the city's Polish
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])


def test_a_notice_with_a_photo_and_its_answer(page, caring, tmp_path):
    photo = tmp_path / "swing.jpg"
    photo.write_bytes(jpeg_bytes(color="orange", size=(320, 240)))
    neighbour = User.objects.get(email="neighbour05@example.org")
    sign_in(page, neighbour)
    page.goto(page.base_url + f"/koszalin/proposals/{caring.pk}/")
    click_and_wait(page, page.get_by_role("link", name="Tell those who look after it"))
    # sent without words: refused, and the photo chosen is kept for the next try
    page.set_input_files("input[name=photo]", str(photo))
    click_and_wait(page, page.get_by_role("button", name="Send"))
    assert page.locator("#id_text_error").inner_text() == "This field is required."
    kept = page.get_by_label("Kept from your last try: swing.jpg")
    assert kept.is_checked()
    page.fill("textarea[name=text]", "The <swing>'s chain is rusty & creaks.")
    click_and_wait(page, page.get_by_role("button", name="Send"))
    notice = CareNotice.objects.get(author=neighbour)
    assert notice.text == "The <swing>'s chain is rusty & creaks." and notice.photo
    mine = page.locator("#my-notices .care-notice").first
    assert "The <swing>'s chain is rusty & creaks." in mine.inner_text()
    shown = mine.locator(".care-photo img")
    shown.wait_for()
    assert page.evaluate("e => e.naturalWidth", shown.element_handle()) == 320
    assert "Not answered yet." in mine.inner_text()

    sign_in(page, caring.author)  # the applicant answers on the works page
    page.goto(page.base_url + f"/koszalin/proposals/{caring.pk}/progress/")
    item = page.locator(f"#notice-{notice.pk}")
    assert "The <swing>'s chain is rusty & creaks." in item.inner_text()
    assert page.evaluate("e => e.naturalWidth", item.locator("img").element_handle()) == 320
    item.locator("textarea[name=answer]").fill("Oiled it on Sunday.")
    click_and_wait(page, item.get_by_role("button", name="Send the answer"))
    assert "the resident gets your answer by e-mail" in page.locator("body").inner_text()
    assert "Your answer" in page.locator(f"#notice-{notice.pk}").inner_text()

    sign_in(page, neighbour)
    page.goto(page.base_url + f"/koszalin/proposals/{caring.pk}/care/")
    assert "Oiled it on Sunday." in page.locator("#my-notices").inner_text()
    # the one refused try answered 400, on purpose; nothing else failed
    care = f"{page.base_url}/koszalin/proposals/{caring.pk}/care/"
    ours = [r for r in page.errors.bad_requests if not page.errors.external(r.split(" ", 1)[-1])]
    assert ours == [f"400 {care}"] and page.errors.js_errors == []  # (the basemap is offline)
    said = [t for t, url in page.errors.console_errors if not page.errors.external(url)]
    assert [text for text in said if "status of 400" not in text] == []


def test_the_applicant_reports_an_abusive_notice_and_an_officer_removes_it(page, caring):
    """In the browser: the applicant's report, then the officer's removal behind its
    disclosure, which the browser will not send without a reason."""
    waiting = CareNotice.objects.get(proposal=caring, answered_at__isnull=True)
    sign_in(page, caring.author)
    page.goto(page.base_url + f"/koszalin/proposals/{caring.pk}/progress/")
    item = page.locator(f"#notice-{waiting.pk}")
    click_and_wait(page, item.get_by_role("button", name="Report it as abusive to the city"))
    assert "You reported it as abusive" in page.locator(f"#notice-{waiting.pk}").inner_text()

    sign_in(page, User.objects.get(email="officer@example.org"))
    page.goto(page.base_url + f"/koszalin/officer/proposals/{caring.pk}/")
    assert "The applicant reports it as abusive" in page.locator("#care-notices").inner_text()
    disclosure = page.locator("#care-notices details.care-remove").filter(
        has=page.locator(f"input[name=item][value='{waiting.pk}']")
    )
    reason = disclosure.locator("textarea[name=reason]")
    assert not reason.is_visible()  # folded until asked for
    disclosure.locator("summary").click()
    disclosure.get_by_role("button", name="Remove the notice").click()  # no reason: not sent
    assert reason.evaluate("e => e.validity.valueMissing")
    assert CareNotice.objects.filter(pk=waiting.pk).exists()
    reason.fill("It names a neighbour <by name>.")
    click_and_wait(page, disclosure.get_by_role("button", name="Remove the notice"))
    assert not CareNotice.objects.filter(pk=waiting.pk).exists()
    assert "bin by the gate" not in page.locator("body").inner_text()
    assert page.errors.js_errors == []
