"""The store, the catalogue's only source of truth: one SQLite file by default, or a
PostgreSQL database shared by several web nodes (`db.open_backend`).

Every record write stores a full revision and bumps the change sequence (`revisions.seq`),
so the index and the OAI-PMH provider can ask cheaply what changed since a point. Writers
hold the store's one writer lock for their whole transaction, so change numbers are
committed in the order they are taken and "what changed after N" never misses a change.
SQL lives in this package only, written once for both engines (`backend` says where they
differ): this module holds records and revisions; sibling modules hold the tables of other
areas (harvest sources, users).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from .. import jsontext
from ..errors import AlreadyExists, CatalogueError, Gone, NotFound, StaleRevision, StorageFull
from ..timestamps import utcnow
from .backend import Backend, Connection, Row
from .db import migrate, open_backend, undo


@dataclass(frozen=True)
class StoredRecord:
    """The current state of a record row, tombstones included; `withheld` when an admin
    withheld its current revision from the public."""

    id: str
    revision: int
    deleted: bool
    reason: str | None
    data: dict[str, Any]
    created: str
    modified: str
    seq: int
    withheld: bool = False

    @property
    def hidden(self) -> bool:
        """Whether the public sees no content of the record (deleted or withheld): it is
        in no search, export or list with metadata."""
        return self.deleted or self.withheld

    @classmethod
    def from_row(cls, row: Row) -> StoredRecord:
        return cls(row["id"], row["revision"], bool(row["deleted"]), row["reason"],
                   jsontext.loads(row["data"]), row["created"], row["modified"], row["seq"], bool(row["withheld"]))


@dataclass(frozen=True)
class Revision:
    """One stored revision: who changed what, when and why; `withheld` when an admin
    withheld its content from the public."""

    seq: int
    record_id: str
    revision: int
    action: str
    deleted: bool
    data: dict[str, Any]
    user: str
    message: str
    origin: str
    at: str
    withheld: bool = False

    @classmethod
    def from_row(cls, row: Row) -> Revision:
        return cls(row["seq"], row["record_id"], row["revision"], row["action"], bool(row["deleted"]),
                   jsontext.loads(row["data"]), row["user"], row["message"], row["origin"], row["at"],
                   bool(row["withheld"]))


@dataclass(frozen=True)
class Withholding:
    """One entry of the audit trail of withheld revisions: who withheld or released which
    revision, when and why."""

    id: int
    record_id: str
    revision: int
    action: str
    reason: str
    user: str
    at: str

    @classmethod
    def from_row(cls, row: Row) -> Withholding:
        return cls(row["id"], row["record_id"], row["revision"], row["action"], row["reason"], row["user"], row["at"])


def _check_source_free(conn: Connection, record_id: str, provenance: dict[str, Any]) -> None:
    """AlreadyExists when another record holds the same (source name, source identifier):
    one upstream record maps to one catalogue record."""
    name, identifier = provenance.get("source_name"), provenance.get("source_identifier")
    if name is None or identifier is None:
        return
    row = conn.execute("SELECT id FROM records WHERE source_name = ? AND source_identifier = ? AND id != ?",
                       (name, identifier, record_id)).fetchone()
    if row is not None:
        raise AlreadyExists(f"record {row[0]!r} already holds identifier {identifier!r} of source {name!r}")


def _same_content(stored_text: str, data: dict[str, Any]) -> bool:
    """Whether a stored revision (JSON text) holds the content `data` (system fields aside)."""
    stored = jsontext.loads(stored_text)
    return {k: v for k, v in stored.items() if k not in ("created", "modified", "revision")} == data


class Store:
    """Records and revisions in one SQLite file or PostgreSQL database; one connection per
    thread, held until `release`."""

    def __init__(self, url: Path | str):
        #: What differs between the engines (`catalogue.store.backend`).
        self.backend: Backend = open_backend(url)
        self._local = threading.local()
        try:
            migrate(self.backend, self.conn)
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """The store's URL (without a password), for messages."""
        return self.backend.url

    def exists(self) -> bool:
        """Whether the store is still there (its SQLite file may go with its data directory, a
        PostgreSQL schema may be dropped): a follower of a store that is gone stops."""
        return self.backend.exists(lambda: self.conn)

    @property
    def conn(self) -> Connection:
        """This thread's connection (SQLite connections must not be shared across threads);
        one opened read-only on a full disk is opened again now and then, once there is room."""
        held = getattr(self._local, "held", None)
        if held is not None and not held.conn.in_transaction and self.backend.reopen(held.conn):
            self.close_thread()  # opened read-only on a full disk: there may be room now
            held = None
        if held is None:
            held = self._local.held = _Held(self.backend, self.backend.connect())
        return held.conn

    def release(self) -> None:
        """This thread is done for now (a web request has ended): a PostgreSQL connection
        goes back to the pool; a SQLite one stays open."""
        held = getattr(self._local, "held", None)
        if held is not None and self.backend.pooled and not held.conn.in_transaction:
            self._local.held = None
            held.give_back()

    def close_thread(self) -> None:
        """This thread is done with the store (a helper thread ends): its connection is
        closed (SQLite) or given back to the pool (PostgreSQL)."""
        held = getattr(self._local, "held", None)
        if held is not None:
            self._local.held = None
            held.give_back()

    def close(self) -> None:
        """Nobody uses the store any more: this thread's connection and (PostgreSQL) the pool close."""
        self.close_thread()
        self.backend.close()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A block of many writes, each its own savepoint (`transaction` nested in one): this
        thread's connection is set up for them (`Backend.bulk`) and back after."""
        conn = self.conn
        if outside := not conn.in_transaction:  # (inside one, left as the block that began it set it)
            self.backend.bulk(conn, True)
        try:
            yield
        finally:
            if outside and getattr(self._local, "held", None) and self._local.held.conn is conn:  # (not closed)
                self.backend.bulk(conn, False)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction holding the writer lock from its start (SQLite's BEGIN
        IMMEDIATE, PostgreSQL's advisory lock), so writers queue, not fail.

        Nested inside another one it becomes a savepoint: a failing inner block is undone
        alone and the outer transaction (a batch of imported records) goes on.
        """
        conn = self.conn
        if conn.in_transaction:
            conn.execute("SAVEPOINT nested")
            try:
                yield conn
                conn.execute("RELEASE nested")
            except BaseException:
                undo(conn, "ROLLBACK TO nested")
                undo(conn, "RELEASE nested")
                raise
            return
        conn = self._writable()
        try:
            self.backend.begin_write(conn)
            yield conn
            conn.execute("COMMIT")
        except BaseException as error:
            undo(conn)
            if isinstance(error, Exception) and self.backend.disk_full(error):
                raise StorageFull(str(error)) from error
            raise

    def _writable(self) -> Connection:
        """This thread's connection, able to write: one opened read-only (the disk was full)
        is opened again; StorageFull while the disk still is."""
        conn = self.conn
        if getattr(conn, "readonly", False):
            self.close_thread()
            conn = self.conn
            if getattr(conn, "readonly", False):
                raise StorageFull("the store could only be opened to read")
        return conn

    # -- reads -------------------------------------------------------------------------

    def get(self, record_id: str) -> StoredRecord | None:
        """The current row of a record, tombstone or not; None when the id is unknown."""
        row = self.conn.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        return StoredRecord.from_row(row) if row else None

    def get_many(self, record_ids: Sequence[str]) -> dict[str, StoredRecord]:
        """The current rows of the records `record_ids` that exist (tombstones too), by id:
        one query for them all (the ids bound as one JSON array), for a page of search hits."""
        ids = [i for i in dict.fromkeys(record_ids) if "\x00" not in i]  # (no stored id holds a NUL)
        if not ids:
            return {}
        sql = f"SELECT * FROM records WHERE {self.backend.one_of('id')}"  # noqa: S608 (no input in it)
        rows = self.backend.rows(self.conn, sql, (json.dumps(ids),))
        return {row["id"]: StoredRecord.from_row(row) for row in rows}

    def get_live(self, record_id: str) -> StoredRecord:
        """The current row of a live record; NotFound or Gone otherwise."""
        stored = self.get(record_id)
        if stored is None:
            raise NotFound.record(record_id)
        if stored.deleted:  # the reason of a withheld deletion is withheld with it
            raise Gone(record_id, None if stored.withheld else stored.reason, stored.revision)
        return stored

    def revision(self, record_id: str, number: int) -> Revision:
        """One revision of a record; NotFound when it does not exist."""
        row = self.conn.execute(
            "SELECT * FROM revisions WHERE record_id = ? AND revision = ?", (record_id, number)
        ).fetchone()
        if row is None:
            raise NotFound.revision(record_id, number)
        return Revision.from_row(row)

    def history(self, record_id: str) -> list[Revision]:
        """All revisions of a record, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM revisions WHERE record_id = ? ORDER BY revision", (record_id,)
        ).fetchall()
        return [Revision.from_row(r) for r in rows]

    def find_by_source(self, source_name: str, source_identifier: str) -> StoredRecord | None:
        """The record harvested or imported from (source, identifier), if any."""
        row = self.conn.execute(
            "SELECT * FROM records WHERE source_name = ? AND source_identifier = ?",
            (source_name, source_identifier),
        ).fetchone()
        return StoredRecord.from_row(row) if row else None

    def iter_records(self, *, include_deleted: bool = False, types: Sequence[str] = (),
                     statuses: Sequence[str] = (), batch: int = 1000) -> Iterator[StoredRecord]:
        """Every public record (live, its current revision not withheld) in id order, or with
        `include_deleted` every row; only those whose type is one of `types` and status one
        of `statuses` (an empty list: any). Streamed in batches (no whole-catalogue lists):
        the one loop over every record, for exports and the index alike."""
        sql, params = self._walk("*", include_deleted, types, statuses)
        last = ""
        while True:
            rows = sorted(self.backend.rows(self.conn, sql, (last, *params, batch)), key=itemgetter("id"))
            if not rows:
                return
            for row in rows:
                yield StoredRecord.from_row(row)
            last = rows[-1]["id"]

    def iter_texts(self, batch: int = 1000) -> Iterator[tuple[str, int]]:
        """(stored JSON text, revision) of every public record, in the order of `iter_records`,
        read as plain rows: what a full index build hands its writer processes, at about a
        fifth of the CPU of records made and then taken apart. Each batch is read row by row,
        letting go of the GIL at each (`Backend.rows`): for a process without busy threads."""
        sql, params = self._walk("id, data, revision", False, (), ())
        last = ""
        while rows := self.conn.execute(sql, (last, *params, batch)).fetchall():
            yield from ((row[1], row[2]) for row in rows)
            last = rows[-1][0]

    def _walk(self, columns: str, include_deleted: bool, types: Sequence[str],
              statuses: Sequence[str]) -> tuple[str, list[Any]]:
        """The statement of a batch of a walk over the records in id order (bound: the last id
        read, the filters' values, the batch size) and the filters' values."""
        # Walked by the primary key: an index on a filtered column would make each batch sort
        # every matching row after `last` (2.6 s a batch at 1,000,000 records, against 12 ms).
        plain = self.backend.unindexed
        where, params = ["id > ?"], []
        if not include_deleted:
            where += [f"{plain('deleted')} = 0", f"{plain('withheld')} = 0"]
        for column, values in (("type", types), ("status", statuses)):
            if values:  # column names are constants, not input
                where.append(f"{plain(column)} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        return f"SELECT {columns} FROM records WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", params  # noqa: S608

    def last_seq(self) -> int:
        """The newest change sequence number (0 for an empty store): the last revision's, or
        the one a later withhold or release of a current revision took."""
        return self.backend.last_seq(self.conn)

    def wait_for_change(self, after: int, timeout: float, interrupt: threading.Event | None = None) -> int:
        """Wait until a change after number `after` is committed (by any process or node),
        `timeout` seconds pass or `interrupt` is set; the newest change number. PostgreSQL
        wakes the waiter with LISTEN/NOTIFY (polling while it cannot listen); SQLite polls."""
        return self.backend.wait_for_change(lambda: self.conn, after, timeout, interrupt)

    @property
    def announces_changes(self) -> bool:
        """Whether a committed change wakes waiters at once (PostgreSQL) rather than by polling."""
        return self.backend.announces

    def changed_since(self, seq: int, limit: int = 1000) -> list[StoredRecord]:
        """Current rows of records whose last change is after `seq`, in change order."""
        rows = self.conn.execute(
            "SELECT * FROM records WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        return [StoredRecord.from_row(r) for r in rows]

    def texts_changed_since(self, seq: int, limit: int = 1000) -> list[tuple[str, int, str, int, bool]]:
        """`changed_since` as plain rows: (id, change number, stored JSON text, revision, hidden),
        what the index's writer processes are handed (they decode the text themselves)."""
        rows = self.conn.execute("SELECT id, seq, data, revision, deleted, withheld FROM records WHERE seq > ?"
                                 " ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        return [(row[0], row[1], row[2], row[3], bool(row[4] or row[5])) for row in rows]

    def count_changed_since(self, seq: int) -> int:
        """How many records changed after `seq` (what `changed_since` would list, counted)."""
        return int(self.conn.execute("SELECT COUNT(*) FROM records WHERE seq > ?", (seq,)).fetchone()[0])

    def recent_changes(self, limit: int = 10) -> list[Revision]:
        """The latest revisions across the catalogue that are not withheld, newest first."""
        rows = self.conn.execute("SELECT * FROM revisions WHERE withheld = 0 ORDER BY seq DESC LIMIT ?",
                                 (limit,)).fetchall()
        return [Revision.from_row(r) for r in rows]

    def counts(self) -> dict[str, Any]:
        """Collection figures: public records (live, their current revision not withheld) and
        deleted ones, `group_items` (the quantities of public group records summed; records
        without a quantity are not counted as items) and public records by type and by status."""
        conn = self.conn
        live, deleted = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN deleted = 0 AND withheld = 0 THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(deleted), 0) FROM records"
        ).fetchone()
        items = conn.execute(  # "IS NOT NULL" (SUM skips NULLs anyway) lets SQLite read records_quantity
            "SELECT COALESCE(SUM(quantity), 0) FROM records WHERE deleted = 0 AND withheld = 0 AND quantity IS NOT NULL"
        ).fetchone()[0]
        by = {}
        for column in ("type", "status"):
            by[column] = {
                row[0]: row[1]
                for row in conn.execute(  # column names are constants, not input
                    f"SELECT {column}, COUNT(*) FROM records WHERE deleted = 0 AND withheld = 0"  # noqa: S608
                    f" GROUP BY {column} ORDER BY 2 DESC, 1"
                )
            }
        return {"records": int(live), "deleted": int(deleted), "group_items": int(items),
                "by_type": by["type"], "by_status": by["status"]}

    # -- the one write ------------------------------------------------------------------

    def write(
        self,
        record_id: str,
        data: dict[str, Any],
        *,
        action: str,
        base_revision: int | None,
        user: str,
        message: str,
        origin: str,
        reason: str | None = None,
    ) -> StoredRecord:
        """Store a new revision of a record in one transaction and return the new row.

        `base_revision` is the revision the writer saw: None for a create, and for other
        actions a stale value raises StaleRevision (pass -1 to skip the check, for
        administrative actions). The record's `created`, `modified` and `revision` fields
        are set here.
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
            now = utcnow()
            if action == "create":
                if row is not None:
                    reused = " by a deleted record (ids are never reused)" if row["deleted"] else ""
                    raise AlreadyExists(f"id {record_id!r} is taken{reused}")
                revision, created = 1, now
            else:
                if row is None:
                    raise NotFound.record(record_id)
                if base_revision not in (-1, row["revision"]):
                    raise StaleRevision(record_id, base_revision, row["revision"])
                if action == "update" and row["deleted"]:
                    raise Gone(record_id, row["reason"], row["revision"])
                revision, created = row["revision"] + 1, row["created"]
            deleted = action == "delete"
            withheld = row is not None and bool(row["withheld"]) and _same_content(row["data"], data)
            stored = dict(data, created=created, modified=now, revision=revision)
            text = jsontext.dumps(stored, sort_keys=True)
            seq = self.backend.next_seq(conn)
            conn.execute(
                'INSERT INTO revisions (seq, record_id, revision, action, deleted, data, "user", message, origin, at,'
                " withheld) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, record_id, revision, action, int(deleted), text, user, message, origin, now, int(withheld)),
            )
            provenance = data.get("provenance") or {}
            _check_source_free(conn, record_id, provenance)
            conn.execute(
                "INSERT INTO records (id, revision, deleted, reason, data, type, status, title, created, modified, seq,"
                " source_name, source_identifier, withheld) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted,"
                " reason = excluded.reason, data = excluded.data, type = excluded.type, status = excluded.status,"
                " title = excluded.title, modified = excluded.modified, seq = excluded.seq,"
                " source_name = excluded.source_name, source_identifier = excluded.source_identifier,"
                " withheld = excluded.withheld",
                (record_id, revision, int(deleted), reason if deleted else None, text, data.get("type"),
                 (data.get("condition") or {}).get("status", "unknown"), data.get("title"), created, now, seq,
                 provenance.get("source_name"), provenance.get("source_identifier"), int(withheld)),
            )
        return StoredRecord(record_id, revision, deleted, reason if deleted else None, stored, created, now, seq,
                            withheld)

    # -- withholding --------------------------------------------------------------------

    def set_withheld(self, record_id: str, revision: int, withheld: bool, *, reason: str,
                     user: str) -> Withholding:
        """Withhold a revision's content from the public (or release it), with the reason in
        the audit trail. When it is the current revision, the record takes a new change
        number and datestamp, so the index and OAI-PMH harvesters learn of it."""
        action = "withhold" if withheld else "release"
        with self.transaction() as conn:
            row = conn.execute("SELECT withheld FROM revisions WHERE record_id = ? AND revision = ?",
                               (record_id, revision)).fetchone()
            if row is None:
                raise NotFound.revision(record_id, revision)
            if bool(row[0]) == withheld:
                state = "withheld already" if withheld else "not withheld"
                raise CatalogueError(f"revision {revision} of record {record_id!r} is {state}")
            conn.execute("UPDATE revisions SET withheld = ? WHERE record_id = ? AND revision = ?",
                         (int(withheld), record_id, revision))
            now = utcnow()
            if conn.execute("SELECT 1 FROM records WHERE id = ? AND revision = ?", (record_id, revision)).fetchone():
                conn.execute("UPDATE records SET withheld = ?, seq = ?, modified = ? WHERE id = ?",
                             (int(withheld), self.backend.next_seq(conn), now, record_id))
            entry = conn.execute(
                'INSERT INTO withholdings (record_id, revision, action, reason, "user", at) VALUES (?, ?, ?, ?, ?, ?)'
                " RETURNING *", (record_id, revision, action, reason, user, now)).fetchone()
        return Withholding.from_row(entry)

    def withholdings(self, record_id: str | None = None) -> list[Withholding]:
        """The audit trail of withheld revisions (of one record, or all), oldest first."""
        sql, params = ("SELECT * FROM withholdings ORDER BY id", ()) if record_id is None else (
            "SELECT * FROM withholdings WHERE record_id = ? ORDER BY id", (record_id,))
        return [Withholding.from_row(r) for r in self.conn.execute(sql, params).fetchall()]


class _Held:
    """A thread's connection; given back to its backend when the thread is done with it, or
    when the thread ends without saying so (its thread-local slot is then collected)."""

    def __init__(self, backend: Backend, conn: Connection):
        self.backend, self.conn = backend, conn
        self._given = False

    def give_back(self) -> None:
        if not self._given:
            self._given = True
            self.backend.give_back(self.conn)

    def __del__(self) -> None:
        with suppress(Exception):  # a collected thread's connection: nobody is left to tell
            self.give_back()
