"""A change counter per city and table, kept by triggers, for ETags and tile stamps.

Before this, a stamp was the latest updated_at and the row count of the city's rows: about
100 ms over 1,000,000 proposals, paid every DATA_STAMP_SECONDS by every worker (the p95 of
low-zoom tiles), blind to writes that do not touch updated_at (queryset.update()), and able
to miss a transaction that commits after a later one. A counter bumped by each writing
statement, in the writer's transaction, has none of these faults: a reader sees it move
exactly when the rows it counts become visible, and reads it by primary key.

Statement-level triggers with transition tables bump each city a statement touched once
(a bulk import of 100,000 rows is one bump). The counter row is locked until the writer
commits, so concurrent writers of one city queue on it at commit time; writes here are
people's submissions and supports (a few per second at most), which is far below that cost.
"""

from django.db import migrations

TABLES = ("proposals_proposal", "sites_site", "sites_intervention")

FUNCTION = """
CREATE TABLE geodata_changestamp (
    city_id bigint NOT NULL,  -- no foreign key: Django's flush truncates only its own tables
    table_name text NOT NULL,
    n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (city_id, table_name)
);

CREATE FUNCTION geodata_bump_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE geodata_changestamp SET n = n + 1 WHERE table_name = TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT city_id, TG_TABLE_NAME, 1 FROM new_rows ORDER BY city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT city_id, TG_TABLE_NAME, 1
        FROM (SELECT city_id FROM new_rows UNION SELECT city_id FROM old_rows) c ORDER BY city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    ELSE
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT city_id, TG_TABLE_NAME, 1 FROM old_rows ORDER BY city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER {t}_stamp_insert AFTER INSERT ON {t}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
CREATE TRIGGER {t}_stamp_update AFTER UPDATE ON {t}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
CREATE TRIGGER {t}_stamp_delete AFTER DELETE ON {t}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
CREATE TRIGGER {t}_stamp_truncate AFTER TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
"""

FORWARD = FUNCTION + "".join(TRIGGERS.format(t=t) for t in TABLES)
BACKWARD = (
    "".join(
        f"DROP TRIGGER {t}_stamp_insert ON {t}; DROP TRIGGER {t}_stamp_update ON {t}; "
        f"DROP TRIGGER {t}_stamp_delete ON {t}; DROP TRIGGER {t}_stamp_truncate ON {t};"
        for t in TABLES
    )
    + "DROP FUNCTION geodata_bump_stamp(); DROP TABLE geodata_changestamp;"
)


class Migration(migrations.Migration):
    dependencies = [
        ("geodata", "0005_analysis_targets"),
        ("proposals", "0006_flags"),
        ("sites", "0003_flags"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
