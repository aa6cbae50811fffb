"""Back up tsgcrm's PostgreSQL database, restore it, and prove nothing was lost.

A backup nobody has restored is a hope, not a backup. So this script does both halves every
time it runs:

    .venv/bin/python bench/backup.py [--source-url URL] [--keep] [--no-media] [--jobs 2]

1. dumps the database of DATABASE_URL (or --source-url) with ``pg_dump --format=custom``
   into ``var/backups/<db>-<UTC timestamp>.dump``, inside an exported snapshot so the
   figures the check compares against are exactly the ones pg_dump saw, even on a live
   database;
2. archives the uploaded files (MEDIA_ROOT: minutes, certificates, evidence documents,
   report PDFs) beside it, since the rows only hold their names;
3. restores the dump into a fresh scratch database ``<db>_restore_check`` (dropped first)
   with ``pg_restore --no-owner --exit-on-error -j 2``, applying afterwards what pg_dump
   cannot carry (planner costs the migrations set on built-in and extension functions,
   per-database settings) - written beside the dump as ``<dump>.post-restore.json``;
4. compares, for every table of the public schema, the row count and an md5 of its rows
   (computed in SQL by each server, so a big table never travels to Python), the
   sequences' last values, the indexes, constraints, triggers, views, extensions and
   function settings; prints a table, writes ``var/backups/last-check.json``, exits 1 on
   any difference, and drops the scratch database unless --keep.

Restoring for real (into a named database, never over one that holds tables unless
--force):

    .venv/bin/python bench/backup.py restore FILE.dump --target-url URL \
        [--media FILE-media.tar.gz --media-root DIR] [--force]

bench/BACKUP.md is the operator's guide; tests/tsgcrm/test_backup.py runs the same
functions against the test database, including a row changed on purpose that must be caught.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO = Path(__file__).resolve().parents[1]
BACKUP_DIR = REPO / "var" / "backups"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/bin"))
SCRATCH_SUFFIX = "_restore_check"

# What contacts/migrations/0009 and 0012 set and pg_dump does not keep (README, "Contacts").
# Applied after a restore when the dump has no post-restore file of its own (a dump made by
# a plain pg_dump cron line rather than by this script).
KNOWN_FUNCTION_COSTS = {
    "textlike(text,text)": 100.0,
    "public.word_similarity_op(text,text)": 100.0,
    "public.word_similarity_commutator_op(text,text)": 100.0,
}

# Both sides of a comparison print rows the same way, whatever the server's or the
# role's defaults: a row's text must depend on its values only.
SESSION_SETTINGS = [
    "SET search_path = ''",  # every name comes out schema-qualified
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
    "SET jit = off",
]


class BackupError(RuntimeError):
    """A step failed (pg_dump, pg_restore, a refused overwrite): said in one line."""


# --- Connections -------------------------------------------------------------------------

def conninfo(url: str, **changes) -> dict:
    """The libpq parameters of a URL (postgres://...) or key=value string, with changes."""
    params = conninfo_to_dict(url)
    params.update(changes)
    return {key: value for key, value in params.items() if value is not None}


def database_name(url: str) -> str:
    return conninfo(url).get("dbname") or conninfo(url).get("user") or "postgres"


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    return make_conninfo(**conninfo(url, dbname=name))


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(make_conninfo(**conninfo(url)), **kwargs)


def tool_args(url: str) -> tuple[list[str], dict]:
    """--dbname and environment for pg_dump/pg_restore: the password goes in PGPASSWORD,
    never on the command line where `ps` would show it to every user of the machine."""
    params = conninfo(url)
    env = {**os.environ}
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return [f"--dbname={make_conninfo(**params)}"], env


def run_tool(args: list[str], env: dict) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({result.returncode}): "
                          f"{result.stderr.strip()[-2000:]}")


def prepare_session(conn: psycopg.Connection) -> None:
    for statement in SESSION_SETTINGS:
        conn.execute(statement)


# --- Databases -----------------------------------------------------------------------------

def database_locale(url: str) -> dict:
    """Encoding and collation of a database, so a copy sorts and compares text as it does
    (an index on text built under another collation would be a different index)."""
    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype, datlocprovider, "
            "daticulocale FROM pg_database WHERE datname = current_database()").fetchone()
    return dict(zip(["encoding", "lc_collate", "lc_ctype", "provider", "icu_locale"], row,
                    strict=True))


