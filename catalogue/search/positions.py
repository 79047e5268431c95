"""Phrases matched with numpy over the word positions the index stores.

A Positions field keeps, with each posting, the word's positions in the document, packed per
block as counts and gaps (`catalogue.search.packing`). `read_positions` reads every posting of
a term at once, and `phrase_docs` finds the documents where the words stand one after
another: a phrase starting at position p has word k at p + k, so the (document, position - k)
keys of every word must meet. This is what Whoosh's `Phrase` (slop 1) finds through its
per-document span checks (`tests/test_index_fast.py` compares the two).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .blocks import Unsupported, compact, term_blocks
from .packing import positions_of, spans

#: A key packs a document number above a word position (positions stay below 2**31).
_SHIFT = 32


@dataclass(frozen=True)
class TermPositions:
    """Every posting of a term in one segment: document numbers (ascending), weights, and the
    positions of each, flat (`first[i]` is where posting i's `counts[i]` positions start)."""

    ids: np.ndarray
    weights: np.ndarray
    counts: np.ndarray
    first: np.ndarray
    positions: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.ids, self.weights, self.counts, self.first, self.positions))


def read_positions(segment: Any, fieldname: str, btext: bytes) -> TermPositions:
    """Document numbers, weights and positions of a term in one segment (deleted documents
    included), from its posting blocks read in one read (see `blocks.term_blocks`)."""
    found = list(term_blocks(segment, fieldname, btext))
    counts, positions = positions_of(found)
    if len(positions) and max(len(positions), positions.max()) >= 2**31:
        raise Unsupported("a word position or a term's positions past 2**31")
    # (positions, counts and where each starts kept as int32, and the postings `compact`: half the cache)
    ids, weights = compact(np.concatenate([b.ids for b in found]), np.concatenate([b.weights for b in found]))
    return TermPositions(ids, weights, counts.astype(np.int32), (np.cumsum(counts) - counts).astype(np.int32),
                         positions.astype(np.int32))


def _among(keys: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Which of the ascending `keys` are in the ascending `other`."""
    if not len(other):
        return np.zeros(len(keys), dtype=bool)
    at = np.searchsorted(other, keys)
    return other[np.minimum(at, len(other) - 1)] == keys


def _starts(term: TermPositions, offset: int, docs: np.ndarray) -> np.ndarray:
    """Ascending (document, position - offset) keys of a term's positions in `docs`
    (ascending, all among the term's documents): where a phrase would start."""
    pick = np.searchsorted(term.ids, docs)
    counts = term.counts[pick]
    starts = term.positions[spans(term.first[pick], counts)].astype(np.int64) - offset
    keys = (np.repeat(docs.astype(np.int64), counts) << _SHIFT) + starts
    return keys[starts >= 0]


def phrase_docs(terms: list[TermPositions], check: Callable[[], None]) -> np.ndarray:
    """Document numbers (ascending) where the words of `terms` stand one after another, in
    order (Whoosh's `Phrase` with slop 1); `check` is called between words (the search's clock)."""
    order = sorted(range(len(terms)), key=lambda k: len(terms[k].positions))
    distinct = list({id(terms[k]): terms[k] for k in order}.values())  # (a repeated word is read once)
    docs = distinct[0].ids
    for term in distinct[1:]:  # documents holding every word, rarest first
        check()
        docs = docs[_among(docs, term.ids)]
        if not len(docs):
            return docs
    keys = None
    for k in order:
        check()
        found = _starts(terms[k], k, docs)
        keys = found if keys is None else keys[_among(keys, found)]
        docs = np.unique(keys >> _SHIFT)
        if not len(docs):
            break
    return docs
