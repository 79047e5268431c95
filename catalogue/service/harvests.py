"""What the catalogue remembers of its harvests, for reading: registered sources, the run
log with each run's errors, and the upstream changes waiting for a decision. Harvests
themselves (and the decisions) run in the harvest layer above the service."""

from __future__ import annotations

from ..store import Store
from ..store import harvest as harvest_store
from ..store.harvest import PendingChange, Run, RunError, Source


class HarvestLedger:
    """The harvest state of one store, read-only."""

    def __init__(self, store: Store):
        self.store = store

    def sources(self) -> list[Source]:
        """Every registered source, by name."""
        return harvest_store.list_sources(self.store)

    def source(self, name: str) -> Source | None:
        """The source registered as `name`, or None."""
        return harvest_store.get_source(self.store, name)

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

    def pending(self, record_id: str | None = None, status: str | None = "pending") -> list[PendingChange]:
        """Upstream changes kept for review (of one record; `status` None lists all)."""
        return harvest_store.list_pending(self.store, record_id, status)
