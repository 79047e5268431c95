"""The PostgreSQL store, for several web nodes sharing one database: psycopg 3 connections
from a psycopg_pool pool, speaking the store's one set of queries.

Writers are serialised by a transaction-level advisory lock taken when a write transaction
begins (as SQLite's BEGIN IMMEDIATE does). That keeps the store's read-check-write steps
(a stale revision refused, one lease per source, one account per name) as safe as on SQLite,
and it makes the change sequence commit-ordered: a change number is taken under the lock
from the one-row `change_sequence` table, so no transaction can commit a lower number after
a reader has seen a higher one, and a reader asking "what changed after N" never skips a
change. Committing a change also sends ``NOTIFY catalogue_changes``, which `wait_for_change`
listens for (falling back to polling when the listening connection is lost).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import lru_cache
from threading import Event
from time import monotonic
from typing import Any
from zlib import crc32

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import CatalogueError
from .backend import BUSY_TIMEOUT_MS, POLL_SECONDS, Backend, Connection, Cursor
from .postgresql_schema import MIGRATIONS

#: Most connections one process holds (web threads give theirs back after each request).
POOL_MAX = 10
#: The channel a committed change is announced on.
CHANNEL = "catalogue_changes"
#: How often a wait for a change that may be interrupted looks at its interrupt (seconds).
NOTICE_SLICE = 0.1
_QUOTED = re.compile(r"('(?:[^']|'')*')")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """The store's SQL (``?`` and ``:name`` parameters) in psycopg's parameter style."""
    parts = _QUOTED.split(sql)
    for i, part in enumerate(parts):
        part = part.replace("%", "%%")
        if i % 2 == 0:  # outside string literals
            part = _NAMED.sub(r"%(\1)s", part.replace("?", "%s"))
        parts[i] = part
    return "".join(parts)


class Row:
    """A result row read by position or by column name, as `sqlite3.Row` is."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]):
        self._values, self._index = values, index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._index[key]]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    """psycopg row factory making `Row`s."""
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class PgConnection:
    """A pooled psycopg connection (autocommit; transactions are begun explicitly, as on
    SQLite) that runs the store's SQL."""

    def __init__(self, raw: psycopg.Connection[Any]):
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        return self.raw.execute(translate(sql), _storable(params))  # type: ignore[return-value]

    def executemany(self, sql: str, rows: Any) -> Any:
        with self.raw.cursor() as cursor:
            cursor.executemany(translate(sql), [_storable(row) for row in rows])


