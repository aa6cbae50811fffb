"""Moves recorded before the report fields: their office, the days spent in the phase they
left, and whether the deal went further (a migration of its own, between adding the
fields and constraining and indexing them)."""

from django.db import migrations

BACKFILL_DAYS = {
    "postgresql": """
        UPDATE pipeline_phasemove AS m SET days_in_previous =
            EXTRACT(EPOCH FROM (m.moved_at - p.previous_at)) / 86400.0
        FROM (SELECT id, LAG(moved_at) OVER (PARTITION BY deal_id ORDER BY moved_at, id)
                  AS previous_at FROM pipeline_phasemove) AS p
        WHERE p.id = m.id AND m.from_phase_id IS NOT NULL AND p.previous_at IS NOT NULL
    """,
    "sqlite": """
        UPDATE pipeline_phasemove SET days_in_previous = (
            SELECT julianday(pipeline_phasemove.moved_at) - julianday(MAX(p.moved_at))
            FROM pipeline_phasemove AS p
            WHERE p.deal_id = pipeline_phasemove.deal_id
              AND (p.moved_at < pipeline_phasemove.moved_at
                   OR (p.moved_at = pipeline_phasemove.moved_at
                       AND p.id < pipeline_phasemove.id)))
        WHERE from_phase_id IS NOT NULL
    """,
}


WENT_FURTHER = """
    UPDATE pipeline_phasemove SET went_further = EXISTS (
        SELECT 1 FROM pipeline_phasemove AS later
        JOIN pipeline_phase AS later_phase ON later_phase.id = later.to_phase_id,
             pipeline_phase AS this_phase
        WHERE this_phase.id = pipeline_phasemove.to_phase_id
          AND later.deal_id = pipeline_phasemove.deal_id
          AND (later.moved_at > pipeline_phasemove.moved_at
               OR (later.moved_at = pipeline_phasemove.moved_at
                   AND later.id > pipeline_phasemove.id))
          AND later_phase.number > this_phase.number)
"""


def backfill(apps, schema_editor):
    """Moves recorded before: their office, the days spent in the phase they left, and
    whether the deal went further."""
    from django.db.models import OuterRef, Subquery

    Deal = apps.get_model("pipeline", "Deal")
    PhaseMove = apps.get_model("pipeline", "PhaseMove")
    PhaseMove.objects.update(office_id=Subquery(
        Deal.objects.filter(pk=OuterRef("deal_id")).values("office_id")[:1]))
    vendor = schema_editor.connection.vendor
    if vendor in BACKFILL_DAYS:
        schema_editor.execute(BACKFILL_DAYS[vendor])
    schema_editor.execute(WENT_FURTHER)


class Migration(migrations.Migration):

    dependencies = [("pipeline", "0008_report_speed")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
