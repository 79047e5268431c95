"""The search index: a Whoosh index derived from the store and rebuildable from it.

The index is a cache of the store: it remembers the last store change (`seq`) it applied and
catches up with `sync`. It lives in generations (`generations`): ``index/CURRENT`` names the
live folder; `reindex` builds a new one beside it and swaps the name atomically, so searches
go on during a rebuild and a crash leaves the old one. Writers of all processes take the
generation's write lock (`locks`, `writing`). A generation that cannot be read (missing,
damaged, written by an older version) is set aside and rebuilt from the store: `sync`,
`check` and `reindex` work from any state, and a search meanwhile raises `Unreadable`.

A search parses the query (`query`), bounds its cost (`bounds`), matches and ranks it with
numpy over the index's packed postings (`scoring`, `packing`; queries it cannot evaluate are
answered by Whoosh itself), counts facets from per-value bitsets (`facets`) and cuts a page of
highlighted hits (`pages`, `highlight`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CatalogueError, IndexBusy
from ..geo import BBox
from . import bounds, generations, pairs, scoring, spatial, writing
from ._whoosh import wq
from .bitsets import bitset, to_bitset
from .documents import PlaceNames
from .facets import FacetSets, NewestSets, build_facet_sets, clean_filters, facet_counts, filter_bits
from .generations import REBUILD_LOCK, WRITE_LOCK, Unreadable, read_seq
from .limits import SearchLimits
from .locks import FileLock, busy_message, held
from .pages import Records, page_of_hits
from .query import (
    EXPENSIVE_NOTICE,
    LOOSER_NOTICE,
    REFUSED_NOTICE,
    Parsed,
    clean,
    make_parser,
    parse,
    plain_query,
    suggest,
    unreadable_characters,
)
from .results import FACET_LIMIT, SORTS, SearchResult
from .shared import SharedSearcher
from .words import LEVELS, readings, warm

log = logging.getLogger(__name__)

CURRENT = generations.CURRENT
#: Hits below which a "did you mean" suggestion is looked for.
FEW_HITS = 3
#: Bytes of segments' word lists kept for fuzzy words and "did you mean" (at 1,000,000
#: records the lists the large segments share take about 20 MB: `lexicons.lexicons_of`).
LEXICON_CACHE = 64 * 2**20

__all__ = ["CURRENT", "CheckReport", "SearchIndex", "Unreadable"]


@dataclass
class CheckReport:
    """What `SearchIndex.check` found (and repaired) comparing the index with the store.

    `pending`: store changes the index had not applied when the check began; `caught_up`:
    records the check's catch-up wrote; `damage`: why the index could not be read (it was
    then set aside and rebuilt, `rebuilt` records, when repairing)."""

    store_seq: int
    index_seq: int
    pending: int = 0
    caught_up: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    damage: str | None = None
    rebuilt: int | None = None
    repaired: bool = False

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)

    @property
    def agrees(self) -> bool:
        """Whether the index held every store change, undamaged, when the check began."""
        return not self.pending and not self.drift and self.damage is None


class SearchIndex:
    """A search index in a folder of the data directory (shared safely by threads and processes)."""

    def __init__(self, path: Path, limits: SearchLimits | None = None, place_names: PlaceNames | None = None,
                 records: Records | None = None):
        self.path = Path(path)
        #: Reads a page's records from the store (the index keeps no copy of them): the
        #: public records among some ids (see `catalogue.search.pages.Records`).
        self.records = records
        #: More names of a record's place for its document (a place authority's; see
        #: `catalogue.search.documents.PlaceNames`). Records written before it was set keep
        #: their documents until they change or a `reindex`.
        self.place_names = place_names
        #: What one search may cost (see `catalogue.search.bounds`).
        self.limits = limits or SearchLimits()
        self._lexicons = scoring.PostingCache(LEXICON_CACHE)
        self._write_lock = threading.RLock()
        #: The generation folder of the searcher this thread's search uses.
        self._local = threading.local()
        self._facets = NewestSets()
        self._parser = make_parser()
        #: Decoded postings shared by all threads, bounded in bytes (see `cache_stats`).
        self._postings_cache = scoring.PostingCache(self.limits.cache_mb * 2**20)
        #: The searcher of every thread of the process.
        self._shared = SharedSearcher(self.path, self._postings_cache)
        #: False answers every query with Whoosh alone (the reference the fast path is tested against).
        self.fast = True
        #: Writer processes of a reindex or a large sync (one per core, at most two).
        self.procs = min(2, os.cpu_count() or 1)
        self._cleaned = False

    # -- generations ---------------------------------------------------------------------

    def live(self) -> Path | None:
        """The live generation folder, or None when there is none (never built, or set aside)."""
        return generations.live(self.path)

    def last_seq(self) -> int:
        """The last store change sequence applied to the index (0 when there is none)."""
        folder = self.live()
        return read_seq(folder) if folder is not None else 0

    def damage(self, *, deep: bool = False) -> str | None:
        """Why the index cannot be searched now (None when it can): there is none, or the
        live generation is damaged (see `generations.damage`)."""
        folder = self.live()
        if folder is None:
            return "there is no search index"
        return generations.damage(folder, deep=deep)

    def set_aside(self, folder: Path, reason: str) -> None:
        """Move a damaged generation out of the way (see `generations.set_aside`)."""
        self.close()
        generations.set_aside(self.path, folder, reason)

    def _prepare(self) -> None:
        """Before this object's first write: the index folder exists and what failed writes
        left behind is cleaned up (`generations.clean`), once: a thread that comes meanwhile
        waits for it, since the clean holds the rebuild lock a moment."""
        with self._write_lock:
            if not self._cleaned:
                self.path.mkdir(parents=True, exist_ok=True)
                generations.clean(self.path)
                self._cleaned = True

    # -- writing -------------------------------------------------------------------------

    def sync(self, store: Any, *, wait: float = writing.LOCK_TIMEOUT, heal: bool = True, verify: bool = False) -> int:
        """Apply every store change after `last_seq`; return how many records changed.

        Without a usable live generation (none yet, or damaged: it is set aside), the index
        is rebuilt from the store first (`heal`); `verify` checks the live generation's files
        first (cheaply: the sizes written, and the directory of a compound file the manifest
        lacks), so damage is found before a search meets it.
        Safe from any thread or process at any time: when another writer holds the index past
        `wait` seconds, nothing is applied now; that writer looks for newer changes when it
        is done, and so does the next sync.
        """
        self._prepare()
        count = 0
        while True:
            folder = self.live()
            if folder is not None and verify and heal and (why := generations.damage(folder)) is not None:
                self.set_aside(folder, why)
                folder = None
            verify = False
            if folder is None:
                if not heal:
                    return count
                return count + self._rebuild(store, "there is no search index", wait=wait)
            if store.last_seq() <= read_seq(folder):
                return count
            applied = self._apply_locked(folder, store, (), wait, heal)
            if applied is None:
                log.info("search index busy (%s); its writer catches up when done",
                         busy_message(folder / WRITE_LOCK))
                return count
            count += applied

    def _apply_locked(self, folder: Path, store: Any, ids: Iterable[str], wait: float, heal: bool) -> int | None:
        """Apply changes (and repairs `ids`) holding the generation's write lock; None when
        another writer kept it for `wait` seconds. A generation found damaged is set aside
        and the index rebuilt (`heal`)."""
        with held(self._write_lock, folder / WRITE_LOCK, wait) as locked:
            if not locked:
                return None
            try:
                return writing.apply(folder, store, self._open_readers(folder), ids, self.procs, self.place_names)
            except Exception as error:
                why = generations.damage(folder, deep=True)
                if why is None or not heal:
                    raise
                log.warning("the search index could not be written (%s: %s)", type(error).__name__, error)
        self.set_aside(folder, why)
        return self._rebuild(store, why, wait=wait)

    def merge_small(self, give_way: Callable[[], bool] | None = None) -> bool:
        """Merge the small segments that writes of a few changes leave (`writing.merge_small`),
        unless another writer holds the index; whether it merged. The follower calls it once
        changes are searchable, its `give_way` saying when another change is waiting."""
        folder = self.live()
        if folder is None or not writing.would_merge(generations.toc_segments(folder)):
            return False
        with held(self._write_lock, folder / WRITE_LOCK, 0.0) as locked:
            return locked and writing.merge_small(folder, give_way)

    def _rebuild(self, store: Any, why: str, *, wait: float) -> int:
        """Rebuild an index that is missing or was set aside, unless another process rebuilt
        it meanwhile; the records indexed."""
        if (self.path / CURRENT).exists():
            log.warning("rebuilding the search index from the store: %s", why)
        else:
            log.info("building the search index from the store")
        return self.reindex(store, wait=wait, unless_readable=True)

    def reindex(self, store: Any, *, procs: int | None = None, wait: float = 0.0,
                unless_readable: bool = False) -> int:
        """Build a fresh index from the store in a new folder and swap it in; return records indexed.

        Works from any state of the old index (none, damaged, behind the store, locked by a
        dead process). Searches use the old generation until the swap; a crash leaves the old
        one live and the half-built folder is removed by the next rebuild. One rebuild runs
        at a time: another waits up to `wait` seconds, then IndexBusy; with
        `unless_readable` it does nothing when the rebuild it waited for left a readable
        index. `procs` writer processes (default `self.procs`) each write one segment.
        """
        self._prepare()
        lock = FileLock(self.path / REBUILD_LOCK)
        if not lock.acquire(wait):
            raise IndexBusy(f"another rebuild of the search index is running ({busy_message(lock.path)})")
        try:
            if unless_readable and self.damage() is None:
                count = 0
            else:
                generations.remove_old_generations(self.path)
                folder = generations.create(self.path)
                count = writing.build(folder, store, max(1, procs or self.procs), self.place_names)
                generations.make_live(self.path, folder)
        finally:
            lock.release()
        self.sync(store, wait=wait or writing.LOCK_TIMEOUT, heal=False)
        return count

    def check(self, store: Any, *, repair: bool = True) -> CheckReport:
        """Compare the index with the store: the changes it has not applied, then records
        missing, extra or stale. With `repair` it catches up first (or, when the index
        cannot be read, sets it aside and rebuilds it) and mends every difference; without,
        it only reads."""
        folder = self.live()
        report = CheckReport(store_seq=store.last_seq(), index_seq=read_seq(folder) if folder else 0)
        report.damage = "there is no search index" if folder is None else generations.damage(folder, deep=True)
        if report.damage is None:
            report.pending = store.count_changed_since(report.index_seq)
        elif not repair:
            return report
        else:
            if folder is not None:
                self.set_aside(folder, report.damage)
            report.rebuilt = self.reindex(store, wait=writing.LOCK_TIMEOUT, unless_readable=True)
            report.repaired = True
        if repair and report.rebuilt is None:
            report.caught_up = self._sync_or_fail(store)
        self._compare(store, report)
        if repair and report.drift:
            folder = self.live()
            if folder is None or self._apply_locked(folder, store, [*report.missing, *report.extra, *report.stale],
                                                    writing.LOCK_TIMEOUT, True) is None:
                raise IndexBusy(busy_message((folder or self.path) / WRITE_LOCK))
            report.repaired = True
        return report

    def _sync_or_fail(self, store: Any) -> int:
        """`sync`, raising IndexBusy when another writer kept the index (a check must say so)."""
        count = self.sync(store)
        folder = self.live()
        if folder is not None and read_seq(folder) < store.last_seq():
            raise IndexBusy(f"the index could not be caught up: {busy_message(folder / WRITE_LOCK)}")
        return count

    def _compare(self, store: Any, report: CheckReport) -> None:
        indexed = self._indexed_revisions()
        for row in store.iter_records(include_deleted=True):
            have = indexed.pop(row.id, None)
            if row.hidden:
                if have is not None:
                    report.extra.append(row.id)
            elif have is None:
                report.missing.append(row.id)
            elif have != row.revision:
                report.stale.append(row.id)
        report.extra.extend(sorted(indexed))

    def _indexed_revisions(self) -> dict[str, int]:
        reader = self._searcher().reader()
        if not reader.doc_count_all():
            return {}
        ids, revisions = reader.column_reader("id"), reader.column_reader("revision")
        return {ids[n]: revisions[n] for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}

    # -- reading -------------------------------------------------------------------------

    def _searcher(self) -> Any:
        """The process's searcher on the live generation, shared by every thread and refreshed
        when the index changed (`catalogue.search.shared`); Unreadable when there is no live
        generation or it is damaged (checked when first opened; a damaged one is set aside);
        the last look's while neither changed since (`SharedSearcher.unchanged`)."""
        if (unchanged := self._shared.unchanged()) is not None:
            self._local.folder = unchanged[1]
            return unchanged[0]
        before = self._shared.before()
        folder = self.live()
        if folder is None:
            raise Unreadable("there is no search index")
        searcher, why = self._shared.get(folder, before)
        if searcher is None:
            self.set_aside(folder, why or "it cannot be read")
            raise Unreadable(why or "it cannot be read", folder)
        self._local.folder = folder
        return searcher

    def _open_readers(self, folder: Path) -> dict[str, Any]:
        """The shared searcher's open segment readers of a generation, by segment id."""
        return self._shared.readers(folder)

    def _postings(self, searcher: Any) -> scoring.Postings:
        """The numpy posting reader of a searcher, shared like it."""
        return self._shared.postings(searcher)

    def cache_stats(self) -> dict[str, int]:
        """Sizes of the search caches: decoded postings (byte-capped LRU) and facet bitsets."""
        stats = {f"postings_{k}": v for k, v in self._postings_cache.stats().items()}
        stats["facet_bitset_bytes"] = sum((bits.bit_length() + 7) // 8 for s in self._facets.held()
                                          for table in s.values.values() for bits in table.values())
        return stats

    def _facet_sets(self, searcher: Any) -> FacetSets:
        reader = searcher.reader()
        key = (str(self._local.folder), reader.generation())
        return self._facets.get(key, lambda: build_facet_sets(reader, self._postings(searcher),
                                                              next(iter(self._facets.held()), None)))

    def search(self, query: str, *, filters: dict[str, list[str]], sort: str, page: int, page_size: int,
               facets: bool, highlight: bool, facet_limit: int | None = FACET_LIMIT,
               area: BBox | None = None) -> SearchResult:
        """One page of hits for `query` with facet filters, counts, snippets and suggestions
        (see `_search`); with an `area`, only records whose geometry lies (partly) in it.
        Unreadable when the index cannot be searched: there is none, or a
        read failed and the live generation proved damaged (it is then set aside). A read
        that failed on an undamaged index (one that raced a commit) is tried once more."""
        options = {"filters": filters, "sort": sort, "page": page, "page_size": page_size, "facets": facets,
                   "highlight": highlight, "facet_limit": facet_limit, "area": area}
        try:
            return self._search(query, **options)
        except (Unreadable, CatalogueError):
            raise
        except Exception as error:
            folder = getattr(self._local, "folder", None) or self.live()
            self._shared.forget()
            why = generations.damage(folder, deep=True) if folder is not None else None
            if why is not None:
                log.warning("a search failed (%s: %s) on a damaged index", type(error).__name__, error)
                self.set_aside(folder, why)
                raise Unreadable(why, folder) from error
        return self._search(query, **options)

    def _search(self, query: str, *, filters: dict[str, list[str]], sort: str, page: int, page_size: int,
                facets: bool, highlight: bool, facet_limit: int | None, area: BBox | None = None) -> SearchResult:
        """One page of hits for `query` with facet filters, counts, snippets and suggestions.

        The query is read strictly first, then, while nothing matches, more loosely (other
        spellings, typos, some of the words: see `catalogue.search.words`), and the result says
        which reading answered. Matching runs within the time budget and expansion limit; a
        query that meets either is searched as its plain words (given half the budget again),
        else answered with no hits, each with a notice saying why. Highlighting gets a quarter
        of the budget."""
        if self.records is None:
            raise CatalogueError("this search index was opened without a way to read records from the store")
        text = clean(query)
        warm()
        page, page_size = max(1, int(page)), min(max(1, int(page_size)), 1000)
        sort = sort if sort in SORTS else "relevance"
        filters = clean_filters(filters)
        result = SearchResult(query=query, total=0, page=page, page_size=page_size, sort=sort, filters=filters,
                              area=area)
        parsed = self._parsed(text, unreadable_characters(query))
        result.notice = parsed.notice
        searcher = self._searcher()
        sets = self._facet_sets(searcher)
        allowed = filter_bits(sets, filters)
        if area is not None:
            allowed &= to_bitset(spatial.in_area(self._postings(searcher), area))
        budget, skipped = self._budget(), []
        try:
            with bounds.active(budget):
                q, matched, scores, level = self._matches(searcher, sets, parsed, allowed, bool(text), skipped)
            if skipped and not matched:
                result.notice = result.notice or LOOSER_NOTICE.format(skipped[0])
        except bounds.TooExpensive as why:
            budget = self._budget(self.limits.time_budget_ms / 2)
            try:
                with bounds.active(budget):
                    q, matched, scores, level = self._matches(searcher, sets, plain_query(self._parser, text,
                                                                                          self.limits),
                                                              allowed, False, [])
                result.notice = EXPENSIVE_NOTICE.format(why)
            except bounds.TooExpensive as again:
                q, matched, scores, level = wq.NullQuery, 0, None, "strict"
                result.notice = REFUSED_NOTICE.format(again)
        result.total = matched.bit_count()
        result.relaxed = None if level == "strict" else level
        if result.total:
            if sets.mapped is None:
                sets.mapped = to_bitset(spatial.mapped_mask(self._postings(searcher), sets.leaf_mapped)) & sets.live
            result.mapped = (matched & sets.mapped).bit_count()
        if result.total < FEW_HITS and text:
            result.suggestion = suggest(searcher.reader(), text, self.limits, self._lexicons)
        if facets:
            result.facets = facet_counts(sets, matched, filters, facet_limit)
        if result.total > (page - 1) * page_size:
            # the page re-uses matching's expansions; highlighting a huge one is given up in time
            with bounds.active(budget.renewed(self.limits.time_budget_ms / 4)):
                try:
                    result.hits = page_of_hits(searcher, sets, q, matched, scores, sort, page, page_size, highlight,
                                               self.records)
                except bounds.TooExpensive:
                    result.hits = page_of_hits(searcher, sets, q, matched, scores, sort, page, page_size, False,
                                               self.records)
        return result

    def _budget(self, ms: float | None = None) -> bounds.Budget:
        return bounds.Budget(self.limits, ms=ms, lexicons=self._lexicons)

    def _matches(self, searcher: Any, sets: FacetSets, parsed: Parsed, allowed: int, relax: bool,
                 skipped: list[str]) -> tuple[wq.Query, int, Any, str]:
        """The query answered, its allowed matches and scores, and the reading that answered
        (see `catalogue.search.words.LEVELS`): the strict one, or with `relax` the first looser
        one that matches (one met a bound: its reason goes to `skipped`, the next is tried)."""
        found = readings(parsed.raw, parsed.text, searcher.reader(), self.limits)
        first = found["strict"]
        q, (matched, scores) = first, self._match(searcher, first, sets)
        matched &= allowed
        if matched or not relax or parsed.plain:
            return q, matched, scores, "strict"
        for level in LEVELS[1:]:
            looser = found[level]
            if looser is None:
                continue
            try:
                bounded = bounds.bound(looser, self.limits)[0]
                tolerant, tolerant_scores = self._match(searcher, bounded, sets)
            except bounds.TooExpensive as why:
                skipped.append(str(why))
                continue
            if tolerant & allowed:
                return bounded, tolerant & allowed, tolerant_scores, level
        return q, matched, scores, "strict"

    def _parsed(self, text: str, reason: str | None = None) -> Parsed:
        """The parsed, bounded query of cleaned `text` (see `catalogue.search.query.parse`)."""
        return parse(self._parser, text, self.limits, reason)

    def _parse(self, text: str, reason: str | None = None) -> tuple[wq.Query, str | None, bool]:
        """The strict query of cleaned `text` as run against this index, the notice of how it
        was read, and whether it fell back to plain words."""
        parsed = self._parsed(text, reason)
        strict = readings(parsed.raw, parsed.text, self._searcher().reader(), self.limits)["strict"]
        return strict, parsed.notice, parsed.plain

    def _match(self, searcher: Any, q: wq.Query, sets: FacetSets) -> tuple[int, Any]:
        """The live documents `q` matches (a bitset) and, on the fast path, every document's score."""
        if self.fast:
            try:
                postings = self._postings(searcher)
                common = pairs.read_common(self._local.folder) if pairs.PAIRS in searcher.schema else None
                mask, scores = scoring.Evaluator(postings, common, bounds.current()).run(q)
                return to_bitset(mask) & sets.live, scores
            except scoring.Unsupported as why:
                log.debug("whoosh answers %r: %s", q, why)
        if isinstance(q, wq.Every):
            return sets.live, None
        return bitset(searcher.docs_for_query(q), sets.size) & sets.live, None

    def close(self) -> None:
        """Release the shared searcher and its file handles."""
        self._shared.close()
        self._local.folder = None
