"""Stored analyses: computed once, kept while the data they come from are unchanged, computed
again on request in a small city and by the task worker in a large one (the last result shown
meanwhile), one refresh at a time, failures recorded, and only analysts may force one."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geodata import analysis
from geodata.analysis_results import analysis_stamp
from geodata.models import AnalysisResult, Feature
from proposals.models import Proposal

API = "/api/v1/koszalin/analysis/"


@pytest.fixture
def large(settings):
    """Every city counts as large: refreshes go to the task worker."""
    settings.ANALYSIS_SYNC_PLACES = 0


def add_proposal(grant_call, resident, title="New"):
    return Proposal.objects.create(
        city=grant_call.city,
        grant_call=grant_call,
        author=resident,
        title=title,
        status="submitted",
        geom=Point(16.176, 54.190, srid=4326),
    )


def test_kept_while_the_data_stay_and_computed_again_when_they_change(
    client, world, grant_call, resident
):
    first = client.get(API).json()
    assert first["fresh"] is True and first["computed_at"]
    row = AnalysisResult.objects.get()
    assert client.get(API).json()["computed_at"] == first["computed_at"]  # read, not computed
    AnalysisResult.objects.filter(pk=row.pk).update(seconds=-1)  # a mark a recompute would lose
    assert AnalysisResult.objects.get().seconds == -1

    add_proposal(grant_call, resident)
    second = client.get(API).json()
    assert second["coverage"]["proposals"] == first["coverage"]["proposals"] + 1
    assert second["computed_at"] != first["computed_at"] and second["fresh"] is True
    assert AnalysisResult.objects.get().seconds >= 0
    # other parameters are another stored analysis
    client.get(API, {"deficit_m": "500"})
    assert AnalysisResult.objects.count() == 2


def test_a_change_to_a_layer_makes_it_stale(client, world, koszalin, planner):
    client.force_login(planner)
    before = analysis_stamp(koszalin)
    assert client.get(API).json()["coverage"]["zones"][0]["amount_per_resident"] == 5.0
    Feature.objects.filter(name="Zones 1").update(population=500)
    assert analysis_stamp(koszalin) != before
    assert client.get(API).json()["coverage"]["zones"][0]["amount_per_resident"] == 10.0
    koszalin.refresh_from_db()
    before = analysis_stamp(koszalin)
    koszalin.save()  # the city itself (its boundary, say)
    assert analysis_stamp(koszalin) != before


def test_a_large_city_is_computed_by_the_worker(
    client, world, large, grant_call, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(API)
    assert response.status_code == 202 and response["Retry-After"]
    assert response.json()["state"] == "queued"
    assert len(queued) == 1  # the refresh, queued once the request commits
    # asked again while it waits: no second refresh
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert client.get(API).status_code == 202
        assert client.get("/koszalin/analysis/zones.csv").status_code == 503
        page = client.get("/koszalin/analysis/")
    assert again == []
    assert b'http-equiv="refresh"' in page.content
    assert b'data-state="queued"' in page.content

    queued[0]()  # the worker runs it (the tests' task backend runs tasks at once)
    row = AnalysisResult.objects.get()
    assert row.state == "done" and row.seconds is not None
    done = client.get(API).json()
    assert done["fresh"] is True and done["coverage"]["proposals"] == 4

    # a refresh by the worker neither reads the last result nor reads back the new one
    # (107 MB at 1,000,000 places)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from geodata.tasks import refresh_analysis

    with CaptureQueriesContext(connection) as queries:
        refresh_analysis.call(row.pk)
    reads = [
        q["sql"]
        for q in queries
        if '"geodata_analysisresult"."data"' in q["sql"] and not q["sql"].startswith("UPDATE")
    ]
    assert reads == []

    # the data change: the last result is shown, marked stale, while a refresh is queued
    add_proposal(grant_call, resident)
    with django_capture_on_commit_callbacks(execute=True):
        stale = client.get(API).json()
    assert stale["fresh"] is False and stale["coverage"]["proposals"] == 4
    page = client.get("/koszalin/analysis/")
    assert b'data-fresh="true"' in page.content  # the refresh ran when the request committed
    assert client.get(API).json()["coverage"]["proposals"] == 5


def test_a_lost_refresh_is_asked_again(
    client, world, large, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client.get(API)  # queued, and the worker that took it died
    row = AnalysisResult.objects.get()
    assert row.state == "queued"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.get(API)
    assert queued == []  # still waiting for it
    AnalysisResult.objects.filter(pk=row.pk).update(
        requested_at=timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_SECONDS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True) as queued:
        client.get(API)
    assert len(queued) == 1
    assert AnalysisResult.objects.get().state == "done"


def test_a_failure_is_recorded_and_shown_to_analysts(
    client, world, large, officer, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(p):
        raise RuntimeError("the green layer is unreadable")

    monkeypatch.setattr("geodata.analysis_results.analyse", broken)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(API)
    row = AnalysisResult.objects.get()
    assert row.state == "failed" and "unreadable" in row.error
    assert b"unreadable" not in client.get("/koszalin/analysis/").content  # not the public
    client.force_login(officer)
    page = client.get("/koszalin/analysis/").content.decode()
    assert "The last computation failed" in page and "unreadable" in page
    # an officer asks again: it is queued again (and now succeeds)
    monkeypatch.setattr("geodata.analysis_results.analyse", analysis.analyse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/koszalin/analysis/refresh/", {"query": ""})
    assert response.status_code == 302 and response["Location"] == "/koszalin/analysis/"
    assert AnalysisResult.objects.get().state == "done"


def test_a_change_during_the_computation_leaves_it_stale(
    client, world, monkeypatch, grant_call, resident
):
    def meanwhile(p):
        result = analysis.analyse(p)
        add_proposal(grant_call, resident, title="Arrived during the run")
        return result

    monkeypatch.setattr("geodata.analysis_results.analyse", meanwhile)
    first = client.get(API).json()
    assert first["fresh"] is False  # computed from the data before the new proposal
    monkeypatch.setattr("geodata.analysis_results.analyse", analysis.analyse)
    second = client.get(API).json()
    assert second["fresh"] is True
    assert second["coverage"]["proposals"] == first["coverage"]["proposals"] + 1


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_only_analysts_force_a_refresh(client, world, resident, who):
    if who == "resident":
        client.force_login(resident)
    response = client.post("/koszalin/analysis/refresh/", {"query": "deficit_m=500"})
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]
    assert not AnalysisResult.objects.exists()
    assert client.get("/koszalin/analysis/refresh/").status_code == 405


def test_refresh_keeps_the_parameters_and_refuses_bad_ones(client, world, planner):
    client.force_login(planner)
    response = client.post("/koszalin/analysis/refresh/", {"query": "deficit_m=500"})
    assert response["Location"] == "/koszalin/analysis/?deficit_m=500"
    assert AnalysisResult.objects.get().params["deficit_m"] == 500
    bad = client.post("/koszalin/analysis/refresh/", {"query": "deficit_m=-1"})
    assert bad.status_code == 400


def test_stored_money_stays_money(client, world, koszalin, planner):
    """What comes back from the stored JSON is what was computed (floats, not strings)."""
    client.force_login(planner)
    data = client.get(API).json()
    direct = analysis.analyse(analysis.Params(city=koszalin)).as_dict()
    assert data["coverage"]["money"] == direct["coverage"]["money"] == float(Decimal("35000"))
    assert data["coverage"]["zones"] == direct["coverage"]["zones"]


def test_a_small_city_that_fails_is_not_tried_again_on_the_same_data(
    client, world, monkeypatch, grant_call, resident
):
    calls = []

    def broken(p):
        calls.append(p)
        raise RuntimeError("no")

    monkeypatch.setattr("geodata.analysis_results.analyse", broken)
    response = client.get(API)
    assert response.status_code == 503 and response.json()["state"] == "failed"
    page = client.get("/koszalin/analysis/")
    assert page.status_code == 200 and b'data-state="failed"' in page.content
    assert b'http-equiv="refresh"' not in page.content
    assert len(calls) == 1  # not again on every request
    add_proposal(grant_call, resident)  # new data: tried again
    client.get(API)
    assert len(calls) == 2


def test_new_computations_are_rate_limited_not_reads(client, world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "analysis": "2/h"}
    assert client.get(API).status_code == 200  # computed: 1
    assert client.get(API, {"deficit_m": "400"}).status_code == 200  # computed: 2
    refused = client.get(API, {"deficit_m": "500"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get("/koszalin/analysis/", {"deficit_m": "500"}).status_code == 429
    assert not AnalysisResult.objects.filter(params__deficit_m=500, data__isnull=False).exists()
    for _ in range(3):  # reading what is stored is not counted
        assert client.get(API).status_code == 200
        assert client.get(API, {"deficit_m": "400"}).json()["fresh"] is True


def test_only_the_most_recent_analyses_are_kept(client, world, settings):
    settings.ANALYSIS_KEEP = 2
    client.get(API)  # the default parameters: always kept
    for metres in (400, 500, 600, 700):
        client.get(API, {"deficit_m": str(metres)})
    kept = sorted(
        (r.params["deficit_m"] for r in AnalysisResult.objects.all()), key=lambda m: m or 0
    )
    assert kept == [300, 600, 700]


def test_a_refresh_of_a_pruned_analysis_is_dropped(world, koszalin):
    from geodata.tasks import refresh_analysis

    row = AnalysisResult.objects.create(city=koszalin, key="x" * 64, params={})
    row.delete()
    assert refresh_analysis.call(row.pk) == "gone"


def test_pages_read_the_result_without_the_distances(client, world, koszalin):
    """The distance of every place is the bulk of a stored result (11 of 11.1 MB at 100,000
    places); the dashboard, its map and the other files do without reading it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from geodata.analysis_results import analysis_data

    assert client.get(API).status_code == 200  # computed and stored
    row = AnalysisResult.objects.get(city=koszalin)
    full, light = analysis_data(row), analysis_data(row, distances=False)
    assert len(full["green"].pop("distances")) == 4 and "distances" not in light["green"]
    assert light == full

    def reads_whole_data(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return any('"geodata_analysisresult"."data"' in q["sql"] for q in queries)

    for path in ("analysis/", "analysis/map/", "analysis/zones.csv", "analysis/deficit.geojson"):
        assert not reads_whole_data(f"/koszalin/{path}"), path
    assert reads_whole_data("/koszalin/analysis/distances.csv")
    assert reads_whole_data(API)
