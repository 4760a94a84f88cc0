"""Overlay analysis for planners, computed by PostGIS in the city's metric CRS.

For a city, optionally limited to a grant call or a period (proposals by creation date,
interventions by completion date):
- revitalisation coverage per zone, and the share of proposals and money inside any zone;
- blue-green infrastructure: distances to the nearest public green area (at least a minimum
  size) and to water, the green-space deficit area (farther than a distance from such green),
  per city and per district, what lies inside it, and green area added by interventions;
- demand without action: neglected sites and clusters of proposals with no intervention near.

Proposals and sites are located by their point (for a drawn area, the point on its surface),
so a proposal straddling two zones counts in the one that holds its point.

Raw SQL here, parameterised: these overlays are joins, unions and buffers that the ORM would
express as many subqueries; one statement per metric lets PostGIS plan each as a whole.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.db import OperationalError, connection, transaction

from geodata.models import Layer
from mapapp.models import City

GRANTED = ("granted", "agreement_signed", "in_progress", "completed", "sustainability", "closed")
PUBLIC = (
    "collecting_support", "submitted", "ineligible", "in_assessment", "rejected", *GRANTED,
    "revoked",
)  # fmt: skip
GREEN_CATEGORIES = ("community_garden", "greenery", "rain_garden")
logger = logging.getLogger(__name__)
SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


@dataclass
class Params:
    city: City
    call_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    min_green_m2: float = 5000.0
    deficit_m: float = 300.0
    action_m: float = 300.0
    cluster_m: float = 150.0
    cluster_min: int = 3


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _base(p: Params) -> dict:
    return {
        "city": p.city.pk,
        "srid": p.city.metric_srid,
        "call": p.call_id,
        "date_from": p.date_from,
        "date_to": p.date_to,
        "tz": p.city.time_zone,  # a period's days are the city's days
        "public": list(PUBLIC),
        "granted": list(GRANTED),
        "zone_kinds": list(Layer.ZONE_KINDS),
        "green_kinds": list(Layer.GREEN_KINDS),
        "water_kinds": list(Layer.WATER_KINDS),
        "min_green": p.min_green_m2,
        "deficit": p.deficit_m,
        "action": p.action_m,
        "green_categories": list(GREEN_CATEGORIES),
        "cluster_m": p.cluster_m,
        "cluster_min": p.cluster_min,
    }


# The proposals in scope (public ones of the city, by call and period; content hidden after
# an upheld flag is out, as it is everywhere public).
IN_SCOPE = """
    p.city_id = %(city)s AND p.geom IS NOT NULL AND p.status = ANY(%(public)s)
      AND p.hidden_at IS NULL
      AND (%(call)s::bigint IS NULL OR p.grant_call_id = %(call)s)
      AND (%(date_from)s::date IS NULL OR (p.created_at AT TIME ZONE %(tz)s)::date >= %(date_from)s)
      AND (%(date_to)s::date IS NULL OR (p.created_at AT TIME ZONE %(tz)s)::date <= %(date_to)s)
"""
PROPOSALS = f"""
    SELECT p.id, p.geom, p.status, p.granted_amount, p.title
    FROM proposals_proposal p
    WHERE {IN_SCOPE}
"""
INTERVENTIONS = """
    SELECT i.id, i.geom, i.area, i.category, i.title
    FROM sites_intervention i
    WHERE i.city_id = %(city)s
      AND (%(call)s::bigint IS NULL OR i.grant_call_id = %(call)s)
      AND (%(date_from)s::date IS NULL OR i.completed_on >= %(date_from)s)
      AND (%(date_to)s::date IS NULL OR i.completed_on <= %(date_to)s)
"""
LAYER_FEATURES = """
    SELECT f.id, f.name, f.population, f.geom, l.kind
    FROM geodata_feature f JOIN geodata_layer l ON l.id = f.layer_id
    WHERE l.city_id = %(city)s AND l.is_current
