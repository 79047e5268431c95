"""What OAI-PMH publishes, as SQL (the provider reads it through `Catalogue.published`):
records in (datestamp, id) order, windowed by from/until and sets, tombstones included, as
of a snapshot of the change sequence.

A harvest lists the catalogue as it was when its first page was served (`snapshot`, the
newest revision number then): a record edited later is listed in its snapshot revision at
its old position, and one created later is left for the next incremental harvest. So a
harvest sees every record exactly once however the catalogue changes meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from heapq import merge
from itertools import islice
from typing import Any

from .. import jsontext
from . import Store
from .backend import Backend, Connection

#: Set kinds and the records column each one filters on.
SET_COLUMNS = {"type": "type", "status": "status", "source": "source_name"}
#: Where the same values are in a revision's JSON (for records changed since the snapshot).
_REVISION_PATHS = {"type": ("type",), "status": ("condition", "status"), "source": ("provenance", "source_name")}
_LOWEST, _HIGHEST = "", "9999-12-31T23:59:59Z"


@dataclass(frozen=True)
class Window:
    """What a list request selects: datestamps from/until (inclusive) and one set."""

    start: str | None = None
    end: str | None = None
    set_kind: str | None = None
    set_value: str | None = None


@dataclass(frozen=True)
class Item:
    """One record as the provider shows it: header facts plus the record data."""

    id: str
    datestamp: str
    deleted: bool
    data: dict[str, Any]

    @classmethod
    def of(cls, record_id: str, datestamp: str, deleted: Any, data: str | dict[str, Any], withheld: Any) -> Item:
        """The item of a record or revision; one whose content is withheld from the public
        is shown as deleted, with no data (not even its sets), so harvesters drop it."""
        if withheld:
            return cls(record_id, datestamp, True, {})
        return cls(record_id, datestamp, bool(deleted), jsontext.loads(data) if isinstance(data, str) else data)


@contextmanager
def read_snapshot(store: Store) -> Iterator[Connection]:
    """A read transaction: every query inside sees the same state of the database."""
    conn = store.conn
    if conn.in_transaction:
        yield conn
        return
    store.backend.begin_snapshot(conn)
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def _set_clause(window: Window, value_sql: str | None, params: dict[str, Any]) -> str:
    if window.set_kind is None or value_sql is None:
        return ""
    if window.set_value is None:
        return f" AND {value_sql} IS NOT NULL"
    params["set_value"] = window.set_value
    return f" AND {value_sql} = :set_value"


def _params(window: Window, after: tuple[str, str] | None, snapshot: int, limit: int) -> dict[str, Any]:
    return {
        "start": window.start or _LOWEST,
        "end": window.end or _HIGHEST,
        "after_stamp": after[0] if after else _LOWEST,
        "after_id": after[1] if after else "",
        "snapshot": snapshot,
        "limit": limit,
    }


def _current(conn: Connection, backend: Backend, window: Window, after: tuple[str, str] | None, snapshot: int,
             limit: int) -> list[Item]:
    """Records unchanged since the snapshot, read from their current row."""
    params = _params(window, after, snapshot, limit)
    column = SET_COLUMNS.get(window.set_kind or "")
    sql = (
        "SELECT id, deleted, data, modified, withheld FROM records"  # noqa: S608 (fixed column names only)
        " WHERE (modified, id) > (:after_stamp, :after_id) AND modified >= :start AND modified <= :end"
        " AND seq <= :snapshot" + _set_clause(window, column, params) + " ORDER BY modified, id LIMIT :limit"
    )
    return _items(conn, backend, sql, params, "id", "modified")


def _items(conn: Connection, backend: Backend, sql: str, params: dict[str, Any], id_column: str,
           stamp_column: str) -> list[Item]:
    """The items of a query's rows, in (datestamp, id) order."""
    items = [Item.of(row[id_column], row[stamp_column], row["deleted"], row["data"], row["withheld"])
             for row in backend.rows(conn, sql, params)]
    return sorted(items, key=_position)


def _position(item: Item) -> tuple[str, str]:
    """Where an item stands in a list: (datestamp, id)."""
    return item.datestamp, item.id


def _revision_value(backend: Backend, kind: str | None) -> str | None:
    """SQL for the value a set kind filters on, read from a revision's JSON."""
    path = _REVISION_PATHS.get(kind or "")
    if path is None:
        return None
    value = backend.json_text("v.data", *path)
    return f"COALESCE({value}, 'unknown')" if kind == "status" else value


def _changed(conn: Connection, backend: Backend, window: Window, after: tuple[str, str] | None, snapshot: int,
             limit: int) -> list[Item]:
    """Records changed since the snapshot, in the revision they had at the snapshot."""
    params = _params(window, after, snapshot, limit)
    value = _revision_value(backend, window.set_kind)
    sql = (
        "SELECT v.record_id, v.deleted, v.data, v.at, v.withheld FROM records r"  # noqa: S608
        " JOIN revisions v ON v.record_id = r.id"
        " AND v.seq = (SELECT MAX(seq) FROM revisions WHERE record_id = r.id AND seq <= :snapshot)"
        " WHERE r.seq > :snapshot AND (v.at, v.record_id) > (:after_stamp, :after_id)"
        " AND v.at >= :start AND v.at <= :end" + _set_clause(window, value, params)
        + " ORDER BY v.at, v.record_id LIMIT :limit"
    )
    return _items(conn, backend, sql, params, "record_id", "at")


def page(store: Store, window: Window, *, after: tuple[str, str] | None, snapshot: int, limit: int) -> list[Item]:
    """Up to `limit` records of the window after position `after` (datestamp, id), in
    (datestamp, id) order, as they were at change number `snapshot`."""
    with read_snapshot(store) as conn:
        current = _current(conn, store.backend, window, after, snapshot, limit)
        changed = _changed(conn, store.backend, window, after, snapshot, limit)
    return list(islice(merge(current, changed, key=_position), limit))


def snapshot(store: Store) -> int:
    """The newest change number: a harvest lists the catalogue as of this point."""
    return store.last_seq()


def count(store: Store, window: Window) -> int:
    """How many records the window holds now (for `completeListSize`); exact for a
    snapshot taken in the same `read_snapshot` block."""
    params = _params(window, None, 0, 0)
    column = SET_COLUMNS.get(window.set_kind or "")
    sql = ("SELECT COUNT(*) FROM records WHERE modified >= :start AND modified <= :end"  # noqa: S608
           + _set_clause(window, column, params))
    return store.conn.execute(sql, params).fetchone()[0]


def item(store: Store, record_id: str) -> Item | None:
    """The current state of one record, tombstone or not; None for an unknown id."""
    stored = store.get(record_id)
    if stored is None:
        return None
    return Item.of(stored.id, stored.modified, stored.deleted, stored.data, stored.withheld)


def earliest_datestamp(store: Store) -> str | None:
    """The oldest datestamp of any record (tombstones included); None when empty."""
    return store.conn.execute("SELECT MIN(modified) FROM records").fetchone()[0]


def set_values(store: Store) -> dict[str, dict[str, int]]:
    """For each set kind, the values records (tombstones included) have and how many."""
    result: dict[str, dict[str, int]] = {}
    for kind, column in SET_COLUMNS.items():
        rows = store.conn.execute(
            f"SELECT {column}, COUNT(*) FROM records WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY {column}"  # noqa: S608
        ).fetchall()
        result[kind] = {row[0]: row[1] for row in rows}
    return result