def _storable(params: Sequence[Any] | dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
    """Parameters PostgreSQL accepts: its text holds no NUL character, which SQLite's does, so
    a NUL in a value (an id typed into a URL, a sign-in name) is sent as U+FFFD, the same way
    whether it is written or looked up. Stored records never hold one (`records` refuses
    control characters)."""
    if isinstance(params, dict):
        if any(isinstance(v, str) and "\x00" in v for v in params.values()):
            return {k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in params.items()}
        return params
    if any(isinstance(v, str) and "\x00" in v for v in params):
        return [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in params]
    return params


def display_url(url: str) -> str:
    """The store URL as messages show it: without a password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _reason(error: psycopg.Error) -> str:
    """The first line of a driver error, the part a person can act on."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class PostgreSQLBackend(Backend):
    """A PostgreSQL database (or one schema of it, chosen with ``options=-csearch_path=…``)."""

    name = "postgresql"
    pooled = True
    announces = True
    migrations = MIGRATIONS

    def __init__(self, url: str):
        self.url = display_url(url)
        self.conninfo = make_conninfo(url.replace("postgres://", "postgresql://", 1))
        try:
            conninfo_to_dict(self.conninfo)
        except psycopg.ProgrammingError as error:
            raise CatalogueError(f"cannot read the store URL {self.url}: {error}") from None
        try:  # one connection first: a wrong password or host is told at once, in the server's words
            psycopg.connect(self.conninfo, connect_timeout=10).close()
        except psycopg.Error as error:
            raise CatalogueError(f"cannot connect to the PostgreSQL store {self.url}: {_reason(error)}") from None
        self.pool = ConnectionPool(self.conninfo, min_size=1, max_size=POOL_MAX, open=False,
                                   kwargs={"autocommit": True, "row_factory": _rows},
                                   configure=self._configure, check=ConnectionPool.check_connection,
                                   name="catalogue-store")
        self.pool.open(wait=False)
        with self.pool.connection() as conn:
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
        if schema is None:
            self.pool.close()
            raise CatalogueError(f"the PostgreSQL store {self.url} has no schema to write in (check search_path)")
        #: The key of the writer lock: one per schema, so catalogues sharing a database do not queue.
        self.lock_key = crc32(f"catalogue:{schema}".encode())
        self._listener = _Listener(self.conninfo)

    def _why_not(self) -> str:
        """The server's own reason a connection fails (bad password, no such database, down)."""
        try:
            psycopg.connect(self.conninfo, connect_timeout=5).close()
        except psycopg.Error as error:
            return _reason(error)
        return "no connection was free in time"

    @staticmethod
    def _configure(raw: psycopg.Connection[Any]) -> None:
        raw.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")

    def connect(self) -> Connection:
        try:
            return PgConnection(self.pool.getconn(timeout=BUSY_TIMEOUT_MS / 1000))
        except PoolTimeout:
            raise CatalogueError(f"no connection to the PostgreSQL store {self.url}: {self._why_not()}") from None

    def give_back(self, conn: Connection) -> None:
        if isinstance(conn, PgConnection) and not self.pool.closed:
            self.pool.putconn(conn.raw)

    def close(self) -> None:
        self._listener.close()
        self.pool.close()

    def exists(self, conn_of: Callable[[], Connection]) -> bool:
        """Whether the store's tables are still there (a schema can be dropped under a node);
        True while the server cannot be asked (down is not gone), False once the store is closed."""
        if self.pool.closed:
            return False
        try:
            return conn_of().execute("SELECT to_regclass('change_sequence')").fetchone()[0] is not None
        except (psycopg.Error, CatalogueError):
            return True

    def reopen(self, conn: Connection) -> bool:
        """A connection the server closed (a restart, a killed backend) is replaced."""
        return isinstance(conn, PgConnection) and (conn.raw.closed or conn.raw.broken)

    def disk_full(self, error: Exception) -> bool:
        """The server could not write for want of space (SQLSTATE 53100)."""
        return isinstance(error, psycopg.errors.DiskFull)

    def begin_write(self, conn: Connection) -> None:
        # READ COMMITTED: each statement after the lock sees every write committed before it.
        conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        conn.execute("SELECT pg_advisory_xact_lock(?)", (self.lock_key,))

    def begin_snapshot(self, conn: Connection) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def next_seq(self, conn: Connection) -> int:
        seq = int(conn.execute("UPDATE change_sequence SET seq = seq + 1 RETURNING seq").fetchone()[0])
        conn.execute(f"NOTIFY {CHANNEL}")  # sent when (and if) the transaction commits
        return seq

    def last_seq(self, conn: Connection) -> int:
        row = conn.execute("SELECT seq FROM change_sequence").fetchone()
        return int(row[0]) if row else 0

    def set_seq(self, conn: Connection, seq: int) -> None:
        conn.execute("UPDATE change_sequence SET seq = ?", (seq,))

    def json_text(self, column: str, *path: str) -> str:
        """``#>>``: a JSON null reads as NULL, as SQLite's json_extract does."""
        return f"({column}::jsonb #>> '{{{','.join(path)}}}')"

    def json_objects(self, column: str, key: str, alias: str) -> tuple[str, str]:
        array = f"{column}::jsonb -> '{key}'"
        return (f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({array}) = 'array' THEN {array}"
                f" ELSE '[]'::jsonb END) AS {alias}(value)", f"jsonb_typeof({alias}.value::jsonb) = 'object'")

    def one_of(self, column: str) -> str:
        return f"{column} IN (SELECT jsonb_array_elements_text(?::jsonb))"

    def first_of(self, expr: str, order: str) -> str:
        return f"(array_agg({expr} ORDER BY {order}))[1]"

    def schema_version(self, conn: Connection) -> int:
        if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])

    def set_schema_version(self, conn: Connection, version: int) -> None:
        conn.execute("UPDATE schema_version SET version = ?", (version,))

    def tables(self, conn: Connection) -> set[str]:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                            " AND tablename NOT IN ('schema_version', 'change_sequence')")
        return {row[0] for row in rows}

    def after_copy(self, conn: Connection, table: str) -> None:
        """Identity columns go on above the copied ids."""
        conn.execute(f"SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE(MAX(id), 0) + 1, false)"  # noqa: S608
                     f" FROM {table}", (table,))

    def wait_for_change(self, conn_of: Any, after: int, timeout: float, interrupt: Event | None = None) -> int:
        """Wait for a NOTIFY of a committed change (the change sequence is read when one
        comes, and each second in case one was lost); poll when the listener is unavailable.
        With an `interrupt`, it is looked at every `NOTICE_SLICE` seconds."""
        deadline = monotonic() + max(timeout, 0.0)
        look, looked, seq = True, 0.0, after
        while True:
            listening = self._listener.ready()  # before reading: a change committed after it wakes us
            if look or not listening:
                seq, looked = self.last_seq(conn_of()), monotonic()
            left = deadline - monotonic()
            if seq > after or left <= 0 or (interrupt is not None and interrupt.is_set()):
                return seq
            if listening:
                woke = self._listener.wait(min(left, NOTICE_SLICE if interrupt is not None else 1.0))
                look = woke or monotonic() - looked >= 1.0
            else:
                (interrupt or Event()).wait(min(POLL_SECONDS, left))


class _Listener:
    """One connection per process that LISTENs for committed changes; wakes the threads that
    wait. Lost (server restart, killed backend), it is opened again on the next wait; until
    then waiters poll."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def ready(self) -> bool:
        """Whether a listening connection is open (opening one if needed)."""
        with self._lock:
            if self._closed:
                return False
            if self._conn is not None and not self._conn.closed:
                return True
            try:
                self._conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
                self._conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error:
                self._conn = None
                return False
            return True

    def wait(self, seconds: float) -> bool:
        """Sleep until a change is announced (True) or `seconds` pass (False)."""
        conn = self._conn
        if conn is None or conn.closed:
            threading.Event().wait(seconds)
            return False
        try:
            return any(True for _ in conn.notifies(timeout=seconds, stop_after=1))
        except psycopg.Error:
            with self._lock:
                self._drop()
            return True  # read the sequence: a change may have come while the connection failed

    def _drop(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    def __del__(self) -> None:
        with suppress(Exception):  # a store dropped without `close`: its listening connection goes with it
            self._drop()
