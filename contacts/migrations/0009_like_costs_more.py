"""Tell PostgreSQL's planner that LIKE costs what it does on a long search text.

With the default cost (that of an integer comparison), counting the people of three
offices whose search text contains "toulouse" walked all 55,000 of them through the
office index and tested each (45-90 ms on 200,000 contacts), rather than reading the 6,000
candidates the trigram index gives (15-20 ms). Raising the cost of textlike() (the LIKE
operator on text) makes the planner prefer the trigram index whenever a filter would test
many rows. The setting belongs to this database only. Changing a built-in function needs
the superuser or the function's owner: where the app's database user is neither (managed
databases), the migration leaves it as it is and says so; search stays correct, only
slower on common words (docs: README, "Contacts").
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

COST = 100


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute(f"ALTER FUNCTION textlike(text, text) COST {COST}")
    except DatabaseError as error:
        print(f"\n  Left LIKE's planner cost as it is ({error}).")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("ALTER FUNCTION textlike(text, text) COST 1")
    except DatabaseError:
        pass


class Migration(migrations.Migration):
    dependencies = [("contacts", "0008_persona_decision")]
    operations = [migrations.RunPython(forwards, backwards)]
