"""The fast search path (numpy over the packed postings) answers exactly as Whoosh alone does.

Each query is run twice on the same index, once with `SearchIndex.fast` on and once with
Whoosh's own matching and unoptimised scoring, and the totals, facet counts, hits, their
order (score, then the lower document number on ties) and scores must be equal. The data
set has many ties, several segments and deleted documents; a second one is large enough
(> 5,000 documents) for Whoosh to switch its union strategy.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from catalogue.search import SearchIndex
from catalogue.search.bitsets import members
from catalogue.search.blocks import compact
from catalogue.search.pages import sorted_page, whoosh_page

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from synthetic import generate

from tests.conftest import UNHURRIED  # both paths always answer the query as written

QUERIES = [
    "", "the", "stone", "village stone", "stone OR brick", "(tomb OR mosque) AND NOT village",
    '"the village"', '"carved inscription"', '"of the old"', '"stone"', "vil*", "b*", "to*", "tomb~", "vilage~",
    "type:school", "type:school village", "status:destroyed", "century:XIV", "year:[1300 TO 1500]",
    "place:xocali", "names:shusha", "title:library", "source:synthetic", "NOT stone", "stone ANDMAYBE tower",
    "title:(library OR school)", 'place:"ağdam"', "id:syn-0000003", "the the", "zzzz", "zzzz~", "tower*",
    # relaxed readings: other spellings, typos, some of the words; CJK, hyphens, countries
    "Xocali stone", "vilage stoen", "stone village zzzz", "the stone of the qqqq village", "Tea-growers club",
    "西安 清真寺", "Azerbaijan stone", "Republic of Azerbaijan", "scho?l",
]



class Row:
    """A stored record as the index reads it."""

    def __init__(self, record: dict[str, Any], seq: int, deleted: bool = False):
        self.id, self.data, self.revision, self.seq, self.deleted = record["id"], record, seq, seq, deleted
        self.hidden = deleted  # deleted or withheld: not searchable


class Store:
    """The part of the store the index reads, in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.seq = 0

    def put(self, record: dict[str, Any], deleted: bool = False) -> None:
        self.seq += 1
        self.rows[record["id"]] = Row(record, self.seq, deleted)

    def public(self, ids: Any) -> dict[str, dict[str, Any]]:
        """The records a page of hits shows (as `Catalogue.public_records`)."""
        return {i: self.rows[i].data for i in ids if i in self.rows and not self.rows[i].hidden}

    def last_seq(self) -> int:
        return self.seq

    def get(self, record_id: str) -> Row | None:
        return self.rows.get(record_id)

    def changed_since(self, seq: int, limit: int = 1000) -> list[Row]:
        return sorted((r for r in self.rows.values() if r.seq > seq), key=lambda r: r.seq)[:limit]

    def iter_records(self, include_deleted: bool = False) -> Any:
        return (r for _, r in sorted(self.rows.items()) if include_deleted or not r.deleted)

    def iter_texts(self) -> Any:
        """Like `Store.iter_texts`: (record JSON text, revision) of the live records."""
        return ((json.dumps(r.data), r.revision) for r in self.iter_records())


def _tiny(i: int, rng: random.Random) -> dict[str, Any]:
    words = ["stone", "tomb", "village", "brick", "tower", "mosque", "the", "old"]
    return {"id": f"tiny-{i:05d}", "type": rng.choice(["tomb", "school", "mosque"]),
            "title": " ".join(rng.choices(words, k=rng.randint(1, 3))),
            "description": " ".join(rng.choices(words, k=rng.randint(0, 4)))}


def _tiny_index(tmp_path: Path, count: int, seed: int) -> tuple[Store, SearchIndex, random.Random]:
    """An index built in one go from `count` tiny records (few words, each in many of them)."""
    store = Store()
    index = SearchIndex(tmp_path / "index", UNHURRIED, records=store.public)
    rng = random.Random(seed)
    for i in range(count):
        store.put(_tiny(i, rng))
    index.reindex(store)
    return store, index, rng


