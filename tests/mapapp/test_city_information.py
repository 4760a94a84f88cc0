"""The city's own information: the contact page, the privacy notice naming the controller, and
the accessibility statement. Officers keep it; the public reads it in their language; what a
city has not given is said so, never borrowed from another city."""

import pytest
from django.conf import settings

from mapapp.models import AuditEvent, CityInformation, Role
from mapapp.services import city_information_update
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db

FULL_FORM = {
    "operator_en": "Koszalin City Hall, Department of Strategy",
    "operator_pl": "Urząd Miejski w Koszalinie, Wydział Strategii",
    "operator_cs": "",
    "introduction_en": "Koszalin funds what its neighbours build.\n\n<b>Since 2026.</b>",
    "introduction_pl": "Koszalin finansuje to, co budują sąsiedzi.",
    "introduction_cs": "",
    "postal_address": "Rynek Staromiejski 6-7\n75-007 Koszalin",
    "contact_email": "grants@example.org",
    "contact_phone": "+48 94 348 86 00",
    "website": "https://koszalin.example.org/tworzymy",
    "dpo_contact": "dpo@example.org",
    "authority_name": "Prezes Urzędu Ochrony Danych Osobowych",
    "authority_url": "https://uodo.gov.pl/",
    "accessibility_status": "partial",
    "site_published_on": "2026-01-15",
    "site_updated_on": "2026-11-01",
    "building_accessibility_en": "The office at Rynek Staromiejski has a ramp and a lift.",
    "building_accessibility_pl": "Urząd przy Rynku Staromiejskim ma podjazd i windę.",
    "building_accessibility_cs": "",
    "accessibility_prepared_on": "2026-03-01",
    "accessibility_reviewed_on": "2026-09-15",
    "accessibility_method": "third_party",
    "accessibility_findings_en": "The call's PDF rules have no headings.",
    "accessibility_findings_pl": "Regulamin naboru w PDF nie ma nagłówków.",
    "accessibility_findings_cs": "",
    "accessibility_contact": "access@example.org",
    "enforcement_name": "Rzecznik Praw Obywatelskich",
    "enforcement_url": "https://bip.brpo.gov.pl/",
}


@pytest.fixture
def officer(koszalin):
    return make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)


