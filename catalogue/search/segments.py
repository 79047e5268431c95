"""Fast indexing for Whoosh 2.7.4: the same segment files, without its per-posting Python pipeline.

Fills private writer internals of whoosh==2.7.4 (the pinned version). Whoosh's own
`add_document` runs every token through a chain of filter objects, pickles every posting into
a temporary pool, sorts and reloads it, and at commit asks the disk for every posting's field
length. Here the analysed fields come tokenised by `catalogue.search.analysis.tokens`,
postings are grouped per term in memory (already in document order), and each term's blocks
are handed to Whoosh's own block writer whole, with field lengths read once per field. The
files written are the ones Whoosh writes for the same documents (`tests/test_index_bulk.py`
compares them term by term).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pickle import dumps
from typing import Any

import numpy as np

from ._whoosh import LENGTHS_COLUMN, _lenfield, byte_to_length, formats, pack_uint
from .analysis import SEPARATOR

_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)
#: A field's postings of one document, (term, weight, encoded value), and the field's length.
Items = tuple[list[tuple[bytes, float, bytes]], int]


_ONE_POSITION: dict[int, bytes] = {}


def _encode_positions(poslist: list[int]) -> bytes:
    """`formats.Positions.encode` (delta-coded positions), memoised for single positions."""
    if len(poslist) == 1:
        found = _ONE_POSITION.get(poslist[0])
        if found is None:
            found = _ONE_POSITION[poslist[0]] = pack_uint(1) + dumps([poslist[0]], 2)
        return found
    deltas, base = [], 0
    for pos in poslist:
        deltas.append(pos - base)
        base = pos
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def positional_items(toks: list[tuple[int, str]]) -> Items:
    """(term, weight, value) postings of a Positions field's tokens and the field length."""
    poses: dict[str, list[int]] = {}
    for pos, term in toks:
        found = poses.get(term)
        if found is None:
            poses[term] = [pos]
        else:
            found.append(pos)
    items = [(term.encode("utf-8"), float(len(p)), _encode_positions(p)) for term, p in poses.items()]
    return items, len(toks)


def frequency_token_items(toks: list[tuple[int, str]]) -> Items:
    """(term, weight, value) postings of a Frequency field's tokens and the field length
    (`formats.Frequency.word_values`: the count as weight, packed as the value)."""
    freqs: dict[str, int] = {}
    for _, term in toks:
        freqs[term] = freqs.get(term, 0) + 1
    return [(term.encode("utf-8"), float(n), pack_uint(n)) for term, n in freqs.items()], len(toks)


def _value_terms(value: str) -> list[str]:
    return [v for v in value.split(SEPARATOR) if v]


def frequency_items(value: str) -> Items:
    """Postings of a Frequency field of separated values and its length."""
    freqs: dict[str, int] = {}
    values = _value_terms(value)
    for v in values:
        freqs[v] = freqs.get(v, 0) + 1
    return [(v.encode("utf-8"), float(n), pack_uint(n)) for v, n in freqs.items()], len(values)


def existence_items(value: str) -> Items:
    """Postings of an Existence field of separated values and its length (distinct values)."""
    distinct = dict.fromkeys(_value_terms(value))
    return [(v.encode("utf-8"), 1.0, b"") for v in distinct], len(distinct)


# -- the pool --------------------------------------------------------------------------------


class MemoryPool:
    """Postings grouped per (field, term) in memory, in document order: replaces Whoosh's
    pickling external-sort pool on a SegmentWriter (which adds in increasing document order)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], tuple[array, array, list[bytes]]] = {}

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """Whoosh's pool interface (used when Whoosh merges a small segment in)."""
        fieldname, btext, docnum, weight, vbytes = item
        self.add_posting(fieldname, btext, docnum, weight, vbytes)

    def add_posting(self, fieldname: str, btext: bytes, docnum: int, weight: float, vbytes: bytes) -> None:
        key = (fieldname, btext)
        found = self.terms.get(key)
        if found is None:
            found = self.terms[key] = (array("I"), array("d"), [])
        found[0].append(docnum)
        found[1].append(weight)
        if vbytes:
            found[2].append(vbytes)

    def iter_postings(self) -> MemoryPool:
        return self  # handed whole to `write_postings`

    def cleanup(self) -> None:
        self.terms.clear()


