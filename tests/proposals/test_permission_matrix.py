"""The permission matrix, walked: every page and endpoint (every URL pattern outside the admin
and the account pages, with real ids) for every role, as GET. The allowed roles get 200;
everyone else a refusal (a login redirect for anonymous visitors, 403 or 404), never a 500,
and no refused answer carries personal data. The same table is in README.md (Permissions).

A role in one city grants nothing in another: Ostrava's officer is refused in Koszalin."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from geodata.models import ExportJob, ImportJob, Layer
from mapapp.models import Role
from proposals.models import Proposal, SignatureSheet
from proposals.services.alerts import stop_token as alert_stop_token
from proposals.services.following import stop_token
from sites.models import Intervention, Site
from tests.proposals.conftest import make_user

ALL = frozenset(
    {"anonymous", "resident", "author", "supporter", "ngo", "committee", "officer", "planner",
     "gis", "other_city_officer", "superuser"}
)  # fmt: skip
SIGNED_IN = ALL - {"anonymous"}
OFFICERS = frozenset({"officer", "superuser"})

# route name -> roles that get 200 (GET); the ids come from the world below
MATRIX = {
    "healthz-tasks": ALL, "healthz-jobs": ALL, "robots": ALL,
    "sitemap": ALL, "sitemap-section": ALL,
    "home": ALL, "healthz": ALL, "privacy": ALL, "accessibility": ALL, "network-figures": ALL,
    "api:network-figures": ALL,
    "favicon": frozenset(),  # a redirect
    "security-txt": frozenset(),  # a 404 until SECURITY_CONTACT is set (tests/mapapp)
    "api:root": ALL, "api:city": ALL,
    "api:schema": ALL, "api:docs": ALL, "api:city-list": ALL, "api:city-boundary": ALL,
    "api:proposals": ALL, "api:sites": ALL, "api:interventions": ALL, "api:layers": ALL,
    "api:analysis": ALL, "api:export": ALL, "api:layer": ALL, "api:calls": ALL, "api:call": ALL,
    "api:layer-hidden": frozenset({"officer", "planner", "gis", "superuser"}),
    "api:layer-import": frozenset({"gis", "superuser"}),  # an import sent by GIS staff
    "ogcapi:landing": ALL, "ogcapi:conformance": ALL, "ogcapi:api": ALL,
    "ogcapi:collections": ALL, "ogcapi:collection": ALL, "ogcapi:items": ALL, "ogcapi:item": ALL,
    "ogcapi:queryables": ALL,
    "open311:discovery": ALL, "open311:services": ALL, "open311:service": ALL,
    "open311:requests": ALL, "open311:request": ALL,
    "tile": ALL,
    "my-proposals": SIGNED_IN, "my-data": SIGNED_IN, "my-reports": SIGNED_IN,
    # a token reads what a staff role may: for those roles (in any city) and superusers
    "my-token": frozenset({"officer", "planner", "gis", "other_city_officer", "superuser"}),
    "city-map": ALL, "proposals:list": ALL, "proposals:start": SIGNED_IN,
    "proposals:calls": ALL, "proposals:call": ALL,
    "proposals:calls-calendar": ALL, "proposals:call-calendar": ALL,
    "proposals:detail": ALL, "proposals:feed": ALL, "proposals:poster": ALL,
    "proposals:call-results-csv": ALL,
    "proposals:detail-draft": frozenset({"author", "officer", "superuser"}),
    "proposals:edit": frozenset({"author"}),
    "proposals:support": SIGNED_IN,
    "proposals:care": SIGNED_IN,  # a notice to the maintainers, and one's own earlier ones
    # the link in a follower's e-mail: whoever holds it may stop those e-mails
    "proposals:stop-emails": ALL,
    "alert-stop": ALL,  # likewise the link in an area alert's e-mail
    "proposals:progress": frozenset({"author"}),
    "proposals:sheet": frozenset({"author", "officer", "superuser"}),
    "proposals:file-consent": frozenset({"author", "officer", "superuser"}),
    "proposals:file-agreement": frozenset({"author", "officer", "superuser"}),
    "proposals:file-sheet": OFFICERS,
    # members of the call's committee only: a superuser does not score
    "proposals:committee": frozenset({"committee"}),
    "proposals:committee-score": frozenset({"committee"}),
    "proposals:officer": OFFICERS, "proposals:officer-call-new": OFFICERS,
    "proposals:officer-audit": OFFICERS, "proposals:officer-figures": OFFICERS,
    "proposals:officer-call": OFFICERS, "proposals:officer-proposal": OFFICERS,
    "proposals:officer-call-edit": OFFICERS, "proposals:officer-organisations": OFFICERS,
    "proposals:officer-call-criteria": OFFICERS, "proposals:officer-criteria": OFFICERS,
    "proposals:organisation-request": SIGNED_IN,
    "proposals:officer-call-csv": OFFICERS,
    "proposals:officer-call-expenses-csv": OFFICERS,
    "sites:list": ALL, "sites:report": SIGNED_IN,
    "sites:new": frozenset({"officer", "planner", "superuser"}),
    "sites:moderation": frozenset({"officer", "planner", "superuser"}),
    "sites:detail": ALL,
    "sites:detail-pending": frozenset({"author", "officer", "planner", "superuser"}),
    "sites:edit": frozenset({"officer", "planner", "superuser"}),
    "sites:intervention-new": OFFICERS,
    "sites:project-import": OFFICERS, "sites:project-import-job": OFFICERS,
    "sites:interventions": ALL, "sites:intervention": ALL, "sites:embed": ALL,
    "geodata:dashboard": ALL, "geodata:dashboard-map": ALL,
    "geodata:download": ALL,  # the public's files leave out money per resident
    "flags": OFFICERS,
    "city-about": ALL, "city-privacy": ALL, "city-accessibility": ALL,
    "city-place": ALL, "city-places": ALL,
    "city-information-edit": OFFICERS,
    "geodata:exports": ALL, "geodata:export-job": ALL, "geodata:export-download": ALL,
    "geodata:qgis-project": ALL,
}  # fmt: skip
NOT_GET = {"flag", "proposals:autosave", "proposals:unsupport", "proposals:withdraw",
           "proposals:copy", "proposals:follow", "proposals:unfollow", "sites:intervention-pairs",
           "proposals:alert-create", "alert-delete",
           "set_language", "open311:token", "proposals:file-receipt",
           "proposals:file-care",  # a notice's photo: tests/proposals/test_care.py
           "geodata:analysis-refresh", "sites:project-import-again",
           "api:layer-imports"}  # fmt: skip
PRIVATE = ["+48 600 111 222", "Neighbour Number", "Ulica Zwycięstwa", "%PDF-1.4 consent",
           "%PDF-1.4 agreement",
           "%PDF-1.4 names", "officer@example.org", "neighbour0@example.org"]  # fmt: skip


def route_names():
    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{p.namespace}:" if p.namespace else namespace
                if str(p.pattern).startswith(("admin/", "accounts/", "i18n/")):
                    continue
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                yield f"{namespace}{p.name}" if p.name else None

    return {n for n in walk(get_resolver().url_patterns) if n}


@pytest.fixture
def world(submitted, resident, supporters, committee, officer, koszalin, ostrava, tmp_path):
    from django.contrib.gis.geos import Point
    from django.core.files.uploadedfile import SimpleUploadedFile

    from geodata.importers import import_layer
    from proposals.models import Organisation, Representative
    from proposals.services import drafting
    from tests.proposals.conftest import complete_fields

    Proposal.objects.filter(pk=submitted.pk).update(contact_phone="+48 600 111 222")
    draft = drafting.proposal_create_draft(author=resident, grant_call=submitted.grant_call)
    draft = drafting.proposal_save(
        actor=resident, proposal=draft, fields=complete_fields(title="Still a draft"),
        consent_document=SimpleUploadedFile("c.pdf", b"%PDF-1.4 consent", "application/pdf"),
    )  # fmt: skip
    from django.core.files.base import ContentFile

    with_agreement = Proposal.objects.get(pk=submitted.pk)  # its signed copy: private
    with_agreement.agreement_document.save("a.pdf", ContentFile(b"%PDF-1.4 agreement"))
    sheet = SignatureSheet.objects.create(
        proposal=submitted, uploaded_by=officer,
        file=SimpleUploadedFile("s.pdf", b"%PDF-1.4 names", "application/pdf"),
    )  # fmt: skip
    ngo = make_user("ngo@example.org", Role.NGO_REPRESENTATIVE, city=koszalin)
    org = Organisation.objects.create(city=koszalin, name="Friends of the Park")
    Representative.objects.create(organisation=org, user=ngo)
    site = Site.objects.create(city=koszalin, name="Accepted", geom=Point(16.18, 54.19),
                               moderation="accepted")  # fmt: skip
    pending = Site.objects.create(city=koszalin, name="Pending", geom=Point(16.18, 54.19),
                                  reported_by=resident)  # fmt: skip
    intervention = Intervention.objects.create(
        city=koszalin, title="Benches", category="seating", geom=Point(16.18, 54.19),
        completed_on="2025-05-01", sustainability_ends_on="2027-05-01",
    )  # fmt: skip
    layer_file = tmp_path / "zone.geojson"
    layer_file.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "Z"}, "geometry": {"type": "Polygon", "coordinates": [[[16.17, 54.18], '
        "[16.18, 54.18], [16.18, 54.19], [16.17, 54.18]]]}}]}"
    )
    public = import_layer(city=koszalin, kind="other", path=layer_file, name="Public").layer
    hidden = import_layer(city=koszalin, kind="other", path=layer_file, name="Hidden").layer
    Layer.objects.filter(pk=hidden.pk).update(is_public=False)
    job = ExportJob.objects.create(city=koszalin, collection="sites", format="gpkg")
    from mapapp.models import User
    from sites.models import ProjectImport

    project_import = ProjectImport.objects.create(city=koszalin, filename="hotove.gpkg")
    layer_import = ImportJob.objects.create(city=koszalin, kind="park", filename="p.geojson")

    users = {
        "anonymous": None,
        "resident": make_user("another@example.org", Role.RESIDENT, city=koszalin),
        "author": resident,  # wrote the proposals, reported the pending site
        "supporter": supporters[0],
        "ngo": ngo,
        "committee": committee[0],
        "officer": officer,
        "planner": make_user("planner@example.org", Role.PLANNER, city=koszalin),
        "gis": make_user("gis@example.org", Role.GIS_STAFF, city=koszalin),
        "other_city_officer": make_user("o2@example.org", Role.PROGRAMME_OFFICER, city=ostrava),
        "superuser": User.objects.create_superuser(email="root@example.org", password="x" * 20),
    }
    c = "/koszalin"
    urls = {
        "healthz-tasks": "/healthz/tasks", "healthz-jobs": "/healthz/jobs",
        "robots": "/robots.txt", "sitemap": "/sitemap.xml",
        "security-txt": "/.well-known/security.txt", "network-figures": "/figures/",
        "api:network-figures": "/api/v1/figures/",
        "sitemap-section": "/sitemap-proposals.xml",
        "home": "/", "healthz": "/healthz", "privacy": "/privacy/", "favicon": "/favicon.ico",
        "accessibility": "/accessibility/",
        "api:root": "/api/v1/", "api:city": "/api/v1/koszalin/",
        "api:schema": "/api/v1/schema/", "api:docs": "/api/v1/docs/",
        "api:city-list": "/api/v1/cities/", "api:city-boundary": "/api/v1/koszalin/boundary/",
        "api:proposals": "/api/v1/koszalin/proposals/", "api:sites": "/api/v1/koszalin/sites/",
        "api:interventions": "/api/v1/koszalin/interventions/",
        "api:layers": "/api/v1/koszalin/layers/", "api:analysis": "/api/v1/koszalin/analysis/",
        "api:calls": "/api/v1/koszalin/calls/",
        "api:call": f"/api/v1/koszalin/calls/{submitted.grant_call_id}/",
        "api:export": "/api/v1/koszalin/export/proposals/?format=csv",
        "api:layer": f"/api/v1/koszalin/layers/{public.pk}/",
        "api:layer-hidden": f"/api/v1/koszalin/layers/{hidden.pk}/",
        "api:layer-import": f"/api/v1/koszalin/layers/imports/{layer_import.pk}/",
        "ogcapi:landing": "/ogcapi/koszalin/", "ogcapi:conformance": "/ogcapi/koszalin/conformance",
        "ogcapi:api": "/ogcapi/koszalin/api", "ogcapi:collections": "/ogcapi/koszalin/collections",
        "ogcapi:collection": "/ogcapi/koszalin/collections/proposals",
        "ogcapi:items": "/ogcapi/koszalin/collections/proposals/items",
        "ogcapi:queryables": "/ogcapi/koszalin/collections/proposals/queryables",
        "ogcapi:item": f"/ogcapi/koszalin/collections/proposals/items/{submitted.pk}",
        "open311:discovery": "/open311/koszalin/v2/discovery.json",
        "open311:services": "/open311/koszalin/v2/services.json",
        "open311:service": "/open311/koszalin/v2/services/neglected-site.json",
        "open311:requests": "/open311/koszalin/v2/requests.json",
        "open311:request": f"/open311/koszalin/v2/requests/{site.pk}.json",
        "tile": "/tiles/koszalin/proposals/12/2231/1310.mvt",
        "my-proposals": "/me/proposals/", "my-data": "/me/data/", "my-reports": "/me/reports/",
        "my-token": "/me/token/",
        "city-map": f"{c}/", "proposals:list": f"{c}/proposals/",
        "proposals:start": f"{c}/proposals/new/",
        "proposals:calls": f"{c}/calls/", "proposals:call": f"{c}/calls/{submitted.grant_call_id}/",
        "proposals:calls-calendar": f"{c}/calls/calendar.ics",
        "proposals:call-calendar": f"{c}/calls/{submitted.grant_call_id}/calendar.ics",
        "proposals:detail": f"{c}/proposals/{submitted.pk}/",
        "proposals:poster": f"{c}/proposals/{submitted.pk}/poster/",
        "proposals:call-results-csv": f"{c}/calls/{submitted.grant_call_id}/results.csv",
        "proposals:feed": f"{c}/proposals/feed/",
        "proposals:detail-draft": f"{c}/proposals/{draft.pk}/",
        "proposals:edit": f"{c}/proposals/{draft.pk}/edit/",
        "proposals:support": f"{c}/proposals/{submitted.pk}/support/",
        "proposals:care": f"{c}/proposals/{submitted.pk}/care/",
        "proposals:stop-emails": f"{c}/proposals/{submitted.pk}/stop-emails/"
        + stop_token(user_id=supporters[0].pk, proposal_id=submitted.pk) + "/",
        "alert-stop": "/me/alerts/stop/"
        + alert_stop_token(user_id=supporters[0].pk, alert_ids=[1]) + "/",
        "proposals:progress": f"{c}/proposals/{submitted.pk}/progress/",
        "proposals:sheet": f"{c}/proposals/{draft.pk}/sheet/",
        "proposals:file-consent": f"{c}/proposals/{draft.pk}/files/consent/",
        "proposals:file-agreement": f"{c}/proposals/{submitted.pk}/files/agreement/",
        "proposals:file-sheet": f"{c}/proposals/{submitted.pk}/files/sheet/{sheet.pk}/",
        "proposals:committee": f"{c}/committee/",
        "proposals:committee-score": f"{c}/committee/proposals/{submitted.pk}/",
        "proposals:officer": f"{c}/officer/",
        "proposals:officer-audit": f"{c}/officer/audit/",
        "proposals:officer-figures": f"{c}/officer/figures/",
        "proposals:officer-call-new": f"{c}/officer/calls/new/",
        "proposals:officer-criteria": f"{c}/officer/criteria/",
        "proposals:officer-organisations": f"{c}/officer/organisations/",
        "proposals:organisation-request": f"{c}/organisations/request/",
        "proposals:officer-call-edit": f"{c}/officer/calls/{submitted.grant_call_id}/edit/",
        "proposals:officer-call-criteria": f"{c}/officer/calls/{submitted.grant_call_id}/criteria/",
        "proposals:officer-call": f"{c}/officer/calls/{submitted.grant_call_id}/",
        "proposals:officer-call-csv": f"{c}/officer/calls/{submitted.grant_call_id}/proposals.csv",
        "proposals:officer-call-expenses-csv": (
            f"{c}/officer/calls/{submitted.grant_call_id}/expenses.csv"
        ),
        "proposals:officer-proposal": f"{c}/officer/proposals/{submitted.pk}/",
        "sites:list": f"{c}/sites/", "sites:report": f"{c}/sites/report/",
        "sites:new": f"{c}/sites/new/", "sites:moderation": f"{c}/sites/moderation/",
        "sites:detail": f"{c}/sites/{site.pk}/", "sites:detail-pending": f"{c}/sites/{pending.pk}/",
        "sites:edit": f"{c}/sites/{site.pk}/edit/",
        "sites:intervention-new": f"{c}/interventions/new/",
        "sites:project-import": f"{c}/interventions/import/",
        "sites:project-import-job": f"{c}/interventions/import/{project_import.pk}/",
        "sites:interventions": f"{c}/interventions/",
        "sites:intervention": f"{c}/interventions/{intervention.pk}/", "sites:embed": f"{c}/embed/",
        "geodata:dashboard": f"{c}/analysis/", "geodata:dashboard-map": f"{c}/analysis/map/",
        "geodata:download": f"{c}/analysis/zones.csv",
        "flags": f"{c}/flags/",
        "city-about": f"{c}/about/", "city-privacy": f"{c}/privacy/",
        "city-accessibility": f"{c}/accessibility/",
        "city-place": f"{c}/place/?lon=16.18&lat=54.19",
        "city-places": f"{c}/places/?q=park",
        "city-information-edit": f"{c}/officer/information/",
        "geodata:exports": f"{c}/exports/", "geodata:export-job": f"{c}/exports/{job.pk}/",
        "geodata:qgis-project": f"{c}/exports/qgis-project.qgs",
        "geodata:export-download": f"{c}/exports/{job.pk}/download",
    }  # fmt: skip
    return users, urls, job


def test_the_matrix_covers_every_route():
    covered = {name.split("-draft")[0].split("-pending")[0].split("-hidden")[0] for name in MATRIX}
    missing = route_names() - covered - NOT_GET - {"favicon"}
    assert missing == set(), f"routes without a row in the matrix: {sorted(missing)}"


def test_every_role_on_every_route(client, world):
    users, urls, _job = world
    failures = []
    for role, user in users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, url in urls.items():
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            allowed = role in MATRIX[name]
            status = response.status_code
            if name == "geodata:export-download":  # the job has not run: nobody gets a file
                allowed = False
            if name == "favicon":
                assert status == 301
                continue
            if status >= 500:
                failures.append(f"{role} {url}: {status}")
            elif allowed and status != 200:
                failures.append(f"{role} {url}: {status}, expected 200")
            elif not allowed and status not in (302, 401, 403, 404):
                failures.append(f"{role} {url}: {status}, expected a refusal")
            elif not allowed and status == 302 and role != "anonymous":
                failures.append(f"{role} {url}: a redirect where a refusal was due")
            if not allowed or role not in OFFICERS | {"author"}:
                text = body.decode("utf-8", "replace")
                # the site's header shows a signed-in person their own address, refusal
                # pages (403) included: that is not a leak
                own = user.email if user is not None else None
                leaked = [m for m in PRIVATE if m in text and m != own]
                # the author sees their own phone number; officers see everything
                if leaked and not (role == "supporter" and leaked == ["neighbour0@example.org"]):
                    failures.append(f"{role} {url}: shows {leaked}")
    assert failures == [], "\n".join(failures)


POSTS = {
    # route: (url key in the world, roles whose POST is taken up (200, 302 or a 400 form))
    "proposals:autosave": ("proposals:edit", frozenset({"author"})),
    "proposals:withdraw": ("proposals:edit", frozenset({"author"})),
    "proposals:copy": ("proposals:edit", frozenset({"author"})),
    "proposals:unsupport": ("proposals:detail", SIGNED_IN),
    "proposals:follow": ("proposals:detail", SIGNED_IN),
    "proposals:unfollow": ("proposals:detail", SIGNED_IN),
    "proposals:alert-create": (None, SIGNED_IN),
    "alert-delete": (None, SIGNED_IN),
    "sites:intervention-pairs": ("sites:intervention", OFFICERS),
    "sites:project-import-again": ("sites:project-import-job", OFFICERS),
    # GIS staff (token or session): a 400 here, as the form sent lacks a file
    "api:layer-imports": (None, frozenset({"gis", "superuser"})),
    "flag": (None, SIGNED_IN),
}


def test_every_role_on_every_post_only_route(client, world):
    users, urls, _job = world
    draft = urls["proposals:edit"].rsplit("/edit/", 1)[0]
    submitted = urls["proposals:detail"].rstrip("/")
    targets = {
        "proposals:autosave": f"{draft}/autosave/",
        "proposals:withdraw": f"{draft}/withdraw/",
        "proposals:copy": f"{draft}/copy/",
        "proposals:unsupport": f"{submitted}/unsupport/",
        "proposals:follow": f"{submitted}/follow/",
        "proposals:unfollow": f"{submitted}/unfollow/",
        "proposals:alert-create": "/koszalin/alerts/",
        "alert-delete": "/me/alerts/1/delete/",
        "sites:intervention-pairs": urls["sites:intervention"] + "pairs/",
        "sites:project-import-again": urls["sites:project-import-job"] + "again/",
        "api:layer-imports": "/api/v1/koszalin/layers/imports/",
        "flag": "/koszalin/flag/",
    }
    failures = []
    for role, user in users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, (_key, allowed_roles) in POSTS.items():
            # the withdrawal is tried last by the author: it ends the draft
            if name == "proposals:withdraw" and role == "author":
                continue
            r = client.post(targets[name], {"title": "x", "reason": "spam",
                            "target_type": "site", "target_id": 0})  # fmt: skip
            allowed = role in allowed_roles
            if r.status_code >= 500:
                failures.append(f"{role} POST {name}: {r.status_code}")
            elif allowed and r.status_code not in (200, 302, 400):
                failures.append(f"{role} POST {name}: {r.status_code}, expected it taken up")
            elif not allowed and r.status_code not in (302, 401, 403, 404):
                failures.append(f"{role} POST {name}: {r.status_code}, expected a refusal")
            elif not allowed and r.status_code == 302 and role != "anonymous":
                failures.append(f"{role} POST {name}: a redirect where a refusal was due")
    client.force_login(users["author"])
    assert client.post(targets["proposals:withdraw"]).status_code == 302
    assert failures == [], "\n".join(failures)


def test_a_crafted_row_id_in_a_form_gets_an_answer_not_a_server_error(client, world):
    """Forms name rows by id; one that is not a number (a crafted or damaged form) is not
    found (404) or refused with a message, never a server error."""
    users, urls, _job = world
    draft = urls["proposals:edit"].rsplit("/edit/", 1)[0]
    posts = {
        "officer": [("/koszalin/officer/organisations/", {"request": "abc", "action": "verify"}),
                    ("/koszalin/sites/moderation/", {"site": "1 OR 1=1", "action": "accept"}),
                    ("/koszalin/flags/", {"flag": "x", "action": "uphold"}),
                    ("/koszalin/flags/", {"flag": "²", "action": "uphold"}),  # a digit, not decimal
                    (urls["sites:intervention"] + "pairs/", {"action": "remove", "pair": "-1"}),
                    (urls["proposals:officer-call"], {"action": "committee",
                                                      "committee": ["x", "1;2", "³"]})],
        "author": [(f"{draft}/copy/", {"grant_call": "9" * 30})],
    }  # fmt: skip
    for role, forms in posts.items():
        client.force_login(users[role])
        for url, form in forms:
            response = client.post(url, form)
            assert response.status_code in (302, 400, 404), (role, url, response.status_code)