def page(client, path, language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_city_that_has_given_nothing_says_so_and_borrows_nothing(client, koszalin, ostrava):
    """Koszalin (no information) next to Ostrava (the demo's): none of Ostrava's details
    appear on Koszalin's pages."""
    CityInformation.objects.filter(city=koszalin).delete()  # loading Ostrava's demo filled it
    about = page(client, "/koszalin/about/")
    assert "Koszalin has not yet given its contact details here." in about
    statement = page(client, "/koszalin/accessibility/")
    assert "Koszalin has not yet assessed this website." in statement
    assert "Koszalin has not yet prepared its statement." in statement
    assert "Koszalin has not yet given a contact for accessibility requests." in statement
    assert "Koszalin has not yet named it here." in statement
    # the platform's own known limits are there from the start
    assert 'id="known-limits"' in statement and "coordinates" in statement
    privacy = page(client, "/koszalin/privacy/")
    assert "not yet given here; ask the city" in privacy
    assert "the data protection authority of your country" in privacy
    for body in (about, statement, privacy):
        assert "Ostrav" not in body.split('<main id="main">')[1].split("</main>")[0]
        assert "example.org" not in body


def test_an_officer_fills_it_in_and_the_public_reads_it_in_their_language(
    client, koszalin, officer
):
    client.force_login(officer)
    response = client.post("/koszalin/officer/information/", FULL_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()

    about = page(client, "/koszalin/about/")
    assert "Koszalin City Hall, Department of Strategy" in about
    assert 'href="mailto:grants@example.org"' in about
    assert 'href="tel:+48943488600"' in about
    assert "Rynek Staromiejski 6-7<br>75-007 Koszalin" in about
    assert "Urząd Miejski w Koszalinie, Wydział Strategii" in page(client, "/koszalin/about/", "pl")
    # no Czech text given: the city's language (Polish) rather than nothing
    assert "Urząd Miejski w Koszalinie, Wydział Strategii" in page(client, "/koszalin/about/", "cs")

    statement = page(client, "/koszalin/accessibility/")
    assert "partially compliant with the harmonised standard EN 301 549" in statement
    assert "The call&#x27;s PDF rules have no headings." in statement
    assert "This statement was prepared on 1 March 2026." in statement
    assert "It was last reviewed on 15 September 2026." in statement
    assert "The pages were published on 15 January 2026." in statement
    assert "They were last significantly updated on 1 November 2026." in statement
    assert "The office at Rynek Staromiejski has a ramp and a lift." in statement
    assert "How the website was assessed: assessment by a third party." in statement
    assert 'href="mailto:access@example.org"' in statement
    assert '<a href="https://bip.brpo.gov.pl/" rel="noopener">Rzecznik Praw Obywatelskich</a>' in (
        statement
    )
    assert "Regulamin naboru w PDF nie ma nagłówków." in page(
        client, "/koszalin/accessibility/", "pl"
    )

    privacy = page(client, "/koszalin/privacy/")
    assert "Koszalin City Hall, Department of Strategy" in privacy
    assert 'href="mailto:dpo@example.org"' in privacy
    assert '<a href="https://uodo.gov.pl/" rel="noopener">' in privacy
    # the general notice sends people to each city's
    assert 'href="/koszalin/privacy/"' in page(client, "/privacy/")


def test_every_change_is_audited_and_an_unchanged_save_is_not(client, koszalin, officer):
    client.force_login(officer)
    client.post("/koszalin/officer/information/", FULL_FORM)
    client.post("/koszalin/officer/information/", FULL_FORM)  # the same again
    events = AuditEvent.objects.filter(action="city.information")
    assert events.count() == 1
    assert events.get().before is None and events.get().actor == officer
    client.post("/koszalin/officer/information/", {**FULL_FORM, "contact_phone": ""})
    change = AuditEvent.objects.filter(action="city.information").order_by("pk").last()
    assert change.before["contact_phone"] == "+48 94 348 86 00"
    assert "contact_phone" not in change.after
    assert change.after["operator"] == {
        "en": FULL_FORM["operator_en"], "pl": FULL_FORM["operator_pl"]
    }  # fmt: skip


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"contact_email": "not an address"}, "contact_email", "valid email"),
        ({"website": "javascript:alert(1)"}, "website", "valid URL"),
        ({"authority_url": "ftp://uodo.gov.pl/"}, "authority_url", "valid URL"),
        ({"accessibility_status": "mostly"}, "accessibility_status", "valid choice"),
        ({"accessibility_prepared_on": "2026-13-01"}, "accessibility_prepared_on", "valid date"),
        ({"operator_pl": "x" * 301}, "operator_pl", "at most 300"),
    ],
)
def test_a_wrong_value_is_refused_with_its_reason_and_nothing_is_saved(
    client, koszalin, officer, change, field, message
):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/koszalin/officer/information/", {**FULL_FORM, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    # what the officer typed is still in the form
    assert response.context["form"]["contact_phone"].value() == FULL_FORM["contact_phone"]
    assert not CityInformation.objects.filter(city=koszalin).exists()
    assert not AuditEvent.objects.filter(action="city.information").exists()


def test_a_review_before_the_statement_was_prepared_is_refused(client, koszalin, officer):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for dates in ({"accessibility_reviewed_on": "2026-02-01"},
                  {"accessibility_prepared_on": ""},
                  {"site_updated_on": "2025-12-31"},  # before the publication
                  {"site_published_on": ""}):  # fmt: skip
        response = client.post("/koszalin/officer/information/", {**FULL_FORM, **dates})
        assert response.status_code == 400, dates
        assert response.context["form"].non_field_errors()
        assert not CityInformation.objects.filter(city=koszalin).exists()


