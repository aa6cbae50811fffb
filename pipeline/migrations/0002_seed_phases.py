from django.db import migrations


def forwards(apps, schema_editor):
    from pipeline.seed import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
