"""Exact BM25 scoring and match sets with numpy over Whoosh's own postings.

Reads the posting blocks and field-length columns of whoosh==2.7.4 (the pinned version; its
private block layout is read directly) and evaluates a parsed Whoosh query per segment with
the arithmetic and the quirks of Whoosh's own unoptimised search (BM25F, boosts,
constant-score ranges and expansions, the small-segment array union), so totals, facets and
rankings equal Whoosh's. A query it does not know raises `Unsupported` and the index asks
Whoosh itself. Decoded postings are kept per segment in a byte-capped LRU (`PostingCache`),
so a commit of a few records re-reads only its own small segment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._whoosh import BM25F, LENGTHS_COLUMN, SpanNear2, _NullQuery, byte_to_length, positional, ranges, terms, wq
from .pairs import PAIR_FIELDS, PAIRS, Common, pair_term

#: Scores are ranked after rounding to this many decimals, so that two scores Whoosh and
#: numpy add up in a different order (equal to the last bit or two) tie, and ties go to the
#: lower document number, as in Whoosh.
ROUND = 9
#: Whoosh 2.7.4's Or switches to an array union for small segments or many clauses.
_SMALL_SEGMENT = 5000
_TOO_MANY_CLAUSES = 1024
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


#: Query classes (and their bounded subclasses) that stand for a list of words.
_MULTITERMS = (terms.Prefix, terms.Wildcard, terms.FuzzyTerm, ranges.TermRange)


class Unsupported(Exception):
    """A query (or index) this module cannot evaluate exactly; Whoosh answers it instead."""


# -- cache -----------------------------------------------------------------------------------


class PostingCache:
    """A thread-safe LRU of decoded postings and length columns, capped in bytes."""

    def __init__(self, capacity: int = 256 * 2**20):
        self.capacity = capacity
        self.size = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: Any, nbytes: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (value, nbytes)
            self.size += nbytes
            while self.size > self.capacity and len(self._items) > 1:
                _, (_, n) = self._items.popitem(last=False)
                self.size -= n

    def stats(self) -> dict[str, int]:
        """Entries, bytes held, byte cap, hits and misses."""
        with self._lock:
            return {"entries": len(self._items), "bytes": self.size, "capacity": self.capacity,
                    "hits": self.hits, "misses": self.misses}


# -- reading one segment ---------------------------------------------------------------------

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_W = np.zeros(0, dtype=np.float64)


def _read_postings(segment: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of a term in one segment (deleted documents included)."""
    terms_reader = segment._terms
    info = terms_reader.term_info(fieldname, btext)
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    fmt = segment.schema[fieldname].format
    matcher = terms_reader.matcher(fieldname, btext, fmt)  # a W3LeafMatcher positioned on block 1
    id_parts, weight_parts = [], []
    while True:
        matcher._read_data()
        ids, weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        id_parts.append(np.cumsum(np.asarray(ids, dtype=np.int64)))
        if weights is None:
            weight_parts.append(np.ones(count))
        elif isinstance(weights, float):  # Whoosh keeps a constant block weight as float32
            weight_parts.append(np.full(count, float(np.float32(weights))))
        else:
            weight_parts.append(np.asarray(weights, dtype=np.float64))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _read_lengths(segment: Any, fieldname: str) -> np.ndarray:
    """Field length of every document of a segment, decoded as Whoosh's scorer sees it."""
    perdoc = segment._perdoc
    count = segment.doc_count_all()
    reader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    out = np.zeros(count, dtype=np.uint8)
    if reader is not None:
        raw = reader._dbfile.get(reader._basepos, reader._count)
        out[: reader._count] = np.frombuffer(raw, dtype=np.uint8)
    return _LENGTHS[out]


@dataclass
class Leaf:
    """One segment of the searcher: its reader, document offset and live documents."""

    searcher: Any
    reader: Any
    offset: int
    size: int
    key: str
    live: np.ndarray


