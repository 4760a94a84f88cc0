"""wcs_unaccent(text): text without its accents, for CQL2's ACCENTI (geodata.cql).

It names the unaccent function and dictionary with the extension's schema, as wcs_fold
(0010) does, so it works whatever the connection's search_path holds: a managed
PostgreSQL may keep extensions in a schema of their own. Unlike wcs_fold it keeps the
case: ACCENTI compares without accents only."""

from django.db import migrations


def create_unaccent(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
        )
        schema = cursor.fetchone()[0]
    quoted = schema_editor.quote_name(schema)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION wcs_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT {quoted}.unaccent('{quoted}.unaccent'::regdictionary, $1) $$
        """
    )


def drop_unaccent(apps, schema_editor):
    schema_editor.execute("DROP FUNCTION IF EXISTS wcs_unaccent(text)")


class Migration(migrations.Migration):
    dependencies = [("mapapp", "0018_api_token_can_import")]

    operations = [migrations.RunPython(create_unaccent, drop_unaccent)]
