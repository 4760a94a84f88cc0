"""Area alerts: a person asks to be e-mailed of new proposals or neglected sites in a city or
one of its districts; told in their own language, with a stop link that works without
signing in; never of their own; nothing kept once stopped."""

import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core import signing

from geodata.models import Feature, Layer
from mapapp.models import Role
from proposals.models import AreaAlert
from proposals.services import alerts, drafting
from sites import services as site_services
from tests.proposals.conftest import RYNEK, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def districts(koszalin):
    """Śródmieście around the Rynek (where the test proposals are), Rokosowo to the south."""
    layer = Layer.objects.create(
        city=koszalin, kind=Layer.Kind.DISTRICT, name="Districts", is_current=True
    )
    x, y = RYNEK
    for name, (x1, y1, x2, y2) in {
        "Śródmieście": (x - 0.01, y - 0.01, x + 0.01, y + 0.01),
        "Rokosowo": (x - 0.01, y - 0.05, x + 0.01, y - 0.02),
    }.items():
        Feature.objects.create(
            layer=layer,
            name=name,
            geom=MultiPolygon(Polygon.from_bbox((x1, y1, x2, y2)), srid=4326),
        )
    return layer


def mails_to(outbox, user):
    return [m for m in outbox if m.to == [user.email]]


def test_a_proposal_published_in_a_district_is_told_to_those_who_asked(
    draft, resident, koszalin, districts, mailoutbox, django_capture_on_commit_callbacks
):
    czech = make_user("czech@example.org")
    czech.preferred_language = "cs"
    czech.save(update_fields=["preferred_language"])
    whole_city, elsewhere, sites_only = (make_user(f"n{i}@example.org") for i in range(3))
    alerts.alert_set(user=czech, city=koszalin, district="Śródmieście", proposals=True, sites=False)
    alerts.alert_set(user=whole_city, city=koszalin, district="", proposals=True, sites=True)
    # and for its district too: still one e-mail
    alerts.alert_set(
        user=whole_city, city=koszalin, district="Śródmieście", proposals=True, sites=False
    )
    alerts.alert_set(user=elsewhere, city=koszalin, district="Rokosowo", proposals=True, sites=True)
    alerts.alert_set(user=sites_only, city=koszalin, district="", proposals=False, sites=True)
    alerts.alert_set(user=resident, city=koszalin, district="", proposals=True, sites=False)
    blocked = make_user("blocked@example.org")  # an account the city has deactivated
    alerts.alert_set(user=blocked, city=koszalin, district="", proposals=True, sites=False)
    blocked.is_active = False
    blocked.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_publish(actor=resident, proposal=draft)
    assert mails_to(mailoutbox, blocked) == []

    [told] = mails_to(mailoutbox, czech)
    assert told.subject.startswith("Nový návrh: Śródmieście")  # in Czech
    assert draft.title in told.subject and draft.title in told.body
    assert f"/koszalin/proposals/{draft.pk}/" in told.body
    stop = re.search(r"(/me/alerts/stop/[^/\s]+/)", told.body).group(1)
    assert stop in told.extra_headers["List-Unsubscribe"]
    assert told.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(mails_to(mailoutbox, whole_city)) == 1
    assert mails_to(mailoutbox, elsewhere) == []  # another district
    assert mails_to(mailoutbox, sites_only) == []  # asked for sites only
    assert not [m for m in mails_to(mailoutbox, resident) if "/me/alerts/stop/" in m.body]


