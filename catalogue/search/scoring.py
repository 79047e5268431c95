"""Exact BM25 scoring and match sets with numpy over the index's postings.

Reads the posting blocks (`catalogue.search.blocks`, packed by `catalogue.search.packing`) and
the field-length columns of whoosh==2.7.4, and evaluates a parsed Whoosh query per segment with
the arithmetic and the quirks of Whoosh's own unoptimised search (BM25F, boosts,
constant-score ranges and expansions, the small-segment array union), so totals, facets and
rankings equal Whoosh's. A query it does not know raises `Unsupported` and the index asks
Whoosh itself. Decoded postings are kept per segment in a byte-capped LRU (`PostingCache`),
so a commit of a few records re-reads only its own small segment. A part of the query that
needs a word a segment lacks is not scored there (`Evaluator.empty`), and a part standing in
several places (the some-words reading's groups and their bonuses) is scored once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..precedence import give_way
from ._whoosh import BM25F, SpanNear2, _NullQuery, positional, ranges, terms, wq
from .blocks import EMPTY_IDS, EMPTY_W, Unsupported, read_lengths, read_postings
from .cache import PostingCache
from .packing import LENGTHS
from .pairs import PAIR_FIELDS, PAIRS, Common, pair_term
from .positions import TermPositions, phrase_docs, read_positions
from .scored import Scored

#: Scores are ranked after rounding to this many decimals, so that two scores Whoosh and
#: numpy add up in a different order (equal to the last bit or two) tie, and ties go to the
#: lower document number, as in Whoosh.
ROUND = 9
#: Whoosh 2.7.4's Or switches to an array union for small segments or many clauses.
_SMALL_SEGMENT = 5000
_TOO_MANY_CLAUSES = 1024


#: Query classes (and their bounded subclasses) that stand for a list of words.
_MULTITERMS = (terms.Prefix, terms.Wildcard, terms.FuzzyTerm, ranges.TermRange)


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
        self._avgfl: dict[str, float] = {}
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
        """A term's document numbers (int64) and weights (float64) in a segment: the cache keeps
        them `blocks.compact`, a search gets them widened (numpy indexes with int32 at half speed)."""
        key = ("t", leaf.key, fieldname, btext)
        found = self.cache.get(key)
        if found is None:
            if (fieldname, btext) in leaf.reader:
                found = read_postings(leaf.reader, fieldname, btext)
            else:
                found = (EMPTY_IDS, EMPTY_W)
            self.cache.put(key, found, found[0].nbytes + found[1].nbytes + 200)
        return found[0].astype(np.int64, copy=False), found[1].astype(np.float64, copy=False)

    def positions(self, leaf: Leaf, fieldname: str, btext: bytes) -> TermPositions:
        """A term's postings with their word positions (its postings are kept for `term` too)."""
        key = ("p", leaf.key, fieldname, btext)
        found = self.cache.get(key)
        if found is None:
            found = read_positions(leaf.reader, fieldname, btext)
            self.cache.put(key, found, found.nbytes + 200)
            self.cache.put(("t", leaf.key, fieldname, btext), (found.ids, found.weights),
                           found.ids.nbytes + found.weights.nbytes + 200)
        return found

    def holds(self, leaf: Leaf, fieldname: str, btext: bytes) -> bool:
        """Whether a segment has postings for a term (a word it lacks is remembered as such)."""
        key = ("t", leaf.key, fieldname, btext)
        found = self.cache.get(key)
        if found is not None:
            return len(found[0]) > 0
        if self.cache.get(("h", leaf.key, fieldname, btext)):
            return True
        if (fieldname, btext) in leaf.reader:  # (Whoosh's lookup: remembered, each reading asks it again)
            self.cache.put(("h", leaf.key, fieldname, btext), True, 200)
            return True
        self.cache.put(key, (EMPTY_IDS, EMPTY_W), 200)
        return False

    def lengths(self, leaf: Leaf, fieldname: str) -> np.ndarray:
        """A field's length code (`packing.LENGTHS`) of every document of a segment."""
        key = ("l", leaf.key, fieldname)
        found = self.cache.get(key)
        if found is None:
            found = read_lengths(leaf.reader, fieldname)
            self.cache.put(key, found, found.nbytes + 200)
        return found

    def bm25(self, leaf: Leaf, fieldname: str, btext: bytes, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Whoosh's BM25F score of each posting (same operations, same order)."""
        searcher = self.searcher
        if not searcher.schema[fieldname].scorable:
            return weights
        idf = searcher.idf(fieldname, btext)
        K1 = self.K1
        return idf * ((weights * (K1 + 1)) / (weights + self.norms(leaf, fieldname)[ids]))

    def norms(self, leaf: Leaf, fieldname: str) -> np.ndarray:
        """The length part of BM25F's denominator for every document of a segment (the same
        operations on each document's length as for a posting's, so to the same bits), kept
        for every word of the field, instead of gathering and scaling lengths per word."""
        avgfl = self._avgfl.get(fieldname)
        if avgfl is None:  # (Whoosh sums every segment's total length at each call: once per term and segment)
            avgfl = self._avgfl[fieldname] = self.searcher.avg_field_length(fieldname) or 1
        key, made_for = ("n", leaf.key, fieldname), (avgfl, self.B, self.K1)
        held = self.cache.get(key)
        if held is not None and held[0] == made_for:
            return held[1]
        # The average length changes with every index version: the norms of the one before
        # are replaced, not kept beside these until the cache drops them.
        B, K1 = self.B, self.K1
        # (worked out once for each of the 256 length codes, then looked up per document)
        found = (K1 * ((1 - B) + B * LENGTHS / avgfl))[self.lengths(leaf, fieldname)]
        self.cache.put(key, (made_for, found), found.nbytes + 200)
        return found


# -- evaluating a query on one segment -------------------------------------------------------


def _empty(leaf: Leaf) -> Scored:
    return Scored(ids=EMPTY_IDS, values=EMPTY_W, size=leaf.size)


def _shared(q: Any) -> set[int]:
    """Ids of the nodes that stand in more than one place of a query (the some-words reading's
    groups, also under their bonuses)."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [q]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        stack.extend(node.children())
    return shared


class Evaluator:
    """Evaluates one parsed query on every segment of a searcher, as Whoosh would score it."""

    def __init__(self, postings: Postings, common: Common | None, budget: Any = None):
        if postings.unsupported:
            raise Unsupported(postings.unsupported)
        self.p = postings
        self.common = common
        #: The search's `catalogue.search.bounds.Budget` (its `check` raises past the deadline), or None.
        self.budget = budget
        #: What each node of the query (the same object may stand in several places, as the
        #: some-words reading's groups and their bonuses) matched per segment, and the nodes
        #: themselves (so that their ids stay theirs while this evaluator lives).
        self._done: dict[tuple[int, str, bool], Scored] = {}
        self._empty: dict[tuple[int, str], bool] = {}
        self._kept: list[Any] = []
        #: Ids of the nodes of the query being run that stand in several places (see `_shared`).
        self._shared: set[int] = set()

    def _check(self) -> None:
        if self.budget is not None:
            self.budget.check()

    def run(self, q: Any) -> tuple[np.ndarray, np.ndarray]:
        """(mask, score) over all documents of the searcher; deleted documents never match.

        Each segment's match is written into its place in the two arrays, which start as zeros
        the system gives untouched: a segment without a match (most of them, for a rare word
        at 1,000,000 records) costs nothing, where a mask and a score array of its own, joined
        to the others', cost some 3 ms a reading of the query."""
        self._shared = _shared(q)
        mask, score = np.zeros(self.p.size, dtype=bool), np.zeros(self.p.size)
        for leaf in self.p.leaves:
            give_way()  # (to a staff request in this process: `catalogue.precedence`)
            found = self.eval(q, leaf, scored=True)
            at = leaf.offset
            if not found.sparse:
                np.logical_and(found.mask, leaf.live, out=mask[at:at + leaf.size])
                score[at:at + leaf.size] = found.score
            elif len(found.ids):
                mask[at + found.ids[leaf.live[found.ids]]] = True
                score[at + found.ids] = found.values
        return mask, score

    # Each method mirrors the `matcher()` of the Whoosh query class it is named after.

    def eval(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
        key = (id(q), leaf.key, scored)
        found = self._done.get(key)
        if found is None:
            found = self._done[key] = self._eval(q, leaf, scored)
            self._kept.append(q)
        return found

    def empty(self, q: Any, leaf: Leaf) -> bool:
        """True when `q` surely matches nothing in the segment: it needs a word the segment
        does not hold (found without reading postings or scoring every document). Each node
        is looked at once per segment (every compound node asks it of its parts again)."""
        key = (id(q), leaf.key)
        found = self._empty.get(key)
        if found is None:
            found = self._empty[key] = self._is_empty(q, leaf)
            self._kept.append(q)
        return found

    def _is_empty(self, q: Any, leaf: Leaf) -> bool:
        kind = type(q)
        if q is wq.NullQuery or kind is _NullQuery:
            return True
        if kind is wq.Term:
            schema = self.p.searcher.schema
            try:
                return q.fieldname not in schema or not self.p.holds(leaf, q.fieldname,
                                                                     schema[q.fieldname].to_bytes(q.text))
            except ValueError:
                return True
        if kind is wq.And:
            return any(self.empty(s, leaf) for s in q.subqueries)
        if kind is wq.Or:
            return all(self.empty(s, leaf) for s in q.subqueries)
        if kind is wq.ConstantScoreQuery:
            return self.empty(q.child, leaf)
        if kind in (wq.AndMaybe, wq.AndNot):
            return self.empty(q.a, leaf)
        if issubclass(kind, _MULTITERMS):  # (its expansion is made once per search: see `bounds.expand`)
            return not any(self._words(q, leaf))
        return False

    def _eval(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
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
        if not len(ids):
            return _empty(leaf)
        score = self.p.bm25(leaf, fieldname, btext, ids, weights)
        if boost != 1.0:
            score = score * boost
        return Scored(ids=ids, values=score, size=leaf.size)

    def compound(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
        subs = q.subqueries
        if not subs:
            return _empty(leaf)
        if len(subs) == 1:
            return self.eval(subs[0], leaf, scored)
        if type(q) is wq.Or and (q.minmatch or q.scale):
            raise Unsupported("Or with minmatch or scale")
        if self.empty(q, leaf):
            return _empty(leaf)  # it needs a word no document holds: nothing to score
        if type(q) is wq.Or and scored:
            subs = self._sum_of(q)
        parts = [self.eval(s, leaf, scored) for s in subs]
        if type(q) is wq.Or:
            mask, score = np.zeros(leaf.size, dtype=bool), np.zeros(leaf.size)
            for part in parts:  # in place, in the order Whoosh adds them (0.0 + x is x)
                part.add_to(mask, score)
        else:
            mask, score = parts[0].mask.copy(), parts[0].score.copy()
            for part in parts[1:]:  # (a score is 0 off its mask)
                np.logical_and(mask, part.mask, out=mask)
                score += part.score
        if type(q) is wq.Or and self._array_union(len(subs), leaf) and not scored:
            return Scored(mask, mask.astype(np.float64))
        if q.boost != 1.0:
            score *= q.boost
        if type(q) is wq.And:
            score[~mask] = 0.0
        return Scored(mask, score)

    def _sum_of(self, q: Any) -> list[Any]:
        """The parts a scored Or adds up, its first part's own parts in its place while that is
        an unboosted Or standing nowhere else: ``((a OR b) OR c)`` adds a, b, c in one array,
        in the same order (so to the same bits) as the nested sums."""
        subs = list(q.subqueries)
        while subs:
            first = subs[0]
            if type(first) is not wq.Or or first.boost != 1.0 or first.minmatch or first.scale \
                    or not first.subqueries or id(first) in self._shared:
                break
            subs[:1] = first.subqueries
        return subs

    @staticmethod
    def _array_union(count: int, leaf: Leaf) -> bool:
        """Whether Whoosh's Or uses its array union (unscored when the context has no weighting)."""
        return count >= _TOO_MANY_CLAUSES or (count > 2 and leaf.size <= _SMALL_SEGMENT)

    def _words(self, q: Any, leaf: Leaf) -> list[Any]:
        """The words a prefix, wildcard, range or fuzzy word stands for in `leaf`. A fuzzy
        word's are found once in the whole version, from the word lists the large segments
        share (`lexicons.lexicons_of`), then those of `leaf` kept (how many there are decides
        how Whoosh scores them, see `_array_union`)."""
        if not isinstance(q, terms.FuzzyTerm):
            return [w for w in q._btexts(leaf.reader) if w]
        to_bytes = self.p.searcher.schema[q.fieldname].to_bytes
        return [w for w in q._btexts(self.p.searcher.reader()) if w and self.p.holds(leaf, q.fieldname, to_bytes(w))]

    def multiterm(self, q: Any, leaf: Leaf, scored: bool) -> Scored:
        fieldname = q.field()
        words = self._words(q, leaf)
        if not words:
            return _empty(leaf)
        if len(words) == 1:
            return self.term(fieldname, words[0], 1.0, leaf)
        # Whoosh's array union of a constant-score expansion scores every match 1.0: no BM25 needed.
        flat = self._array_union(len(words), leaf) and (q.constantscore or not scored)
        field = self.p.searcher.schema[fieldname]
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
            return _empty(leaf)
        ids = np.concatenate(all_ids)
        mask = np.zeros(leaf.size, dtype=bool)
        mask[ids] = True
        if flat:
            return Scored(mask, mask.astype(np.float64))
        score = np.bincount(ids, weights=np.concatenate(all_scores), minlength=leaf.size)
        if q.boost != 1.0:
            score = score * q.boost
        return Scored(mask, score)

    def phrase(self, q: Any, leaf: Leaf) -> Scored:
        fieldname, words = q.fieldname, q.words
        schema = self.p.searcher.schema
        if fieldname not in schema:
            return _empty(leaf)
        field = schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            raise Unsupported(f"a phrase in {fieldname}, a field without positions")  # Whoosh says so
        try:
            btexts = [field.to_bytes(w) for w in words]
        except ValueError:
            return _empty(leaf)
        if not btexts or any((fieldname, b) not in leaf.reader for b in btexts):
            return _empty(leaf)
        mask = self.phrase_docs(q, btexts, leaf)  # (first: reading positions reads the postings too)
        parts = [self.term(fieldname, b, 1.0, leaf) for b in btexts]
        score = np.add.reduce([p.score for p in parts])
        if q.boost != 1.0:
            score = score * q.boost
        return Scored(mask, np.where(mask, score, 0.0))

    def phrase_docs(self, q: Any, btexts: list[bytes], leaf: Leaf) -> np.ndarray:
        """Documents of a segment where the phrase occurs: a word-pair lookup for two common
        words, else their positions compared with numpy (`catalogue.search.positions`)."""
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
        if q.slop == 1:
            mask[phrase_docs([self.p.positions(leaf, q.fieldname, b) for b in btexts], self._check)] = True
            return mask
        # a looser phrase: Whoosh's own position checks (what `Phrase.matcher` builds), minding the budget
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
