"""Reports wait for moderation: invisible to the public in pages, lists and map data."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sites.models import Site
from sites.services import site_moderate, site_report
from tests.proposals.conftest import make_user


def public_views(client, site):
    detail = client.get(f"/koszalin/sites/{site.pk}/")
    listing = client.get("/koszalin/sites/").content.decode()
    api = json.loads(client.get("/api/v1/koszalin/sites/").content)
    map_page = client.get("/koszalin/").content.decode()
    return detail, listing, api, map_page


def test_unmoderated_report_is_invisible_to_the_public(client, pending_report):
    detail, listing, api, map_page = public_views(client, pending_report)
    assert detail.status_code == 404
    assert "Broken benches" not in listing
    assert [f["id"] for f in api["features"]] == []
    assert "Broken benches" not in map_page


def test_reporter_sees_own_pending_report_and_outcome(client, resident, pending_report):
    client.force_login(resident)
    page = client.get(f"/koszalin/sites/{pending_report.pk}/").content.decode()
    assert "Waiting for moderation" in page
    assert "Broken benches" in client.get("/me/reports/").content.decode()


def test_accepted_report_becomes_public(
    client, planner, pending_report, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://grants.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        site_moderate(actor=planner, site=pending_report, accept=True)
    detail, listing, api, _ = public_views(client, pending_report)
    assert detail.status_code == 200
    assert "Broken benches" in listing
    assert [f["id"] for f in api["features"]] == [pending_report.pk]
    assert api["features"][0]["properties"]["condition"] == "neglected"
    assert mailoutbox[0].to == ["resident@example.org"]
    link = f"https://grants.example.org/koszalin/sites/{pending_report.pk}/"
    assert link in mailoutbox[0].body and client.get(link).status_code == 200


def test_rejection_needs_a_note_and_stays_private(client, planner, pending_report):
    with pytest.raises(ValidationError):
        site_moderate(actor=planner, site=pending_report, accept=False)
    site_moderate(actor=planner, site=pending_report, accept=False, note="Private garden.")
    assert public_views(client, pending_report)[0].status_code == 404
    with pytest.raises(ValidationError):
        site_moderate(actor=planner, site=pending_report, accept=True)  # already moderated


def test_moderators_decide_on_the_queue_page(client, planner, pending_report, koszalin):
    """The queue's buttons: a refusal without a note is said and changes nothing; with one
    the report leaves the queue, private; an accepted one is public."""
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    url = "/koszalin/sites/moderation/"
    refused = client.post(url, {"site": pending_report.pk, "action": "reject"}, follow=True)
    assert "Tell the reporter why the report is not accepted." in refused.content.decode()
    pending_report.refresh_from_db()
    assert pending_report.moderation == "pending"
    done = client.post(url, {"site": pending_report.pk, "action": "reject",
                             "note": "A private garden."})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == url
    pending_report.refresh_from_db()
    assert (pending_report.moderation, pending_report.moderation_note) == (
        "rejected", "A private garden.")  # fmt: skip
    other = site_report(reporter=make_user("r2@example.org", "resident", city=koszalin),
                        city=koszalin, name="Dry fountain", description="",
                        point_geojson=pending_report.geom.geojson)  # fmt: skip
    assert client.post(url, {"site": other.pk, "action": "accept"}).status_code == 302
    client.logout()
    assert client.get(f"/koszalin/sites/{other.pk}/").status_code == 200
    assert client.get(f"/koszalin/sites/{pending_report.pk}/").status_code == 404


def test_residents_cannot_moderate(resident, pending_report, client):
    with pytest.raises(PermissionDenied):
        site_moderate(actor=resident, site=pending_report, accept=True)
    client.force_login(resident)
    assert client.get("/koszalin/sites/moderation/").status_code == 403


def test_report_outside_city_is_refused_and_nothing_saved(resident, koszalin):
    with pytest.raises(ValidationError) as exc:
        site_report(
            reporter=resident,
            city=koszalin,
            name="Elsewhere",
            description="",
            point_geojson='{"type": "Point", "coordinates": [18.29, 49.83]}',
        )
    assert "must lie inside Koszalin" in exc.value.message_dict["geom"][0]
    assert not Site.objects.exists()


def test_report_form_keeps_input_on_error(client, resident, koszalin):
    client.force_login(resident)
    response = client.post("/koszalin/sites/report/", {"name": "Kept name", "description": "d"})
    assert response.status_code == 400
    assert 'value="Kept name"' in response.content.decode()
    assert (
        "Put the project on the map" in response.content.decode()
        or "map" in response.content.decode()
    )


def test_report_in_other_city_is_not_shown_there(client, planner, pending_report, ostrava):
    site_moderate(actor=planner, site=pending_report, accept=True)
    assert client.get(f"/ostrava/sites/{pending_report.pk}/").status_code == 404
    assert json.loads(client.get("/api/v1/ostrava/sites/").content)["features"] == []


def test_planner_of_another_city_cannot_moderate(pending_report, ostrava):
    from mapapp.models import Role

    other = make_user("ostrava-planner@example.org", Role.PLANNER, city=ostrava)
    with pytest.raises(PermissionDenied):
        site_moderate(actor=other, site=pending_report, accept=True)


def test_moderators_see_what_is_already_near_a_report(client, planner, pending_report, koszalin):
    """The same place reported twice, or already on the map, shows before it is accepted:
    within 150 m, measured in metres in the city's CRS, nearest first."""
    from django.contrib.gis.geos import Point

    lon, lat = pending_report.geom.x, pending_report.geom.y
    metre = 1 / 111_320  # of latitude
    near = Site.objects.create(city=koszalin, name="Pond <benches>", moderation="accepted",
                               geom=Point(lon, lat + 40 * metre, srid=4326))  # fmt: skip
    twice = Site.objects.create(city=koszalin, name="Benches again", moderation="pending",
                                geom=Point(lon, lat + 120 * metre, srid=4326))  # fmt: skip
    Site.objects.create(city=koszalin, name="Far away", moderation="accepted",
                        geom=Point(lon, lat + 400 * metre, srid=4326))  # fmt: skip
    Site.objects.create(city=koszalin, name="Rejected here", moderation="rejected",
                        geom=Point(lon, lat + 10 * metre, srid=4326))  # fmt: skip
    client.force_login(planner)
    page = client.get("/koszalin/sites/moderation/").content.decode()
    item = page[page.index(f'data-site="{pending_report.pk}"') :]
    item = item[: item.index("</section>")]
    assert item.index("Pond &lt;benches&gt;") < item.index("Benches again")
    assert f'href="/koszalin/sites/{near.pk}/"' in item
    assert "40 m" in item and "120 m" in item and "also waiting for moderation" in item
    assert "Far away" not in item and "Rejected here" not in item
    other = page[page.index(f'data-site="{twice.pk}"') :]
    assert "Broken benches by the pond" in other[: other.index("</section>")]


