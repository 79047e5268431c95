"""The catalogue's one write path: validate, store a revision, update the index.

Every interface (CLI, web forms, write API, harvesters, imports) calls `Catalogue`, so a
record is checked, versioned and made searchable the same way wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import records
from .errors import CatalogueError, FieldError, Gone, NotFound, ValidationError, Withheld
from .search import FACET_LIMIT, SearchLimits, SearchResult
from .store import Revision, Store, StoredRecord, Withholding

DB_NAME = "catalogue.sqlite3"
#: Records an import stores per SQLite transaction (each record still all-or-nothing).
IMPORT_BATCH = 500
INDEX_NAME = "index"
#: Longest reason of a withhold or release.
REASON_MAX = 1000
#: Write origins whose `provenance` the server sets, whatever the writer sends: a record
#: created through the write API is `manual`, and an edit keeps the stored provenance, so
#: no token can pass a record off as harvested or take over a harvested record's
#: identifier. (Imports and harvests state where their records came from; the web form
#: has no provenance inputs.)
SERVER_PROVENANCE = ("api",)


def _content(data: dict[str, Any]) -> dict[str, Any]:
    """A record without the fields the store maintains, for change detection."""
    return {k: v for k, v in data.items() if k not in records.SYSTEM_FIELDS}


@dataclass
class ImportReport:
    """What an import did: counts, and every rejected line with its location and reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add_error(self, where: str, problem: str) -> None:
        self.failed += 1
        self.errors.append((where, problem))


