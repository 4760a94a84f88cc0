"""The whole programme in a real Chromium: a resident draws and submits, neighbours support,
the committee scores three rounds with a revision in between, an officer grants, the
applicant reports completion with after photos. Plus escaping in page, list and popup."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from PIL import Image

from mapapp.models import Role
from proposals.models import GrantCall, Proposal
from proposals.services import assessment, calls, support
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser]

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def world(transactional_db, tmp_path):
    from mapapp.demo import load_demo_cities
    from tests.proposals.conftest import make_user

    cities = {c.slug: c for c in load_demo_cities()}
    koszalin = cities["koszalin"]
    officer = make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    committee = [
        make_user(f"member{i}@example.org", Role.COMMITTEE_MEMBER, city=koszalin) for i in range(6)
    ]
    now = timezone.now()
    call = calls.grant_call_create(
        actor=officer,
        city=koszalin,
        title={"en": "Spaces 2027", "pl": "Przestrzenie 2027"},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        total_budget=100000,
        project_cap=30000,
    )
    calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee)
    files = {}
    for name, color in (("before", "#777766"), ("after", "#337733")):
        path = tmp_path / f"{name}.jpg"
        Image.new("RGB", (320, 240), color).save(path, format="JPEG")
        files[name] = path
    consent = tmp_path / "consent.pdf"
    consent.write_bytes(b"%PDF-1.4 consent")
    files["consent"] = consent
    return {
        "city": koszalin,
        "officer": officer,
        "committee": committee,
        "call": call,
        "files": files,
        "resident": make_user("resident@example.org", Role.RESIDENT, city=koszalin),
        "neighbours": [make_user(f"n{i}@example.org", city=koszalin) for i in range(15)],
    }


def login(page, user):
    """Sign in by giving the browser a real session cookie of the live server's database."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": page.base_url}]
    )


