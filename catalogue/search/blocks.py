"""A term's postings and a field's lengths, read from one segment of a whoosh==2.7.4 index.

The pinned version's private layouts (posting blocks, the lengths column) are read directly
and decoded with numpy, for `catalogue.search.scoring` to score; tested equal to what
Whoosh's own matchers and scorer read.
"""

from __future__ import annotations

import io
import pickle
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._whoosh import LENGTHS_COLUMN, byte_to_length

#: The tag at the start of a term's posting blocks, and the length in front of each block (whoosh3 codec).
_BLOCKS_MAGIC = b"W3Bl"
_BLOCK_LENGTH = struct.Struct("!i")
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


#: The start of a block's data, a protocol-2 pickle of (ids, weights, values): the ids (a tuple
#: of delta-coded ints: BININT1, BININT2 or BININT each) and the weights (a tuple of floats,
#: one float, or None), each tuple followed by its memo entry, then the values' first opcode
#: (None, a tuple, or bytes made by a global). Every opcode here has a fixed length, so the
#: match ends exactly where the values (the positions: most of the block) begin.
_IDS_AND_WEIGHTS = re.compile(
    rb"\x80\x02(?:\((?:K.|M..|J....)*t|(?:K.|M..|J....){1,3}[\x85-\x87])(?:q.|r....)?"
    rb"(?:\((?:G.{8})*t(?:q.|r....)?|(?:G.{8}){1,3}[\x85-\x87](?:q.|r....)?|G.{8}|N)(?=[N()c])", re.DOTALL)
#: Most bytes the ids and weights of a block of n postings take in that pickle: 14 n + this.
_PREFIX_SLACK = 32
#: The opcodes of a one-byte int (an id gap) and of a float (a weight) in that pickle, and a
#: weight as laid out there (opcode, big-endian double).
_K, _G = ord("K"), ord("G")
#: The first id's opcode: its bytes and layout (BININT1, BININT2, BININT).
_FIRST_ID = {b"K": (1, "<B"), b"M": (2, "<H"), b"J": (4, "<i")}
_TUPLE_START = b"\x80\x02("
_FLOATS = np.dtype([("op", "u1"), ("value", ">f8")])


class Unsupported(Exception):
    """A query (or index) this module cannot evaluate exactly; Whoosh answers it instead."""


EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_W = np.zeros(0, dtype=np.float64)


def _fixed_layout(head: bytes, count: int) -> tuple[np.ndarray, Any] | None:
    """The (delta-coded ids, weights) of a block's pickled data read with numpy when it has the
    usual layout of a frequent word's block: the first id any int, every later gap below 256
    (``K`` and one byte each), and the weights a tuple of floats (``G`` and 8 bytes each), None
    or one float; None when it has another layout (`_ids_and_weights` then unpickles it)."""
    first = _FIRST_ID.get(head[3:4])
    if count < 4 or first is None or head[:3] != b"\x80\x02(":
        return None
    size, fmt = first
    begin = 4 + size
    end = begin + 2 * (count - 1)
    if len(head) < end + 4 or head[end:end + 2] != b"tq":
        return None
    gaps = np.frombuffer(head, dtype=np.uint8, count=2 * (count - 1), offset=begin)
    if (gaps[0::2] != _K).any():
        return None
    ids = np.empty(count, dtype=np.int64)
    ids[0] = struct.unpack_from(fmt, head, 4)[0]
    ids[1:] = gaps[1::2]
    start = end + 3  # past the tuple's end and its memo entry (``q`` and one byte)
    kind = head[start:start + 1]
    if kind == b"N":
        return ids, None
    if kind == b"G":
        return ids, struct.unpack_from(">d", head, start + 1)[0]
    stop = start + 1 + 9 * count
    if kind != b"(" or len(head) <= stop or head[stop:stop + 1] != b"t":
        return None
    weights = np.frombuffer(head, dtype=_FLOATS, count=count, offset=start + 1)
    if (weights["op"] != _G).any():
        return None
    return ids, weights["value"].astype(np.float64)


def _ids_and_weights(data: bytes, compressed: bool, count: int) -> tuple[Any, Any]:
    """The (delta-coded ids, weights) of one block's data, without its values: only the start
    of the data is decompressed and read (the values after them, positions or frequencies,
    one pickled object per posting, are most of the block, and unpickling them is most of
    Whoosh's cost): with numpy at a fixed stride (`_fixed_layout`), else unpickled up to the
    values, or the whole block when its start is not laid out as expected."""
    head = zlib.decompressobj().decompress(data, _PREFIX_SLACK + 14 * count) if compressed else data
    fixed = _fixed_layout(head, count)
    if fixed is not None:
        return fixed
    found = _IDS_AND_WEIGHTS.match(head)
    if found is not None:
        ids, weights = pickle.loads(head[:found.end()] + b"\x86.")  # noqa: S301 - the index's own files; the pair, STOP
        if len(ids) == count and (weights is None or isinstance(weights, float) or len(weights) == count):
            return ids, weights
    return pickle.loads(zlib.decompress(data) if compressed else data)[:2]  # noqa: S301 - the index's own files