class Catalogue:
    """A data directory: the SQLite store (source of truth) plus its search index.

    `harvest_networks` are the networks beyond the public Internet its harvests may reach
    (the operator's HARVEST_ALLOW_NETWORKS: CIDRs, comma-separated or a list).
    """

    def __init__(self, data_dir: Path | str, *, with_index: bool = True, search_limits: SearchLimits | None = None,
                 harvest_networks: str | Iterable[str] = ""):
        self.data_dir = Path(data_dir)
        #: What one search may cost (the ``SEARCH_*`` settings).
        self.search_limits = search_limits or SearchLimits()
        self.harvest_networks = harvest_networks
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data_dir / DB_NAME)
        self._with_index = with_index
        self._index: Any = None

    @property
    def index(self) -> Any:
        """The search index, opened on first use and caught up with the store."""
        if self._index is None:
            from .index import SearchIndex

            self._index = SearchIndex(self.data_dir / INDEX_NAME, self.search_limits)
            self._index.sync(self.store)
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        self.store.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _after_write(self) -> None:
        if self._with_index:
            self.index.sync(self.store)

    @contextmanager
    def deferred_index(self) -> Iterator[None]:
        """Batch writes (harvests): the index catches up once, after the block, never
        with rows of a transaction that may still roll back."""
        with_index, self._with_index = self._with_index, False
        try:
            yield
        finally:
            self._with_index = with_index
            self._after_write()

    # -- reads -------------------------------------------------------------------------

    def get(self, record_id: str, revision: int | None = None, *, include_withheld: bool = False) -> dict[str, Any]:
        """A live record (or one of its revisions, deleted or not); NotFound/Gone otherwise,
        and Withheld for content an admin withheld from the public (unless `include_withheld`:
        admins and the command line see it)."""
        if revision is not None:
            current = self.store.get(record_id)
            if current is None:
                raise NotFound.record(record_id)
            found = self.store.revision(record_id, revision)
            if found.withheld and not include_withheld:
                raise Withheld(record_id, revision, revision == current.revision)
            return found.data
        stored = self.store.get_live(record_id)
        if stored.withheld and not include_withheld:
            raise Withheld(record_id, stored.revision, True)
        return stored.data

    def search(self, query: str = "", *, filters: dict[str, list[str]] | None = None, sort: str = "relevance",
               page: int = 1, page_size: int = 20, facets: bool = True, highlight: bool = True,
               facet_limit: int | None = FACET_LIMIT) -> SearchResult:
        """Full-text search with facet filters; see `catalogue.search.SearchResult`. Each facet
        lists its `facet_limit` most frequent values (None: all of them)."""
        return self.index.search(query, filters=filters or {}, sort=sort, page=page, page_size=page_size,
                                 facets=facets, highlight=highlight, facet_limit=facet_limit)

    def history(self, record_id: str, *, include_withheld: bool = False) -> list[Revision]:
        """Every revision of a record, oldest first; NotFound for an unknown id. A withheld
        revision comes without its content and message unless `include_withheld`."""
        revisions = self.store.history(record_id)
        if not revisions:
            raise NotFound.record(record_id)
        if include_withheld:
            return revisions
        return [replace(r, data={}, message="") if r.withheld else r for r in revisions]

    def withholdings(self, record_id: str | None = None) -> list[Withholding]:
        """The audit trail of withheld revisions (who withheld or released what, when, why)."""
        return self.store.withholdings(record_id)

    # -- writes ------------------------------------------------------------------------

    def create(self, record: dict[str, Any], *, user: str = "system", message: str = "",
               origin: str = "manual") -> dict[str, Any]:
        """Validate and store a new record; an id is made from the title when absent."""
        if isinstance(record, dict) and not record.get("id"):
            record = dict(record, id=records.new_id(str(record.get("title") or "")))
        if isinstance(record, dict) and origin in SERVER_PROVENANCE:
            record = dict(record, provenance={"origin": "manual"})
        data = records.prepare(record)
        stored = self.store.write(data["id"], data, action="create", base_revision=None, user=user,
                                  message=message or "created", origin=origin)
        self._after_write()
        return stored.data

    def prepare_update(self, record_id: str, record: dict[str, Any], current: StoredRecord | None = None, *,
                       origin: str = "manual") -> dict[str, Any]:
        """The validated new content of a record, keeping its id, and its provenance when the
        writer gives none or may not set it (`SERVER_PROVENANCE`); `current` is the live
        stored row when the caller has read it already."""
        current = current or self.store.get_live(record_id)
        incoming = dict(record)
        if incoming.get("id") not in (None, "", record_id):
            raise ValidationError([FieldError("id", f"cannot change the id {record_id!r} of a record")])
        incoming["id"] = record_id
        stored = current.data.get("provenance")
        if origin in SERVER_PROVENANCE or not incoming.get("provenance"):
            incoming.pop("provenance", None)
            if stored:
                incoming["provenance"] = stored
        return records.prepare(incoming)

    def update(self, record_id: str, record: dict[str, Any], *, base_revision: int | None,
               user: str = "system", message: str = "", origin: str = "manual",
               allow_withheld: bool = False) -> dict[str, Any]:
        """Replace a record's content; refuses a stale `base_revision`. No change, no revision.

        A record whose current revision is withheld is changed only with `allow_withheld`
        (an admin, who knows the new revision will be public); harvests and imports are refused.
        """
        current = self.store.get_live(record_id)
        _check_not_withheld(current, allow_withheld)
        data = self.prepare_update(record_id, record, current, origin=origin)
        return self._write_update(current, data, base_revision=base_revision, user=user, message=message,
                                  origin=origin)

    def _write_update(self, current: StoredRecord, data: dict[str, Any], *, base_revision: int | None,
                      user: str, message: str, origin: str) -> dict[str, Any]:
        """Store prepared content as the next revision of `current`, unless nothing changed."""
        if _content(current.data) == data and base_revision in (-1, current.revision):
            return current.data
        stored = self.store.write(current.id, data, action="update", base_revision=base_revision,
                                  user=user, message=message or "updated", origin=origin)
        self._after_write()
        return stored.data

    def delete(self, record_id: str, *, reason: str, user: str = "system",
               base_revision: int | None = -1, origin: str = "manual") -> StoredRecord:
        """Tombstone a record: it leaves search, keeps its id and history, and can be restored."""
        if not reason.strip():
            raise CatalogueError("a deletion needs a reason")
        current = self.store.get_live(record_id)
        stored = self.store.write(record_id, _content(current.data), action="delete", base_revision=base_revision,
                                  user=user, message=reason, origin=origin, reason=reason)
        self._after_write()
        return stored

    def note(self, record_id: str, *, message: str, user: str = "system", origin: str = "manual") -> dict[str, Any]:
        """Record a decision about a record (e.g. an upstream change rejected) as a revision
        whose content is unchanged, so the history shows who decided what and when."""
        current = self.store.get_live(record_id)
        stored = self.store.write(record_id, _content(current.data), action="update", base_revision=-1, user=user,
                                  message=message, origin=origin)
        self._after_write()
        return stored.data

    def restore(self, record_id: str, *, revision: int | None = None, user: str = "system",
                message: str = "", base_revision: int | None = -1) -> dict[str, Any]:
        """Bring back a deleted record or an earlier revision as a new revision."""
        current = self.store.get(record_id)
        if current is None:
            raise NotFound.record(record_id)
        if revision is None:
            if not current.deleted:
                raise CatalogueError(f"record {record_id!r} is not deleted; name the revision to restore")
            chosen = self.store.revision(record_id, current.revision)
        else:
            chosen = self.store.revision(record_id, revision)
        if chosen.withheld:
            raise CatalogueError(f"revision {chosen.revision} of record {record_id!r} is withheld from the public;"
                                 " an admin releases it before it can be restored")
        source = _content(chosen.data)
        data = records.prepare(source)
        default = f"restored revision {revision}" if revision else "restored"
        stored = self.store.write(record_id, data, action="restore", base_revision=base_revision, user=user,
                                  message=message or default, origin="manual")
        self._after_write()
        return stored.data

    def withhold(self, record_id: str, revision: int, *, reason: str, user: str = "system") -> Withholding:
        """Withhold a revision's content from the public (personal data, a sensitive
        location): record pages, history, the API, OAI-PMH, exports and search stop showing
        it; admins still see it. The reason goes to the audit trail."""
        return self._set_withheld(record_id, revision, True, reason=reason, user=user)

    def release(self, record_id: str, revision: int, *, reason: str, user: str = "system") -> Withholding:
        """Make a withheld revision public again; the reason goes to the audit trail."""
        return self._set_withheld(record_id, revision, False, reason=reason, user=user)

    def _set_withheld(self, record_id: str, revision: int, withheld: bool, *, reason: str,
                      user: str) -> Withholding:
        reason = reason.strip()
        if not reason:
            raise CatalogueError("withholding or releasing a revision needs a reason (kept in the audit trail)")
        if len(reason) > REASON_MAX:
            raise CatalogueError(f"the reason may have at most {REASON_MAX} characters")
        if self.store.get(record_id) is None:
            raise NotFound.record(record_id)
        entry = self.store.set_withheld(record_id, revision, withheld, reason=reason, user=user)
        self._after_write()
        return entry

    def upsert(self, record: dict[str, Any], *, user: str, message: str, origin: str,
               report: ImportReport) -> None:
        """Create a record, or update it by id when its content changed (imports, restores)."""
        record_id = record.get("id") if isinstance(record, dict) else None
        current = self.store.get(record_id) if record_id else None
        if current is None:
            self.create(record, user=user, message=message, origin=origin)
            report.created += 1
            return
        if current.deleted:
            raise Gone(record_id, current.reason, current.revision)
        data = self.prepare_update(record_id, record, current, origin=origin)
        if _content(current.data) == data:
            report.unchanged += 1
            return
        _check_not_withheld(current, False)
        self._write_update(current, data, base_revision=current.revision, user=user, message=message, origin=origin)
        report.updated += 1

    def import_records(self, items: Iterable[tuple[str, Any]], *, user: str = "system",
                       message: str = "imported", origin: str = "import", dry_run: bool = False) -> ImportReport:
        """Import (location, record) pairs; each bad one is reported, the good ones stored.

        Records are committed in batches of `IMPORT_BATCH`, each record in its own
        savepoint, so a bad one is never half-written and a crash loses at most the open
        batch (an import is idempotent: run it again). The index catches up once at the end.
        """
        report = ImportReport()
        items = iter(items)
        with self.deferred_index():
            while True:
                with self.store.transaction():
                    done = 0
                    for where, record in items:
                        self._import_one(where, record, report, user=user, message=message, origin=origin,
                                         dry_run=dry_run)
                        done += 1
                        if done == IMPORT_BATCH:
                            break
                if done < IMPORT_BATCH:
                    return report

    def _import_one(self, where: str, record: Any, report: ImportReport, *, user: str, message: str,
                    origin: str, dry_run: bool) -> None:
        """Store or (dry run) classify one imported record; a problem goes to the report."""
        if isinstance(record, CatalogueError):
            report.add_error(where, str(record))
            return
        try:
            if dry_run:
                self._dry_run_one(record, report)
            else:
                self.upsert(record, user=user, message=message, origin=origin, report=report)
        except ValidationError as error:
            for problem in error.errors:
                report.add_error(where, str(problem))
            report.failed -= len(error.errors) - 1
        except CatalogueError as error:
            report.add_error(where, str(error))

    def _dry_run_one(self, record: Any, report: ImportReport) -> None:
        data = records.prepare(record)
        current = self.store.get(data["id"]) if data.get("id") else None
        if current is None:
            report.created += 1
        elif current.deleted:
            raise CatalogueError(f"record {data['id']!r} is deleted; restore it before importing over it")
        elif _content(current.data) == data:
            report.unchanged += 1
        else:
            _check_not_withheld(current, False)
            report.updated += 1


def _check_not_withheld(current: StoredRecord, allowed: bool) -> None:
    """Refuse to write over a record whose current revision is withheld, unless allowed:
    the new revision would be public, so an admin decides."""
    if current.withheld and not allowed:
        raise Withheld(current.id, current.revision, True)
