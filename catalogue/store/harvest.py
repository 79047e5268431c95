"""SQL of the harvest area: registered sources, runs and their errors, what each source
last delivered (`harvested`), and upstream changes kept for review (`pending_changes`).

Functions take the `Store` and join its current transaction, so the harvester can commit a
page of records together with its checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import Store, utcnow
from .backend import Row

SOURCE_FIELDS = ("url", "protocol", "prefix", "set_spec", "mapping", "settings")


@dataclass(frozen=True)
class Source:
    """A registered source and where its harvests stand."""

    name: str
    url: str
    protocol: str
    prefix: str | None
    set_spec: str | None
    mapping: str | None
    settings: dict[str, Any]
    checkpoint: str | None
    resume: dict[str, Any] | None
    last_success: str | None
    created: str

    @classmethod
    def from_row(cls, row: Row) -> Source:
        resume = json.loads(row["resume_token"]) if row["resume_token"] else None
        return cls(row["name"], row["url"], row["protocol"], row["prefix"], row["set_spec"], row["mapping"],
                   json.loads(row["settings"] or "{}"), row["checkpoint"], resume, row["last_success"],
                   row["created"])


@dataclass(frozen=True)
class Run:
    """One harvest run: when, how it ended, and its counts."""

    id: int
    source: str
    started: str
    finished: str | None
    status: str
    full: bool
    dry_run: bool
    counts: dict[str, int]
    message: str | None

    @classmethod
    def from_row(cls, row: Row) -> Run:
        return cls(row["id"], row["source"], row["started"], row["finished"], row["status"], bool(row["full"]),
                   bool(row["dry_run"]), json.loads(row["counts"] or "{}"), row["message"])


@dataclass(frozen=True)
class RunError:
    """A problem with one record (or the whole run when `identifier` is None)."""

    id: int
    run_id: int
    identifier: str | None
    reason: str
    at: str


@dataclass(frozen=True)
class Harvested:
    """What a source last delivered for one identifier and which revision that wrote."""

    source: str
    source_identifier: str
    record_id: str
    revision: int
    hash: str
    datestamp: str | None


@dataclass(frozen=True)
class PendingChange:
    """An upstream change held back because the record was edited here since its last harvest."""

    id: int
    record_id: str
    source: str
    source_identifier: str
    action: str
    data: dict[str, Any] | None
    datestamp: str | None
    created: str
    status: str
    decided_by: str | None
    decided_at: str | None

    @classmethod
    def from_row(cls, row: Row) -> PendingChange:
        data = json.loads(row["data"]) if row["data"] else None
        return cls(row["id"], row["record_id"], row["source"], row["source_identifier"], row["action"], data,
                   row["datestamp"], row["created"], row["status"], row["decided_by"], row["decided_at"])


@dataclass(frozen=True)
class IdCollision:
    """A harvested record whose upstream id (`upstream_id`) is taken here by another record,
    and what its source's policy did: ``rename`` (kept as `record_id`), ``link`` (the local
    record stands for it, `record_id` = `upstream_id`) or ``refuse`` (`record_id` None)."""

    source: str
    source_identifier: str
    upstream_id: str
    record_id: str | None
    policy: str
    run_id: int | None
    at: str


# -- sources ---------------------------------------------------------------------------


def insert_source(store: Store, name: str, url: str, protocol: str, prefix: str | None, set_spec: str | None,
                  mapping: str | None, settings: dict[str, Any] | None = None) -> Source:
    """Register a source; the caller checks that the name is free."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO sources (name, url, protocol, prefix, set_spec, mapping, settings, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, url, protocol, prefix, set_spec, mapping, json.dumps(settings or {}), utcnow()),
        )
    source = get_source(store, name)
    assert source is not None
    return source


def get_source(store: Store, name: str) -> Source | None:
    row = store.conn.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
    return Source.from_row(row) if row else None


def list_sources(store: Store) -> list[Source]:
    return [Source.from_row(r) for r in store.conn.execute("SELECT * FROM sources ORDER BY name")]


def update_source(store: Store, name: str, values: dict[str, Any]) -> None:
    """Change registered fields (see SOURCE_FIELDS) of a source."""
    unknown = set(values) - set(SOURCE_FIELDS)
    if unknown:
        raise ValueError(f"not source fields: {sorted(unknown)}")
    if not values:
        return
    values = {k: json.dumps(v) if k == "settings" else v for k, v in values.items()}
    assignments = ", ".join(f"{k} = ?" for k in values)
    with store.transaction() as conn:
        conn.execute(f"UPDATE sources SET {assignments} WHERE name = ?", (*values.values(), name))  # noqa: S608


def delete_source(store: Store, name: str) -> bool:
    """Forget a source (its records, runs and history stay); False when unknown."""
    with store.transaction() as conn:
        return conn.execute("DELETE FROM sources WHERE name = ?", (name,)).rowcount > 0