def create_database(url: str, locale: dict | None = None, *, drop: bool = False) -> None:
    """Create the database of `url` empty (from template0, as pg_restore wants it), with
    the given locale; drop it first (closing its connections) when asked."""
    name = database_name(url)
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))
        options = [sql.SQL("TEMPLATE template0")]
        if locale:
            options.append(sql.SQL("ENCODING {}").format(sql.Literal(locale["encoding"])))
            options.append(sql.SQL("LC_COLLATE {} LC_CTYPE {}").format(
                sql.Literal(locale["lc_collate"]), sql.Literal(locale["lc_ctype"])))
            if locale.get("provider") == "i":
                options.append(sql.SQL("LOCALE_PROVIDER icu ICU_LOCALE {}").format(
                    sql.Literal(locale["icu_locale"])))
        conn.execute(sql.SQL("CREATE DATABASE {} ").format(sql.Identifier(name))
                     + sql.SQL(" ").join(options))


def drop_database(url: str) -> None:
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(database_name(url))))


def database_exists(url: str) -> bool:
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [database_name(url)]).fetchone() is not None


def user_relations(url: str) -> int:
    """How many tables, views, sequences... live outside the system schemas: a database
    with any is not ours to overwrite."""
    with connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'"
        ).fetchone()[0]


# --- Dump and restore ----------------------------------------------------------------------

