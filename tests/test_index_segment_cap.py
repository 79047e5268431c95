"""A full build caps its segments (`writing.SEGMENT_DOCS`, `writing.SEGMENT_MB`) so a writer's
memory stays bounded, and an index built in many small segments answers as one built whole:
the same hits, scores, totals, facets and snippets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from test_index_bulk import _records
from test_index_fast import UNHURRIED, Store

from catalogue.search import SearchIndex, segments, writing
from catalogue.search._whoosh import whoosh_index
from catalogue.search.documents import common_words, index_schema

QUERIES = ("village", "stone tomb", '"the village"', "", "title:tomb", "mosque OR school", "vil*", "tomb~")


def _store(count: int) -> Store:
    store = Store()
    for record in _records()[:count]:
        store.put(record)
    return store


def _segments(index: SearchIndex) -> int:
    return len(index._searcher().reader().leaf_readers())


def _answers(index: SearchIndex, query: str) -> tuple[Any, ...]:
    result = index.search(query, filters={}, sort="relevance", page=1, page_size=500, facets=True, highlight=True)
    scores = {h.id: round(h.score, 9) for h in result.hits}
    snippets = {h.id: str(h.snippet) for h in result.hits}
    return result.total, result.facets, scores, snippets


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writer processes for a small store (whatever threads earlier tests left behind)."""
    monkeypatch.setattr(writing, "PARALLEL_MIN", 100)
    monkeypatch.setattr(writing, "BATCH", 50)
    monkeypatch.setattr(writing, "_single_threaded", lambda: True)


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2])
def test_a_build_in_small_segments_answers_as_one_built_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             forking: None, procs: int) -> None:
    store = _store(400)
    whole = SearchIndex(tmp_path / "whole", UNHURRIED, records=store.public)
    whole.procs = 1
    assert whole.reindex(store) == 400
    monkeypatch.setattr(writing, "SEGMENT_DOCS", 60)
    capped = SearchIndex(tmp_path / "capped", UNHURRIED, records=store.public)
    capped.procs = procs
    assert capped.reindex(store) == 400
    assert _segments(whole) == 1
    assert _segments(capped) == (7 if procs == 1 else 8)  # 400 by 60; or 200 a process by 60
    for query in QUERIES:
        total, facets, scores, snippets = _answers(capped, query)
        expected = _answers(whole, query)
        assert (total, facets, snippets) == (expected[0], expected[1], expected[3]), query
        assert scores.keys() == expected[2].keys(), query
        if not query.endswith(("*", "~")):  # Whoosh expands (and scores) those per segment
            assert scores == expected[2], query
    # and the capped index takes edits as the whole one does
    store.put(dict(_records()[3], title="Edited zqcapped title"))
    store.put(_records()[8], deleted=True)
    for index in (whole, capped):
        index.sync(store)
    assert _answers(capped, "zqcapped")[2].keys() == {_records()[3]["id"]}
    assert _answers(capped, "")[0] == _answers(whole, "")[0] == 399


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2])
def test_a_writers_postings_never_pass_the_cap_by_more_than_a_document(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       forking: None, procs: int) -> None:
    """The pool's estimate when a segment is written out stays within the cap plus one
    record's postings (the check runs before each record is added), in every writer."""
    cap_mb = 0.25
    monkeypatch.setattr(writing, "SEGMENT_MB", cap_mb)
    monkeypatch.setattr(writing, "SEGMENT_DOCS", 10**9)
    log = tmp_path / "sizes"
    next_segment = writing._Writer.next_segment

    def logged(self: writing._Writer, folder: Path) -> Any:
        with log.open("a") as out:  # (a file: the writer processes are forked)
            out.write(f"{self.pool.estimate()} {self.writer.docnum}\n")
        return next_segment(self, folder)

    monkeypatch.setattr(writing._Writer, "next_segment", logged)
    store = _store(400)
    index = SearchIndex(tmp_path / "index", UNHURRIED, records=store.public)
    index.procs = procs
    assert index.reindex(store) == 400
    sizes = [tuple(map(int, line.split())) for line in log.read_text().splitlines()]
    assert len(sizes) >= 2 and _segments(index) == len(sizes) + procs
    one_record = 64 * 1024  # far more than any one of these records' postings
    for estimate, docs in sizes:
        assert cap_mb * 2**20 <= estimate <= cap_mb * 2**20 + one_record and docs < 400
    assert index.search("", filters={}, sort="relevance", page=1, page_size=1, facets=False,
                        highlight=False).total == 400


def _deep_size(pool: segments.MemoryPool) -> int:
    """The bytes of a pool's arrays (of postings and of occurrences), dictionaries, terms and
    (distinct) values."""
    seen: set[int] = set()
    total = 0
    for postings in pool.fields.values():
        total += sys.getsizeof(postings.terms) + sum(sys.getsizeof(term) for term in postings.terms)
        total += sum(sys.getsizeof(a) for a in (postings.term_nos, postings.ids, postings.weights, postings.values))
        if (found := postings.occurrences) is not None:
            total += sum(sys.getsizeof(a) for a in (found.term_nos, found.docs, found.counts, found.positions))
        for value in postings.values:
            if id(value) not in seen:
                seen.add(id(value))
                total += sys.getsizeof(value)
    return total


def test_the_pools_estimate_is_near_what_it_holds(tmp_path: Path) -> None:
    """The cap is only as good as the estimate: within a fifth of the pool's real size."""
    records = _records()[:500]
    ix = whoosh_index.create_in(str(tmp_path), index_schema())
    writer = ix.writer()
    put = writing._Writer(writer, common_words(records))
    for n, record in enumerate(records):
        put.add(record, n + 1)
    real = _deep_size(put.pool)
    assert abs(put.pool.estimate() - real) < real / 5, (put.pool.estimate(), real)
    writer.cancel()


@pytest.mark.slow
def test_edits_after_a_capped_build_add_their_segments_without_merging(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A capped build's segments do not count towards `MAX_SEGMENTS`: an edit's commit does not
    merge (so it is searchable sooner), though there are more of them than that."""
    monkeypatch.setattr(writing, "SEGMENT_DOCS", 15)
    store = _store(200)
    index = SearchIndex(tmp_path / "index", UNHURRIED, records=store.public)
    index.procs = 1
    index.reindex(store)
    built = _segments(index)
    assert built == 14 > writing.MAX_SEGMENTS
    for n in range(3):
        store.put(dict(_records()[n], title=f"Edited zqedit{n}"))
        index.sync(store)
        assert _segments(index) == built + n + 1
        assert _answers(index, f"zqedit{n}")[2].keys() == {_records()[n]["id"]}
    assert _answers(index, "")[0] == 200
