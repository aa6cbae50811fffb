"""PostgreSQL search indexes: trigram (typos, substrings) and full text on search_text.

They are PostgreSQL features, so this migration does nothing on SQLite (`make run`
without DATABASE_URL), where search falls back to plain substring matching.
"""

from django.db import migrations

TABLES = ["contacts_person", "contacts_organisation"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} "
            f"USING gin (search_text gin_trgm_ops)"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_fts ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, search_text))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_fts")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