def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def dump(url: str, path: Path, *, snapshot: str | None = None) -> float:
    """pg_dump --format=custom into `path` (compressed, restorable in parallel, and
    selectively: pg_restore -l/-L). Returns the seconds it took."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dbname, env = tool_args(url)
    args = [str(PG_BIN / "pg_dump"), "--format=custom", f"--file={path}", *dbname]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    started = time.perf_counter()
    run_tool(args, env)
    return time.perf_counter() - started


def pg_restore(path: Path, url: str, *, jobs: int = 2) -> float:
    """pg_restore into an existing empty database; objects become the connecting role's
    (--no-owner), and the first error stops it rather than leaving a half-restored copy
    that looks fine. Returns the seconds it took."""
    dbname, env = tool_args(url)
    args = [str(PG_BIN / "pg_restore"), "--no-owner", "--exit-on-error", f"--jobs={jobs}",
            *dbname, str(path)]
    started = time.perf_counter()
    run_tool(args, env)
    return time.perf_counter() - started


def lost_settings(source: dict, restored_url: str) -> dict:
    """What the source (a snapshot) has that a fresh restore lacks: function settings
    changed with ALTER FUNCTION on built-in or extension functions (pg_dump skips both),
    and ALTER DATABASE ... SET settings (pg_dump only emits them with --create)."""
    with connect(restored_url, autocommit=True) as conn:
        prepare_session(conn)
        restored_functions = function_settings(conn)
    functions = {name: {"cost": cost, "rows": rows}
                 for name, (cost, rows, _config) in source["functions"].items()
                 if name in restored_functions
                 and restored_functions[name][:2] != (cost, rows)}
    return {"function_settings": functions, "database_settings": source["database_settings"]}


def apply_settings(url: str, settings: dict) -> list[str]:
    """Apply a post-restore file's settings to the database of `url`; returns the
    statements run. Changing a built-in function needs the superuser (as the migrations
    that first did it): without, each is skipped with a warning, and the check of a
    backup then reports the costs as a difference."""
    statements = []
    for function, values in settings.get("function_settings", {}).items():
        statement = f"ALTER FUNCTION {function} COST {values['cost']:g}"
        if values.get("rows"):
            statement += f" ROWS {values['rows']:g}"
        statements.append(statement)
    target = sql.Identifier(database_name(url)).as_string(None)
    for setting in settings.get("database_settings", []):
        name, _, value = setting.partition("=")
        statements.append(f"ALTER DATABASE {target} SET {name} = "
                          f"{sql.Literal(value).as_string(None)}")
    done = []
    with connect(url, autocommit=True) as conn:
        prepare_session(conn)
        for statement in statements:
            try:
                conn.execute(statement)  # built from catalogue names and literals above
            except psycopg.errors.InsufficientPrivilege as error:
                # A managed database's role may not alter built-in functions: the data is
                # whole, search only slower on common words (README, "Contacts").
                print(f"warning: not applied ({error}): {statement}", file=sys.stderr)
                continue
            done.append(statement)
    return done


# --- What a database holds -----------------------------------------------------------------

def public_tables(conn: psycopg.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind IN ('r', 'm') ORDER BY relname")]


def table_figures(conn: psycopg.Connection, table: str) -> tuple[int, str]:
    """Row count and an md5 over the md5 of every row's text, sorted (in the "C"
    collation, so any database sorts them alike): equal only if the rows are. Done by the
    server: a big table is read once there and only 40 bytes come back."""
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h COLLATE \"C\"), '')) "
        "FROM (SELECT md5(t::text) AS h FROM {} t) rows"
    ).format(sql.Identifier("public", table))
    count, checksum = conn.execute(query).fetchone()
    return count, checksum


def sequences(conn: psycopg.Connection) -> dict[str, int | None]:
    """Each public sequence's last value (None: never used). Sequences are not
    transactional: this reads their value now, whatever the snapshot."""
    return {name: value for name, value in conn.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")}


def schema_objects(conn: psycopg.Connection) -> dict[str, list[str]]:
    """The structure a restore must rebuild, each object as one comparable line."""
    queries = {
        "indexes": "SELECT i.indexrelid::regclass::text || ' ' || pg_get_indexdef(i.indexrelid)"
                   " || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END "
                   "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                   "WHERE c.relnamespace = 'public'::regnamespace",
        "constraints": "SELECT conrelid::regclass::text || ' ' || conname || ' ' || "
                       "pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' "
                       "ELSE ' NOT VALID' END "
                       "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
        "triggers": "SELECT tgrelid::regclass::text || ' ' || pg_get_triggerdef(t.oid) "
                    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace",
        "views": "SELECT c.oid::regclass::text || ' ' || pg_get_viewdef(c.oid) FROM pg_class c "
                 "WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace",
        "extensions": "SELECT extname || ' ' || extversion || ' in ' || "
                      "extnamespace::regnamespace::text FROM pg_extension",
        "schemas": "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                   "AND nspname <> 'information_schema'",
    }
    return {kind: sorted(line for (line,) in conn.execute(query))
            for kind, query in queries.items()}


def function_settings(conn: psycopg.Connection) -> dict[str, tuple[float, float, list]]:
    """Every function's planner cost, rows estimate and SET options, built-in ones too:
    the migrations raise the cost of LIKE and of pg_trgm's word similarity, which pg_dump
    does not carry (README, "Contacts")."""
    return {name: (float(cost), float(rows), config or []) for name, cost, rows, config in
            conn.execute("SELECT oid::regprocedure::text, procost, prorows, proconfig "
                         "FROM pg_proc")}


def database_settings(conn: psycopg.Connection) -> list[str]:
    """ALTER DATABASE ... SET settings of the current database (for every role)."""
    return sorted(setting for (settings,) in conn.execute(
        "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())")
        for setting in settings)


def snapshot(conn: psycopg.Connection) -> dict:
    """Everything the check compares, read in the connection's current transaction."""
    prepare_session(conn)
    return {
        "tables": {table: table_figures(conn, table) for table in public_tables(conn)},
        "sequences": sequences(conn),
        "schema": schema_objects(conn),
        "functions": function_settings(conn),
        "database_settings": database_settings(conn),
    }


def snapshot_of(url: str) -> dict:
    with connect(url) as conn:
        conn.read_only = True
        return snapshot(conn)


INDEX_DEF = re.compile(r"^(\S+) (CREATE (?:UNIQUE )?INDEX) (\S+) ON (?:ONLY )?(\S+) (USING .*)$")