"""


# The analysis reads, and writes only its scratch tables; it runs in a transaction of its own
# that is rolled back, so those rows never leave it (nor do settings made inside it).
# Parallel workers are cheap to start compared with the work per zone piece or cell of
# places, so the planner is told so for these statements.
SETTINGS = {
    "work_mem": "64MB",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0.001",
    "min_parallel_table_scan_size": "64kB",
}


@contextmanager
def scratch_transaction():
    """A transaction (a savepoint when nested) with the analysis's planner settings, always
    rolled back: whatever ran inside leaves no row behind, whoever the caller."""
    with transaction.atomic(), connection.cursor() as cursor:
        for name, value in SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        try:
            yield
        finally:
            transaction.set_rollback(True)


def zone_coverage(p: Params) -> dict:
    base = _base(p)
    with scratch_transaction():
        return _coverage(base)


# Driven from the zones' side: each piece of a zone finds its points through the proposals'
# GiST index, the scope's conditions checked on the rows it reads (a point-driven plan was
# measured 8x slower here), and the pieces are shared out between parallel workers (which is
# why they sit in a scratch table, see migration geodata 0007). Zones with many vertices are
# cut into pieces (ST_Subdivide), so a piece's box holds few points outside it; a point on the
# seam of two pieces of one zone is counted once. Proposals are points (a drawn area by the
# point on its surface), so ST_Intersects is ST_Covers here and takes PostGIS's
# point-in-polygon path.
HITS = f"""
    SELECT z.zone_id, p.id, p.status, p.granted_amount
    FROM geodata_analysis_zone z
    JOIN proposals_proposal p ON p.geom && z.geom AND ST_Intersects(z.geom, p.geom)
    WHERE {IN_SCOPE}
"""
PER_ZONE = """
    count(*) AS proposals, count(*) FILTER (WHERE status = ANY(%(granted)s)) AS granted,
    coalesce(sum(granted_amount) FILTER (WHERE status = ANY(%(granted)s)), 0) AS granted_amount
"""


def _coverage(base: dict) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO geodata_analysis_zone (zone_id, n_pieces, geom)
            SELECT id, count(*) OVER (PARTITION BY id), geom
            FROM (SELECT id, ST_Subdivide(geom, 256) AS geom
                  FROM ({LAYER_FEATURES} AND l.kind = ANY(%(zone_kinds)s)) zones) cut
            """,
            base,
        )
    per_zone = _rows(
        f"""
        SELECT zone_id, {PER_ZONE} FROM ({HITS} AND z.n_pieces = 1) single GROUP BY zone_id
        UNION ALL
        SELECT zone_id, {PER_ZONE}
        FROM (SELECT DISTINCT hits.* FROM ({HITS} AND z.n_pieces > 1) hits) cut GROUP BY zone_id
        """,
        base,
    )
    # Inside any zone: against the zones dissolved into one outline (a cached point-in-polygon
    # test per proposal, in parallel workers), except within a centimetre of that outline,
    # where the zones themselves are asked (ST_Union's noding may move an edge by a rounding
    # error, and a proposal exactly on a zone's edge counts as inside it). Grouped by the
    # answer, so that each proposal is tested once.
    outline = _rows(
        """SELECT u AS cover, ST_Buffer(ST_Boundary(u), 1e-7, 'quad_segs=1') AS edge
           FROM (SELECT ST_Union(geom) AS u FROM geodata_analysis_zone) dissolved""",
        base,
    )[0]
    groups = _rows(
        f"""
        SELECT inside, count(*) AS proposals,
               coalesce(sum(granted_amount) FILTER (WHERE status = ANY(%(granted)s)), 0)
                 AS money
        FROM (SELECT p.status, p.granted_amount,
                     coalesce(CASE WHEN ST_Intersects(%(edge)s::geometry, p.geom)
                                   THEN geodata_in_zone(p.geom)
                                   ELSE ST_Intersects(%(cover)s::geometry, p.geom) END,
                              false) AS inside
              FROM proposals_proposal p WHERE {IN_SCOPE}) scope
        GROUP BY inside
        """,
        base | outline,
    )
    totals = {"proposals": 0, "money": 0, "proposals_inside": 0, "money_inside": 0}
    for group in groups:
        totals["proposals"] += group["proposals"]
        totals["money"] += group["money"]
        if group["inside"]:
            totals["proposals_inside"] = group["proposals"]
            totals["money_inside"] = group["money"]
    zones = _rows(
        f"""
        SELECT z.id, z.name, z.kind, z.population, coalesce(i.n, 0) AS interventions
        FROM ({LAYER_FEATURES} AND l.kind = ANY(%(zone_kinds)s)) z
        LEFT JOIN (
            SELECT z.zone_id, count(DISTINCT it.id) AS n
            FROM geodata_analysis_zone z JOIN sites_intervention it ON ST_Covers(z.geom, it.geom)
            WHERE it.id IN (SELECT id FROM ({INTERVENTIONS}) scope)
            GROUP BY z.zone_id) i ON i.zone_id = z.id
        ORDER BY z.kind, z.name, z.id
        """,
        base,
    )
    counts = {row.pop("zone_id"): row for row in per_zone}
    none = {"proposals": 0, "granted": 0, "granted_amount": 0}
    zones = [  # in the order of the CSV's columns
        {
            **{k: z[k] for k in ("id", "name", "kind", "population")},
            **counts.get(z["id"], none),
            "interventions": z["interventions"],
        }
        for z in zones
    ]
    for zone in zones:
        zone["granted_amount"] = float(zone["granted_amount"])
        zone["amount_per_resident"] = (
            round(zone["granted_amount"] / zone["population"], 2) if zone["population"] else None
        )
    money = float(totals["money"])
    return {
        "zones": zones,
        "proposals": totals["proposals"],
        "proposals_inside": totals["proposals_inside"],
        "share_proposals_inside": (totals["proposals_inside"] / totals["proposals"])
        if totals["proposals"]
        else None,
        "money": money,
        "money_inside": float(totals["money_inside"]),
        "share_money_inside": (float(totals["money_inside"]) / money) if money else None,
        "zones_without_proposals": [z["name"] or z["id"] for z in zones if not z["proposals"]],
    }