def test_a_site_accepted_or_added_by_staff_is_told_to_those_who_asked_for_sites(
    koszalin, resident, districts, mailoutbox, django_capture_on_commit_callbacks
):
    officer = make_user("officer-sites@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    sites_too, proposals_only = make_user("s@example.org"), make_user("p@example.org")
    alerts.alert_set(
        user=sites_too, city=koszalin, district="Śródmieście", proposals=False, sites=True
    )
    alerts.alert_set(user=proposals_only, city=koszalin, district="", proposals=True, sites=False)
    alerts.alert_set(user=resident, city=koszalin, district="", proposals=False, sites=True)
    point = f'{{"type": "Point", "coordinates": [{RYNEK[0]}, {RYNEK[1]}]}}'
    report = site_services.site_report(
        reporter=resident, city=koszalin, name="Broken bench", description="By the fountain.",
        point_geojson=point,
    )  # fmt: skip
    assert mailoutbox == []  # not public yet
    with django_capture_on_commit_callbacks(execute=True):
        site_services.site_moderate(actor=officer, site=report, accept=True)
    [told] = mails_to(mailoutbox, sites_too)
    assert "Broken bench" in told.subject and f"/koszalin/sites/{report.pk}/" in told.body
    assert mails_to(mailoutbox, proposals_only) == []
    assert not [
        m
        for m in mails_to(mailoutbox, resident)
        if "Broken bench" in m.body and "/me/alerts/stop/" in m.body
    ]  # the reporter hears the outcome only
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        site = site_services.site_save(
            actor=officer, city=koszalin, site=None, name="Empty lot", description="",
            condition="neglected", ownership="city", district="", point_geojson=point,
        )  # fmt: skip
    assert [m.subject for m in mails_to(mailoutbox, sites_too)] and site.pk


def test_the_stop_link_asks_then_stops_without_signing_in(client, koszalin, mailoutbox):
    person = make_user("stop@example.org")
    alert = alerts.alert_set(user=person, city=koszalin, district="", proposals=True, sites=False)
    # as the links sent before one could stop several alerts were signed: they still work
    old = signing.dumps([person.pk, alert.pk], salt="proposals.alert.stop", compress=True)
    assert old == alerts.stop_token(user_id=person.pk, alert_ids=[alert.pk])
    url = f"/me/alerts/stop/{old}/"
    page = client.get(url)
    assert page.status_code == 200 and "Koszalin" in page.content.decode()
    assert AreaAlert.objects.filter(pk=alert.pk).exists()  # a mail scanner's GET stops nothing
    assert client.post(url).status_code == 200
    assert not AreaAlert.objects.filter(pk=alert.pk).exists()
    assert "stopped already" in client.get(url).content.decode()
    # another person's alert cannot be stopped with a forged or mixed token
    other = make_user("other@example.org")
    kept = alerts.alert_set(user=other, city=koszalin, district="", proposals=True, sites=False)
    forged = alerts.stop_token(user_id=person.pk, alert_ids=[kept.pk])
    client.post(f"/me/alerts/stop/{forged}/")
    assert AreaAlert.objects.filter(pk=kept.pk).exists()
    assert client.get("/me/alerts/stop/not-a-token/").status_code == 400


def test_one_stop_link_ends_every_alert_that_covered_the_news(
    client, draft, resident, koszalin, districts, mailoutbox, django_capture_on_commit_callbacks
):
    """Someone who asked for news of the whole city and of their district gets one e-mail; its
    stop link must end both, or the e-mails go on after they asked them to stop."""
    person = make_user("twice@example.org")
    person.preferred_language = "en"
    person.save(update_fields=["preferred_language"])
    city = alerts.alert_set(user=person, city=koszalin, district="", proposals=True, sites=True)
    district = alerts.alert_set(
        user=person, city=koszalin, district="Śródmieście", proposals=True, sites=False
    )
    elsewhere = alerts.alert_set(
        user=person, city=koszalin, district="Rokosowo", proposals=True, sites=False
    )
    other = make_user("neighbour@example.org")
    neighbours = alerts.alert_set(
        user=other, city=koszalin, district="Śródmieście", proposals=True, sites=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_publish(actor=resident, proposal=draft)
    [told] = mails_to(mailoutbox, person)
    assert "news of Koszalin and Śródmieście. To stop them" in told.body
    stop = re.search(r"(/me/alerts/stop/[^/\s]+/)", told.body).group(1)
    asked = client.get(stop, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "what is new in Koszalin and Śródmieście?" in asked, asked
    client.post(stop)
    assert set(AreaAlert.objects.values_list("pk", flat=True)) == {elsewhere.pk, neighbours.pk}
    assert city.pk != district.pk
    # the news of the next proposal in Śródmieście reaches the neighbour only
    mailoutbox.clear()
    draft.pk = None
    draft.title = "A second bench"
    draft.status = draft.Status.DRAFT
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_publish(actor=resident, proposal=draft)
    assert mails_to(mailoutbox, person) == []
    assert len(mails_to(mailoutbox, other)) == 1


def test_asking_from_the_lists_and_ending_from_my_proposals(client, koszalin, districts):
    person = make_user("asker@example.org")
    client.force_login(person)
    page = client.get("/koszalin/sites/", {"district": "Rokosowo"}).content.decode()
    assert 'id="alerts"' in page and '<option value="Rokosowo" selected>' in page
    assert re.search(r'name="sites" value="1" checked', page)  # on the sites list
    r = client.post(
        "/koszalin/alerts/",
        {"district": "Rokosowo", "proposals": "1", "next": "/koszalin/sites/?district=Rokosowo"},
    )
    assert r.status_code == 302 and r["Location"] == "/koszalin/sites/?district=Rokosowo"
    alert = AreaAlert.objects.get(user=person)
    assert (alert.district, alert.proposals, alert.sites) == ("Rokosowo", True, False)
    # the same area again changes what is sent, it does not add a second alert
    client.post("/koszalin/alerts/", {"district": "Rokosowo", "sites": "1"})
    alert.refresh_from_db()
    assert (alert.proposals, alert.sites) == (False, True) and AreaAlert.objects.count() == 1
    mine = client.get("/me/proposals/").content.decode()
    assert 'id="alerts"' in mine and "Rokosowo, Koszalin" in mine
    assert client.post(f"/me/alerts/{alert.pk}/delete/").status_code == 302
    assert not AreaAlert.objects.exists()


@pytest.mark.parametrize(
    "district, kinds, words",
    [
        ("Nowhere", {"proposals": True, "sites": False}, "no district"),
        ("", {"proposals": False, "sites": False}, "Choose"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(koszalin, districts, district, kinds, words):
    person = make_user("bad@example.org")
    with pytest.raises(Exception, match=words):
        alerts.alert_set(user=person, city=koszalin, district=district, **kinds)
    assert not AreaAlert.objects.exists()


def test_only_a_confirmed_address_and_twenty_alerts_at_most(koszalin, districts):
    unconfirmed = make_user("unconfirmed@example.org", verified=False)
    with pytest.raises(Exception, match="Confirm your e-mail"):
        alerts.alert_set(user=unconfirmed, city=koszalin, district="", proposals=True, sites=False)
    person = make_user("many@example.org")
    AreaAlert.objects.bulk_create(
        AreaAlert(user=person, city=koszalin, district=f"d{i}") for i in range(alerts.MAX_ALERTS)
    )
    with pytest.raises(Exception, match="20 alerts"):
        alerts.alert_set(user=person, city=koszalin, district="", proposals=True, sites=False)


def test_an_alert_is_the_persons_data_and_ends_with_the_account(client, koszalin):
    from mapapp.privacy import account_delete, user_data_export

    person = make_user("mine@example.org")
    alerts.alert_set(user=person, city=koszalin, district="", proposals=True, sites=True)
    data = user_data_export(user=person)
    assert data["area_alerts"] == [
        {"city": "koszalin", "district": "", "place": None, "distance_m": None,
         "proposals": True, "sites": True, "projects": False,
         "since": data["area_alerts"][0]["since"]}
    ]  # fmt: skip
    near = Point(16.18, 54.19, srid=4326)
    alerts.alert_set(user=person, city=koszalin, district="", proposals=True, sites=False,
                     near=near, radius_m=500)  # fmt: skip
    place = user_data_export(user=person)["area_alerts"][1]
    assert (place["place"], place["distance_m"]) == ([16.18, 54.19], 500)
    account_delete(user=person)
    assert not AreaAlert.objects.exists()


def test_an_alert_whose_district_was_renamed_says_so_on_the_persons_page(
    client, koszalin, districts
):
    """A new districts layer may rename a district: the alert for the old name then finds
    nothing. The person's page says so, rather than letting them wait for e-mails."""
    person = make_user("jana@example.org", Role.RESIDENT, city=koszalin)
    alerts.alert_set(user=person, city=koszalin, district="Rokosowo", proposals=True, sites=False)
    alerts.alert_set(user=person, city=koszalin, district="", proposals=True, sites=False)
    client.force_login(person)
    assert "alert-gone" not in client.get("/me/proposals/").content.decode()
    Feature.objects.filter(layer=districts, name="Rokosowo").update(name="Osiedle Rokosowo")
    page = client.get("/me/proposals/").content.decode()
    assert page.count("alert-gone") == 1  # the district's; the whole city's still works
    row = page.split("Rokosowo, ")[1].split("</tr>")[0]
    assert "no longer on the city" in row


def _east_of(shape, metres, srid=2180):
    """The point `metres` east of `shape`'s eastmost edge, at its centre's latitude, measured
    in Koszalin's metric CRS."""
    moved = shape.transform(srid, clone=True)
    east = Point(moved.extent[2] + metres, moved.centroid.y, srid=srid)
    return east.transform(4326, clone=True)


def test_news_within_a_distance_of_a_place_chosen_on_the_map(
    client, draft, resident, koszalin, districts, mailoutbox, django_capture_on_commit_callbacks
):
    """A person asks for news within 500 m of a place: a proposal whose area comes 450 m
    near is told, one 600 m away is not (measured in the city's metric CRS), and one whose
    area comes 490 m near is told though its point is farther. With the whole city asked for
    too, one e-mail names both, and its stop link ends both."""
    area = draft.area
    assert (
        draft.geom.transform(2180, clone=True).distance(
            _east_of(area, 490).transform(2180, clone=True)
        )
        > 500
    )  # the point is beyond the distance; the area is not
    people = {n: make_user(f"{n}@example.org") for n in ("in", "out", "edge", "both")}
    for person in people.values():
        person.preferred_language = "en"
        person.save(update_fields=["preferred_language"])
    kinds = {"district": "", "proposals": True, "sites": False, "radius_m": 500}
    for name, metres in {"in": 450, "out": 600, "edge": 490, "both": 100}.items():
        alerts.alert_set(user=people[name], city=koszalin, near=_east_of(area, metres), **kinds)
    alerts.alert_set(user=people["both"], city=koszalin, district="", proposals=True, sites=False)
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_publish(actor=resident, proposal=draft)
    [told] = mails_to(mailoutbox, people["in"])
    assert told.subject == f"New proposal near the place you chose: {draft.title}"
    assert "published about 450 m from the place you chose" in told.body  # as measured
    assert "news of 500 m around the place you chose" in told.body
    assert mails_to(mailoutbox, people["out"]) == []
    [told] = mails_to(mailoutbox, people["edge"])
    assert "published about 490 m from the place you chose" in told.body
    [told] = mails_to(mailoutbox, people["both"])
    assert told.subject.startswith("New proposal in Koszalin: ")  # the whole city first
    assert "news of Koszalin and 500 m around the place you chose" in told.body
    stop = re.search(r"(/me/alerts/stop/[^/\s]+/)", told.body).group(1)
    client.post(stop)
    assert not AreaAlert.objects.filter(user=people["both"]).exists()


def test_asking_for_news_near_the_maps_centre(client, koszalin):
    """The city map's form posts the map's centre and a distance: saved (rounded to about a
    metre), shown on the person's page with a link to the place on the map, and asked again
    for the same place, changed rather than doubled. A place outside the city, a distance
    not offered or an unreadable place is refused with the reason, and nothing is saved."""
    person = make_user("near@example.org")
    client.force_login(person)
    form = {"near_lon": "16.1817123", "near_lat": "54.1903456", "radius": "1000",
            "proposals": "1", "next": "/koszalin/#15/54.19035/16.18171"}  # fmt: skip
    answer = client.post("/koszalin/alerts/", form)
    assert answer.status_code == 302 and answer["Location"] == form["next"]
    alert = AreaAlert.objects.get(user=person)
    assert (alert.near.x, alert.near.y, alert.radius_m) == (16.18171, 54.19035, 1000)
    assert (alert.district, alert.proposals, alert.sites) == ("", True, False)
    client.post("/koszalin/alerts/", {**form, "sites": "1"})
    alert.refresh_from_db()
    assert alert.sites and AreaAlert.objects.count() == 1
    mine = client.get("/me/proposals/").content.decode()
    assert "1 km around the place you chose, Koszalin" in mine
    assert 'href="/koszalin/#15/54.19035/16.18171"' in mine
    for bad, words in [
        ({"near_lon": "21.01", "near_lat": "52.23"}, "Choose a place in Koszalin"),  # Warsaw
        ({"radius": "300"}, "Choose one of the distances offered"),
        ({"near_lon": "", "near_lat": ""}, "The place could not be read"),
        ({"near_lon": "nan"}, "The place could not be read"),
        ({"near_lat": "1e999"}, "The place could not be read"),
        ({"radius": "²"}, "The place could not be read"),  # a digit, but not a number
    ]:
        page = client.post("/koszalin/alerts/", {**form, **bad}, follow=True).content.decode()
        assert words in page, bad
    assert AreaAlert.objects.count() == 1


def test_the_database_keeps_one_alert_per_place_and_distance(koszalin):
    """Two requests for the same place at once (a double click) must not make two alerts,
    and two e-mails of each piece of news: the database refuses the second."""
    from django.db import IntegrityError, transaction

    person = make_user("twice-near@example.org")
    place = Point(16.18171, 54.19035, srid=4326)
    kinds = {"user": person, "city": koszalin, "near": place, "proposals": True}
    AreaAlert.objects.create(radius_m=500, **kinds)
    AreaAlert.objects.create(radius_m=1000, **kinds)  # another distance: another alert
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaAlert.objects.create(radius_m=500, **kinds)
    assert AreaAlert.objects.filter(user=person).count() == 2


@pytest.mark.parametrize(
    "metres, language, said",
    [(4, "en", "10 m"), (324, "en", "320 m"), (1449, "en", "1.4 km"), (1449, "pl", "1,4 km"),
     (996, "cs", "1,0 km")],
)  # fmt: skip
def test_how_far_the_news_is_from_the_place_is_said_as_people_say_it(metres, language, said):
    from django.contrib.gis.measure import D
    from django.utils import translation

    alert = AreaAlert(radius_m=2000)
    alert.metres = D(m=metres)
    with translation.override(language):
        assert alerts._about(alert) == said


def test_the_map_says_where_the_cross_is(client, koszalin, districts):
    """The city map's form asks where its cross is: in which district of the city, or
    outside it; a place that is not one is a 400 with the reason."""
    x, y = RYNEK
    assert client.get("/koszalin/place/", {"lon": x, "lat": y}).json() == {
        "inside": True, "district": "Śródmieście"}  # fmt: skip
    assert client.get("/koszalin/place/", {"lon": x + 0.03, "lat": y}).json() == {
        "inside": True, "district": ""}  # fmt: skip
    assert client.get("/koszalin/place/", {"lon": 21.01, "lat": 52.23}).json() == {
        "inside": False, "district": ""}  # Warsaw  # fmt: skip
    for bad in (
        {},
        {"lon": "x", "lat": "1"},
        {"lon": "nan", "lat": "54"},
        {"lon": "200", "lat": "54"},
    ):
        answer = client.get("/koszalin/place/", bad)
        assert answer.status_code == 400 and "lon and lat" in answer.json()["error"]


def test_a_neglected_site_near_the_place_is_told_with_its_distance(
    koszalin, resident, mailoutbox, django_capture_on_commit_callbacks
):
    """Sites count as proposals do: by their area when one is drawn (a MultiPolygon)."""
    from django.contrib.gis.geos import MultiPolygon

    officer = make_user("officer-near@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    person = make_user("near-sites@example.org")
    person.preferred_language = "en"
    person.save(update_fields=["preferred_language"])
    x, y = RYNEK
    lot = MultiPolygon(Polygon.from_bbox((x, y, x + 0.002, y + 0.001)), srid=4326)
    alerts.alert_set(user=person, city=koszalin, district="", proposals=False, sites=True,
                     near=_east_of(lot, 240), radius_m=250)  # fmt: skip
    point = f'{{"type": "Point", "coordinates": [{x + 0.001}, {y + 0.0005}]}}'
    with django_capture_on_commit_callbacks(execute=True):
        site_services.site_save(
            actor=officer, city=koszalin, site=None, name="Empty lot", description="",
            condition="neglected", ownership="city", district="", point_geojson=point,
            area_geojson=lot.json,
        )  # fmt: skip
    [told] = mails_to(mailoutbox, person)
    assert told.subject == "New neglected site near the place you chose: Empty lot"
    assert "A neglected site about 240 m from the place you chose" in told.body
