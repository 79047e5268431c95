"""Posting blocks packed as little-endian arrays, in place of Whoosh's pickled tuples.

Whoosh 2.7.4 pickles each block of postings: every document gap an opcode and a byte, every
weight an opcode and a double, every posting's positions a pickle of their own, so a posting
of the text field took about 12 bytes on disk. `codec.CompactCodec` writes the same segment
files with each block's data packed instead: the first document number, the gaps after it, the
weights when they are not all 1 (whole counts as integers), and for a Positions field each
posting's number of positions and the gaps between them, every array in the narrowest
unsigned type that holds it, then zlib (unless the block is short), behind a fixed header in
place of Whoosh's tag per term and pickled tuple per block. The fast path reads blocks with
`unpack`; Whoosh's own query code reads them through `CompactLeafMatcher`, which gives it
the values its formats expect.
"""

from __future__ import annotations

import bisect
import pickle
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from ._whoosh import byte_to_length, formats, length_to_byte, pack_uint, whoosh3

#: The field length each length byte stands for (`byte_to_length`); `length_to_byte` gives a
#: length the byte of where it would go in this table (lengths from 106,374: 255).
LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)
#: Each block's header, in place of Whoosh's tag per term and pickled tuple per block: the data's
#: length (negative for a term's last block), postings, last document number, highest weight,
#: zlib level (0: stored as is), shortest and longest field length (Whoosh's length bytes).
HEADER = struct.Struct("<iHIfBBB")
#: Data shorter than this is stored as is: zlib's own header and checksum would outweigh it.
COMPRESS_FROM = 48
#: Postings per block: our readers take a term's blocks whole, so larger blocks only save
#: per-block overhead (Whoosh's 128 is for its matcher's skipping).
BLOCK_LIMIT = 1024
#: Array codes: the width in bytes of an unsigned integer, or 8 for float32.
_DTYPES = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<f4")}
#: A block's first document number, before the gaps.
FIRST = struct.Struct("<I")
#: `put_array`'s rule: an array's code is the first width whose bound is above its largest value.
_WIDTHS = (1, 2, 4)
_WIDTH_BOUNDS = (1 << 8, 1 << 16)
_LETTERS = {1: "B", 2: "H", 4: "I"}
#: What a block keeps as values: nothing (Existence), the weights as whole counts (Frequency),
#: position counts and gaps (Positions), fixed-size bytes, or a pickled tuple (any other format).
NONE, COUNTS, POSITIONS, FIXED, PICKLED = range(5)


class Unsupported(Exception):
    """A query (or index) the fast path cannot evaluate exactly; Whoosh answers it instead."""


@dataclass
class Block:
    """One block's postings: absolute document numbers, weights, and values by `kind`
    (POSITIONS: `counts` and the `gaps` of each posting's positions, its first gap from 0;
    FIXED: the joined bytes; PICKLED: the tuple of values)."""

    ids: np.ndarray
    weights: np.ndarray
    kind: int = NONE
    counts: np.ndarray | None = None
    gaps: np.ndarray | None = None
    raw: Any = None


def put_array(out: list[bytes], values: list[int]) -> None:
    """Append the narrowest unsigned code holding `values` (non-negative integers) and them."""
    code = _WIDTHS[bisect.bisect_right(_WIDTH_BOUNDS, max(values, default=0))]
    out += [bytes((code,)), struct.pack(f"<{len(values)}{_LETTERS[code]}", *values)]


def array_codes(tops: np.ndarray) -> np.ndarray:
    """`put_array`'s code for arrays whose largest values are `tops`, all at once."""
    return np.take(_WIDTHS, np.searchsorted(_WIDTH_BOUNDS, tops, side="right"))


def whole_numbers(values: list[float]) -> bool:
    """Whether `values` are all whole numbers that `put_array` can hold."""
    return all(map(float.is_integer, values)) and min(values, default=0) >= 0 and max(values, default=0) < 2**32


def put_numbers(out: list[bytes], values: list[float], whole: bool) -> None:
    """Append float32 `values` as `put_array` integers when `whole`, else as float32 (code 8)."""
    if whole:
        put_array(out, [int(x) for x in values])
    else:
        out += [b"\x08", struct.pack(f"<{len(values)}f", *values)]


def take_array(data: bytes, at: int, count: int) -> tuple[np.ndarray, int]:
    """The array `put_array` wrote at `at` (`count` items, as int64 or float64) and where it ends."""
    dtype = _DTYPES.get(data[at])
    if dtype is None:
        raise Unsupported(f"an unknown array code {data[at]} in a posting block")
    end = at + 1 + count * dtype.itemsize
    if end > len(data):
        raise Unsupported("a posting block shorter than its arrays")
    found = np.frombuffer(data, dtype, count, at + 1)
    return found.astype(np.float64 if dtype.kind == "f" else np.int64), end