# Places per cell for the nearest green and water: one KNN and one index search per cell,
# then a distance per place to the few areas within the cell's reach (see migration 0009);
# measured best between 10 and 30 places a cell. Cells are never smaller than CELL_MIN_M.
PLACES_PER_CELL = 15
CELL_MIN_M = 25.0
# The reach of green is unioned in this many parts (strips of equal count), in parallel.
REACH_PARTS = 8


def green_infrastructure(p: Params) -> dict:
    base = _base(p)
    with scratch_transaction():
        return _green(p, base)


def _green(p: Params, base: dict) -> dict:
    # The public green areas large enough, and the water, in the metric CRS (SRID 0, see
    # migration geodata 0005) in the scratch tables with their GiST index, where each cell of
    # places finds its exact nearest areas (KNN and an index search), in metres, without
    # scanning them all.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO geodata_analysis_green (geom, part, lead)
            SELECT geom_m, part, row_number() OVER (PARTITION BY part) = 1
            FROM (SELECT geom_m, ntile(%(parts)s) OVER (ORDER BY ST_XMin(geom_m)) AS part
                  FROM (SELECT ST_SetSRID(ST_Transform(f.geom, %(srid)s), 0) AS geom_m
                        FROM ({LAYER_FEATURES} AND l.kind = ANY(%(green_kinds)s)) f
                        OFFSET 0) g  -- kept apart, so each area is transformed once (inlined,
                  -- it was transformed again for the area test: 80 ms at 10,000 areas)
                  WHERE ST_Area(g.geom_m) >= %(min_green)s) parted
            """,
            base | {"parts": REACH_PARTS},
        )
        cursor.execute(
            f"""
            INSERT INTO geodata_analysis_water (geom)
            SELECT ST_SetSRID(ST_Transform(f.geom, %(srid)s), 0)
            FROM ({LAYER_FEATURES} AND l.kind = ANY(%(water_kinds)s)) f
            """,
            base,
        )
    # The places in cells of about PLACES_PER_CELL places each (the city's area shared out by
    # their number), with their names and flags; each cell answered at once by
    # geodata_cell_distances (migrations geodata 0009 and 0010), the cells shared out between
    # parallel workers.
    places = f"""
        SELECT 0::smallint AS kind, p.id, p.title AS name, false AS neglected,
               ST_SetSRID(ST_Transform(p.geom, %(srid)s), 0) AS geom_m
        FROM proposals_proposal p WHERE {IN_SCOPE}
        UNION ALL
        SELECT 1::smallint, s.id, s.name, s.condition = 'neglected',
               ST_SetSRID(ST_Transform(s.geom, %(srid)s), 0)
          FROM sites_site s WHERE s.city_id = %(city)s AND s.moderation = 'accepted'
           AND s.hidden_at IS NULL
        UNION ALL
        SELECT 2::smallint, id, title, false, ST_SetSRID(ST_Transform(geom, %(srid)s), 0)
          FROM ({INTERVENTIONS}) it
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO geodata_analysis_cell (kinds, ids, names, neglected, pts)
            WITH places AS MATERIALIZED ({places}),
            size AS MATERIALIZED (
                SELECT greatest(%(cell_min)s, sqrt(
                         ST_Area(ST_Transform(boundary, %(srid)s)) * %(per_cell)s
                         / greatest((SELECT count(*) FROM places), 1))) AS side
                FROM mapapp_city WHERE id = %(city)s)
            SELECT array_agg(kind), array_agg(id), array_agg(name), array_agg(neglected),
                   ST_Collect(geom_m)  -- aligned: one aggregate step feeds each row to all
            FROM places, size
            GROUP BY floor(ST_X(geom_m) / size.side), floor(ST_Y(geom_m) / size.side)
            """,
            base | {"per_cell": PLACES_PER_CELL, "cell_min": CELL_MIN_M},
        )
    distances = _rows(
        """
        SELECT (ARRAY['proposal', 'site', 'intervention'])[c.kinds[d.i] + 1] AS type,
               c.ids[d.i] AS id, c.names[d.i] AS name, c.neglected[d.i] AS neglected,
               d.to_green AS to_green_m, d.to_water AS to_water_m
        FROM geodata_analysis_cell c,
             LATERAL geodata_cell_distances(
                 c.pts, EXISTS (SELECT 1 FROM geodata_analysis_water)) d
        ORDER BY 1, 2
    """,
        base,
    )
    # What lies in the deficit: the places farther than the deficit distance from green
    # (the distance is exact, where a buffer is a polygon inside the true reach).
    in_deficit = {"proposal": [], "site": []}
    for row in distances:
        counted = row.pop("neglected") or row["type"] == "proposal"
        far = row["to_green_m"] is None or row["to_green_m"] > p.deficit_m
        if counted and far:
            in_deficit[row["type"]].append(row["id"])
    # The reach of green (all within the deficit distance of it), unioned by parts in
    # parallel workers, then the parts (migration geodata 0011).
    reach = """(SELECT ST_Union(part_reach) AS geom_m FROM (
                    SELECT geodata_green_reach_part(part, %(deficit)s) AS part_reach
                    FROM geodata_analysis_green WHERE lead) parts)"""
    deficit = _rows(
        f"""
        WITH city AS (SELECT ST_SetSRID(ST_Transform(boundary, %(srid)s), 0) AS geom_m
                      FROM mapapp_city WHERE id = %(city)s),
        reach AS MATERIALIZED {reach},
        districts AS (
            SELECT d.id, d.name, d.population,
                   ST_SetSRID(ST_Transform(d.geom, %(srid)s), 0) AS geom_m
            FROM ({LAYER_FEATURES} AND l.kind = 'district') d),
        rows AS (
            SELECT 0 AS district, NULL AS name, NULL::integer AS population,
                   city.geom_m AS whole, CASE WHEN reach.geom_m IS NULL THEN city.geom_m
                                         ELSE ST_Difference(city.geom_m, reach.geom_m) END AS gap
            FROM city, reach
            UNION ALL
            SELECT d.id, d.name, d.population, d.geom_m,
                   CASE WHEN reach.geom_m IS NULL THEN d.geom_m
                        ELSE ST_Difference(d.geom_m, reach.geom_m) END
            FROM districts d, reach)
        SELECT district AS id, name, population, ST_Area(whole) AS area_m2,
               ST_Area(gap) AS deficit_m2,
               CASE WHEN district = 0
                    THEN ST_AsGeoJSON(ST_Transform(ST_SetSRID(gap, %(srid)s), 4326), 6) END
                 AS geojson
        FROM rows ORDER BY district <> 0, name, district
    """,
        base,
    )
    whole, per_district = deficit[0], deficit[1:]
    for row in per_district:
        del row["geojson"]
        row["deficit_share"] = row["deficit_m2"] / row["area_m2"] if row["area_m2"] else None
    added = _rows(
        f"""
        SELECT coalesce(sum(ST_Area(ST_Transform(area, %(srid)s))), 0) AS m2
        FROM ({INTERVENTIONS}) it
        WHERE category = ANY(%(green_categories)s) AND area IS NOT NULL
    """,
        base,
    )[0]["m2"]
    return {
        "min_green_m2": p.min_green_m2,
        "deficit_distance_m": p.deficit_m,
        "distances": distances,
        "deficit_area_m2": whole["deficit_m2"],
        "deficit_share": whole["deficit_m2"] / whole["area_m2"] if whole["area_m2"] else None,
        "deficit_geojson": whole["geojson"],
        "districts": per_district,
        "proposals_in_deficit": in_deficit["proposal"],
        "neglected_sites_in_deficit": in_deficit["site"],
        "green_added_by_interventions_m2": float(added),
    }


# Clusters of proposals: DBSCAN (a proposal is core with at least `cluster_min` proposals,
# itself included, within `cluster_m`; clusters are the core proposals linked by that
# distance, plus the others within it of a core one), computed on a grid so that dense
# places cost little. ST_ClusterDBSCAN over the points visits every pair within the distance:
# ~700 per point at 1,000,000 proposals in Koszalin, 33 s. Here the cells are squares whose
# diagonal is just under the distance, so all points of a cell are within it of each other:
#   - in a cell with at least `cluster_min` points, every point is core;
#   - in a sparser cell, each point counts its neighbours in the 5 x 5 cells around it
#     (a neighbour within the distance is at most two cells away);
#   - the core points of each cell, as one MultiPoint, are linked by ST_ClusterDBSCAN with
#     minpoints 1 (the distance between two MultiPoints is that of their closest points, and
#     PostGIS stops measuring at the first pair within the distance): a few thousand cells;
#   - a point that is not core joins the cluster of its nearest core point within the
#     distance, if any (DBSCAN leaves that choice open when there are several).
# The same clusters as ST_ClusterDBSCAN (tests/geodata/test_clusters.py compares them).
# Clusters are numbered from 0 by their smallest proposal id; a cluster is left out when an
# intervention lies within the action distance of any of its proposals.
CELL_RATIO = 0.7071  # just under 1/sqrt(2): a cell's diagonal is shorter than the distance
NEAR_CELLS = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3)]
# When the grid pays: a point has about 2 pi x (the points of its cell) neighbours, which
# ST_ClusterDBSCAN visits at ~50 ns each; the grid costs ~3 µs a point, and ~8 µs more for a
# point of a sparse cell. So the grid is used when the points' cells hold on average more
# than GRID_MIN + GRID_SPARSE x (the share of points in sparse cells) points.
GRID_MIN, GRID_SPARSE = 10, 25
CLUSTERS = f"""
    WITH pts AS MATERIALIZED (
        SELECT id, geom_m, floor(ST_X(geom_m) / %(cell)s)::integer AS cx,
               floor(ST_Y(geom_m) / %(cell)s)::integer AS cy
        FROM (SELECT id, ST_Transform(geom, %(srid)s) AS geom_m FROM ({PROPOSALS}) props) q),
    cells AS MATERIALIZED (SELECT cx, cy, count(*) AS n FROM pts GROUP BY cx, cy),
    gate AS MATERIALIZED (
        SELECT coalesce(sum(n * n)::float8 / sum(n) > %(grid_min)s + %(grid_sparse)s
                        * coalesce(sum(n) FILTER (WHERE n < %(cluster_min)s), 0) / sum(n),
                        false) AS grid
        FROM cells),
    -- the grid's way
    sparse AS MATERIALIZED (
        SELECT * FROM pts WHERE (SELECT grid FROM gate)
          AND (cx, cy) IN (SELECT cx, cy FROM cells WHERE n < %(cluster_min)s)),
    near AS MATERIALIZED (
        SELECT s.id, q.id AS other, q.cx AS other_cx, q.cy AS other_cy,
               ST_Distance(s.geom_m, q.geom_m) AS d
        FROM sparse s CROSS JOIN unnest(%(dx)s::integer[], %(dy)s::integer[]) o(dx, dy)
        JOIN pts q ON q.cx = s.cx + o.dx AND q.cy = s.cy + o.dy
        WHERE ST_DWithin(s.geom_m, q.geom_m, %(cluster_m)s)),
    sparse_core AS MATERIALIZED (
        SELECT id FROM near GROUP BY id HAVING count(*) >= %(cluster_min)s),
    labelled AS MATERIALIZED (
        SELECT cx, cy,
               ST_ClusterDBSCAN(geom_m, eps := %(cluster_m)s, minpoints := 1) OVER () AS c
        FROM (SELECT cx, cy, ST_Collect(geom_m) AS geom_m FROM pts
              WHERE (SELECT grid FROM gate) GROUP BY cx, cy HAVING count(*) >= %(cluster_min)s
              UNION ALL
              SELECT cx, cy, ST_Collect(geom_m) FROM sparse
              WHERE id IN (SELECT id FROM sparse_core) GROUP BY cx, cy) core_cells),
    -- the plain way
    plain AS (
        SELECT id, geom_m, ST_ClusterDBSCAN(geom_m, eps := %(cluster_m)s,
                                            minpoints := %(cluster_min)s) OVER () AS c
        FROM pts WHERE NOT (SELECT grid FROM gate)),
    members AS MATERIALIZED (
        SELECT p.id, p.geom_m, l.c FROM pts p JOIN labelled l USING (cx, cy)
        JOIN cells USING (cx, cy) WHERE cells.n >= %(cluster_min)s
        UNION ALL
        SELECT s.id, s.geom_m, l.c FROM sparse s JOIN labelled l USING (cx, cy)
        WHERE s.id IN (SELECT id FROM sparse_core)
        UNION ALL
        (SELECT DISTINCT ON (n.id) n.id, s.geom_m, l.c
         FROM near n JOIN sparse s ON s.id = n.id
         JOIN labelled l ON (l.cx, l.cy) = (n.other_cx, n.other_cy)
         WHERE n.id NOT IN (SELECT id FROM sparse_core)
           AND (n.other IN (SELECT id FROM sparse_core) OR n.other NOT IN (SELECT id FROM sparse))
         ORDER BY n.id, n.d, n.other)
        UNION ALL
        SELECT id, geom_m, c FROM plain WHERE c IS NOT NULL),
    acted AS (
        -- found through the proposals' index: the box around each intervention, in lon/lat
        -- (1 m wider, for the curvature of the box's edges once transformed)
        SELECT DISTINCT m.c FROM (
            SELECT ST_Transform(geom, %(srid)s) AS geom_m FROM ({INTERVENTIONS}) i) it
        JOIN proposals_proposal p
          ON p.geom && ST_Transform(ST_Expand(it.geom_m, %(action)s + 1), 4326)
         AND ST_DWithin(it.geom_m, ST_Transform(p.geom, %(srid)s), %(action)s)
        JOIN members m ON m.id = p.id)
    SELECT (row_number() OVER (ORDER BY min(id)) - 1)::integer AS cluster,
           count(*) AS proposals, array_agg(id ORDER BY id) AS ids,
           ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_MakePoint(avg(ST_X(geom_m)),
                                                             avg(ST_Y(geom_m))), %(srid)s),
                                     4326), 6) AS centre
    FROM members WHERE c NOT IN (SELECT c FROM acted)
    GROUP BY c ORDER BY cluster
