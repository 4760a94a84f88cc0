"""Registration with e-mail confirmation, login by e-mail, logout, password reset, roles."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from mapapp.models import CityRole, Role, User
from mapapp.selectors import user_roles
from proposals.services.delivery import report_due_dates

PASSWORD = "a-long-enough-passphrase-42"


def link_in(message) -> str:
    return re.search(r"http://testserver(/accounts/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_register_confirm_login_logout(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "Jana.Novak@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "jana.novak@example.org"
    assert len(mail.outbox) == 1
    confirm = link_in(mail.outbox[0])
    assert "/accounts/confirm-email/" in confirm

    # Not confirmed yet: signing in only re-sends the confirmation.
    client.logout()
    client.post("/accounts/login/", {"login": "jana.novak@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    response = client.post(confirm)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session

    client.post("/accounts/login/", {"login": "JANA.NOVAK@example.org", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_email_is_unique_regardless_of_case_without_revealing_accounts(client):
    User.objects.create_user(email="taken@example.org", password=PASSWORD)
    response = client.post(
        "/accounts/signup/",
        {"email": "TAKEN@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    # Same answer as a fresh registration (no account enumeration); the owner is told by mail.
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["taken@example.org"]]


@pytest.mark.django_db
def test_password_reset(client):
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email="reset@example.org", password="old-password-123456")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post("/accounts/password/reset/", {"email": "reset@example.org"})
    assert len(mail.outbox) == 1
    reset = link_in(mail.outbox[0])
    form_page = client.get(reset, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset
    response = client.post(action, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_roles_are_per_city(koszalin, ostrava):
    user = User.objects.create_user(email="officer@example.org", password=PASSWORD)
    CityRole.objects.create(user=user, city=koszalin, role=Role.PROGRAMME_OFFICER)
    assert user_roles(user=user, city=koszalin) == {"programme_officer"}
    assert user_roles(user=user, city=ostrava) == set()


def test_load_demo_is_idempotent_and_makes_one_account_per_role(demo_cities, settings):
    settings.DEBUG = True  # demo accounts exist in development only
    from django.core.management import call_command

    from mapapp.models import AuditEvent, City

    call_command("load_demo")
    counts = (
        City.objects.count(),
        User.objects.count(),
        CityRole.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("load_demo")
    assert (
        City.objects.count(),
        User.objects.count(),
        CityRole.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert counts[0] == 2
    assert set(CityRole.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.filter(is_superuser=True).count() == 1
    # the demo programme: an open call and two finished ones per city, proposals in every state
    from proposals.models import GrantCall, Proposal

    for city in demo_cities.values():
        assert GrantCall.objects.filter(city=city).count() == 3
        states = set(Proposal.objects.filter(city=city).values_list("status", flat=True))
        assert states == set(Proposal.Status.values)
        inside = Proposal.objects.filter(city=city, geom__within=city.boundary).count()
        assert inside == Proposal.objects.filter(city=city).count()
        followed = Proposal.objects.filter(
            city=city, follows__user__email="neighbour01@example.org"
        )
        assert set(followed.values_list("status", flat=True)) == {"collecting_support", "submitted"}
        from proposals.models import AreaAlert

        alert = AreaAlert.objects.get(city=city, user__email="neighbour01@example.org")
        assert (alert.district, alert.proposals, alert.sites) == ("", True, True)
        from proposals.models import Representative

        reps = Representative.objects.filter(organisation__city=city)
        assert reps.get(verified_at__isnull=False).user.email == "ngo@example.org"
        assert reps.filter(verified_at__isnull=True, refused_at__isnull=True).count() == 1
        from sites.models import Intervention

        captions = {  # a before/after pair's caption, in the city's language
            "koszalin": "Widok od wejścia do parku", "ostrava": "Pohled od vstupu do parku"
        }  # fmt: skip
        for done in Intervention.objects.filter(city=city):
            assert {pair.caption for pair in done.pairs.all()} == {captions[city.slug]}
        # the closed project's two years of care are over, and every report was filed
        closed = Proposal.objects.get(city=city, status="closed")
        assert closed.sustainability_ends_on < timezone.localdate()
        assert not closed.intervention.in_maintenance
        reports = closed.maintenance_reports.all()
        dues = report_due_dates(closed)
        assert len(reports) == len(dues) == 4
        assert all(r.filed_at.date() <= due for r, due in zip(reports, dues, strict=True))


def test_load_demo_makes_no_accounts_outside_development(db, settings):
    from django.core.management import call_command

    settings.DEBUG = False
    call_command("load_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signing_in_from_a_city_page_comes_back_to_it_in_its_language(client, ostrava):
    """A visitor who has not chosen a language reads Ostrava in Czech; its header's links
    carry the page, so sign-in speaks Czech too (not the browser's English) and returns
    there afterwards."""
    User.objects.create_user(email="jana@example.org", password=PASSWORD)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=User.objects.get(), email="jana@example.org", verified=True, primary=True
    )
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    page = client.get("/ostrava/proposals/?category=playground", **english).content.decode()
    assert '<html lang="cs">' in page
    login = "/accounts/login/?next=/ostrava/proposals/%3Fcategory%3Dplayground"
    assert f'href="{login}"' in page
    assert 'href="/accounts/signup/?next=/ostrava/proposals/%3Fcategory%3Dplayground"' in page

    assert '<html lang="cs">' in client.get(login, **english).content.decode()
    assert '<html lang="en">' in client.get("/accounts/login/", **english).content.decode()
    for elsewhere in ("/me/proposals/", "https://evil.example/ostrava/", "/nowhere/at/all/x"):
        page = client.get(f"/accounts/login/?next={elsewhere}", **english).content.decode()
        assert '<html lang="en">' in page, elsewhere
    client.cookies["django_language"] = "pl"  # a language chosen wins over the city's
    assert '<html lang="pl">' in client.get(login, **english).content.decode()
    del client.cookies["django_language"]

    response = client.post(
        "/accounts/login/",
        {"login": "jana@example.org", "password": PASSWORD,
         "next": "/ostrava/proposals/?category=playground"},
        **english,
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == "/ostrava/proposals/?category=playground"
    page = client.get("/accounts/login/").content.decode()  # the sign-in page links no loop
    assert "?next=/accounts/" not in page


@pytest.mark.django_db
def test_a_new_account_keeps_the_language_it_signed_up_in(client, ostrava):
    """Signing up from Ostrava's pages (in Czech) makes Czech the person's language, so the
    confirmation and every later e-mail are in Czech; the browser's English otherwise."""
    form = {"password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/?next=/ostrava/", {"email": "jana@example.org", **form},
                HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    jana = User.objects.get(email="jana@example.org")
    assert jana.preferred_language == "cs"
    assert "Potvrďte" in mail.outbox[-1].subject or "potvr" in mail.outbox[-1].body.lower()
    client.post("/accounts/signup/", {"email": "john@example.org", **form},
                HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert User.objects.get(email="john@example.org").preferred_language == "en"


@pytest.mark.django_db
def test_account_emails_are_signed_by_the_city_the_visitor_came_from(client, ostrava, settings):
    """Signing up from Ostrava's pages: the confirmation names Ostrava, is signed by its
    office, replies go to its contact address, and its privacy notice is linked. Without a
    city (or with a `next` elsewhere), the programme signs with the deployment's notice."""
    from mapapp.services import city_information_update

    settings.SITE_URL = "https://grants.example.org"
    city_information_update(actor=None, city=ostrava, data={"contact_email": "tp@ostrava.cz"})
    form = {"password1": PASSWORD, "password2": PASSWORD, "next": "/ostrava/proposals/new/"}
    client.post("/accounts/signup/", {**form, "email": "jana@example.org"},
                HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    [signed] = mail.outbox
    assert signed.subject.startswith("[Ostrava] ")
    assert "Tvoříme prostor, Ostrava" in signed.body and "tp@ostrava.cz" in signed.body  # Czech
    assert "https://grants.example.org/ostrava/privacy/" in signed.body
    assert signed.extra_headers["Reply-To"] == "tp@ostrava.cz"
    assert "/accounts/confirm-email/" in signed.body
    for elsewhere in ("", "https://evil.example.net/ostrava/", "/no-such-city/"):
        mail.outbox.clear()
        client.post("/accounts/signup/", {**form, "next": elsewhere,
                                          "email": f"p{len(elsewhere)}@example.org"},
                    HTTP_ACCEPT_LANGUAGE="cs")  # fmt: skip
        [plain] = mail.outbox
        assert plain.subject.startswith("[Tvoříme prostor] ")  # the programme, in Czech
        assert "Ostrava" not in plain.body and "Reply-To" not in plain.extra_headers
        assert plain.body.rstrip().endswith("https://grants.example.org/privacy/")


def test_a_password_reset_asked_from_a_city_page_is_signed_by_the_city(client, ostrava, settings):
    """The sign-in page opened from Ostrava's pages links "Forgot your password?" with the
    same `next`; the reset form carries it on, so the e-mail is Ostrava's, as a sign-up
    confirmation is. Another site's `next` is not carried."""
    import html
    import re

    settings.SITE_URL = "https://grants.example.org"
    User.objects.create_user(email="forgot@example.org", password=PASSWORD)
    login = client.get("/accounts/login/", {"next": "/ostrava/proposals/new/"}).content.decode()
    [link] = re.findall(r'href="(/accounts/password/reset/\?[^"]+)"', login)
    assert html.unescape(link) == "/accounts/password/reset/?next=%2Fostrava%2Fproposals%2Fnew%2F"
    reset_page = client.get(html.unescape(link)).content.decode()
    assert 'name="next" value="/ostrava/proposals/new/"' in reset_page
    client.post("/accounts/password/reset/",
                {"email": "forgot@example.org", "next": "/ostrava/proposals/new/"})  # fmt: skip
    [signed] = mail.outbox
    assert signed.subject.startswith("[Ostrava] ")
    assert "https://grants.example.org/ostrava/privacy/" in signed.body
    elsewhere = client.get("/accounts/login/", {"next": "https://evil.example.net/ostrava/"})
    assert "evil.example.net" not in "".join(
        re.findall(r'href="(/accounts/password/reset/[^"]*)"', elsewhere.content.decode())
    )
