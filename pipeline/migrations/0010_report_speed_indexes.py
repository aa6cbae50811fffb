"""The report's indexes, and the move's office made required once every move has it (in a
migration of its own: PostgreSQL does not alter a table whose rows the step before just
updated in the same transaction)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0009_report_speed_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="phasemove",
            name="office",
            field=models.ForeignKey(editable=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="circles.office"),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(condition=models.Q(("closed_at__isnull", False)),
                               fields=["office", "closed_at"], name="deal_closed"),
        ),
        migrations.AddIndex(
            model_name="phasemove",
            index=models.Index(fields=["office", "moved_at"], name="phasemove_by_office"),
        ),
    ]
