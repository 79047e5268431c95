"""A term's postings and a field's lengths, read from one segment of a whoosh==2.7.4 index.

The posting blocks `codec.CompactCodec` writes and the pinned version's lengths column are
read directly and decoded with numpy, for `catalogue.search.scoring` to score; tested equal to
what Whoosh's own matchers and scorer read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._whoosh import LENGTHS_COLUMN
from .packing import HEADER, Block, Unsupported, head_size, pack, unpack

__all__ = ["EMPTY_IDS", "EMPTY_W", "Block", "Unsupported", "compact", "info_blocks", "read_lengths",
           "read_postings", "term_blocks"]

EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_W = np.zeros(0, dtype=np.float64)


def _split(segment: Any, info: Any) -> Iterator[tuple[int, bool, bytes]]:
    """(count, compressed, data) of each posting block of a term that is not inlined.

    The term's posting blocks are read in one read and split here (each block: its header,
    `packing.HEADER`, then its packed, maybe compressed, data), instead of Whoosh's matcher
    reading each block through several small reads of the compound file."""
    offset, length = info.extent()
    length = length[0] if isinstance(length, tuple) else length  # whoosh 2.7.4 reads it as a 1-tuple
    raw = segment._terms._postfile.get(offset, length)
    position = 0
    while True:
        if position + HEADER.size > len(raw):
            raise Unsupported("posting blocks longer than their term's extent")
        size, count, _, _, level, _, _ = HEADER.unpack_from(raw, position)
        start = position + HEADER.size
        end = start + abs(size)
        if end > len(raw):
            raise Unsupported("posting blocks longer than their term's extent")
        yield count, bool(level), raw[start:end]
        if size < 0:
            break
        position = end


def term_blocks(segment: Any, fieldname: str, btext: bytes, *, values: bool = True) -> Iterator[Block]:
    """Each posting block of a term in one segment, unpacked (`packing.unpack`); without
    `values`, only the start of each block (its ids and weights) is decompressed and read."""
    return info_blocks(segment, fieldname, segment._terms.term_info(fieldname, btext), values=values)


def info_blocks(segment: Any, fieldname: str, info: Any, *, values: bool = True) -> Iterator[Block]:
    """`term_blocks` of a term whose term info was read already (as a walk over the terms reads it)."""
    if info.is_inlined():
        ids, weights, kept = info.inlined_postings()
        yield unpack(pack(ids, weights, kept, segment.schema[fieldname].format), len(ids))
        return
    for count, compressed, data in _split(segment, info):
        if compressed:
            data = zlib.decompress(data) if values else zlib.decompressobj().decompress(data, head_size(count))
        yield unpack(data, count, values=values)


def compact(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same postings in half the bytes, as the search caches keep them: document numbers
    (ascending) as int32 and weights as float32, each only where every value stays exact
    (Whoosh's blocks hold weights as float32 or whole counts)."""
    if len(ids) and ids[-1] < 2**31:
        ids = ids.astype(np.int32)
    narrow = weights.astype(np.float32)
    return ids, narrow if np.array_equal(narrow, weights) else weights


def read_postings(segment: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of a term in one segment (deleted documents included),
    `compact`: score with the weights as float64."""
    found = list(term_blocks(segment, fieldname, btext, values=False))
    if len(found) == 1:
        return compact(found[0].ids, found[0].weights)
    return compact(np.concatenate([b.ids for b in found]), np.concatenate([b.weights for b in found]))


def read_lengths(segment: Any, fieldname: str) -> np.ndarray:
    """Field length of every document of a segment as its byte code (one byte a document,
    for the cache); `packing.LENGTHS[codes]` are the lengths as Whoosh's scorer sees them."""
    perdoc = segment._perdoc
    count = segment.doc_count_all()
    reader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    out = np.zeros(count, dtype=np.uint8)
    if reader is not None:
        raw = reader._dbfile.get(reader._basepos, reader._count)
        out[: reader._count] = np.frombuffer(raw, dtype=np.uint8)
    return out