def test_moderators_see_a_reports_photos_and_where_it_came_from(client, planner, koszalin):
    """The queue shows what was sent with a report: its photos, its condition and owner, and
    for one filed through an Open311 application, the application and the photo link it gave
    (the reporter's contact details stay out of it)."""
    from sites.models import Open311Client
    from sites.services import site_report_open311
    from tests.proposals.conftest import jpeg_upload
    from tests.sites.conftest import PIN

    resident = make_user("reporter@example.org", city=koszalin)
    report = site_report(reporter=resident, city=koszalin, name="Broken fence",
                         description="The fence <leans>.", point_geojson=PIN,
                         photos=[jpeg_upload()])  # fmt: skip
    app = Open311Client.objects.create(city=koszalin, name="Fix <my> street")
    lon, lat = report.geom.x, report.geom.y
    filed = site_report_open311(client=app, lat=lat, lon=lon + 0.01, description="Litter",
                                email="private@example.org", phone="+48 600 000 000",
                                media_url="https://app.example.org/p/1.jpg")  # fmt: skip
    client.force_login(planner)
    page = client.get("/koszalin/sites/moderation/").content.decode()
    item = page[page.index(f'data-site="{report.pk}"') :]
    item = item[: item.index("</section>")]
    [photo] = report.photos.all()
    assert f'<img src="{photo.thumbnail.url}"' in item
    assert "Condition: Neglected · Owner: Unknown" in item
    other = page[page.index(f'data-site="{filed.site.pk}"') :]
    other = other[: other.index("</section>")]
    assert "through Fix &lt;my&gt; street (Open311)" in other
    assert 'href="https://app.example.org/p/1.jpg" rel="noopener noreferrer nofollow"' in other
    assert "private@example.org" not in page and "600 000 000" not in page