def reparse_indexes(conn: psycopg.Connection, source: dict, restored: dict) -> list[str]:
    """Settle indexes whose definition reads differently in the restored copy.

    PostgreSQL does not always print back an expression as it was first written: a
    partial index `WHERE status IN ('queued', ...)` on a varchar column created by Django
    reads `(ARRAY['queued'::character varying, ...])::text[]` in the source but
    `ARRAY[('queued'::character varying)::text, ...]` once pg_dump's text of it has been
    parsed again. For each index of the same name whose text differs, the source's
    definition is parsed again here (on an empty copy of its table, in a transaction rolled
    back): if that gives exactly the restored text, the index is the same and the source's
    line is replaced; otherwise the difference stands. Returns notes of what was settled."""
    notes = []
    restored_lines = {INDEX_DEF.match(line).group(3): line
                      for line in restored["schema"]["indexes"] if INDEX_DEF.match(line)}
    settled = []
    for line in sorted(set(source["schema"]["indexes"]) - set(restored["schema"]["indexes"])):
        match = INDEX_DEF.match(line)
        if not match or match.group(3) not in restored_lines:
            continue
        regclass, create, name, table, tail = match.groups()
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("CREATE TEMP TABLE backup_reparse (LIKE {})").format(
                sql.SQL(table)))  # a name printed by the catalogue, already quoted
            conn.execute(f"{create} backup_reparse_index ON pg_temp.backup_reparse {tail}")
            again = conn.execute("SELECT pg_get_indexdef('pg_temp.backup_reparse_index'"
                                 "::regclass)").fetchone()[0]
        again_tail = again[again.index(" USING ") + 1:]
        candidate = f"{regclass} {create} {name} ON {table} {again_tail}"
        if candidate == restored_lines[name]:
            settled.append((line, candidate))
            notes.append(f"index {name}: printed differently after restore, the same index "
                         "once the source's definition is parsed again")
    for line, candidate in settled:
        source["schema"]["indexes"].remove(line)
        source["schema"]["indexes"].append(candidate)
    source["schema"]["indexes"].sort()
    return notes


# --- The comparison ------------------------------------------------------------------------

@dataclass
class TableCheck:
    table: str
    rows: int | None
    restored_rows: int | None
    checksum_equal: bool

    @property
    def ok(self) -> bool:
        return self.checksum_equal and self.rows == self.restored_rows


@dataclass
class Comparison:
    tables: list[TableCheck] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    sequences_checked: int = 0
    schema_objects_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def _sequence_key(value: int | None) -> float:
    return float("-inf") if value is None else value


def compare(source: dict, restored: dict, *,
            sequences_after: dict[str, int | None] | None = None) -> Comparison:
    """Every difference between two snapshots, in words. Sequences are read outside any
    snapshot: on a live database one may move while pg_dump runs, so with
    `sequences_after` (read once pg_dump had finished) the restored value may lie anywhere
    between the source's before and after; on a quiet database both are equal."""
    result = Comparison()
    for table in sorted(source["tables"].keys() | restored["tables"].keys()):
        rows, checksum = source["tables"].get(table, (None, None))
        restored_rows, restored_checksum = restored["tables"].get(table, (None, None))
        check = TableCheck(table, rows, restored_rows,
                           checksum is not None and checksum == restored_checksum)
        result.tables.append(check)
        if rows is None:
            result.differences.append(f"table {table}: only in the restored copy")
        elif restored_rows is None:
            result.differences.append(f"table {table}: missing from the restored copy")
        elif not check.ok:
            result.differences.append(
                f"table {table}: {rows} rows, {restored_rows} restored"
                + ("" if check.checksum_equal else ", contents differ"))

    after = sequences_after or source["sequences"]
    for name in sorted(source["sequences"].keys() | restored["sequences"].keys()):
        result.sequences_checked += 1
        if name not in restored["sequences"]:
            result.differences.append(f"sequence {name}: missing from the restored copy")
            continue
        if name not in source["sequences"]:
            result.differences.append(f"sequence {name}: only in the restored copy")
            continue
        low, high = source["sequences"][name], after.get(name, source["sequences"][name])
        value = restored["sequences"][name]
        if not _sequence_key(low) <= _sequence_key(value) <= _sequence_key(high):
            result.differences.append(f"sequence {name}: last value {low}"
                                      + (f"..{high}" if high != low else "")
                                      + f", restored {value}")

    for kind in sorted(source["schema"].keys() | restored["schema"].keys()):
        mine, theirs = set(source["schema"].get(kind, [])), set(restored["schema"].get(kind, []))
        result.schema_objects_checked += len(mine)
        for line in sorted(mine - theirs):
            result.differences.append(f"{kind}: missing from the restored copy: {line}")
        for line in sorted(theirs - mine):
            result.differences.append(f"{kind}: only in the restored copy: {line}")

    functions, restored_functions = source["functions"], restored["functions"]
    for name in sorted(functions.keys() & restored_functions.keys()):
        if functions[name] != restored_functions[name]:
            result.differences.append(f"function {name}: cost/rows/options "
                                      f"{functions[name]}, restored {restored_functions[name]}")
    for name in sorted(functions.keys() - restored_functions.keys()):
        result.differences.append(f"function {name}: missing from the restored copy")

    if source["database_settings"] != restored["database_settings"]:
        result.differences.append(f"database settings {source['database_settings']}, "
                                  f"restored {restored['database_settings']}")
    return result


