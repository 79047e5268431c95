"""The SQLite store (the embedded default): connection settings, the schema migrations
numbered by ``PRAGMA user_version``, and the SQLite side of the dialect layer.

WAL journal, synchronous=FULL and a busy timeout make concurrent writers (the web app and
a harvest running from cron) safe; BEGIN IMMEDIATE makes a writer take the one write lock
at once, so change numbers are committed in the order they are taken.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import jsontext
from .backend import BUSY_TIMEOUT_MS, Backend, Connection

#: Free bytes under which an SQLite I/O error is taken for a full disk.
FULL_DISK_BYTES = 1 << 20

log = logging.getLogger(__name__)

#: Each entry upgrades the schema by one version; never edit a released entry, append.
MIGRATIONS: list[str] = [
    # 1: records, their full revision history (also the change log), harvest, users.
    """
    CREATE TABLE records (
        id TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        data TEXT NOT NULL,
        type TEXT,
        status TEXT,
        title TEXT,
        created TEXT NOT NULL,
        modified TEXT NOT NULL,
        seq INTEGER NOT NULL,
        source_name TEXT,
        source_identifier TEXT
    );
    CREATE INDEX records_modified ON records (modified, id);
    CREATE INDEX records_seq ON records (seq);
    CREATE UNIQUE INDEX records_source ON records (source_name, source_identifier)
        WHERE source_name IS NOT NULL AND source_identifier IS NOT NULL;
    CREATE TABLE revisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore')),
        deleted INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        user TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL,
        at TEXT NOT NULL,
        UNIQUE (record_id, revision)
    );
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        protocol TEXT NOT NULL,
        prefix TEXT,
        set_spec TEXT,
        mapping TEXT,
        settings TEXT NOT NULL DEFAULT '{}',
        checkpoint TEXT,
        resume_token TEXT,
        last_success TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE harvest_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        full INTEGER NOT NULL DEFAULT 0,
        dry_run INTEGER NOT NULL DEFAULT 0,
        counts TEXT NOT NULL DEFAULT '{}',
        message TEXT
    );
    CREATE TABLE harvest_errors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES harvest_runs (id),
        identifier TEXT,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE harvested (
        source TEXT NOT NULL,
        source_identifier TEXT NOT NULL,
        record_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        hash TEXT NOT NULL,
        datestamp TEXT,
        PRIMARY KEY (source, source_identifier)
    );
    CREATE TABLE pending_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        source TEXT NOT NULL,
        source_identifier TEXT NOT NULL,
        action TEXT NOT NULL DEFAULT 'update',
        data TEXT,
        datestamp TEXT,
        created TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'superseded')),
        decided_by TEXT,
        decided_at TEXT
    );
    CREATE INDEX pending_by_record ON pending_changes (record_id, status);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('archivist', 'admin')),
        active INTEGER NOT NULL DEFAULT 1,
        session_version INTEGER NOT NULL DEFAULT 1,
        created TEXT NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('archivist', 'admin')),
        created TEXT NOT NULL,
        last_used TEXT,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: covering indexes for counts by type, status and harvest source (OAI-PMH ListSets,
    # the stats page, set-filtered harvests) so they no longer scan every record.
    """
    CREATE INDEX records_type ON records (type, deleted);
    CREATE INDEX records_status ON records (status, deleted);
    CREATE INDEX records_source_name ON records (source_name, deleted);
    """,
    # 3: one harvest of a source at a time (a lease with an expiry, renewed while the run
    # lives), and per harvested record the list that last saw it and the set it came
    # through, so that a complete list can retire what the provider no longer holds.
    """
    CREATE TABLE IF NOT EXISTS harvest_leases (
        source TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        pid_start TEXT NOT NULL DEFAULT '',
        acquired TEXT NOT NULL,
        expires TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS harvest_seen (
        source TEXT NOT NULL,
        source_identifier TEXT NOT NULL,
        list_id TEXT NOT NULL,
        set_spec TEXT,
        PRIMARY KEY (source, source_identifier)
    );
    """,
    # 4: values the statistics read, as generated columns of the record JSON with covering
    # indexes, so counting 100,000 records reads an index instead of parsing every record.
    """
    ALTER TABLE records ADD COLUMN quantity INTEGER GENERATED ALWAYS AS (json_extract(data, '$.quantity')) VIRTUAL;
    ALTER TABLE records ADD COLUMN place_name TEXT GENERATED ALWAYS AS (json_extract(data, '$.place.name')) VIRTUAL;
    ALTER TABLE records ADD COLUMN period_start INTEGER
        GENERATED ALWAYS AS (json_extract(data, '$.period.start')) VIRTUAL;
    ALTER TABLE records ADD COLUMN period_end INTEGER GENERATED ALWAYS AS (json_extract(data, '$.period.end')) VIRTUAL;
    CREATE INDEX records_quantity ON records (deleted, quantity);
    CREATE INDEX records_type_quantity ON records (deleted, type, quantity);
    CREATE INDEX records_live_status ON records (deleted, status);
    CREATE INDEX records_place_name ON records (deleted, place_name);
    CREATE INDEX records_period ON records (deleted, period_start, period_end);
    """,
    # 5 (login throttle, issue 11 finding 6): sign-in attempts per client address and failed
    # sign-ins per account name, with the lock-out they earned, kept in the store so every
    # process and node serving the data directory counts together. Times are Unix seconds.
    """
    CREATE TABLE IF NOT EXISTS login_throttle (
        kind TEXT NOT NULL CHECK (kind IN ('address', 'account')),
        key TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        since REAL NOT NULL,
        last REAL NOT NULL,
        locked_until REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX IF NOT EXISTS login_throttle_last ON login_throttle (last);
    """,
    # 6 (withheld revisions, issue 11 finding 8): an admin may withhold the content of a
    # revision from the public (a takedown of personal data or of a sensitive location).
    # `revisions.withheld` marks such a revision, `records.withheld` a record whose current
    # revision is withheld, and `withholdings` is the audit trail of every withhold and
    # release: who, when and why. The statistics count public records only (a withheld
    # record's place must not show), so their covering indexes take `withheld` too.
    """
    ALTER TABLE revisions ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0;
    DROP INDEX records_quantity;
    CREATE INDEX records_quantity ON records (deleted, withheld, quantity);
    DROP INDEX records_type_quantity;
    CREATE INDEX records_type_quantity ON records (deleted, withheld, type, quantity);
    DROP INDEX records_live_status;
    CREATE INDEX records_live_status ON records (deleted, withheld, status);
    DROP INDEX records_place_name;
    CREATE INDEX records_place_name ON records (deleted, withheld, place_name);
    DROP INDEX records_period;
    CREATE INDEX records_period ON records (deleted, withheld, period_start, period_end);
    CREATE TABLE withholdings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('withhold', 'release')),
        reason TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX withholdings_record ON withholdings (record_id, revision);
    """,
    # 7 (issue 19): the places of public records that have a geometry, so the search page can
    # tell at once whether its results hold anything to map (and offer the GeoJSON download);
    # a partial index: it holds the few mapped records only.
    """
    CREATE INDEX records_geometry_place ON records (place_name)
        WHERE deleted = 0 AND withheld = 0 AND json_extract(data, '$.place.geometry') IS NOT NULL;
    """,
    # 8 (imports in the web, issue 14): mappings of spreadsheet columns saved by admins for
    # everyone's uploads, and uploaded files kept between their preview and their import (and
    # for an import run again); an upload's runs are logged in harvest_runs. SQL of
    # catalogue/store/imports.py.
    """
    CREATE TABLE import_mappings (
        name TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        user TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE import_uploads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token TEXT NOT NULL UNIQUE,
        filename TEXT NOT NULL,
        content BLOB NOT NULL,
        mapping TEXT,
        mapping_name TEXT,
        sheet TEXT,
        encoding TEXT,
        user TEXT NOT NULL,
        created TEXT NOT NULL,
        run_id INTEGER
    );
    CREATE INDEX import_uploads_created ON import_uploads (created);
    """,
    # 9 (place authorities, issue 16): places with their own revisions (SQL of
    # catalogue/store/places.py), and the place a record is linked to (`place.id` of its
    # JSON) as an indexed column, so a place page and `places match` find records at once.
    """
    CREATE TABLE places (
        id TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        data TEXT NOT NULL,
        created TEXT NOT NULL,
        modified TEXT NOT NULL
    );
    CREATE TABLE place_revisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        place_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        data TEXT NOT NULL,
        user TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        UNIQUE (place_id, revision)
    );
    ALTER TABLE records ADD COLUMN place_id TEXT GENERATED ALWAYS AS (json_extract(data, '$.place.id')) VIRTUAL;
    CREATE INDEX records_place_id ON records (place_id, deleted, withheld);
    """,
    # 10 (issue 19): a harvested record whose upstream id is taken here by another record, and
    # what the source's policy did with it: `record_id` is where the upstream record is kept
    # (its new id when renamed, the local record when linked, NULL when refused), so that both
    # records can say so.
    """
    CREATE TABLE IF NOT EXISTS id_collisions (
        source TEXT NOT NULL,
        source_identifier TEXT NOT NULL,
        upstream_id TEXT NOT NULL,
        record_id TEXT,
        policy TEXT NOT NULL CHECK (policy IN ('refuse', 'link', 'rename')),
        run_id INTEGER,
        at TEXT NOT NULL,
        PRIMARY KEY (source, source_identifier)
    );
    CREATE INDEX IF NOT EXISTS id_collisions_upstream ON id_collisions (upstream_id);
    CREATE INDEX IF NOT EXISTS id_collisions_record ON id_collisions (record_id);
    """,
    # 11: an OAI-PMH set's pages read in list order (datestamp, id) from an index: found through
    # the set's value only, a page sorted the whole set first (275-585 ms at 1,000,000 records,
    # under 1 ms with these).
    """
    CREATE INDEX IF NOT EXISTS records_type_listed ON records (type, modified, id);
    CREATE INDEX IF NOT EXISTS records_status_listed ON records (status, modified, id);
    CREATE INDEX IF NOT EXISTS records_source_listed ON records (source_name, modified, id);
    """,
]


