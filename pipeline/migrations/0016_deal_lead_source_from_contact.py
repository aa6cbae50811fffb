"""Existing deals take their contact's lead source (what the reports counted until now)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def from_contact(apps, schema_editor):
    Deal = apps.get_model("pipeline", "Deal")
    Person = apps.get_model("contacts", "Person")
    (Deal.objects.filter(person__isnull=False, lead_source="")
     .update(lead_source=Subquery(Person.objects.filter(pk=OuterRef("person_id"))
                                  .values("lead_source")[:1])))


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0015_deal_lead_source")]

    operations = [migrations.RunPython(from_contact, migrations.RunPython.noop)]
