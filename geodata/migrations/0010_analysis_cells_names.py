"""The cells of places carry their names and flags, and answer by position.

geodata_cell_distances(pts, with_water) returns each place's position in its cell with its
distances, so the analysis reads names, kinds and ids from the cell's own arrays instead of
scanning the places a second time to join them back (0.15-0.2 s at 100,000 places); water is
not searched when the city has none.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE geodata_analysis_cell ADD COLUMN names text[], ADD COLUMN neglected boolean[];
DROP FUNCTION geodata_cell_distances(smallint[], bigint[], geometry);

CREATE FUNCTION geodata_cell_distances(pts geometry, with_water boolean)
RETURNS TABLE (i integer, to_green double precision, to_water double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 20 COST 10000 AS $$
DECLARE
    b box2d := Box2D(pts);
    c geometry := ST_MakePoint((ST_XMin(b) + ST_XMax(b)) / 2, (ST_YMin(b) + ST_YMax(b)) / 2);
    h double precision := sqrt((ST_XMax(b) - ST_XMin(b)) ^ 2 + (ST_YMax(b) - ST_YMin(b)) ^ 2) / 2;
    d0 double precision;
    green geometry;
    water geometry;
BEGIN
    SELECT ST_Distance(t.geom, c) INTO d0 FROM geodata_analysis_green t
    ORDER BY t.geom <-> c LIMIT 1;
    IF d0 IS NOT NULL THEN
        SELECT ST_Collect(t.geom) INTO green FROM geodata_analysis_green t
        WHERE ST_DWithin(t.geom, c, d0 + 2 * h + 1e-6);
    END IF;
    IF with_water THEN
        d0 := NULL;
        SELECT ST_Distance(t.geom, c) INTO d0 FROM geodata_analysis_water t
        ORDER BY t.geom <-> c LIMIT 1;
        IF d0 IS NOT NULL THEN
            SELECT ST_Collect(t.geom) INTO water FROM geodata_analysis_water t
            WHERE ST_DWithin(t.geom, c, d0 + 2 * h + 1e-6);
        END IF;
    END IF;
    RETURN QUERY
        SELECT d.path[1], ST_Distance(green, d.geom), ST_Distance(water, d.geom)
        FROM ST_Dump(pts) d;
END $$;
"""

BACKWARD = """
DROP FUNCTION geodata_cell_distances(geometry, boolean);
ALTER TABLE geodata_analysis_cell DROP COLUMN names, DROP COLUMN neglected;

CREATE FUNCTION geodata_cell_distances(kinds smallint[], ids bigint[], pts geometry)
RETURNS TABLE (kind smallint, id bigint, to_green double precision, to_water double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 20 COST 10000 AS $b$
DECLARE
    b box2d := Box2D(pts);
    c geometry := ST_MakePoint((ST_XMin(b) + ST_XMax(b)) / 2, (ST_YMin(b) + ST_YMax(b)) / 2);
    h double precision := sqrt((ST_XMax(b) - ST_XMin(b)) ^ 2 + (ST_YMax(b) - ST_YMin(b)) ^ 2) / 2;
    d0 double precision;
    green geometry;
    water geometry;
BEGIN
    SELECT ST_Distance(t.geom, c) INTO d0 FROM geodata_analysis_green t
    ORDER BY t.geom <-> c LIMIT 1;
    IF d0 IS NOT NULL THEN
        SELECT ST_Collect(t.geom) INTO green FROM geodata_analysis_green t
        WHERE ST_DWithin(t.geom, c, d0 + 2 * h + 1e-6);
    END IF;
    d0 := NULL;
    SELECT ST_Distance(t.geom, c) INTO d0 FROM geodata_analysis_water t
    ORDER BY t.geom <-> c LIMIT 1;
    IF d0 IS NOT NULL THEN
        SELECT ST_Collect(t.geom) INTO water FROM geodata_analysis_water t
        WHERE ST_DWithin(t.geom, c, d0 + 2 * h + 1e-6);
    END IF;
    RETURN QUERY
        SELECT kinds[d.path[1]], ids[d.path[1]], ST_Distance(green, d.geom),
               ST_Distance(water, d.geom)
        FROM ST_Dump(pts) d;
END $b$;
"""


class Migration(migrations.Migration):
    dependencies = [("geodata", "0009_analysis_cells")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
