"""A field's terms written as packed posting blocks all at once (a segment's in-memory pool).

Each block of each term gets the bytes `packing.pack` and `CompactPostingsWriter` give it, and
each term the term info Whoosh's writer would keep, but the arrays of every block of the field
are measured (narrowest type per array), cut and converted by numpy in one go, so the loop
over the terms only joins, compresses and writes: most terms hold a posting or a few, where
the per-term work of the term-by-term writer was most of a build's time, and the common terms
of several blocks hold most postings. A field whose values are not Existence, whole Frequency
counts or positions Whoosh wrote goes term by term (`one_by_one`), as does a segment of another
codec (Whoosh's own, in an index about to be set aside and rebuilt). `tests/test_index_bulk.py`
compares the files with that writer's.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._whoosh import byte_to_length, formats, pack_ushort
from .occurrences import Encoded
from .packing import (
    COMPRESS_FROM,
    COUNTS,
    HEADER,
    NONE,
    POSITIONS,
    CompactPostingsWriter,
    Unsupported,
    array_codes,
    many_gaps,
    spans,
)
from .terms import CompactFieldWriter

#: The values a block keeps, by the field's Whoosh format.
_KINDS = {formats.Existence: NONE, formats.Frequency: COUNTS, formats.Positions: POSITIONS}
_NO_LENGTH = np.iinfo(np.int64).max


class TermInfo:
    """What the term table keeps of a term (the attributes of Whoosh's `W3TermInfo` it reads)."""

    __slots__ = ("_df", "_length", "_maxid", "_maxlength", "_maxweight", "_minid", "_minlength", "_offset", "_weight")

    def is_inlined(self) -> bool:
        return False


class _Arrays:
    """One array of a field cut into parts at `bounds` (per block, or per posting) and stored in
    the narrowest unsigned type holding each part (`packing.array_codes`): `part(i)` is part
    `i`'s code and bytes."""

    def __init__(self, values: np.ndarray, bounds: np.ndarray):
        self.values = values
        tops = np.maximum.reduceat(values, bounds[:-1]) if len(values) else np.zeros(len(bounds) - 1, np.int64)
        empty = bounds[:-1] == bounds[1:]
        tops[empty] = 0
        self.codes = array_codes(tops)
        self.starts, self.ends = bounds[:-1].tolist(), bounds[1:].tolist()
        self._bytes: dict[int, bytes] = {}

    def part(self, i: int) -> bytes:
        code = self.codes[i]
        raw = self._bytes.get(code)
        if raw is None:
            raw = self._bytes[code] = self.values.astype(f"<u{code}").tobytes()
        return bytes((code,)) + raw[self.starts[i] * code:self.ends[i] * code]


#: Postings packed at a time: the arrays `_Blocks` makes (and `many_gaps` on the way) take
#: some 200 bytes a posting, so a segment's writer stays within some 25 MB of what it took
#: before (a reindex of 20,000 records: 263 MB at most per process term by term, 288 MB so,
#: 408 MB with chunks of 1,048,576 postings; no faster).
CHUNK = 1 << 17


def write_terms(fieldwriter: Any, keys: Sequence[bytes], ids: np.ndarray, weights: np.ndarray, starts: np.ndarray,
                values: np.ndarray | None, lengths: np.ndarray | None, one_by_one: Callable[[int], None]) -> None:
    """Write the terms `keys` (ascending) of the field being written by `fieldwriter`, from the
    pool's arrays regrouped in their order (`ids`, `weights`, `values` and where each term's
    postings start, see `FieldPostings.by_term`), `CHUNK` postings at a time."""
    kind = _KINDS.get(type(fieldwriter._format))
    postwriter = fieldwriter._postwriter
    if kind is None or not (isinstance(fieldwriter, CompactFieldWriter) and type(postwriter) is CompactPostingsWriter):
        for number in range(len(keys)):
            one_by_one(number)
        return
    limit = postwriter._blocklimit
    first = 0
    while first < len(keys):
        last = max(int(np.searchsorted(starts, starts[first] + CHUNK, side="right")) - 1, first + 1)
        last = min(last, len(keys))
        low, high = int(starts[first]), int(starts[last])
        term_starts = starts[first:last + 1] - low
        counts = np.diff(term_starts)
        per_term = (counts + limit - 1) // limit
        block_starts = np.append(spans(term_starts[:-1], per_term, step=limit), high - low)
        blocks = _blocks(kind, ids[low:high], weights[low:high], block_starts,
                         None if values is None else values[low:high], lengths)
        first_blocks = np.concatenate([[0], np.cumsum(per_term)]).tolist()
        _write_chunk(fieldwriter, keys, range(first, last), first_blocks, blocks, one_by_one)
        first = last


def _write_chunk(fieldwriter: Any, keys: Sequence[bytes], numbers: range, first_blocks: list[int],
                 blocks: _Blocks | None, one_by_one: Callable[[int], None]) -> None:
    """Write the terms `numbers` of `keys`, term `numbers[i]` of the `blocks` from
    `first_blocks[i]` to `first_blocks[i + 1]` (None: term by term). The blocks' bytes are
    gathered and written together, at the end or before a term written term by term."""
    postwriter = fieldwriter._postwriter
    postfile, level, table = postwriter._postfile, postwriter._compression, fieldwriter._tindex
    prefix = pack_ushort(fieldwriter._fieldid)
    offset = postfile.tell()
    pending: list[bytes] = []
    for number in numbers:
        i = number - numbers.start
        info = None if blocks is None else blocks.term_info(first_blocks[i], first_blocks[i + 1])
        if info is None:
            postfile.write(b"".join(pending))
            pending = []
            one_by_one(number)
            offset = postfile.tell()
            continue
        start = offset
        for b in range(first_blocks[i], first_blocks[i + 1]):
            data = blocks.data(b)
            used = level if len(data) >= COMPRESS_FROM else 0
            if used:
                data = zlib.compress(data, used)
            size = -len(data) if b == first_blocks[i + 1] - 1 else len(data)
            head = HEADER.pack(size, *blocks.header(b), used, *blocks.header_lengths(b))
            pending += (head, data)
            offset += len(head) + len(data)
        info._offset, info._length = start, offset - start
        table.add(prefix + keys[number], info)
    postfile.write(b"".join(pending))


class _Blocks:
    """The data and statistics of each block of a run of a field's terms (`starts`: where each
    block's postings start; a term of more postings than a block holds has several)."""

    def __init__(self, kind: int, ids: np.ndarray, weights: np.ndarray, starts: np.ndarray,
                 values: np.ndarray | None, lengths: np.ndarray | None):
        ids = ids.astype(np.int64)
        self.kind = kind
        self.first = ids.astype("<u4").tobytes()
        self.starts, self.ends = starts[:-1].tolist(), starts[1:].tolist()
        self.first_ids, self.last_ids = ids[starts[:-1]].tolist(), ids[starts[1:] - 1].tolist()
        gaps = np.zeros(len(ids), dtype=np.int64)
        gaps[:-1] = np.diff(ids)
        gaps[starts[1:] - 1] = 0  # (from one block's last posting to the next block's first)
        self.gaps = _Arrays(gaps, np.column_stack([starts[:-1], starts[1:] - 1]).ravel())
        self._weights(weights, starts)
        self._lengths(ids, lengths, starts)
        self.positions: tuple[_Arrays, _Arrays] | None = None
        if kind == POSITIONS:
            if values is None:
                raise Unsupported("positions without values")
            position_counts, position_gaps = (values.counts, values.gaps) if isinstance(values, Encoded) \
                else many_gaps(values)
            bounds = np.concatenate([[0], np.cumsum(position_counts)])[starts]
            self.positions = (_Arrays(position_counts, starts), _Arrays(position_gaps, bounds))

    def _weights(self, weights: np.ndarray, starts: np.ndarray) -> None:
        heads = starts[:-1]
        w = weights.astype(np.float64)
        whole = (w == np.floor(w)) & (w >= 0) & (w < 2**32)
        self.ones = np.minimum.reduceat(w == 1, heads).tolist()
        self.whole = np.minimum.reduceat(whole, heads).tolist()
        self.sums = np.add.reduceat(w, heads).tolist()
        self.tops = np.maximum.reduceat(w, heads).tolist()
        self.weight_values = w
        self.counts = _Arrays(np.where(whole, w, 0).astype(np.int64), starts)
        self.float32 = weights.astype("<f4").tobytes()

    def _lengths(self, ids: np.ndarray, lengths: np.ndarray | None, starts: np.ndarray) -> None:
        """Each block's shortest (None: no length) and longest field length, and both as the
        length bytes of its header (`length_to_byte`, for all blocks at once)."""
        heads = starts[:-1]
        if lengths is None:
            self.shortest: list[Any] = [None] * len(heads)
            self.longest = [0] * len(heads)
            self.length_bytes = [(0, 0)] * len(heads)
            return
        found = lengths[ids]
        shortest = np.minimum.reduceat(np.where(found == 0, _NO_LENGTH, found), heads)
        longest = np.maximum.reduceat(found, heads)
        self.longest = longest.tolist()
        self.shortest = [None if n == _NO_LENGTH else n for n in shortest.tolist()]
        low = np.where(shortest == _NO_LENGTH, 0, _length_bytes(shortest))
        self.length_bytes = list(zip(low.tolist(), _length_bytes(np.maximum(longest, 0)).tolist(), strict=True))

    def data(self, i: int) -> bytes:
        """Term `i`'s block data, as `packing.pack` makes it."""
        start, end = self.starts[i], self.ends[i]
        out = [self.first[start * 4:start * 4 + 4], self.gaps.part(2 * i)]
        if self.ones[i]:
            out.append(b"\x00")
        elif self.whole[i]:
            out.append(self.counts.part(i))
        else:
            out += [b"\x08", self.float32[start * 4:end * 4]]
        if self.kind == POSITIONS:
            counts, gaps = self.positions
            out += [bytes((POSITIONS,)), counts.part(i), gaps.part(i)]
        else:
            out.append(bytes((self.kind,)))
        return b"".join(out)

    def header(self, i: int) -> tuple[int, int, float]:
        """Block `i`'s postings, last document number and highest weight, for its header."""
        return self.ends[i] - self.starts[i], self.last_ids[i], max(0.0, self.tops[i])

    def header_lengths(self, i: int) -> tuple[int, int]:
        """Block `i`'s shortest and longest field length, as its header keeps them."""
        return self.length_bytes[i]

    def term_info(self, first: int, end: int) -> TermInfo | None:
        """The statistics of the term of blocks `first` to `end` as Whoosh's writer keeps them
        (`W3TermInfo.add_block` block after block); None when its lengths are ones that writer
        fails on (a block without lengths after one with them), left to that writer."""
        info = TermInfo()
        if end == first + 1 and self.whole[first]:  # (most terms: one block of whole weights)
            info._df = self.ends[first] - self.starts[first]
            info._weight, info._maxweight = self.sums[first], max(0.0, self.tops[first])
            info._minlength, info._maxlength = self.shortest[first], max(0, self.longest[first])
            info._minid, info._maxid = self.first_ids[first], self.last_ids[first]
            return info
        info._df = self.ends[end - 1] - self.starts[first]
        if all(self.whole[first:end]):
            info._weight = sum(self.sums[first:end])
        else:
            info._weight = 0
            for b in range(first, end):
                info._weight += sum(self.weight_values[self.starts[b]:self.ends[b]].tolist())
        shortest = self.shortest[first]
        for b in range(first + 1, end):
            if shortest is None:
                shortest = self.shortest[b]
            elif self.shortest[b] is None:
                return None
            else:
                shortest = min(shortest, self.shortest[b])
        info._minlength, info._maxlength = shortest, max(0, *self.longest[first:end])
        info._maxweight = max(0.0, *self.tops[first:end])
        info._minid, info._maxid = self.first_ids[first], self.last_ids[end - 1]
        return info


#: The field length each length byte stands for (`byte_to_length`); `length_to_byte` gives a
#: length the byte of where it would go in this table (lengths from 106,374: 255).
LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


def _length_bytes(lengths: np.ndarray) -> np.ndarray:
    """`length_to_byte` of each of `lengths` (none None)."""
    return np.where(lengths >= 106374, 255, np.searchsorted(LENGTHS, lengths, side="left"))


def _blocks(kind: int, ids: np.ndarray, weights: np.ndarray, starts: np.ndarray, values: np.ndarray | None,
            lengths: np.ndarray | None) -> _Blocks | None:
    """The field's blocks, or None when its values are not what this writer packs (Frequency
    values other than the whole weights, positions Whoosh did not write)."""
    if kind == COUNTS and not isinstance(values, Encoded):  # (Encoded: counts made from the weights)
        if values is None or len(values) != len(ids):
            return None
        joined = b"".join(values)
        if len(joined) != 4 * len(ids) or not np.array_equal(np.frombuffer(joined, ">u4"), weights):
            return None
    try:
        return _Blocks(kind, ids, weights, starts, values, lengths)
    except Unsupported:
        return None
