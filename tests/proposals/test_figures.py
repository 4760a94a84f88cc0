"""The programme in figures (officers): each call and the totals, as a page and a
spreadsheet, checked against the rows themselves and, for the area, against shapely and
pyproj measuring the same polygon."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from proposals.models import GrantCall
from proposals.selectors import programme_figures
from proposals.services import delivery, drafting
from tests.proposals.conftest import RYNEK, make_user, publish_another, square
from tests.proposals.test_delivery import granted, in_progress, receipt  # noqa: F401

pytestmark = pytest.mark.django_db


def _area_m2(geojson: dict, srid: int) -> float:
    """The polygon's area measured by shapely in the CRS pyproj transforms it to."""
    import shapely
    from pyproj import Transformer
    from shapely.geometry import shape

    to_metric = Transformer.from_crs(4326, srid, always_xy=True)
    return shapely.transform(
        shape(geojson), lambda xy: list(zip(*to_metric.transform(xy[:, 0], xy[:, 1]), strict=True))
    ).area


@pytest.fixture
def world(in_progress, resident, officer, supporters, koszalin):  # noqa: F811
    """Call one: a granted project in progress (an expense, a work day), a proposal that
    gathers support, a draft; call two, earlier, had none."""
    # two of each: a join of the two would count each one twice
    for what, amount, people, hours in (
        ("Timber", "15000.50", 6, "3.5"),
        ("Soil", "1000", 2, "1.5"),
    ):
        delivery.expense_add(
            actor=resident,
            proposal=in_progress,
            description=what,
            amount=Decimal(amount),
            spent_on=in_progress.city.local_date(),
            receipt=receipt(),
        )
        delivery.work_day_add(actor=resident, proposal=in_progress,
                              day=in_progress.city.local_date(), people=people,
                              hours=Decimal(hours))  # fmt: skip
    call = in_progress.grant_call
    GrantCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() + timedelta(days=5))
    call.refresh_from_db()  # open again, for one more proposal
    other = make_user("ngo@example.org", city=koszalin)
    publish_another(other, call, supporters, title="Benches")  # 15 supporters
    drafting.proposal_create_draft(author=other, grant_call=call)
    earlier = GrantCall.objects.create(
        city=koszalin, title={"en": "=Earlier call"}, total_budget=50000, project_cap=10000,
        opens_at=timezone.now() - timedelta(days=400), closes_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    return call, earlier


def test_each_call_and_the_totals_in_figures(world, koszalin):
    call, earlier = world
    rows, totals = programme_figures(city=koszalin)
    assert [r.call for r in rows] == [call, earlier]  # the latest first
    one = rows[0]
    assert (one.budget, one.published, one.submitted, one.supporters) == (
        Decimal("100000"), 2, 1, 30)  # fmt: skip
    assert (one.assessed, one.granted, one.granted_sum) == (1, 1, Decimal("20000"))
    assert (one.spent, one.completed, one.volunteer_hours) == (Decimal("16000.50"), 0, 24)
    expected = _area_m2(square(*RYNEK), koszalin.metric_srid)
    assert one.area_m2 == pytest.approx(expected, rel=1e-6) and expected > 1000
    two = rows[1]
    assert (two.published, two.submitted, two.granted, two.spent, two.area_m2) == (0, 0, 0, 0, 0)
    assert totals.budget == Decimal("150000") and totals.supporters == 30
    assert totals.granted_sum == Decimal("20000") and totals.volunteer_hours == 24


def test_the_page_and_its_spreadsheet_say_the_same_to_officers_only(client, world, officer,
                                                                    resident):  # fmt: skip
    call, earlier = world
    client.force_login(resident)
    assert client.get("/koszalin/officer/figures/").status_code in (403, 404)
    client.force_login(officer)
    page = client.get("/koszalin/officer/figures/").content.decode()
    assert "The programme in figures" in page and 'data-call="all"' in page
    assert client.get("/koszalin/officer/").content.decode().count("/officer/figures/") == 1
    response = client.get("/koszalin/officer/figures/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="koszalin-programme-' in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *lines = table
    assert header[:4] == ["Call", "Opens", "Closes", "Budget"] and len(lines) == 3
    first = dict(zip(header, lines[0], strict=True))
    assert first["Call"] == "We Create Space 2027" and first["Supporters"] == "30"
    assert first["Granted"] == "20000.00" and first["Spent"] == "16000.50"
    assert first["Volunteer hours"] == "24.0"
    assert lines[1][0] == "'=Earlier call"  # a spreadsheet shows it as text, never runs it
    assert lines[2][0] == "All calls" and lines[2][3] == "150000.00"


def test_the_calls_page_says_what_the_programme_did_so_far_without_hidden_proposals(
    client, world, koszalin
):
    from proposals.models import Proposal

    page = client.get("/koszalin/calls/").content.decode()
    assert 'id="so-far"' in page
    assert "Volunteer hours</dt><dd>24</dd>" in page and "Projects built</dt><dd>0</dd>" in page
    funded = Proposal.objects.get(granted_amount__isnull=False)
    Proposal.objects.filter(pk=funded.pk).update(hidden_at=timezone.now())  # moderated
    rows, totals = programme_figures(city=koszalin, public=True)
    assert (totals.granted, totals.volunteer_hours, totals.spent, totals.area_m2) == (0, 0, 0, 0)
    assert 'id="so-far"' not in client.get("/koszalin/calls/").content.decode()
    assert programme_figures(city=koszalin)[1].granted == 1  # the officers' record keeps it


def test_the_network_in_figures_sums_money_within_each_currency(world, koszalin, ostrava, client,
                                                                 settings):  # fmt: skip
    """/figures/: each city's public totals side by side; counts summed, money summed within
    a currency only; hidden proposals left out, as on each city's calls page."""
    from django.contrib.gis.geos import Point

    from proposals.models import Proposal

    settings.LANGUAGE_CODE = "en"
    call = GrantCall.objects.create(
        city=ostrava, title={"en": "Tvoříme prostor"}, total_budget=1_000_000, project_cap=200_000,
        opens_at=timezone.now() - timedelta(days=90), closes_at=timezone.now() - timedelta(days=30),
    )  # fmt: skip
    author = make_user("spolek@example.org", city=ostrava)
    for title, amount, hidden in (("Komunitní zahrada", 150_000, None),
                                  ("Skryté", 90_000, timezone.now())):  # fmt: skip
        Proposal.objects.create(
            city=ostrava, grant_call=call, author=author, title=title, status="granted",
            granted_amount=amount, published_at=timezone.now(), geom=Point(18.29, 49.83),
            hidden_at=hidden,
        )  # fmt: skip
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/figures/")
    assert page.status_code == 200
    html = page.content.decode()
    import re

    def row(slug):
        found = re.search(rf'<tr data-city="{slug}">(.*?)</tr>', html, re.S).group(1)
        return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                         found, re.S)]  # fmt: skip

    assert row("koszalin")[:6] == ["Koszalin", "2", "2", "1", "20,000.00\u00a0PLN", "0"]
    assert row("ostrava")[:6] == ["Ostrava", "1", "1", "1", "150,000.00\u00a0CZK", "0"]
    total = row("all")
    assert total[:4] == ["All cities", "3", "3", "2"]
    assert "20,000.00\u00a0PLN" in total[4] and "150,000.00\u00a0CZK" in total[4]  # not added
    assert "Skryté" not in html and "/figures/" in client.get("/").content.decode()

    sheet = client.get("/figures/", {"format": "csv"})
    lines = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["City", "Calls"]
    assert lines[2][:7] == ["Ostrava", "1", "1", "0", "1", "150000.00", "CZK"]
    assert lines[-1][0] == "All cities" and lines[-1][5:7] == ["", ""]  # two currencies


