"""The analysis run on its own (as the task worker and the dashboard run it): its parts on two
connections at once, both reading one snapshot of the data, with the same answer as one part
after the other, and no connection left behind, whether it succeeds or fails."""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from geodata import analysis
from geodata.analysis import Params, analyse
from proposals.models import Proposal
from tests.geodata.test_analysis import proposal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def every_city_is_large(monkeypatch):
    monkeypatch.setattr(analysis, "CONCURRENT_PLACES", 0)


def sessions() -> set[int]:
    """The backends connected to the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'"
        )
        return {pid for (pid,) in cursor.fetchall()}


def no_new_session(before: set[int]) -> bool:
    """True when no backend is left beyond `before` (a closed connection's backend leaves
    pg_stat_activity a moment after the client hangs up, so give it a few seconds)."""
    end = time.monotonic() + 5
    while sessions() - before:
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def test_the_same_answer_as_one_part_after_the_other(world, koszalin):
    before = sessions()
    assert not connection.in_atomic_block  # so analyse() takes the concurrent way
    together = analyse(Params(city=koszalin)).as_dict()
    with transaction.atomic():
        one_by_one = analyse(Params(city=koszalin)).as_dict()
    assert together == one_by_one
    assert together["coverage"]["proposals"] == 4
    assert len(together["green"]["distances"]) == 4
    assert no_new_session(before)  # the second connection is closed


def test_every_part_reads_the_same_snapshot(world, koszalin, grant_call, resident, monkeypatch):
    """A proposal committed by someone else while the analysis runs (here: just before the
    coverage part starts on the second connection) is in none of the parts."""
    coverage = analysis.zone_coverage

    def someone_commits_a_proposal_first(p):
        def add():
            try:
                proposal(grant_call, resident, (16.175, 54.190), title="Late")
            finally:
                connection.close()

        writer = threading.Thread(target=add)
        writer.start()
        writer.join()
        return coverage(p)

    monkeypatch.setattr(analysis, "zone_coverage", someone_commits_a_proposal_first)
    result = analyse(Params(city=koszalin))
    assert Proposal.objects.filter(title="Late").exists()  # committed during the analysis
    in_green = [row for row in result.green["distances"] if row["type"] == "proposal"]
    assert result.coverage["proposals"] == len(in_green) == 4
    assert analyse(Params(city=koszalin)).coverage["proposals"] == 5  # seen by the next one


def test_a_small_city_runs_on_one_connection(world, koszalin, monkeypatch):
    def concurrently(p):
        raise AssertionError("a city of five proposals needs no second connection")

    monkeypatch.setattr(analysis, "CONCURRENT_PLACES", 6)
    monkeypatch.setattr(analysis, "_analyse_concurrently", concurrently)
    assert analyse(Params(city=koszalin)).coverage["proposals"] == 4
    monkeypatch.setattr(analysis, "CONCURRENT_PLACES", 5)
    with pytest.raises(AssertionError, match="no second connection"):
        analyse(Params(city=koszalin))


def test_a_failing_part_fails_the_analysis_and_leaves_no_connection(world, koszalin, monkeypatch):
    before = sessions()

    def broken(p):
        raise RuntimeError("demand failed")

    monkeypatch.setattr(analysis, "demand_without_action", broken)
    with pytest.raises(RuntimeError, match="demand failed"):
        analyse(Params(city=koszalin))
    assert no_new_session(before)
    assert not connection.in_atomic_block


def test_without_a_second_connection_the_parts_run_one_after_the_other(
    world, koszalin, monkeypatch, caplog
):
    """The server's connections all taken, say: the analysis still answers, the same."""
    with transaction.atomic():
        expected = analyse(Params(city=koszalin)).as_dict()

    def refused():
        raise OperationalError("sorry, too many clients already")

    monkeypatch.setattr(analysis, "_open_connection", refused)
    before = sessions()
    assert analyse(Params(city=koszalin)).as_dict() == expected
    assert "no second connection" in caplog.text
    assert no_new_session(before)