def _field_lengths(lengths: Any, fieldname: str, size: int) -> np.ndarray | None:
    """Every document's length of a field as Whoosh's writer reads it back (None: no column)."""
    if lengths is None:
        return None
    reader = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if reader is None:
        return None
    raw = np.zeros(max(size, reader._count), dtype=np.uint8)
    data = reader._dbfile.get(reader._basepos, reader._count)
    raw[: reader._count] = np.frombuffer(data, dtype=np.uint8)
    return _LENGTHS[raw]


def write_postings(fieldwriter: Any, schema: Any, lengths: Any, pool: MemoryPool, size: int) -> None:
    """Write a pool's postings with Whoosh's field and block writers, one block at a time
    (the same blocks `FieldWriter.add_postings` makes posting by posting)."""
    lastfield = None
    field_lengths = None
    for fieldname, btext in sorted(pool.terms):
        ids, weights, values = pool.terms[(fieldname, btext)]
        if fieldname != lastfield:
            if lastfield is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field_lengths = _field_lengths(lengths, fieldname, size)
            lastfield = fieldname
        fieldwriter.start_term(btext)
        _write_term(fieldwriter._postwriter, ids, weights, values, field_lengths)
        fieldwriter.finish_term()
    if lastfield is not None:
        fieldwriter.finish_field()


def _write_term(writer: Any, ids: array, weights: array, values: list[bytes], lengths: np.ndarray | None) -> None:
    """Fill a W3PostingsWriter block by block, keeping the statistics `add_posting` keeps."""
    limit = writer._blocklimit
    count = len(ids)
    if values and len(values) != count:
        raise ValueError("a term's postings have values for only some documents")
    for start in range(0, count, limit):
        end = min(start + limit, count)
        writer._ids = ids[start:end]
        writer._weights = array("f", weights[start:end])
        writer._values = values[start:end] if values else []
        writer._maxweight = max(0, max(weights[start:end]))
        writer._minlength, writer._maxlength = None, 0
        if lengths is not None:
            block = lengths[np.frombuffer(writer._ids, dtype=np.uint32)]
            block = block[block != 0]
            if len(block):
                writer._minlength, writer._maxlength = int(block.min()), int(block.max())
        if end < count:
            writer._write_block()  # (which starts the next block)
    # the last block: finish_postings writes it (or inlines a term too short for a block)


def install(writer: Any) -> MemoryPool:
    """Give a Whoosh SegmentWriter the in-memory pool and the block-wise posting writer."""
    pool = MemoryPool()
    writer.pool = pool
    fieldwriter = writer.fieldwriter

    def add_postings(schema: Any, lengths: Any, items: Any) -> None:
        if isinstance(items, MemoryPool):
            write_postings(fieldwriter, schema, lengths, items, writer.docnum)
        else:  # pragma: no cover (Whoosh only passes the pool's own iterator)
            type(fieldwriter).add_postings(fieldwriter, schema, lengths, items)

    fieldwriter.add_postings = add_postings
    return pool


def add_document(writer: Any, pool: MemoryPool, doc: dict[str, Any], analysed: dict[str, Items]) -> None:
    """`SegmentWriter.add_document` with the fields in `analysed` given as (postings, length),
    made by our functions; every other field goes through Whoosh's own `field.index`."""
    perdoc = writer.perdocwriter
    schema = writer.schema
    docnum = writer.docnum
    add = pool.add_posting
    perdoc.start_doc(docnum)
    for fieldname in sorted(doc):
        value = doc[fieldname]
        if value is None or fieldname not in schema:  # (an index written before a field was added)
            continue
        field = schema[fieldname]
        length = 0
        if field.indexed:
            found = analysed.get(fieldname)
            if found is not None:
                items, count = found
                for btext, weight, vbytes in items:
                    add(fieldname, btext, docnum, weight, vbytes)
                if field.scorable:
                    length = count
            else:
                for btext, freq, weight, vbytes in field.index(value):
                    add(fieldname, btext, docnum, weight, vbytes)
                    if field.scorable:
                        length += freq
        perdoc.add_field(fieldname, field, value if field.stored else None, length)
        column = field.column_type
        if column:
            perdoc.add_column_value(fieldname, column, field.to_column_value(value))
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


#: Our analysers of separated values, by the Whoosh format of the field.
FORMAT_ITEMS: dict[type, Callable[[str], Items]] = {formats.Frequency: frequency_items,
                                                    formats.Existence: existence_items}
