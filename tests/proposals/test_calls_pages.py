"""Residents learn about a call before they apply: its dates in the city's time, budget,
cap, who may apply, supporters needed, landowner consent, assessment and criteria; and
afterwards what it funded. Nothing personal is shown (no committee names)."""

import datetime as dt
import json
import re
from decimal import Decimal

from django.utils import formats, timezone, translation

from proposals.models import Proposal
from proposals.services import calls
from tests.proposals.conftest import close_call


def in_warsaw(moment, fmt="DATETIME_FORMAT"):
    with translation.override("en"), timezone.override("Europe/Warsaw"):
        return formats.date_format(timezone.localtime(moment), fmt)


def row(html: str, call_id: int) -> str:
    found = re.search(rf'<tr data-call="{call_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for call {call_id}"
    return found.group(1)


def section(html: str, name: str) -> str:
    found = re.search(rf'<table class="data calls-{name}">(.*?)</table>', html, re.S)
    return found.group(1) if found else ""


def test_the_calls_page_groups_open_coming_and_closed_calls(
    client, koszalin, officer, grant_call, collecting, draft
):
    now = timezone.now()
    coming = calls.grant_call_create(
        actor=officer, city=koszalin, title={"en": "Spaces 2029"},
        opens_at=now + dt.timedelta(days=10), closes_at=now + dt.timedelta(days=60),
        total_budget=Decimal("80000"), project_cap=Decimal("20000"),
    )  # fmt: skip
    past = calls.grant_call_create(
        actor=officer, city=koszalin, title={"en": "Spaces 2026"},
        opens_at=now - dt.timedelta(days=400), closes_at=now - dt.timedelta(days=300),
        total_budget=Decimal("90000"), project_cap=Decimal("30000"),
    )  # fmt: skip
    close_call(past)
    Proposal.objects.filter(pk=collecting.pk).update(
        grant_call=past, status="granted", granted_amount=Decimal("12500")
    )
    hidden = Proposal.objects.create(
        city=koszalin, grant_call=past, author=collecting.author, title="Hidden",
        status="submitted", hidden_at=now, geom=collecting.geom,
    )  # fmt: skip
    assert hidden.pk

    html = client.get("/koszalin/calls/").content.decode()
    assert str(grant_call.pk) in section(html, "open")
    assert "Spaces 2029" in section(html, "upcoming")
    assert "Spaces 2026" in section(html, "closed") and "Spaces 2026" not in section(html, "open")
    open_row = row(html, grant_call.pk)
    assert in_warsaw(grant_call.closes_at) in open_row
    assert re.findall(r'class="num">(\d+)</td>', open_row)[-1] == "0"  # the draft is private
    closed = row(html, past.pk)
    counts = re.findall(r'class="num">([^<]+)</td>', closed)
    assert counts[:2] == ["1", "1"]  # one public proposal (the hidden one is not), one granted
    assert "12,500" in counts[2] or "12\xa0500" in counts[2] or "12 500" in counts[2]
    assert in_warsaw(coming.opens_at) in row(html, coming.pk)


def test_a_calls_page_states_its_rules_in_the_citys_time(client, grant_call):
    html = client.get(f"/koszalin/calls/{grant_call.pk}/").content.decode()
    assert f"until {in_warsaw(grant_call.closes_at)} (Koszalin time)" in html
    assert f'href="/koszalin/proposals/new/?call={grant_call.pk}"' in html
    rules = re.search(r'<dl class="facts call-rules">(.*?)</dl>', html, re.S).group(1)
    for text in ("100", "40", "Residents and NGOs", "At least 15 supporters aged 15 or over",
                 "written consent is needed", "10,000 m²", "in 3 rounds",
                 "for 24 months"):  # fmt: skip
        assert text in rules, text
    assert grant_call.criteria.count() and all(str(c) in html for c in grant_call.criteria.all())
    assert not any(m.email in html for m in grant_call.committee.all())


def test_an_unknown_call_or_another_citys_call_is_not_found(client, grant_call, ostrava):
    assert client.get(f"/ostrava/calls/{grant_call.pk}/").status_code == 404
    r = client.get("/koszalin/calls/999999/")
    assert r.status_code == 404 and "There is no such call in this city." in r.content.decode()


def test_a_resident_starts_from_a_calls_page_knowing_the_deadline(client, resident, grant_call):
    client.force_login(resident)
    html = client.get(f"/koszalin/proposals/new/?call={grant_call.pk}").content.decode()
    assert f"submit by {in_warsaw(grant_call.closes_at)} (Koszalin time)" in html
    assert re.search(rf'<option value="{grant_call.pk}" selected>', html)
    assert f'href="/koszalin/calls/{grant_call.pk}/"' in html


def test_a_proposal_gathering_support_says_until_when(client, collecting):
    html = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    call = collecting.grant_call
    assert f"Support is open until {in_warsaw(call.closes_at)} (Koszalin time)." in html
    assert f'href="/koszalin/calls/{call.pk}/"' in html
    close_call(call)
    html = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "Support is open until" not in html


def test_the_city_map_announces_an_open_call(client, grant_call):
    html = client.get("/koszalin/").content.decode()
    assert f'href="/koszalin/calls/{grant_call.pk}/"' in html
    assert f"open for proposals until {in_warsaw(grant_call.closes_at)}" in html
    close_call(grant_call)
    assert "open for proposals until" not in client.get("/koszalin/").content.decode()


def test_the_home_page_explains_the_programme_and_links_each_citys_calls(koszalin):
    from django.test import Client

    for language, heading in (("en", "How it works"), ("pl", "Jak to działa"),
                              ("cs", "Jak to funguje")):  # fmt: skip
        client = Client()
        client.cookies["django_language"] = language
        html = client.get("/").content.decode()
        assert f"<h2>{heading}</h2>" in html, language
        steps = re.search(r'<ol class="steps">(.*?)</ol>', html, re.S).group(1)
        assert steps.count("<li>") == 6
        assert 'href="/koszalin/calls/"' in html


def test_the_calls_api_gives_each_calls_public_facts(client, grant_call, collecting, officer):
    from decimal import Decimal

    close_call(grant_call)
    Proposal.objects.filter(pk=collecting.pk).update(
        status="granted", granted_amount=Decimal("12500")
    )
    index = client.get("/api/v1/koszalin/").json()
    link = next(c for c in index["collections"] if c["id"] == "calls")["href"]
    assert link.endswith("/api/v1/koszalin/calls/")
    [call] = client.get(link).json()["calls"]
    assert call == client.get(f"/api/v1/koszalin/calls/{grant_call.pk}/").json()
    grant_call.refresh_from_db()
    assert call["id"] == grant_call.pk and call["title"]["pl"] == "Tworzymy przestrzeń 2027"
    assert call["state"] == "closed" and call["time_zone"] == "Europe/Warsaw"
    assert call["closes_at"] == grant_call.closes_at.astimezone(dt.UTC).isoformat().replace(
        "+00:00", "Z"
    )
    assert (call["total_budget"], call["project_cap"], call["currency"]) == (
        "100000.00", "40000.00", "PLN",
    )  # fmt: skip
    assert call["applicants"] == ["individual", "ngo"] and call["min_supporters"] == 15
    assert (call["rounds"], call["committee_size"]) == (3, 6)
    assert [c["key"] for c in call["criteria"]] == [
        c.key for c in grant_call.criteria.all()
    ] and all(Decimal(c["weight"]) > 0 for c in call["criteria"])
    assert (call["proposal_count"], call["granted_count"], call["granted_total"]) == (
        1, 1, "12500.00",
    )  # fmt: skip
    # what it did so far, as the calls page counts it (the granted proposal's drawn area)
    figures = call["figures"]
    assert (figures["granted_count"], figures["granted_total"], figures["built_count"]) == (
        1, "12500.00", 0)  # fmt: skip
    assert figures["supporters"] == 0 and figures["volunteer_hours"] == "0"
    assert 1000 < figures["area_m2"] < 3000  # a ~40 x 44 m square
    totals = client.get(link).json()["totals"]
    assert totals == figures  # one call
    hidden = Proposal.objects.filter(pk=collecting.pk)
    hidden.update(hidden_at=timezone.now())  # moderated: left out
    assert client.get(link).json()["totals"]["granted_count"] == 0
    hidden.update(hidden_at=None)
    items = next(x for x in call["links"] if x["rel"] == "items")["href"]
    assert items.endswith(f"/api/v1/koszalin/proposals/?call={grant_call.pk}")
    assert len(client.get(items).json()["features"]) == 1
    text = json.dumps(call)
    assert not any(m.email in text for m in grant_call.committee.all())
    assert officer.email not in text
    r = client.get("/api/v1/koszalin/calls/999999/")
    assert r.status_code == 404 and "no such call" in r.json()["detail"]


def test_with_no_call_open_the_start_page_says_where_to_go(client, resident, koszalin):
    client.force_login(resident)
    page = client.get("/koszalin/proposals/new/").content.decode()
    assert "No call is open for proposals at the moment." in page
    assert 'href="/koszalin/calls/"' in page and 'href="/koszalin/sites/report/"' in page


def test_until_it_expires_a_proposal_of_a_closed_call_says_it_can_go_nowhere(client, collecting):
    """The daily job expires it; until then its page must not look like it is gathering."""
    from tests.proposals.conftest import close_call

    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert "call-closed-unsubmitted" not in page
    close_call(collecting.grant_call)
    page = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert 'id="call-closed-unsubmitted"' in page and "Support is open until" not in page