def _compare(index: SearchIndex, query: str, **options: Any) -> None:
    results = []
    for fast in (True, False):
        index.fast = fast
        results.append(index.search(query, filters=options.get("filters", {}), sort="relevance", page=1,
                                    page_size=options.get("page_size", 60), facets=True, highlight=True))
    fast, plain = results
    assert fast.total == plain.total, query
    assert fast.facets == plain.facets, query
    assert [h.id for h in fast.hits] == [h.id for h in plain.hits], query
    assert [h.score for h in fast.hits] == pytest.approx([h.score for h in plain.hits], rel=1e-9), query
    assert [h.snippet for h in fast.hits] == [h.snippet for h in plain.hits], query


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """Synthetic records in several segments, with edits and deletions."""
    # no time budget: on a loaded machine Whoosh's slower path could run out of it and be simplified
    store = Store()
    index = SearchIndex(tmp_path_factory.mktemp("fast") / "index", UNHURRIED, records=store.public)
    records = list(generate(800, seed=3))
    for record in records[:600]:  # enough for the generation to choose common words (phrase pairs)
        store.put(record)
    index.sync(store)
    assert (index.path / (index.path / "CURRENT").read_text() / "common.json").exists()
    for record in records[600:]:
        store.put(record)
    index.sync(store)
    for record in records[::17]:
        store.put(record, deleted=True)
    for record in records[5:40:7]:
        store.put({**record, "title": record["title"] + " stone tower"})
    index.sync(store)
    yield index
    index.close()


@pytest.mark.parametrize("query", QUERIES)
def test_fast_path_equals_whoosh(varied: SearchIndex, query: str) -> None:
    _compare(varied, query)


@pytest.mark.parametrize("filters", [{"type": ["tomb"]}, {"status": ["destroyed", "damaged"], "century": ["XIV"]}])
def test_fast_path_equals_whoosh_with_filters(varied: SearchIndex, filters: dict[str, list[str]]) -> None:
    for query in ("stone", "vil*", '"the village"', ""):
        _compare(varied, query, filters=filters)


def test_fast_path_equals_whoosh_on_benchmark_queries(varied: SearchIndex) -> None:
    from bench_search import make_queries

    for query in make_queries(60, seed=5):
        _compare(varied, query["ours"], page_size=20)


@pytest.mark.slow
def test_fast_path_equals_whoosh_on_a_large_segment(tmp_path: Path) -> None:
    """Above 5,000 documents Whoosh scores expansions by BM25 instead of a constant; ties abound."""
    store, index, rng = _tiny_index(tmp_path, 5200, seed=7)
    for i in range(0, 40, 3):
        store.put(_tiny(i, rng))
    index.sync(store)
    for query in ("stone", "to*", "t*", "stone tomb", '"old stone"', "tomb~", "stone OR tower OR brick",
                  "type:tomb", "NOT the", ""):
        _compare(index, query)
    index.close()


def test_and_not_excludes_every_match_of_its_right_side(varied: SearchIndex) -> None:
    """Whoosh 2.7.4 alone keeps the first document of a small segment's array union in `a -b`
    (document 2 here matches both words); the fast path excludes it, as the query means."""
    def found(query: str) -> set[str]:
        result = varied.search(query, filters={}, sort="relevance", page=1, page_size=1000, facets=False,
                               highlight=False)
        return {hit.id for hit in result.hits}

    varied.fast = True
    expected = found("tomb") - found("stone")
    assert found("tomb -stone") == found("tomb ANDNOT stone") == expected
    assert expected and len(found("tomb")) > len(expected)


def test_cache_is_bounded_and_reported(varied: SearchIndex) -> None:
    varied.fast = True
    varied.search("stone", filters={}, sort="relevance", page=1, page_size=5, facets=True, highlight=False)
    stats = varied.cache_stats()
    assert 0 < stats["postings_bytes"] <= stats["postings_capacity"]
    assert stats["postings_entries"] > 0 and stats["facet_bitset_bytes"] > 0


def test_cache_keeps_postings_compact(varied: SearchIndex) -> None:
    """The posting cache holds a term's document numbers as int32 and its weights as float32,
    8 bytes a posting (a search widens them back: the equality tests above)."""
    varied.fast = True
    varied.search("stone village", filters={}, sort="relevance", page=1, page_size=5, facets=False,
                  highlight=False)
    held = [(value, nbytes) for key, (value, nbytes) in varied._postings_cache._items.items()
            if key[0] == "t" and len(value[0])]
    assert held
    for (ids, weights), nbytes in held:
        assert (ids.dtype, weights.dtype) == (np.int32, np.float32)
        assert nbytes <= 8 * len(ids) + 200


