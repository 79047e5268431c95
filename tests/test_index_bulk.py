"""The fast writer (`catalogue.search.segments`) writes exactly the segment Whoosh's own writer writes.

The same documents go once through Whoosh's `add_document` (its analysers, pool and posting
writer, its own pickled blocks) and once through ours (packed blocks, `codec.CompactCodec`),
and every term, posting (document, weight, positions) as Whoosh's matcher reads it, term
statistic, field length, stored field and column must be equal. The records mix synthetic
ones (terms long enough for several posting blocks), the Khojaly demo records and awkward
text: words that fold to nothing, apostrophes, Cyrillic, repeated words, empty fields.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_index_fast import UNHURRIED, Store  # the in-memory store and limits of the fast-path tests
from test_index_fieldblocks import terms_writer

from catalogue.cli.records import demo_path
from catalogue.search import SearchIndex, fieldblocks, writing
from catalogue.search._whoosh import whoosh_index
from catalogue.search.analysis import FIELD_KINDS, field_tokens
from catalogue.search.codec import CompactCodec
from catalogue.search.documents import common_words, document, index_schema
from catalogue.search.packing import BLOCK_LIMIT
from catalogue.search.pairs import with_pairs
from harvest.jsonlfile import read_jsonl

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from synthetic import generate

AWKWARD = [
    {"id": "awk-1", "type": "tomb", "title": "’’ ' ` ʻʼ", "description": "— – ‘’ «»"},
    {"id": "awk-2", "type": "tomb", "title": "O’Brien’s tomb tomb TOMB", "description": "the the the village"},
    {"id": "awk-3", "type": "mosque", "title": "Ходжалы Xocalı Хоҷалы", "names": [{"value": "Şuşa"}],
     "place": {"name": "Ağdam", "names": [{"value": "Агдам"}]}, "description": "ﬁve ½ ², ① Ⅻ"},
    {"id": "awk-4", "type": "other", "title": "", "description": ""},
    {"id": "awk-5", "type": "school", "title": "x", "subjects": ["a\x1fb", "c"], "description": "Ǆ ǅ ǆ İstanbul"},
    # CJK runs (bigrams and readings), a lone character, mixed scripts in one word, combining marks,
    # countries by long and local names
    {"id": "awk-6", "type": "mosque", "title": "西安桂花巷清真寺 Xi'an西安", "notes": "萩 圖書館 东城区图书馆旧馆",
     "place": {"name": "西安", "country": "People's Republic of China"}},
    {"id": "awk-7", "type": "other", "title": "京都西陣旧織物組合事務所", "description": "ひらがな カタカナ ー",
     "names": [{"value": "奈良旧墨工房", "lang": "ja"}], "place": {"name": "京都", "country": "日本国"}},
    {"id": "awk-8", "type": "library", "title": "हिन्दी पुस्तकालय بَرُونَاي", "description": "Tea-growers' club",
     "place": {"name": "Şuşa", "names": [{"value": "Shusha", "lang": "en"}], "country": "Islamic Republic of Iran"}},
]


def _records() -> list[dict[str, Any]]:
    return [*generate(700, seed=3), *(r for _, r in read_jsonl(demo_path())), *AWKWARD]


def _build(folder: Path, records: list[dict[str, Any]], fast: bool) -> Any:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), index_schema())
    common = common_words(records[:600])
    writer = ix.writer(codec=CompactCodec()) if fast else ix.writer()
    if fast:
        put = writing._Writer(writer, common)
        for n, record in enumerate(records):
            put.add(record, n + 1)
    else:
        for n, record in enumerate(records):
            writer.add_document(**with_pairs(document(record, n + 1), common))
    writer.commit()
    return ix


def _dump(ix: Any) -> dict[str, Any]:
    """Everything a search can read from an index, in comparable form."""
    out: dict[str, Any] = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        out["count"] = reader.doc_count_all()
        out["stored"] = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        for fieldname in ix.schema.names():
            field = ix.schema[fieldname]
            if field.scorable and reader.field_length(fieldname):
                out[f"len:{fieldname}"] = ([reader.doc_field_length(n, fieldname) for n in range(out["count"])],
                                           reader.field_length(fieldname), reader.max_field_length(fieldname))
            if field.column_type:
                column = reader.column_reader(fieldname)
                out[f"col:{fieldname}"] = [column[n] for n in range(out["count"])]
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            matcher = reader.postings(fieldname, btext)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            out[(fieldname, btext)] = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                       info.max_weight(), info.min_id(), info.max_id(), postings)
    return out


@pytest.mark.slow
def test_the_fast_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    records = _records()
    whoosh_made = _dump(_build(tmp_path / "whoosh", records, fast=False))
    ours = _dump(_build(tmp_path / "ours", records, fast=True))
    assert ours.keys() == whoosh_made.keys()
    assert any(len(v[-1]) > 128 for k, v in ours.items() if isinstance(k, tuple)), "no term spans two blocks"
    for key, value in whoosh_made.items():
        assert ours[key] == value, key


def test_indexing_records_leaves_no_garbage_for_the_collector(tmp_path: Path) -> None:
    """A full build indexes a million records: what a record's indexing allocates is freed as
    soon as it is done with (reference counting), none of it left in reference cycles for the
    garbage collector (a self-calling nested function in the geometry's walk left one a record)."""
    shape = {"type": "Polygon", "coordinates": [[[46.7, 39.9], [46.8, 39.9], [46.8, 40.0], [46.7, 39.9]]]}
    records = [*_records(), {"id": "shape-1", "type": "cemetery", "title": "Walled cemetery",
                             "place": {"name": "Xocalı", "geometry": shape}}]
    (tmp_path / "ix").mkdir()
    writer = whoosh_index.create_in(str(tmp_path / "ix"), index_schema()).writer(codec=CompactCodec())
    put = writing._Writer(writer, common_words(records[:600]))
    put.add(records[0], 1)
    gc.collect()
    gc.disable()
    try:
        for n, record in enumerate(records):
            put.add(record, n + 1)
        left = gc.collect()
    finally:
        gc.enable()
        writer.cancel()
    assert any(r.get("place", {}).get("geometry") for r in records)
    assert left == 0


@pytest.mark.parametrize("fieldname", sorted(FIELD_KINDS))
def test_the_fast_tokens_are_the_query_analysers_tokens(fieldname: str) -> None:
    """Queries are analysed by the Whoosh analysers, documents by ours: they must agree."""
    analyzer = index_schema()[fieldname].analyzer
    for record in _records():
        text = document(record, 1).get(fieldname, "")
        expected = [(t.pos, t.text) for t in analyzer(text, positions=True, mode="index")]
        assert field_tokens({fieldname: text}, fieldname) == expected


@pytest.mark.slow
def test_an_index_built_fast_answers_like_one_built_by_whoosh(tmp_path: Path) -> None:
    """Updates and deletions through the fast writer land as Whoosh's do, across segments."""
    records = _records()[:300]
    store = Store()
    indexes = [SearchIndex(tmp_path / name, UNHURRIED, records=store.public) for name in ("a", "b")]
    for record in records:
        store.put(record)
    indexes[0].sync(store)
    store.put(dict(records[5], title="Changed title village"))
    store.put(records[7], deleted=True)
    indexes[0].sync(store)
    indexes[1].reindex(store)
    for query in ("village", "title:changed", "stone tomb", '"the village"', "", "vil*"):
        a, b = (i.search(query, filters={}, sort="relevance", page=1, page_size=400, facets=True, highlight=False)
                for i in indexes)
        assert a.total == b.total and a.facets == b.facets, query
        assert sorted(h.id for h in a.hits) == sorted(h.id for h in b.hits), query
    assert indexes[0].search("title:changed", filters={}, sort="relevance", page=1, page_size=5, facets=False,
                             highlight=False).total == 1


@pytest.mark.slow
def test_a_large_sync_and_a_reindex_written_by_two_processes_answer_as_one(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes each write a segment; the scores, totals and facets equal one writer's."""
    monkeypatch.setattr(writing, "PARALLEL_MIN", 100)
    monkeypatch.setattr(writing, "BATCH", 50)
    # Earlier tests of the suite may leave daemon threads (loopback servers) behind, which
    # would make the index fall back to one writer; this test is about the two-process path.
    monkeypatch.setattr(writing, "_single_threaded", lambda: True)
    store = Store()
    for record in _records()[:400]:
        store.put(record)
    single, parallel, rebuilt = (SearchIndex(tmp_path / name, UNHURRIED, records=store.public)
                                 for name in ("single", "parallel", "rebuilt"))
    single.procs, parallel.procs, rebuilt.procs = 1, 2, 2
    for index in (single, parallel):
        index.sync(store)
    rebuilt.reindex(store)
    for index in (parallel, rebuilt):
        assert len(index._searcher().reader().leaf_readers()) == 2, "not written by two processes"
    store.put(dict(_records()[3], title="Edited village title"))
    for index in (single, parallel, rebuilt):
        index.sync(store)
    for record in _records()[400:600]:  # enough changes for the writer processes of a sync too
        store.put(record)
    for index in (single, parallel, rebuilt):
        index.sync(store)
        assert index.search("", filters={}, sort="relevance", page=1, page_size=1, facets=False,
                            highlight=False).total == 600
    for query in ("village", "title:edited", "stone tomb", '"the village"', "", "vil*", "tomb~"):
        results = [index.search(query, filters={}, sort="relevance", page=1, page_size=700, facets=True,
                                highlight=False) for index in (single, parallel, rebuilt)]
        expected = results[0]
        for result in results[1:]:
            assert result.total == expected.total and result.facets == expected.facets, query
            assert {h.id for h in result.hits} == {h.id for h in expected.hits}, query
            if not query.endswith(("*", "~")):  # Whoosh expands (and scores) those per segment
                assert ({h.id: round(h.score, 9) for h in result.hits}
                        == {h.id: round(h.score, 9) for h in expected.hits}), query


def _index_of_20_then_400_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, SearchIndex]:
    """An index of 20 records (written by one process) written by two processes from now on,
    with 400 more records in the store for its next sync (a large catch-up, in batches of 50)."""
    monkeypatch.setattr(writing, "PARALLEL_MIN", 100)
    monkeypatch.setattr(writing, "BATCH", 50)
    monkeypatch.setattr(writing, "_single_threaded", lambda: True)  # (see the test above)
    store = Store()
    for record in _records()[:20]:
        store.put(record)
    index = SearchIndex(tmp_path / "index", UNHURRIED, records=store.public)
    index.procs = 2
    index.sync(store)
    for record in _records()[20:420]:
        store.put(record)
    return store, index


@pytest.mark.slow
def test_a_large_catch_up_gives_each_writer_process_its_share_in_one_commit(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A catch-up of many changes into an index that exists (an import into a catalogue that
    has records) commits once per `PARALLEL_COMMIT_EVERY` changes, each writer process writing
    half of them: commits of `COMMIT_EVERY` changes handed their one batch to one process, and
    left a small segment each."""
    monkeypatch.setattr(writing, "COMMIT_EVERY", 50)
    store, index = _index_of_20_then_400_more(tmp_path, monkeypatch)
    assert index.sync(store) == 400
    leaves = [leaf for leaf, _ in index._searcher().reader().leaf_readers()]
    assert sorted(leaf.doc_count_all() for leaf in leaves) == [20, 200, 200]
    assert index.search("", filters={}, sort="relevance", page=1, page_size=1, facets=False,
                        highlight=False).total == 420


@pytest.mark.slow
def test_a_record_changed_again_during_a_large_catch_up_is_indexed_once(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A record the writer processes were sent, changed again while the catch-up reads on, ends
    the commit before its new change (a deletion cannot reach a segment still being written),
    and the next commit replaces it: one document, the new one."""
    store, index = _index_of_20_then_400_more(tmp_path, monkeypatch)
    reads = []
    changed_since = store.changed_since

    def read(seq: int, limit: int = 1000) -> Any:
        reads.append(seq)
        if len(reads) == 3:  # another process edits a record the catch-up has sent
            store.put(dict(_records()[25], title="Changed zqrace title"))
        return changed_since(seq, limit)

    monkeypatch.setattr(store, "changed_since", read)
    assert index.sync(store) >= 400
    search = {"filters": {}, "sort": "relevance", "page": 1, "page_size": 1, "facets": False, "highlight": False}
    assert index.search("", **search).total == 420
    assert [h.id for h in index.search("zqrace", **search).hits] == [_records()[25]["id"]]


def test_a_commit_reuses_the_open_readers_of_unchanged_segments(tmp_path: Path) -> None:
    """After an edit the big segment's files stay open, and its reader sees the new deletion."""
    store = Store()
    for record in _records()[:200]:
        store.put(record)
    index = SearchIndex(tmp_path / "index", UNHURRIED, records=store.public)
    index.sync(store)
    first = index._searcher().reader()
    store.put(dict(_records()[4], title="Renamed zqmarker"))
    index.sync(store)
    reader = index._searcher().reader()
    leaves = [leaf for leaf, _ in reader.leaf_readers()]
    assert len(leaves) == 2 and leaves[0]._terms is first._terms
    assert leaves[0].has_deletions() and not first.has_deletions()
    search = {"filters": {}, "sort": "relevance", "page": 1, "page_size": 300, "facets": True, "highlight": False}
    assert [h.id for h in index.search("zqmarker", **search).hits] == [_records()[4]["id"]]
    assert index.search("", **search).total == 200


def test_a_threaded_process_writes_alone(tmp_path: Path) -> None:
    """Forking a process that runs other threads (a web server) could copy a held lock: no workers then."""
    import threading

    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        assert not writing._Workers(tmp_path, None, 2)
    finally:
        release.set()
        thread.join()


def test_a_record_is_indexed_as_the_same_text_in_every_process() -> None:
    """The text (and so the positions a phrase is matched at) does not depend on the hash seed
    of the process that indexes it: a reindex's writer processes, a web worker's edit and a
    command-line import all index a record alike. Conditions of several statuses were once
    gathered in a set, whose order changed from process to process."""
    record = {"id": "seeded", "type": "school", "title": "School", "condition": {"status": "damaged"},
              "conditions": [{"status": status, "event": "event"} for status in ("intact", "destroyed", "at_risk",
                                                                                  "unknown")]}
    script = ("import json, sys; from catalogue.search.documents import document; "
              "print(json.dumps(document(json.loads(sys.argv[1]), 1)['text']))")
    texts = {subprocess.run([sys.executable, "-c", script, json.dumps(record)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout for seed in "01234"}
    assert len(texts) == 1
    assert "Damaged" in json.loads(texts.pop())


@pytest.mark.parametrize("blocklimit", [BLOCK_LIMIT, 37])
def test_the_field_at_once_writer_writes_the_files_of_the_term_by_term_writer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocklimit: int) -> None:
    """`fieldblocks` (every block of a field packed at once, in chunks of postings) writes the
    postings and terms files byte for byte as the term-by-term writer does, for terms of one
    posting, of a few, of one block, of two and of many, and every format of the schema,
    whatever the size of its chunks and blocks."""
    records = [*generate(1100, seed=5), *(r for _, r in read_jsonl(demo_path())), *AWKWARD]
    def files(name: str, fast: bool, chunk: int = fieldblocks.CHUNK) -> dict[str, bytes]:
        written: list[int] = []
        monkeypatch.setattr(fieldblocks, "write_terms", terms_writer(fast, written))
        monkeypatch.setattr(fieldblocks, "CHUNK", chunk)
        folder = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), index_schema())
        writer = ix.writer(codec=CompactCodec(blocklimit=blocklimit), compound=False)
        put = writing._Writer(writer, common_words(records[:600]))
        for n, record in enumerate(records):
            put.add(record, n + 1)
        writer.commit()
        assert sum(written) > 20_000
        return {path.suffix: path.read_bytes() for path in folder.iterdir() if path.suffix in (".pst", ".trm")}

    slow = files("slow", False)
    assert set(slow) == {".pst", ".trm"}
    assert files("fast", True) == slow
    assert files("chunked", True, chunk=3000) == slow
    with whoosh_index.open_dir(str(tmp_path / "fast")).reader() as reader:
        frequencies = [reader.doc_frequency(fieldname, btext) for fieldname, btext in reader.all_terms()]
    assert min(frequencies) == 1 and max(frequencies) > BLOCK_LIMIT
    assert sum(blocklimit < f <= 2 * blocklimit for f in frequencies) > 5
    assert blocklimit == BLOCK_LIMIT or sum(f > 5 * blocklimit for f in frequencies) > 5


def test_the_pool_gives_a_term_one_number_however_its_postings_come() -> None:
    """Postings added in one call or several, a term repeated within a call (as a merge or a
    field Whoosh analyses may give them), come back grouped under each term, in key order."""
    from catalogue.search.segments import FieldPostings

    pool = FieldPostings()
    pool.add_items(0, [b"b", b"a"], [1.0, 2.0], [])
    pool.add_items(1, [b"c", b"c", b"a"], [1.0, 1.0, 3.0], [])
    pool.add_items(2, [b"b"], [4.0], [])
    keys, ids, weights, starts, values = pool.by_term()
    assert keys == [b"a", b"b", b"c"] and values is None
    grouped = {key: (ids[starts[i]:starts[i + 1]].tolist(), weights[starts[i]:starts[i + 1]].tolist())
               for i, key in enumerate(keys)}
    assert grouped == {b"a": ([0, 1], [2.0, 3.0]), b"b": ([0, 2], [1.0, 4.0]), b"c": ([1, 1], [1.0, 1.0])}


@pytest.mark.parametrize("first_str", [True, False])
def test_the_pool_keys_str_and_bytes_terms_as_the_same_utf8_bytes_in_byte_order(first_str: bool) -> None:
    """Our analysers give str terms, Whoosh's own analysis and merges give bytes (a numeric
    term need not be UTF-8): either way round, a term's postings meet under its UTF-8 bytes,
    and the keys come back in byte order (astral after the last BMP letters, as in UTF-8)."""
    from catalogue.search.segments import FieldPostings

    text = [["z", "é", "\uff21"], ["😀", "a"]]
    raw = [[b"\xff\x00", "é".encode()], [b"a", "\uff21".encode()]]
    pool = FieldPostings()
    batches = [*text, *raw] if first_str else [*raw, *text]
    for docnum, terms in enumerate(batches):
        pool.add_items(docnum, terms, [1.0] * len(terms), [])
    keys, ids, _, starts, _ = pool.by_term()
    assert keys == sorted({t if isinstance(t, bytes) else t.encode() for batch in batches for t in batch})
    assert keys[-1] == b"\xff\x00" and keys[-2] == "😀".encode()
    grouped = {key: ids[starts[i]:starts[i + 1]].tolist() for i, key in enumerate(keys)}
    docs = {key: [n for n, batch in enumerate(batches) for t in batch
                  if (t if isinstance(t, bytes) else t.encode()) == key] for key in keys}
    assert grouped == docs


@pytest.mark.slow
def test_a_merge_reads_the_segments_postings_block_wise_as_whoosh_reads_them_one_by_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments merged by a writer with the fast pool (`segments.add_segment_postings`, each
    term's blocks at once) give the segment Whoosh's posting-by-posting merge gives: the same
    terms, postings, positions and statistics, deleted documents dropped and the rest
    renumbered, terms left only in deleted documents gone."""
    import shutil

    from whoosh.writing import SegmentWriter

    from catalogue.search import segments

    records = _records()
    ix = _build(tmp_path / "parts", records[:300], fast=True)
    common = common_words(records[:600])
    for start in range(300, len(records), 250):  # (more segments, unmerged)
        writer = ix.writer(codec=CompactCodec())
        put = writing._Writer(writer, common)
        for n, record in enumerate(records[start:start + 250], start):
            put.add(record, n + 1)
        writer.commit(merge=False)
    writer = ix.writer(codec=CompactCodec())
    for docnum in (*range(0, 300, 7), 300, 301, 600, ix.doc_count_all() - 1):  # (the awkward ones too)
        writer.delete_document(docnum)
    writer.commit(merge=False)
    assert len(ix._segments()) >= 3 and ix.doc_count() < ix.doc_count_all()
    shutil.copytree(tmp_path / "parts", tmp_path / "whoosh")
    read: list[bool] = []
    bulk = segments.add_segment_postings

    def counted(*args: Any) -> bool:
        read.append(bulk(*args))
        return read[-1]

    monkeypatch.setattr(segments, "add_segment_postings", counted)

    def merged(folder: Path, fast: bool) -> Any:
        merged_ix = whoosh_index.open_dir(str(folder))
        writer = merged_ix.writer(codec=CompactCodec())
        segments.install(writer)
        if not fast:  # Whoosh's own posting-by-posting reading, into the same pool
            writer.add_postings_to_pool = SegmentWriter.add_postings_to_pool.__get__(writer)
        writer.commit(optimize=True)
        return merged_ix

    ours = _dump(merged(tmp_path / "parts", fast=True))
    assert read and all(read), "the block-wise reading was not used"
    whoosh_made = _dump(merged(tmp_path / "whoosh", fast=False))
    assert ours["count"] == ix.doc_count()
    assert ours.keys() == whoosh_made.keys()
    for key, value in whoosh_made.items():
        assert ours[key] == value, key
