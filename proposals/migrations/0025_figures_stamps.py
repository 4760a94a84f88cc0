"""Change counters (geodata_changestamp, migration geodata 0006) for the tables the public
figures count besides the proposals: the calls, which have a city_id and take the same
trigger, and the expenses and work days, which reach their city through their proposal (a
proposal's expenses are deleted before it, so it is still there to ask). The figures' cache
key is then one read of four counters by primary key (proposals.selectors.public_figures)."""

from django.db import migrations

CHILD_FUNCTION = """
CREATE FUNCTION proposals_bump_child_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE geodata_changestamp SET n = n + 1 WHERE table_name = TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT p.city_id, TG_TABLE_NAME, 1
        FROM new_rows r JOIN proposals_proposal p ON p.id = r.proposal_id ORDER BY p.city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT p.city_id, TG_TABLE_NAME, 1
        FROM (SELECT proposal_id FROM new_rows UNION SELECT proposal_id FROM old_rows) r
        JOIN proposals_proposal p ON p.id = r.proposal_id ORDER BY p.city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    ELSE
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT p.city_id, TG_TABLE_NAME, 1
        FROM old_rows r JOIN proposals_proposal p ON p.id = r.proposal_id ORDER BY p.city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER {t}_stamp_insert AFTER INSERT ON {t}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {f}();
CREATE TRIGGER {t}_stamp_update AFTER UPDATE ON {t}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {f}();
CREATE TRIGGER {t}_stamp_delete AFTER DELETE ON {t}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {f}();
CREATE TRIGGER {t}_stamp_truncate AFTER TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION {f}();
"""

STAMPED = (
    ("proposals_grantcall", "geodata_bump_stamp"),
    ("proposals_expense", "proposals_bump_child_stamp"),
    ("proposals_workday", "proposals_bump_child_stamp"),
)

FORWARD = CHILD_FUNCTION + "".join(TRIGGERS.format(t=t, f=f) for t, f in STAMPED)
BACKWARD = (
    "".join(
        f"DROP TRIGGER {t}_stamp_{op} ON {t};"
        for t, _f in STAMPED
        for op in ("insert", "update", "delete", "truncate")
    )
    + "DROP FUNCTION proposals_bump_child_stamp();"
)


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0024_eligible_at"),
        ("geodata", "0006_change_stamps"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