class Postings:
    """Reads cached postings, lengths and live masks of a searcher's segments."""

    def __init__(self, searcher: Any, cache: PostingCache):
        self.searcher = searcher
        self.cache = cache
        self.size = searcher.reader().doc_count_all()
        weighting = searcher.weighting
        #: Why scores cannot be mirrored (None when they can); match sets are always read.
        self.unsupported = None if type(weighting) is BM25F and not weighting._field_B else "weighting"
        self.B, self.K1 = getattr(weighting, "B", 0.75), getattr(weighting, "K1", 1.2)
        self.leaves = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if not reader.doc_count_all():
                continue
            if type(reader).__name__ != "SegmentReader" or not hasattr(reader, "_terms"):
                raise Unsupported(f"unknown reader {type(reader).__name__}")
            size = reader.doc_count_all()
            live = np.ones(size, dtype=bool)
            if reader.has_deletions():
                live[np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)] = False
            key = reader.segment().segment_id()
            self.leaves.append(Leaf(sub, reader, offset, size, key, live))

    def term(self, leaf: Leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        key = ("t", leaf.key, fieldname, btext)
        found = self.cache.get(key)
        if found is None:
            if (fieldname, btext) in leaf.reader:
                found = _read_postings(leaf.reader, fieldname, btext)
            else:
                found = (_EMPTY_IDS, _EMPTY_W)
            self.cache.put(key, found, found[0].nbytes + found[1].nbytes + 200)
        return found

    def lengths(self, leaf: Leaf, fieldname: str) -> np.ndarray:
        key = ("l", leaf.key, fieldname)
        found = self.cache.get(key)
        if found is None:
            found = _read_lengths(leaf.reader, fieldname)
            self.cache.put(key, found, found.nbytes + 200)
        return found

    def bm25(self, leaf: Leaf, fieldname: str, btext: bytes, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Whoosh's BM25F score of each posting (same operations, same order)."""
        searcher = self.searcher
        if not searcher.schema[fieldname].scorable:
            return weights
        idf = searcher.idf(fieldname, btext)
        avgfl = searcher.avg_field_length(fieldname) or 1
        fl = self.lengths(leaf, fieldname)[ids]
        B, K1 = self.B, self.K1
        return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))


# -- evaluating a query on one segment -------------------------------------------------------


@dataclass
class Scored:
    """Matching documents of one segment (a mask) with their scores."""

    mask: np.ndarray
    score: np.ndarray


def _empty(leaf: Leaf) -> Scored:
    return Scored(np.zeros(leaf.size, dtype=bool), np.zeros(leaf.size))


