"""Interventions: from completed proposals and recorded by officers; public pages and data."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from proposals.services import delivery, grants
from sites.models import Intervention
from sites.services import intervention_from_proposal, intervention_record
from tests.proposals.conftest import jpeg_upload, projects_news_people, run_rounds
from tests.sites.conftest import PIN


@pytest.fixture
def completed(in_assessment, officer, committee, resident):
    """A proposal granted, built with volunteers and paired photos, completion accepted."""
    return complete(in_assessment, officer, committee, resident)


def complete(in_assessment, officer, committee, resident):
    run_rounds(in_assessment.grant_call, officer, committee, [(in_assessment, 4)])
    p = grants.proposal_decide(actor=officer, proposal=in_assessment, granted=True, amount="20000")
    delivery.agreement_sign(actor=officer, proposal=p)
    delivery.works_start(actor=resident, proposal=p)
    delivery.work_day_add(
        actor=resident, proposal=p, day=p.city.local_date(), people=12, hours=Decimal("4")
    )
    delivery.work_day_add(
        actor=resident, proposal=p, day=p.city.local_date(), people=8, hours=Decimal("3.5")
    )
    before = delivery.photo_add(
        actor=resident,
        proposal=p,
        kind="before",
        upload=jpeg_upload(color="grey"),
        caption="From the bus stop",
    )
    delivery.photo_add(
        actor=resident, proposal=p, kind="after", upload=jpeg_upload(), pair_of=before
    )
    delivery.completion_report(actor=resident, proposal=p)
    return delivery.completion_accept(actor=officer, proposal=p)


def test_completing_a_granted_proposal_creates_its_intervention(completed):
    intervention = Intervention.objects.get(proposal=completed)
    assert intervention.title == completed.title
    assert intervention.geom.equals_exact(completed.geom, 1e-9)
    assert intervention.area.equals(completed.area)  # the drawn polygon, as a MultiPolygon
    assert (intervention.volunteers, intervention.volunteer_hours) == (20, Decimal("76.0"))
    assert intervention.funding == "grant" and intervention.grant_call == completed.grant_call
    assert intervention.sustainability_ends_on == completed.sustainability_ends_on
    pair = intervention.pairs.get()
    assert pair.caption == "From the bus stop"
    assert pair.before.name == completed.photos.get(kind="before").image.name


def test_intervention_page_api_and_sharing(client, completed):
    intervention = Intervention.objects.get(proposal=completed)
    page = client.get(f"/koszalin/interventions/{intervention.pk}/").content.decode()
    assert 'class="ba-slider"' in page
    assert '<meta property="og:title" content="Community garden by the square">' in page
    assert 'property="og:image" content="http://testserver/media/' in page
    assert 'id="share-address" type="url" value="http://testserver/koszalin/interventions/' in page
    data = json.loads(client.get("/api/v1/koszalin/interventions/").content)
    (feature,) = data["features"]
    assert feature["properties"]["sustainability"] == "in_maintenance"
    assert feature["properties"]["category"] == "community_garden"
    ended = json.loads(
        client.get("/api/v1/koszalin/interventions/?sustainability=maintenance_ended").content
    )
    assert ended["features"] == []


def test_residents_maintaining_a_project_is_said_in_each_readers_language(client, completed):
    """Who maintains a residents' project used to be stored in the language of the officer
    who accepted the completion, and every reader saw that language."""
    from django.utils import translation

    with translation.override("pl"):  # the officer's language when accepting
        intervention = intervention_from_proposal(proposal=completed)
    assert intervention.maintainer == ""
    url = f"/koszalin/interventions/{intervention.pk}/"
    expected = {
        "cs": "Obyvatelé, kteří ho navrhli",
        "en": "The residents who proposed it",
        "pl": "Mieszkańcy, którzy go zaproponowali",
    }
    for language, text in expected.items():
        client.cookies["django_language"] = language
        page = client.get(url).content.decode()
        assert text in page, language
        assert all(other not in page for other in expected.values() if other != text)
    Intervention.objects.filter(pk=intervention.pk).update(maintainer="Friends of the park")
    page = client.get(url).content.decode()
    assert "Friends of the park" in page and expected["cs"] not in page


def test_officer_records_an_intervention_outside_the_programme(officer, koszalin, resident):
    intervention = intervention_record(
        actor=officer,
        city=koszalin,
        title="New trees on the boulevard",
        description="",
        category="greenery",
        completed_on=date.today() - timedelta(days=400),
        cost=Decimal("5000"),
        maintainer="City greenery department",
        point_geojson=PIN,
        pairs=[(jpeg_upload(color="grey"), jpeg_upload(), "Boulevard")],
    )
    assert intervention.funding == "other" and intervention.pairs.count() == 1
    assert not intervention.in_maintenance
    with pytest.raises(PermissionDenied):
        intervention_record(
            actor=resident,
            city=koszalin,
            title="x",
            description="",
            category="art",
            completed_on=date.today(),
            cost=Decimal("1"),
            maintainer="",
            point_geojson=PIN,
        )


def test_embed_map_can_be_framed_and_pages_cannot(client, koszalin):
    embed = client.get("/koszalin/embed/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert client.get("/koszalin/").headers["X-Frame-Options"] == "DENY"
    assert 'class="site-header"' not in embed.content.decode()


def test_map_state_in_the_url(client, koszalin):
    response = client.get("/koszalin/?layers=sites&layers=interventions&category=art&year=2026")
    config = response.context["map_config"]
    assert config["layers"] == ["sites", "interventions"]
    assert "category=art" in config["query"]
    assert response.context["filters"]["year"] == 2026
    body = response.content.decode()
    assert 'value="proposals">' in body and 'value="proposals" checked' not in body


def test_officer_records_intervention_through_the_form(client, officer, koszalin):
    client.force_login(officer)
    response = client.post(
        "/koszalin/interventions/new/",
        {
            "title": "Wildflower strip",
            "category": "greenery",
            "completed_on": "2026-05-01",
            "cost": "1200",
            "maintainer": "Parks dept.",
            "latitude": "54.1903",
            "longitude": "16.1817",
            "before": jpeg_upload(color="grey"),
            "after": jpeg_upload(),
            "caption": "North end",
        },
    )
    assert response.status_code == 302
    intervention = Intervention.objects.get(title="Wildflower strip")
    assert intervention.pairs.get().caption == "North end"
    # outside the city: a form error, nothing saved
    response = client.post(
        "/koszalin/interventions/new/",
        {
            "title": "Elsewhere",
            "category": "art",
            "completed_on": "2026-05-01",
            "cost": "1",
            "latitude": "49.83",
            "longitude": "18.29",
        },
    )
    assert response.status_code == 400
    assert not Intervention.objects.filter(title="Elsewhere").exists()


def test_staff_edit_a_site_residents_cannot(client, koszalin, resident):
    from mapapp.models import Role
    from sites.services import site_save
    from tests.proposals.conftest import make_user

    planner = make_user("planner2@example.org", Role.PLANNER, city=koszalin)
    site = site_save(
        actor=planner,
        city=koszalin,
        name="Old name",
        description="",
        condition="neglected",
        ownership="city",
        point_geojson=PIN,
    )
    client.force_login(resident)
    assert client.get(f"/koszalin/sites/{site.pk}/edit/").status_code == 403
    client.force_login(planner)
    assert client.get(f"/koszalin/sites/{site.pk}/edit/").status_code == 200
    response = client.post(
        f"/koszalin/sites/{site.pk}/edit/",
        {
            "name": "New name",
            "description": "",
            "condition": "being_revitalised",
            "ownership": "city",
            "district": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    site.refresh_from_db()
    assert (site.name, site.condition) == ("New name", "being_revitalised")
    assert site.geom.equals_exact(
        __import__("django.contrib.gis.geos", fromlist=["Point"]).Point(16.1817, 54.1903), 1e-9
    )


def test_migration_blanks_the_stored_translation_only(completed):
    """sites 0004: rows that stored the phrase are blanked; a named maintainer stays."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sites.migrations.0004_maintainer_in_readers_language")
    intervention = Intervention.objects.get(proposal=completed)
    for stored, kept in (("Mieszkańcy, którzy go zaproponowali", ""), ("Sąsiedzi", "Sąsiedzi")):
        Intervention.objects.filter(pk=intervention.pk).update(maintainer=stored)
        migration.blank(apps, None)
        intervention.refresh_from_db()
        assert intervention.maintainer == kept


