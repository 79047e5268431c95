"""The search index: a Whoosh index derived from the store and rebuildable from it.

The index is a cache of the store: it remembers the last store change (`seq`) it applied and
catches up with `sync`. It lives in generations: ``index/CURRENT`` names the live folder;
`reindex` builds a new one beside it and swaps the name atomically, so searches go on during
a rebuild and a crash leaves the old one. Writers of all processes take Whoosh's lock (see
`catalogue.search.writing`). A search parses the query (`query`), bounds its cost (`bounds`),
matches and ranks it with numpy over Whoosh's postings (`scoring`; queries it cannot evaluate
are answered by Whoosh itself), counts facets from per-value bitsets (`facets`) and cuts a
page of highlighted hits (`pages`, `highlight`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import bounds, pairs, scoring, writing
from ._whoosh import LockError, MultiReader, Searcher, SegmentReader, whoosh_index, wq
from .documents import index_schema
from .facets import FacetSets, bitset, build_facet_sets, clean_filters, facet_counts, filter_bits, to_bitset
from .limits import SearchLimits
from .pages import page_of_hits
from .query import (
    EXPENSIVE_NOTICE,
    REFUSED_NOTICE,
    clean,
    fuzzy,
    make_parser,
    parse,
    plain_query,
    suggest,
    unreadable_characters,
)
from .results import FACET_LIMIT, SORTS, SearchResult
from .writing import SEQ_FILE, file_lock, read_seq, write_atomic

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
#: Hits below which a "did you mean" suggestion is looked for.
FEW_HITS = 3
#: Bytes of segments' word lists kept for fuzzy words without a fixed first letter.
LEXICON_CACHE = 32 * 2**20


@dataclass
class CheckReport:
    """What `SearchIndex.check` found (and repaired) comparing the index with the store."""

    store_seq: int
    index_seq: int
    caught_up: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    repaired: bool = False

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)


def _rebound(reader: Any, segment: Any, generation: int) -> Any:
    """A segment's open reader seeing the segment's current deletions (its files are unchanged)."""
    new = copy.copy(reader)
    new._segment, new._gen = segment, generation
    new._perdoc = copy.copy(reader._perdoc)
    new._perdoc._segment = segment
    return new


def _refreshed(searcher: Any) -> Any:
    """A searcher on the index's latest version that keeps the open readers of unchanged segments.

    Whoosh 2.7.4's own `refresh` means to reuse them but keys them by generation and looks them
    up by segment id, so it reopens every segment: copying a large segment's term file into
    memory (~60 ms at 100,000 records) on every commit.
    """
    ix = searcher._ix
    toc = ix._read_toc()
    old = {reader.segment().segment_id(): reader for reader, _ in searcher.reader().leaf_readers()
           if isinstance(reader, SegmentReader)}
    readers = []
    for segment in toc.segments:
        reader = old.pop(segment.segment_id(), None)
        readers.append(_rebound(reader, segment, toc.generation) if reader is not None
                       else SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation))
    for reader in old.values():  # segments merged away
        reader.close()
    if not readers:
        return ix.searcher()
    reader = readers[0] if len(readers) == 1 else MultiReader(readers, generation=toc.generation)
    return Searcher(reader, fromindex=ix, weighting=searcher.weighting)


class SearchIndex:
    """A search index in a folder of the data directory (shared safely by threads and processes)."""

    def __init__(self, path: Path, limits: SearchLimits | None = None):
        self.path = Path(path)
        #: What one search may cost (see `catalogue.search.bounds`).
        self.limits = limits or SearchLimits()
        self._lexicons = scoring.PostingCache(LEXICON_CACHE)
        self.path.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._facets: dict[tuple[str, Any], FacetSets] = {}
        self._facets_lock = threading.Lock()
        self._parser = make_parser()
        #: Decoded postings shared by all threads, bounded in bytes (see `cache_stats`).
        self._postings_cache = scoring.PostingCache()
        #: False answers every query with Whoosh alone (the reference the fast path is tested against).
        self.fast = True
        #: Writer processes of a reindex or a large sync (one per core, at most two).
        self.procs = min(2, os.cpu_count() or 1)

    # -- generations ---------------------------------------------------------------------

    def _generation(self) -> Path:
        """The live generation folder, created (empty) on first use."""
        current = self.path / CURRENT
        with contextlib.suppress(FileNotFoundError):
            name = current.read_text(encoding="utf-8").strip()
            if name and (self.path / name).is_dir():
                return self.path / name
        with file_lock(self.path / "LOCK"):
            with contextlib.suppress(FileNotFoundError):
                name = current.read_text(encoding="utf-8").strip()
                if name and (self.path / name).is_dir():
                    return self.path / name
            folder = self._new_generation()
            write_atomic(current, folder.name)
            return folder

    def _new_generation(self) -> Path:
        folder = self.path / f"gen-{time.time_ns()}-{os.getpid()}"
        folder.mkdir()
        whoosh_index.create_in(str(folder), index_schema())
        (folder / SEQ_FILE).write_text("0", encoding="utf-8")
        return folder

    def _remove_stale_generations(self) -> None:
        """Delete generations older than the live one and the one before it."""
        live = self._generation().name
        folders = sorted(p for p in self.path.glob("gen-*") if p.is_dir() and p.name != live)
        for old in folders[:-1] if folders and folders[-1].name < live else folders:
            shutil.rmtree(old, ignore_errors=True)

    def last_seq(self) -> int:
        """The last store change sequence applied to the index."""
        return read_seq(self._generation())

    # -- writing -------------------------------------------------------------------------

    def sync(self, store: Any) -> int:
        """Apply every store change after `last_seq`; return how many records changed.

        Safe to call from any thread or process at any time; when another process holds the
        index lock past the timeout, nothing is applied now and the next sync catches up.
        """
        if store.last_seq() <= self.last_seq():
            return 0
        with self._write_lock:
            folder = self._generation()
            try:
                return self._apply(folder, store)
            except LockError:
                log.warning("search index busy; it will catch up on the next write or `catalogue check`")
                return 0

    def _apply(self, folder: Path, store: Any, ids: Iterable[str] = ()) -> int:
        return writing.apply(folder, store, self._open_readers(folder), ids, self.procs)

    def reindex(self, store: Any, *, procs: int | None = None) -> int:
        """Build a fresh index from the store in a new folder and swap it in; return records indexed.

        Searches use the old generation until the swap; a crash leaves the old one live and the
        half-built folder is removed by the next reindex. `procs` writer processes (default
        `self.procs`) each write one segment of the new index.
        """
        with file_lock(self.path / "REINDEX", wait=False):
            self._remove_stale_generations()
            folder = self._new_generation()
            count = writing.build(folder, store, max(1, procs or self.procs))
            with file_lock(self.path / "LOCK"):
                write_atomic(self.path / CURRENT, folder.name)
        self.sync(store)
        return count

    def check(self, store: Any, *, repair: bool = True) -> CheckReport:
        """Compare the index with the store: catch up, then find records missing, extra or stale."""
        report = CheckReport(store_seq=store.last_seq(), index_seq=self.last_seq())
        if repair:
            report.caught_up = self.sync(store)
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
        if repair and report.drift:
            with self._write_lock:
                self._apply(self._generation(), store, ids=[*report.missing, *report.extra, *report.stale])
            report.repaired = True
        return report

    def _indexed_revisions(self) -> dict[str, int]:
        searcher = self._searcher()
        reader = searcher.reader()
        ids, revisions = reader.column_reader("id"), reader.column_reader("revision")
        return {ids[n]: revisions[n] for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}

    # -- reading -------------------------------------------------------------------------

    def _searcher(self) -> Any:
        """This thread's searcher on the live generation, refreshed when the index changed."""
        folder = self._generation()
        local = self._local
        searcher = getattr(local, "searcher", None)
        if searcher is not None and local.folder == folder:
            if not searcher.up_to_date():
                local.searcher = searcher = _refreshed(searcher)
            return searcher
        if searcher is not None:
            searcher.close()
        local.ix = whoosh_index.open_dir(str(folder))
        local.searcher, local.folder = local.ix.searcher(), folder
        return local.searcher

    def _open_readers(self, folder: Path) -> dict[str, Any]:
        """This thread's open segment readers of a generation, by segment id."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None or self._local.folder != folder:
            return {}
        return {reader.segment().segment_id(): reader for reader, _ in searcher.reader().leaf_readers()
                if isinstance(reader, SegmentReader)}

    def _postings(self, searcher: Any) -> scoring.Postings:
        """The numpy posting reader of this thread's searcher (rebuilt when the searcher is)."""
        local = self._local
        postings = getattr(local, "postings", None)
        if postings is None or postings.searcher is not searcher:
            local.postings = postings = scoring.Postings(searcher, self._postings_cache)
        return postings

    def cache_stats(self) -> dict[str, int]:
        """Sizes of the search caches: decoded postings (byte-capped LRU) and facet bitsets."""
        stats = {f"postings_{k}": v for k, v in self._postings_cache.stats().items()}
        with self._facets_lock:
            sets = list(self._facets.values())
        stats["facet_bitset_bytes"] = sum((bits.bit_length() + 7) // 8 for s in sets
                                          for table in s.values.values() for bits in table.values())
        return stats

    def _facet_sets(self, searcher: Any) -> FacetSets:
        reader = searcher.reader()
        key = (str(self._local.folder), reader.generation())
        with self._facets_lock:
            found = self._facets.get(key)
        if found is None:
            found = build_facet_sets(reader, self._postings(searcher))
            with self._facets_lock:
                self._facets = {key: found}  # only the newest version is kept: memory stays bounded
        return found

    def search(self, query: str, *, filters: dict[str, list[str]], sort: str, page: int, page_size: int,
               facets: bool, highlight: bool, facet_limit: int | None = FACET_LIMIT) -> SearchResult:
        """One page of hits for `query` with facet filters, counts, snippets and suggestions.

        Matching runs within the time budget and expansion limit; a query that meets either
        is searched as its plain words (given half the budget again), else answered with no
        hits, each with a notice saying why. Highlighting gets a quarter of the budget."""
        text = clean(query)
        page, page_size = max(1, int(page)), min(max(1, int(page_size)), 1000)
        sort = sort if sort in SORTS else "relevance"
        filters = clean_filters(filters)
        result = SearchResult(query=query, total=0, page=page, page_size=page_size, sort=sort, filters=filters)
        q, result.notice, plain = self._parse(text, unreadable_characters(query))
        searcher = self._searcher()
        sets = self._facet_sets(searcher)
        allowed = filter_bits(sets, filters)
        budget = self._budget()
        try:
            with bounds.active(budget):
                q, matched, scores = self._matches(searcher, sets, q, allowed, retry=bool(text) and not plain)
        except bounds.TooExpensive as why:
            budget = self._budget(self.limits.time_budget_ms / 2)
            q = plain_query(self._parser, text, self.limits)
            try:
                with bounds.active(budget):
                    q, matched, scores = self._matches(searcher, sets, q, allowed, retry=False)
                result.notice = EXPENSIVE_NOTICE.format(why)
            except bounds.TooExpensive as again:
                q, matched, scores = wq.NullQuery, 0, None
                result.notice = REFUSED_NOTICE.format(again)
        result.total = matched.bit_count()
        if result.total < FEW_HITS and text:
            result.suggestion = suggest(searcher.reader(), text, self.limits)
        if facets:
            result.facets = facet_counts(sets, matched, filters, facet_limit)
        if result.total > (page - 1) * page_size:
            # the page re-uses matching's expansions; highlighting a huge one is given up in time
            with bounds.active(budget.renewed(self.limits.time_budget_ms / 4)):
                try:
                    result.hits = page_of_hits(searcher, sets, q, matched, scores, sort, page, page_size, highlight)
                except bounds.TooExpensive:
                    result.hits = page_of_hits(searcher, sets, q, matched, scores, sort, page, page_size, False)
        return result

    def _budget(self, ms: float | None = None) -> bounds.Budget:
        return bounds.Budget(self.limits, ms=ms, lexicons=self._lexicons)

    def _matches(self, searcher: Any, sets: FacetSets, q: wq.Query, allowed: int,
                 retry: bool) -> tuple[wq.Query, int, Any]:
        """The query answered, its allowed matches and scores; with no match, `retry` asks
        again with typo tolerance (skipped when that would be too expensive)."""
        matched, scores = self._match(searcher, q, sets)
        matched &= allowed
        if not matched and retry:
            fuzzy_q = fuzzy(q, self.limits)
            if fuzzy_q != q:
                try:
                    tolerant, tolerant_scores = self._match(searcher, fuzzy_q, sets)
                except bounds.TooExpensive:
                    return q, matched, scores
                q, matched, scores = fuzzy_q, tolerant & allowed, tolerant_scores
        return q, matched, scores

    def _parse(self, text: str, reason: str | None = None) -> tuple[wq.Query, str | None, bool]:
        """The bounded query of cleaned `text` (see `catalogue.search.query.parse`)."""
        return parse(self._parser, text, self.limits, reason)

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
        """Release this thread's searcher and file handles."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
            self._local.folder = None
