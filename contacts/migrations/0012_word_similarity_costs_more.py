"""Tell PostgreSQL's planner that pg_trgm's word-similarity test costs what it does.

With its default cost, a misspelt search ("Martinz") in three offices of 200,000 contacts
walked all 55,000 people of the offices and computed the word similarity of each (200 ms),
rather than reading the 3,800 candidates the trigram index on the name text gives (17 ms).
As for LIKE (0009), raising the function's cost makes the planner prefer the index. It
needs the superuser or the extension's owner; elsewhere the migration says so and search
stays correct, only slower on common names. The setting lives in this database's catalogue:
pg_dump keeps neither this nor LIKE's: the README ("Contacts") gives the statements to run
after restoring into a new cluster.
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

COST = 100
FUNCTIONS = ["word_similarity_op(text, text)", "word_similarity_commutator_op(text, text)"]


def _set(schema_editor, cost: int, quiet: bool = False) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            for function in FUNCTIONS:
                schema_editor.execute(f"ALTER FUNCTION {function} COST {cost}")
    except DatabaseError as error:
        if not quiet:
            print(f"\n  Left word similarity's planner cost as it is ({error}).")


def forwards(apps, schema_editor):
    _set(schema_editor, COST)


def backwards(apps, schema_editor):
    _set(schema_editor, 1, quiet=True)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0011_backfill_newsletter_consent")]
    operations = [migrations.RunPython(forwards, backwards)]
