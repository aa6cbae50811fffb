"""Seed the network's certification path (version 1, published); see certification/seed.py."""

from django.db import migrations

from certification.seed import load


def seed(apps, schema_editor):
    load(apps)


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
