"""What one search may cost: bounds on a parsed query's expansions, typo tolerance and time.

A few typed characters can ask Whoosh 2.7.4 for seconds or minutes of pure-Python work under
the GIL: a fuzzy word builds a Levenshtein automaton that grows with its length and edit
distance (``<30 letters>~5`` took 36 s), and a prefix, wildcard or range may stand for every
word of a field. So a parsed query is bounded before it runs (`bound`: edit distance, fuzzy
word length, fuzzy words per query), its expanding parts are replaced by subclasses whose
expansions are counted against `SearchLimits.max_expansion_terms` and made once per search
(`expand`), fuzzy words are found with rapidfuzz over the segment's sorted word list rather
than an automaton (the same words: Levenshtein distance after an exact prefix), and the
search's deadline is checked as it goes (`Budget.check`). `TooExpensive` says which bound a
query met; the index then simplifies the query (see `SearchIndex.search`).
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ._whoosh import ranges, terms, wq
from .lexicons import lexicons_of
from .limits import SearchLimits

#: Expansion words between two looks at the clock.
CHECK_EVERY = 64


class TooExpensive(Exception):
    """A search met one of its bounds; the message says which, in words for the user."""


class Budget:
    """The bounds of one search: its deadline, the index words its expansions stood for, and
    the expansions made so far (matching and highlighting expand each part once)."""

    def __init__(self, limits: SearchLimits, *, ms: float | None = None, lexicons: Any = None):
        self.limits = limits
        self.ms = limits.time_budget_ms if ms is None else ms
        self.deadline = time.monotonic() + self.ms / 1000
        self.words: set[tuple[str, Any]] = set()
        self.expansions: dict[tuple[Any, Any], list[Any]] = {}
        #: A byte-capped cache of segments' whole word lists (see `fuzzy_words`), or None.
        self.lexicons = lexicons

    def check(self) -> None:
        """Raise TooExpensive once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise TooExpensive(f"it needs more than {self.ms:,.0f} ms")

    def renewed(self, ms: float) -> Budget:
        """This budget (its expansions and counts kept) with `ms` more from now."""
        self.ms, self.deadline = ms, time.monotonic() + ms / 1000
        return self

    def count(self, fieldname: str, word: Any) -> None:
        """Count one index word an expansion stands for; TooExpensive past the limit."""
        self.words.add((fieldname, word))
        if len(self.words) > self.limits.max_expansion_terms:
            raise TooExpensive(f"its prefixes, wildcards, ranges or fuzzy words stand for more than "
                               f"{self.limits.max_expansion_terms:,} words")


_BUDGET: ContextVar[Budget | None] = ContextVar("catalogue_search_budget", default=None)
_NOTES: ContextVar[list[str] | None] = ContextVar("catalogue_query_notes", default=None)


@contextlib.contextmanager
def active(budget: Budget) -> Iterator[Budget]:
    """Run the block (a search's matching) within `budget`."""
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def current() -> Budget | None:
    """The budget of the search running in this thread, if any."""
    return _BUDGET.get()


@contextlib.contextmanager
def noting() -> Iterator[list[str]]:
    """Collect what the query's fields `note` while it is parsed (e.g. a year read as another)."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def note(text: str) -> None:
    """Tell the user how their query was read (kept only while `noting`)."""
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)


# -- expansions ------------------------------------------------------------------------------


def _segment_key(reader: Any) -> Any:
    segment = getattr(reader, "segment", None)
    info = segment() if callable(segment) else None  # (a whole version's reader has none)
    return info.segment_id() if info is not None else id(reader)


def indexed(reader: Any, fieldname: str) -> bool:
    """True when `reader` has a word list for the field (``type:`` is read by the query
    parser but indexed as ``f_type``: a range over ``type`` itself stands for no words)."""
    return fieldname in reader.schema and reader.schema[fieldname].format is not None


def expand(node: wq.Query, reader: Any, words: Iterable[Any]) -> Iterable[Any]:
    """The words `node` stands for in `reader`, within the current search's budget (each
    expansion made once per search); unbounded outside a search."""
    budget = _BUDGET.get()
    if budget is None:
        return words
    key = (_segment_key(reader), node)
    found = budget.expansions.get(key)
    if found is None:
        found = []
        for number, word in enumerate(words):
            if not number % CHECK_EVERY:
                budget.check()
            budget.count(node.fieldname, word)
            found.append(word)
        budget.expansions[key] = found
    return found


def fuzzy_words(reader: Any, fieldname: str, text: str, maxdist: float, prefix: int,
                lexicons: Any = None) -> Iterator[str]:
    """The words of a field within `maxdist` edits of `text` whose first `prefix` letters equal
    its own, in index order: the words Whoosh's automaton finds, without building it."""
    if not indexed(reader, fieldname):
        return
    prefix = max(0, min(int(prefix), len(text)))
    head, tail, limit = text[:prefix], text[prefix:], int(maxdist)
    found: set[str] = set()
    for found_in in lexicons_of(reader, fieldname, lexicons):
        words, choices = found_in.starting(head)
        for _, _, index in process.extract_iter(tail, choices, scorer=Levenshtein.distance, score_cutoff=limit):
            found.add(words[index])
    yield from sorted(found)


