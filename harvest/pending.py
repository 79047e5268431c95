"""Upstream changes held back because the record was edited here since its last harvest.

An archivist reviews one field by field (`review`): for each field where the record here
and the upstream version differ, which side changed it since what the source said last
(the base). Accepting takes the chosen fields from upstream and keeps the rest as edited
here, as one revision whose message lists the fields taken and kept (`accept_pending`);
rejecting keeps the record as it is, and the decision is a revision of its own. Later
upstream changes wait for review again as long as the record keeps edits of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalogue.errors import CatalogueError, NotFound
from catalogue.records import SYSTEM_FIELDS, field_rank
from catalogue.service import Catalogue
from catalogue.service.harvests import Harvested, PendingChange

from .apply import content_hash

#: Fields no review offers: the record's identity and what the store derives or keeps.
NOT_REVIEWED = frozenset({"id", "provenance", "condition", *SYSTEM_FIELDS})


@dataclass(frozen=True)
class FieldReview:
    """One top-level field where the record here and upstream differ: its value as the
    source said it last (`base`), here now, and upstream (None: absent)."""

    field: str
    base: Any
    here: Any
    upstream: Any

    @property
    def changed_here(self) -> bool:
        """Edited here since the source said it last."""
        return self.here != self.base

    @property
    def changed_upstream(self) -> bool:
        """Changed at the source since it said it last."""
        return self.upstream != self.base

    @property
    def side(self) -> str:
        """Who changed it: ``here``, ``upstream`` or ``both``."""
        if self.changed_here and self.changed_upstream:
            return "both"
        return "here" if self.changed_here else "upstream"

    @property
    def suggested(self) -> bool:
        """Whether to take it from upstream unless the archivist says otherwise: only what
        changed upstream alone (a field edited here keeps its local edit)."""
        return self.side == "upstream"


@dataclass(frozen=True)
class Review:
    """A pending change and its fields to decide on (empty for a deletion)."""

    change: PendingChange
    fields: list[FieldReview]


def list_pending(cat: Catalogue, record_id: str | None = None, status: str | None = "pending") -> list[PendingChange]:
    """Upstream changes kept for review (of one record; `status` None lists all)."""
    return cat.harvests.pending(record_id, status)


def _open_pending(cat: Catalogue, pending_id: int) -> PendingChange:
    pending = cat.harvests.pending_change(int(pending_id))
    if pending is None:
        raise NotFound(f"no pending change {pending_id}", "pending", id=pending_id)
    if pending.status != "pending":
        raise CatalogueError(f"pending change {pending_id} is {pending.status} already")
    return pending


def _base(cat: Catalogue, pending: PendingChange) -> dict[str, Any]:
    """What the source said last before this change, as far as the catalogue took note: the
    upstream version of the latest decision on this record and source when it came after
    the revision the last harvest wrote, else that revision (nothing before any harvest)."""
    seen = cat.harvests.harvested(pending.source, pending.source_identifier)
    written = cat.revision(pending.record_id, seen.revision) if seen and seen.revision else None
    decided = [p for p in cat.harvests.pending(pending.record_id, None)
               if p.source == pending.source and p.id < pending.id and p.status in ("accepted", "rejected")
               and p.data is not None]
    latest = decided[-1] if decided else None
    if latest is not None and (written is None or (latest.decided_at or "") >= written.at):
        return latest.data or {}
    return written.data if written is not None else {}


def _fields(here: dict[str, Any], upstream: dict[str, Any]) -> list[str]:
    """The reviewable fields of either version, in the record's order."""
    return sorted((f for f in dict.fromkeys([*here, *upstream]) if f not in NOT_REVIEWED), key=field_rank)


def review(cat: Catalogue, pending_id: int) -> Review:
    """A pending change with, for an update, each field where the record here and upstream
    differ and which side changed it since the source said it last."""
    pending = _open_pending(cat, pending_id)
    current = cat.current(pending.record_id)
    if current is None:
        raise NotFound.record(pending.record_id)
    if pending.action == "delete" or pending.data is None:
        return Review(pending, [])
    base, here, upstream = _base(cat, pending), current.data, pending.data
    fields = [FieldReview(f, base.get(f), here.get(f), upstream.get(f)) for f in _fields(here, upstream)
              if here.get(f) != upstream.get(f)]
    return Review(pending, fields)


