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

from django.db import connection

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


# The proposals in scope (public ones of the city, by call and period).
PROPOSALS = """
    SELECT p.id, p.geom, p.status, p.granted_amount, p.title
    FROM proposals_proposal p
    WHERE p.city_id = %(city)s AND p.geom IS NOT NULL AND p.status = ANY(%(public)s)
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
    zones = _rows(
        f"""
        WITH props AS ({PROPOSALS}), ints AS ({INTERVENTIONS}),
             zones AS ({LAYER_FEATURES} AND l.kind = ANY(%(zone_kinds)s))
        SELECT z.id, z.name, z.kind, z.population,
               (SELECT count(*) FROM props WHERE ST_Covers(z.geom, props.geom)) AS proposals,
               (SELECT count(*) FROM props WHERE ST_Covers(z.geom, props.geom)
                  AND props.status = ANY(%(granted)s)) AS granted,
               (SELECT coalesce(sum(granted_amount), 0) FROM props
                  WHERE ST_Covers(z.geom, props.geom) AND props.status = ANY(%(granted)s))
                  AS granted_amount,
               (SELECT count(*) FROM ints WHERE ST_Covers(z.geom, ints.geom)) AS interventions
        FROM zones z ORDER BY z.kind, z.name, z.id
    """,
        _base(p),
    )
    for zone in zones:
        zone["granted_amount"] = float(zone["granted_amount"])
        zone["amount_per_resident"] = (
            round(zone["granted_amount"] / zone["population"], 2) if zone["population"] else None
        )
    totals = _rows(
        f"""
        WITH props AS ({PROPOSALS}),
             zones AS ({LAYER_FEATURES} AND l.kind = ANY(%(zone_kinds)s)),
             located AS (
                SELECT props.*,
                       EXISTS (SELECT 1 FROM zones
                               WHERE ST_Covers(zones.geom, props.geom)) AS inside
                FROM props)
        SELECT count(*) AS proposals,
               count(*) FILTER (WHERE inside) AS proposals_inside,
               coalesce(sum(granted_amount) FILTER (WHERE status = ANY(%(granted)s)), 0) AS money,
               coalesce(sum(granted_amount) FILTER (WHERE inside AND status = ANY(%(granted)s)), 0)
                 AS money_inside
        FROM located
    """,
        _base(p),
    )[0]
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
    distances = _rows(
        f"""
        WITH {green_cte},
        places AS (
            SELECT 'proposal' AS type, id, title AS name, ST_Transform(geom, %(srid)s) AS geom_m
              FROM ({PROPOSALS}) pr
            UNION ALL
            SELECT 'site', s.id, s.name, ST_Transform(s.geom, %(srid)s)
              FROM sites_site s WHERE s.city_id = %(city)s AND s.moderation = 'accepted'
            UNION ALL
            SELECT 'intervention', id, title, ST_Transform(geom, %(srid)s)
              FROM ({INTERVENTIONS}) it)
        SELECT places.type, places.id, places.name,
               (SELECT min(ST_Distance(places.geom_m, green.geom_m)) FROM green) AS to_green_m,
               (SELECT min(ST_Distance(places.geom_m, water.geom_m)) FROM water) AS to_water_m
        FROM places ORDER BY places.type, places.id
    """,
        base,
    )
    deficit = _rows(
        f"""
        WITH {green_cte},
        city AS (SELECT ST_Transform(boundary, %(srid)s) AS geom_m FROM mapapp_city
                 WHERE id = %(city)s),
        reach AS (SELECT ST_Union(ST_Buffer(geom_m, %(deficit)s)) AS geom_m FROM green),
        deficit AS (
            SELECT CASE WHEN reach.geom_m IS NULL THEN city.geom_m
                        ELSE ST_Difference(city.geom_m, reach.geom_m) END AS geom_m,
                   ST_Area(city.geom_m) AS city_m2
            FROM city, reach)
        SELECT ST_Area(geom_m) AS area_m2, city_m2,
               ST_AsGeoJSON(ST_Transform(geom_m, 4326), 6) AS geojson
        FROM deficit
    """,
        base,
    )[0]
    per_district = _rows(
        f"""
        WITH {green_cte},
        reach AS (SELECT ST_Union(ST_Buffer(geom_m, %(deficit)s)) AS geom_m FROM green),
        districts AS (SELECT d.id, d.name, d.population, ST_Transform(d.geom, %(srid)s) AS geom_m
                      FROM ({LAYER_FEATURES} AND l.kind = 'district') d)
        SELECT d.id, d.name, d.population, ST_Area(d.geom_m) AS area_m2,
               ST_Area(CASE WHEN reach.geom_m IS NULL THEN d.geom_m
                            ELSE ST_Difference(d.geom_m, reach.geom_m) END) AS deficit_m2
        FROM districts d, reach ORDER BY d.name, d.id
    """,
        base,
    )
    for row in per_district:
        row["deficit_share"] = row["deficit_m2"] / row["area_m2"] if row["area_m2"] else None
    inside = _rows(
        f"""
        WITH {green_cte},
        reach AS (SELECT ST_Union(ST_Buffer(geom_m, %(deficit)s)) AS geom_m FROM green)
        SELECT 'proposal' AS type, pr.id FROM ({PROPOSALS}) pr, reach
            WHERE reach.geom_m IS NULL
             OR NOT ST_Intersects(reach.geom_m, ST_Transform(pr.geom, %(srid)s))
        UNION ALL
        SELECT 'site', s.id FROM sites_site s, reach
          WHERE s.city_id = %(city)s AND s.moderation = 'accepted' AND s.condition = 'neglected'
            AND (reach.geom_m IS NULL
                 OR NOT ST_Intersects(reach.geom_m, ST_Transform(s.geom, %(srid)s)))
        ORDER BY 1, 2
    """,
        base,
    )
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
        WHERE s.city_id = %(city)s AND s.moderation = 'accepted' AND s.condition = 'neglected'
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
