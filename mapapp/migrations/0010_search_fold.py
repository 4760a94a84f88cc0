"""wcs_fold(text): text as a search compares it, without accents and in capitals
(mapapp.filters.Fold). The trigram indexes of proposals and sites are built on it.

It names the unaccent dictionary with its schema, found here: an index expression is also
evaluated by autovacuum and by pg_restore, which run with a search_path that may not hold
the extension. Declared IMMUTABLE (unaccent itself is STABLE only because its dictionary
could be edited; ours never is), which PostgreSQL requires of an index expression."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


def create_fold(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
        )
        schema = cursor.fetchone()[0]
    quoted = schema_editor.quote_name(schema)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION wcs_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT pg_catalog.upper({quoted}.unaccent('{quoted}.unaccent'::regdictionary, $1)) $$
        """
    )


def drop_fold(apps, schema_editor):
    schema_editor.execute("DROP FUNCTION IF EXISTS wcs_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("mapapp", "0009_job_run")]

    operations = [
        # trusted since PostgreSQL 13: the database's owner may create it
        UnaccentExtension(),
        migrations.RunPython(create_fold, drop_fold),
    ]
