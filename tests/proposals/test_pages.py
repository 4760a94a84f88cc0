"""Proposal pages and the map API over HTTP: filters, privacy, escaping, permissions, 400s."""

import json
import re

import pytest

from proposals.models import GrantCall, Proposal
from proposals.services import drafting
from tests.proposals.conftest import RYNEK, make_user, square

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


def test_api_is_public_geojson_with_status_and_category(
    client, collecting, draft, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/koszalin/proposals/")
    assert response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection"
    (feature,) = data["features"]  # the draft is private; the published one is public
    assert feature["geometry"]["type"] == "Point"
    props = feature["properties"]
    assert (props["status"], props["category"]) == ("collecting_support", "community_garden")
    assert set(props) == {"id", "title", "status", "category", "call", "support_count"}
    assert "contact_phone" not in response.content.decode()


def test_api_filters(client, collecting, grant_call):
    assert len(client.get("/api/v1/koszalin/proposals/?status=granted").json()["features"]) == 0
    assert (
        len(client.get("/api/v1/koszalin/proposals/?category=community_garden").json()["features"])
        == 1
    )
    assert (
        len(client.get(f"/api/v1/koszalin/proposals/?call={grant_call.pk}").json()["features"]) == 1
    )
    # an unknown filter value is a 400 saying what is allowed (it answered every proposal, as
    # if unfiltered); an unknown parameter is ignored (tests/geodata/test_rest_api.py)
    assert client.get("/api/v1/koszalin/proposals/?status=nonsense").status_code == 400
    assert client.get("/api/v1/koszalin/proposals/?nonsense=1").status_code == 200


def test_api_etag_changes_with_support(client, collecting, supporters):
    from proposals.services import support

    etag = client.get("/api/v1/koszalin/proposals/")["ETag"]
    assert client.get("/api/v1/koszalin/proposals/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    support.support_add(
        user=supporters[0],
        proposal=collecting,
        full_name="A B C",
        address="Street 1, Koszalin",
        age_confirmed=True,
    )
    assert client.get("/api/v1/koszalin/proposals/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_list_and_detail_escape_user_text(client, collecting, resident):
    drafting.proposal_save(actor=resident, proposal=collecting, fields={"title": XSS})
    for url in ("/koszalin/proposals/", f"/koszalin/proposals/{collecting.pk}/"):
        body = client.get(url).content.decode()
        assert XSS not in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # in the API it is data (JSON), which the map puts in the page with textContent
    assert (
        XSS
        in client.get("/api/v1/koszalin/proposals/").json()["features"][0]["properties"]["title"]
    )


def test_private_draft_is_404_for_others(client, draft, koszalin):
    assert client.get(f"/koszalin/proposals/{draft.pk}/").status_code == 404
    client.force_login(make_user("nosy@example.org", city=koszalin))
    assert client.get(f"/koszalin/proposals/{draft.pk}/").status_code == 404
    assert client.get(f"/koszalin/proposals/{draft.pk}/edit/").status_code == 403


def test_proposal_in_other_city_is_404(client, collecting, ostrava):
    assert client.get(f"/ostrava/proposals/{collecting.pk}/").status_code == 404


def test_editor_refuses_self_intersecting_area_with_400_and_keeps_input(resident_client, draft):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[16.18, 54.19], [16.181, 54.1905], [16.181, 54.19], [16.18, 54.1905], [16.18, 54.19]]
        ],
    }
    response = resident_client.post(
        f"/koszalin/proposals/{draft.pk}/edit/",
        {
            "title": "Kept title",
            "area": json.dumps(bowtie),
            "action": "save",
            "budget_item": ["Timber"],
            "budget_amount": ["100"],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "redraw it without crossing lines" in body
    assert 'value="Kept title"' in body  # what the user typed is still in the form
    assert response.context["editor_config"]["area"] == bowtie  # and the drawing on the map
    draft.refresh_from_db()
    assert draft.title == "Community garden by the square"  # nothing half-saved


def test_editor_submit_with_too_few_supporters_says_how_many(resident_client, collecting):
    response = resident_client.post(
        f"/koszalin/proposals/{collecting.pk}/edit/",
        {
            "title": collecting.title,
            "description": collecting.description,
            "category": "community_garden",
            "neighbour_involvement": "x",
            "maintenance_plan": "y",
            "landowner": "city",
            "area": json.dumps(square(*RYNEK)),
            "budget_item": ["Timber"],
            "budget_amount": ["1000"],
            "action": "submit",
        },
    )
    assert response.status_code == 400
    assert "15 more supporters are needed (0 of 15)" in response.content.decode()


def test_autosave(resident_client, draft):
    response = resident_client.post(
        f"/koszalin/proposals/{draft.pk}/autosave/",
        {
            "title": "Autosaved title",
            "area": json.dumps(square(*RYNEK)),
            "budget_item": ["Timber"],
            "budget_amount": ["100"],
        },
    )
    assert response.status_code == 200 and response.json()["saved"]
    draft.refresh_from_db()
    assert draft.title == "Autosaved title"
    bad = resident_client.post(
        f"/koszalin/proposals/{draft.pk}/autosave/",
        {"title": "x", "area": json.dumps(square(18.29, 49.83))},
    )
    assert bad.status_code == 400
    assert "must lie inside Koszalin" in " ".join(bad.json()["errors"]["geom"])


def test_support_form_requires_age_and_confirmed_email(client, collecting, koszalin):
    user = make_user("young@example.org", city=koszalin)
    client.force_login(user)
    response = client.post(
        f"/koszalin/proposals/{collecting.pk}/support/",
        {"full_name": "Young Person", "address": "Street 1, Koszalin"},
    )
    assert response.status_code == 400
    assert "at least 15 years old" in response.content.decode()
    response = client.post(
        f"/koszalin/proposals/{collecting.pk}/support/",
        {"full_name": "Young Person", "address": "Street 1, Koszalin", "age_confirmed": "on"},
    )
    assert response.status_code == 302
    assert collecting.supports.count() == 1


@pytest.mark.parametrize(
    ("who", "url", "expected"),
    [
        ("anonymous", "/koszalin/officer/", 302),
        ("resident", "/koszalin/officer/", 403),
        ("resident", "/koszalin/committee/", 403),
        ("officer", "/koszalin/officer/", 200),
        ("member", "/koszalin/committee/", 200),
        (
            "ostrava_officer",
            "/koszalin/officer/",
            403,
        ),  # a role in one city grants nothing in another
    ],
)
def test_workspaces_are_for_their_roles(
    client, grant_call, resident, officer, committee, ostrava, who, url, expected
):
    from mapapp.models import Role

    users = {
        "resident": resident,
        "officer": officer,
        "member": committee[0],
        "ostrava_officer": make_user(
            "ostrava-officer@example.org", Role.PROGRAMME_OFFICER, city=ostrava
        ),
    }
    if who in users:
        client.force_login(users[who])
    assert client.get(url).status_code == expected


def test_officer_sees_supporters_public_does_not(client, collecting, supporters, officer):
    from proposals.services import support

    support.support_add(
        user=supporters[0],
        proposal=collecting,
        full_name="Private Person",
        address="Private Street 9",
        age_confirmed=True,
    )
    assert (
        "Private Person" not in client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    )
    client.force_login(officer)
    body = client.get(f"/koszalin/officer/proposals/{collecting.pk}/").content.decode()
    assert "Private Person" in body and "Private Street 9" in body


def test_money_is_formatted_per_language(client, collecting, settings):
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    body = client.get(
        f"/koszalin/proposals/{collecting.pk}/", HTTP_ACCEPT_LANGUAGE="pl"
    ).content.decode()
    assert "20\u00a0000,50\u00a0zł" in body  # Koszalin's default language is Polish
    client.post("/i18n/setlang/", {"language": "en"})
    body = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "20,000.50\u00a0PLN" in body


def test_list_query_count_does_not_grow(
    client, collecting, resident, grant_call, django_assert_max_num_queries
):
    for i in range(5):
        p = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
        drafting.proposal_save(
            actor=resident,
            proposal=p,
            fields={"title": f"P{i}", "description": "d"},
            area_geojson=json.dumps(square(RYNEK[0] + i * 0.001, RYNEK[1])),
        )
        drafting.proposal_publish(actor=resident, proposal=p)
    assert Proposal.objects.filter(status="collecting_support").count() == 6
    with django_assert_max_num_queries(8):
        response = client.get("/koszalin/proposals/")
    assert response.content.decode().count("data-proposal=") == 6


def test_private_documents_only_for_author_and_officers(client, draft, resident, officer, koszalin):
    url = f"/koszalin/proposals/{draft.pk}/files/consent/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(make_user("stranger@example.org", city=koszalin))
    assert client.get(url).status_code == 403
    for user in (resident, officer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    # the file is not under MEDIA_ROOT, so no static or web-server route can reach it
    from django.conf import settings

    assert not str(settings.PRIVATE_MEDIA_ROOT).startswith(str(settings.MEDIA_ROOT))
    assert draft.consent_document.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))


def test_a_document_missing_from_storage_answers_404_and_is_logged(client, draft, officer, caplog):
    """Lost media (or a restore without its files) is a 404 page and an error in the log for
    the operators, not a server error."""
    draft.consent_document.storage.delete(draft.consent_document.name)
    client.force_login(officer)
    with caplog.at_level("ERROR", logger="mapapp.files"):
        response = client.get(f"/koszalin/proposals/{draft.pk}/files/consent/")
    assert response.status_code == 404
    assert "The file is missing from storage." in response.content.decode()  # not a bare 404
    assert [r.getMessage() for r in caplog.records] == [
        f"stored file missing: {draft.consent_document.name} (proposals.Proposal)"
    ]


def test_consent_must_be_a_document(resident_client, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = draft.consent_document.name
    response = resident_client.post(
        f"/koszalin/proposals/{draft.pk}/edit/",
        {
            "title": "T",
            "action": "save",
            "consent_document": SimpleUploadedFile("consent.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert response.status_code == 400
    assert "Upload a PDF, JPEG, PNG or WebP file." in response.content.decode()
    draft.refresh_from_db()
    assert draft.consent_document.name == before


def test_api_counts_active_supports_and_compresses(client, collecting, supporters):
    import gzip as gz

    from proposals.services import support

    for person in supporters[:3]:
        support.support_add(
            user=person,
            proposal=collecting,
            full_name="Some One",
            address=f"Street {person.pk}",
            age_confirmed=True,
        )
    support.support_withdraw(user=supporters[0], proposal=collecting)
    response = client.get("/api/v1/koszalin/proposals/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    data = json.loads(gz.decompress(response.content))
    assert data["features"][0]["properties"]["support_count"] == 2


def test_before_photo_from_the_editor(resident_client, draft):
    from tests.proposals.conftest import jpeg_upload

    edit = f"/koszalin/proposals/{draft.pk}/edit/"
    response = resident_client.post(
        f"/koszalin/proposals/{draft.pk}/progress/",
        {
            "action": "photo",
            "kind": "before",
            "caption": "The bare corner",
            "next": edit,
            "image": jpeg_upload(),
        },
    )
    assert response.status_code == 302 and response["Location"] == edit
    assert draft.photos.get().caption == "The bare corner"
    # an outside "next" is ignored
    response = resident_client.post(
        f"/koszalin/proposals/{draft.pk}/progress/",
        {
            "action": "photo",
            "kind": "before",
            "next": "https://evil.example/",
            "image": jpeg_upload(),
        },
    )
    assert response["Location"] == f"/koszalin/proposals/{draft.pk}/progress/"


def test_officer_creates_and_copies_a_call_in_the_browserless_form(
    client, officer, committee, grant_call
):
    client.force_login(officer)
    data = {
        "title_en": "Spaces 2028",
        "title_pl": "Przestrzenie 2028",
        "opens_at": "2028-03-01T00:00",
        "closes_at": "2028-05-31T23:59",
        "total_budget": "250000",
        "project_cap": "50000",
        "allow_individuals": "on",
        "allow_ngos": "on",
        "min_supporters": "15",
        "supporter_min_age": "15",
        "landowner_consent_required": "on",
        "rounds": "3",
        "sustainability_months": "24",
        "max_area_m2": "10000",
        "max_vertices": "300",
        "committee": [m.pk for m in committee[:3]],
    }
    response = client.post("/koszalin/officer/calls/new/", data)
    assert response.status_code == 302
    new = GrantCall.objects.get(title__en="Spaces 2028")
    assert new.criteria.count() == 5 and new.committee.count() == 3
    # the cap may not exceed the budget: a form error, nothing saved
    response = client.post(
        "/koszalin/officer/calls/new/", {**data, "title_en": "Bad", "project_cap": "300000"}
    )
    assert response.status_code == 400
    assert not GrantCall.objects.filter(title__en="Bad").exists()
    response = client.post(
        "/koszalin/officer/calls/new/", {**data, "title_en": "Copied", "copy_from": grant_call.pk}
    )
    copied = GrantCall.objects.get(title__en="Copied")
    assert copied.copied_from == grant_call
    assert copied.total_budget == 250000  # as sent (test_call_edit: filled in)


def test_the_editor_looks_for_proposals_near_the_place(client, resident, collecting):
    """The editor asks the REST API what is proposed near the pin (the browser test of the
    site report shows the list); here: it asks the proposals' collection, leaving itself out."""
    from proposals.services import drafting

    mine = drafting.proposal_create_draft(author=resident, grant_call=collecting.grant_call)
    client.force_login(resident)
    config = client.get(f"/koszalin/proposals/{mine.pk}/edit/").context["editor_config"]
    near = config["nearby"]
    assert near["url"] == "/api/v1/koszalin/proposals/" and near["exclude"] == mine.pk
    page = near["page"].replace("/0/", f"/{collecting.pk}/")
    assert page == f"/koszalin/proposals/{collecting.pk}/"
    bbox = "16.17,54.18,16.19,54.20"  # around the other proposal, on the Rynek
    found = client.get(near["url"], {"bbox": bbox}, HTTP_ACCEPT="application/json").json()
    assert [f["properties"][near["label"]] for f in found["features"]] == [collecting.title]


def test_the_officers_call_table_filters_by_status_and_words(
    client, officer, grant_call, submitted, supporters
):
    """A call of hundreds of proposals: the officer narrows the table to one status (the
    choices say how many each has) or to words in a title or description."""
    from tests.proposals.conftest import make_user, publish_another

    other = publish_another(make_user("bench-maker@example.org"), grant_call, supporters, "Ławki")
    client.force_login(officer)
    url = f"/koszalin/officer/calls/{grant_call.pk}/"
    page = client.get(url).content.decode()
    assert f"/officer/proposals/{submitted.pk}/" in page
    assert f"/officer/proposals/{other.pk}/" in page
    assert re.search(r'<option value="submitted">[^<]*\(1\)</option>', page)
    page = client.get(url, {"status": "collecting_support"}).content.decode()
    assert f"/officer/proposals/{other.pk}/" in page
    assert f"/officer/proposals/{submitted.pk}/" not in page
    assert "1 of 2 proposals shown." in page
    page = client.get(url, {"q": "LAWKI"}).content.decode()  # any case, no accents
    assert f"/officer/proposals/{other.pk}/" in page
    assert f"/officer/proposals/{submitted.pk}/" not in page
    page = client.get(url, {"status": "no-such-status"}).content.decode()  # ignored
    assert f"/officer/proposals/{submitted.pk}/" in page and "shown." not in page


def test_the_officers_call_table_comes_in_pages_that_keep_the_filter(
    client, officer, grant_call, submitted, resident
):
    from proposals.views.officer import OFFICER_PAGE_SIZE

    many = OFFICER_PAGE_SIZE + 5
    Proposal.objects.bulk_create(
        Proposal(city=submitted.city, grant_call=grant_call, author=resident, geom=submitted.geom,
                 status="collecting_support", title=f"Bench {n:03d}")
        for n in range(many)
    )  # fmt: skip
    client.force_login(officer)
    url = f"/koszalin/officer/calls/{grant_call.pk}/"
    first = client.get(url, {"status": "collecting_support"}).content.decode()
    assert first.count('href="/koszalin/officer/proposals/') == OFFICER_PAGE_SIZE
    assert f"{many} of {many + 1} proposals shown." in first
    (nxt,) = re.findall(r'<a rel="next" href="([^"]+)"', first)
    assert "status=collecting_support" in nxt and "page=2" in nxt
    second = client.get(url + nxt.replace("&amp;", "&")).content.decode()
    assert second.count('href="/koszalin/officer/proposals/') == 5
    assert f"Bench {many - 1:03d}" in second and "Bench 000" not in second


@pytest.mark.parametrize("language", ["cs", "pl", "en"])
def test_a_place_is_written_as_map_applications_read_it_in_every_language(
    client, collecting, koszalin, language
):
    """Latitude and longitude with decimal points, whatever the page's language: "54,19034,
    16,18175" reads as four numbers, and map applications take "54.19034, 16.18175"."""
    from django.contrib.gis.geos import Point

    from sites.models import Site

    site = Site.objects.create(city=koszalin, name="Lot", moderation="accepted",
                               geom=Point(16.181745, 54.190312))  # fmt: skip
    client.cookies["django_language"] = language
    lat, lon = collecting.geom.y, collecting.geom.x
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert f": {lat:.5f}, {lon:.5f}</p>" in page
    assert ": 54.19031, 16.18175</p>" in client.get(f"/koszalin/sites/{site.pk}/").content.decode()
