"""The Whoosh full-text index, derived from the store and rebuildable from it.

The only module that imports whoosh (pinned to 2.7.4). The index is a cache of the store: it
remembers the last store change (`seq`) it applied and catches up with `sync`. It lives in
generations: ``index/CURRENT`` names the live folder; `reindex` builds a new one beside it and
swaps the name atomically, so searches go on during a rebuild and a crash leaves the old one.
Writers of all processes take Whoosh's lock (an OS file lock, released when a process dies).
Facet counts and totals come from per-value document bitsets (Python ints), built once per
index version, so they are exact and cheap. Match sets and relevance ranking come from
`catalogue.index_fast` (numpy over Whoosh's own postings, equal to Whoosh's scoring); queries
it cannot evaluate are answered by Whoosh itself. Documents are written by
`catalogue.index_bulk` (the segment Whoosh would write, without its per-posting pipeline),
by two processes for a reindex or a large sync.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import itertools
import json
import logging
import multiprocessing
import os
import re
import shutil
import threading
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import centuries, index_bulk, index_fast, querytext
from . import index_bounds as bounds
from .folding import fold_word, phonetic
from .search import FACET_LIMIT, FACETS, SORTS, FacetValue, Hit, SearchLimits, SearchResult
from .snippets import snippet

with warnings.catch_warnings():
    # whoosh 2.7.4's codec has `fixedsize is 0`, a SyntaxWarning when compiled on Python 3.8+.
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import analysis, fields, formats, qparser, writing
    from whoosh import index as whoosh_index
    from whoosh import query as wq
    from whoosh.codec import whoosh3  # noqa: F401  (compiled here, under the filter above)
    from whoosh.index import LockError
    from whoosh.lang.porter import stem
    from whoosh.qparser.common import QueryParserError
    from whoosh.reading import MultiReader, SegmentReader
    from whoosh.searching import Searcher

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
SEQ_FILE = "seq.json"
LOCK_TIMEOUT = 30.0
BATCH = 1000
#: A sync of at least this many store changes (or a reindex of a store with as many) is
#: written by `SearchIndex.procs` processes.
PARALLEL_MIN = 5000
#: Hits below which a "did you mean" suggestion is looked for.
FEW_HITS = 3
#: Words of a query looked at for suggestions.
SUGGEST_WORDS = 8
PLAIN_NOTICE = "The query could not be read as written ({}); its words were searched as plain text."
LIMITED_NOTICE = "The query was limited to keep searches fast: {}."
READ_AS_NOTICE = "About the query: {}."
EXPENSIVE_NOTICE = "The query is too expensive to run as written ({}); it was simplified to its plain words."
REFUSED_NOTICE = "The query is too expensive to run ({}); try fewer or more specific words."
#: Stand-ins for years too long to convert (any beyond the years of records reads the same).
YEAR_MIN, YEAR_MAX = -(2**31), 2**31 - 1
#: Years a record's period may hold (the record schema's bounds; `tests/test_search_limits.py` checks): the
#: open ends of a year range; a query year is read as at most one year beyond them, which no
#: record reaches (so the index never sees a number at the edge of what it holds).
RECORD_YEARS = (-100000, 3000)
OPEN_CENTURIES = (-1000, 30)
#: Bytes of segments' word lists kept for fuzzy words without a fixed first letter.
LEXICON_CACHE = 32 * 2**20

# -- analysis --------------------------------------------------------------------------------


class FoldFilter(analysis.Filter):
    """Folds each token to lowercase ASCII (see `catalogue.folding.fold`); drops empty ones."""

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = fold_word(token.text)
            if token.text:
                yield token


class PhoneticFilter(analysis.Filter):
    """Replaces each folded token by its phonetic key (names and places only)."""

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = phonetic(token.text)
            yield token


_TOKENS = index_bulk.TOKENS
FOLDED = analysis.RegexTokenizer(_TOKENS) | FoldFilter()
STEMMED = analysis.RegexTokenizer(_TOKENS) | FoldFilter() | analysis.StemFilter(stemfn=stem, cachesize=50000)
NAMES = analysis.RegexTokenizer(_TOKENS) | FoldFilter() | PhoneticFilter()
#: Facet fields hold exact values separated by the unit separator (never in cleaned text).
SEPARATOR = "\x1f"
VALUES = analysis.RegexTokenizer(r"[^\x1f]+")

#: Fields searched when the query names none, with their weights.
DEFAULT_FIELDS = {"title": 3.0, "text": 1.0, "names": 0.5}
FACET_FIELDS = {name: f"f_{name}" for name in FACETS}


def index_schema() -> fields.Schema:
    """The stored schema (changing it needs a `catalogue reindex`)."""
    facet = {f"f_{name}": fields.TEXT(analyzer=VALUES, phrase=False) for name in FACETS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        revision=fields.NUMERIC(int, bits=32, sortable=True),
        title=fields.TEXT(analyzer=FOLDED),
        text=fields.TEXT(analyzer=STEMMED),
        names=fields.TEXT(analyzer=NAMES),
        place=fields.TEXT(analyzer=NAMES),
        source=fields.TEXT(analyzer=FOLDED),
        start=fields.NUMERIC(int, bits=32, signed=True),
        end=fields.NUMERIC(int, bits=32, signed=True),
        title_sort=fields.ID(sortable=True),
        modified=fields.ID(sortable=True),
        data=fields.STORED,
        # Adjacent word pairs of the phrase fields: a two-word phrase is one term lookup.
        # (scorable only so Whoosh caches its length column instead of probing the disk per posting)
        **{index_fast.PAIRS: fields.FieldType(formats.Existence(), VALUES, scorable=True)},
        **facet,
    )


# -- documents -------------------------------------------------------------------------------


def _name_values(names: Any) -> list[str]:
    return [n["value"] for n in names or [] if isinstance(n, dict) and isinstance(n.get("value"), str)]


def _sources(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in record.get("sources") or [] if isinstance(s, dict)]


def facet_values(record: dict[str, Any]) -> dict[str, list[str]]:
    """The values a record counts under in each facet."""
    place = record.get("place") or {}
    period = record.get("period") or {}
    start, end = period.get("start"), period.get("end")
    if start is None:
        start = end
    if end is None:
        end = start
    source_values = [s.get("publisher") or s.get("citation") or "" for s in _sources(record)]
    return {
        "type": [record.get("type") or "other"],
        "status": [(record.get("condition") or {}).get("status") or "unknown"],
        "century": centuries.labels_between(start, end) if isinstance(start, int) else [],
        "place": [place["name"]] if place.get("name") else [],
        "source": sorted({v for v in source_values if v}),
    }


def snippet_text(record: dict[str, Any]) -> str:
    """The text a snippet is cut from."""
    return str(record.get("description") or record.get("notes") or "")


def document(record: dict[str, Any], revision: int) -> dict[str, Any]:
    """The Whoosh document of a stored record."""
    place = record.get("place") or {}
    sources = _sources(record)
    source_text = [s.get(k, "") for s in sources for k in ("citation", "publisher", "author")]
    names = [record.get("title", ""), *_name_values(record.get("names"))]
    place_names = [place.get("name", ""), *_name_values(place.get("names")), place.get("admin_area", "")]
    conditions = [" ".join(str(c.get(k, "")) for k in ("event", "cause", "note"))
                  for c in record.get("conditions") or [] if isinstance(c, dict)]
    text = [*names, *place_names, record.get("description", ""), *(record.get("subjects") or []),
            *source_text, *conditions, (record.get("period") or {}).get("label", "")]
    period = record.get("period") or {}
    start = period.get("start", period.get("end"))
    end = period.get("end", period.get("start"))
    doc: dict[str, Any] = {
        "id": record["id"],
        "revision": revision,
        "title": record.get("title", ""),
        "text": "\n".join(t for t in text if t),
        "names": "\n".join(t for t in names + place_names if t),
        "place": "\n".join(t for t in place_names if t),
        "source": "\n".join(t for t in source_text if t),
        "title_sort": " ".join(fold_word(w) for w in querytext.WORD.findall(record.get("title", ""))) or "~",
        "modified": record.get("modified", ""),
        "data": zlib.compress(json.dumps(record, ensure_ascii=False).encode()),
    }
    if isinstance(start, int) and isinstance(end, int):
        doc["start"], doc["end"] = start, end
    for name, values in facet_values(record).items():
        if values:
            doc[FACET_FIELDS[name]] = SEPARATOR.join(values)
    return doc


def with_pairs(doc: dict[str, Any], common: index_fast.Common | None) -> dict[str, Any]:
    """`doc` with the pairs of its `common` words (the generation's; none when it has none)."""
    if common and (pairs := _pairs(doc, common)):
        doc[index_fast.PAIRS] = pairs
    return doc


#: The analyser kind (see `catalogue.index_bulk.KINDS`) of each analysed text field; the
#: Whoosh analysers above do the same for queries (`tests/test_index_bulk.py` checks they agree).
FIELD_KINDS = {"title": "folded", "text": "stemmed", "names": "names", "place": "names", "source": "folded"}


def _tokens(doc: dict[str, Any], fieldname: str) -> list[tuple[int, str]]:
    """(position, term) of an analysed field, as its analyzer indexes it."""
    return index_bulk.tokens(FIELD_KINDS[fieldname], doc.get(fieldname) or "")


def _pairs(doc: dict[str, Any], common: index_fast.Common,
           toks: dict[str, list[tuple[int, str]]] | None = None) -> str:
    """The adjacent pairs of common words of a document's phrase fields."""
    out: dict[str, None] = {}
    for fieldname in index_fast.PAIR_FIELDS:
        found = toks[fieldname] if toks and fieldname in toks else _tokens(doc, fieldname)
        out.update(dict.fromkeys(index_fast.pair_terms(fieldname, found, common[fieldname])))
    return SEPARATOR.join(out)


def analysed(doc: dict[str, Any], schema: fields.Schema,
             common: index_fast.Common | None) -> dict[str, index_bulk.Items]:
    """The postings of a document's analysed fields (each text tokenised once), adding its
    `pairs` field to `doc` when the generation has common words."""
    toks = {name: _tokens(doc, name) for name in FIELD_KINDS
            if name in doc and name in schema and type(schema[name].format) is formats.Positions}
    if common and index_fast.PAIRS in schema and (pairs := _pairs(doc, common, toks)):
        doc[index_fast.PAIRS] = pairs
    out = {name: index_bulk.positional_items(t) for name, t in toks.items()}
    for name in (*FACET_FIELDS.values(), index_fast.PAIRS):
        if name in doc and name in schema and (items := index_bulk.FORMAT_ITEMS.get(type(schema[name].format))):
            out[name] = items(doc[name])
    return out


def common_words(records: Iterable[dict[str, Any]]) -> index_fast.Common:
    """The words of each phrase field found in many of `records` (a sample of the catalogue)."""
    counts: dict[str, dict[str, int]] = {f: {} for f in index_fast.PAIR_FIELDS}
    total = 0
    for record in records:
        doc = document(record, 0)
        total += 1
        for fieldname, table in counts.items():
            for word in {t for _, t in _tokens(doc, fieldname)}:
                table[word] = table.get(word, 0) + 1
    return index_fast.pick_common(counts, total)


# -- query parsing ---------------------------------------------------------------------------


def overlap(first: int, last: int) -> wq.Query:
    """Records whose period overlaps the years first..last."""
    return wq.And([wq.NumericRange("start", None, last), wq.NumericRange("end", first, None)])


_WHOLE = re.compile(r"[+-]?[0-9]+")


def _open(value: Any) -> bool:
    """True for the open end of a range (``[1300 TO]``, ``[* TO 1400]``)."""
    return value is None or str(value).strip() in ("", "*")


def _clamped(year: int) -> int:
    """`year` within one year beyond the years of records: the same matches, and a number the index holds."""
    return min(max(year, RECORD_YEARS[0] - 1), RECORD_YEARS[1] + 1)


def query_year(text: str) -> int:
    """A year typed in a query, however large, read within one year beyond the years of records
    (the user is told when it lies beyond them); QueryParserError when not a whole number."""
    raw = str(text).strip()
    if not _WHOLE.fullmatch(raw):
        raise QueryParserError(f"a year is a whole number such as 1350 or -500, not “{raw[:30]}”")
    digits = raw.lstrip("+-").lstrip("0")
    year = int(raw) if len(digits) <= 18 else (YEAR_MIN if raw.startswith("-") else YEAR_MAX)
    if _clamped(year) != year:
        bounds.note(f"the year {raw[:30]} lies beyond the years a record can have "
                    f"({RECORD_YEARS[0]} to {RECORD_YEARS[1]})")
    return _clamped(year)


def query_century(text: str) -> int:
    """A century typed in a query (``XIV``, ``14``, ``II BCE``); QueryParserError otherwise."""
    number = centuries.parse(str(text))
    if number is None:
        raise QueryParserError(f"“{str(text).strip()[:30]}” is not a century from XXX BCE to XXX; "
                               "write e.g. XIV, 14 or II BCE")
    return number


class _YearField(fields.ID):
    """`year:1350`, `year:-500` and `year:[1300 TO 1400]`: records whose period overlaps."""

    def self_parsing(self) -> bool:
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
        year = query_year(qstring)
        return overlap(year, year)

    def parse_range(self, fieldname: str, start: Any, end: Any, startexcl: bool, endexcl: bool,
                    boost: float = 1.0) -> wq.Query:
        first = RECORD_YEARS[0] if _open(start) else _clamped(query_year(start) + bool(startexcl))
        last = RECORD_YEARS[1] if _open(end) else _clamped(query_year(end) - bool(endexcl))
        return overlap(first, last)


class _CenturyField(fields.ID):
    """`century:XIV`, `century:14`, `century:[XIV TO XV]`."""

    def self_parsing(self) -> bool:
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
        return overlap(*centuries.years(query_century(qstring)))

    def parse_range(self, fieldname: str, start: Any, end: Any, startexcl: bool, endexcl: bool,
                    boost: float = 1.0) -> wq.Query:
        first = OPEN_CENTURIES[0] if _open(start) else query_century(start)
        last = OPEN_CENTURIES[1] if _open(end) else query_century(end)
        return overlap(centuries.years(first)[0], centuries.years(last)[1])


#: Fields whose values the index reads itself, also when quoted (``year:"-500"``).
SELF_PARSED = ("year", "century")


class _VocabularyField(fields.ID):
    """`type:school`, `status:destroyed` (case and spaces forgiven), on a facet field."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target

    def self_parsing(self) -> bool:
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
        value = "_".join(qstring.lower().replace("-", " ").split())
        if value.endswith("*"):
            return wq.Prefix(self.target, value[:-1], boost=boost)
        return wq.Term(self.target, value, boost=boost)


def query_schema() -> fields.Schema:
    """The index schema plus the fields only queries use (year, century, type, status)."""
    schema = index_schema()
    schema.add("year", _YearField())
    schema.add("century", _CenturyField())
    schema.add("type", _VocabularyField("f_type"))
    schema.add("status", _VocabularyField("f_status"))
    return schema


_VOCABULARY_PHRASE = re.compile(r'\b(type|status):"([^"]*)"')
#: `year:-500`, which the parser would read as "not 500": quoted, it reaches the year field.
_SIGNED_VALUE = re.compile(r'\b(year|century):([+-][^\s()"]*)')


def _vocabulary_value(match: re.Match[str]) -> str:
    """`type:"house of culture"` as `type:house_of_culture` (vocabulary values are single terms)."""
    return f"{match[1]}:{'_'.join(match[2].lower().split()) or '*'}"


def make_parser() -> qparser.QueryParser:
    """The parser of the search box: AND by default, fields, phrases, fuzzy `word~`."""
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), query_schema(), fieldboosts=DEFAULT_FIELDS,
                                      group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin())
    return parser


def query_error(q: wq.Query) -> str | None:
    """Why the parser left an error node (e.g. `century:abc`), or None when it left none."""
    stack = [q]
    while stack:
        node = stack.pop()
        error = getattr(node, "error", None)
        if error:
            return str(error) if isinstance(error, QueryParserError) else "a field value is not valid"
        stack.extend(node.children())
    return None


def _self_parsed(q: wq.Query, schema: fields.Schema) -> wq.Query:
    """`q` with quoted values of the year and century fields read by those fields."""

    def visit(node: wq.Query) -> wq.Query:
        if getattr(node, "fieldname", None) in SELF_PARSED and isinstance(node, (wq.Term, wq.Phrase)):
            value = node.text if isinstance(node, wq.Term) else " ".join(node.words)
            return schema[node.fieldname].parse_query(node.fieldname, value)
        return node.apply(visit)

    return visit(q)


def fuzzy(q: wq.Query, limits: SearchLimits) -> wq.Query:
    """`q` with every word of the default fields made typo-tolerant (one letter from 4 letters,
    two from 7, within the limits); `q` itself when it has more such words than may be fuzzy."""
    words: set[Any] = set()

    def visit(node: wq.Query) -> wq.Query:
        if (type(node) is wq.Term and node.fieldname in DEFAULT_FIELDS and isinstance(node.text, str)
                and 4 <= len(node.text) <= limits.max_fuzzy_word_length and limits.max_edit_distance):
            words.add(bounds.word_key(node))
            distance = min(2 if len(node.text) >= 7 else 1, limits.max_edit_distance)
            new = bounds.FuzzyTerm(node.fieldname, node.text, boost=node.boost, maxdist=distance, prefixlength=1)
            new.startchar, new.endchar = getattr(node, "startchar", None), getattr(node, "endchar", None)
            return new
        return node.apply(visit)

    tolerant = visit(q)
    return q if len(words) > limits.max_fuzzy_terms else tolerant


# -- bitsets ---------------------------------------------------------------------------------


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


@dataclass
class _Facets:
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


def _build_facets(reader: Any, postings: index_fast.Postings) -> _Facets:
    size = reader.doc_count_all()
    live_mask = np.concatenate([leaf.live for leaf in postings.leaves]) if postings.leaves \
        else np.zeros(0, dtype=bool)
    facets = _Facets(size, index_fast.to_bitset(live_mask) if size else 0)
    for name, fieldname in FACET_FIELDS.items():
        table = facets.values[name] = {}
        for term in reader.lexicon(fieldname):
            mask = np.zeros(size, dtype=bool)
            for leaf in postings.leaves:
                ids, _ = postings.term(leaf, fieldname, term)
                mask[ids + leaf.offset] = True
            table[term.decode("utf-8")] = index_fast.to_bitset(mask & live_mask)
    return facets


# -- the index -------------------------------------------------------------------------------


@dataclass
class CheckReport:
    """What `SearchIndex.check` found (and repaired) comparing the index with the store."""

    store_seq: int
    index_seq: int
    caught_up: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    repaired: bool = False

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)


def _rebound(reader: Any, segment: Any, generation: int) -> Any:
    """A segment's open reader seeing the segment's current deletions (its files are unchanged)."""
    new = copy.copy(reader)
    new._segment, new._gen = segment, generation
    new._perdoc = copy.copy(reader._perdoc)
    new._perdoc._segment = segment
    return new


def _refreshed(searcher: Any) -> Any:
    """A searcher on the index's latest version that keeps the open readers of unchanged segments.

    Whoosh 2.7.4's own `refresh` means to reuse them but keys them by generation and looks them
    up by segment id, so it reopens every segment: copying a large segment's term file into
    memory (~60 ms at 100,000 records) on every commit.
    """
    ix = searcher._ix
    toc = ix._read_toc()
    old = {reader.segment().segment_id(): reader for reader, _ in searcher.reader().leaf_readers()
           if isinstance(reader, SegmentReader)}
    readers = []
    for segment in toc.segments:
        reader = old.pop(segment.segment_id(), None)
        readers.append(_rebound(reader, segment, toc.generation) if reader is not None
                       else SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation))
    for reader in old.values():  # segments merged away
        reader.close()
    if not readers:
        return ix.searcher()
    reader = readers[0] if len(readers) == 1 else MultiReader(readers, generation=toc.generation)
    return Searcher(reader, fromindex=ix, weighting=searcher.weighting)


class _Writer:
    """Puts store rows into a Whoosh SegmentWriter through the fast pool (`catalogue.index_bulk`)."""

    def __init__(self, writer: Any, common: index_fast.Common | None, readers: dict[str, Any] | None = None):
        self.writer, self.common = writer, common
        self.pool = index_bulk.install(writer)
        #: Deletions are needed only when committed segments may hold the record.
        self.existing = any(segment.doc_count_all() for segment in writer.segments)
        #: Open readers by segment id (the search's), used to find a record's documents.
        self.readers = readers or {}
        self._opened: dict[str, Any] = {}

    def __call__(self, record_id: str, row: Any) -> None:
        """Replace (or, for a deleted or missing row, remove) a record's document."""
        self.delete(record_id)
        if row is not None and not row.hidden:  # deleted or withheld: not searchable
            self.add(row.data, row.revision)

    def delete(self, record_id: str) -> None:
        """Remove a record's document from the committed segments."""
        if not self.existing:
            return
        btext = record_id.encode("utf-8")
        for segment in self.writer.segments:
            reader = self._reader(segment)
            if ("id", btext) in reader:
                for docnum in reader.postings("id", btext).all_ids():
                    segment.delete_document(docnum)

    def _reader(self, segment: Any) -> Any:
        segid = segment.segment_id()
        reader = self.readers.get(segid) or self._opened.get(segid)
        if reader is None:
            writer = self.writer
            reader = self._opened[segid] = SegmentReader(writer.storage, writer.schema, segment)
        return reader

    def add(self, record: dict[str, Any], revision: int) -> None:
        doc = document(record, revision)
        index_bulk.add_document(self.writer, self.pool, doc, analysed(doc, self.writer.schema, self.common))

    def close(self) -> None:
        for reader in self._opened.values():
            reader.close()
        self._opened.clear()


def _segment_worker(folder: str, common: index_fast.Common | None, inbox: Any, outbox: Any) -> None:
    """A writer process: index the (record, revision) batches it is sent into one new segment
    of the generation in `folder` (the parent holds the lock and commits the segments)."""
    try:
        ix = whoosh_index.open_dir(folder)
        writer = writing.SegmentWriter(ix, _lk=False)
        put = _Writer(writer, common)
        put.existing = False  # the parent deletes; this segment holds only new documents
        while (batch := inbox.get()) is not None:
            for record, revision in batch:
                put.add(record, revision)
        # (its temporary folder is the parent's too: the parent's commit removes it)
        segment = writer._finalize_segment() if writer.docnum else None
        outbox.put(("ok", segment))
    except BaseException as error:  # the parent reports it and cancels the whole write
        outbox.put(("error", f"{type(error).__name__}: {error}"))


def _single_threaded() -> bool:
    """True when this process runs one thread, the only state in which forking is safe."""
    return threading.active_count() == 1


class _Workers:
    """Writer processes that each build one segment from the batches sent round-robin to them.

    Forked (no re-import of the caller's main module, no start-up cost), so only from a process
    running one thread: forking a threaded one (a web server) could copy a held lock. Falsy,
    and unused, when `procs` is 1 or the process has other threads.
    """

    def __init__(self, folder: Path, common: index_fast.Common | None, procs: int):
        self.folder, self.common = folder, common
        self.procs = procs if _single_threaded() else 1
        self.processes: list[Any] = []
        self._next = 0

    def __bool__(self) -> bool:
        return self.procs > 1

    def __enter__(self) -> _Workers:
        if self:
            context = multiprocessing.get_context("fork")
            self.outbox = context.Queue()
            self.inboxes = [context.Queue(maxsize=4) for _ in range(self.procs)]
            self.processes = [context.Process(target=_segment_worker, daemon=True,
                                              args=(str(self.folder), self.common, inbox, self.outbox))
                              for inbox in self.inboxes]
            for process in self.processes:
                process.start()
        return self

    def send(self, batch: list[tuple[dict[str, Any], int]]) -> None:
        if batch:
            self.inboxes[self._next % self.procs].put(batch)
            self._next += 1

    def finish(self) -> list[Any]:
        """The segments the workers wrote (after they all ended)."""
        for inbox in self.inboxes:
            inbox.put(None)
        results = [self.outbox.get() for _ in self.processes]
        for process in self.processes:
            process.join()
        errors = [detail for status, detail in results if status == "error"]
        if errors:
            raise RuntimeError(f"an index writer process failed: {errors[0]}")
        return [segment for _, segment in results if segment is not None]

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()


def _commit_with(writer: Any, segments: list[Any]) -> None:
    """Commit a writer's deletions (and documents) plus the workers' segments, merging nothing."""
    final = writer._merge_segments(writing.NO_MERGE, False, False)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final + segments)
    writer._finish()


