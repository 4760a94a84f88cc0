"""A city's country fills in what that country's law names: the data protection authority,
the accessibility enforcement body, and the law the accessibility statement cites. Only
where the city gave nothing; every change audited; a country without a preset is valid."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command

from mapapp.demo import DATA_DIR
from mapapp.models import AuditEvent, City, CityInformation, Role
from mapapp.services import city_information_from_country, city_information_update
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db
BOUNDARY = DATA_DIR / "koszalin_city_boundary_prg_3mb.geojson"


def test_a_city_added_with_its_country_gets_the_bodies_its_law_names(client):
    call_command("city_add", str(BOUNDARY), "--slug", "koszalin", "--name", "Koszalin",
                 "--srid", "2180", "--language", "pl", "--country", "pl")  # fmt: skip
    city = City.objects.get(slug="koszalin")
    info = CityInformation.objects.get(city=city)
    assert city.country == "PL"
    assert (info.authority_name, info.enforcement_url) == (
        "Prezes Urzędu Ochrony Danych Osobowych", "https://bip.brpo.gov.pl/")  # fmt: skip
    assert AuditEvent.objects.filter(action="city.information", city=city).exists()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    statement = client.get("/koszalin/accessibility/").content.decode()
    assert "o dostępności cyfrowej stron internetowych" in statement  # the Polish act, cited
    assert "Rzecznik Praw Obywatelskich" in statement
    assert "uodo.gov.pl" in client.get("/koszalin/privacy/").content.decode()


def test_what_the_city_gave_is_never_overwritten(koszalin):
    CityInformation.objects.filter(city=koszalin).delete()
    City.objects.filter(pk=koszalin.pk).update(country="PL")
    koszalin.refresh_from_db()
    city_information_update(actor=None, city=koszalin,
                            data={"authority_name": "UODO (our own wording)"})  # fmt: skip
    city_information_from_country(actor=None, city=koszalin)
    info = CityInformation.objects.get(city=koszalin)
    assert info.authority_name == "UODO (our own wording)"  # kept
    assert info.authority_url == "https://uodo.gov.pl/"  # filled, it was empty
    assert city_information_from_country(actor=None, city=koszalin) is None  # nothing left


def test_a_country_without_a_preset_fills_nothing_and_a_bad_code_is_refused(koszalin):
    CityInformation.objects.filter(city=koszalin).delete()
    koszalin.country = "SK"
    koszalin.full_clean()
    koszalin.save()
    assert city_information_from_country(actor=None, city=koszalin) is None
    assert not CityInformation.objects.filter(city=koszalin).exists()
    koszalin.country = "Poland"
    with pytest.raises(ValidationError) as refused:
        koszalin.full_clean()
    assert "country" in refused.value.message_dict


def test_officers_fill_in_the_missing_bodies_with_one_button(client, koszalin):
    officer = make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    CityInformation.objects.filter(city=koszalin).delete()
    koszalin.country = ""
    koszalin.save()  # saving clears the kept copy of the city (mapapp.signals)
    page = client.get("/koszalin/officer/information/").content.decode()
    assert 'id="country-preset"' not in page  # no country: nothing to offer
    koszalin.country = "PL"
    koszalin.save()
    page = client.get("/koszalin/officer/information/").content.decode()
    assert 'id="country-preset"' in page and "the law of Poland" in page
    assert "Rzecznik Praw Obywatelskich" in page
    r = client.post("/koszalin/officer/information/", {"action": "country"})
    assert r.status_code == 302
    info = CityInformation.objects.get(city=koszalin)
    assert info.enforcement_name == "Rzecznik Praw Obywatelskich"
    event = AuditEvent.objects.filter(action="city.information", city=koszalin).latest("pk")
    assert event.actor == officer
    page = client.get("/koszalin/officer/information/").content.decode()
    assert 'id="country-preset"' not in page  # all given now


def test_a_country_set_in_the_admin_fills_them_too(admin_client, koszalin):
    CityInformation.objects.filter(city=koszalin).delete()
    City.objects.filter(pk=koszalin.pk).update(country="")
    form = admin_client.get(f"/admin/mapapp/city/{koszalin.pk}/change/").context["adminform"]
    data = {}
    for name, field in form.form.fields.items():
        value = form.form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value.geojson if hasattr(value, "geojson") else value
    data["country"] = "CZ"
    r = admin_client.post(f"/admin/mapapp/city/{koszalin.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert CityInformation.objects.get(city=koszalin).authority_url == "https://uoou.gov.cz/"