def _split(segment: Any, info: Any) -> Iterator[tuple[int, bool, bytes]]:
    """(count, compressed, data) of each posting block of a term that is not inlined.

    The term's posting blocks are read in one read and split here (each block: its length,
    negative for the last, a pickled header, then its pickled, maybe compressed, data), instead
    of Whoosh's matcher reading each header through many small reads of the compound file."""
    offset, length = info.extent()
    length = length[0] if isinstance(length, tuple) else length  # whoosh 2.7.4 reads it as a 1-tuple
    raw = segment._terms._postfile.get(offset, length)
    if raw[:4] != _BLOCKS_MAGIC:
        raise Unsupported(f"unknown posting blocks {raw[:4]!r}")
    stream, position = io.BytesIO(raw), 4
    while True:
        (size,) = _BLOCK_LENGTH.unpack_from(raw, position)
        end = position + _BLOCK_LENGTH.size + abs(size)
        if end > len(raw):
            raise Unsupported("posting blocks longer than their term's extent")
        stream.seek(position + _BLOCK_LENGTH.size)
        count, _, _, compressed, _, _ = pickle.load(stream)  # noqa: S301 - the index's own files, as Whoosh reads them
        yield count, bool(compressed), raw[stream.tell():end]
        if size < 0:
            break
        position = end


def term_blocks(segment: Any, fieldname: str, btext: bytes, *,
                values: bool = True) -> Iterator[tuple[np.ndarray, Any, Any]]:
    """Each posting block of a term in one segment: its document numbers, and its weights and
    values as Whoosh stored them (weights None when all are 1, a float when all are equal, or a
    tuple or array of floats; without `values`, None for them, and only the start of a block is
    read: see `_ids_and_weights`)."""
    info = segment._terms.term_info(fieldname, btext)
    if info.is_inlined():
        ids, weights, kept = info.inlined_postings()
        yield np.asarray(ids, dtype=np.int64), weights, kept if values else None
        return
    for count, compressed, data in _split(segment, info):
        if values:
            ids, weights, kept = pickle.loads(zlib.decompress(data) if compressed else data)  # noqa: S301 - (as above)
        else:
            (ids, weights), kept = _ids_and_weights(data, compressed, count), None
        if len(ids) != count:
            raise Unsupported("a posting block holds fewer postings than its header says")
        yield np.cumsum(np.asarray(ids, dtype=np.int64)), weights, kept


def block_weights(count: int, weights: Any) -> np.ndarray:
    """A block's weights as Whoosh's matcher reads them (a constant one is kept as float32)."""
    if weights is None:
        return np.ones(count)
    if isinstance(weights, float):
        return np.full(count, float(np.float32(weights)))
    return np.asarray(weights, dtype=np.float64)


def read_postings(segment: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of a term in one segment (deleted documents included):
    all blocks at once with numpy when each has the usual layout (`_usual_blocks`), else block
    by block."""
    info = segment._terms.term_info(fieldname, btext)
    found = None if info.is_inlined() else _usual_blocks(segment, info)
    if found is not None:
        return found
    id_parts, weight_parts = [], []
    for ids, weights, _ in term_blocks(segment, fieldname, btext, values=False):
        id_parts.append(ids)
        weight_parts.append(block_weights(len(ids), weights))
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _usual_blocks(segment: Any, info: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The ids and weights of a term whose every block has the layout `_fixed_layout` reads,
    read from all blocks' starts at once (one numpy pass instead of a dozen calls a block:
    a frequent word has hundreds of blocks per segment); None when a block has another."""
    heads, plan = [], []
    for count, compressed, data in _split(segment, info):
        head = zlib.decompressobj().decompress(data, _PREFIX_SLACK + 14 * count) if compressed else data
        first = _FIRST_ID.get(head[3:4])
        if count < 4 or first is None or head[:3] != _TUPLE_START:
            return None
        end = 4 + first[0] + 2 * (count - 1)  # where the ids' tuple ends
        kind, stop = head[end + 3:end + 4], end + 4 + 9 * count
        if head[end:end + 2] != b"tq" or not (kind == b"N" or (kind == b"G" and len(head) >= end + 12)
                                              or (kind == b"(" and head[stop:stop + 1] == b"t")):
            return None
        constant = 1.0 if kind == b"N" else (float(np.float32(struct.unpack_from(">d", head, end + 4)[0]))
                                             if kind == b"G" else np.nan)
        plan.append((count, end, struct.unpack_from(first[1], head, 4)[0], constant, kind == b"("))
        heads.append(head)
    counts, ends, firsts, constants, tuples = (np.array(column) for column in zip(*plan, strict=True))
    buf = np.frombuffer(b"".join(heads), dtype=np.uint8)
    bases = np.cumsum([0, *map(len, heads[:-1])])
    starts = np.cumsum(counts) - counts  # each block's first posting
    j = np.arange(int(counts.sum())) - np.repeat(starts, counts)  # a posting's place in its block
    later = j > 0
    gaps = (np.repeat(bases + ends - 2 * counts, counts) + 2 * j)[later]  # each gap's opcode
    if (buf[gaps] != _K).any():
        return None
    deltas = np.zeros(len(j), dtype=np.int64)
    deltas[later] = buf[gaps + 1]
    deltas[starts] = firsts
    running = np.cumsum(deltas)
    ids = running - np.repeat(running[starts] - firsts, counts)
    weights = np.repeat(constants.astype(np.float64), counts)
    if tuples.any():
        listed = np.repeat(tuples, counts)
        floats = np.repeat(bases + ends + 4, counts)[listed] + 9 * j[listed]  # each weight's opcode
        if (buf[floats] != _G).any():
            return None
        weights[listed] = buf[floats[:, None] + np.arange(1, 9)].view(">f8").ravel()
    return ids, weights


def read_lengths(segment: Any, fieldname: str) -> np.ndarray:
    """Field length of every document of a segment, decoded as Whoosh's scorer sees it."""
    perdoc = segment._perdoc
    count = segment.doc_count_all()
    reader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    out = np.zeros(count, dtype=np.uint8)
    if reader is not None:
        raw = reader._dbfile.get(reader._basepos, reader._count)
        out[: reader._count] = np.frombuffer(raw, dtype=np.uint8)
    return _LENGTHS[out]