def _merged(here: dict[str, Any], upstream: dict[str, Any], taken: list[str]) -> dict[str, Any]:
    """The record here with the `taken` fields as upstream has them (absent upstream: removed)."""
    merged = dict(here)
    for name in taken:
        if name in upstream:
            merged[name] = upstream[name]
        else:
            merged.pop(name, None)
    return merged


def accept_pending(cat: Catalogue, pending_id: int, user: str,
                   fields: Iterable[str] | None = None) -> dict[str, Any] | None:
    """Decide on an upstream change as one revision by `user`: take `fields` from upstream
    (None: every field, the whole upstream version) and keep the others as edited here; the
    revision's message lists the fields taken and kept. A field no review offers is refused.
    A deletion is accepted whole. Once the record equals upstream, later upstream changes
    apply again; while it keeps edits of its own, they wait for review."""
    pending = _open_pending(cat, pending_id)
    current = cat.current(pending.record_id)
    if current is None:
        raise NotFound.record(pending.record_id)
    if pending.action == "delete":
        return _accept_deletion(cat, pending, user)
    upstream = pending.data or {}
    differing = [r.field for r in review(cat, pending_id).fields]
    if fields is None:
        taken = differing
    else:
        wanted = list(dict.fromkeys(fields))
        unknown = [f for f in wanted if f not in differing]
        if unknown:
            raise CatalogueError(f"not a field where this upstream change differs from the record: "
                                 f"{', '.join(unknown)} (it differs in: {', '.join(differing) or 'nothing'})")
        taken = [f for f in differing if f in wanted]
        if differing and not taken:
            raise CatalogueError("choose at least one field to take from upstream, or reject the change")
    kept = [f for f in differing if f not in taken]
    message = _message(pending, taken, kept)
    whole = not kept
    with cat.deferred_index(), cat.transaction():
        if current.deleted:
            cat.restore(pending.record_id, user=user, message=message)
            current = cat.current(pending.record_id) or current
        data = upstream if whole else _merged(current.data, upstream, taken)
        result = cat.update(pending.record_id, data, base_revision=-1, user=user, message=message, origin="harvest")
        if result["revision"] == current.revision:  # nothing to change: the decision is still recorded
            result = cat.note(pending.record_id, user=user, origin="harvest", message=message)
        seen = cat.harvests.harvested(pending.source, pending.source_identifier)
        revision = result["revision"] if whole else (seen.revision if seen else 0)
        digest = content_hash(result) if whole else content_hash(upstream)
        cat.harvests.set_harvested(Harvested(pending.source, pending.source_identifier, pending.record_id,
                                             revision, digest, pending.datestamp))
        cat.harvests.decide_pending(pending.id, "accepted", user)
    return result


def _message(pending: PendingChange, taken: list[str], kept: list[str]) -> str:
    """The revision message of a decision: the fields taken from upstream and those kept."""
    parts = [f"accepted upstream change from {pending.source} (pending change {pending.id})"]
    parts.append(f"took {', '.join(taken)}" if taken else "took no field")
    if kept:
        parts.append(f"kept as edited here: {', '.join(kept)}")
    return "; ".join(parts)


def _accept_deletion(cat: Catalogue, pending: PendingChange, user: str) -> None:
    """Delete the record as its source did (it stays restorable), and note the decision."""
    current = cat.current(pending.record_id)
    message = f"accepted upstream change from {pending.source}"
    with cat.deferred_index(), cat.transaction():
        revision = current.revision if current else 0
        if current is not None and not current.deleted:
            revision = cat.delete(pending.record_id, reason=f"deleted upstream in source {pending.source}; {message}",
                                  user=user, origin="harvest").revision
        cat.harvests.set_harvested(Harvested(pending.source, pending.source_identifier, pending.record_id,
                                             revision, "deleted", pending.datestamp))
        cat.harvests.decide_pending(pending.id, "accepted", user)


def reject_pending(cat: Catalogue, pending_id: int, user: str) -> None:
    """Keep the local record as it is; the upstream change is marked rejected and the
    decision is recorded as a revision of the record (its content unchanged)."""
    pending = _open_pending(cat, pending_id)
    with cat.deferred_index(), cat.transaction():
        cat.harvests.decide_pending(pending.id, "rejected", user)
        current = cat.current(pending.record_id)
        if current is not None and not current.deleted:
            message = f"rejected the upstream {pending.action} from {pending.source} (pending change {pending.id})"
            cat.note(pending.record_id, user=user, origin="harvest", message=message)
