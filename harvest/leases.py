"""One harvest of a source at a time, across threads, processes and hosts (cron and the web's
"start a run" button): a run holds a lease in the catalogue's harvest state, renewed by a
heartbeat while it lives.

A lease stops counting when its expiry has passed or, on this host, when its process is gone
(or its pid now belongs to another process), so a run killed with SIGKILL blocks no one for long.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable

from catalogue.errors import CatalogueError
from catalogue.processes import machine, process_gone, process_start
from catalogue.service import Catalogue
from catalogue.service.harvests import Lease, Run
from catalogue.timestamps import utcnow

#: How long a lease holds without renewal; the heartbeat renews it several times within.
LEASE_SECONDS = 120.0
HEARTBEAT_SECONDS = 30.0

log = logging.getLogger(__name__)


class HarvestBusy(CatalogueError):
    """Another run of the source holds its lease: this one is refused (try again later)."""


def is_live(lease: Lease) -> bool:
    """Whether a lease still holds: not expired, and its process alive when it is on this host."""
    if lease.expires <= utcnow():
        return False
    if lease.host != machine():
        return True  # another machine (or container) sharing the data directory: only the expiry tells
    return not process_gone(lease.pid, lease.pid_start)


def holder(cat: Catalogue, source: str) -> Lease | None:
    """The live lease of a source (a run harvests it now), or None."""
    lease = cat.harvests.lease(source)
    return lease if lease is not None and is_live(lease) else None


def running(cat: Catalogue, name: str) -> str | None:
    """Why a harvest of source `name` cannot start now (another run holds it), or None."""
    lease = holder(cat, name)
    return describe(lease) if lease else None


def describe(lease: Lease) -> str:
    return (f"a harvest of {lease.source} is running already (run {lease.run_id}, process {lease.pid} on "
            f"{lease.host}, since {lease.acquired}); try again when it has finished")


def reap(cat: Catalogue, runs: Iterable[Run]) -> bool:
    """Mark 'running' runs that hold no live lease 'interrupted'; True if there was one."""
    reaped = False
    for run in runs:
        if run.status != "running":
            continue
        lease = holder(cat, run.source)
        if lease is None or lease.run_id != run.id:
            cat.harvests.interrupt_runs(run_id=run.id)
            reaped = True
    return reaped


class RunLease:
    """The lease of one run: taken before the run starts, renewed by a heartbeat thread and
    with every page, released at the end. Losing it (expired and taken over) stops the run."""

    def __init__(self, cat: Catalogue, source: str):
        self.cat, self.ledger, self.source = cat, cat.harvests, source
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def take(self, start_run: Callable[[], int]) -> int:
        """Take the lease and open the run (`start_run` returns its id) in one transaction;
        HarvestBusy when a live run holds it. Runs left 'running' by a dead holder end 'interrupted'."""
        with self.cat.transaction():
            current = self.ledger.lease(self.source)
            if current is not None and is_live(current):
                raise HarvestBusy(describe(current))
            self.ledger.interrupt_runs(self.source)
            run_id = start_run()
            pid = os.getpid()
            self.ledger.put_lease(Lease(self.source, run_id, self.owner, machine(), pid,
                                        process_start(pid), utcnow(), utcnow(LEASE_SECONDS)))
        self._thread = threading.Thread(target=self._beat, name=f"harvest-lease-{self.source}", daemon=True)
        self._thread.start()
        return run_id

    def renew(self) -> None:
        """Push the expiry on (inside the caller's transaction); HarvestBusy when the lease was lost."""
        if not self.ledger.renew_lease(self.source, self.owner, utcnow(LEASE_SECONDS)):
            current = self.ledger.lease(self.source)
            taker = f" to run {current.run_id}" if current else ""
            raise HarvestBusy(f"this run lost its lease on {self.source}{taker} (it was stalled for longer than "
                              f"{LEASE_SECONDS:g} s); stopped")

    def _beat(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    self.renew()
                except HarvestBusy:
                    return  # the next page finds out and stops the run
                except Exception:  # a busy database now and then: the next beat tries again
                    log.warning("could not renew the harvest lease of %s", self.source, exc_info=True)
        finally:
            self.ledger.close_thread_connection()

    def release(self) -> None:
        """Stop the heartbeat and give the lease up (if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.ledger.release_lease(self.source, self.owner)
