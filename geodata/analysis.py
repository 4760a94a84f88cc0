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

from dataclasses import asdict, dataclass, field
from datetime import date

from django.db import connection, transaction

from geodata.models import Layer
from mapapp.models import City

GRANTED = ("granted", "agreement_signed", "in_progress", "completed", "sustainability", "closed")
PUBLIC = ("collecting_support", "submitted", "ineligible", "in_assessment", "rejected", *GRANTED)
GREEN_CATEGORIES = ("community_garden", "greenery", "rain_garden")


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
PROPOSALS = """
    SELECT p.id, p.geom, p.status, p.granted_amount, p.title
    FROM proposals_proposal p
    WHERE p.city_id = %(city)s AND p.geom IS NOT NULL AND p.status = ANY(%(public)s)
      AND p.hidden_at IS NULL
      AND (%(call)s::bigint IS NULL OR p.grant_call_id = %(call)s)
      AND (%(date_from)s::date IS NULL OR p.created_at::date >= %(date_from)s)
      AND (%(date_to)s::date IS NULL OR p.created_at::date <= %(date_to)s)
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


def zone_coverage(p: Params) -> dict:
    # Driven from the zones' side: zones are cut into small pieces (ST_Subdivide) and each
    # piece finds its points through the proposals' GiST index; a point on the seam of two
    # pieces is counted once (DISTINCT).
    zone_sql = f"""
        WITH zones AS ({LAYER_FEATURES} AND l.kind = ANY(%(zone_kinds)s)),
        pieces AS (SELECT id AS zone_id, ST_Subdivide(geom, 128) AS geom FROM zones),
        prop_hits AS (
            SELECT DISTINCT pieces.zone_id, pr.id, pr.status, pr.granted_amount
            FROM pieces JOIN proposals_proposal pr ON ST_Covers(pieces.geom, pr.geom)
            WHERE pr.id IN (SELECT id FROM ({PROPOSALS}) scope)),
        int_hits AS (
            SELECT DISTINCT pieces.zone_id, it.id
            FROM pieces JOIN sites_intervention it ON ST_Covers(pieces.geom, it.geom)
            WHERE it.id IN (SELECT id FROM ({INTERVENTIONS}) scope))
    """
    # One statement, so the join above runs once: zone rows, each carrying the totals (a
    # city without zones still gets one row of totals).
    rows = _rows(
        zone_sql
        + f"""
        , per_zone AS (
            SELECT zone_id, count(*) AS proposals,
                   count(*) FILTER (WHERE status = ANY(%(granted)s)) AS granted,
                   coalesce(sum(granted_amount) FILTER (WHERE status = ANY(%(granted)s)), 0)
                     AS granted_amount
            FROM prop_hits GROUP BY zone_id),
        ints_per_zone AS (SELECT zone_id, count(*) AS interventions FROM int_hits GROUP BY zone_id),
        inside AS (SELECT DISTINCT id, status, granted_amount FROM prop_hits),
        scope AS ({PROPOSALS}),
        totals AS (
            SELECT (SELECT count(*) FROM scope) AS t_proposals,
                   (SELECT count(*) FROM inside) AS t_inside,
                   (SELECT coalesce(sum(granted_amount), 0) FROM scope
                     WHERE status = ANY(%(granted)s)) AS t_money,
                   (SELECT coalesce(sum(granted_amount), 0) FROM inside
                     WHERE status = ANY(%(granted)s)) AS t_money_inside),
        zone_rows AS (
            SELECT z.id, z.name, z.kind, z.population,
                   coalesce(pz.proposals, 0) AS proposals, coalesce(pz.granted, 0) AS granted,
                   coalesce(pz.granted_amount, 0) AS granted_amount,
                   coalesce(iz.interventions, 0) AS interventions
            FROM zones z
            LEFT JOIN per_zone pz ON pz.zone_id = z.id
            LEFT JOIN ints_per_zone iz ON iz.zone_id = z.id)
        SELECT zone_rows.*, totals.* FROM totals LEFT JOIN zone_rows ON true
        ORDER BY zone_rows.kind, zone_rows.name, zone_rows.id
    """,
        _base(p),
    )
    totals = {k: rows[0][f"t_{k}"] for k in ("proposals", "inside", "money", "money_inside")}
    totals["proposals_inside"] = totals.pop("inside")
    zones = [
        {k: v for k, v in r.items() if not k.startswith("t_")} for r in rows if r["id"] is not None
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


def green_infrastructure(p: Params) -> dict:
    base = _base(p)
    green_cte = f"""
        green AS (
            SELECT g.id, ST_Transform(g.geom, %(srid)s) AS geom_m
            FROM ({LAYER_FEATURES} AND l.kind = ANY(%(green_kinds)s)) g
            WHERE ST_Area(ST_Transform(g.geom, %(srid)s)) >= %(min_green)s),
        water AS (
            SELECT ST_Transform(w.geom, %(srid)s) AS geom_m
            FROM ({LAYER_FEATURES} AND l.kind = ANY(%(water_kinds)s)) w)
    """
    # The public green areas large enough, and the water, in the metric CRS in temporary
    # tables with their own GiST index: each place then finds its exact nearest by KNN
    # (<-> on geometry rechecks the true distance), in metres, without scanning them all.
    green_ids = [r["id"] for r in _rows(f"WITH {green_cte} SELECT id FROM green", base)]
    water_layers = list(
        Layer.objects.filter(city=p.city, is_current=True, kind__in=Layer.WATER_KINDS).values_list(
            "id", flat=True
        )
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for table, where, value in (
            ("wcs_green_m", "f.id = ANY(%(ids)s)", green_ids),
            ("wcs_water_m", "f.layer_id = ANY(%(ids)s)", water_layers),
        ):
            # dropped here too: inside an outer transaction ON COMMIT comes too late
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TEMP TABLE {table} ON COMMIT DROP AS "
                f"SELECT ST_Transform(f.geom, %(srid)s) AS geom_m FROM geodata_feature f "
                f"WHERE {where}",
                {"srid": p.city.metric_srid, "ids": value},
            )
            cursor.execute(f"CREATE INDEX ON {table} USING gist (geom_m)")
            cursor.execute(f"ANALYZE {table}")
        distances = _rows(
            f"""
            WITH places AS (
                SELECT 'proposal' AS type, id, title AS name,
                       ST_Transform(geom, %(srid)s) AS geom_m FROM ({PROPOSALS}) pr
                UNION ALL
                SELECT 'site', s.id, s.name, ST_Transform(s.geom, %(srid)s)
                  FROM sites_site s WHERE s.city_id = %(city)s AND s.moderation = 'accepted'
                   AND s.hidden_at IS NULL
                UNION ALL
                SELECT 'intervention', id, title, ST_Transform(geom, %(srid)s)
                  FROM ({INTERVENTIONS}) it)
            SELECT places.type, places.id, places.name,
                   (SELECT ST_Distance(g.geom_m, places.geom_m) FROM wcs_green_m g
                    ORDER BY g.geom_m <-> places.geom_m LIMIT 1) AS to_green_m,
                   (SELECT ST_Distance(w.geom_m, places.geom_m) FROM wcs_water_m w
                    ORDER BY w.geom_m <-> places.geom_m LIMIT 1) AS to_water_m
            FROM places ORDER BY places.type, places.id
        """,
            base,
        )
        # The reach of green (all within the deficit distance of it), unioned once, kept
        # whole for areas and cut into small indexed pieces for the point tests.
        cursor.execute("DROP TABLE IF EXISTS wcs_reach_m, wcs_reach_pieces")
        cursor.execute(
            "CREATE TEMP TABLE wcs_reach_m ON COMMIT DROP AS "
            "SELECT ST_Union(ST_Buffer(geom_m, %(deficit)s)) AS geom_m FROM wcs_green_m",
            base,
        )
        cursor.execute(
            "CREATE TEMP TABLE wcs_reach_pieces ON COMMIT DROP AS "
            "SELECT ST_Subdivide(geom_m, 128) AS geom_m FROM wcs_reach_m WHERE geom_m IS NOT NULL"
        )
        cursor.execute("CREATE INDEX ON wcs_reach_pieces USING gist (geom_m)")
        cursor.execute("ANALYZE wcs_reach_pieces")
        deficit = _rows(
            """
            WITH city AS (SELECT ST_Transform(boundary, %(srid)s) AS geom_m FROM mapapp_city
                          WHERE id = %(city)s)
            SELECT ST_Area(d.geom_m) AS area_m2, ST_Area(city.geom_m) AS city_m2,
                   ST_AsGeoJSON(ST_Transform(d.geom_m, 4326), 6) AS geojson
            FROM city, wcs_reach_m reach,
                 LATERAL (SELECT CASE WHEN reach.geom_m IS NULL THEN city.geom_m
                                 ELSE ST_Difference(city.geom_m, reach.geom_m) END AS geom_m) d
        """,
            base,
        )[0]
        per_district = _rows(
            f"""
            WITH districts AS (
                SELECT d.id, d.name, d.population, ST_Transform(d.geom, %(srid)s) AS geom_m
                FROM ({LAYER_FEATURES} AND l.kind = 'district') d)
            SELECT d.id, d.name, d.population, ST_Area(d.geom_m) AS area_m2,
                   ST_Area(CASE WHEN reach.geom_m IS NULL THEN d.geom_m
                                ELSE ST_Difference(d.geom_m, reach.geom_m) END) AS deficit_m2
            FROM districts d, wcs_reach_m reach ORDER BY d.name, d.id
        """,
            base,
        )
        # What lies in the deficit: points tested against the small pieces of the reach.
        inside = _rows(
            f"""
            WITH points AS (
                SELECT 'proposal' AS type, pr.id, ST_Transform(pr.geom, %(srid)s) AS geom_m
                  FROM ({PROPOSALS}) pr
                UNION ALL
                SELECT 'site', s.id, ST_Transform(s.geom, %(srid)s) FROM sites_site s
                 WHERE s.city_id = %(city)s AND s.moderation = 'accepted' AND s.hidden_at IS NULL
                   AND s.condition = 'neglected')
            SELECT points.type, points.id FROM points
            WHERE NOT EXISTS (SELECT 1 FROM wcs_reach_pieces pieces
                              WHERE ST_Intersects(pieces.geom_m, points.geom_m))
            ORDER BY 1, 2
        """,
            base,
        )
        cursor.execute("DROP TABLE wcs_green_m, wcs_water_m, wcs_reach_m, wcs_reach_pieces")
    for row in per_district:
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
        "deficit_area_m2": deficit["area_m2"],
        "deficit_share": deficit["area_m2"] / deficit["city_m2"] if deficit["city_m2"] else None,
        "deficit_geojson": deficit["geojson"],
        "districts": per_district,
        "proposals_in_deficit": [r["id"] for r in inside if r["type"] == "proposal"],
        "neglected_sites_in_deficit": [r["id"] for r in inside if r["type"] == "site"],
        "green_added_by_interventions_m2": float(added),
    }


def demand_without_action(p: Params) -> dict:
    base = _base(p)
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
    clusters = _rows(
        f"""
        WITH props AS ({PROPOSALS}), ints AS ({INTERVENTIONS}),
        clustered AS (
            SELECT id, ST_Transform(geom, %(srid)s) AS geom_m,
                   ST_ClusterDBSCAN(ST_Transform(geom, %(srid)s), eps := %(cluster_m)s,
                                    minpoints := %(cluster_min)s) OVER () AS cluster
            FROM props)
        SELECT cluster, count(*) AS proposals, array_agg(id ORDER BY id) AS ids,
               ST_AsGeoJSON(ST_Transform(ST_Centroid(ST_Collect(geom_m)), 4326), 6) AS centre
        FROM clustered c
        WHERE cluster IS NOT NULL
        GROUP BY cluster
        HAVING NOT EXISTS (SELECT 1 FROM ints WHERE ST_DWithin(ST_Transform(ints.geom, %(srid)s),
                                                               ST_Collect(c.geom_m), %(action)s))
        ORDER BY cluster
    """,
        base,
    )
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

    def as_dict(self, *, public: bool) -> dict:
        data = asdict(self)
        if public:  # the public sees no money per person (and no money per zone)
            for zone in data["coverage"]["zones"]:
                zone.pop("amount_per_resident", None)
        return data


def analyse(p: Params) -> Analysis:
    return Analysis(
        coverage=zone_coverage(p), green=green_infrastructure(p), demand=demand_without_action(p)
    )
