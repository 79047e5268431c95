"""A field's terms written as packed posting blocks all at once (a segment's in-memory pool).

Each block of each term gets the bytes `packing.pack` and `CompactPostingsWriter` give it, and
each term the statistics Whoosh's writer would keep, but made by numpy for every block of a
run of terms at once: each array measured (narrowest type per block), the blocks' bytes and
headers laid out in one buffer (`put_ragged`, `copy_ragged`), and the terms' statistics
given to the term table as columns (`TermTableWriter.add_many`). Python loops only over the
blocks long enough to be compressed and the few terms of several blocks or fractional
weights: most terms hold a posting or a few, where per-term work was most of a build's time.
A field whose values are not Existence, whole Frequency counts or positions Whoosh wrote goes
term by term (`one_by_one`), as does a segment of another codec (Whoosh's own, in an index
about to be set aside and rebuilt). `tests/test_index_bulk.py` and
`tests/test_index_fieldblocks.py` compare the files with that writer's.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from ._whoosh import formats, pack_ushort
from .occurrences import Encoded
from .packing import (
    COMPRESS_FROM,
    COUNTS,
    HEADER,
    LENGTHS,
    NONE,
    POSITIONS,
    CompactPostingsWriter,
    Unsupported,
    array_codes,
    many_gaps,
    spans,
)
from .terms import CompactFieldWriter, info_columns

#: The values a block keeps, by the field's Whoosh format.
_KINDS = {formats.Existence: NONE, formats.Frequency: COUNTS, formats.Positions: POSITIONS}
_NO_LENGTH = np.iinfo(np.int64).max


class TermInfo:
    """What the term table keeps of a term (the attributes of Whoosh's `W3TermInfo` it reads)."""

    __slots__ = ("_df", "_length", "_maxid", "_maxlength", "_maxweight", "_minid", "_minlength", "_offset", "_weight")

    def is_inlined(self) -> bool:
        return False


class _Arrays:
    """One array of a field cut into parts at `bounds` (per block, or per posting), each part
    stored in the narrowest unsigned type holding it (`packing.array_codes`) behind that code,
    as `packing.put_array` stores an array."""

    def __init__(self, values: np.ndarray, bounds: np.ndarray):
        self.values = values
        tops = np.maximum.reduceat(values, bounds[:-1]) if len(values) else np.zeros(len(bounds) - 1, np.int64)
        empty = bounds[:-1] == bounds[1:]
        tops[empty] = 0
        self.codes = array_codes(tops)
        self.bounds = bounds

    def sizes(self, parts: slice | np.ndarray = slice(None)) -> np.ndarray:
        """The bytes each of `parts` takes (its code, then its values)."""
        return 1 + np.diff(self.bounds)[parts] * self.codes[parts]

    def put(self, out: np.ndarray, at: np.ndarray, parts: slice | np.ndarray = slice(None)) -> None:
        """Write each of `parts` into `out` from `at` on (an offset a part)."""
        codes = self.codes[parts]
        out[at] = codes
        put_ragged(out, at + 1, self.values, self.bounds[:-1][parts], self.bounds[1:][parts], codes)


#: Postings packed at a time: the arrays `_Blocks` makes (and `many_gaps` on the way) take
#: some 200 bytes a posting, so a segment's writer stays within some 25 MB of what it took
#: before (a reindex of 20,000 records: 263 MB at most per process term by term, 288 MB so,
#: 408 MB with chunks of 1,048,576 postings; no faster).
CHUNK = 1 << 17
#: `HEADER` as a numpy record, to make every block's header at once.
_HEADER = np.dtype([("size", "<i4"), ("count", "<u2"), ("last", "<u4"), ("top", "<f4"), ("used", "u1"),
                    ("shortest", "u1"), ("longest", "u1")])
assert _HEADER.itemsize == HEADER.size


def put_ragged(out: np.ndarray, at: np.ndarray, values: np.ndarray, low: np.ndarray, high: np.ndarray,
               widths: np.ndarray) -> None:
    """Write `values[low[i]:high[i]]` into `out` from `at[i]` on as little-endian unsigned
    integers of `widths[i]` bytes (1, 2 or 4), for every i at once."""
    for width in (1, 2, 4):
        chosen = widths == width
        counts = (high - low)[chosen]
        if not counts.sum():
            continue
        found = values[spans(low[chosen], counts)]
        where = spans(at[chosen], counts, step=width)
        if width == 1:
            out[where] = found
        else:
            out[where[:, None] + np.arange(width)] = found.astype(f"<u{width}").view(np.uint8).reshape(-1, width)


def copy_ragged(out: np.ndarray, at: np.ndarray, source: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """Copy `source[low[i]:high[i]]` into `out` from `at[i]` on, for every i at once."""
    counts = high - low
    out[spans(at, counts)] = source[spans(low, counts)]


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
    `first_blocks[i]` to `first_blocks[i + 1]` (None: term by term): the blocks' bytes made
    and written together, and the terms' statistics given to the term table as columns; a term
    whose statistics `_Blocks.term_info` leaves to Whoosh's writer goes term by term."""
    if blocks is None:
        for number in numbers:
            one_by_one(number)
        return
    postfile, table = fieldwriter._postwriter._postfile, fieldwriter._tindex
    bounds = np.array(first_blocks, dtype=np.int64)
    stream, at = blocks.stream(fieldwriter._postwriter._compression, bounds[1:] - 1)
    stats, by_whoosh = blocks.term_stats(bounds)
    places = at[bounds].tolist()
    prefix = pack_ushort(fieldwriter._fieldid)
    names = [prefix + keys[number] for number in numbers]
    begin = 0
    for end in [*by_whoosh, len(names)]:
        if begin < end:
            shift = postfile.tell() - places[begin]
            postfile.write(stream[places[begin]:places[end]].data)
            offsets = [place + shift for place in places[begin:end]]
            sizes = [b - a for a, b in zip(places[begin:end], places[begin + 1:end + 1], strict=True)]
            table.add_many(names[begin:end], [column[begin:end] for column in stats] + [offsets, sizes])
        if end < len(names):
            one_by_one(numbers.start + end)
        begin = end + 1


class _Blocks:
    """The data and statistics of each block of a run of a field's terms (`starts`: where each
    block's postings start; a term of more postings than a block holds has several)."""

    def __init__(self, kind: int, ids: np.ndarray, weights: np.ndarray, starts: np.ndarray,
                 values: np.ndarray | None, lengths: np.ndarray | None):
        self.ids = ids = ids.astype(np.int64)
        self.kind = kind
        self.bounds = starts
        self.postings = np.diff(starts)  # (each block's)
        self.last_id_array = ids[starts[1:] - 1]
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
        self.ones_array = np.minimum.reduceat(w == 1, heads)
        self.whole_array = np.minimum.reduceat(whole, heads)
        self.sum_array = np.add.reduceat(w, heads)
        self.top_array = np.maximum(np.maximum.reduceat(w, heads), 0.0)
        self.weight_values = w
        self.counts = _Arrays(np.where(whole, w, 0).astype(np.int64), starts)

    def _lengths(self, ids: np.ndarray, lengths: np.ndarray | None, starts: np.ndarray) -> None:
        """Each block's shortest (`_NO_LENGTH`: none) and longest field length, and both as the
        length bytes of its header (`length_to_byte`, for all blocks at once)."""
        heads = starts[:-1]
        if lengths is None:
            self.shortest, self.longest = np.full(len(heads), _NO_LENGTH), np.zeros(len(heads), np.int64)
            self.length_bytes = (np.zeros(len(heads), np.int64), np.zeros(len(heads), np.int64))
            return
        found = lengths[ids]
        self.shortest = shortest = np.minimum.reduceat(np.where(found == 0, _NO_LENGTH, found), heads)
        self.longest = longest = np.maximum.reduceat(found, heads)
        self.length_bytes = (np.where(shortest == _NO_LENGTH, 0, _length_bytes(shortest)),
                             _length_bytes(np.maximum(longest, 0)))

    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """Every block's data as `packing.pack` makes it, joined, and where each starts (then
        where the last ends): the first document number, the gaps, the weights (none when all
        are 1, whole counts, or float32), the kind and a Positions field's counts and gaps."""
        n, heads = self.postings, self.bounds[:-1]
        ones, whole = self.ones_array, self.whole_array & ~self.ones_array
        floats = ~(self.whole_array | self.ones_array)
        weight_sizes = np.where(ones, 1, np.where(whole, self.counts.sizes(), 1 + 4 * n))
        sizes = 4 + self.gaps.sizes(slice(0, None, 2)) + weight_sizes + 1
        if self.positions is not None:
            sizes += self.positions[0].sizes() + self.positions[1].sizes()
        at = np.zeros(len(n) + 1, dtype=np.int64)
        np.cumsum(sizes, out=at[1:])
        out = np.empty(int(at[-1]), dtype=np.uint8)
        put_ragged(out, at[:-1], self.ids, heads, heads + 1, np.full(len(n), 4))
        place = at[:-1] + 4
        self.gaps.put(out, place, slice(0, None, 2))
        place = place + self.gaps.sizes(slice(0, None, 2))
        out[place[ones]] = 0
        self.counts.put(out, place[whole], whole)
        if floats.any():
            out[place[floats]] = 8
            bits = self.weight_values.astype("<f4").view("<u4").astype(np.int64)
            put_ragged(out, place[floats] + 1, bits, heads[floats], self.bounds[1:][floats],
                       np.full(int(floats.sum()), 4))
        place = place + weight_sizes
        out[place] = self.kind
        if self.positions is not None:
            counts, gaps = self.positions
            counts.put(out, place + 1, slice(None))
            gaps.put(out, place + 1 + counts.sizes(), slice(None))
        return out, at

    def stream(self, level: int, lasts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every block as `CompactPostingsWriter` writes it (its header, then its data, zlib at
        `level` from `COMPRESS_FROM` bytes on), joined, and where each starts (then where the
        last ends); `lasts`: the blocks that end a term (their size is kept negative)."""
        data, at = self.packed()
        sizes = np.diff(at)
        squeezed = np.flatnonzero(sizes >= COMPRESS_FROM) if level else np.zeros(0, np.int64)
        starts = at.tolist()
        packed = [zlib.compress(data[starts[b]:starts[b + 1]], level) for b in squeezed.tolist()]
        final = sizes.copy()
        final[squeezed] = [len(z) for z in packed]
        heads = np.zeros(len(sizes), dtype=_HEADER)
        heads["size"] = final
        heads["size"][lasts] *= -1
        heads["count"], heads["last"], heads["top"] = self.postings, self.last_id_array, self.top_array
        heads["used"][squeezed] = level
        heads["shortest"], heads["longest"] = self.length_bytes
        where = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(final + HEADER.size, out=where[1:])
        out = np.empty(int(where[-1]), dtype=np.uint8)
        copy_ragged(out, where[:-1], heads.view(np.uint8), np.arange(len(sizes)) * HEADER.size,
                    np.arange(1, len(sizes) + 1) * HEADER.size)
        plain = np.ones(len(sizes), dtype=bool)
        plain[squeezed] = False
        copy_ragged(out, where[:-1][plain] + HEADER.size, data, at[:-1][plain], at[1:][plain])
        for b, z in zip(squeezed.tolist(), packed, strict=True):
            start = int(where[b]) + HEADER.size
            out[start:start + len(z)] = np.frombuffer(z, dtype=np.uint8)
        return out, where

    def term_stats(self, bounds: np.ndarray) -> tuple[list[list[Any]], list[int]]:
        """The statistics of each term of blocks `bounds[i]` to `bounds[i + 1]` as the term table
        keeps them (`terms.STATISTICS` but where its blocks are), and the terms left to Whoosh's
        writer (`term_info`): most terms, one block of whole weights, all at once."""
        firsts, lasts = bounds[:-1], bounds[1:] - 1
        shortest, longest = self.length_bytes
        stats = [(self.bounds[lasts + 1] - self.bounds[firsts]).tolist(), self.sum_array[firsts].tolist(),
                 shortest[firsts].tolist(), longest[firsts].tolist(), self.top_array[firsts].tolist(),
                 self.ids[self.bounds[firsts]].tolist(), self.last_id_array[lasts].tolist()]
        by_whoosh = []
        for i in np.flatnonzero((lasts != firsts) | ~self.whole_array[firsts]).tolist():
            info = self.term_info(int(bounds[i]), int(bounds[i + 1]))
            if info is None:
                by_whoosh.append(i)
            else:
                for column, value in zip(stats, info_columns([info]), strict=False):  # (not its place)
                    column[i] = value[0]
        return stats, by_whoosh

    def term_info(self, first: int, end: int) -> TermInfo | None:
        """The statistics of the term of blocks `first` to `end` as Whoosh's writer keeps them
        (`W3TermInfo.add_block` block after block); None when its lengths are ones that writer
        fails on (a block without lengths after one with them), left to that writer."""
        info = TermInfo()
        bounds = self.bounds[first:end + 1].tolist()
        info._df = bounds[-1] - bounds[0]
        if self.whole_array[first:end].all():
            info._weight = sum(self.sum_array[first:end].tolist())
        else:
            info._weight = 0
            for low, high in pairwise(bounds):
                info._weight += sum(self.weight_values[low:high].tolist())
        shortest, *later = [None if n == _NO_LENGTH else n for n in self.shortest[first:end].tolist()]
        for length in later:
            if shortest is None:
                shortest = length
            elif length is None:
                return None
            else:
                shortest = min(shortest, length)
        info._minlength, info._maxlength = shortest, max(0, *self.longest[first:end].tolist())
        info._maxweight = max(0.0, *self.top_array[first:end].tolist())
        info._minid, info._maxid = int(self.ids[bounds[0]]), int(self.last_id_array[end - 1])
        info._offset = info._length = 0  # (where its blocks are: the caller's)
        return info


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
