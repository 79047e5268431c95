"""From what a user typed to a bounded Whoosh query, and the notices saying how it was read.

The text is checked first for the mistakes a parser would silently misread (unbalanced quotes
or parentheses, a field with nothing after it, control characters, a query longer than
`SearchLimits.max_query_length`): such a query is answered as its plain words, and said so.
The parser knows the catalogue's own fields (``year:``, ``century:``, ``type:``, ``status:``),
and every parsed query is bounded (`catalogue.search.bounds`) before it runs. Words typed
without a field stay as typed (a hyphen inside a word joins, it does not exclude); what they
search, and how loosely, is `catalogue.search.words`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .. import centuries
from . import bounds
from ._whoosh import QueryParserError, fields, qparser, wq
from .analysis import PHRASE_FIELDS, RAW, WORD, term
from .documents import index_schema
from .folding import fold_word, normalise_query
from .limits import SearchLimits
from .words import WORD_FIELD, Pieces

#: Most words a plain-text fallback keeps.
MAX_WORDS = 32
#: Longest word a plain-text fallback keeps.
MAX_WORD = 100
#: Words of a query looked at for suggestions.
SUGGEST_WORDS = 8
PLAIN_NOTICE = "The query could not be read as written ({}); its words were searched as plain text."
LIMITED_NOTICE = "The query was limited to keep searches fast: {}."
READ_AS_NOTICE = "About the query: {}."
EXPENSIVE_NOTICE = "The query is too expensive to run as written ({}); it was simplified to its plain words."
REFUSED_NOTICE = "The query is too expensive to run ({}); try fewer or more specific words."
LOOSER_NOTICE = ("No record has every word as typed, and a looser search (other spellings, typos or some of "
                 "the words) was stopped: {}; try fewer or more specific words.")
#: Stand-ins for years too long to convert (any beyond the years of records reads the same).
YEAR_MIN, YEAR_MAX = -(2**31), 2**31 - 1
#: Years a record's period may hold (the record schema's bounds; `tests/test_search_limits.py` checks): the
#: open ends of a year range; a query year is read as at most one year beyond them, which no
#: record reaches (so the index never sees a number at the edge of what it holds).
RECORD_YEARS = (-100000, 3000)
OPEN_CENTURIES = (-1000, 30)

# -- the text as typed -----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_EMPTY_FIELD = re.compile(r"(?:^|[\s(])[\w.]+:(?=$|[\s)])")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def clean(text: str) -> str:
    """Normalised text without control characters (tabs and newlines become spaces)."""
    return _CONTROL.sub(" ", normalise_query(text or "").replace("\t", " ").replace("\n", " ")).strip()


def unreadable_characters(query: str) -> str | None:
    """Why a query as typed cannot be searched as written: control characters, which `clean`
    removes (tabs and line breaks are spaces, not a problem)."""
    return "it contains control characters" if _CONTROL.search(query or "") else None


def problem(text: str, max_length: int) -> str | None:
    """Why `text` cannot be read as a structured query, or None when it can (`max_length`:
    `SearchLimits.max_query_length`, the one limit of every door)."""
    if len(text) > max_length:
        return f"the query is longer than {max_length} characters"
    if text.count('"') % 2:
        return "a quotation mark is not closed"
    depth = 0
    for char in re.sub(r'"[^"]*"', "", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return "a parenthesis is closed that was never opened"
    if depth:
        return "a parenthesis is not closed"
    if _EMPTY_FIELD.search(re.sub(r'"[^"]*"', '""', text)):
        return "a field name has nothing after it"
    return None


def plain(text: str) -> str:
    """Only the words of `text` (operators lowercased, so they are words too)."""
    words = [w[:MAX_WORD] for w in WORD.findall(text)[:MAX_WORDS]]
    return " ".join(w.lower() if w in OPERATORS else w for w in words)


# -- parsing ---------------------------------------------------------------------------------


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
    schema.add(WORD_FIELD, fields.TEXT(analyzer=RAW))
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


class _Parser(qparser.QueryParser):
    """Whoosh's parser, keeping a word typed without a field whole when its analyser splits it
    (`catalogue.search.words.Pieces`) instead of merging its pieces into the query's words."""

    def term_query(self, fieldname: str, text: str, termclass: Any, boost: float = 1.0, tokenize: bool = True,
                   removestops: bool = True) -> Any:
        q = super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        if fieldname == WORD_FIELD and type(q) is wq.And:
            return Pieces(list(q.subqueries), boost=q.boost, raw=text)
        return q


