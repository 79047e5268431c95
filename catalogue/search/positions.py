"""Phrases matched with numpy over the word positions a whoosh==2.7.4 index stores.

A Positions field keeps, with each posting, the word's positions in the document as Whoosh's
`formats.Positions.encode` writes them: the count (4 bytes, big-endian), then a pickled list of
the gaps between positions. `read_positions` decodes every posting of a term at once (the
values joined and checked with numpy; gaps below 256 read at a fixed stride, any others as one
spliced pickle), and `phrase_docs` finds the documents where the words stand one after
another: a phrase starting at position p has word k at p + k, so the (document, position - k)
keys of every word must meet. This is what Whoosh's `Phrase` (slop 1) finds through its
per-document span checks (`tests/test_index_fast.py` compares the two).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .blocks import Unsupported, block_weights, term_blocks

#: How the pickle of each posting's gaps starts (protocol 2, an empty list, memoised), after
#: the count; its last byte is the pickle's STOP.
_HEAD = b"\x80\x02]q\x00"
_COUNT = 4
_PREFIX = _COUNT + len(_HEAD)
#: The gaps of all postings, spliced into one pickled list (each posting's APPEND or MARK ...
#: APPENDS opcodes add its gaps to the list the head made).
_LIST, _STOP = b"\x80\x02]", b"."
#: Pickle opcodes (an integer below 256, appending one item, appending the items since MARK),
#: and how many items pickle appends in one batch.
_BININT1, _APPEND, _APPENDS, _BATCH = ord("K"), ord("a"), ord("e"), 1000
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


def decode(values: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Each posting's position count and all positions, flat, from `formats.Positions` values."""
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    if lengths.min() < _PREFIX + 4:  # the count and head, one opcode with its operand, its APPEND, STOP
        raise Unsupported("a position value shorter than any Whoosh writes")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    count_bytes = raw[starts[:, None] + np.arange(_COUNT)].astype(np.int64)
    counts = (count_bytes << np.array([24, 16, 8, 0])).sum(axis=1)
    head = raw[starts[:, None] + np.arange(_COUNT, _PREFIX)]
    if not (head == np.frombuffer(_HEAD, dtype=np.uint8)).all() or (raw[ends - 1] != _STOP[0]).any():
        raise Unsupported("position values not as Whoosh 2.7.4 writes them")
    if counts.min() < 1:
        raise Unsupported("a posting without positions")
    first = np.cumsum(counts) - counts
    gaps = np.empty(int(counts.sum()), dtype=np.int64)
    # The usual value has every gap below 256: a one-byte operand after each BININT1 opcode,
    # read at a fixed stride (one gap: K g APPEND; more: MARK K g K g ... APPENDS).
    small = (lengths == _PREFIX + 1 + np.where(counts == 1, 3, 2 * counts + 2)) & (counts <= _BATCH)
    at = _spans(starts[small] + _PREFIX + np.where(counts[small] == 1, 1, 2), counts[small], step=2)
    closing = np.where(counts[small] == 1, _APPEND, _APPENDS)
    if (raw[at - 1] != _BININT1).any() or (raw[ends[small] - 2] != closing).any():
        small[:] = False
    else:
        gaps[_spans(first[small], counts[small])] = raw[at]
    rest = ~small
    if rest.any():  # the others spliced into one pickled list, read by pickle
        body = raw[_spans(starts[rest] + _PREFIX, lengths[rest] - _PREFIX - 1)].tobytes()
        found = pickle.loads(_LIST + body + _STOP)  # noqa: S301 - the index's own values, as Whoosh reads them
        if not isinstance(found, list) or len(found) != int(counts[rest].sum()):
            raise Unsupported("position values hold other counts than they say")
        gaps[_spans(first[rest], counts[rest])] = np.fromiter(found, dtype=np.int64, count=len(found))
    total = np.cumsum(gaps)
    # each posting's positions are the running sum of its own gaps
    return counts, total - np.repeat(total[first] - gaps[first], counts)


def _spans(start: np.ndarray, counts: np.ndarray, step: int = 1) -> np.ndarray:
    """Flat indices start[i], start[i] + step, ... (counts[i] of them) for every i, in order."""
    placed = np.cumsum(counts) - counts
    return np.repeat(start - step * placed, counts) + step * np.arange(int(counts.sum()))


def read_positions(segment: Any, fieldname: str, btext: bytes) -> TermPositions:
    """Document numbers, weights and positions of a term in one segment (deleted documents
    included), from its posting blocks read in one read (see `blocks.term_blocks`)."""
    ids, weights, values = [], [], []
    for block_ids, block_w, block_values in term_blocks(segment, fieldname, btext):
        ids.append(block_ids)
        weights.append(block_weights(len(block_ids), block_w))
        if block_values is None or len(block_values) != len(block_ids):
            raise Unsupported("postings without a position value each")
        values.extend(block_values)
    counts, positions = decode(values)
    if len(positions) and positions.max() >= 2**31:
        raise Unsupported("a word position past 2**31")
    # (positions and counts kept as int32: half the cache; document numbers are the postings' own)
    return TermPositions(np.concatenate(ids), np.concatenate(weights), counts.astype(np.int32),
                         np.cumsum(counts) - counts, positions.astype(np.int32))


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
    starts = term.positions[_spans(term.first[pick], counts)].astype(np.int64) - offset
    keys = (np.repeat(docs, counts) << _SHIFT) + starts
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
