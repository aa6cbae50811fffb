"""The backup check of bench/backup.py, run for real: pg_dump of the test database,
pg_restore into a scratch database, every table compared.

The data must be committed for pg_dump (another connection) to see it, hence
transaction=True. The second test changes the restored copy on purpose: a check that
cannot fail proves nothing.
"""

from datetime import date

import pytest
from django.apps import apps
from django.db import connection, models

from bench import backup
from circles.models import Circle, Membership
from contacts.models import Person
from tests.factories import CircleFactory, PersonFactory, top_circle


def database_url() -> str:
    """The URL of the test database pytest-django created (test_<name>)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


@pytest.fixture
def small_network(consultant_a, colleague_a, consultant_a1, consultant_b, lead_a, admin):
    """Offices, people, circles and contacts, with the awkward values a copy must keep:
    accents, quotes, newlines, empty strings beside NULLs."""
    top = top_circle()
    circle = CircleFactory(name="Cercle « Île-de-France »", parent=top,
                           kind=Circle.Kind.DEPARTMENT, office=consultant_a.office)
    for person in (consultant_a, colleague_a, lead_a):
        Membership.objects.create(circle=circle, person=person, since=date(2025, 1, 6))
    awkward = ["Zoë O'Brien", 'Jean "JJ" Müller', "Line\nbreak", "Ñandú | pipe", ""]
    for n, name in enumerate(awkward * 6):
        PersonFactory(office=consultant_a.office if n % 2 else consultant_b.office,
                      first_name=name or "Anon", last_name=f"Test{n}",
                      email="" if n % 3 == 0 else f"p{n}@example.org")
    return consultant_a


def test_file_columns_match_the_models():
    """The script names the FileField columns without loading Django; they must stay the
    models' own (a new FileField would otherwise go unchecked)."""
    columns = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                columns.add((model._meta.db_table, field.column))
                # django-simple-history keeps the name, as text, in the history table too
                history = getattr(model, "history", None)
                if history is not None:
                    columns.add((history.model._meta.db_table, field.column))
    assert columns == set(backup.FILE_COLUMNS)


@pytest.mark.django_db(transaction=True)
def test_backup_restores_every_table(small_network, tmp_path):
    media = tmp_path / "media"
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "dossier.txt").write_bytes(b"dossier")
    (media / "imports").mkdir()
    (media / "imports" / "staged.csv").write_text("a,b\n")  # left out on purpose

    result = backup.check_backup(database_url(), tmp_path / "backups", media=media)

    assert result["ok"], result["differences"]
    assert result["differences"] == []
    assert result["tables_checked"] > 50
    assert all(t["checksum_equal"] and t["rows"] == t["restored_rows"]
               for t in result["tables"])
    tables = {t["table"]: t for t in result["tables"]}
    assert tables["contacts_person"]["rows"] == Person.objects.count() == 30
    assert tables["circles_membership"]["rows"] == 3
    assert result["sequences_checked"] > 0
    assert result["dump_bytes"] > 0
    # pg_dump loses the planner costs the migrations raise; the check put them back.
    assert "textlike(text,text)" in " ".join(result["post_restore"]["statements"])
    assert result["media"]["files_archived"] == 1  # imports/ is not kept
    assert (tmp_path / "backups" / "last-check.json").exists()
    assert not backup.database_exists(backup.with_database(
        database_url(), connection.settings_dict["NAME"] + backup.SCRATCH_SUFFIX))


@pytest.mark.django_db(transaction=True)
def test_restore_procedure_and_a_changed_copy_is_caught(small_network, tmp_path):
    """The real restore (`backup.py restore`) of a plain dump gives an identical database;
    then rows, a sequence and an index changed in that copy are each reported."""
    source_url = database_url()
    scratch_url = backup.with_database(
        source_url, connection.settings_dict["NAME"] + backup.SCRATCH_SUFFIX)
    path = tmp_path / "plain.dump"
    backup.dump(source_url, path)  # no post-restore file: the known settings are applied
    backup.drop_database(scratch_url)
    try:
        restored = backup.restore_database(path, scratch_url)
        assert restored["tables"] > 50
        assert "ALTER FUNCTION textlike(text,text) COST 100" in restored[
            "post_restore_statements"]
        source = backup.snapshot_of(source_url)
        comparison, _notes = backup.compare_databases(source, scratch_url)
        assert comparison.ok, comparison.differences

        victim = Person.objects.order_by("pk").first()
        with backup.connect(scratch_url, autocommit=True) as conn:
            conn.execute("UPDATE contacts_person SET first_name = 'Changed' WHERE id = %s",
                         [victim.pk])
            conn.execute("DELETE FROM circles_membership WHERE id = "
                         "(SELECT min(id) FROM circles_membership)")
            conn.execute("SELECT setval('contacts_person_id_seq', 9999)")
            conn.execute("DROP INDEX contacts_person_search_trgm")

        comparison, _notes = backup.compare_databases(source, scratch_url)

        assert not comparison.ok
        changed = {t.table: t for t in comparison.tables if not t.ok}
        assert set(changed) == {"contacts_person", "circles_membership"}
        assert changed["contacts_person"].rows == changed["contacts_person"].restored_rows
        assert not changed["contacts_person"].checksum_equal  # same count, other contents
        assert changed["circles_membership"].restored_rows == 2
        text = "\n".join(comparison.differences)
        assert "sequence contacts_person_id_seq" in text
        assert "contacts_person_search_trgm" in text

        # A real restore never lands on a database that holds tables, unless forced.
        with pytest.raises(backup.BackupError, match="not empty"):
            backup.restore_database(path, scratch_url)
        backup.restore_database(path, scratch_url, force=True)
        assert backup.compare_databases(source, scratch_url)[0].ok
    finally:
        backup.drop_database(scratch_url)