class FuzzyTerm(terms.FuzzyTerm):
    """Whoosh's FuzzyTerm, expanded by `fuzzy_words` within the search's bounds."""

    def _btexts(self, ixreader: Any) -> Iterable[Any]:
        budget = _BUDGET.get()
        words = fuzzy_words(ixreader, self.fieldname, self.text, self.maxdist, self.prefixlength,
                            budget.lexicons if budget else None)
        return expand(self, ixreader, words)


class Prefix(terms.Prefix):
    """Whoosh's Prefix within the search's bounds; ``field:*`` expands like any prefix."""

    def _btexts(self, ixreader: Any) -> Iterable[Any]:
        return expand(self, ixreader, super()._btexts(ixreader) if indexed(ixreader, self.fieldname) else ())

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        # Whoosh answers an empty prefix with Every(field), which reads every word unbounded.
        return terms.MultiTerm.matcher(self, searcher, context)


class Wildcard(terms.Wildcard):
    """Whoosh's Wildcard within the search's bounds."""

    def _btexts(self, ixreader: Any) -> Iterable[Any]:
        return expand(self, ixreader, super()._btexts(ixreader) if indexed(ixreader, self.fieldname) else ())

    def normalize(self) -> wq.Query:
        return _as_bounded(super().normalize())


class TermRange(ranges.TermRange):
    """Whoosh's TermRange (``title:[a TO c]``) within the search's bounds."""

    def _btexts(self, ixreader: Any) -> Iterable[Any]:
        return expand(self, ixreader, super()._btexts(ixreader) if indexed(ixreader, self.fieldname) else ())


_BOUNDED: dict[type, type] = {terms.Prefix: Prefix, terms.Wildcard: Wildcard, ranges.TermRange: TermRange,
                              terms.FuzzyTerm: FuzzyTerm}


def _retyped(node: wq.Query, kind: type) -> wq.Query:
    """A copy of `node` (its positions in the query text too) as the class `kind`."""
    new = copy.copy(node)
    new.__class__ = kind
    return new


def _as_bounded(node: wq.Query) -> wq.Query:
    kind = _BOUNDED.get(type(node))
    if kind is not None:
        return _retyped(node, kind)
    if type(node) is wq.Every and node.fieldname not in (None, "", "*"):
        return Prefix(node.fieldname, "", boost=node.boost)
    return node


def exact(node: Any) -> wq.Term:
    """A fuzzy word searched as written."""
    term = wq.Term(node.fieldname, node.text, boost=node.boost)
    term.startchar, term.endchar = getattr(node, "startchar", None), getattr(node, "endchar", None)
    return term


def word_key(node: Any) -> Any:
    """What tells typed words apart: where the word stands in the query (the parser gives each
    field's copy of a word the same place), else its field and text."""
    start = getattr(node, "startchar", None)
    return start if start is not None else (node.fieldname, node.text)


def bound(q: wq.Query, limits: SearchLimits) -> tuple[wq.Query, list[str]]:
    """`q` with its expanding parts bounded and its typo tolerance capped (edit distance, word
    length, typo-tolerant words per query), and what was capped, in words for the user."""
    notes: list[str] = []
    fuzzy: set[Any] = set()

    def say(text: str) -> None:
        if text not in notes:
            notes.append(text)

    def visit(node: wq.Query) -> wq.Query:
        if isinstance(node, terms.FuzzyTerm):
            key = word_key(node)
            if not limits.max_edit_distance:
                say("typo tolerance (~) is turned off")
            elif len(node.text) > limits.max_fuzzy_word_length:
                say(f"words longer than {limits.max_fuzzy_word_length} letters are searched as written, "
                    "without typo tolerance")
            elif key not in fuzzy and len(fuzzy) >= limits.max_fuzzy_terms:
                say(f"only the first {limits.max_fuzzy_terms} words marked ~ are typo-tolerant")
            else:
                fuzzy.add(key)
                new = _retyped(node, FuzzyTerm)
                if node.maxdist > limits.max_edit_distance:
                    say(f"typo tolerance forgives at most {limits.max_edit_distance} letters, so "
                        f"~{node.maxdist:g} was read as ~{limits.max_edit_distance}")
                    new.maxdist = limits.max_edit_distance
                return new
            return exact(node)
        bounded = _as_bounded(node)
        return bounded if bounded is not node else node.apply(visit)

    return visit(q), notes
