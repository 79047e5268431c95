"""`Catalogue`, the one door to a data directory: every read the interfaces need and the
one write path (validate, store a revision, update the index). Every interface (CLI, web,
write API, harvesters, imports) calls it, so a record is checked, versioned and made
searchable the same way wherever it comes from, and none of them knows the store or index.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import records
from ..config import COUNT_WAIT_MS
from ..errors import CatalogueError, FieldError, NotFound, QueryTooLong, ValidationError, Withheld
from ..geo import BBox
from ..search import FACET_LIMIT, SearchLimits, SearchResult, query_too_long, whole_setting
from ..store import Revision, Store, StoredRecord, Withholding, transfer
from ..store.transfer import TransferReport
from . import imports
from .accounts import Accounts
from .figures import CollectionFigures, Statistics
from .harvests import HarvestLedger
from .imports import ImportReport, Plan
from .places import Places
from .published import PublishedRecords
from .rules import SERVER_PROVENANCE, check_not_withheld, content, prepare_new
from .sources import CitedSource, CitedSources
from .uploads import Uploads

DB_NAME = "catalogue.sqlite3"
#: Default of ``INDEX_WAIT_MS``: how long a write waits for search to catch up.
INDEX_WAIT_MS = 200
INDEX_NAME = "index"
#: Longest reason of a withhold or release.
REASON_MAX = 1000
#: The key under which `shared` keeps a registry's catalogue.
SHARED_KEY = "catalogue"
#: One catalogue for threads asking at once (else each first request opened one, following the index).
_SHARED_LOCK = threading.Lock()


class Catalogue:
    """A data directory: the store (source of truth) plus its search index, its accounts
    (`accounts`), its harvest state (`harvests`), what OAI-PMH publishes (`published`) and
    what web imports keep (`uploads`: saved mappings and uploaded files).

    The store is the SQLite file in the data directory unless `database_url` names another
    (the operator's DATABASE_URL: ``sqlite:///…`` or ``postgresql://…``). `harvest_networks`
    are the networks beyond the public Internet its harvests may reach (the operator's
    HARVEST_ALLOW_NETWORKS: CIDRs, comma-separated or a list).
    """

    def __init__(self, data_dir: Path | str, *, database_url: str | None = None, with_index: bool = True,
                 search_limits: SearchLimits | None = None, harvest_networks: str | Iterable[str] = "",
                 index_wait_ms: int = INDEX_WAIT_MS, count_wait_ms: int = COUNT_WAIT_MS):
        self.data_dir = Path(data_dir)
        #: What one search may cost (the ``SEARCH_*`` settings).
        self.search_limits = search_limits or SearchLimits()
        self.harvest_networks = harvest_networks
        #: How long a write waits for search to catch up before it returns (``INDEX_WAIT_MS``).
        self.index_wait_ms = index_wait_ms
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(database_url or self.data_dir / DB_NAME)
        self.accounts = Accounts(self.store)
        self.harvests = HarvestLedger(self.store)
        self.published = PublishedRecords(self.store)
        #: The collection's figures (home and statistics pages), counted once for each change
        #: (a count slower than ``COUNT_WAIT_MS`` answered from the change before meanwhile).
        self._figures = CollectionFigures(self.store, count_wait_ms / 1000)
        self.uploads = Uploads(self.store)
        #: Place authorities and the links of records to them.
        self.places = Places(self)
        self._with_index = with_index
        self._keeper: Any = None
        self._keeper_lock = threading.Lock()
        #: The sources public records cite, for the record form's reuse.
        self.sources = CitedSources(self.store)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, with_index: bool = True) -> Catalogue:
        """The catalogue a configuration names: its ``DATA`` directory, searched within
        its ``SEARCH_*`` limits (CatalogueError naming a bad setting), harvesting within
        ``HARVEST_ALLOW_NETWORKS``, its store at ``DATABASE_URL`` (empty: the data
        directory's SQLite file): the one way the web app and the commands open it.
        With `with_index=False` writes skip the index, which catches up when next opened
        (bulk loads, and tests where the index is not under test)."""
        return cls(config["DATA"], database_url=config.get("DATABASE_URL") or None, with_index=with_index,
                   search_limits=SearchLimits.from_config(config),
                   harvest_networks=config.get("HARVEST_ALLOW_NETWORKS") or "",
                   index_wait_ms=whole_setting(config, "INDEX_WAIT_MS", INDEX_WAIT_MS, 0, 600_000),
                   count_wait_ms=whole_setting(config, "COUNT_WAIT_MS", COUNT_WAIT_MS, 0, 600_000))

    @property
    def index(self) -> Any:
        """The search index (opened on first use, as it is: `open_index`, `check_index` and
        every write bring it up to date)."""
        return self._kept().index

    def _kept(self) -> Any:
        """The keeper of the search index (`catalogue.search.keeper`), made on first use."""
        with self._keeper_lock:
            if self._keeper is None:
                from ..search import IndexKeeper, SearchIndex  # deferred: whoosh loads only when the index is used

                index = SearchIndex(self.data_dir / INDEX_NAME, self.search_limits, records=self.public_records)
                self._keeper = IndexKeeper(index, self.store, wait_ms=self.index_wait_ms)
            return self._keeper

    def idle(self) -> None:
        """The calling thread is done for now (a web request ended): its store connection
        goes back to the pool (PostgreSQL), so idle threads hold none."""
        self.store.release()

    def close_thread(self) -> None:
        """The calling helper thread (a background import) ends: its store connection is
        closed (SQLite) or goes back to the pool (PostgreSQL); the store stays open for the rest."""
        self.store.close_thread()

    def close(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.stop()
            keeper.index.close()
        self.store.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _after_write(self, *, bulk: bool = False) -> None:
        """The store committed: search follows (see `catalogue.search.keeper`). Never raises:
        the write stands whatever happens to the index, which catches up later."""
        if self._with_index:
            self._kept().written(bulk=bulk)

    @contextmanager
    def deferred_index(self) -> Iterator[Any]:
        """Batch writes (imports, harvests): the index catches up once, after the block,
        never with rows of a transaction that may still roll back. The block is given a feed
        (or None) whose `step()` it may call after each of its commits: writer processes then
        index the committed records meanwhile (`catalogue.search.feeding`). The store's
        connection is set up for writes of a savepoint each meanwhile (`Store.bulk`)."""
        with_index, self._with_index = self._with_index, False
        feed = self._kept().feed() if with_index else None
        completed = False
        try:
            with self.store.bulk():
                yield feed
            completed = True
        finally:
            if feed is not None:
                feed.close(completed)
            self._with_index = with_index
            self._after_write(bulk=True)

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

    def public_records(self, record_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The public records among `record_ids` by id, read in one batch for a page of hits: one
        deleted or withheld since the index last caught up is left out, as `get` refuses it."""
        return {record_id: row.data for record_id, row in self.store.get_many(record_ids).items() if not row.hidden}

    def current(self, record_id: str) -> StoredRecord | None:
        """The current row of a record as stored, deleted or withheld ones too (their
        `deleted` and `withheld` say so); None for an unknown id. For pages that show an
        admin what the public does not see, and for conflict views."""
        return self.store.get(record_id)

    def live(self, record_id: str) -> StoredRecord:
        """The current row of a record that is not deleted (withheld or not): what an edit
        starts from. NotFound or Gone otherwise."""
        return self.store.get_live(record_id)

    def revision(self, record_id: str, number: int) -> Revision:
        """One revision as stored, withheld or not; NotFound when there is none."""
        return self.store.revision(record_id, number)

    def search(self, query: str = "", *, filters: dict[str, list[str]] | None = None, sort: str = "relevance",
               page: int = 1, page_size: int = 20, facets: bool = True, highlight: bool = True,
               facet_limit: int | None = FACET_LIMIT, area: BBox | None = None) -> SearchResult:
        """Full-text search with facet filters; see `catalogue.search.SearchResult`. Each facet
        lists its `facet_limit` most frequent values (None: all of them). QueryTooLong for a
        query over `search_limits.max_query_length`, whichever door it came through (the
        search page, the API, exports, `catalogue search`). SearchUnavailable while a serving
        process rebuilds a missing or damaged index. With an `area` (`catalogue.geo.BBox`),
        only records whose geometry lies in it, wholly or in part."""
        self.check_query(query)
        return self._kept().search(query, filters=filters or {}, sort=sort, page=page, page_size=page_size,
                                   facets=facets, highlight=highlight, facet_limit=facet_limit, area=area)

    def check_query(self, query: str) -> None:
        """QueryTooLong when `query` is longer than `search_limits.max_query_length`, the one
        limit of every door: `search` refuses such a query, and a door that reads a query
        among other arguments asks here first, so that this is the error it reports."""
        if query_too_long(query, self.search_limits):
            raise QueryTooLong(self.search_limits.max_query_length)

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

    def recent_changes(self, limit: int = 10) -> list[Revision]:
        """The latest revisions across the catalogue that are not withheld, newest first."""
        return self.store.recent_changes(limit)

    def live_records(self, *, types: Sequence[str] = (), statuses: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """Every public record (live, its current revision not withheld) whose type is one
        of `types` and status one of `statuses` (empty: any), in id order, streamed: what
        every export of the whole collection writes."""
        return (row.data for row in self.store.iter_records(types=types, statuses=statuses))

    def find_sources(self, query: str, limit: int = 20) -> list[CitedSource]:
        """`CitedSources.find`: the distinct sources public records cite that hold every word of `query`."""
        return self.sources.find(query, limit)

    def cited_source(self, record_id: str, source_id: str) -> dict[str, Any]:
        """`CitedSources.get`: source `source_id` of public record `record_id`, to copy into another."""
        return self.sources.get(record_id, source_id)

    def counts(self) -> dict[str, Any]:
        """Collection figures: public and deleted records, the items group records state,
        public records by type and by status (see `Store.counts`); read-only
        (`CollectionFigures`)."""
        return self._figures.counts()

    def statistics(self) -> Statistics:
        """The figures of the statistics page, each over the public records; read-only."""
        return self._figures.statistics()

    def is_empty(self) -> bool:
        """Whether no record was ever stored here (a new data directory)."""
        return self.store.last_seq() == 0

    def last_change(self) -> int:
        """The number of the newest change committed to the store (0: none yet)."""
        return self.store.last_seq()

    def wait_for_change(self, after: int, timeout: float) -> int:
        """Block until a change numbered above `after` is committed, by this process or any
        other process or node sharing the store, or `timeout` seconds pass; return the newest
        change number. What an index replica waits on to follow the store."""
        return self.store.wait_for_change(after, timeout)

    # -- upkeep --------------------------------------------------------------------------

    def open_index(self) -> None:
        """Keep the search index up to date in a background thread from now on (a serving
        process: its writes return once the store committed, waiting for search at most
        ``INDEX_WAIT_MS``; a missing or damaged index is rebuilt in the background while
        searches answer SearchUnavailable). It catches up with the store at once."""
        if self._with_index:
            self._kept().follow()

    def reindex(self, *, procs: int | None = None, wait: float = 0.0) -> int:
        """Rebuild the search index from the store in a new folder and swap it in; how many
        records it holds. Works whatever state the old index is in. `procs` writer
        processes (None: the index decides); a rebuild another process or thread runs is
        waited for up to `wait` seconds, then IndexBusy."""
        return self.index.reindex(self.store, procs=procs, wait=wait)

    def check_index(self, *, repair: bool = True) -> Any:
        """Compare the search index with the store; with `repair`, catch it up (or rebuild it
        when it cannot be read) and mend every difference, else only read. The report says
        what differed (`SearchIndex.check`)."""
        return self.index.check(self.store, repair=repair)

    def backup(self, target: Path) -> None:
        """A consistent copy of the store as a new SQLite file at `target`, safe while
        others keep writing (from PostgreSQL too)."""
        transfer.backup(self.store, target)

    def migrate_store(self, target_url: str) -> TransferReport:
        """Copy the whole catalogue (every revision, withholding, user, token, sign-in
        counter, harvest source, run, harvest state and pending change) into the empty
        store at `target_url` and verify the copy (row counts, a checksum per record's
        revision chain and per table); TransferError when the target holds data or the copy
        differs."""
        target = Store(target_url)
        try:
            return transfer.copy_store(self.store, target)
        finally:
            target.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes that stand or fall together (a harvested page with its checkpoint); nested,
        the inner block is undone alone when it fails."""
        with self.store.transaction():
            yield

    # -- writes ------------------------------------------------------------------------

    def check(self, record: Any, record_id: str | None = None, *, origin: str = "manual") -> dict[str, Any]:
        """The record as `create` (or, with `record_id`, `update`) would store it, stored
        nowhere; ValidationError listing every problem. For a form that reports every
        problem at once even when it will not save."""
        if record_id is None:
            return prepare_new(record, origin=origin)
        return self.prepare_update(record_id, record, origin=origin)

    def create(self, record: dict[str, Any], *, user: str = "system", message: str = "",
               origin: str = "manual") -> dict[str, Any]:
        """Validate and store a new record; an id is made from the title when absent."""
        return self._store_new(prepare_new(record, origin=origin), user=user, message=message, origin=origin)

    def _store_new(self, data: dict[str, Any], *, user: str, message: str, origin: str) -> dict[str, Any]:
        """Store prepared content as revision 1 of a new record."""
        self.places.check_reference(data, origin)
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
        check_not_withheld(current, allow_withheld)
        data = self.prepare_update(record_id, record, current, origin=origin)
        return self._write_update(current, data, base_revision=base_revision, user=user, message=message,
                                  origin=origin)

    def _write_update(self, current: StoredRecord, data: dict[str, Any], *, base_revision: int | None,
                      user: str, message: str, origin: str) -> dict[str, Any]:
        """Store prepared content as the next revision of `current`, unless nothing changed."""
        if content(current.data) == data and base_revision in (-1, current.revision):
            return current.data
        self.places.check_reference(data, origin)
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
        stored = self.store.write(record_id, content(current.data), action="delete", base_revision=base_revision,
                                  user=user, message=reason, origin=origin, reason=reason)
        self._after_write()
        return stored

    def note(self, record_id: str, *, message: str, user: str = "system", origin: str = "manual") -> dict[str, Any]:
        """Record a decision about a record (e.g. an upstream change rejected) as a revision
        whose content is unchanged, so the history shows who decided what and when."""
        current = self.store.get_live(record_id)
        stored = self.store.write(record_id, content(current.data), action="update", base_revision=-1, user=user,
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
        source = content(chosen.data)
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

    def import_records(self, items: Iterable[tuple[str, Any]], *, user: str = "system",
                       message: str = "imported", origin: str = "import", dry_run: bool = False, preview: int = 0,
                       progress: imports.ImportProgress | None = None) -> ImportReport:
        """Import (location, record) pairs; each bad one is reported, the good ones stored.
        A `Notice` in place of a record is a warning about that location (it goes to the
        report's warnings, the import goes on).

        Each record is checked and classified once (`imports.plan`), so a dry run counts
        exactly what the import would do; the first `preview` records are kept in the report
        as they would be stored. Records are committed in batches of `imports.IMPORT_BATCH`,
        each record in its own savepoint, so a bad one is never half-written and a crash
        loses at most the open batch (an import is idempotent: run it again); `progress`
        hears of the report after each batch. The index catches up once at the end.
        """
        return imports.import_records(self, items, user=user, message=message, origin=origin, dry_run=dry_run,
                                      preview=preview, progress=progress)

    def apply(self, plan: Plan, *, user: str, message: str, origin: str) -> None:
        """Store what `imports.plan` decided for one record, without checking it again."""
        if plan.action in ("created", "updated"):
            self.store_checked(plan.data, current=plan.current, user=user, message=message, origin=origin)

    def store_checked(self, data: dict[str, Any], *, current: StoredRecord | None = None, user: str = "system",
                      message: str = "", origin: str = "manual") -> dict[str, Any]:
        """Store a record as `check` returned it, without checking it again: a new record
        (`current` None) or the next revision of the live row `current` (refused when its
        revision is withheld or no longer the current one; no revision when nothing changed).
        For the doors that check a record before deciding what to do with it (imports,
        harvests), so that each write validates its record once."""
        if current is None:
            return self._store_new(data, user=user, message=message, origin=origin)
        check_not_withheld(current, False)
        return self._write_update(current, data, base_revision=current.revision, user=user, message=message,
                                  origin=origin)


def shared(registry: MutableMapping[str, Any], config: Mapping[str, Any]) -> Catalogue:
    """The catalogue kept in `registry` (a Flask app's extensions, a command run's state),
    opened from `config` on first use: one per app or command run, shared by its threads."""
    with _SHARED_LOCK:
        if (catalogue := registry.get(SHARED_KEY)) is None:
            catalogue = registry[SHARED_KEY] = Catalogue.from_config(config)
    return catalogue