@pytest.mark.parametrize(("ids", "weights", "kept"), [
    ([0, 5, 2**31 - 1], [1.0, 0.5, 70_000.0], (np.int32, np.float32)),
    ([0, 2**31], [1.0, 2.0], (np.int64, np.float32)),  # a document number past int32
    ([1, 2], [1.0, 0.1], (np.int32, np.float64)),  # a weight float32 cannot hold
    ([1, 2], [1.0, 2.0**24 + 1], (np.int32, np.float64)),  # a whole count past float32's
])
def test_compact_postings_keep_every_value(ids: list[int], weights: list[float], kept: tuple[Any, Any]) -> None:
    """`blocks.compact` narrows only what it can give back exactly."""
    narrow = compact(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64))
    assert (narrow[0].dtype, narrow[1].dtype) == kept
    assert narrow[0].tolist() == ids and narrow[1].tolist() == weights


@pytest.mark.parametrize("sort", ["title", "modified", "-modified"])
def test_sorted_pages_equal_whoosh_sorting(varied: SearchIndex, sort: str) -> None:
    """Pages sorted by title or date come from per-version sort keys; Whoosh's own sort agrees."""
    searcher = varied._searcher()
    sets = varied._facet_sets(searcher)
    for query in ("", "stone", "vil*", "type:tomb"):
        q, _, _ = varied._parse(query)
        matched, _ = varied._match(searcher, q, sets)
        allow = None if matched == sets.live else set(members(matched))
        for page in (1, 2, 7):
            ours = sorted_page(searcher, sets, matched, sort, page, 25)
            theirs = whoosh_page(searcher, q, allow, sort, page, 25)
            assert [n for n, _ in ours] == [n for n, _ in theirs], (query, page)


def _matcher_postings(leaf: Any, fieldname: str, btext: bytes) -> list[tuple[int, float, Any]]:
    """(document, weight, positions or None) of every posting of a term, from Whoosh's matcher."""
    fmt = leaf.schema[fieldname].format
    matcher = leaf._terms.matcher(fieldname, btext, fmt)  # deleted documents too
    out = []
    while matcher.is_active():
        out.append((matcher.id(), matcher.weight(),
                    matcher.value_as("positions") if fmt.supports("positions") else None))
        matcher.next()
    return out


def _check_postings(index: SearchIndex, fields: tuple[str, ...]) -> tuple[int, int]:
    """Every term's postings (and positions) read by the fast path equal Whoosh's matcher's, in
    every segment; how many terms were checked, and how many spanned several blocks."""
    from catalogue.search.blocks import read_postings
    from catalogue.search.packing import BLOCK_LIMIT
    from catalogue.search.positions import read_positions

    reader = index._searcher().reader()
    checked = several = 0
    for leaf, _ in reader.leaf_readers():
        for fieldname in fields:
            for btext in leaf.lexicon(fieldname):
                expected = _matcher_postings(leaf, fieldname, btext)
                ids, weights = read_postings(leaf, fieldname, btext)
                assert list(zip(ids.tolist(), weights.tolist(), strict=True)) == [e[:2] for e in expected]
                if leaf.schema[fieldname].format.supports("positions"):
                    found = read_positions(leaf, fieldname, btext)
                    ends = (found.first + found.counts).tolist()
                    ours = [(d, w, found.positions[s:e].tolist()) for d, w, s, e in
                            zip(found.ids.tolist(), found.weights.tolist(), found.first.tolist(), ends, strict=True)]
                    assert ours == expected, (fieldname, btext)
                checked += 1
                several += len(expected) > BLOCK_LIMIT
    return checked, several


def test_postings_read_in_one_pass_equal_whooshs_matcher(varied: SearchIndex) -> None:
    """Every term's postings, read from one read of its packed blocks, are what Whoosh's own
    matcher reads, deleted documents included (constant and varying weights)."""
    varied.search("warm", filters={}, sort="relevance", page=1, page_size=1, facets=False, highlight=False)
    fields = ("title", "text", "stem", "names", "variant", "place", "source", "f_type", "pairs")
    checked, _ = _check_postings(varied, fields)
    assert checked > 1000