def pack(ids: Sequence[int], weights: Sequence[float], values: Sequence[Any] | None, fmt: Any) -> bytes:
    """A block's data: `ids` ascending document numbers, `weights` (kept as float32, as
    Whoosh's writer keeps them), `values` as the field's Whoosh format encodes them.

    Plain Python with `struct` (most blocks hold one posting or a few, where numpy's fixed
    costs would be most of the time); `unpack` reads them with numpy."""
    ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
    w = [float(x) for x in weights]
    n = len(ids)
    out = [FIRST.pack(ids[0])]
    put_array(out, [b - a for a, b in pairwise(ids)])
    whole = whole_numbers(w)
    if w.count(1.0) == n:
        out.append(b"\x00")
    else:
        put_numbers(out, w, whole)
    out.append(_values(values, w, whole, fmt))
    return b"".join(out)


def _values(values: Sequence[Any] | None, w: list[float], whole: bool, fmt: Any) -> bytes:
    """The values part of a block (see `NONE` ... `PICKLED`)."""
    size = fmt.fixed_value_size()
    if size == 0 or values is None:
        return bytes((NONE,))
    joined = _joined(values) if size and size > 0 else None
    if joined is not None and set(map(len, values)) == {size}:
        if type(fmt) is formats.Frequency and whole and joined == struct.pack(f">{len(w)}I", *map(int, w)):
            return bytes((COUNTS,))
        return bytes((FIXED,)) + joined
    if type(fmt) is formats.Positions:
        try:
            counts, gaps = position_gaps(values)
        except Unsupported:
            pass
        else:
            out = [bytes((POSITIONS,))]
            put_array(out, counts)
            put_array(out, gaps)
            return b"".join(out)
    return bytes((PICKLED,)) + pickle.dumps(tuple(values), 2)


def _joined(values: Sequence[Any]) -> bytes | None:
    """The values joined, or None when some are not bytes."""
    try:
        return b"".join(values)
    except TypeError:
        return None


def unpack(data: bytes, count: int, values: bool = True) -> Block:
    """A block `pack` wrote, of `count` postings; without `values`, only ids and weights are
    read (`data` may then be cut after them: see `head_size`)."""
    if len(data) < FIRST.size + 2:
        raise Unsupported("a posting block shorter than its header")
    gaps, at = take_array(data, FIRST.size, count - 1)
    ids = np.empty(count, dtype=np.int64)
    ids[0] = FIRST.unpack_from(data)[0]
    np.cumsum(gaps, out=ids[1:])
    ids[1:] += ids[0]
    if data[at] == 0:
        weights, at = np.ones(count), at + 1
    else:
        weights, at = take_array(data, at, count)
    block = Block(ids, weights)
    if values:
        _read_values(block, data, at, count)
    return block


def head_size(count: int) -> int:
    """Bytes enough for a block's ids and weights (the most `unpack` without values reads)."""
    return FIRST.size + 2 + 8 * count


def _read_values(block: Block, data: bytes, at: int, count: int) -> None:
    if at >= len(data):
        raise Unsupported("a posting block without its values")
    block.kind = kind = data[at]
    if kind == POSITIONS:
        block.counts, at = take_array(data, at + 1, count)
        block.gaps, _ = take_array(data, at, int(block.counts.sum()))
    elif kind == FIXED:
        block.raw = data[at + 1:]
    elif kind == PICKLED:
        block.raw = pickle.loads(data[at + 1:])  # noqa: S301 - the index's own files, written by `pack`
    elif kind not in (NONE, COUNTS):
        raise Unsupported(f"an unknown kind of values {kind} in a posting block")


