"""Objections recorded before: their deal's office (between adding the field and
constraining and indexing it, in a migration of its own)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from django.db.models import OuterRef, Subquery

    Deal = apps.get_model("pipeline", "Deal")
    Objection = apps.get_model("pipeline", "Objection")
    Objection.objects.update(office_id=Subquery(
        Deal.objects.filter(pk=OuterRef("deal_id")).values("office_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [("pipeline", "0011_objection_office")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
