"""Fast indexing for Whoosh 2.7.4: the same segment files, without its per-posting Python pipeline.

Fills private writer internals of whoosh==2.7.4 (the pinned version). Whoosh's own
`add_document` runs every token through a chain of filter objects, pickles every posting into
a temporary pool, sorts and reloads it, and at commit asks the disk for every posting's field
length. Here the analysed fields come as terms by position (`catalogue.search.analysis.sequence`),
postings are grouped per term in memory (already in document order), and each term's blocks
are handed to the codec's block writer whole (`codec.CompactCodec`), with field lengths read
once per field. The files written are the ones Whoosh's own `add_document` writes through the
same codec (`tests/test_index_bulk.py` compares them term by term).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from . import fieldblocks
from ._whoosh import LENGTHS_COLUMN, _lenfield, analysis, fields, formats
from .analysis import SEPARATOR
from .blocks import info_blocks
from .occurrences import (
    Encoded,
    Items,
    Numbering,
    Occurrences,
    encode_count,
    frequency_token_items,
    positional_items,
    term_order,
)
from .packing import COUNTS, LENGTHS, NONE, POSITIONS, Block, whoosh_values
from .terms import CompactTermsReader


def _value_terms(value: str) -> list[str]:
    return [v for v in value.split(SEPARATOR) if v]


def frequency_items(value: str) -> Items:
    """Postings of a Frequency field of separated values and its length."""
    values = _value_terms(value)
    counts = dict.fromkeys(values, 0)  # (a few values: a Counter costs more to make than to fill)
    for v in values:
        counts[v] += 1
    return (list(counts), list(map(float, counts.values())), list(map(encode_count, counts.values())),
            len(values))


def existence_items(value: str) -> Items:
    """Postings of an Existence field of separated values and its length (distinct values)."""
    distinct = dict.fromkeys(_value_terms(value))
    return list(distinct), [1.0] * len(distinct), [], len(distinct)


# -- the pool --------------------------------------------------------------------------------

#: Bytes of memory a posting, an analysed word and a term take in the pool, measured on
#: synthetic records (`tests/test_index_segment_cap.py` checks the estimate against the sizes):
#: a posting's term number, document number and weight (4 bytes each, arrays growing by an
#: eighth) and a pointer to its value (shared for a single position or count; a few
#: positions' own bytes); a word's term number and, in a Positions field, position, and each
#: document's number and count of words (`occurrences`: 6.1 bytes a word on average); a
#: term's bytes and dictionary entry (82).
POSTING_BYTES = 22
OCCURRENCE_BYTES = 6
TERM_BYTES = 85


#: Says whether a merge should stop now and leave its work (a change is waiting for the index).
GiveWay = Callable[[], bool]
#: Terms of a merged segment read between two asks of `GiveWay`.
ASK_EVERY = 1024


class GaveWay(Exception):
    """A merge stopped, nothing of it kept, because its `GiveWay` said so."""


def _ask(give_way: GiveWay | None) -> None:
    if give_way is not None and give_way():
        raise GaveWay


class FieldPostings:
    """One field's postings in the order they were added (documents in increasing order):
    flat arrays of term numbers, document numbers, weights (counts: exact as float32, the
    type Whoosh's block writer stores) and values, rather than containers per term.

    Terms are kept as the str our analysers give (the memo tables' own objects, whose hashes
    are kept, so a posting costs one dictionary lookup and no encoding), encoded once per
    term when written: UTF-8 sorts as code points do. A field that also gets bytes (Whoosh's
    own analysis, a merged segment's postings) is kept as bytes from then on."""

    __slots__ = ("ids", "occurrences", "term_nos", "terms", "text", "values", "weights")

    def __init__(self) -> None:
        self.terms: Numbering = Numbering()
        self.text: bool | None = None  # (str keys; None: no term yet)
        self.term_nos, self.ids, self.weights = array("I"), array("I"), array("f")
        self.values: list[bytes] = []
        #: The words of documents added by `add_sequence`, grouped into postings when written.
        self.occurrences: Occurrences | None = None

    def add_sequence(self, docnum: int, sequence: list[str], positional: bool) -> int:
        """A document's analysed field as its term at each position ("" for a dropped word):
        kept as occurrences (`catalogue.search.occurrences`); the field's length."""
        if self.occurrences is None:
            if self.ids or self.text is False:  # (postings of another kind came first)
                terms, weights, values, length = (positional_items if positional else frequency_token_items)(sequence)
                self.add_items(docnum, terms, weights, values)
                return length
            self.occurrences, self.text = Occurrences(positional), True
        return self.occurrences.add(self.terms, docnum, sequence)  # type: ignore[arg-type]

    def _settle(self) -> None:
        """Turn the occurrences into postings, before postings of another kind follow them."""
        occurrences, self.occurrences = self.occurrences, None
        if occurrences is not None and len(occurrences):
            term_nos, ids, weights, values = occurrences.postings()
            self.term_nos.frombytes(term_nos.tobytes())
            self.ids.frombytes(ids.astype(np.uint32).tobytes())
            self.weights.frombytes(weights.tobytes())
            self.values += values

    def add_items(self, docnum: int, terms: list[str] | list[bytes], weights: list[float], values: list[bytes]) -> None:
        """A document's postings of this field: its distinct terms (str, or bytes as Whoosh
        encodes them), their weights and encoded values (none when the field's format keeps none)."""
        if self.occurrences is not None:
            self._settle()
        if terms and (text := type(terms[0]) is str) is not self.text:
            terms = self._kind(text, terms)
        found = list(map(self.terms.__getitem__, terms))  # (a new term numbered when first met)
        self.term_nos.fromlist(found)  # (fromlist: a list's items read at once, not iterated)
        self.ids.fromlist([docnum] * len(found))
        self.weights.fromlist(weights)
        self.values += values

    def add_term(self, term: bytes, ids: np.ndarray, weights: np.ndarray, values: list[bytes]) -> None:
        """All of a term's postings from one merged segment at once (documents in increasing
        order, after those added before: `by_term` keeps each term's postings in the order added)."""
        if self.occurrences is not None:
            self._settle()
        if self.text is not False:
            self._kind(False, [term])
        number = self.terms[term]
        self.term_nos.extend(array("I", [number]) * len(ids))
        self.ids.frombytes(ids.astype(np.uint32).tobytes())
        self.weights.frombytes(weights.astype(np.float32).tobytes())
        self.values += values

    def _kind(self, text: bool, terms: list[Any]) -> list[Any]:
        """`terms` as this field's keys: the first terms choose str or bytes; bytes after str
        turn the keys to bytes (a term's bytes need not be UTF-8), str after bytes are encoded."""
        if self.text is None:
            self.text = text
            return terms
        if self.text:
            self.terms = Numbering({key.encode(): number for key, number in self.terms.items()})
            self.text = False
            return terms
        return [t.encode() for t in terms]

    def by_term(self) -> tuple[list[bytes], np.ndarray, np.ndarray, np.ndarray, np.ndarray | Encoded | None]:
        """The terms in ascending order, and document numbers, weights and values regrouped in
        that order (each term's in document order), with where each term's postings start."""
        keys = sorted(self.terms)
        rank = np.empty(len(keys), dtype=np.uint32)
        rank[np.fromiter(map(self.terms.__getitem__, keys), dtype=np.int64, count=len(keys))] = np.arange(len(keys))
        if self.text:
            keys = [key.encode() for key in keys]
        if self.occurrences is not None:
            return (keys, *self.occurrences.grouped(rank, len(keys)))
        numbers = rank[np.frombuffer(self.term_nos, dtype=np.uint32)]
        order = term_order(numbers, len(keys))
        starts = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(numbers, minlength=len(keys)), out=starts[1:])
        values = None
        if self.values:
            if len(self.values) != len(self.ids):
                raise ValueError("a field's postings have values for only some documents")
            values = np.fromiter(self.values, dtype=object, count=len(self.values))[order]
        ids, weights = np.frombuffer(self.ids, dtype=np.uint32), np.frombuffer(self.weights, dtype=np.float32)
        return keys, ids[order], weights[order], starts, values


class MemoryPool:
    """Postings grouped per field in memory, in document order: replaces Whoosh's pickling
    external-sort pool on a SegmentWriter (which adds in increasing document order)."""

    def __init__(self) -> None:
        self.fields: dict[str, FieldPostings] = {}
        #: What `add_document` needs of each schema field, looked up once per segment.
        self.plans: dict[str, _Plan | None] = {}
        #: Whoosh's postings of a number field's value (the same for every document with it).
        self.numbers: dict[tuple[str, Any], Items] = {}

    def field(self, fieldname: str) -> FieldPostings:
        found = self.fields.get(fieldname)
        if found is None:
            found = self.fields[fieldname] = FieldPostings()
        return found

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """Whoosh's pool interface (used when Whoosh merges a small segment in)."""
        fieldname, btext, docnum, weight, vbytes = item
        self.add_posting(fieldname, btext, docnum, weight, vbytes)

    def add_posting(self, fieldname: str, btext: bytes, docnum: int, weight: float, vbytes: bytes) -> None:
        self.field(fieldname).add_items(docnum, [btext], [weight], [vbytes] if vbytes else [])

    def estimate(self) -> int:
        """About how many bytes of memory the pool holds (see `POSTING_BYTES`)."""
        return sum(len(f.ids) * POSTING_BYTES + len(f.occurrences or ()) * OCCURRENCE_BYTES + len(f.terms) * TERM_BYTES
                   for f in self.fields.values())

    def iter_postings(self) -> MemoryPool:
        return self  # handed whole to `write_postings`

    def cleanup(self) -> None:
        self.fields.clear()


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
    return LENGTHS[raw]


def write_postings(fieldwriter: Any, schema: Any, lengths: Any, pool: MemoryPool, size: int,
                   give_way: GiveWay | None = None) -> None:
    """Write a pool's postings with Whoosh's field writer, a field at a time (letting each
    field's postings go once written): the blocks `FieldWriter.add_postings` makes posting by
    posting, made for all the field's terms at once (`fieldblocks`). `give_way` is asked
    before each field."""
    for fieldname in sorted(pool.fields):
        _ask(give_way)
        postings = pool.fields.pop(fieldname)
        if postings.terms:
            fieldwriter.start_field(fieldname, schema[fieldname])
            _write_field(fieldwriter, postings, _field_lengths(lengths, fieldname, size))
            fieldwriter.finish_field()


def _write_field(fieldwriter: Any, postings: FieldPostings, lengths: np.ndarray | None) -> None:
    keys, ids, weights, starts, values = postings.by_term()

    def one_by_one(number: int) -> None:
        start, end = int(starts[number]), int(starts[number + 1])
        fieldwriter.start_term(keys[number])
        _write_term(fieldwriter._postwriter, ids[start:end], weights[start:end],
                    values[start:end] if values is not None else None, lengths)
        fieldwriter.finish_term()

    fieldblocks.write_terms(fieldwriter, keys, ids, weights, starts, values, lengths, one_by_one)


def _write_term(writer: Any, ids: np.ndarray, weights: np.ndarray, values: np.ndarray | None,
                lengths: np.ndarray | None) -> None:
    """Fill the codec's posting writer (`packing.CompactPostingsWriter`) block by block, keeping
    the statistics `add_posting` keeps."""
    limit = writer._blocklimit
    count = len(ids)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_ids = ids[start:end]
        writer._ids = array("I")
        writer._ids.frombytes(block_ids.tobytes())
        writer._weights = array("f")
        writer._weights.frombytes(weights[start:end].tobytes())
        writer._values = values[start:end].tolist() if values is not None else []
        writer._maxweight = max(0, float(weights[start:end].max()))
        writer._minlength, writer._maxlength = None, 0
        if lengths is not None:
            block = lengths[block_ids]
            block = block[block != 0]
            if len(block):
                writer._minlength, writer._maxlength = int(block.min()), int(block.max())
        if end < count:
            writer._write_block()  # (which starts the next block)
    # the last block: finish_postings writes it (or inlines a term too short for a block)


def _posting_values(block: Block, fmt: Any) -> list[bytes]:
    """A block's values as Whoosh's matcher gives them to its pool (none for a format that
    keeps none), made from the block's arrays: positions and counts through the memoised
    encoders of the fast writer (the same bytes as `formats.Positions.encode`)."""
    if block.kind == NONE:
        return []
    if block.kind == COUNTS:
        return Encoded(block.weights.astype(np.int64), None).tolist()
    if block.kind != POSITIONS or block.counts is None or block.gaps is None:
        return list(whoosh_values(block, fmt))
    return Encoded(block.counts, block.gaps).tolist()


def add_segment_postings(pool: MemoryPool, reader: Any, startdoc: int, docmap: dict[int, int] | None,
                         give_way: GiveWay | None = None) -> bool:
    """`SegmentWriter.add_postings_to_pool` for a segment of packed blocks: a walk over its
    term infos, each term's blocks unpacked (`blocks.info_blocks`) and added at once, a posting
    inlined in its term info added as it is; deleted documents left out and the others
    renumbered as Whoosh's writer does (`docmap`: the live ones' new numbers). Whoosh's own way
    looks up every term, then reads and adds one posting at a time. False, adding nothing, for
    a reader of another codec's segments. `give_way` is asked every `ASK_EVERY` terms."""
    if not isinstance(getattr(reader, "_terms", None), CompactTermsReader):
        return False
    count = reader.doc_count_all()
    renumber = np.arange(startdoc, startdoc + count, dtype=np.int64)
    live = None
    if docmap is not None:
        old = np.fromiter(docmap.keys(), dtype=np.int64, count=len(docmap))
        renumber[old] = np.fromiter(docmap.values(), dtype=np.int64, count=len(docmap))
        live = np.zeros(count, dtype=bool)
        live[old] = True
    schema = reader.schema
    for number, ((fieldname, btext), info) in enumerate(reader._terms.items()):
        if not number % ASK_EVERY:
            _ask(give_way)
        if fieldname not in schema:
            continue
        field = pool.field(fieldname)
        if info.is_inlined():  # (a term of one document: its posting kept in its term info)
            for docnum, weight, value in zip(*info.inlined_postings(), strict=False):
                if live is None or live[docnum]:
                    field.add_items(int(renumber[docnum]), [btext], [weight], [value] if value else [])
            continue
        blocks = list(info_blocks(reader, fieldname, info))
        ids = np.concatenate([b.ids for b in blocks]) if len(blocks) != 1 else blocks[0].ids
        weights = np.concatenate([b.weights for b in blocks]) if len(blocks) != 1 else blocks[0].weights
        values = [v for b in blocks for v in _posting_values(b, schema[fieldname].format)]
        if live is not None:
            kept = live[ids]
            ids, weights = ids[kept], weights[kept]
            values = [v for v, keep in zip(values, kept.tolist(), strict=True) if keep] if values else values
        if len(ids):  # (a term of deleted documents only is not written, as Whoosh's matcher skips them)
            field.add_term(btext, renumber[ids], weights, values)
    return True


def install(writer: Any, give_way: GiveWay | None = None) -> MemoryPool:
    """Give a Whoosh SegmentWriter the in-memory pool, the block-wise posting writer and the
    block-wise reading of the segments it merges in; with `give_way`, its commit raises
    GaveWay as soon as that says so (asked before each merged segment, then now and then)."""
    pool = MemoryPool()
    writer.pool = pool
    fieldwriter = writer.fieldwriter
    whoosh_add = writer.add_postings_to_pool

    def add_postings_to_pool(reader: Any, startdoc: int, docmap: dict[int, int] | None) -> None:
        _ask(give_way)
        if not add_segment_postings(pool, reader, startdoc, docmap, give_way):
            whoosh_add(reader, startdoc, docmap)

    writer.add_postings_to_pool = add_postings_to_pool

    def add_postings(schema: Any, lengths: Any, items: Any) -> None:
        if isinstance(items, MemoryPool):
            write_postings(fieldwriter, schema, lengths, items, writer.docnum, give_way)
        else:  # pragma: no cover (Whoosh only passes the pool's own iterator)
            type(fieldwriter).add_postings(fieldwriter, schema, lengths, items)

    fieldwriter.add_postings = add_postings
    return pool


#: A schema field as `add_document` uses it: the field, whether it is indexed, scorable and
#: stored, its column type (None: no column), and how its postings are made when our
#: analysers give none (`_whoosh_items`).
_Plan = tuple[Any, bool, bool, bool, Any, str]


def _plan(pool: MemoryPool, schema: Any, fieldname: str) -> _Plan | None:
    """The pool's plan of a field (None: not in the schema, an index written before it was added)."""
    if fieldname not in pool.plans:
        field = schema[fieldname] if fieldname in schema else None  # noqa: SIM401 (a Whoosh Schema has no get)
        pool.plans[fieldname] = None if field is None else (
            field, field.indexed, field.scorable, field.stored, field.column_type, _how(field))
    return pool.plans[fieldname]


def _how(field: Any) -> str:
    """"id" for a plain ID field (its one term is the value itself), "number" for a number
    field (its terms depend on the value alone), "whoosh" for any other."""
    if type(field) is fields.ID and type(field.analyzer) is analysis.IDTokenizer \
            and type(field.format) is formats.Existence and field.format.field_boost == 1.0:
        return "id"
    return "number" if isinstance(field, fields.NUMERIC) else "whoosh"


def _whoosh_items(pool: MemoryPool, fieldname: str, plan: _Plan, value: Any) -> Items:
    """The postings Whoosh's own `field.index` gives a value: a plain ID field's text is its
    one term; a number field's terms are memoised per segment (revisions and years: few
    values, several precision terms each)."""
    field, how = plan[0], plan[5]
    if how == "id" and isinstance(value, str):
        return [value], [1.0], [], 1
    if how == "number" and (found := pool.numbers.get((fieldname, value))) is not None:
        return found
    terms, weights, values, length = [], [], [], 0
    for btext, freq, weight, vbytes in field.index(value):
        terms.append(btext)
        weights.append(weight)
        if vbytes:
            values.append(vbytes)
        length += freq
    if how == "number":
        pool.numbers[(fieldname, value)] = (terms, weights, values, length)
    return terms, weights, values, length


def add_document(writer: Any, pool: MemoryPool, doc: dict[str, Any], analysed: dict[str, Items | list[str]]) -> None:
    """`SegmentWriter.add_document` with the fields in `analysed` given by our functions, as
    their term at each position (analysed text) or as (postings, length); every other field
    as Whoosh's own `field.index` indexes it (`_whoosh_items`)."""
    perdoc = writer.perdocwriter
    schema = writer.schema
    docnum = writer.docnum
    perdoc.start_doc(docnum)
    for fieldname in sorted(doc):
        value = doc[fieldname]
        if value is None or (plan := _plan(pool, schema, fieldname)) is None:
            continue
        field, indexed, scorable, stored, column, _ = plan
        length = 0
        if indexed:
            found = analysed.get(fieldname)
            postings = pool.field(fieldname)
            if type(found) is list:  # (an analysed field's term at each position)
                count = postings.add_sequence(docnum, found, type(field.format) is formats.Positions)
            else:
                terms, weights, values, count = _whoosh_items(pool, fieldname, plan, value) if found is None else found
                postings.add_items(docnum, terms, weights, values)
            if scorable:
                length = count
        perdoc.add_field(fieldname, field, value if stored else None, length)
        if column:
            perdoc.add_column_value(fieldname, column, field.to_column_value(value))
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


#: Our analysers of separated values, by the Whoosh format of the field.
FORMAT_ITEMS: dict[type, Callable[[str], Items]] = {formats.Frequency: frequency_items,
                                                    formats.Existence: existence_items}
