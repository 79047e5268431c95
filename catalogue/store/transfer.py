"""Copy a whole catalogue from one store to another (SQLite to PostgreSQL and back, or to a
new SQLite file as a backup), then prove the copy: every table's row count, a checksum of
every record's revision chain, and a checksum of every other table must match.

The source is read in one snapshot (it may keep serving reads meanwhile; writes made after
the snapshot are not copied), the target is written in one transaction, and ids and change
numbers are kept, so a search index built from the source stays in step with the copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CatalogueError
from . import Store
from .backend import Connection

#: Every table copied, parents before children, with the columns that order its rows.
COPIED: dict[str, tuple[str, ...]] = {
    "records": ("id",), "revisions": ("seq",), "withholdings": ("id",), "users": ("id",), "tokens": ("id",),
    "login_throttle": ("kind", "key"), "sources": ("name",), "harvest_runs": ("id",), "harvest_errors": ("id",),
    "harvested": ("source", "source_identifier"), "harvest_seen": ("source", "source_identifier"),
    "pending_changes": ("id",), "import_mappings": ("name",), "import_uploads": ("id",),
    "places": ("id",), "place_revisions": ("id",), "id_collisions": ("source", "source_identifier"),
}
#: Tables whose integer ids the store gives (new rows of the copy go on above the copied ones).
NUMBERED = frozenset({"withholdings", "users", "tokens", "harvest_runs", "harvest_errors", "pending_changes",
                      "import_uploads", "place_revisions"})
#: Tables left behind, and why.
NOT_COPIED = {"harvest_leases": "a lease belongs to a harvest process running on the source store"}
#: Columns the store computes from others (not written, not compared).
GENERATED = {"records": frozenset({"quantity", "place_name", "period_start", "period_end", "place_id"})}
#: Tables checksummed per chain of revisions (the column naming whose chain, the key's prefix).
CHAINS = {"revisions": ("record_id", "chain"), "place_revisions": ("place_id", "place")}
#: Rows read and written at a time.
BATCH = 1000


class TransferError(CatalogueError):
    """The copy cannot start (the target holds data, a table is unknown) or did not verify."""


@dataclass
class TransferReport:
    """What was copied where: rows per table, how many revision chains were checked, and the
    change number the copy continues from."""

    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    chains: int = 0
    seq: int = 0


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _columns(conn: Connection, table: str) -> list[str]:
    cursor = conn.execute(f"SELECT * FROM {table} LIMIT 0")  # noqa: S608 (table names are constants)
    names = [column[0] for column in cursor.description]  # type: ignore[attr-defined]
    cursor.fetchall()
    return [name for name in names if name not in GENERATED.get(table, ())]


def _rows(conn: Connection, table: str, columns: list[str]) -> Iterator[tuple[object, ...]]:
    """Every row of `table` in key order, read in batches (keyset pagination)."""
    keys = COPIED[table]
    positions = [columns.index(key) for key in keys]
    base = f"SELECT {_quoted(columns)} FROM {table}"  # noqa: S608 (constants)
    order = f" ORDER BY {_quoted(list(keys))} LIMIT {BATCH}"
    after: tuple[object, ...] | None = None
    while True:
        if after is None:
            rows = conn.execute(base + order).fetchall()
        else:
            rows = conn.execute(f"{base} WHERE ({_quoted(list(keys))}) > ({', '.join('?' * len(keys))}){order}",
                                after).fetchall()
        if not rows:
            return
        for row in rows:
            yield tuple(row)
        after = tuple(rows[-1][i] for i in positions)


def _hex(value: object) -> str:
    """A binary value (an uploaded file) in a checksum's JSON, as hexadecimal."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot checksum a {type(value).__name__}")


def _row_counts(conn: Connection) -> dict[str, int]:
    return {table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in COPIED}


def _digests(conn: Connection) -> dict[str, str]:
    """A checksum of each record's revision chain (``chain:<id>``), of each place's
    (``place:<id>``) and of each other table."""
    digests: dict[str, Any] = {}
    for table in COPIED:
        columns = _columns(conn, table)
        column, prefix = CHAINS.get(table, (None, ""))
        owner = columns.index(column) if column is not None else None
        for row in _rows(conn, table, columns):
            key = f"{prefix}:{row[owner]}" if owner is not None else f"table:{table}"
            digests.setdefault(key, hashlib.sha256()).update(
                json.dumps(row, ensure_ascii=False, default=_hex).encode())
    return {key: digest.hexdigest() for key, digest in digests.items()}


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    conn = store.conn
    store.backend.begin_snapshot(conn)
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def _check_tables(store: Store) -> None:
    unknown = store.backend.tables(store.conn) - set(COPIED) - set(NOT_COPIED)
    if unknown:
        raise TransferError(f"the store {store.url} has tables this release cannot copy: {', '.join(sorted(unknown))}")


def _check_empty(target: Store) -> None:
    held = {table: count for table, count in _row_counts(target.conn).items() if count}
    if held:
        what = ", ".join(f"{count} {table}" for table, count in held.items())
        raise TransferError(f"the target store {target.url} is not empty ({what}); copy into a new, empty store")


def copy_store(source: Store, target: Store) -> TransferReport:
    """Copy every table of `source` into the empty store `target` and verify the copy;
    TransferError when the target holds data or the copy differs."""
    _check_tables(source)
    _check_empty(target)
    report = TransferReport(source.url, target.url)
    with _snapshot(source) as read:
        with target.transaction() as write:
            for table in COPIED:
                columns = _columns(read, table)
                insert = (f"INSERT INTO {table} ({_quoted(columns)})"  # noqa: S608 (constants)
                          f" VALUES ({', '.join('?' * len(columns))})")
                batch: list[tuple[object, ...]] = []
                for row in _rows(read, table, columns):
                    batch.append(row)
                    if len(batch) >= BATCH:
                        write.executemany(insert, batch)
                        batch.clear()
                if batch:
                    write.executemany(insert, batch)
                if table in NUMBERED:
                    target.backend.after_copy(write, table)
            report.seq = source.backend.last_seq(read)
            target.backend.set_seq(write, report.seq)
        report.counts = _row_counts(read)
        _verify(report, read, target)
    return report


def _verify(report: TransferReport, read: Connection, target: Store) -> None:
    """Compare counts, checksums and the change number of the copy with the source snapshot."""
    copied = _row_counts(target.conn)
    if copied != report.counts:
        differ = [f"{t}: {report.counts[t]} -> {copied[t]}" for t in COPIED if copied[t] != report.counts[t]]
        raise TransferError(f"the copy in {target.url} does not match: {'; '.join(differ)}")
    expected, found = _digests(read), _digests(target.conn)
    differ = sorted(key for key in expected.keys() | found.keys() if expected.get(key) != found.get(key))
    if differ:
        raise TransferError(f"the copy in {target.url} differs in {len(differ)} checksums: "
                            f"{', '.join(differ[:5])}")
    if target.last_seq() != report.seq:
        raise TransferError(f"the copy in {target.url} is at change {target.last_seq()}, not {report.seq}")
    report.chains = sum(1 for key in expected if key.startswith("chain:"))


def backup(store: Store, target: Path) -> None:
    """A consistent copy of the store as a new SQLite file while others keep writing
    (SQLite's backup API; from PostgreSQL, a verified copy of every table)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if store.backend.backup(store.conn, target):
        return
    copy = Store(target)
    try:
        copy_store(store, copy)
    finally:
        copy.close()