def save_progress(store: Store, name: str, resume: dict[str, Any] | None, *, checkpoint: str | None = None,
                  last_success: str | None = None) -> None:
    """Where to resume an unfinished list; after a complete run also the new checkpoint."""
    with store.transaction() as conn:
        conn.execute("UPDATE sources SET resume_token = ? WHERE name = ?",
                     (json.dumps(resume) if resume else None, name))
        if checkpoint is not None or last_success is not None:
            conn.execute("UPDATE sources SET checkpoint = COALESCE(?, checkpoint),"
                         " last_success = COALESCE(?, last_success) WHERE name = ?",
                         (checkpoint, last_success, name))


# -- runs ------------------------------------------------------------------------------


STOPPED = "the process stopped before the run finished"


def interrupt_runs(store: Store, source: str | None = None, run_id: int | None = None) -> None:
    """Mark runs left 'running' by a process that is gone (of a source, or one run) 'interrupted'."""
    with store.transaction() as conn:
        conn.execute("UPDATE harvest_runs SET status = 'interrupted', message = COALESCE(message, ?),"
                     " finished = COALESCE(finished, ?) WHERE status = 'running' AND (source = ? OR id = ?)",
                     (STOPPED, utcnow(), source, run_id))


def start_run(store: Store, source: str, *, full: bool, dry_run: bool) -> int:
    """Open a run (the caller holds the source's lease)."""
    with store.transaction() as conn:
        row = conn.execute('INSERT INTO harvest_runs (source, started, "full", dry_run) VALUES (?, ?, ?, ?)'
                           " RETURNING id", (source, utcnow(), int(full), int(dry_run))).fetchone()
        return int(row[0])


def update_run(store: Store, run_id: int, counts: dict[str, int], *, status: str | None = None,
               message: str | None = None) -> None:
    """Record progress; a final status also stamps the end time."""
    with store.transaction() as conn:
        conn.execute("UPDATE harvest_runs SET counts = ? WHERE id = ?", (json.dumps(counts), run_id))
        if status is not None:
            conn.execute("UPDATE harvest_runs SET status = ?, message = ?, finished = ? WHERE id = ?",
                         (status, message, utcnow(), run_id))


def add_errors(store: Store, run_id: int, errors: list[tuple[str | None, str]]) -> None:
    if not errors:
        return
    now = utcnow()
    with store.transaction() as conn:
        conn.executemany("INSERT INTO harvest_errors (run_id, identifier, reason, at) VALUES (?, ?, ?, ?)",
                         [(run_id, identifier, reason, now) for identifier, reason in errors])


def get_run(store: Store, run_id: int) -> Run | None:
    row = store.conn.execute("SELECT * FROM harvest_runs WHERE id = ?", (run_id,)).fetchone()
    return Run.from_row(row) if row else None


def list_runs(store: Store, source: str | None = None, limit: int = 50) -> list[Run]:
    """Newest runs first, of one source or all."""
    if source is None:
        rows = store.conn.execute("SELECT * FROM harvest_runs ORDER BY id DESC LIMIT ?", (limit,))
    else:
        rows = store.conn.execute("SELECT * FROM harvest_runs WHERE source = ? ORDER BY id DESC LIMIT ?",
                                  (source, limit))
    return [Run.from_row(r) for r in rows]


def run_errors(store: Store, run_id: int) -> list[RunError]:
    rows = store.conn.execute("SELECT * FROM harvest_errors WHERE run_id = ? ORDER BY id", (run_id,))
    return [RunError(r["id"], r["run_id"], r["identifier"], r["reason"], r["at"]) for r in rows]


# -- leases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    """Which run (and process) harvests a source now, and until when unless renewed."""

    source: str
    run_id: int
    owner: str
    host: str
    pid: int
    pid_start: str
    acquired: str
    expires: str


def get_lease(store: Store, source: str) -> Lease | None:
    row = store.conn.execute("SELECT * FROM harvest_leases WHERE source = ?", (source,)).fetchone()
    if row is None:
        return None
    return Lease(row["source"], row["run_id"], row["owner"], row["host"], row["pid"], row["pid_start"],
                 row["acquired"], row["expires"])


def put_lease(store: Store, lease: Lease) -> None:
    """Take the source's lease, replacing one that no longer holds (the caller checked)."""
    with store.transaction() as conn:
        conn.execute("INSERT INTO harvest_leases (source, run_id, owner, host, pid, pid_start, acquired, expires)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET run_id = excluded.run_id,"
                     " owner = excluded.owner, host = excluded.host, pid = excluded.pid,"
                     " pid_start = excluded.pid_start, acquired = excluded.acquired, expires = excluded.expires",
                     (lease.source, lease.run_id, lease.owner, lease.host, lease.pid, lease.pid_start,
                      lease.acquired, lease.expires))


def renew_lease(store: Store, source: str, owner: str, expires: str) -> bool:
    """Push the expiry of our lease on; False when the lease is no longer ours."""
    with store.transaction() as conn:
        return conn.execute("UPDATE harvest_leases SET expires = ? WHERE source = ? AND owner = ?",
                            (expires, source, owner)).rowcount > 0