def test_postings_of_many_blocks_equal_whooshs_matcher(tmp_path: Path) -> None:
    """Words in thousands of records: their postings span several blocks, read back whole."""
    _, index, _ = _tiny_index(tmp_path, 2500, seed=11)
    _, several = _check_postings(index, ("title", "text", "stem", "f_type"))
    assert several
    index.close()


#: Posting blocks' document gaps: one-byte gaps after a first id of each width, wider gaps.
BLOCK_IDS = [(9, *[1] * 127), (300, 2, 255, 4), (70_000, *[3] * 40), (5, 1, 256, 2), (1, 2, 3), (2**31 - 1, 1, 1, 1),
             (7, 1, 1, 1, 1, 70_000), (0,)]
BLOCK_WEIGHTS: list[Any] = ["ones", 2.5, "counts", "floats"]


def _weights(kind: Any, n: int, rng: random.Random) -> list[float]:
    if kind == "ones":
        return [1.0] * n
    if kind == "counts":
        return [float(rng.choice([1, 2, 3, 300, 70_000])) for _ in range(n)]
    if kind == "floats":
        return [float(np.float32(rng.choice([1, 2, 0.5, 1e-30, 3.25]))) for _ in range(n)]
    return [kind] * n


@pytest.mark.parametrize("gaps", BLOCK_IDS)
def test_blocks_unpack_to_what_was_packed(gaps: tuple[int, ...]) -> None:
    """A block packed and unpacked gives back its ids, its weights (as float32, what Whoosh's
    writer keeps) and, through Whoosh's matcher's view, the very values each format encoded;
    its ids and weights are read from the start of its compressed data alone."""
    import zlib

    from catalogue.search._whoosh import formats, pack_uint
    from catalogue.search.packing import head_size, pack, unpack, whoosh_values

    rng = random.Random(len(gaps))
    ids = np.cumsum(gaps).tolist()
    n = len(ids)
    for weights_kind in BLOCK_WEIGHTS:
        weights = _weights(weights_kind, n, rng)
        positions = formats.Positions()
        cases = [(formats.Existence(), None), (formats.Frequency(), [pack_uint(int(w)) for w in weights]),
                 (formats.Frequency(), [pack_uint(rng.randint(1, 9)) for _ in ids]),
                 (positions, [positions.encode(rng.choice(POSITION_LISTS)) for _ in ids]),
                 (formats.Characters(), [formats.Characters().encode([(1, 3, 7)]) for _ in ids])]
        for fmt, values in cases:
            data = pack(ids, np.array(weights, dtype=np.float32), values, fmt)
            block = unpack(data, n)
            assert block.ids.tolist() == ids
            assert block.weights.tolist() == [float(np.float32(w)) for w in weights]
            expected = tuple(values) if values is not None else (None,) * n
            assert whoosh_values(block, fmt) == expected, (type(fmt).__name__, weights_kind)
            head = zlib.decompressobj().decompress(zlib.compress(data), head_size(n))
            start = unpack(head, n, values=False)
            assert start.ids.tolist() == ids and start.weights.tolist() == block.weights.tolist()


# -- phrases through positions read with numpy ------------------------------------------------

#: Gaps of one, two and four bytes, a first position 0, more than a pickle batch (1,000) of positions.
POSITION_LISTS = [[0], [7], [2, 9, 10, 200], [255, 256], [3, 300, 70_000, 70_001], list(range(0, 2600, 1)),
                  [5, 6, 7, 100_000_000], list(range(1, 5000, 3))]