def compare_databases(source: dict, restored_url: str, *,
                      sequences_after: dict[str, int | None] | None = None,
                      ) -> tuple[Comparison, list[str]]:
    """Compare a source snapshot with the database of `restored_url` as it is now."""
    restored = snapshot_of(restored_url)
    with connect(restored_url, autocommit=True) as conn:
        prepare_session(conn)
        notes = reparse_indexes(conn, source, restored)
    return compare(source, restored, sequences_after=sequences_after), notes


# --- Uploaded files ------------------------------------------------------------------------

def media_root() -> Path:
    """MEDIA_ROOT as tsgcrm/settings.py computes it (read the same environment, without
    loading Django: the script must also run where the app's settings would refuse to)."""
    if os.environ.get("MEDIA_ROOT"):
        return Path(os.environ["MEDIA_ROOT"])
    return Path(os.environ.get("TSGCRM_VAR_DIR", REPO / "var")) / "media"


# The FileField columns of tsgcrm's models (checked against the models by the test): the
# files a row names that a database backup alone would lose.
FILE_COLUMNS = [
    ("circles_meeting", "minutes_pdf"),                # minutes PDF of each closed meeting
    ("circles_historicalmeeting", "minutes_pdf"),      # ... and of its past versions
    ("certification_evidence", "document"),            # uploaded evidence: irreplaceable
    ("certification_certificate", "pdf"),              # certificate PDFs as issued
    ("certification_historicalcertificate", "pdf"),
    ("pipeline_reportrun", "pdf"),                     # report PDFs (could be made again)
]
# Import previews staged by contacts/imports.py for an hour: not worth keeping.
MEDIA_EXCLUDE = ("imports",)


def referenced_files(conn: psycopg.Connection) -> set[str]:
    names: set[str] = set()
    tables = set(public_tables(conn))
    for table, column in FILE_COLUMNS:
        if table in tables:
            names |= {name for (name,) in conn.execute(
                sql.SQL("SELECT {} FROM {} WHERE {} <> ''").format(
                    sql.Identifier(column), sql.Identifier("public", table),
                    sql.Identifier(column)))}
    return names


def archive_media(root: Path, path: Path) -> list[str]:
    """tar.gz of MEDIA_ROOT (less the staged imports); returns the names archived."""
    names = []
    with tarfile.open(path, "w:gz") as archive:
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root).as_posix()
            if file.is_file() and relative.split("/")[0] not in MEDIA_EXCLUDE:
                archive.add(file, arcname=relative)
                names.append(relative)
    return names


def restore_media(archive_path: Path, root: Path, *, force: bool = False) -> int:
    """Unpack a media archive into `root`; refuses to replace existing files unless
    forced. The 'data' filter refuses absolute paths, .. and links out of the folder."""
    with tarfile.open(archive_path, "r:gz") as archive:
        members = archive.getmembers()
        clashes = [m.name for m in members if m.isfile() and (root / m.name).exists()]
        if clashes and not force:
            raise BackupError(f"{len(clashes)} files already exist under {root} (e.g. "
                              f"{clashes[0]}): use --force to overwrite them")
        root.mkdir(parents=True, exist_ok=True)
        archive.extractall(root, filter="data")
    return sum(1 for m in members if m.isfile())


# --- The whole check -----------------------------------------------------------------------