def test_the_reporter_withdraws_a_report_still_waiting_and_only_that(
    client, resident, planner, pending_report, koszalin, django_capture_on_commit_callbacks
):
    """From "My reports": a report waiting for moderation is withdrawn with its photos
    (files too) and leaves the queue, audited; a moderated one stays; another person's
    report is not found; a moderator's decision on a report withdrawn meanwhile is told."""
    from mapapp.models import AuditEvent
    from sites.services import _photos
    from tests.proposals.conftest import jpeg_upload

    _photos(pending_report, [jpeg_upload()])
    photo = pending_report.photos.get()
    files = [(f.storage, f.name) for f in (photo.image, photo.thumbnail)]
    assert all(storage.exists(name) for storage, name in files)
    moderated = site_report(reporter=resident, city=koszalin, name="Dry fountain",
                            description="", point_geojson=pending_report.geom.geojson)  # fmt: skip
    site_moderate(actor=planner, site=moderated, accept=True)
    theirs = site_report(reporter=make_user("r2@example.org", "resident", city=koszalin),
                         city=koszalin, name="Their lot", description="",
                         point_geojson=pending_report.geom.geojson)  # fmt: skip
    client.force_login(resident)
    client.cookies["django_language"] = "en"
    page = client.get("/me/reports/").content.decode()
    assert page.count("Withdraw<span") == 1  # the waiting report's only
    assert client.post("/me/reports/", {"site": theirs.pk}).status_code == 404
    refused = client.post("/me/reports/", {"site": moderated.pk}, follow=True)
    assert "This report has already been moderated." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        gone = client.post("/me/reports/", {"site": pending_report.pk}, follow=True)
    assert "The report “Broken benches by the pond” is withdrawn." in gone.content.decode()
    assert set(Site.objects.values_list("name", flat=True)) == {"Dry fountain", "Their lot"}
    assert not any(storage.exists(name) for storage, name in files)
    event = AuditEvent.objects.get(action="site.withdrawn")
    assert event.before == {"name": "Broken benches by the pond", "photos": 1}

    # withdrawn between the moderation page's lookup and the decision: said, not a 500
    Site.objects.filter(pk=theirs.pk).delete()
    with pytest.raises(ValidationError, match="The reporter has withdrawn this report."):
        site_moderate(actor=planner, site=theirs, accept=True)


def test_only_the_reporter_withdraws_and_only_a_residents_report(
    resident, planner, pending_report, koszalin
):
    """The service's own guard, whatever page calls it: not another person, not someone
    signed out, not a site the staff added."""
    from django.contrib.auth.models import AnonymousUser

    from sites.services import site_report_withdraw, site_save

    other = make_user("r2@example.org", "resident", city=koszalin)
    for who in (other, AnonymousUser(), planner):
        with pytest.raises(PermissionDenied):
            site_report_withdraw(user=who, site=pending_report)
    staff_site = site_save(actor=planner, city=koszalin, name="Square", description="",
                           condition="neglected", ownership="city",
                           point_geojson=pending_report.geom.geojson)  # fmt: skip
    with pytest.raises(PermissionDenied):
        site_report_withdraw(user=planner, site=staff_site)
    assert Site.objects.filter(pk__in=[pending_report.pk, staff_site.pk]).count() == 2