def test_position_values_decode_as_whoosh_reads_them() -> None:
    """Every value Whoosh's Positions format writes (one position or thousands, small and large
    gaps) decodes, all values of a term at once, to the positions Whoosh reads back."""
    from catalogue.search import packing
    from catalogue.search._whoosh import formats
    from catalogue.search.segments import positional_items

    fmt = formats.Positions()
    values = [fmt.encode(p) for p in POSITION_LISTS]
    # our writer's values (memoised single positions) too
    values += positional_items(list("abacaa"))[2]
    # all at once (mixed; few, read one by one, and many, read with numpy), gaps below 256 only
    # (read at a fixed stride), one by one
    for batch in [values, values * 4, [v for v in values if max(fmt.decode_positions(v)) < 256] * 5,
                  *([v] for v in values)]:
        counts, gaps = packing.position_gaps(batch)
        expected = [fmt.decode_positions(v) for v in batch]
        assert counts == [len(e) for e in expected]
        assert packing.absolute(np.array(counts), np.array(gaps)).tolist() == [p for e in expected for p in e]
    for few in (1, 10):  # a value cut short is not guessed at
        with pytest.raises(packing.Unsupported):
            packing.position_gaps([values[0], values[1][:-1]] * few)


def _phrases(index: SearchIndex, count: int, seed: int) -> list[tuple[str, list[str]]]:
    """Phrases of 2 to 5 words of each positional field: runs of adjacent words of its
    documents (some repeated, some of common words), the same words shuffled, and words of
    different documents (which mostly match nowhere)."""
    rng = random.Random(seed)
    reader = index._searcher().reader()
    out = []
    for fieldname in ("title", "text", "names", "place"):
        docs = []
        for leaf, _ in reader.leaf_readers():
            vectors: dict[int, list[tuple[int, str]]] = {}
            for btext in leaf.lexicon(fieldname):
                m = leaf._terms.matcher(fieldname, btext, leaf.schema[fieldname].format)
                while m.is_active():
                    vectors.setdefault(m.id(), []).extend((p, btext.decode()) for p in m.value_as("positions"))
                    m.next()
            docs += [[w for _, w in sorted(v)] for v in vectors.values() if len(v) > 1]
        for _ in range(count):
            words = rng.choice(docs)
            n = min(len(words), rng.randint(2, 5))
            start = rng.randrange(len(words) - n + 1)
            run = words[start:start + n]
            out.append((fieldname, run))
            out.append((fieldname, rng.sample(run, len(run))))
            out.append((fieldname, [rng.choice(rng.choice(docs)) for _ in range(n)]))
        out.append((fieldname, ["the", "the"]))
        out.append((fieldname, [docs[0][0]] * 3))
    return out


def test_phrases_equal_whooshs_phrase_query(varied: SearchIndex) -> None:
    """For hundreds of phrases in every positional field, the live documents of every segment
    and the scores of the numpy phrase match are those of Whoosh's own `Phrase` query (slop 1)
    over the same segment, matched and scored by Whoosh (which skips deleted documents)."""
    from catalogue.search import pairs, scoring
    from catalogue.search._whoosh import wq

    searcher = varied._searcher()
    postings = scoring.Postings(searcher, scoring.PostingCache())
    common = pairs.read_common(varied._local.folder)
    matched = deleted = longer = 0
    for fieldname, words in _phrases(varied, 40, seed=11):
        for boost in (1.0, 2.5):
            q = wq.Phrase(fieldname, words, boost=boost)
            evaluator = scoring.Evaluator(postings, common)
            for leaf in postings.leaves:
                found = evaluator.eval(q, leaf, scored=True)
                theirs = {}
                matcher = q.matcher(leaf.searcher)
                while matcher.is_active():
                    theirs[matcher.id()] = matcher.score()
                    matcher.next()
                docs = np.flatnonzero(found.mask & leaf.live).tolist()
                assert docs == sorted(theirs), (fieldname, words)
                assert found.score[docs].tolist() == pytest.approx([theirs[d] for d in docs], rel=1e-9)
                matched += len(docs)
                deleted += int((found.mask & ~leaf.live).sum())
                longer += len(docs) if len(words) > 2 else 0
    assert matched > 300 and longer > 50 and deleted  # (deleted documents are matched, then left out)


@pytest.mark.parametrize("query", ['"the village"', '"stone of the"', '"the old stone tower"', '"tower stone"',
                                   'title:"stone tower"', '"of the" village', '"the village"~2 stone'])
def test_phrase_searches_equal_whoosh(varied: SearchIndex, query: str) -> None:
    _compare(varied, query)