class Evaluator:
    """Evaluates one parsed query on every segment of a searcher, as Whoosh would score it."""

    def __init__(self, postings: Postings, common: Common | None, budget: Any = None):
        if postings.unsupported:
            raise Unsupported(postings.unsupported)
        self.p = postings
        self.common = common
        #: The search's `catalogue.search.bounds.Budget` (its `check` raises past the deadline), or None.
        self.budget = budget

    def _check(self) -> None:
        if self.budget is not None:
            self.budget.check()

    def run(self, q: Any) -> tuple[np.ndarray, np.ndarray]:
        """(mask, score) over all documents of the searcher; deleted documents never match."""
        masks, scores = [], []
        for leaf in self.p.leaves:
            found = self.eval(q, leaf, scored=True)
            masks.append(found.mask & leaf.live)
            scores.append(found.score)
        if not masks:
            return np.zeros(0, dtype=bool), np.zeros(0)
        return np.concatenate(masks), np.concatenate(scores)

    # Each method mirrors the `matcher()` of the Whoosh query class it is named after.

    def eval(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
        self._check()
        kind = type(q)
        if q is wq.NullQuery or kind is _NullQuery:
            return _empty(leaf)
        if kind is wq.Term:
            return self.term(q.fieldname, q.text, q.boost, leaf)
        if kind in (wq.And, wq.Or):
            return self.compound(q, leaf, scored)
        if issubclass(kind, _MULTITERMS):
            return self.multiterm(q, leaf, scored)
        if kind is positional.Phrase:
            return self.phrase(q, leaf)
        if kind is wq.Not:
            child = self.eval(q.query, leaf, scored=False)
            return Scored(~child.mask, np.where(child.mask, 0.0, 1.0))
        if kind is wq.AndNot:
            a, b = self.eval(q.a, leaf, scored), self.eval(q.b, leaf, scored=False)
            mask = a.mask & ~b.mask
            return Scored(mask, np.where(mask, a.score, 0.0))
        if kind is wq.AndMaybe:
            a, b = self.eval(q.a, leaf, scored), self.eval(q.b, leaf, scored)
            return Scored(a.mask, np.where(a.mask, a.score + np.where(b.mask, b.score, 0.0), 0.0))
        if kind is ranges.NumericRange:
            return self.eval(q._compile_query(leaf.reader), leaf, scored)
        if kind is wq.ConstantScoreQuery:
            child = self.eval(q.child, leaf, scored)
            return Scored(child.mask, np.where(child.mask, q.score, 0.0))
        if kind is wq.Every and q.fieldname in (None, "", "*"):
            return Scored(np.ones(leaf.size, dtype=bool), np.full(leaf.size, float(q.boost)))
        raise Unsupported(kind.__name__)

    def term(self, fieldname: str, text: Any, boost: float, leaf: Leaf) -> Scored:
        schema = self.p.searcher.schema
        if fieldname not in schema:
            return _empty(leaf)
        try:
            btext = schema[fieldname].to_bytes(text)
        except ValueError:
            return _empty(leaf)
        ids, weights = self.p.term(leaf, fieldname, btext)
        out = _empty(leaf)
        if len(ids):
            score = self.p.bm25(leaf, fieldname, btext, ids, weights)
            if boost != 1.0:
                score = score * boost
            out.mask[ids] = True
            out.score[ids] = score
        return out

    def compound(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
        subs = q.subqueries
        if not subs:
            return _empty(leaf)
        if len(subs) == 1:
            return self.eval(subs[0], leaf, scored)
        if type(q) is wq.Or and (q.minmatch or q.scale):
            raise Unsupported("Or with minmatch or scale")
        parts = [self.eval(s, leaf, scored) for s in subs]
        if type(q) is wq.And:
            mask = np.logical_and.reduce([p.mask for p in parts])
        else:
            mask = np.logical_or.reduce([p.mask for p in parts])
        score = np.add.reduce([np.where(p.mask, p.score, 0.0) for p in parts])
        if type(q) is wq.Or and self._array_union(len(subs), leaf) and not scored:
            return Scored(mask, np.where(mask, 1.0, 0.0))
        if q.boost != 1.0:
            score = score * q.boost
        return Scored(mask, np.where(mask, score, 0.0))

    @staticmethod
    def _array_union(count: int, leaf: Leaf) -> bool:
        """Whether Whoosh's Or uses its array union (unscored when the context has no weighting)."""
        return count >= _TOO_MANY_CLAUSES or (count > 2 and leaf.size <= _SMALL_SEGMENT)

    def multiterm(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
        fieldname = q.field()
        words = [w for w in q._btexts(leaf.reader) if w]
        if not words:
            return _empty(leaf)
        if len(words) == 1:
            return self.term(fieldname, words[0], 1.0, leaf)
        # Whoosh's array union of a constant-score expansion scores every match 1.0: no BM25 needed.
        flat = self._array_union(len(words), leaf) and (q.constantscore or not scored)
        field = self.p.searcher.schema[fieldname]
        out = _empty(leaf)
        all_ids, all_scores = [], []
        for number, word in enumerate(words):
            if not number % 64:
                self._check()
            btext = field.to_bytes(word)
            ids, weights = self.p.term(leaf, fieldname, btext)
            if len(ids):
                all_ids.append(ids)
                if not flat:
                    all_scores.append(self.p.bm25(leaf, fieldname, btext, ids, weights))
        if not all_ids:
            return out
        ids = np.concatenate(all_ids)
        out.mask[ids] = True
        if flat:
            out.score[out.mask] = 1.0
            return out
        out.score = np.bincount(ids, weights=np.concatenate(all_scores), minlength=leaf.size)
        if q.boost != 1.0:
            out.score = out.score * q.boost
        return out

    def phrase(self, q: Any, leaf: Leaf) -> Scored:
        fieldname, words = q.fieldname, q.words
        schema = self.p.searcher.schema
        if fieldname not in schema:
            return _empty(leaf)
        field = schema[fieldname]
        try:
            btexts = [field.to_bytes(w) for w in words]
        except ValueError:
            return _empty(leaf)
        if not btexts or any((fieldname, b) not in leaf.reader for b in btexts):
            return _empty(leaf)
        parts = [self.term(fieldname, b, 1.0, leaf) for b in btexts]
        score = np.add.reduce([p.score for p in parts])
        if q.boost != 1.0:
            score = score * q.boost
        mask = self.phrase_docs(q, btexts, leaf)
        return Scored(mask, np.where(mask, score, 0.0))

    def phrase_docs(self, q: Any, btexts: list[bytes], leaf: Leaf) -> np.ndarray:
        """Documents of a segment where the phrase occurs (a word-pair lookup for two words)."""
        mask = np.zeros(leaf.size, dtype=bool)
        words = [b.decode("utf-8") for b in btexts]
        if (len(words) == 2 and q.slop == 1 and self.common and q.fieldname in PAIR_FIELDS
                and words[0] in self.common[q.fieldname] and words[1] in self.common[q.fieldname]):
            ids, _ = self.p.term(leaf, PAIRS, pair_term(q.fieldname, *words).encode("utf-8"))
            mask[ids] = True
            return mask
        if len(btexts) == 1:
            ids, _ = self.p.term(leaf, q.fieldname, btexts[0])
            mask[ids] = True
            return mask
        # Whoosh's own position checks (what `Phrase.matcher` builds), minding the budget
        matcher = _CheckedNear([wq.Term(q.fieldname, b).matcher(leaf.searcher) for b in btexts], q.slop,
                               self._check)
        found = []
        for number, docnum in enumerate(matcher.all_ids()):
            if not number % 256:
                self._check()
            found.append(docnum)
        mask[np.asarray(found, dtype=np.int64)] = True
        return mask


class _CheckedNear(SpanNear2.SpanNear2Matcher):
    """Whoosh's phrase matcher, looking at the search's clock between the documents it tries:
    a long phrase of frequent words steps through thousands of them in pure Python, every step
    moving one sub-matcher per word (``"the village stone the village stone ..."`` took 11 s)."""

    def __init__(self, matchers: list[Any], slop: int, check: Any):
        self._check = check
        super().__init__(matchers, slop=slop, ordered=True, mindist=1)

    def _find_next(self) -> Any:
        # SpanWrappingMatcher._find_next (whoosh 2.7.4), with the clock looked at on every step
        if not self.is_active():
            return None
        child, moved = self.child, False
        spans = self._get_spans()
        while child.is_active() and not spans:
            self._check()
            moved = child.next() or moved
            if not child.is_active():
                return True
            spans = self._get_spans()
        self._spans = spans
        return moved


# -- ranking ---------------------------------------------------------------------------------


def top(order_key: np.ndarray, mask: np.ndarray, limit: int) -> np.ndarray:
    """Document numbers of the `limit` best matches: lowest `order_key` first, ties by docnum."""
    docs = np.flatnonzero(mask)
    if not len(docs):
        return docs
    keys = order_key[docs]
    if len(docs) > limit:
        kth = np.partition(keys, limit - 1)[limit - 1]
        keep = keys <= kth
        docs, keys = docs[keep], keys[keep]
    order = np.lexsort((docs, keys))
    return docs[order][:limit]


def rank_key(score: np.ndarray) -> np.ndarray:
    """Ranking key of relevance scores (lower first): rounded, negated."""
    return -np.round(score, ROUND)
