"""The objection's office made required, and the indexes reports read."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0012_objection_office_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="objection",
            name="office",
            field=models.ForeignKey(editable=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="circles.office"),
        ),
        migrations.AddIndex(
            model_name="objection",
            index=models.Index(fields=["office", "created_at"], name="objection_by_office"),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(condition=models.Q(("status", "open")),
                               fields=["office", "expected_close"],
                               include=("currency", "value", "probability", "phase"),
                               name="deal_forecast"),
        ),
    ]