def make_parser() -> qparser.QueryParser:
    """The parser of the search box: AND by default, fields, phrases, fuzzy `word~`, `+word`
    and `-word` (a hyphen inside a word, as in ``Tea-growers``, is part of it)."""
    parser = _Parser(WORD_FIELD, query_schema(), group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
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


def _positional(field: Any) -> bool:
    """Whether a field keeps word positions (what a phrase needs; Whoosh fails a phrase without)."""
    return bool(field.format) and field.format.supports("positions")


def _self_parsed(q: wq.Query, schema: fields.Schema) -> wq.Query:
    """`q` with quoted values of the year and century fields read by those fields;
    QueryParserError for a phrase of several words in a field that keeps no positions."""

    def visit(node: wq.Query) -> wq.Query:
        if getattr(node, "fieldname", None) in SELF_PARSED and isinstance(node, (wq.Term, wq.Phrase)):
            value = node.text if isinstance(node, wq.Term) else " ".join(node.words)
            return schema[node.fieldname].parse_query(node.fieldname, value)
        if isinstance(node, wq.Phrase) and node.fieldname in schema and not _positional(schema[node.fieldname]):
            raise QueryParserError(f"a phrase cannot be searched in the field {node.fieldname}; "
                                   f"phrases are searched in {', '.join(PHRASE_FIELDS)}")
        return node.apply(visit)

    return visit(q)


@dataclass
class Parsed:
    """A parsed, bounded query: its tree (words typed without a field still as typed, see
    `catalogue.search.words`), the text it was parsed from, a notice of how it was read, and
    whether it fell back to plain words."""

    raw: wq.Query
    text: str
    notice: str | None = None
    plain: bool = False


def parse(parser: qparser.QueryParser, text: str, limits: SearchLimits, reason: str | None = None) -> Parsed:
    """The bounded query of cleaned `text` (`reason`: a problem of the text as typed, found
    before it was cleaned, which makes it searched as plain words)."""
    if not text:
        return Parsed(wq.Every(), text)
    reason = reason or problem(text, limits.max_query_length)
    if reason is None:
        try:
            with bounds.noting() as notes:
                rewritten = _SIGNED_VALUE.sub(r'\1:"\2"', _VOCABULARY_PHRASE.sub(_vocabulary_value, text))
                q = _self_parsed(parser.parse(rewritten), parser.schema)
        except QueryParserError as error:
            reason = str(error)
        except Exception:  # the parser's failure modes are many; the user gets plain text
            reason = "the query syntax is not valid"
        else:
            reason = query_error(q)
            if reason is None:
                q, capped = bounds.bound(q, limits)
                notice = " ".join(filter(None, [READ_AS_NOTICE.format("; ".join(notes)) if notes else "",
                                                LIMITED_NOTICE.format("; ".join(capped)) if capped else ""]))
                return Parsed(q, rewritten, notice or None)
    found = plain_query(parser, text, limits)
    found.notice, found.plain = PLAIN_NOTICE.format(reason), True
    return found


def plain_query(parser: qparser.QueryParser, text: str, limits: SearchLimits) -> Parsed:
    """The words of `text` alone (no fields, prefixes or typo tolerance): a cheap query."""
    words = plain(text[: limits.max_query_length * 10])
    return Parsed(bounds.bound(parser.parse(words), limits)[0] if words else wq.NullQuery, words)


# -- did you mean ----------------------------------------------------------------------------


def suggest(reader: Any, text: str, limits: SearchLimits, lexicons: Any = None) -> str | None:
    """The query with each word that no record holds (in any script, folded, stemmed or by
    by its phonetic key) replaced by the most frequent folded title or text word
    within one or two letters of its folded form: ``Шушв`` -> ``shusha`` (`lexicons`: the
    index's cache of word lists, see `catalogue.search.lexicons`)."""
    changed, out = False, text
    longest = min(40, limits.max_fuzzy_word_length)
    for word in WORD.findall(text)[:SUGGEST_WORDS]:
        folded = fold_word(word)
        if word in OPERATORS or not 3 <= len(folded) <= longest or _known(reader, word):
            continue
        distance = min(2 if len(folded) >= 7 else 1, limits.max_edit_distance)
        candidates = {t for f in ("title", "text") for t in bounds.fuzzy_words(reader, f, folded, distance, 1, lexicons)
                      } if distance else set()
        if candidates:
            best = max(candidates, key=lambda t: (reader.doc_frequency("title", t) + reader.doc_frequency("text", t),
                                                 t))
            out, changed = out.replace(word, best, 1), True
    return out if changed else None


def _known(reader: Any, word: str) -> bool:
    return any(reader.doc_frequency(f, t) for f, kind in (("text", "folded"), ("stem", "stemmed"),
                                                         ("names", "names"))
               if (t := term(kind, word)))
