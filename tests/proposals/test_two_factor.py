"""Two-factor login (TOTP) for staff: anyone may turn it on; a city can require it of its
officers, committee members, planners and GIS staff."""

from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

from mapapp.models import City

PASSWORD = "a-long-enough-passphrase-42"


def code(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_a_city_can_require_it_of_its_staff(client, officer, resident, koszalin):
    client.force_login(officer)
    assert client.get("/koszalin/officer/").status_code == 200  # not required yet
    City.objects.filter(pk=koszalin.pk).update(require_staff_2fa=True)
    r = client.get("/koszalin/officer/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/2fa/totp/activate/")
    # setting it up stays open (allauth first asks for the password again)
    r = client.get("/accounts/2fa/totp/activate/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/reauthenticate/")
    assert client.get(r["Location"]).status_code == 200
    TOTP.activate(officer, generate_totp_secret())
    assert client.get("/koszalin/officer/").status_code == 200
    client.force_login(resident)  # residents are not staff: nothing is asked of them
    assert client.get("/koszalin/proposals/").status_code == 200
    assert client.get("/me/proposals/").status_code == 200


def test_signing_in_asks_for_the_code(client, officer):
    secret = generate_totp_secret()
    TOTP.activate(officer, secret)
    r = client.post("/accounts/login/", {"login": officer.email, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the password alone is not enough
    r = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session
    r = client.post("/accounts/2fa/authenticate/", {"code": code(secret)})
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(officer.pk)