def test_the_network_figures_as_json(world, koszalin, ostrava, client):
    """/api/v1/figures/: the same counts as /figures/, money as decimal strings per
    currency, never added across currencies."""
    from django.contrib.gis.geos import Point

    from proposals.models import Proposal

    call = GrantCall.objects.create(
        city=ostrava, title={"en": "Tvoříme prostor"}, total_budget=1_000_000, project_cap=200_000,
        opens_at=timezone.now() - timedelta(days=90), closes_at=timezone.now() - timedelta(days=30),
    )  # fmt: skip
    Proposal.objects.create(
        city=ostrava, grant_call=call, author=make_user("spolek@example.org", city=ostrava),
        title="Komunitní zahrada", status="granted", granted_amount=150_000,
        published_at=timezone.now(), geom=Point(18.29, 49.83), support_count=17,
    )  # fmt: skip
    data = client.get("/api/v1/figures/").json()
    by_slug = {c["slug"]: c for c in data["cities"]}
    assert by_slug["ostrava"]["currency"] == "CZK" and by_slug["ostrava"]["calls"] == 1
    assert by_slug["ostrava"]["figures"]["granted_total"] == "150000.00"
    assert by_slug["koszalin"]["figures"]["granted_total"] == "20000.00"
    assert by_slug["koszalin"]["calls_url"].endswith("/api/v1/koszalin/calls/")
    totals = data["totals"]
    assert totals["granted_total"] == {"PLN": "20000.00", "CZK": "150000.00"}
    assert totals["granted_count"] == 2 and totals["calls"] == 3
    assert totals["supporters"] == 30 + 17
    assert "/api/v1/figures/" in client.get("/api/v1/").content.decode()


