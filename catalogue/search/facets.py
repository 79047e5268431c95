"""Facets and match sets as bitsets: exact counts, filters and sort keys of one index version.

A set of documents is a Python int (bit n = document n): the index builds, once per version,
one bitset per facet value, so filtering is an AND and a facet count a popcount, exact
however many records match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import centuries
from .documents import FACET_FIELDS
from .results import FACET_LIMIT, FACETS, FacetValue
from .scoring import Postings


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


@dataclass
class FacetSets:
    """Per-value document bitsets of one index version (immutable, shared by threads)."""

    size: int
    live: int
    values: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Sort keys per sortable column (dense ranks of the values), built on first use.
    sort_keys: dict[str, np.ndarray] = field(default_factory=dict)

    def sort_key(self, reader: Any, column: str) -> np.ndarray:
        """Each document's rank by `column` (equal values share a rank), read once per version."""
        key = self.sort_keys.get(column)
        if key is None:
            values = np.array(list(reader.column_reader(column)), dtype=object)
            key = np.unique(values, return_inverse=True)[1].astype(np.int64) if len(values) else np.zeros(0, np.int64)
            self.sort_keys[column] = key
        return key


def build_facet_sets(reader: Any, postings: Postings) -> FacetSets:
    """The facet bitsets of an index version, read from its postings (deleted documents left out)."""
    size = reader.doc_count_all()
    live_mask = np.concatenate([leaf.live for leaf in postings.leaves]) if postings.leaves \
        else np.zeros(0, dtype=bool)
    facets = FacetSets(size, to_bitset(live_mask) if size else 0)
    for name, fieldname in FACET_FIELDS.items():
        table = facets.values[name] = {}
        if fieldname not in reader.schema:  # an index built before this facet existed (`catalogue reindex`)
            continue
        for term in reader.lexicon(fieldname):
            mask = np.zeros(size, dtype=bool)
            for leaf in postings.leaves:
                ids, _ = postings.term(leaf, fieldname, term)
                mask[ids + leaf.offset] = True
            table[term.decode("utf-8")] = to_bitset(mask & live_mask)
    return facets



def clean_filters(filters: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Known facets only, values as strings; centuries as Roman numerals."""
    clean: dict[str, list[str]] = {}
    for name, values in (filters or {}).items():
        if name not in FACETS or not values:
            continue
        items = [values] if isinstance(values, str) else list(values)
        out = []
        for value in items:
            value = str(value).strip()
            if name == "century" and (number := centuries.parse(value)) is not None:
                value = centuries.label(number)
            if value and value not in out:
                out.append(value)
        if out:
            clean[name] = out
    return clean


def filter_bits(sets: FacetSets, filters: dict[str, list[str]]) -> int:
    """The live documents the filters allow: any value of a facet, every facet filtered."""
    bits = sets.live
    for name, values in filters.items():
        table = sets.values.get(name, {})
        union = 0
        for value in values:
            union |= table.get(value, 0)
        bits &= union
    return bits


def facet_counts(sets: FacetSets, matched: int, filters: dict[str, list[str]],
                 limit: int | None = FACET_LIMIT) -> dict[str, list[FacetValue]]:
    """Each facet's values with their counts among the `matched` documents (the largest first,
    centuries in time order; a selected value is always listed): the first `limit` of them,
    or all when `limit` is None."""
    out: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        table = sets.values.get(name, {})
        values = [FacetValue(value, (bits & matched).bit_count()) for value, bits in table.items()]
        chosen = set(filters.get(name, ()))
        values = [v for v in values if v.count or v.value in chosen]
        if name == "century":
            values.sort(key=lambda v: _century_order(v.value))
        else:
            values.sort(key=lambda v: (-v.count, v.value))
        keep = values if limit is None else values[:limit] + [v for v in values[limit:] if v.value in chosen]
        out[name] = keep
    return out


def _century_order(label: str) -> int:
    number = centuries.parse(label)
    return number if number is not None else 10**6