"""


def demand_without_action(p: Params) -> dict:
    base = _base(p)
    with scratch_transaction():
        return _demand(p, base)


def _demand(p: Params, base: dict) -> dict:
    sites = _rows(
        f"""
        WITH ints AS ({INTERVENTIONS})
        SELECT s.id, s.name FROM sites_site s
        WHERE s.city_id = %(city)s AND s.moderation = 'accepted' AND s.hidden_at IS NULL
          AND s.condition = 'neglected'
          AND NOT EXISTS (SELECT 1 FROM ints WHERE ST_DWithin(
                ST_Transform(ints.geom, %(srid)s), ST_Transform(s.geom, %(srid)s), %(action)s))
        ORDER BY s.id
    """,
        base,
    )
    grid = {
        "cell": p.cluster_m * CELL_RATIO,
        "dx": [c[0] for c in NEAR_CELLS],
        "dy": [c[1] for c in NEAR_CELLS],
        "grid_min": GRID_MIN,
        "grid_sparse": GRID_SPARSE,
    }
    with connection.cursor() as cursor:  # hash joins, for this part of the analysis only (its
        # transaction is rolled back): the planner, blind to the CTEs' sizes, otherwise sorts
        # every point for merge joins
        cursor.execute("SELECT set_config('enable_mergejoin', 'off', true)")
    clusters = _rows(CLUSTERS, base | grid)
    return {
        "action_distance_m": p.action_m,
        "neglected_sites": sites,
        "proposal_clusters": clusters,
    }


@dataclass
class Analysis:
    coverage: dict = field(default_factory=dict)
    green: dict = field(default_factory=dict)
    demand: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The parts as one dict, sharing them (dataclasses.asdict deep-copied every value:
        1.1 s at 100,000 places, on top of a 2.3 s analysis). What the public sees of it is
        public_view's, applied when a stored result is shown."""
        return {"coverage": self.coverage, "green": self.green, "demand": self.demand}