def go(page, path):
    page.goto(page.base_url + path)


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def draw_square(page):
    """Zoom in near the Rynek and draw a square with Leaflet.draw's polygon tool."""
    page.evaluate("window.editorMap.setView([54.1903, 16.1817], 18, {animate: false})")
    page.locator("a.leaflet-draw-draw-polygon").click()
    box = page.locator("#editor-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(-50, -40), (50, -40), (50, 40), (-50, 40)]
    for dx, dy in corners:
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(150)
    page.mouse.click(cx + corners[0][0], cy + corners[0][1])  # close on the first vertex
    wait_until(page, "document.querySelector('input[name=area]').value.length > 10")


def fill_proposal(page, files):
    page.fill("#id_title", "Raised beds on the Rynek")
    page.fill("#id_description", "Six raised beds and a bench.")
    page.select_option("#id_category", "community_garden")
    page.fill("#id_neighbour_involvement", "Two building Saturdays with neighbours.")
    page.fill("#id_maintenance_plan", "Ten households water and weed.")
    page.select_option("#id_landowner", "city")
    page.set_input_files("#id_consent_document", str(files["consent"]))
    items = page.locator("input[name=budget_item]")
    amounts = page.locator("input[name=budget_amount]")
    items.nth(0).fill("Timber")
    amounts.nth(0).fill("1.500")  # fifteen hundred, or one and a half? Not guessed
    assert total(page) == "0,00 zł + ?"
    amounts.nth(0).fill("9 000,50")  # as Poles write it; the server reads it the same way
    items.nth(1).fill("Soil and seedlings")
    amounts.nth(1).fill("2999,50")
    assert total(page) == "12 000,00 zł"  # in the page's language and the city's currency


def total(page) -> str:
    text = page.locator("#budget-total").inner_text()
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_whole_programme(page, world):
    call, files = world["call"], world["files"]
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # 1. A resident proposes: draws the area, fills the form, makes it public.
    login(page, world["resident"])
    go(page, "/koszalin/")
    page.get_by_role("link", name="Zaproponuj projekt").first.click()
    page.wait_for_url("**/koszalin/proposals/new/")  # the map page rewrites its hash
    click_and_wait(page, page.get_by_role("button", name="Utwórz szkic"))
    draw_square(page)
    fill_proposal(page, files)
    click_and_wait(page, page.locator("button[value=publish]"))
    proposal = Proposal.objects.get()
    assert proposal.status == "collecting_support"
    assert proposal.area is not None and proposal.area.num_points == 5
    assert page.locator("#support-count").inner_text() == "0"

    # 2. Neighbours support: two in the browser, the rest through the service.
    for neighbour in world["neighbours"][:2]:
        login(page, neighbour)
        go(page, f"/koszalin/proposals/{proposal.pk}/")
        click_and_wait(page, page.locator("a.button", has_text="Poprzyj"))
        page.fill("#id_full_name", f"Neighbour {neighbour.pk}")
        page.fill("#id_address", f"Zwycięstwa {neighbour.pk}, Koszalin")
        page.check("#id_age_confirmed")
        if neighbour == world["neighbours"][0]:
            page.check("#id_follow")  # and asks for its news by e-mail
        click_and_wait(page, page.locator("form button[type=submit]").last)
    assert page.locator("#support-count").inner_text() == "2"
    assert page.locator("#follow button").inner_text() == "Obserwuj tę propozycję"  # the 2nd
    assert [f.user for f in proposal.follows.all()] == [world["neighbours"][0]]
    for i, neighbour in enumerate(world["neighbours"][2:]):
        support.support_add(
            user=neighbour,
            proposal=proposal,
            full_name=f"N {i} Nowak",
            address=f"Street {i}, Koszalin",
            age_confirmed=True,
        )

    # 3. The resident submits.
    login(page, world["resident"])
    go(page, f"/koszalin/proposals/{proposal.pk}/edit/")
    click_and_wait(page, page.locator("button[value=submit]"))
    proposal.refresh_from_db()
    assert proposal.status == "submitted", page.locator(".errorlist-summary").all_inner_texts()

    # 4. The call closes; the officer does the formal check and opens round 1.
    now = timezone.now()
    GrantCall.objects.filter(pk=call.pk).update(
        opens_at=now - timedelta(days=20), closes_at=now - timedelta(minutes=1)
    )
    login(page, world["officer"])
    go(page, f"/koszalin/officer/proposals/{proposal.pk}/")
    click_and_wait(page, page.locator("button[value=eligible]"))
    go(page, f"/koszalin/officer/calls/{call.pk}/")
    click_and_wait(page, page.locator("button[value=round_open]"))
    assert "1" in page.locator("#round-state").inner_text()

    member = world["committee"][0]
    others = world["committee"][1:]
    criteria = list(call.criteria.all())
    for round_number, value in ((1, 3), (2, 4), (3, 5)):
        # 5. One member scores in the browser, the others through the service.
        login(page, member)
        go(page, "/koszalin/committee/")
        click_and_wait(page, page.get_by_role("link", name="Raised beds"))
        if round_number == 2:
            diff = page.locator("#version-diff")
            assert diff.is_visible()
            assert "Watering rota in August" in diff.inner_text()
        for criterion in criteria:
            page.check(f"input[name=score_{criterion.pk}][value='{value}']")
        page.fill(
            f"textarea[name=comment_{criteria[0].pk}]", f"Who waters in round {round_number}?"
        )
        click_and_wait(page, page.locator("button[value=score]"))
        for other in others:
            assessment.scores_save(
                member=other, proposal=proposal, scores={c.pk: (value, "") for c in criteria}
            )
        # 6. The officer closes the round; after rounds 1 and 2 feedback goes out.
        login(page, world["officer"])
        go(page, f"/koszalin/officer/calls/{call.pk}/")
        click_and_wait(page, page.locator("button[value=round_close]"))
        if round_number < 3:
            go(page, f"/koszalin/officer/proposals/{proposal.pk}/")
            assert page.locator(".weighted").first.inner_text() in ("3,00", "3.00", "4,00", "4.00")
            # the committee's comments start the feedback, kept as a draft, then released
            assert (
                f"Who waters in round {round_number}?"
                in page.locator(".round-comments").last.inner_text()
            )
            click_and_wait(page, page.locator("button[value=feedback_compose]"))
            assert f"- Who waters in round {round_number}?" in page.input_value(
                "textarea[name=text]"
            )
            click_and_wait(page, page.locator("button[value=feedback_draft]"))
            assert page.locator(".draft-note").is_visible()
            page.fill("textarea[name=text]", f"Round {round_number}: say who waters in August.")
            click_and_wait(page, page.locator("button[value=feedback]"))
        if round_number == 1:
            # 7. The applicant reads the feedback and revises.
            login(page, world["resident"])
            go(page, f"/koszalin/proposals/{proposal.pk}/")
            assert "say who waters in August" in page.locator(".feedback").first.inner_text()
            click_and_wait(page, page.get_by_role("link", name="Popraw po uwagach"))
            page.fill("#id_maintenance_plan", "Ten households. Watering rota in August.")
            click_and_wait(page, page.locator("button[value=save]"))
            proposal.refresh_from_db()
            assert proposal.version == 2
        if round_number < 3:
            login(page, world["officer"])
            go(page, f"/koszalin/officer/calls/{call.pk}/")
            click_and_wait(page, page.locator("button[value=round_open]"))

    # 8. The officer sees the ranking and grants.
    go(page, f"/koszalin/officer/calls/{call.pk}/")
    assert "Raised beds" in page.locator("#ranking").inner_text()
    go(page, f"/koszalin/officer/proposals/{proposal.pk}/")
    page.fill("input[name=amount]", "12000")
    click_and_wait(page, page.locator("button[value=grant]"))
    click_and_wait(page, page.locator("button[value=agreement]"))
    proposal.refresh_from_db()
    assert (proposal.status, proposal.granted_amount) == ("agreement_signed", 12000)

    # 9. The applicant builds it and reports completion with a paired after photo.
    login(page, world["resident"])
    go(page, f"/koszalin/proposals/{proposal.pk}/progress/")
    click_and_wait(page, page.locator("button[value=start]"))
    form = page.locator("#photo-form")
    form.locator("select[name=kind]").select_option("before")
    form.locator("input[name=image]").set_input_files(str(files["before"]))
    click_and_wait(page, form.locator("button[value=photo]"))
    before_id = str(proposal.photos.get(kind="before").pk)
    form = page.locator("#photo-form")
    form.locator("select[name=kind]").select_option("after")
    form.locator("select[name=pair_of]").select_option(before_id)
    form.locator("input[name=image]").set_input_files(str(files["after"]))
    click_and_wait(page, form.locator("button[value=photo]"))
    click_and_wait(page, page.locator("button[value=complete]"))
    proposal.refresh_from_db()
    assert proposal.status == "completed"
    # the follower heard of each milestone, and the last ended the follow
    told = [m.subject for m in mail.outbox if m.to == [world["neighbours"][0].email]]
    assert [t.rsplit(": ", 1)[1] for t in told] == [
        "Złożony", "W ocenie", "Przyznano dofinansowanie", "W realizacji", "Zakończony",
    ], told  # fmt: skip
    assert not proposal.follows.exists()
    go(page, f"/koszalin/proposals/{proposal.pk}/")
    assert page.locator(".photos img").count() == 2
    assert [t.strip() for t in page.locator(".timeline li span").all_inner_texts()][
        -1
    ] == "Zakończony"
    assert dialogs == []
    assert page.errors.unexpected() == []


def test_user_text_is_text_in_page_list_and_popup(page, world):
    import json

    from proposals.services import drafting
    from tests.proposals.conftest import RYNEK, square

    p = drafting.proposal_create_draft(author=world["resident"], grant_call=world["call"])
    drafting.proposal_save(
        actor=world["resident"],
        proposal=p,
        fields={"title": XSS, "description": XSS},
        area_geojson=json.dumps(square(*RYNEK)),
    )
    drafting.proposal_publish(actor=world["resident"], proposal=p)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    go(page, f"/koszalin/proposals/{p.pk}/")
    assert page.locator("h1").inner_text() == XSS
    go(page, "/koszalin/proposals/")
    assert page.locator(f"tr[data-proposal='{p.pk}'] a").inner_text() == XSS
    go(page, "/koszalin/")
    page.locator("#map[data-proposals-loaded='1']").wait_for()
    page.locator("#map[data-boundary-loaded='true']").wait_for()
    page.evaluate("window.cityMap.setView([54.1905, 16.182], 17, {animate: false})")
    page.locator("path.proposal-marker").first.click()
    popup = page.locator(".leaflet-popup-content strong")
    popup.wait_for()
    assert popup.inner_text() == XSS
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert dialogs == []
    assert page.errors.unexpected() == []
