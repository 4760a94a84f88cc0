"""The reach of green (everything within the deficit distance of it) unioned by parts.

ST_Union of the buffers of thousands of green areas ends in one GEOS cascaded union in one
process (0.3 s for 6,500 areas), even when workers make the buffers. The green areas now
carry a part (strips of equal count across the city, numbered when they are written into the
scratch table) and one area of each part is its lead; geodata_green_reach_part(part, d)
unions one part's buffers, and being PARALLEL SAFE, the parts are shared out between workers
by a scan of the leads. The leader then unions the few parts.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE geodata_analysis_green
    ADD COLUMN part smallint NOT NULL DEFAULT 0, ADD COLUMN lead boolean NOT NULL DEFAULT false;

CREATE FUNCTION geodata_green_reach_part(which smallint, distance double precision)
RETURNS geometry LANGUAGE sql STABLE PARALLEL SAFE COST 100000 AS $$
    SELECT ST_Union(ST_Buffer(geom, distance)) FROM geodata_analysis_green WHERE part = which
$$;
"""

BACKWARD = """
DROP FUNCTION geodata_green_reach_part(smallint, double precision);
ALTER TABLE geodata_analysis_green DROP COLUMN part, DROP COLUMN lead;
"""


class Migration(migrations.Migration):
    dependencies = [("geodata", "0010_analysis_cells_names")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