@contextlib.contextmanager
def _file_lock(path: Path, *, wait: bool = True) -> Iterator[None]:
    """An exclusive OS lock on `path` (released by the OS if the process dies)."""
    with open(path, "a+b") as handle:
        mode = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, mode)
        except BlockingIOError as error:
            raise LockError(f"{path} is locked by another process") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class SearchIndex:
    """A search index in a folder of the data directory (shared safely by threads and processes)."""

    def __init__(self, path: Path, limits: SearchLimits | None = None):
        self.path = Path(path)
        #: What one search may cost (see `catalogue.index_bounds`).
        self.limits = limits or SearchLimits()
        self._lexicons = index_fast.PostingCache(LEXICON_CACHE)
        self.path.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._facets: dict[tuple[str, Any], _Facets] = {}
        self._facets_lock = threading.Lock()
        self._parser = make_parser()
        #: Decoded postings shared by all threads, bounded in bytes (see `cache_stats`).
        self._postings_cache = index_fast.PostingCache()
        #: False answers every query with Whoosh alone (the reference the fast path is tested against).
        self.fast = True
        #: Writer processes of a reindex or a large sync (one per core, at most two).
        self.procs = min(2, os.cpu_count() or 1)

    # -- generations ---------------------------------------------------------------------

    def _generation(self) -> Path:
        """The live generation folder, created (empty) on first use."""
        current = self.path / CURRENT
        with contextlib.suppress(FileNotFoundError):
            name = current.read_text(encoding="utf-8").strip()
            if name and (self.path / name).is_dir():
                return self.path / name
        with _file_lock(self.path / "LOCK"):
            with contextlib.suppress(FileNotFoundError):
                name = current.read_text(encoding="utf-8").strip()
                if name and (self.path / name).is_dir():
                    return self.path / name
            folder = self._new_generation()
            _write_atomic(current, folder.name)
            return folder

    def _new_generation(self) -> Path:
        folder = self.path / f"gen-{time.time_ns()}-{os.getpid()}"
        folder.mkdir()
        whoosh_index.create_in(str(folder), index_schema())
        (folder / SEQ_FILE).write_text("0", encoding="utf-8")
        return folder

    @staticmethod
    def _read_seq(folder: Path) -> int:
        try:
            return int((folder / SEQ_FILE).read_text(encoding="utf-8").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def last_seq(self) -> int:
        """The last store change sequence applied to the index."""
        return self._read_seq(self._generation())

    # -- writing -------------------------------------------------------------------------

    def sync(self, store: Any) -> int:
        """Apply every store change after `last_seq`; return how many records changed.

        Safe to call from any thread or process at any time; when another process holds the
        index lock past the timeout, nothing is applied now and the next sync catches up.
        """
        if store.last_seq() <= self.last_seq():
            return 0
        with self._write_lock:
            folder = self._generation()
            try:
                return self._apply(folder, store)
            except LockError:
                log.warning("search index busy; it will catch up on the next write or `catalogue check`")
                return 0

    def _common(self, folder: Path, sample: Any = None) -> index_fast.Common | None:
        """The common words of a generation; chosen once, from `sample` records when given."""
        common = index_fast.read_common(folder)
        if common is None and sample is not None:
            records = [row.data for row in itertools.islice(sample(), index_fast.COMMON_SAMPLE)
                       if not getattr(row, "hidden", False)]
            if len(records) >= index_fast.COMMON_MIN_SAMPLE:
                common = common_words(records)
                index_fast.write_common(folder, common, _write_atomic)
        return common

    def _apply(self, folder: Path, store: Any, ids: Iterable[str] = ()) -> int:
        ix = whoosh_index.open_dir(str(folder))
        writer = ix.writer(timeout=LOCK_TIMEOUT, delay=0.05)
        try:
            seq = start = self._read_seq(folder)
            count = 0
            common = self._common(folder, (lambda: store.changed_since(seq, limit=index_fast.COMMON_SAMPLE))
                                  if start == 0 else None)
            put = _Writer(writer, common, self._open_readers(folder))
            for record_id in ids:  # repairs named by `check`
                put(record_id, store.get(record_id))
                count += 1
            procs = self.procs if store.last_seq() - start >= PARALLEL_MIN else 1
            with _Workers(folder, common, procs) as workers:
                while rows := store.changed_since(seq, limit=BATCH):
                    if workers:
                        for row in rows:
                            put.delete(row.id)
                        workers.send([(r.data, r.revision) for r in rows if not r.hidden])
                    else:
                        for row in rows:
                            put(row.id, row)
                    count += len(rows)
                    seq = rows[-1].seq
                put.close()
                if workers:
                    _commit_with(writer, workers.finish())
                else:
                    writer.commit()
        except BaseException:
            writer.cancel()
            raise
        finally:
            ix.close()
        if seq != start:
            _write_atomic(folder / SEQ_FILE, str(seq))
        return count

    def reindex(self, store: Any, *, procs: int | None = None) -> int:
        """Build a fresh index from the store in a new folder and swap it in; return records indexed.

        Searches use the old generation until the swap; a crash leaves the old one live and the
        half-built folder is removed by the next reindex. `procs` writer processes (default
        `self.procs`) each write one segment of the new index.
        """
        procs = max(1, procs or self.procs) if store.last_seq() >= PARALLEL_MIN else 1
        with _file_lock(self.path / "REINDEX", wait=False):
            self._remove_stale_generations()
            folder = self._new_generation()
            seq = store.last_seq()
            common = self._common(folder, store.iter_records)
            ix = whoosh_index.open_dir(str(folder))
            writer = ix.writer()
            count = 0
            try:
                with _Workers(folder, common, procs) as workers:
                    if workers:
                        rows = store.iter_records()
                        while batch := [(row.data, row.revision) for row in itertools.islice(rows, BATCH)]:
                            workers.send(batch)
                            count += len(batch)
                        _commit_with(writer, workers.finish())
                    else:
                        put = _Writer(writer, common)
                        for row in store.iter_records():
                            put.add(row.data, row.revision)
                            count += 1
                        writer.commit(mergetype=writing.CLEAR)
            except BaseException:
                writer.cancel()
                ix.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise
            ix.close()
            _write_atomic(folder / SEQ_FILE, str(seq))
            with _file_lock(self.path / "LOCK"):
                _write_atomic(self.path / CURRENT, folder.name)
        self.sync(store)
        return count

    def _remove_stale_generations(self) -> None:
        """Delete generations older than the live one and the one before it."""
        live = self._generation().name
        folders = sorted(p for p in self.path.glob("gen-*") if p.is_dir() and p.name != live)
        for old in folders[:-1] if folders and folders[-1].name < live else folders:
            shutil.rmtree(old, ignore_errors=True)

    def check(self, store: Any, *, repair: bool = True) -> CheckReport:
        """Compare the index with the store: catch up, then find records missing, extra or stale."""
        report = CheckReport(store_seq=store.last_seq(), index_seq=self.last_seq())
        if repair:
            report.caught_up = self.sync(store)
        indexed = self._indexed_revisions()
        for row in store.iter_records(include_deleted=True):
            have = indexed.pop(row.id, None)
            if row.hidden:
                if have is not None:
                    report.extra.append(row.id)
            elif have is None:
                report.missing.append(row.id)
            elif have != row.revision:
                report.stale.append(row.id)
        report.extra.extend(sorted(indexed))
        if repair and report.drift:
            with self._write_lock:
                self._apply(self._generation(), store, ids=[*report.missing, *report.extra, *report.stale])
            report.repaired = True
        return report

    def _indexed_revisions(self) -> dict[str, int]:
        searcher = self._searcher()
        reader = searcher.reader()
        ids, revisions = reader.column_reader("id"), reader.column_reader("revision")
        return {ids[n]: revisions[n] for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}

    # -- reading -------------------------------------------------------------------------

    def _searcher(self) -> Any:
        """This thread's searcher on the live generation, refreshed when the index changed."""
        folder = self._generation()
        local = self._local
        searcher = getattr(local, "searcher", None)
        if searcher is not None and local.folder == folder:
            if not searcher.up_to_date():
                local.searcher = searcher = _refreshed(searcher)
            return searcher
        if searcher is not None:
            searcher.close()
        local.ix = whoosh_index.open_dir(str(folder))
        local.searcher, local.folder = local.ix.searcher(), folder
        return local.searcher

    def _open_readers(self, folder: Path) -> dict[str, Any]:
        """This thread's open segment readers of a generation, by segment id."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None or self._local.folder != folder:
            return {}
        return {reader.segment().segment_id(): reader for reader, _ in searcher.reader().leaf_readers()
                if isinstance(reader, SegmentReader)}

    def _postings(self, searcher: Any) -> index_fast.Postings:
        """The numpy posting reader of this thread's searcher (rebuilt when the searcher is)."""
        local = self._local
        postings = getattr(local, "postings", None)
        if postings is None or postings.searcher is not searcher:
            local.postings = postings = index_fast.Postings(searcher, self._postings_cache)
        return postings

    def cache_stats(self) -> dict[str, int]:
        """Sizes of the search caches: decoded postings (byte-capped LRU) and facet bitsets."""
        stats = {f"postings_{k}": v for k, v in self._postings_cache.stats().items()}
        with self._facets_lock:
            sets = list(self._facets.values())
        stats["facet_bitset_bytes"] = sum((bits.bit_length() + 7) // 8 for s in sets
                                          for table in s.values.values() for bits in table.values())
        return stats

    def _facet_sets(self, searcher: Any) -> _Facets:
        reader = searcher.reader()
        key = (str(self._local.folder), reader.generation())
        with self._facets_lock:
            found = self._facets.get(key)
        if found is None:
            found = _build_facets(reader, self._postings(searcher))
            with self._facets_lock:
                self._facets = {key: found}  # only the newest version is kept: memory stays bounded
        return found

    def search(self, query: str, *, filters: dict[str, list[str]], sort: str, page: int, page_size: int,
               facets: bool, highlight: bool, facet_limit: int | None = FACET_LIMIT) -> SearchResult:
        """One page of hits for `query` with facet filters, counts, snippets and suggestions.

        Matching runs within the time budget and expansion limit; a query that meets either
        is searched as its plain words (given half the budget again), else answered with no
        hits, each with a notice saying why. Highlighting gets a quarter of the budget."""
        text = querytext.clean(query)
        page, page_size = max(1, int(page)), min(max(1, int(page_size)), 1000)
        sort = sort if sort in SORTS else "relevance"
        filters = _clean_filters(filters)
        result = SearchResult(query=query, total=0, page=page, page_size=page_size, sort=sort, filters=filters)
        q, result.notice, plain = self._parse(text, querytext.unreadable_characters(query))
        searcher = self._searcher()
        sets = self._facet_sets(searcher)
        allowed = _filter_bits(sets, filters)
        budget = self._budget()
        try:
            with bounds.active(budget):
                q, matched, scores = self._matches(searcher, sets, q, allowed, retry=bool(text) and not plain)
        except bounds.TooExpensive as why:
            budget = self._budget(self.limits.time_budget_ms / 2)
            q = self._plain(text)
            try:
                with bounds.active(budget):
                    q, matched, scores = self._matches(searcher, sets, q, allowed, retry=False)
                result.notice = EXPENSIVE_NOTICE.format(why)
            except bounds.TooExpensive as again:
                q, matched, scores = wq.NullQuery, 0, None
                result.notice = REFUSED_NOTICE.format(again)
        result.total = matched.bit_count()
        if result.total < FEW_HITS and text:
            result.suggestion = self._suggest(searcher, text)
        if facets:
            result.facets = _count(sets, matched, filters, facet_limit)
        if result.total > (page - 1) * page_size:
            # the page re-uses matching's expansions; highlighting a huge one is given up in time
            with bounds.active(budget.renewed(self.limits.time_budget_ms / 4)):
                try:
                    result.hits = self._hits(searcher, sets, q, matched, scores, sort, page, page_size, highlight)
                except bounds.TooExpensive:
                    result.hits = self._hits(searcher, sets, q, matched, scores, sort, page, page_size, False)
        return result

    def _budget(self, ms: float | None = None) -> bounds.Budget:
        return bounds.Budget(self.limits, ms=ms, lexicons=self._lexicons)

    def _matches(self, searcher: Any, sets: _Facets, q: wq.Query, allowed: int,
                 retry: bool) -> tuple[wq.Query, int, Any]:
        """The query answered, its allowed matches and scores; with no match, `retry` asks
        again with typo tolerance (skipped when that would be too expensive)."""
        matched, scores = self._match(searcher, q, sets)
        matched &= allowed
        if not matched and retry:
            fuzzy_q = fuzzy(q, self.limits)
            if fuzzy_q != q:
                try:
                    tolerant, tolerant_scores = self._match(searcher, fuzzy_q, sets)
                except bounds.TooExpensive:
                    return q, matched, scores
                q, matched, scores = fuzzy_q, tolerant & allowed, tolerant_scores
        return q, matched, scores

    def _hits(self, searcher: Any, sets: _Facets, q: wq.Query, matched: int, scores: Any, sort: str, page: int,
              page_size: int, highlight: bool) -> list[Hit]:
        if scores is not None and sort == "relevance":
            return self._fast_page(searcher, q, matched, scores, page, page_size, highlight)
        if sort != "relevance":
            return self._sorted_page(searcher, sets, q, matched, sort, page, page_size, highlight)
        allow = None if matched == sets.live else set(members(matched))
        return self._page(searcher, q, allow, sort, page, page_size, highlight)

    def _parse(self, text: str, reason: str | None = None) -> tuple[wq.Query, str | None, bool]:
        """The bounded query of cleaned `text`, a notice of how it was read, and whether it fell back
        to plain words (`reason`: a problem of the text as typed, found before it was cleaned)."""
        if not text:
            return wq.Every(), None, False
        reason = reason or querytext.problem(text, self.limits.max_query_length)
        if reason is None:
            try:
                with bounds.noting() as notes:
                    rewritten = _SIGNED_VALUE.sub(r'\1:"\2"', _VOCABULARY_PHRASE.sub(_vocabulary_value, text))
                    q = _self_parsed(self._parser.parse(rewritten), self._parser.schema)
            except QueryParserError as error:
                reason = str(error)
            except Exception:  # the parser's failure modes are many; the user gets plain text
                reason = "the query syntax is not valid"
            else:
                reason = query_error(q)
                if reason is None:
                    q, capped = bounds.bound(q, self.limits)
                    notice = " ".join(filter(None, [READ_AS_NOTICE.format("; ".join(notes)) if notes else "",
                                                    LIMITED_NOTICE.format("; ".join(capped)) if capped else ""]))
                    return q, notice or None, False
        return self._plain(text), PLAIN_NOTICE.format(reason), True

    def _plain(self, text: str) -> wq.Query:
        """The words of `text` alone (no fields, prefixes or typo tolerance): a cheap query."""
        words = querytext.plain(text[: self.limits.max_query_length * 10])
        return bounds.bound(self._parser.parse(words), self.limits)[0] if words else wq.NullQuery

    def _match(self, searcher: Any, q: wq.Query, sets: _Facets) -> tuple[int, Any]:
        """The live documents `q` matches (a bitset) and, on the fast path, every document's score."""
        if self.fast:
            try:
                postings = self._postings(searcher)
                common = index_fast.read_common(self._local.folder) if index_fast.PAIRS in searcher.schema else None
                mask, scores = index_fast.Evaluator(postings, common, bounds.current()).run(q)
                return index_fast.to_bitset(mask) & sets.live, scores
            except index_fast.Unsupported as why:
                log.debug("whoosh answers %r: %s", q, why)
        if isinstance(q, wq.Every):
            return sets.live, None
        return bitset(searcher.docs_for_query(q), sets.size) & sets.live, None

    @staticmethod
    def _fast_page(searcher: Any, q: wq.Query, matched: int, scores: Any, page: int, page_size: int,
                   highlight: bool) -> list[Hit]:
        """A page ranked by the fast path's scores (ties to the lower document number, as Whoosh)."""
        limit = page * page_size
        mask = index_fast.from_bitset(matched, len(scores))
        docs = index_fast.top(index_fast.rank_key(scores), mask, limit)[(page - 1) * page_size:]
        terms = _query_terms(q, searcher.reader()) if highlight else set()
        return [_hit(searcher.stored_fields(int(n))["data"], float(scores[n]), terms, highlight) for n in docs]

    @staticmethod
    def _sorted_page(searcher: Any, sets: _Facets, q: wq.Query, matched: int, sort: str, page: int,
                     page_size: int, highlight: bool) -> list[Hit]:
        """A page ordered by title or date modified, from per-version sort keys, instead of
        Whoosh sorting every match in Python. Ties go by document number like Whoosh's sort,
        reversed with the order for newest first (the latest written document comes first)."""
        column = "title_sort" if sort == "title" else "modified"
        key = sets.sort_key(searcher.reader(), column)
        if sort == "-modified":
            key = -(key * max(sets.size, 1) + np.arange(len(key), dtype=np.int64))
        mask = index_fast.from_bitset(matched, sets.size)
        docs = index_fast.top(key, mask, page * page_size)[(page - 1) * page_size:]
        terms = _query_terms(q, searcher.reader()) if highlight else set()
        return [_hit(searcher.stored_fields(int(n))["data"], 0.0, terms, highlight) for n in docs]

    @staticmethod
    def _page(searcher: Any, q: wq.Query, allow: set[int] | None, sort: str, page: int, page_size: int,
              highlight: bool) -> list[Hit]:
        """A page from Whoosh alone. Relevance scores every match (Whoosh 2.7.4's top-N collector
        misses better documents even unoptimised) and ranks them as the fast path does."""
        limit = page * page_size
        terms = _query_terms(q, searcher.reader()) if highlight else set()
        if sort == "relevance":
            results = searcher.search(q, limit=None, filter=allow, optimize=False)
            scores = np.array([hit.score or 0.0 for hit in results], dtype=np.float64)
            keys = index_fast.rank_key(scores).tolist()
            ranked = sorted(zip(keys, (hit.docnum for hit in results), scores.tolist(), strict=True))
            return [_hit(searcher.stored_fields(n)["data"], float(score or 0.0), terms, highlight)
                    for _, n, score in ranked[(page - 1) * page_size: limit]]
        results = searcher.search(q, limit=limit, filter=allow, optimize=False,
                                  sortedby="title_sort" if sort == "title" else "modified", reverse=sort == "-modified")
        return [_hit(hit["data"], 0.0, terms, highlight) for hit in results[(page - 1) * page_size: limit]]

    def _suggest(self, searcher: Any, text: str) -> str | None:
        """The query with unknown words replaced by the most frequent close title word."""
        reader = searcher.reader()
        changed, out = False, text
        longest = min(40, self.limits.max_fuzzy_word_length)
        for word in querytext.WORD.findall(text)[:SUGGEST_WORDS]:
            folded = fold_word(word)
            if word in querytext.OPERATORS or not 3 <= len(folded) <= longest or self._known(reader, folded):
                continue
            distance = min(2 if len(folded) >= 7 else 1, self.limits.max_edit_distance)
            candidates = list(bounds.fuzzy_words(reader, "title", folded, distance, 1)) if distance else []
            if candidates:
                best = max(candidates, key=lambda t: (reader.doc_frequency("title", t), t))
                out, changed = out.replace(word, best, 1), True
        return out if changed else None

    @staticmethod
    def _known(reader: Any, folded: str) -> bool:
        return bool(reader.doc_frequency("title", folded) or reader.doc_frequency("text", stem(folded))
                    or reader.doc_frequency("names", phonetic(folded)))

    def close(self) -> None:
        """Release this thread's searcher and file handles."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
            self._local.folder = None


def _hit(data: bytes, score: float, terms: set[tuple[str, str]], highlight: bool) -> Hit:
    """A hit from a stored document, its snippet highlighted with the query's terms."""
    record = json.loads(zlib.decompress(data))
    text = snippet_text(record)
    spans = _spans(text, terms) if highlight else []
    return Hit(id=record["id"], title=record.get("title", ""), score=score, record=record,
               snippet=snippet(text, spans))


def _clean_filters(filters: dict[str, list[str]] | None) -> dict[str, list[str]]:
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


def _filter_bits(sets: _Facets, filters: dict[str, list[str]]) -> int:
    bits = sets.live
    for name, values in filters.items():
        table = sets.values.get(name, {})
        union = 0
        for value in values:
            union |= table.get(value, 0)
        bits &= union
    return bits


def _count(sets: _Facets, matched: int, filters: dict[str, list[str]],
           limit: int | None = FACET_LIMIT) -> dict[str, list[FacetValue]]:
    counts: dict[str, list[FacetValue]] = {}
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
        counts[name] = keep
    return counts


def _century_order(label: str) -> int:
    number = centuries.parse(label)
    return number if number is not None else 10**6


_HIGHLIGHT_KINDS = {"title": "folded", "source": "folded", "text": "stemmed", "names": "names", "place": "names"}


def _query_terms(q: wq.Query, reader: Any) -> set[tuple[str, str]]:
    """(analyzer group, term) pairs the query matched, prefixes and fuzzy terms expanded."""
    terms = set()
    # Expanded per segment: a prefix or fuzzy expansion over Whoosh's MultiReader merges every
    # segment's term list in Python (~0.6 s at 100,000 records); the union is the same terms.
    segments = [leaf_reader for leaf_reader, _ in reader.leaf_readers()] or [reader]
    try:  # not q.existing_terms(): in whoosh 2.7.4 it skips every field after the first
        budget = bounds.current()
        for leaf in q.leaves():
            for segment in segments:
                for number, (fieldname, value) in enumerate(leaf.expanded_terms(segment, phrases=True)):
                    if budget is not None and not number % 256:
                        budget.check()
                    kind = _HIGHLIGHT_KINDS.get(fieldname)
                    word = value.decode("utf-8") if isinstance(value, bytes) else value
                    if kind and (fieldname, word) in segment:
                        terms.add((kind, word))
    except bounds.TooExpensive:  # a page of hits without highlights rather than none
        log.info("highlighting skipped: %r expands past the search's limits", q)
    except Exception:  # highlighting must never break a search
        log.exception("could not collect the terms of %r for highlighting", q)
    return terms


def _spans(text: str, terms: set[tuple[str, str]]) -> list[tuple[int, int]]:
    """Character spans of `text` whose folded or phonetic form is a matched term."""
    if not terms or not text:
        return []
    spans = []
    kinds = {kind: {t for k, t in terms if k == kind} for kind in ("folded", "stemmed", "names")}
    for token in FOLDED(text, chars=True, mode="index"):
        word = token.text
        if (word in kinds["folded"] or (kinds["stemmed"] and stem(word) in kinds["stemmed"])
                or (kinds["names"] and phonetic(word) in kinds["names"])):
            spans.append((token.startchar, token.endchar))
    return spans