#: Kibibytes of page cache a connection may hold during a bulk write (`SQLiteBackend.bulk`).
BULK_CACHE_KIB = 65536


class SQLiteConnection(sqlite3.Connection):
    """A connection to the store; `readonly` when the disk was too full to open it for writing."""

    readonly = False
    #: The page cache's size before a bulk write (`SQLiteBackend.bulk`).
    cache_before: int | None = None
    #: Seconds after which a read-only connection is opened again (the disk may have room by then).
    RETRY_SECONDS = 5.0

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.opened = time.monotonic()

    def stale(self) -> bool:
        return time.monotonic() - self.opened > self.RETRY_SECONDS


class SQLiteBackend(Backend):
    """One SQLite file; one connection per thread (SQLite connections are not shared)."""

    name = "sqlite"
    migrations = MIGRATIONS

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"
        #: How `rows` packs each query it has read (`_packing`; the statements are the program's own).
        self._packed: dict[str, tuple[str, list[str], bool]] = {}
        path.parent.mkdir(parents=True, exist_ok=True)

    def connect(self) -> Connection:
        """Open the database with the catalogue's pragmas; autocommit, explicit transactions.

        On a full disk the WAL journal's index cannot be created: the database is then opened
        read-only (as it was last closed: a clean close leaves no journal), so the catalogue can
        still be read, and every write says the disk is full."""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False, factory=SQLiteConnection)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.OperationalError as error:
            conn.close()
            if not self.disk_full(error):
                raise
            log.warning("the disk holding %s is full (%s): opened read-only", self.path, error)
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                   isolation_level=None, check_same_thread=False, factory=SQLiteConnection)
            conn.readonly = True
        conn.row_factory = sqlite3.Row
        return conn

    def disk_full(self, error: Exception) -> bool:
        """Whether an SQLite error comes from a full disk (SQLITE_FULL, or an I/O error where the
        data directory has almost no space left, e.g. no room for the WAL index)."""
        if not isinstance(error, sqlite3.Error):
            return False
        name = getattr(error, "sqlite_errorname", "") or ""
        if name == "SQLITE_FULL":
            return True
        if not name.startswith("SQLITE_IOERR"):
            return False
        try:
            return shutil.disk_usage(self.path.parent).free < FULL_DISK_BYTES
        except OSError:
            return False

    def reopen(self, conn: Connection) -> bool:
        """A connection opened read-only on a full disk is opened again after a while."""
        return isinstance(conn, SQLiteConnection) and conn.readonly and conn.stale()

    def exists(self, conn_of: Any) -> bool:
        return self.path.exists()

    def give_back(self, conn: Connection) -> None:
        conn.close()  # type: ignore[attr-defined]

    def begin_write(self, conn: Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def begin_snapshot(self, conn: Connection) -> None:
        conn.execute("BEGIN")  # WAL: the first read fixes what every later read sees

    def bulk(self, conn: Connection, on: bool) -> None:
        """A savepoint keeps the pages its record changes (some 17: the table, the revision and
        the records' indexes) in a statement journal, a temporary file once past 64 kB: kept
        in memory instead, a record's row is inserted in about 60 µs rather than 90. Only for
        the bulk write: elsewhere a large sort or grouping may need the disk. The page cache
        grows to `BULK_CACHE_KIB` meanwhile: each insert reaches a leaf of every index, which
        SQLite's default 2 MB soon holds too few of (100,000 imported records: 4-5 % faster,
        system time a quarter less), and goes back to what it was after."""
        if on:
            conn.cache_before = conn.execute("PRAGMA cache_size").fetchone()[0]  # type: ignore[attr-defined]
        cache = -BULK_CACHE_KIB if on else getattr(conn, "cache_before", None)
        conn.execute(f"PRAGMA temp_store = {'MEMORY' if on else 'DEFAULT'}")
        if cache is not None:
            conn.execute(f"PRAGMA cache_size = {int(cache)}")

    def next_seq(self, conn: Connection) -> int:
        """The revisions' AUTOINCREMENT counter moves on by one, as SQLite allows, and a
        revision inserted with that number keeps it."""
        if conn.execute("UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'revisions'").rowcount == 0:
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('revisions', 1)")
        return self.last_seq(conn)

    def last_seq(self, conn: Connection) -> int:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'revisions'").fetchone()
        return int(row[0]) if row else 0

    def set_seq(self, conn: Connection, seq: int) -> None:
        if conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'revisions'", (seq,)).rowcount == 0:
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('revisions', ?)", (seq,))

    def rows(self, conn: Connection, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Every row of a query in one step of SQLite, packed by SQLite itself: the columns as one
        JSON array, a `data` column (JSON text the store wrote, which never holds a raw control
        character) joined by U+001E, so it is decoded once, as before.

        Python's sqlite3 lets go of the GIL at each step (each row) and, beside busy request
        threads, waits up to the switch interval (5 ms) to take it back at each: an OAI-PMH page
        of 100 rows took about 1 s (p50) beside four busy threads, and about 0.12 s in one step
        (`tests/benchmarks/bench_store.py --busy 4`)."""
        packing = self._packed.get(sql)
        if packing is None:
            packing = self._packed[sql] = self._packing(conn, sql, params)
        packed_sql, others, with_data = packing
        packed, texts, count = conn.execute(packed_sql, params).fetchone()
        found = [dict(zip(others, values, strict=True)) for values in jsontext.loads(packed)]
        if with_data:
            data = texts.split("\x1e") if texts is not None else []
            if len(data) != count:  # (a NULL data: read row by row)
                return conn.execute(sql, params).fetchall()
            for row, text in zip(found, data, strict=True):
                row["data"] = text
        return found

    @staticmethod
    def _packing(conn: Connection, sql: str, params: Sequence[Any] | dict[str, Any]) -> tuple[str, list[str], bool]:
        """How `rows` packs a query: its packing statement, the columns of the JSON array, and
        whether a `data` column is joined beside them."""
        described = conn.execute(f"SELECT * FROM ({sql}) LIMIT 0", params).description  # noqa: S608
        names = [name for name, *_ in described]
        others = [name for name in names if name != "data"]
        columns = ", ".join(f'"{name}"' for name in others)
        joined = 'group_concat("data", char(30))' if "data" in names else "NULL"
        packed_sql = f"SELECT json_group_array(json_array({columns})), {joined}, count(*) FROM ({sql})"  # noqa: S608
        return packed_sql, others, "data" in names

    def json_text(self, column: str, *path: str) -> str:
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    def json_objects(self, column: str, key: str, alias: str) -> tuple[str, str]:
        return f"json_each({column}, '$.{key}') {alias}", f"{alias}.type = 'object'"

    def one_of(self, column: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(?))"  # noqa: S608 (a column name, no input)

    def first_of(self, expr: str, order: str) -> str:
        """A bare column: SQLite takes it from the row of the query's one MIN(`order`)."""
        return expr

    def unindexed(self, column: str) -> str:
        return f"+{column}"

    def schema_version(self, conn: Connection) -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, conn: Connection, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    def tables(self, conn: Connection) -> set[str]:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return {row[0] for row in rows}

    def backup(self, conn: Connection, target: Path) -> bool:
        """SQLite's backup API: a consistent copy while others keep writing."""
        destination = sqlite3.connect(target)
        try:
            conn.backup(destination)  # type: ignore[attr-defined]
        finally:
            destination.close()
        return True
