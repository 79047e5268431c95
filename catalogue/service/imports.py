"""Imports of many records (JSON Lines, CSV, the demo collection): each record is checked
and classified by one function, `plan`, so a dry run predicts exactly what the import does
and the import validates each record once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import CatalogueError, Gone, Notice, ValidationError
from ..store import StoredRecord
from .rules import check_not_withheld, content, prepare_new

if TYPE_CHECKING:  # the door itself, whose writes an import uses
    from .catalogue import Catalogue

#: Records an import stores per SQLite transaction (each record still all-or-nothing).
IMPORT_BATCH = 500


@dataclass
class ImportReport:
    """What an import did: counts, every rejected line with its location and reason, every
    warning about a line that was imported all the same, and (when asked for) the first
    records as they would be stored: (location, action, record)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    preview: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    #: Errors and warnings in the order they came: (``error`` or ``warning``, location, text).
    log: list[tuple[str, str, str]] = field(default_factory=list)

    def add_error(self, where: str, problem: str) -> None:
        self.failed += 1
        self.errors.append((where, problem))
        self.log.append(("error", where, problem))

    def add_warning(self, where: str, text: str) -> None:
        self.warnings.append((where, text))
        self.log.append(("warning", where, text))

    @property
    def done(self) -> int:
        """Records read so far, good or bad."""
        return self.created + self.updated + self.unchanged + self.failed

    def counts(self) -> dict[str, int]:
        """The counters by name."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "failed": self.failed}


#: Hears of an import's progress after each batch (the report so far).
ImportProgress = Callable[[ImportReport], None]


class Plan(NamedTuple):
    """What importing one record does: `action` is ``created``, ``updated`` or ``unchanged``
    (the report's counters), `data` the record as it would be stored, `current` the stored
    row it replaces (None for a new record)."""

    action: str
    data: dict[str, Any]
    current: StoredRecord | None


def plan(cat: Catalogue, record: Any, *, origin: str) -> Plan:
    """Check `record` and decide what importing it does: create it (no record has its id,
    or it has none), update the record with its id (when the content differs), or nothing.
    Gone for a deleted record, Withheld for one whose current revision is withheld,
    ValidationError listing every problem."""
    record_id = record.get("id") if isinstance(record, dict) else None
    current = cat.current(record_id) if record_id else None
    if current is None:
        return Plan("created", prepare_new(record, origin=origin), None)
    if current.deleted:
        raise Gone(current.id, current.reason, current.revision)
    data = cat.prepare_update(current.id, record, current, origin=origin)
    if content(current.data) == data:
        return Plan("unchanged", data, current)
    check_not_withheld(current, False)
    return Plan("updated", data, current)


def import_records(cat: Catalogue, items: Iterable[tuple[str, Any]], *, user: str, message: str, origin: str,
                   dry_run: bool, preview: int = 0, progress: ImportProgress | None = None) -> ImportReport:
    """Import (location, record) pairs; each bad one is reported, the good ones stored (or,
    in a dry run, only counted; a dry run never touches the index). See
    `Catalogue.import_records`."""
    report = ImportReport()
    items = iter(items)
    ahead = next(items, None)  # (read one ahead: no empty transaction after a full last batch)
    with cat.deferred_index() if not dry_run else _nothing() as feed:
        while True:
            with cat.store.transaction():
                done = 0
                while ahead is not None:
                    (where, record), ahead = ahead, next(items, None)
                    if isinstance(record, Notice):
                        report.add_warning(where, str(record))
                        continue
                    _import_one(cat, where, record, report, user=user, message=message, origin=origin,
                                dry_run=dry_run, preview=preview)
                    done += 1
                    if done == IMPORT_BATCH:
                        break
            if feed is not None:
                feed.step()  # (the index's writer processes take the batch while the next is stored)
            if progress is not None:
                progress(report)
            if ahead is None:
                return report


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _import_one(cat: Catalogue, where: str, record: Any, report: ImportReport, *, user: str, message: str,
                origin: str, dry_run: bool, preview: int) -> None:
    """Store or (dry run) classify one imported record; a problem goes to the report."""
    if isinstance(record, CatalogueError):
        report.add_error(where, str(record))
        return
    try:
        planned = plan(cat, record, origin=origin)
        if len(report.preview) < preview:
            report.preview.append((where, planned.action, planned.data))
        if not dry_run:
            cat.apply(planned, user=user, message=message, origin=origin)
    except ValidationError as error:
        for problem in error.errors:
            report.add_error(where, str(problem))
        report.failed -= len(error.errors) - 1
    except CatalogueError as error:
        report.add_error(where, str(error))
    else:
        setattr(report, planned.action, getattr(report, planned.action) + 1)