def public_view(data: dict) -> dict:
    """What the public sees of an analysis (as a dict): no money per resident. A new dict
    sharing what it leaves as it is with `data` (a deep copy of 100,000 distances took
    0.5 s of every public request)."""
    zones = [
        {k: v for k, v in zone.items() if k != "amount_per_resident"}
        for zone in data["coverage"]["zones"]
    ]
    return {**data, "coverage": {**data["coverage"], "zones": zones}}


def analyse(p: Params) -> Analysis:
    """The whole analysis. In a city of CONCURRENT_PLACES places or more, run on its own (not
    inside a caller's transaction, whose uncommitted rows another connection could not see),
    its parts run on two connections at once, reading one snapshot of the data; otherwise one
    after the other."""
    if connection.in_atomic_block or places_count(p.city) < CONCURRENT_PLACES:
        with scratch_transaction():
            return Analysis(
                coverage=zone_coverage(p),
                green=green_infrastructure(p),
                demand=demand_without_action(p),
            )
    return _analyse_concurrently(p)


# PostgreSQL 15 runs some steps of the green part in one process (INSERT ... SELECT is never
# parallel, and the cells' array_agg has no parallel form), leaving the second core idle;
# coverage and demand run meanwhile on a connection of their own, in the same snapshot
# (exported and imported as pg_dump --jobs does), so both see exactly the same data.
# Measured: 0.2-0.3 s less at 100,000 places (of 2.6 s); 10-15 ms more in the demo cities
# (an analysis of 0.1 s, where opening the second connection costs more than it saves).
CONCURRENT_PLACES = 5_000


