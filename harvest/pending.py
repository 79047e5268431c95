"""Upstream changes held back because the record was edited here since its last harvest:
an archivist accepts one (it becomes a new revision by them) or rejects it (the record stays
as edited, and the decision is a revision of its own)."""

from __future__ import annotations

from typing import Any

from catalogue.errors import CatalogueError, NotFound
from catalogue.service import Catalogue
from catalogue.service.harvests import Harvested, PendingChange

from .apply import content_hash


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


def accept_pending(cat: Catalogue, pending_id: int, user: str) -> dict[str, Any] | None:
    """Apply an upstream change as a new revision by `user`; later upstream changes apply again."""
    pending = _open_pending(cat, pending_id)
    current = cat.current(pending.record_id)
    if current is None:
        raise NotFound.record(pending.record_id)
    message = f"accepted upstream change from {pending.source}"
    with cat.deferred_index(), cat.transaction():
        if pending.action == "delete":
            if not current.deleted:
                current = cat.delete(pending.record_id, reason=f"deleted upstream in source {pending.source};"
                                     f" {message}", user=user, origin="harvest")
            result, digest = None, "deleted"
        else:
            if current.deleted:
                cat.restore(pending.record_id, user=user, message=message)
            result = cat.update(pending.record_id, pending.data or {}, base_revision=-1, user=user,
                                message=message, origin="harvest")
            digest = content_hash(result)
        revision = result["revision"] if result else current.revision
        cat.harvests.set_harvested(Harvested(pending.source, pending.source_identifier, pending.record_id,
                                             revision, digest, pending.datestamp))
        cat.harvests.decide_pending(pending.id, "accepted", user)
    return result


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
