"""A scratch table for the zone coverage, like those of migration 0005.

The revitalisation zones, cut into pieces (ST_Subdivide), go into it inside the analysis's own
transaction, which is rolled back. From an ordinary table (not a CTE, not a temporary table)
PostgreSQL's parallel workers can share the pieces between them, each finding its pieces'
proposals through the proposals' GiST index: at 1,000,000 proposals and 1,000 zones, 4.9
million point-in-zone tests on both cores instead of one.

geodata_in_zone(place) answers exactly whether a place lies in (or on the edge of) any zone;
the coverage asks it only for the few places within a centimetre of the dissolved zones' edge,
where the dissolved outline (noded by ST_Union) may differ from the zones' own edges by a
rounding error. It is PARALLEL SAFE, so workers can ask it too.
"""

from django.db import migrations

FORWARD = """
CREATE UNLOGGED TABLE geodata_analysis_zone (
    zone_id bigint NOT NULL, n_pieces integer NOT NULL, geom geometry NOT NULL);

CREATE FUNCTION geodata_in_zone(place geometry) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE COST 1000 AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM geodata_analysis_zone z
                   WHERE z.geom && place AND ST_Intersects(z.geom, place));
END $$;
"""

BACKWARD = """
DROP FUNCTION geodata_in_zone(geometry);
DROP TABLE geodata_analysis_zone;
"""


class Migration(migrations.Migration):
    dependencies = [("geodata", "0006_change_stamps")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