def test_the_network_in_figures_year_by_year(world, koszalin, ostrava, client, settings):
    """?year=: the calls opened in that year on each city's clock, with what their
    proposals have done since; the years offered are those in which a call opened; the
    page, its spreadsheet and the JSON agree; a year that is no year is a 400 saying so."""
    import zoneinfo

    from django.contrib.gis.geos import Point

    from proposals.models import Proposal

    settings.LANGUAGE_CODE = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    call, earlier = world
    # a call that opened on 1 January, 00:30 in Ostrava: still the old year in UTC
    prague = zoneinfo.ZoneInfo("Europe/Prague")
    new_year = timezone.datetime(2025, 1, 1, 0, 30, tzinfo=prague)
    ostrava_call = GrantCall.objects.create(
        city=ostrava, title={"en": "Tvoříme prostor 2025"}, total_budget=1_000_000,
        project_cap=200_000, opens_at=new_year, closes_at=new_year + timedelta(days=60),
    )  # fmt: skip
    Proposal.objects.create(
        city=ostrava, grant_call=ostrava_call, author=make_user("spolek@example.org", city=ostrava),
        title="Komunitní zahrada", status="completed", granted_amount=150_000,
        published_at=timezone.now(), geom=Point(18.29, 49.83), support_count=17,
    )  # fmt: skip
    from proposals.selectors import call_year

    years = {call_year(c) for c in GrantCall.objects.all()}
    assert 2025 in years and new_year.astimezone(zoneinfo.ZoneInfo("UTC")).year == 2024
    this_year = call_year(call)

    data = client.get("/api/v1/figures/", {"year": 2025}).json()
    assert data["year"] == 2025 and data["years"] == sorted(years, reverse=True)
    by_slug = {c["slug"]: c for c in data["cities"]}
    assert by_slug["ostrava"]["calls"] == 1 and by_slug["ostrava"]["figures"]["built_count"] == 1
    assert by_slug["koszalin"]["calls"] == sum(call_year(c) == 2025 for c in (call, earlier))
    assert data["totals"]["granted_total"].get("CZK") == "150000.00"

    everything = client.get("/api/v1/figures/").json()
    assert everything["year"] is None and everything["totals"]["calls"] == 3
    mine = client.get("/api/v1/figures/", {"year": this_year}).json()
    koszalin_calls = [c for c in (call, earlier) if call_year(c) == this_year]
    assert {c["slug"]: c["calls"] for c in mine["cities"]}["koszalin"] == len(koszalin_calls)
    assert client.get("/api/v1/figures/", {"year": 1999}).status_code == 400

    page = client.get("/figures/", {"year": 2025})
    html = page.content.decode()
    assert page.status_code == 200 and "The network in figures, 2025" in html
    assert '<option value="2025" selected>' in html and "?year=2025&amp;format=csv" in html
    sheet = client.get("/figures/", {"year": 2025, "format": "csv"})
    assert "network-programme-2025-" in sheet["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert lines[2][:2] == ["Ostrava", "1"] and lines[2][7] == "1"  # one call, one built
    bad = client.get("/figures/", {"year": "soon"})
    assert bad.status_code == 400 and "give a year such as 2026" in bad.content.decode()


def test_a_proposal_withdrawn_after_the_formal_check_still_counts_as_assessed(
    granted,  # noqa: F811
    resident,
    koszalin,
):
    """Passing the formal check is a fact of the record: the applicant withdrawing the
    granted project afterwards takes it out of the grants, not out of "assessed"."""
    assert granted.eligible_at is not None
    drafting.proposal_withdraw(actor=resident, proposal=granted, note="We are moving away")
    rows, totals = programme_figures(city=koszalin)
    assert (rows[0].submitted, rows[0].assessed, rows[0].granted) == (1, 1, 0)
    assert totals.granted_sum == 0


def test_the_migration_dates_earlier_checks_from_the_audit_trail(granted, resident,  # noqa: F811
                                                                 supporters, koszalin):  # fmt: skip
    """Migration proposals 0024: a proposal checked through the services takes the time of
    its check's audit event; one whose status alone says it passed (loaded without the
    services) its submission time; the others stay unset."""
    import importlib

    from django.db import connection

    from mapapp.models import AuditEvent
    from proposals.models import Proposal

    backfill = importlib.import_module("proposals.migrations.0024_eligible_at")
    GrantCall.objects.filter(pk=granted.grant_call_id).update(
        closes_at=timezone.now() + timedelta(days=5)
    )  # open again, for two more proposals
    granted.grant_call.refresh_from_db()
    other = publish_another(make_user("ngo@example.org", city=koszalin), granted.grant_call,
                            supporters, title="Benches")  # fmt: skip
    Proposal.objects.filter(pk=other.pk).update(status="rejected", submitted_at=timezone.now())
    withdrawn = publish_another(make_user("third@example.org", city=koszalin),
                                granted.grant_call, supporters, title="Swings")  # fmt: skip
    drafting.proposal_withdraw(actor=withdrawn.author, proposal=withdrawn)
    checked = AuditEvent.objects.get(action="proposal.in_assessment", object_id=str(granted.pk))
    Proposal.objects.update(eligible_at=None)
    with connection.cursor() as cursor:
        cursor.execute(backfill.FROM_AUDIT)
        cursor.execute(backfill.FROM_STATUS)
    found = dict(Proposal.objects.values_list("pk", "eligible_at"))
    other.refresh_from_db()
    assert found == {granted.pk: checked.at, other.pk: other.submitted_at, withdrawn.pk: None}


def test_the_public_figures_are_kept_until_something_they_count_changes(
    world, koszalin, resident, django_assert_num_queries
):
    """public_figures: the cached figures are the computed ones, asked again with one read
    of the city's change counters (the key) instead of the grouped queries, and fresh after
    each kind of change they count: an expense, a work day, a call's budget, a proposal
    (hidden here); the counters are kept by triggers, so even queryset.update() counts."""
    from proposals.models import Proposal
    from proposals.selectors import public_figures

    def fresh():
        return programme_figures(city=koszalin, public=True)[1]

    assert public_figures(city=koszalin)[1] == fresh()
    cached = public_figures(city=koszalin)[0]
    assert "boundary" in cached[0].call.city.get_deferred_fields()  # not kept in each copy
    with django_assert_num_queries(1):  # the four counters at once (the cache is in memory)
        kept = public_figures(city=koszalin)[1]
    assert kept == fresh()
    project = Proposal.objects.get(status="in_progress")
    delivery.expense_add(actor=resident, proposal=project, description="Paint",
                         amount=Decimal("99.50"), spent_on=koszalin.local_date(),
                         receipt=receipt())  # fmt: skip
    assert public_figures(city=koszalin)[1].spent == kept.spent + Decimal("99.50") == fresh().spent
    delivery.work_day_add(actor=resident, proposal=project, day=koszalin.local_date(), people=3,
                          hours=Decimal("2"))  # fmt: skip
    assert public_figures(city=koszalin)[1].volunteer_hours == kept.volunteer_hours + 6
    call = project.grant_call
    GrantCall.objects.filter(pk=call.pk).update(total_budget=123456)
    assert public_figures(city=koszalin)[1].budget == Decimal("123456") + 50000  # two calls
    Proposal.objects.filter(pk=project.pk).update(hidden_at=timezone.now())  # moderated
    assert public_figures(city=koszalin)[1] == fresh() and fresh().granted == 0