def positions_of(blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
    """Each posting's number of positions and all positions, flat, of POSITIONS blocks."""
    if any(b.kind != POSITIONS or b.counts is None or b.gaps is None for b in blocks):
        raise Unsupported("postings without a position value each")
    counts = np.concatenate([b.counts for b in blocks]) if len(blocks) != 1 else blocks[0].counts
    gaps = np.concatenate([b.gaps for b in blocks]) if len(blocks) != 1 else blocks[0].gaps
    return counts, absolute(counts, gaps)


def absolute(counts: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Positions from the gaps between them, each posting's first gap counted from 0."""
    if not len(gaps):
        return gaps
    total = np.cumsum(gaps)
    first = np.cumsum(counts) - counts
    return total - np.repeat(total[first] - gaps[first], counts)


def whoosh_values(block: Block, fmt: Any) -> tuple[Any, ...]:
    """A block's values as the field's Whoosh format encodes them (for Whoosh's matchers)."""
    n = len(block.ids)
    if block.kind == NONE:
        return (None,) * n
    if block.kind == COUNTS:
        return tuple(pack_uint(int(w)) for w in block.weights)
    if block.kind == FIXED:
        size = fmt.fixed_value_size()
        return tuple(block.raw[i:i + size] for i in range(0, n * size, size))
    if block.kind == PICKLED:
        return tuple(block.raw)
    counts, flat = positions_of([block])
    ends = np.cumsum(counts).tolist()
    flat_list = flat.tolist()
    return tuple(fmt.encode(flat_list[end - c:end]) for c, end in zip(counts.tolist(), ends, strict=True))


# -- Whoosh's position values ------------------------------------------------------------------

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
#: Fewer values than this are unpickled one by one (numpy's fixed costs are larger).
_FEW = 24


def position_gaps(values: Sequence[bytes]) -> tuple[list[int], list[int]]:
    """Each posting's position count and the gaps of its positions (its first from 0), flat,
    from `formats.Positions` values (what Whoosh and `occurrences.positional_items` write)."""
    if len(values) < _FEW:
        return _few_gaps(values)
    counts, gaps = many_gaps(values)
    return counts.tolist(), gaps.tolist()


def _few_gaps(values: Sequence[bytes]) -> tuple[list[int], list[int]]:
    counts: list[int] = []
    gaps: list[int] = []
    for value in values:
        if not isinstance(value, bytes) or len(value) < _PREFIX + 4 or not value.startswith(_HEAD, _COUNT):
            raise Unsupported("position values not as Whoosh 2.7.4 writes them")
        try:
            found = pickle.loads(value[_COUNT:])  # noqa: S301 - the index's own values, as Whoosh reads them
        except (pickle.UnpicklingError, EOFError, ValueError) as error:
            raise Unsupported(f"a position value that cannot be read ({error})") from error
        if not isinstance(found, list) or not found or len(found) != int.from_bytes(value[:_COUNT], "big"):
            raise Unsupported("position values hold other counts than they say")
        counts.append(len(found))
        gaps += found
    return counts, gaps


def many_gaps(values: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """`position_gaps` of many values at once, as numpy arrays."""
    n = len(values)
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
    at = spans(starts[small] + _PREFIX + np.where(counts[small] == 1, 1, 2), counts[small], step=2)
    closing = np.where(counts[small] == 1, _APPEND, _APPENDS)
    if (raw[at - 1] != _BININT1).any() or (raw[ends[small] - 2] != closing).any():
        small[:] = False
    else:
        gaps[spans(first[small], counts[small])] = raw[at]
    rest = ~small
    if rest.any():  # the others spliced into one pickled list, read by pickle
        body = raw[spans(starts[rest] + _PREFIX, lengths[rest] - _PREFIX - 1)].tobytes()
        found = pickle.loads(_LIST + body + _STOP)  # noqa: S301 - the index's own values, as Whoosh reads them
        if not isinstance(found, list) or len(found) != int(counts[rest].sum()):
            raise Unsupported("position values hold other counts than they say")
        gaps[spans(first[rest], counts[rest])] = np.fromiter(found, dtype=np.int64, count=len(found))
    return counts, gaps


def spans(start: np.ndarray, counts: np.ndarray, step: int = 1) -> np.ndarray:
    """Flat indices start[i], start[i] + step, ... (counts[i] of them) for every i, in order."""
    placed = np.cumsum(counts) - counts
    return np.repeat(start - step * placed, counts) + step * np.arange(int(counts.sum()))


# -- the codec ---------------------------------------------------------------------------------


class CompactPostingsWriter(whoosh3.W3PostingsWriter):
    """Whoosh's block writer with each block's data packed (`pack`) instead of pickled, behind
    a fixed header (`HEADER`)."""

    def _write_block(self, last: bool = False) -> None:
        if self._byteids:  # term vectors (not used by this index): Whoosh's own blocks
            super()._write_block(last)
            return
        self._terminfo.add_block(self)
        data = pack(self._ids, self._weights, self._values, self._format)
        level = self._compression if len(data) >= COMPRESS_FROM else 0
        if level:
            data = zlib.compress(data, level)
        self._postfile.write(HEADER.pack(-len(data) if last else len(data), len(self._ids), self._ids[-1],
                                         self._maxweight, level, length_to_byte(self._minlength),
                                         length_to_byte(self._maxlength)))
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class CompactLeafMatcher(whoosh3.W3LeafMatcher):
    """Whoosh's matcher over packed blocks: each block is unpacked once, its values given back
    as the field's Whoosh format encodes them."""

    def _read_header(self) -> None:
        self._baseoffset = self._startoffset  # (no tag: the codec is known from the segment)

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        size, self._blocklength, self._maxid, self._maxweight, self._compression, shortest, longest = \
            HEADER.unpack(self._postfile.get(position, HEADER.size))
        if size < 0:
            self._lastblock, size = True, -size
        self._dataoffset = position + HEADER.size
        self._nextoffset = self._dataoffset + size
        self._minlength, self._maxlength = byte_to_length(shortest), byte_to_length(longest)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        self._data = unpack(zlib.decompress(data) if self._compression else data, self._blocklength)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = self._data.ids.tolist()

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = self._data.weights.tolist()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        self._values = whoosh_values(self._data, self.format)