def check_backup(source_url: str, backup_dir: Path = BACKUP_DIR, *, keep: bool = False,
                 jobs: int = 2, media: Path | None = None, report: Path | None = None) -> dict:
    """Dump `source_url`, restore it into <db>_restore_check, compare. Returns the report
    (also written to `report`, by default <backup_dir>/last-check.json); report["ok"]
    says whether the copy holds everything. With `media`, archives that folder too and
    checks every file the rows name is in the archive."""
    db = database_name(source_url)
    path = backup_dir / f"{db}-{timestamp()}.dump"
    scratch_url = with_database(source_url, db + SCRATCH_SUFFIX)
    result: dict = {"database": db, "dump": str(path), "started_at": timestamp(), "jobs": jobs}

    with connect(source_url) as source:
        # One repeatable-read transaction exports the snapshot pg_dump then dumps, and
        # reads the source's figures afterwards: both see the same rows, whatever is
        # written meanwhile. It ends before the restore: a long transaction on a live
        # database holds back vacuum.
        source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        source.read_only = True
        snapshot_id = source.execute("SELECT pg_export_snapshot()").fetchone()[0]
        sequences_before = sequences(source)
        result["dump_seconds"] = round(dump(source_url, path, snapshot=snapshot_id), 2)
        sequences_after = sequences(source)
        started = time.perf_counter()
        source_state = snapshot(source)
        result["source_checksum_seconds"] = round(time.perf_counter() - started, 2)
        source_state["sequences"] = sequences_before
        files = referenced_files(source)
        result["source_bytes"] = source.execute(
            "SELECT pg_database_size(current_database())").fetchone()[0]
    result["dump_bytes"] = path.stat().st_size
    locale = database_locale(source_url)

    differences = []
    if media is not None:
        # Right after the dump: a file is written before the row naming it is committed,
        # so every file the dumped rows name is already there.
        archive_path = path.with_name(path.stem + "-media.tar.gz")
        started = time.perf_counter()
        archived = set(archive_media(media, archive_path)) if media.is_dir() else set()
        archive_seconds = round(time.perf_counter() - started, 2)
        present = {name for name in files if (media / name).is_file()}
        differences += [f"file {name}: not in the media archive"
                        for name in sorted(present - archived)]
        result["media"] = {
            "root": str(media), "archive": str(archive_path) if media.is_dir() else None,
            "archive_bytes": archive_path.stat().st_size if media.is_dir() else 0,
            "files_archived": len(archived), "files_referenced": len(files),
            "archive_seconds": archive_seconds,
            # Named by a row but absent from MEDIA_ROOT before the backup: lost earlier,
            # not by this backup; said so it can be looked into.
            "referenced_but_absent": sorted(files - present),
        }

    create_database(scratch_url, locale, drop=True)
    try:
        result["restore_seconds"] = round(pg_restore(path, scratch_url, jobs=jobs), 2)
        settings = lost_settings(source_state, scratch_url)
        settings["locale"] = locale
        post_restore = path.with_name(path.name + ".post-restore.json")
        post_restore.write_text(json.dumps(settings, indent=2) + "\n")
        result["post_restore"] = {"file": str(post_restore),
                                  "statements": apply_settings(scratch_url, settings)}
        started = time.perf_counter()
        comparison, result["notes"] = compare_databases(source_state, scratch_url,
                                                        sequences_after=sequences_after)
        result["compare_seconds"] = round(time.perf_counter() - started, 2)
    finally:
        if not keep:
            drop_database(scratch_url)
    result["scratch_database"] = None if not keep else database_name(scratch_url)
    differences = comparison.differences + differences

    result.update({
        "ok": not differences,
        "tables": [asdict(check) for check in comparison.tables],
        "tables_checked": len(comparison.tables),
        "rows_checked": sum(check.rows or 0 for check in comparison.tables),
        "sequences_checked": comparison.sequences_checked,
        "schema_objects_checked": comparison.schema_objects_checked,
        "differences": differences,
    })
    report = report or backup_dir / "last-check.json"
    report.write_text(json.dumps(result, indent=2) + "\n")
    return result


