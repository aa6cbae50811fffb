"""Trigram index on the short name text used for typo-tolerant search (PostgreSQL only),
and the name text of existing people."""

from django.db import migrations


def forwards(apps, schema_editor):
    from contacts.models import normalise_text

    Person = apps.get_model("contacts", "Person")  # noqa: N806
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS contacts_person_name_trgm ON contacts_person "
            "USING gin (name_text gin_trgm_ops)")
    batch = []
    for person in Person.objects.filter(name_text="").only("first_name", "last_name") \
            .iterator(chunk_size=5000):
        person.name_text = normalise_text(f"{person.first_name} {person.last_name}")
        batch.append(person)
        if len(batch) == 5000:
            Person.objects.bulk_update(batch, ["name_text"])
            batch = []
    Person.objects.bulk_update(batch, ["name_text"])


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS contacts_person_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_name_text")]
    operations = [migrations.RunPython(forwards, backwards)]
