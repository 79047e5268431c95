"""A field's analysed words kept as occurrences until its segment is written, then grouped
into postings by numpy.

Documents come one at a time with the term at each position of an analysed field
(`analysis.sequence`). They were grouped per term and document in Python, and each
posting's positions pickled as Whoosh's value, only for the block writer to read them back
into arrays (`packing.many_gaps`). Here a document costs a dictionary lookup per word and
three array appends; a field's occurrences are grouped into postings once, when the segment
is written, and their counts and positions stay arrays (`Encoded`), made into Whoosh's bytes
only for a term written posting by posting. A writer process's time per record of an import
fell from about 950 µs to 790 (README, twenty-sixth session).
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from operator import sub
from pickle import dumps

import numpy as np

from ._whoosh import pack_uint

#: A field's postings of one document, as parallel lists: its terms (str, encoded when the
#: segment is written), their weights and encoded values (empty when the field's format keeps
#: none), then the field's length.
Items = tuple[list[str], list[float], list[bytes], int]

_ONE_POSITION: dict[int, bytes] = {}
_COUNTS: dict[int, bytes] = {}


def encode_count(n: int) -> bytes:
    """`formats.Frequency.encode`, memoised: the pool keeps one bytes object per count."""
    found = _COUNTS.get(n)
    if found is None:
        found = _COUNTS[n] = pack_uint(n)
    return found


def encode_positions(poslist: list[int]) -> bytes:
    """`formats.Positions.encode` (delta-coded positions), memoised for single positions."""
    if len(poslist) == 1:
        found = _ONE_POSITION.get(poslist[0])
        if found is None:
            found = _ONE_POSITION[poslist[0]] = pack_uint(1) + dumps([poslist[0]], 2)
        return found
    return pack_uint(len(poslist)) + dumps([poslist[0], *map(sub, poslist[1:], poslist)], 2)


def positional_items(sequence: list[str]) -> Items:
    """The postings of a Positions field from the term at each of its positions ("" for a
    dropped word, see `analysis.sequence`), and the field's length."""
    poses: defaultdict[str, list[int]] = defaultdict(list)
    for pos, term in enumerate(sequence):
        poses[term].append(pos)
    dropped = poses.pop("", ())
    return (list(poses), [float(len(p)) for p in poses.values()],
            list(map(encode_positions, poses.values())), len(sequence) - len(dropped))


def frequency_token_items(sequence: list[str]) -> Items:
    """The postings of a Frequency field from the term at each of its positions and the
    field's length (`formats.Frequency.word_values`: the count as weight, packed as the value)."""
    counts = Counter(sequence)
    dropped = counts.pop("", 0)
    return (list(counts), list(map(float, counts.values())), list(map(encode_count, counts.values())),
            len(sequence) - dropped)


#: Positions 0, 1, 2, ... to copy a document's from (most fields are shorter).
_COUNTING = array("I", range(4096))


class Encoded:
    """Postings' Whoosh values as arrays: each posting's count (its weight, and a Frequency
    field's value) and, for a Positions field, the gaps of its positions (the first from 0)."""

    __slots__ = ("bounds", "counts", "gaps")

    def __init__(self, counts: np.ndarray, gaps: np.ndarray | None, bounds: np.ndarray | None = None):
        self.counts, self.gaps = counts, gaps
        if bounds is None and gaps is not None:
            bounds = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=bounds[1:])
        self.bounds = bounds  # (where each posting's gaps start)

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, part: slice) -> Encoded:
        start, stop, _ = part.indices(len(self.counts))
        if self.gaps is None or self.bounds is None:
            return Encoded(self.counts[start:stop], None)
        low, high = int(self.bounds[start]), int(self.bounds[stop])
        return Encoded(self.counts[start:stop], self.gaps[low:high], self.bounds[start:stop + 1] - low)

    def tolist(self) -> list[bytes]:
        """Each posting's value as `formats.Frequency` or `formats.Positions` encodes it
        (through the memoised encoders: one bytes object per count, or single position)."""
        counts = self.counts.tolist()
        if self.gaps is None:
            return list(map(encode_count, counts))
        gaps, out, at = self.gaps.tolist(), [], 0
        for count in counts:
            if count == 1:  # (a position is its own first gap)
                out.append(encode_positions(gaps[at:at + 1]))
            else:
                out.append(pack_uint(count) + dumps(gaps[at:at + count], 2))
            at += count
        return out


