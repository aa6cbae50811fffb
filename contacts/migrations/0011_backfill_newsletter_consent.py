from django.db import migrations


def backfill(apps, schema_editor):
    from contacts.models import Consent

    Person = apps.get_model("contacts", "Person")
    Records = apps.get_model("contacts", "Consent")
    Consent.refresh_newsletter_consent(
        Person.objects.filter(pk__in=Records.objects.filter(channel="newsletter")
                              .values("person_id")), consents=Records)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0010_person_newsletter_consent")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