def places_count(city: City) -> int:
    """The city's proposals and sites, whatever their state (what sizes its analysis)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM proposals_proposal WHERE city_id = %s)"
            " + (SELECT count(*) FROM sites_site WHERE city_id = %s)",
            [city.pk, city.pk],
        )
        return cursor.fetchone()[0]


def _analyse_concurrently(p: Params) -> Analysis:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis") as pool:
            others = pool.submit(_in_snapshot, snapshot, _coverage_and_demand, p)
            green = green_infrastructure(p)
            done = others.result()
        if done is NO_CONNECTION:  # this transaction reads the same snapshot
            done = _coverage_and_demand(p)
    coverage, demand = done
    return Analysis(coverage=coverage, green=green, demand=demand)


def _coverage_and_demand(p: Params) -> tuple[dict, dict]:
    return zone_coverage(p), demand_without_action(p)


NO_CONNECTION = object()


def _open_connection() -> None:
    connection.ensure_connection()


def _in_snapshot(snapshot: str, work, *args):
    """Run work(*args) on this thread's own connection, in the exported snapshot (read-only
    use of the data; the scratch rows are rolled back), and close the connection. When no
    connection can be opened (the server's max_connections reached, say), NO_CONNECTION:
    the caller then does the work itself, after its own part."""
    if not SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    try:
        try:
            _open_connection()
        except OperationalError as e:
            logger.warning("analysis: no second connection (%s); one part after the other", e)
            return NO_CONNECTION
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return work(*args)
    finally:
        connection.close()
