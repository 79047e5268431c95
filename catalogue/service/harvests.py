"""What the catalogue remembers of its harvests: registered sources, the run log with each
run's errors, the leases of running harvests, what each source last delivered, and the
upstream changes waiting for a decision. The harvest layer above the service reads and
writes it through `Catalogue.harvests`; the SQL stays in `catalogue.store.harvest`.

Every method is one call to the store: harvest logic (checks, mapping, matching, leases'
liveness) stays in `harvest/`, and a write joins the caller's `Catalogue.transaction()`.
"""

from __future__ import annotations

from typing import Any

from ..store import Store, StoredRecord
from ..store import harvest as harvest_store
from ..store.harvest import SOURCE_FIELDS, Harvested, IdCollision, Lease, PendingChange, Run, RunError, Source

__all__ = [
    "SOURCE_FIELDS", "HarvestLedger", "Harvested", "IdCollision", "Lease", "PendingChange", "Run", "RunError", "Source",
]


class HarvestLedger:
    """The harvest state of one store."""

    def __init__(self, store: Store):
        self.store = store

    # -- sources -----------------------------------------------------------------------

    def sources(self) -> list[Source]:
        """Every registered source, by name."""
        return harvest_store.list_sources(self.store)

    def source(self, name: str) -> Source | None:
        """The source registered as `name`, or None."""
        return harvest_store.get_source(self.store, name)

    def add_source(self, name: str, url: str, protocol: str, prefix: str | None, set_spec: str | None,
                   mapping: str | None, settings: dict[str, Any] | None = None) -> Source:
        """Register a source (checked by the caller, its name free)."""
        return harvest_store.insert_source(self.store, name, url, protocol, prefix, set_spec, mapping, settings)

    def update_source(self, name: str, values: dict[str, Any]) -> None:
        """Change registered fields (`SOURCE_FIELDS`) of a source."""
        harvest_store.update_source(self.store, name, values)

    def remove_source(self, name: str) -> bool:
        """Forget a source (its records, runs and pending changes stay); False when unknown."""
        return harvest_store.delete_source(self.store, name)

    def save_progress(self, name: str, resume: dict[str, Any] | None, *, checkpoint: str | None = None,
                      last_success: str | None = None) -> None:
        """Where to resume an unfinished list; after a complete one also the new checkpoint."""
        harvest_store.save_progress(self.store, name, resume, checkpoint=checkpoint, last_success=last_success)

    # -- runs --------------------------------------------------------------------------

    def runs(self, source: str | None = None, limit: int = 50) -> list[Run]:
        """The newest runs first, of one source or of all, as logged (a run whose process
        died still reads 'running' until the harvest layer reaps it)."""
        return harvest_store.list_runs(self.store, source, limit)

    def run(self, run_id: int) -> Run | None:
        """One run of the log, or None."""
        return harvest_store.get_run(self.store, run_id)

    def run_errors(self, run_id: int) -> list[RunError]:
        """Every error logged by a run, with the identifier it concerns."""
        return harvest_store.run_errors(self.store, run_id)

    def start_run(self, source: str, *, full: bool, dry_run: bool) -> int:
        """Open a run (the caller holds the source's lease); its id."""
        return harvest_store.start_run(self.store, source, full=full, dry_run=dry_run)

    def update_run(self, run_id: int, counts: dict[str, int], *, status: str | None = None,
                   message: str | None = None) -> None:
        """Record a run's counts; a final status also stamps its end."""
        harvest_store.update_run(self.store, run_id, counts, status=status, message=message)

    def add_errors(self, run_id: int, errors: list[tuple[str | None, str]]) -> None:
        """Log (identifier or None, reason) problems of a run."""
        harvest_store.add_errors(self.store, run_id, errors)

    def interrupt_runs(self, source: str | None = None, run_id: int | None = None) -> None:
        """Mark runs left 'running' by a process that is gone 'interrupted'."""
        harvest_store.interrupt_runs(self.store, source, run_id)

    # -- leases ------------------------------------------------------------------------

    def lease(self, source: str) -> Lease | None:
        """The lease a run holds or held on a source, live or not."""
        return harvest_store.get_lease(self.store, source)

    def put_lease(self, lease: Lease) -> None:
        """Take a source's lease, replacing one that no longer holds (the caller checked)."""
        harvest_store.put_lease(self.store, lease)

    def renew_lease(self, source: str, owner: str, expires: str) -> bool:
        """Push the expiry of `owner`'s lease on; False when the lease is no longer theirs."""
        return harvest_store.renew_lease(self.store, source, owner, expires)

    def release_lease(self, source: str, owner: str) -> None:
        """Give a lease up, if it is still `owner`'s."""
        harvest_store.release_lease(self.store, source, owner)

    def close_thread_connection(self) -> None:
        """Close this thread's connection to the store (a lease's heartbeat thread ends)."""
        self.store.close_thread()

    # -- what each source delivered ----------------------------------------------------

    def record_of(self, source: str, identifier: str) -> StoredRecord | None:
        """The record whose provenance is (source, identifier), deleted or not."""
        return self.store.find_by_source(source, identifier)

    def harvested(self, source: str, identifier: str) -> Harvested | None:
        """What `source` last delivered for `identifier`, and which revision that wrote."""
        return harvest_store.get_harvested(self.store, source, identifier)

    def set_harvested(self, item: Harvested) -> None:
        """Remember what a source delivered for one identifier."""
        harvest_store.set_harvested(self.store, item)

    def set_collision(self, item: IdCollision) -> None:
        """Remember what a source's policy did with a record whose upstream id is taken here."""
        harvest_store.set_collision(self.store, item)

    def collisions(self, record_id: str) -> list[IdCollision]:
        """The id collisions a record is part of (holding the id, or keeping the upstream record)."""
        return harvest_store.collisions(self.store, record_id)

    def mark_seen(self, source: str, identifier: str, list_id: str, set_spec: str | None) -> None:
        """Note that list `list_id` (harvested through `set_spec`) holds `identifier`."""
        harvest_store.mark_seen(self.store, source, identifier, list_id, set_spec)

    def unseen(self, source: str, list_id: str, set_spec: str | None) -> list[str]:
        """Identifiers of a source's live harvested records that list `list_id` did not hold."""
        return harvest_store.unseen(self.store, source, list_id, set_spec)

    # -- pending changes ---------------------------------------------------------------

    def pending(self, record_id: str | None = None, status: str | None = "pending") -> list[PendingChange]:
        """Upstream changes kept for review (of one record; `status` None lists all)."""
        return harvest_store.list_pending(self.store, record_id, status)

    def pending_change(self, pending_id: int) -> PendingChange | None:
        """One upstream change kept for review, decided or not."""
        return harvest_store.get_pending(self.store, pending_id)

    def add_pending(self, record_id: str, source: str, identifier: str, action: str,
                    data: dict[str, Any] | None, datestamp: str | None) -> int:
        """Keep an upstream change for review (superseding an older one of the record)."""
        return harvest_store.add_pending(self.store, record_id, source, identifier, action, data, datestamp)

    def decide_pending(self, pending_id: int, status: str, user: str) -> None:
        """Record `user`'s decision on a pending change."""
        harvest_store.decide_pending(self.store, pending_id, status, user)