class Numbering(dict):
    """Term -> number, a new term numbered next when first looked up (`numbers[term]`): the
    words of a document are numbered by one `map` over them, without a pass for the new ones."""

    __slots__ = ()

    def __missing__(self, term: str | bytes) -> int:
        number = self[term] = len(self)
        return number


class Occurrences:
    """One field's words in the order added (documents in increasing order): each word's term
    number and, in a Positions field, position; each document's number and count of words."""

    __slots__ = ("counts", "docs", "positional", "positions", "term_nos")

    def __init__(self, positional: bool):
        self.positional = positional
        self.term_nos, self.positions = array("I"), array("I")
        self.docs, self.counts = array("I"), array("I")

    def __len__(self) -> int:
        return len(self.term_nos)

    def add(self, numbers: Numbering, docnum: int, sequence: list[str]) -> int:
        """Add a document's term at each position ("" for a dropped word, which keeps its
        position), numbering new terms in `numbers`; the field's length (words kept)."""
        kept = None
        if "" in sequence:
            kept = [pos for pos, word in enumerate(sequence) if word]
            sequence = [sequence[pos] for pos in kept]
        count = len(sequence)
        self.term_nos.fromlist(list(map(numbers.__getitem__, sequence)))
        self.docs.append(docnum)
        self.counts.append(count)
        if self.positional:
            if kept is not None:
                self.positions.fromlist(kept)
            else:
                self.positions += _COUNTING[:count] if count <= len(_COUNTING) else array("I", range(count))
        return count

    def grouped(self, rank: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Encoded]:
        """The postings in the order of the terms' `rank` (`size` terms), each term's in
        document order: document numbers, weights, where each term's postings start, values."""
        numbers = rank[np.frombuffer(self.term_nos, dtype=np.uint32)]
        order = term_order(numbers, size)
        docs = np.repeat(np.frombuffer(self.docs, dtype=np.uint32), np.frombuffer(self.counts, dtype=np.uint32))
        terms, docs = numbers[order], docs[order]
        heads = _heads(terms, docs)
        counts = np.diff(np.append(heads, len(terms)))
        starts = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms[heads], minlength=size), out=starts[1:])
        gaps = None
        if self.positional:
            positions = np.frombuffer(self.positions, dtype=np.uint32)[order].astype(np.int64)
            gaps = positions.copy()
            gaps[1:] -= positions[:-1]
            gaps[heads] = positions[heads]
        return docs[heads], counts.astype(np.float32), starts, Encoded(counts, gaps)

    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[bytes]]:
        """The postings with the terms' own numbers, each term's in document order: term
        numbers, document numbers, weights and encoded values (for a field that gets postings
        of another kind after these, of later documents)."""
        terms = np.frombuffer(self.term_nos, dtype=np.uint32)
        size = int(terms.max()) + 1 if len(terms) else 0
        ids, weights, starts, values = self.grouped(np.arange(size, dtype=np.uint32), size)
        return np.repeat(np.arange(size, dtype=np.uint32), np.diff(starts)), ids, weights, values.tolist()


def term_order(numbers: np.ndarray, size: int) -> np.ndarray:
    """`np.argsort(numbers, kind="stable")` for term numbers below `size`, by NumPy's radix sort
    of 16-bit keys (a pass, or two from 65,536 terms on), three to four times faster than its
    merge sort of 32-bit ones."""
    if size <= 1 << 16:
        return np.argsort(numbers.astype(np.uint16), kind="stable")
    order = np.argsort((numbers & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((numbers[order] >> 16).astype(np.uint16), kind="stable")]


def _heads(terms: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Where each posting (a term in a document) starts in occurrences sorted by term, then document."""
    new = np.ones(len(terms), dtype=bool)
    new[1:] = (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])
    return np.flatnonzero(new)
