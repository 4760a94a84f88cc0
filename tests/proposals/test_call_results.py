"""A call's results in public: the granted projects by name with their amounts on the call's
page and in its API, the rest counted; hidden proposals not named."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from proposals.models import GrantCall, Proposal
from proposals.selectors import call_results, published_scores
from proposals.services import grants
from tests.proposals.test_grants import assessed  # noqa: F401 - a fixture


@pytest.fixture
def decided(assessed, officer):  # noqa: F811
    """Of the four assessed proposals (40k, 35k, 30k, 20k asked): the first granted 38k, the
    second 35k (then hidden by the moderators), the fourth 20k; the third not granted."""
    first, second, third, fourth = assessed
    grants.proposal_decide(actor=officer, proposal=first, granted=True, amount="38000")
    grants.proposal_decide(actor=officer, proposal=second, granted=True, amount="35000")
    grants.proposal_decide(actor=officer, proposal=fourth, granted=True, amount="20000")
    grants.proposal_decide(actor=officer, proposal=third, granted=False, note="Too costly")
    Proposal.objects.filter(pk=second.pk).update(title="Hidden project", hidden_at=timezone.now())
    return [Proposal.objects.get(pk=p.pk) for p in assessed]


def _page(client, call):
    """The call's page, in English (the tests' language cookie), to anyone."""
    return client.get(f"/koszalin/calls/{call.pk}/")


def test_the_call_page_names_the_grants_largest_first_and_counts_the_rest(client, decided):
    first, second, third, fourth = decided
    html = _page(client, first.grant_call).content.decode()
    results = html[html.index('id="results"') :]
    table = results[: results.index("</table>")]
    assert table.index(first.title) < table.index(fourth.title)
    assert "38,000.00" in table and "40,000.00" in table  # granted less than asked
    assert "20,000.00" in table
    assert f"/koszalin/proposals/{first.pk}/" in table
    # hidden by the moderators: counted and summed, never named
    assert "Hidden project" not in html
    assert "1 project withheld by the moderators" in table
    assert "35,000.00" in table
    assert "3 projects granted" in results and "93,000.00" in results
    assert "1 proposal was not granted" in results
    assert f"?call={first.grant_call_id}&amp;status=rejected" in results
    assert "still to decide" not in results


def test_proposals_still_to_decide_are_counted(client, assessed, officer):  # noqa: F811
    first = assessed[0]
    grants.proposal_decide(actor=officer, proposal=first, granted=True, amount="40000")
    html = _page(client, first.grant_call).content.decode()
    assert "The city has still to decide on 3 proposals." in html
    assert "was not granted" not in html


def test_no_results_while_the_committee_assesses(client, in_assessment):
    html = _page(client, in_assessment.grant_call).content.decode()
    assert 'id="results"' not in html and "still to decide" not in html


def test_the_rounds_over_and_nothing_decided_yet(client, assessed):  # noqa: F811
    html = _page(client, assessed[0].grant_call).content.decode()
    results = html[html.index('id="results"') :]
    assert "The city has still to decide on 4 proposals." in results
    assert "<table" not in results[: results.index("</main>")]


def test_the_api_gives_the_same_results_without_personal_data(decided, resident):
    first, second, third, fourth = decided
    call = first.grant_call
    data = Client().get(f"/api/v1/koszalin/calls/{call.pk}/").json()
    results = data["results"]
    assert [g["id"] for g in results["grants"]] == [first.pk, fourth.pk]
    assert results["grants"][0]["granted_amount"] == "38000.00"
    assert results["grants"][0]["requested_amount"] == "40000.00"
    assert results["grants"][0]["status"] == "granted"
    assert results["grants"][0]["href"].endswith(f"/koszalin/proposals/{first.pk}/")
    assert results["withheld_count"] == 1 and results["withheld_total"] == "35000.00"
    assert results["not_granted_count"] == 1 and results["undecided_count"] == 0
    listed = Client().get("/api/v1/koszalin/calls/").json()
    assert next(c for c in listed["calls"] if c["id"] == call.pk)["results"] == results
    text = str(data)
    assert resident.email not in text and "Hidden project" not in text
    assert "Too costly" not in text


def test_results_of_every_call_in_two_queries(decided, koszalin, officer):
    calls = list(GrantCall.objects.filter(city=koszalin))
    with CaptureQueriesContext(connection) as queries:
        out = call_results(grant_calls=calls)
    assert len(queries) == 2
    mine = out[decided[0].grant_call_id]
    assert mine.granted_sum == Decimal("93000")
    assert mine.decided


def test_the_proposals_list_shows_each_grant(client, decided):
    first, second, third, fourth = decided
    html = client.get("/koszalin/proposals/", {"call": first.grant_call_id}).content.decode()
    assert '<th scope="col" class="num">Granted</th>' in html

    def row(p):
        start = html.index(f'<tr data-proposal="{p.pk}">')
        return html[start : html.index("</tr>", start)]

    cells = row(first).split('<td class="num">')
    assert "40,000.00" in cells[-2] and "38,000.00" in cells[-1]
    assert "30,000.00" in row(third).split('<td class="num">')[-2]
    assert row(third).split('<td class="num">')[-1].startswith("</td>")  # not granted


def test_the_call_page_says_where_the_assessment_stands(
    client, in_assessment, officer, committee
):  # fmt: skip
    from proposals.services import assessment

    call = in_assessment.grant_call

    def said():
        html = client.get(f"/koszalin/calls/{call.pk}/").content.decode()
        start = html.index('<span id="assessment-state">') + len('<span id="assessment-state">')
        return html[start : html.index("</span>", start)]

    assert said() == (
        "The city checks the proposals submitted; the expert committee's assessment follows."
    )
    assessment.round_open(actor=officer, grant_call=call)
    assert said() == "The expert committee is assessing the proposals: round 1 of 3."
    assessment.round_close(actor=officer, grant_call=call)
    assert said().startswith("Round 1 of 3 of the assessment is over: the applicants may revise")
    for _ in range(2):
        assessment.round_open(actor=officer, grant_call=call)
        assessment.round_close(actor=officer, grant_call=call)
    assert said() == "The committee's assessment is over; the city decides."
    grants.proposal_decide(actor=officer, proposal=in_assessment, granted=False)
    assert said() == ""  # the results say the rest


def test_the_results_as_a_spreadsheet(client, decided):
    import csv
    import io

    first, second, third, fourth = decided
    Proposal.objects.filter(pk=fourth.pk).update(title="=HYPERLINK(1)")
    call = first.grant_call
    page = client.get(f"/koszalin/calls/{call.pk}/").content.decode()
    assert f'href="/koszalin/calls/{call.pk}/results.csv"' in page
    got = client.get(f"/koszalin/calls/{call.pk}/results.csv")
    assert got.status_code == 200 and "-results-" in got["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert header[:5] == ["Proposal", "Title", "Category", "Requested", "Granted"]
    assert rows[0][:7] == [str(first.pk), first.title, first.get_category_display(),
                           "40000.00", "38000.00", "PLN", "Granted"]  # fmt: skip
    assert rows[0][7] == f"http://testserver/koszalin/proposals/{first.pk}/"
    assert rows[1][1] == "'=HYPERLINK(1)"  # a spreadsheet shows it, does not run it
    assert rows[2][1:5] == ["1 project withheld by the moderators", "", "", "35000.00"]
    assert len(rows) == 3 and "Hidden project" not in got.content.decode()


def test_the_citys_decision_named_with_the_results(client, decided, officer):
    """Officers name the act deciding the grants (a board's resolution) and where it is
    published; the results show it, linked, and the API gives it. A refused save keeps
    what was typed."""
    from mapapp.models import AuditEvent

    call = decided[0].grant_call
    url = f"/koszalin/officer/calls/{call.pk}/"
    client.force_login(officer)
    assert 'value="decision_record"' in client.get(url).content.decode()
    for form, said in (
        ({"decision_reference": "Resolution 12/2026", "decision_url": "ftp://x"}, "https://"),
        ({"decision_reference": "", "decision_url": "https://bip.example.org/r"}, "number or"),
        ({"decision_reference": "R" * 201, "decision_url": ""}, "at most 200 characters"),
    ):
        refused = client.post(url, {"action": "decision_record", **form})
        assert refused.status_code == 400 and said in refused.content.decode()
        assert f'value="{form["decision_reference"]}"' in refused.content.decode()
        call.refresh_from_db()
        assert call.decision_reference == ""
    saved = client.post(url, {"action": "decision_record",
                              "decision_reference": "Resolution <b>12</b>/2026",
                              "decision_url": "https://bip.example.org/r/12"})  # fmt: skip
    assert saved.status_code == 302
    anyone = Client()
    anyone.cookies["django_language"] = "en"
    page = anyone.get(f"/koszalin/calls/{call.pk}/").content.decode()
    assert (
        'Decided by <a href="https://bip.example.org/r/12" rel="noopener">'
        "Resolution &lt;b&gt;12&lt;/b&gt;/2026</a>"
    ) in page
    data = Client().get(f"/api/v1/koszalin/calls/{call.pk}/").json()
    assert data["results"]["decision"] == {
        "reference": "Resolution <b>12</b>/2026", "url": "https://bip.example.org/r/12",
    }  # fmt: skip
    assert AuditEvent.objects.get(action="call.decision_record").after["url"].endswith("/12")


def test_the_decision_is_named_once_the_rounds_are_over(in_assessment, officer):
    from django.core.exceptions import ValidationError

    from proposals.services import calls

    with pytest.raises(ValidationError):
        calls.grant_call_decision_record(
            actor=officer, grant_call=in_assessment.grant_call, reference="Too early"
        )


def test_the_committees_final_scores_published_where_the_calls_rules_say_so(
    client, decided, officer, committee
):
    """A call that publishes scores shows each proposal's final weighted score and rank with
    the results (page, API, spreadsheet), a hidden one unnamed; one that does not, none; a
    member's own scores never. The rules say which, and it is fixed once the call opens."""
    import csv
    import io

    from proposals.services import calls

    first, second, third, fourth = decided
    call = first.grant_call
    page = _page(client, call).content.decode()
    assert "The committee's scores stay with the city" in page
    assert 'id="scores"' not in page
    assert "scores" not in Client().get(f"/api/v1/koszalin/calls/{call.pk}/").json()["results"]
    GrantCall.objects.filter(pk=call.pk).update(publish_scores=True)
    page = _page(client, call).content.decode()
    assert "The committee's final score of each proposal is published" in page
    scores = page[page.index('id="scores"') :]
    scores = scores[: scores.index("</table>")]
    cells = [first.title, "5.00", "A proposal withheld by the moderators", "4.00",
             third.title, "3.00", fourth.title, "2.00"]  # fmt: skip
    at = [scores.index(c) for c in cells]
    assert at == sorted(at)  # in rank order
    assert "Hidden project" not in page
    assert not any(m.email in page for m in committee)
    api = Client().get(f"/api/v1/koszalin/calls/{call.pk}/").json()
    assert api["publish_scores"] is True
    assert api["results"]["scores"] == [
        {"rank": 1, "score": 5.0, "id": first.pk, "title": first.title, "status": "granted"},
        {"rank": 2, "score": 4.0, "id": None, "title": None, "status": None},
        {"rank": 3, "score": 3.0, "id": third.pk, "title": third.title, "status": "rejected"},
        {"rank": 4, "score": 2.0, "id": fourth.pk, "title": fourth.title, "status": "granted"},
    ]
    got = client.get(f"/koszalin/calls/{call.pk}/results.csv")
    header, *rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert header[-2:] == ["Score", "Rank"]
    assert rows[0][-2:] == ["5.00", "1"] and rows[1][-2:] == ["2.00", "4"]
    assert rows[2][-2:] == ["", ""]  # the withheld row
    # the rule is fixed once the call has opened: applicants applied under it
    with pytest.raises(ValidationError):
        calls.grant_call_update(actor=officer, grant_call=call, title=call.title,
                                description=call.description, publish_scores=False)  # fmt: skip
    call.refresh_from_db()
    assert call.publish_scores is True


def test_no_scores_in_public_while_the_city_decides(client, assessed, officer):  # noqa: F811
    call = assessed[0].grant_call
    GrantCall.objects.filter(pk=call.pk).update(publish_scores=True)
    grants.proposal_decide(actor=officer, proposal=assessed[0], granted=True, amount="40000")
    call.refresh_from_db()
    assert published_scores(grant_call=call) == []
    page = _page(client, call).content.decode()
    assert 'id="scores"' not in page
    assert "published here once the city has decided on every proposal" in page
    for p in assessed[1:]:
        grants.proposal_decide(actor=officer, proposal=p, granted=False)
    assert [row.rank for row in published_scores(grant_call=call)] == [1, 2, 3, 4]
