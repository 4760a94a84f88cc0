"""Clusters of proposals (demand without action): the analysis's grid DBSCAN against PostGIS's
own ST_ClusterDBSCAN on the same points, on data dense, sparse and in between, both when the
analysis takes its grid way and when it takes the plain one."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from geodata import analysis
from proposals.models import Proposal
from tests.geodata.test_analysis import benches

EPS, MIN_POINTS = 40.0, 3
GRID = {"GRID_MIN": -1, "GRID_SPARSE": 0}  # the grid whatever the density
PLAIN = {"GRID_MIN": 10**9, "GRID_SPARSE": 0}  # ST_ClusterDBSCAN whatever the density


def metres(lon, lat, dx, dy):
    """lon/lat dx metres east and dy north of (lon, lat), near Koszalin (54.19 N)."""
    return lon + dx / 65_200, lat + dy / 111_200


@pytest.fixture
def crowd(koszalin, grant_call, resident):
    rnd = random.Random(7)
    points = []
    # a dense blob (~40 points a cell), a medium field where some points are core, some
    # border and some noise, a sparse scatter, and a chain 35 m apart (each link has only
    # its two neighbours: core with three points, itself included)
    points += [metres(16.18, 54.19, rnd.uniform(0, 60), rnd.uniform(0, 60)) for _ in range(200)]
    points += [metres(16.20, 54.19, rnd.uniform(0, 600), rnd.uniform(0, 600)) for _ in range(150)]
    points += [metres(16.12, 54.16, rnd.uniform(0, 5000), rnd.uniform(0, 5000)) for _ in range(100)]
    points += [metres(16.16, 54.21, 35 * i, 0) for i in range(15)]
    Proposal.objects.bulk_create(
        Proposal(
            city=koszalin,
            grant_call=grant_call,
            author=resident,
            title=f"P{i}",
            status="submitted",
            geom=Point(*lonlat, srid=4326),
        )
        for i, lonlat in enumerate(points)
    )
    # out of scope: a draft in the middle of the blob must not count
    Proposal.objects.create(
        city=koszalin,
        grant_call=grant_call,
        author=resident,
        title="Draft",
        status="draft",
        geom=Point(*metres(16.18, 54.19, 30, 30), srid=4326),
    )
    return koszalin


def postgis_clusters(city) -> list[set[int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT array_agg(id) FROM (
                SELECT id, ST_ClusterDBSCAN(ST_Transform(geom, %s), eps := %s,
                                            minpoints := %s) OVER () AS c
                FROM proposals_proposal WHERE city_id = %s AND status <> 'draft') q
            WHERE c IS NOT NULL GROUP BY c
            """,
            [city.metric_srid, EPS, MIN_POINTS, city.pk],
        )
        return [set(ids) for (ids,) in cursor.fetchall()]


def ours(city, monkeypatch, way, **params) -> list[dict]:
    for name, value in way.items():
        monkeypatch.setattr(analysis, name, value)
    p = analysis.Params(city=city, cluster_m=EPS, cluster_min=MIN_POINTS, **params)
    return analysis.demand_without_action(p)["proposal_clusters"]


@pytest.mark.parametrize("way", [GRID, PLAIN], ids=["grid", "plain"])
def test_same_clusters_as_st_clusterdbscan(crowd, monkeypatch, way):
    expected = postgis_clusters(crowd)
    assert len(expected) >= 5  # the blob, the chain and a few in the medium field
    clusters = ours(crowd, monkeypatch, way)
    assert sorted(map(sorted, (set(c["ids"]) for c in clusters))) == sorted(map(sorted, expected))
    # numbered from 0 by their smallest proposal; each counts its ids; its centre is a point
    assert [c["cluster"] for c in clusters] == list(range(len(clusters)))
    assert [min(c["ids"]) for c in clusters] == sorted(min(c["ids"]) for c in clusters)
    assert all(c["proposals"] == len(c["ids"]) for c in clusters)
    assert all('"Point"' in c["centre"] for c in clusters)


@pytest.mark.parametrize("way", [GRID, PLAIN], ids=["grid", "plain"])
def test_a_cluster_near_an_intervention_is_left_out(crowd, monkeypatch, officer, way):
    before = ours(crowd, monkeypatch, way, action_m=100)
    chain = next(c for c in before if c["proposals"] == 15)
    # a project 80 m beyond the chain's east end: within 100 m of one of its proposals only
    benches(officer, crowd, metres(16.16, 54.21, 35 * 14 + 80, 0))
    after = ours(crowd, monkeypatch, way, action_m=100)
    assert sorted(map(sorted, (c["ids"] for c in after))) == sorted(
        sorted(c["ids"]) for c in before if c is not chain
    )
    # 70 m is not enough: the chain is back
    assert len(ours(crowd, monkeypatch, way, action_m=70)) == len(before)


def test_the_grid_is_taken_where_points_crowd(crowd, monkeypatch):
    """The choice of way, from the cells' counts: the blob alone crowds its cells; the whole
    set, mostly sparse, does not."""
    base = analysis._base(analysis.Params(city=crowd, cluster_m=EPS, cluster_min=MIN_POINTS))
    gate = analysis.CLUSTERS.split("-- the grid's way")[0].rstrip().rstrip(",")
    gate += " SELECT grid FROM gate"
    grid = {
        "cell": EPS * analysis.CELL_RATIO,
        "grid_min": analysis.GRID_MIN,
        "grid_sparse": analysis.GRID_SPARSE,
    }
    with connection.cursor() as cursor:
        cursor.execute(gate, base | grid)
        assert cursor.fetchone() == (False,)
        Proposal.objects.exclude(title__in=[f"P{i}" for i in range(200)]).update(status="draft")
        cursor.execute(gate, base | grid)
        assert cursor.fetchone() == (True,)
