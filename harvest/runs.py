"""Harvest runs: one source at a time under its lease (`harvest.leases`), logged with its
counts and errors; `harvest_all` for cron, where whatever happens to one source, the next
one runs. A run reports its progress to a callback (the command line draws a bar with it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from catalogue.errors import CatalogueError
from catalogue.service import Catalogue
from catalogue.service.harvests import Run, RunError

from .apply import Applier
from .errors import EndlessList, ListRestartFailed
from .leases import HarvestBusy, RunLease, reap
from .lists import harvest_oai
from .sources import get_source, list_sources

log = logging.getLogger(__name__)


class HarvestNotRun(CatalogueError):
    """A source of `harvest_all` whose run could not even be logged (the error says why)."""

    def __init__(self, source: str, error: BaseException):
        self.source = source
        super().__init__(f"the harvest of {source} failed: {type(error).__name__}: {error}")


@dataclass(frozen=True)
class Progress:
    """Where a run stands: records read so far and, when the provider says, how many its
    list holds; `finished` on the last report of the run."""

    source: str
    done: int = 0
    total: int | None = None
    finished: bool = False


#: Hears of a run's progress: when it starts, after each page, when it ends.
ProgressCallback = Callable[[Progress], None]


def list_runs(cat: Catalogue, name: str | None = None, limit: int = 50) -> list[Run]:
    """The newest runs first, of one source or of all; a run whose process died (it holds no
    live lease) is shown 'interrupted', not 'running' forever."""
    runs = cat.harvests.runs(name, limit)
    if reap(cat, runs):
        runs = cat.harvests.runs(name, limit)
    return runs


def get_run(cat: Catalogue, run_id: int) -> Run | None:
    """One run of the log, or None."""
    return cat.harvests.run(run_id)


def run_errors(cat: Catalogue, run_id: int) -> list[RunError]:
    """Every error a run logged, with the identifier it concerns."""
    return cat.harvests.run_errors(run_id)


def run_harvest(cat: Catalogue, name: str, *, full: bool = False, dry_run: bool = False,
                progress: ProgressCallback | None = None) -> Run:
    """Harvest a registered source (incrementally unless `full`) and return the logged run.

    Harvest failures (network, hostile responses, OAI errors) end the run with status
    'failed' and a message; what was committed before stays, and the next run resumes.
    HarvestBusy (nothing logged) when another run of the source is going on.
    """
    get_source(cat, name)  # NotFound before anything is logged
    lease = RunLease(cat, name)
    run_id = lease.take(lambda: cat.harvests.start_run(name, full=full, dry_run=dry_run))
    try:
        source = get_source(cat, name)  # read under the lease: as the previous run left it
        applier = Applier(cat, source, run_id, dry_run, lease)
        status, message = _run(applier, full, progress)
        errors = ([(None, n) for n in applier.notices] + applier.unmapped_errors()
                  + ([(None, message)] if message else []))
        with cat.transaction():
            cat.harvests.add_errors(run_id, errors)
            cat.harvests.update_run(run_id, applier.counts, status=status, message=message)
    finally:
        lease.release()
    run = cat.harvests.run(run_id)
    assert run is not None
    return run


def _run(applier: Applier, full: bool, progress: ProgressCallback | None) -> tuple[str, str | None]:
    """Harvest into `applier`; (status, message) of the run."""
    ledger, name = applier.ledger, applier.source.name
    report = progress or (lambda _progress: None)
    seen = Progress(name)
    report(seen)

    def on_page(count: int, size: int | None) -> None:
        nonlocal seen
        seen = Progress(name, seen.done + count, seen.total or size)
        report(seen)

    try:
        with applier.cat.deferred_index():
            harvest_oai(applier, full=full, on_page=on_page)
    except CatalogueError as error:
        if isinstance(error, EndlessList | ListRestartFailed) and not applier.dry_run:
            ledger.save_progress(name, None)  # never resume with a dead or looping token
        return "failed", str(error)
    except KeyboardInterrupt:
        ledger.update_run(applier.run_id, applier.counts, status="interrupted", message="interrupted by the user")
        raise
    except Exception as error:  # a fault not foreseen (a bug): this run fails, the next source still runs
        log.exception("the harvest of %s failed", name)
        return "failed", f"unexpected error {type(error).__name__}: {error}"
    finally:
        report(Progress(name, seen.done, seen.total, finished=True))
    return "ok", None


def harvest_all(cat: Catalogue, *, full: bool = False, dry_run: bool = False,
                progress: ProgressCallback | None = None) -> list[Run | HarvestBusy | HarvestNotRun]:
    """Harvest every registered source in name order (for cron): for each its run, why it was
    not started (another run of it is going on), or what kept it from being logged at all;
    whatever happens to one source, the next one runs."""
    outcomes: list[Run | HarvestBusy | HarvestNotRun] = []
    for source in list_sources(cat):
        try:
            outcomes.append(run_harvest(cat, source.name, full=full, dry_run=dry_run, progress=progress))
        except HarvestBusy as busy:
            outcomes.append(busy)
        except Exception as error:  # e.g. removed meanwhile, or a store error: the others still run
            log.warning("the harvest of %s did not run: %s", source.name, error)
            outcomes.append(HarvestNotRun(source.name, error))
    return outcomes
