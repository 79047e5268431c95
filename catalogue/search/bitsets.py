"""Sets of documents as Python ints (bit n set = document n): a filter is an AND, a count a
popcount, however many documents there are."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def bitset(docnums: Iterable[int], size: int) -> int:
    """A set of document numbers as a Python int (bit n set = document n)."""
    array = bytearray((size >> 3) + 1)
    for n in docnums:
        array[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(array, "little")


def members(bits: int) -> Iterator[int]:
    """The document numbers of a bitset, ascending."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


def to_bitset(mask: np.ndarray) -> int:
    """A boolean mask as a Python int bitset (bit n = document n)."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def from_bitset(bits: int, size: int) -> np.ndarray:
    """A Python int bitset as a boolean mask of `size` documents."""
    raw = bits.to_bytes((size + 7) // 8 or 1, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:size].astype(bool)