def test_the_proposal_links_its_completed_project(client, completed, resident, supporters):
    intervention = Intervention.objects.get(proposal=completed)
    page = client.get(f"/koszalin/proposals/{completed.pk}/").content.decode()
    assert f'id="completed-project" href="/koszalin/interventions/{intervention.pk}/"' in page
    client.force_login(resident)  # the applicant is not offered to report their own
    assert (
        'action="/koszalin/flag/"'
        not in client.get(f"/koszalin/proposals/{completed.pk}/").content.decode()
    )
    client.force_login(supporters[0])
    assert (
        'action="/koszalin/flag/"'
        in client.get(f"/koszalin/proposals/{completed.pk}/").content.decode()
    )


def test_a_completed_project_is_told_to_those_who_asked_for_its_area(
    client, in_assessment, officer, committee, resident, koszalin, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """News of completed projects (the third kind of area alert): told when the officers
    accept a granted project's completion and when they record one by hand, to those whose
    city, district or place covers it and who asked for projects; not to the applicants
    of their own project."""

    city, near, proposals_only = projects_news_people(koszalin, resident, radius_m=2000)
    with django_capture_on_commit_callbacks(execute=True):
        done = complete(in_assessment, officer, committee, resident)
    intervention = Intervention.objects.get(proposal=done)
    funded = [m for m in mailoutbox if m.to == [city.email] and "Funded" in m.subject]
    assert funded and f"/koszalin/proposals/{done.pk}/" in funded[0].body  # at its grant
    [told] = [m for m in mailoutbox if m.to == [city.email] and "completed" in m.subject]
    assert told.subject == f"Project completed in Koszalin: {done.title}"
    assert f"/koszalin/interventions/{intervention.pk}/" in told.body
    assert "photos before and after" in told.body and "/me/alerts/stop/" in told.body
    [told] = [m for m in mailoutbox if m.to == [near.email] and "completed" in m.subject]
    assert told.subject.startswith("Project completed near the place you chose")
    assert re.search(r"completed about \d+ m from the place you chose", told.body)
    assert not [m for m in mailoutbox if m.to == [proposals_only.email]]
    assert not [m for m in mailoutbox if "/me/alerts/stop/" in m.body and m.to == [resident.email]]

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        recorded = intervention_record(
            actor=officer, city=koszalin, title="New trees on the boulevard", description="",
            category="greenery", completed_on=date.today(), cost=Decimal("5000"),
            maintainer="City greenery department", point_geojson=PIN,
        )  # fmt: skip
    told = {m.to[0]: m for m in mailoutbox}
    assert set(told) == {city.email, near.email, resident.email}
    assert f"/koszalin/interventions/{recorded.pk}/" in told[resident.email].body
    assert "New trees on the boulevard (Greenery and trees)" in told[city.email].body


def test_the_completed_projects_list_offers_their_news(client, resident, koszalin):
    from proposals.models import AreaAlert

    client.force_login(resident)
    page = client.get("/koszalin/interventions/").content.decode()
    box = page.split('id="alerts"')[1].split("</section>")[0]
    assert 'name="projects" value="1" checked' in box
    assert 'name="proposals" value="1" checked' not in box
    client.post("/koszalin/alerts/", {"district": "", "projects": "1",
                                      "next": "/koszalin/interventions/#alerts"})  # fmt: skip
    alert = AreaAlert.objects.get(user=resident)
    assert (alert.proposals, alert.sites, alert.projects) == (False, False, True)
    assert "projects funded or completed" in client.get("/me/proposals/").content.decode()
    from mapapp.privacy import user_data_export

    assert user_data_export(user=resident)["area_alerts"][0]["projects"] is True


def test_the_pair_chosen_on_a_refused_form_is_kept_for_the_next_try(client, officer, koszalin):
    import re

    client.force_login(officer)
    form = {"title": "Wildflower strip", "category": "greenery", "completed_on": "2026-05-01",
            "cost": "1200", "maintainer": "Parks dept.", "caption": "North end"}  # fmt: skip
    refused = client.post("/koszalin/interventions/new/", {
        **form, "latitude": "49.83", "longitude": "18.29",  # Ostrava: outside Koszalin
        "before": jpeg_upload("before.jpg", color="grey"), "after": jpeg_upload("after.jpg"),
    })  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 400 and not Intervention.objects.exists()
    kept = dict(re.findall(r'name="held_(before|after)" value="([^"]+)" checked', page))
    assert set(kept) == {"before", "after"}
    assert "Kept from your last try: before.jpg" in page
    saved = client.post("/koszalin/interventions/new/", {
        **form, "latitude": "54.1903", "longitude": "16.1817",
        "held_before": kept["before"], "held_after": kept["after"],
    })  # fmt: skip
    assert saved.status_code == 302
    pair = Intervention.objects.get(title="Wildflower strip").pairs.get()
    assert pair.caption == "North end" and pair.before and pair.after