def release_lease(store: Store, source: str, owner: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM harvest_leases WHERE source = ? AND owner = ?", (source, owner))


# -- harvested records -----------------------------------------------------------------


def get_harvested(store: Store, source: str, identifier: str) -> Harvested | None:
    row = store.conn.execute("SELECT * FROM harvested WHERE source = ? AND source_identifier = ?",
                             (source, identifier)).fetchone()
    if row is None:
        return None
    return Harvested(row["source"], row["source_identifier"], row["record_id"], row["revision"], row["hash"],
                     row["datestamp"])


def set_harvested(store: Store, item: Harvested) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO harvested (source, source_identifier, record_id, revision, hash, datestamp)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, source_identifier) DO UPDATE SET"
            " record_id = excluded.record_id, revision = excluded.revision, hash = excluded.hash,"
            " datestamp = excluded.datestamp",
            (item.source, item.source_identifier, item.record_id, item.revision, item.hash, item.datestamp),
        )


def set_collision(store: Store, item: IdCollision) -> None:
    """Remember what became of a harvested record whose upstream id is taken here (the latest run's say)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO id_collisions (source, source_identifier, upstream_id, record_id, policy, run_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, source_identifier) DO UPDATE SET"
            " upstream_id = excluded.upstream_id, record_id = excluded.record_id, policy = excluded.policy,"
            " run_id = excluded.run_id, at = excluded.at",
            (item.source, item.source_identifier, item.upstream_id, item.record_id, item.policy, item.run_id,
             item.at),
        )


def collisions(store: Store, record_id: str) -> list[IdCollision]:
    """The id collisions a record is part of: as the holder of the id or as where the upstream record went."""
    rows = store.conn.execute("SELECT * FROM id_collisions WHERE upstream_id = ? OR record_id = ?"
                              " ORDER BY source, source_identifier", (record_id, record_id))
    return [IdCollision(r["source"], r["source_identifier"], r["upstream_id"], r["record_id"], r["policy"],
                        r["run_id"], r["at"]) for r in rows]


def mark_seen(store: Store, source: str, identifier: str, list_id: str, set_spec: str | None) -> None:
    """Note that list `list_id` (harvested through `set_spec`) holds `identifier`."""
    with store.transaction() as conn:
        conn.execute("INSERT INTO harvest_seen (source, source_identifier, list_id, set_spec) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (source, source_identifier) DO UPDATE SET list_id = excluded.list_id,"
                     " set_spec = excluded.set_spec", (source, identifier, list_id, set_spec))


def unseen(store: Store, source: str, list_id: str, set_spec: str | None) -> list[str]:
    """Identifiers of a source's live harvested records that list `list_id` did not hold; with
    a set, only those last harvested through that set or one of its subsets."""
    rows = store.conn.execute(
        "SELECT h.source_identifier FROM harvested h LEFT JOIN harvest_seen s"
        " ON s.source = h.source AND s.source_identifier = h.source_identifier"
        " WHERE h.source = ? AND h.hash != 'deleted' AND (s.list_id IS NULL OR s.list_id != ?)"
        " AND (CAST(? AS TEXT) IS NULL OR s.set_spec = ?"
        " OR substr(s.set_spec, 1, length(CAST(? AS TEXT)) + 1) = CAST(? AS TEXT) || ':')"
        " ORDER BY h.source_identifier",
        (source, list_id, set_spec, set_spec, set_spec, set_spec),
    )
    return [row[0] for row in rows]


# -- pending changes -------------------------------------------------------------------


def add_pending(store: Store, record_id: str, source: str, identifier: str, action: str,
                data: dict[str, Any] | None, datestamp: str | None) -> int:
    """Keep an upstream change for review; an older pending change of the record is superseded."""
    now = utcnow()
    with store.transaction() as conn:
        conn.execute("UPDATE pending_changes SET status = 'superseded', decided_at = ? WHERE record_id = ?"
                     " AND source = ? AND status = 'pending'", (now, record_id, source))
        row = conn.execute(
            "INSERT INTO pending_changes (record_id, source, source_identifier, action, data, datestamp, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (record_id, source, identifier, action,
             json.dumps(data, ensure_ascii=False, sort_keys=True) if data is not None else None, datestamp, now),
        ).fetchone()
        return int(row[0])


def get_pending(store: Store, pending_id: int) -> PendingChange | None:
    row = store.conn.execute("SELECT * FROM pending_changes WHERE id = ?", (pending_id,)).fetchone()
    return PendingChange.from_row(row) if row else None


def list_pending(store: Store, record_id: str | None = None, status: str | None = "pending") -> list[PendingChange]:
    """Pending changes (of one record, with a status; None means any), oldest first."""
    clauses, params = [], []
    if record_id is not None:
        clauses.append("record_id = ?")
        params.append(record_id)
    if status is not None:
        clauses.append("status = ?")
        params.append(status)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.conn.execute(f"SELECT * FROM pending_changes {where} ORDER BY id", params)  # noqa: S608
    return [PendingChange.from_row(r) for r in rows]


def decide_pending(store: Store, pending_id: int, status: str, user: str) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE pending_changes SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                     (status, user, utcnow(), pending_id))