def test_only_the_citys_officers_may_change_it(client, koszalin, ostrava, officer):
    resident = make_user("resident@example.org", Role.RESIDENT, city=koszalin)
    elsewhere = make_user("officer@ostrava.example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    planner = make_user("planner@example.org", Role.PLANNER, city=koszalin)
    CityInformation.objects.filter(city=koszalin).delete()  # loading Ostrava's demo filled it
    for user in (resident, elsewhere, planner):
        client.force_login(user)
        assert client.post("/koszalin/officer/information/", FULL_FORM).status_code == 403
    client.logout()
    response = client.post("/koszalin/officer/information/", FULL_FORM)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not CityInformation.objects.filter(city=koszalin).exists()


def test_what_officers_write_is_shown_as_text(client, koszalin, officer):
    script = "<script>alert(1)</script>"
    city_information_update(
        actor=officer, city=koszalin,
        data={"operator": {"en": script}, "accessibility_findings": {"en": script},
              "building_accessibility": {"en": script}, "introduction": {"en": script},
              "postal_address": script, "dpo_contact": script, "authority_name": script,
              "accessibility_contact": script, "enforcement_name": script},
    )  # fmt: skip
    for path in ("/koszalin/about/", "/koszalin/privacy/", "/koszalin/accessibility/"):
        body = page(client, path)
        assert script not in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path


def test_the_service_keeps_no_empty_texts_and_refuses_unknown_fields(koszalin):
    info = city_information_update(
        actor=None, city=koszalin,
        data={"operator": {"en": "  City Hall ", "pl": "   ", "cs": ""}, "contact_phone": " 1 "},
    )  # fmt: skip
    info.refresh_from_db()
    assert info.operator == {"en": "City Hall"} and info.contact_phone == "1"
    with pytest.raises(ValueError, match="boundary"):
        city_information_update(actor=None, city=koszalin, data={"boundary": None})


def test_every_city_page_links_its_contact_privacy_and_accessibility_pages(client, ostrava):
    for path in ("/ostrava/", "/ostrava/proposals/", "/ostrava/calls/", "/ostrava/analysis/"):
        body = page(client, path)
        for link in ("/ostrava/about/", "/ostrava/privacy/", "/ostrava/accessibility/"):
            assert f'href="{link}"' in body, (path, link)
    home = page(client, "/")
    assert 'href="/privacy/"' in home and 'href="/accessibility/"' in home
    assert "/ostrava/accessibility/" not in home
    # outside any city, the statement page leads to each city's
    assert 'href="/ostrava/accessibility/"' in page(client, "/accessibility/")


def test_the_demo_fills_it_once_and_keeps_what_officers_changed(ostrava):
    from mapapp.demo import load_demo_cities

    info = CityInformation.objects.get(city=ostrava)
    assert info.operator["cs"] == "Magistrát města Ostravy"
    assert info.authority_url == "https://uoou.gov.cz/"
    city_information_update(actor=None, city=ostrava, data={"contact_email": "new@example.org"})
    load_demo_cities()
    info.refresh_from_db()
    assert info.contact_email == "new@example.org"


def test_a_reply_to_the_citys_emails_reaches_its_contact_address(
    koszalin, ostrava, django_capture_on_commit_callbacks, mailoutbox
):
    """Ostrava has a contact e-mail (the demo's), Koszalin none: a resident who answers
    Ostrava's e-mail writes to its programme office; Koszalin's e-mails have no Reply-To
    rather than another city's."""
    from django.contrib.gis.geos import Point

    from sites.models import Site
    from sites.services import site_moderate

    CityInformation.objects.filter(city=koszalin).delete()  # loading Ostrava's demo filled it
    officers = {
        city.slug: make_user(f"officer@{city.slug}.example.org", Role.PROGRAMME_OFFICER, city=city)
        for city in (koszalin, ostrava)
    }
    reporter = make_user("reporter@example.org")
    for city, where in ((ostrava, Point(18.29, 49.83)), (koszalin, Point(16.18, 54.19))):
        site = Site.objects.create(
            city=city, name="Old yard", geom=where, moderation="pending", reported_by=reporter
        )
        with django_capture_on_commit_callbacks(execute=True):
            site_moderate(actor=officers[city.slug], site=site, accept=True)
    ostrava_mail, koszalin_mail = mailoutbox
    assert ostrava_mail.to == ["reporter@example.org"]
    assert ostrava_mail.message()["Reply-To"] == "tvorimeprostor@example.org"
    assert koszalin_mail.message()["Reply-To"] is None
    # signed by the city, in the reporter's language (Czech for Ostrava, Polish for
    # Koszalin: the cities' own, the reporter having chosen none)
    signature = ostrava_mail.body.split("\n-- \n", 1)[1]
    assert signature.splitlines()[:2] == [
        "Magistrát města Ostravy · Tvoříme prostor, Ostrava", "tvorimeprostor@example.org"
    ]  # fmt: skip
    assert "/ostrava/privacy/" in signature
    signature = koszalin_mail.body.split("\n-- \n", 1)[1]
    assert signature.splitlines()[0] == "Tworzymy przestrzeń, Koszalin"
    assert "example.org" not in signature and "/koszalin/privacy/" in signature


def test_the_privacy_notice_names_the_cookies_and_who_serves_the_background_map(client, koszalin):
    """The browser asks the basemap's server for its images, so that server sees the
    visitor's IP address: the notice names it, the city's own server when it has one."""
    general = page(client, "/privacy/")
    assert "<strong>tile.openstreetmap.org</strong>" in general
    for cookie in ("sessionid", "csrftoken", "django_language", "messages"):
        assert f"<code>{cookie}</code>" in general
    assert "kept in your browser's tab" in general  # the typed forms (keep_typed.js)
    koszalin.tile_url = "https://{s}.maps.koszalin.example.net/{z}/{x}/{y}.png"
    koszalin.save()  # clears the city cache (mapapp.signals)
    city = page(client, "/koszalin/privacy/")
    assert "<strong>maps.koszalin.example.net</strong>" in city
    assert "tile.openstreetmap.org" not in city


def test_the_ogc_api_definition_says_whom_to_ask_about_the_data(client, koszalin, ostrava):
    import json

    api = json.loads(client.get("/ogcapi/ostrava/api", {"f": "json"}).content)
    assert api["info"]["contact"] == {"name": "Ostrava City Hall",
                                      "email": "tvorimeprostor@example.org"}  # fmt: skip
    czech = client.get("/ogcapi/ostrava/api", {"f": "json"}, HTTP_ACCEPT_LANGUAGE="cs")
    assert json.loads(czech.content)["info"]["contact"]["name"] == "Magistrát města Ostravy"
    CityInformation.objects.filter(city=koszalin).delete()  # loading Ostrava's demo filled it
    api = json.loads(client.get("/ogcapi/koszalin/api", {"f": "json"}).content)
    assert "contact" not in api["info"]  # nothing to say, rather than a name alone


def test_the_rest_apis_city_index_links_the_pages_and_gives_the_contact(client, koszalin, ostrava):
    doc = client.get("/api/v1/ostrava/").json()
    rels = {link["rel"]: link["href"] for link in doc["links"]}
    assert rels["about"].endswith("/ostrava/about/")
    assert rels["privacy-policy"].endswith("/ostrava/privacy/")
    assert rels["accessibility"].endswith("/ostrava/accessibility/")
    assert doc["contact"] == {"name": "Ostrava City Hall", "email": "tvorimeprostor@example.org"}
    CityInformation.objects.filter(city=koszalin).delete()  # loading Ostrava's demo filled it
    assert client.get("/api/v1/koszalin/").json()["contact"] is None


def test_the_officers_page_says_what_the_city_has_not_given_yet(client, koszalin, officer):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/koszalin/officer/").content.decode()
    assert 'id="information-missing"' in body
    assert "a contact e-mail" in body and "the date of the accessibility statement" in body
    client.post("/koszalin/officer/information/", FULL_FORM)
    body = client.get("/koszalin/officer/").content.decode()
    assert 'id="information-missing"' not in body
    # one field emptied again: named, the others not
    client.post("/koszalin/officer/information/", {**FULL_FORM, "dpo_contact": ""})
    body = client.get("/koszalin/officer/").content.decode()
    assert "the data protection officer" in body and "a contact e-mail" not in body


def test_every_email_about_a_city_is_queued_in_its_recipients_language():
    """mail(..., city=) signs the e-mail in the active language: a call made after the
    `translation.override(...)` block had closed signed a Czech reporter's e-mail in
    English. Each such call must sit inside that block, except in allauth's adapter: it
    sends within the visitor's own request, whose language is theirs."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    outside = []
    for path in [*root.glob("proposals/**/*.py"), *root.glob("sites/**/*.py"),
                 *root.glob("geodata/**/*.py"), *root.glob("mapapp/**/*.py")]:  # fmt: skip
        tree = ast.parse(path.read_text())
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "mail"):
                continue
            if "city" not in {k.arg for k in node.keywords}:
                continue
            if path.relative_to(root).as_posix() == "mapapp/adapters.py":
                continue
            up, inside = node, False
            while up in parents and not inside:
                up = parents[up]
                inside = isinstance(up, ast.With) and any(
                    "translation.override" in ast.unparse(item.context_expr) for item in up.items
                )
            if not inside:
                outside.append(f"{path.relative_to(root)}:{node.lineno}")
    assert outside == []


def test_the_city_says_what_its_programme_is_on_its_map_and_about_pages(client, koszalin, officer):
    client.force_login(officer)
    assert client.post("/koszalin/officer/information/", FULL_FORM).status_code == 302
    client.logout()
    about = page(client, "/koszalin/about/")
    assert "<p>Koszalin funds what its neighbours build.</p>" in about
    assert "&lt;b&gt;Since 2026.&lt;/b&gt;" in about  # an officer's text is text
    assert "propose small projects for public space" not in about  # the general words
    assert "Koszalin finansuje to, co budują sąsiedzi." in page(client, "/koszalin/about/", "pl")
    city_map = page(client, "/koszalin/")
    intro = city_map.split('id="city-introduction">')[1].split("</p>")[0]
    assert "Koszalin funds what its neighbours build." in intro
    assert 'href="/koszalin/about/"' in intro
    # a long one is shortened on the map, whole on the about page
    client.force_login(officer)
    client.post("/koszalin/officer/information/",
                {**FULL_FORM, "introduction_en": "word " * 100 + "END"})  # fmt: skip
    client.logout()
    assert "END" not in page(client, "/koszalin/").split('id="city-introduction">')[1]
    assert "END" in page(client, "/koszalin/about/")
