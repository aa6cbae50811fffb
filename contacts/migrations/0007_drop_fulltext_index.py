"""Drop the full-text (tsvector) indexes on search_text.

Measured on 200,000 contacts: every contact a whole-phrase full-text match found was also
found by the word-by-word substring match on the trigram index, while OR-ing the two made a
search for a common word (a city) four times slower, the index rechecking the tsvector of
every candidate row; and each index slowed every insert (imports). Search now uses the
trigram index alone: substrings first, word similarity for typos.
"""

from django.db import migrations

TABLES = ["contacts_person", "contacts_organisation"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_fts")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_fts ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, search_text))"
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_name_text_index")]
    operations = [migrations.RunPython(forwards, backwards)]
