"""An officer imports past projects in Chromium: from the completed projects' list to the
upload form, a GeoPackage and a zip of photos, the job's page with the counts and the rows
skipped (what a row held is shown as text, never as markup), then the projects on the
public list. The pages pass axe and reflow at 320 px."""

import zipfile

import pytest

from mapapp.models import Role
from sites.models import Intervention, ProjectImport
from tests.browser.test_accessibility import violations
from tests.browser.test_proposal_journey import click_and_wait, go, login
from tests.sites.test_import_interventions import GOOD, _photos, _write

pytestmark = [pytest.mark.browser]
XSS = "<img src=x onerror=window.pwned=1>"


@pytest.fixture
def ostrava(transactional_db):
    from mapapp.demo import load_demo_cities

    return {c.slug: c for c in load_demo_cities()}["ostrava"]


def test_an_officer_imports_past_projects_with_photos(page, ostrava, tmp_path):
    from tests.proposals.conftest import make_user

    officer = make_user("referent@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    _photos(tmp_path / "foto", **{"a.jpg": "gray", "b.jpg": "green"})
    rows = [
        {"title": "Komunitní zahrada", "completed": "2021", "ref": "1",
         "before_photos": "foto/a.jpg", "after_photos": "foto/b.jpg",
         "photo_captions": "Od silnice", "geometry": GOOD[0]["geometry"]},
        {"title": "Lavičky", "completed": XSS, "ref": "2", "before_photos": None,
         "after_photos": None, "photo_captions": None, "geometry": GOOD[1]["geometry"]},
    ]  # fmt: skip
    data = _write(tmp_path / "hotove.gpkg", rows)
    photos = tmp_path / "foto.zip"
    with zipfile.ZipFile(photos, "w") as archive:
        for name in ("a.jpg", "b.jpg"):
            archive.write(tmp_path / "foto" / name, f"foto/{name}")

    login(page, officer)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])
    go(page, "/ostrava/interventions/")
    click_and_wait(page, page.get_by_role("link", name="Import completed projects"))
    assert violations(page, "/ostrava/interventions/import/") == []
    page.locator("#import-columns summary").click()
    assert page.locator("#import-columns code", has_text="before_photos").is_visible()
    page.set_input_files("#id_data", str(data))
    page.set_input_files("#id_photos", str(photos))
    page.fill("#id_id_field", "ref")
    page.check("#id_skip_invalid")
    click_and_wait(page, page.get_by_role("button", name="Import"))

    job = ProjectImport.objects.get()
    assert page.url.endswith(f"/ostrava/interventions/import/{job.pk}/")
    assert page.locator("#import-state").get_attribute("data-state") == "done"
    counts = page.locator("#import-counts").inner_text()
    assert "Read 2 rows: 1 new projects, 0 updated." in counts
    assert "Photo pairs: 1 new" in counts
    skipped = page.locator("#refused-rows tbody tr")
    assert skipped.count() == 1 and skipped.locator("td").first.inner_text() == "2"
    assert XSS in skipped.locator("td").nth(1).inner_text()  # shown as text
    assert page.locator("#refused-rows img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert violations(page, page.url.removeprefix(page.base_url)) == []
    page.set_viewport_size({"width": 320, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 321

    page.set_viewport_size({"width": 1280, "height": 800})
    click_and_wait(page, page.get_by_role("link", name="Completed projects").first)
    garden = Intervention.objects.get(city=ostrava)
    assert page.get_by_role("link", name="Komunitní zahrada").count() == 1
    go(page, f"/ostrava/interventions/{garden.pk}/")
    assert page.locator(f"img[src='{garden.pairs.get().after.url}']").count() == 1
