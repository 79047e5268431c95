"""The small dialect layer under the one set of store queries: what differs between the
SQLite file (the embedded default) and PostgreSQL (for several web nodes), and nothing else.

The queries of `catalogue.store` are written once, in SQL both engines run (``?`` and
``:name`` parameters, ``ON CONFLICT`` upserts, ``RETURNING``); a `Backend` says how to
connect, how a write transaction serialises writers, how the change sequence moves on, how
to read a value out of a record's JSON, and how the schema version is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from threading import Event
from time import monotonic
from typing import Any, Protocol

#: How long a writer waits for another one (the SQLite busy timeout, PostgreSQL's lock_timeout).
BUSY_TIMEOUT_MS = 30_000
#: How often a wait for a change asks the store when nothing wakes it (seconds).
POLL_SECONDS = 0.2


class Row(Protocol):
    """A result row: by position (``row[0]``) or by column name (``row["id"]``)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What the store reads from an executed statement."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """One connection of a thread: SQLite's own, or a PostgreSQL one speaking the same SQL."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...


class Backend:
    """What one storage engine does its own way; subclasses `SQLiteBackend` and
    `PostgreSQLBackend` (`catalogue.store.db.open_backend` picks one). `url` names the store
    in messages (never with a password)."""

    name = ""
    url = ""
    #: Whether a thread gives its connection back between requests (`Store.release`).
    pooled = False
    #: The schema migrations, numbered by their position (schema version = entries applied).
    migrations: Sequence[str] = ()

    def connect(self) -> Connection:
        """A connection for the calling thread (SQLite: a new one; PostgreSQL: from the pool)."""
        raise NotImplementedError

    def give_back(self, conn: Connection) -> None:
        """The thread is done with `conn` (SQLite: closed; PostgreSQL: back to the pool)."""
        raise NotImplementedError

    def close(self) -> None:
        """No thread uses the store any more."""

    def disk_full(self, error: Exception) -> bool:
        """Whether a failed write failed because the store's disk is full (StorageFull)."""
        return False

    def reopen(self, conn: Connection) -> bool:
        """Whether the thread's idle connection should be opened again before its next use
        (SQLite: one opened read-only on a full disk, once the disk may have room)."""
        return False

    def exists(self, conn_of: Any) -> bool:
        """Whether the store is still there (a SQLite file can be deleted with its data
        directory, a PostgreSQL schema dropped); `conn_of()` gives the thread's connection."""
        return True

    def begin_write(self, conn: Connection) -> None:
        """Start a write transaction that holds the store's one writer lock until it ends, so
        writers queue and change numbers are committed in the order they are taken."""
        raise NotImplementedError

    def begin_snapshot(self, conn: Connection) -> None:
        """Start a read-only transaction in which every query sees the same state."""
        raise NotImplementedError

    def bulk(self, conn: Connection, on: bool) -> None:
        """Set `conn` up for (or back from) a bulk write: many records, each in its own
        savepoint (an import, a harvest)."""

    def next_seq(self, conn: Connection) -> int:
        """Take the next change number inside the current write transaction."""
        raise NotImplementedError

    def last_seq(self, conn: Connection) -> int:
        """The newest committed change number (0 for a new store)."""
        raise NotImplementedError

    def set_seq(self, conn: Connection, seq: int) -> None:
        """Move the change sequence to `seq` (a copied store continues where its source was)."""
        raise NotImplementedError

    def json_text(self, column: str, *path: str) -> str:
        """SQL reading the value at `path` of the JSON text in `column` (NULL when absent)."""
        raise NotImplementedError

    def json_objects(self, column: str, key: str, alias: str) -> tuple[str, str]:
        """A FROM item giving, as `alias`.value (JSON text), each element of the array at
        `key` of the JSON in `column`, and the SQL condition that the element is an object."""
        raise NotImplementedError

    def rows(self, conn: Connection, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Every row of a query, each read by column name, fetched at once; in no promised order
        (SQLite packs them in one aggregate): a caller that needs an order sorts them."""
        return conn.execute(sql, params).fetchall()

    def first_of(self, expr: str, order: str) -> str:
        """An aggregate: `expr` of the group's row with the least `order`."""
        raise NotImplementedError

    def one_of(self, column: str) -> str:
        """SQL true when `column` is one of the strings of a JSON array bound as its one
        parameter: one statement for any number of values (no list of placeholders, no limit
        of bound variables)."""
        raise NotImplementedError

    def unindexed(self, column: str) -> str:
        """`column` written so that the planner does not choose an index on it for a condition
        (SQLite's unary ``+``): a walk in primary-key order with ``LIMIT`` must read the primary
        key, not sort every matching row again for each batch. PostgreSQL's planner weighs the
        ``LIMIT`` itself."""
        return column

    def schema_version(self, conn: Connection) -> int:
        """How many migrations the store has had."""
        raise NotImplementedError

    def set_schema_version(self, conn: Connection, version: int) -> None:
        raise NotImplementedError

    def tables(self, conn: Connection) -> set[str]:
        """The names of the store's tables (bookkeeping tables of the engine left out)."""
        raise NotImplementedError

    def after_copy(self, conn: Connection, table: str) -> None:
        """A table was filled with rows keeping their ids: new rows must take ids above them."""

    #: Whether committed changes are announced (PostgreSQL's NOTIFY), so a waiter wakes at once.
    announces = False

    def wait_for_change(self, conn_of: Any, after: int, timeout: float, interrupt: Event | None = None) -> int:
        """Block until the newest change number is above `after`, `timeout` seconds have
        passed or `interrupt` is set; return the newest change number. `conn_of()` gives the
        thread's connection. Here by polling the change sequence."""
        deadline = monotonic() + max(timeout, 0.0)
        while True:
            seq = self.last_seq(conn_of())
            left = deadline - monotonic()
            if seq > after or left <= 0 or (interrupt is not None and interrupt.is_set()):
                return seq
            (interrupt or Event()).wait(min(POLL_SECONDS, left))

    def backup(self, conn: Connection, target: Path) -> bool:
        """Write a consistent copy to the SQLite file `target` if the engine can do it
        itself; False when the store must copy its tables instead."""
        return False