def restore_database(path: Path, target_url: str, *, force: bool = False, jobs: int = 2,
                     post_restore: Path | None = None) -> dict:
    """Restore a dump into the database of `target_url` for real use: created when
    missing; refused when it holds any table, view or sequence unless `force` (which drops
    and recreates it). Then applies what pg_dump could not carry, and ANALYZE (pg_restore
    brings no planner statistics: the first queries would be planned blind)."""
    if not path.is_file():
        raise BackupError(f"no dump at {path}")
    post_restore = post_restore or path.with_name(path.name + ".post-restore.json")
    settings = (json.loads(post_restore.read_text()) if post_restore.is_file() else
                {"function_settings": {name: {"cost": cost, "rows": 0} for name, cost in
                                       KNOWN_FUNCTION_COSTS.items()}})
    if database_exists(target_url):
        relations = user_relations(target_url)
        if relations and not force:
            raise BackupError(f"database {database_name(target_url)} is not empty "
                              f"({relations} relations): use --force to replace it")
        locale = settings.get("locale") or database_locale(target_url)
        if relations:
            create_database(target_url, locale, drop=True)
    else:
        create_database(target_url, settings.get("locale"))
    restore_seconds = pg_restore(path, target_url, jobs=jobs)
    statements = apply_settings(target_url, settings)
    started = time.perf_counter()
    with connect(target_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        tables = len(public_tables(conn))
    return {"database": database_name(target_url), "restore_seconds": round(restore_seconds, 2),
            "analyze_seconds": round(time.perf_counter() - started, 2),
            "tables": tables, "post_restore_statements": statements,
            "post_restore_file": str(post_restore) if post_restore.is_file() else None}


# --- Command line --------------------------------------------------------------------------

def print_report(result: dict) -> None:
    width = max([len(check["table"]) for check in result["tables"]] + [5])
    print(f"{'table':<{width}}  {'rows':>9}  {'restored':>9}  checksum equal")
    for check in result["tables"]:
        rows = "-" if check["rows"] is None else check["rows"]
        restored = "-" if check["restored_rows"] is None else check["restored_rows"]
        print(f"{check['table']:<{width}}  {rows:>9}  {restored:>9}  "
              f"{'yes' if check['checksum_equal'] else 'NO'}")
    print()
    print(f"dump      {result['dump']}  {result['dump_bytes'] / 1e6:.2f} MB "
          f"(database {result['source_bytes'] / 1e6:.1f} MB) in {result['dump_seconds']} s")
    print(f"restore   into {result['database']}{SCRATCH_SUFFIX} (-j {result['jobs']}) in "
          f"{result['restore_seconds']} s; compared in {result['compare_seconds']} s")
    for statement in result["post_restore"]["statements"]:
        print(f"          after restore: {statement}")
    if "media" in result:
        media = result["media"]
        print(f"media     {media['archive']}  {media['archive_bytes'] / 1e6:.2f} MB, "
              f"{media['files_archived']} files in {media['archive_seconds']} s; "
              f"{media['files_referenced']} named by rows"
              + (f", {len(media['referenced_but_absent'])} of them absent from "
                 f"{media['root']} before the backup" if media["referenced_but_absent"]
                 else ""))
    print(f"checked   {result['tables_checked']} tables ({result['rows_checked']} rows), "
          f"{result['sequences_checked']} sequences, "
          f"{result['schema_objects_checked']} indexes/constraints/other objects")
    for note in result.get("notes", []):
        print(f"note      {note}")
    if result["ok"]:
        print("OK: the restored copy holds everything the database held.")
    else:
        print(f"DIFFERENCES ({len(result['differences'])}):")
        for line in result["differences"]:
            print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["restore"]:
        parser = argparse.ArgumentParser(prog="backup.py restore",
                                         description="Restore a dump into a named database.")
        parser.add_argument("file", type=Path)
        parser.add_argument("--target-url", required=True)
        parser.add_argument("--force", action="store_true",
                            help="replace the target database (and media files) if not empty")
        parser.add_argument("--jobs", type=int, default=2)
        parser.add_argument("--media", type=Path, help="a -media.tar.gz archive to unpack")
        parser.add_argument("--media-root", type=Path, default=None,
                            help="where to unpack it (default: MEDIA_ROOT)")
        args = parser.parse_args(argv[1:])
        try:
            result = restore_database(args.file, args.target_url, force=args.force,
                                      jobs=args.jobs)
            if args.media:
                result["media_files"] = restore_media(args.media, args.media_root or media_root(),
                                                      force=args.force)
        except (BackupError, psycopg.Error) as error:
            print(f"restore refused or failed: {error}", file=sys.stderr)
            return 1
        print(json.dumps(result, indent=2))
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--keep", action="store_true",
                        help=f"keep the <db>{SCRATCH_SUFFIX} database to look at")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-media", action="store_true", help="do not archive MEDIA_ROOT")
    parser.add_argument("--backup-dir", type=Path, default=BACKUP_DIR)
    args = parser.parse_args(argv)
    if not args.source_url or not args.source_url.startswith(("postgres", "host=", "dbname=")):
        parser.error("set DATABASE_URL (PostgreSQL) or pass --source-url")
    if not shutil.which(str(PG_BIN / "pg_dump")):
        parser.error(f"no pg_dump in {PG_BIN} (set PG_BIN)")
    try:
        result = check_backup(args.source_url, args.backup_dir, keep=args.keep, jobs=args.jobs,
                              media=None if args.no_media else media_root())
    except (BackupError, psycopg.Error) as error:
        print(f"backup check failed: {error}", file=sys.stderr)
        return 1
    print_report(result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
