"""Stored analyses (AnalysisResult), and change counters for the reference layers.

A stored analysis is fresh while the data it was computed from are unchanged: the city's
proposals, sites and interventions (counted by the triggers of migration 0006) and now also
its layers and their features. geodata_layer has a city_id and takes the same trigger;
geodata_feature reaches its city through its layer (a feature is deleted before its layer, so
the layer is still there to ask).
"""

import django.core.serializers.json
import django.db.models.deletion
from django.db import migrations, models


LAYER_TRIGGERS = """
CREATE TRIGGER geodata_layer_stamp_insert AFTER INSERT ON geodata_layer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
CREATE TRIGGER geodata_layer_stamp_update AFTER UPDATE ON geodata_layer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
CREATE TRIGGER geodata_layer_stamp_delete AFTER DELETE ON geodata_layer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();
CREATE TRIGGER geodata_layer_stamp_truncate AFTER TRUNCATE ON geodata_layer
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_stamp();

CREATE FUNCTION geodata_bump_feature_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE geodata_changestamp SET n = n + 1 WHERE table_name = TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT l.city_id, TG_TABLE_NAME, 1
        FROM new_rows f JOIN geodata_layer l ON l.id = f.layer_id ORDER BY l.city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT l.city_id, TG_TABLE_NAME, 1
        FROM (SELECT layer_id FROM new_rows UNION SELECT layer_id FROM old_rows) f
        JOIN geodata_layer l ON l.id = f.layer_id ORDER BY l.city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    ELSE
        INSERT INTO geodata_changestamp AS s (city_id, table_name, n)
        SELECT DISTINCT l.city_id, TG_TABLE_NAME, 1
        FROM old_rows f JOIN geodata_layer l ON l.id = f.layer_id ORDER BY l.city_id
        ON CONFLICT (city_id, table_name) DO UPDATE SET n = s.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER geodata_feature_stamp_insert AFTER INSERT ON geodata_feature
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_feature_stamp();
CREATE TRIGGER geodata_feature_stamp_update AFTER UPDATE ON geodata_feature
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_feature_stamp();
CREATE TRIGGER geodata_feature_stamp_delete AFTER DELETE ON geodata_feature
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_feature_stamp();
CREATE TRIGGER geodata_feature_stamp_truncate AFTER TRUNCATE ON geodata_feature
    FOR EACH STATEMENT EXECUTE FUNCTION geodata_bump_feature_stamp();
"""

DROP_LAYER_TRIGGERS = (
    "".join(
        f"DROP TRIGGER {t}_stamp_{op} ON {t};"
        for t in ("geodata_layer", "geodata_feature")
        for op in ("insert", "update", "delete", "truncate")
    )
    + "DROP FUNCTION geodata_bump_feature_stamp();"
)


class Migration(migrations.Migration):
    dependencies = [
        ("geodata", "0007_analysis_zones"),
        ("mapapp", "0004_audit_append_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnalysisResult",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=64)),
                ("params", models.JSONField(default=dict)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=16,
                    ),
                ),
                (
                    "data",
                    models.JSONField(
                        blank=True,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        null=True,
                    ),
                ),
                ("stamp", models.CharField(blank=True, max_length=200)),
                ("tried_stamp", models.CharField(blank=True, max_length=200)),
                ("error", models.TextField(blank=True)),
                ("requested_at", models.DateTimeField(blank=True, null=True)),
                ("computed_at", models.DateTimeField(blank=True, null=True)),
                ("seconds", models.FloatField(blank=True, null=True)),
                (
                    "city",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="analyses",
                        to="mapapp.city",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("city", "key"), name="geodata_analysis_city_key"
                    )
                ],
            },
        ),
        migrations.RunSQL(LAYER_TRIGGERS, DROP_LAYER_TRIGGERS),
    ]
