"""Search-result snippets: a window of record text around the matched words, HTML-escaped,
with the matches in ``<mark>``. Record text and query text are never trusted as HTML.

The words marked are the index terms the query matched (prefixes and fuzzy words expanded),
found again in the record text by its folded, stemmed, phonetic or variant form (a Chinese
or Japanese word as its bigrams).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import compress
from typing import Any

from markupsafe import Markup, escape

from . import bounds
from ._whoosh import ReaderClosed, wq
from .analysis import FIELD_KINDS, pieces, sequence, term, word_pattern, words
from .documents import snippet_text
from .results import Hit

log = logging.getLogger(__name__)

#: Characters of context shown around the first match.
WINDOW = 220


def snippet(text: str, spans: Iterable[tuple[int, int]], window: int = WINDOW) -> Markup:
    """`text` cut to a window around the first span, escaped, spans wrapped in <mark>."""
    spans = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    if not spans:
        cut = text[:window]
        return escape(cut) + (Markup("…") if len(text) > window else Markup(""))
    begin = max(0, spans[0][0] - window // 4)
    if begin:
        space = text.find(" ", begin, spans[0][0])
        begin = space + 1 if space != -1 else begin
    end = min(len(text), begin + window)
    parts: list[Markup] = [Markup("…")] if begin else []
    position = begin
    for start, stop in spans:
        if start < position or start >= end:
            continue
        parts.append(escape(text[position:start]))
        parts.append(Markup("<mark>") + escape(text[start:stop]) + Markup("</mark>"))
        position = stop
    parts.append(escape(text[position:max(end, position)]))
    if max(end, position) < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


def make_hit(record: dict[str, Any], score: float, marker: Marker, highlight: bool) -> Hit:
    """A hit of a stored record, its snippet highlighted with the query's terms."""
    text = snippet_text(record)
    spans = marker.spans(text) if highlight else []
    return Hit(id=record["id"], title=record.get("title", ""), score=score, record=record,
               snippet=snippet(text, spans))


def query_terms(q: wq.Query, reader: Any) -> set[tuple[str, str]]:
    """(analyzer group, term) pairs the query matched, prefixes and fuzzy terms expanded."""
    terms = set()
    # Expanded per segment: a prefix or fuzzy expansion over Whoosh's MultiReader merges every
    # segment's term list in Python (~0.6 s at 100,000 records); the union is the same terms.
    segments = [leaf_reader for leaf_reader, _ in reader.leaf_readers()] or [reader]
    try:  # not q.existing_terms(): in whoosh 2.7.4 it skips every field after the first
        budget = bounds.current()
        looked: dict[int, set[tuple[str, str]]] = {}  # (a word may stand in several leaves)
        for leaf in q.leaves():
            # a fuzzy word at once over the whole version (the large segments share their word
            # lists: `lexicons.lexicons_of`)
            for segment in [reader] if isinstance(leaf, wq.FuzzyTerm) else segments:
                seen = looked.setdefault(id(segment), set())
                for number, (fieldname, value) in enumerate(leaf.expanded_terms(segment, phrases=True)):
                    if budget is not None and number and not number % 256:
                        budget.check()  # a large expansion only: a page read slowly keeps its marks
                    kind = FIELD_KINDS.get(fieldname)
                    word = value.decode("utf-8") if isinstance(value, bytes) else value
                    if kind and (fieldname, word) not in seen:
                        seen.add((fieldname, word))
                        if (kind, word) not in terms and (fieldname, word) in segment:
                            terms.add((kind, word))
    except bounds.TooExpensive:  # a page of hits without highlights rather than none
        log.info("highlighting skipped: %r expands past the search's limits", q)
    except ReaderClosed:  # the index was set aside (damaged) while this page was being read
        log.info("highlighting skipped: the search index was closed while %r was read", q)
    except Exception:  # highlighting must never break a search
        log.exception("could not collect the terms of %r for highlighting", q)
    return terms


class Marker:
    """Finds the words of record texts whose term under some analyser kind is a matched term of
    that kind; each distinct word is analysed once per page of hits (the hits of one query
    share most of their words)."""

    def __init__(self, terms: set[tuple[str, str]]):
        self.kinds: dict[str, set[str]] = {}
        for kind, word in terms:
            self.kinds.setdefault(kind, set()).add(word)
        self._seen: dict[tuple[str, bool], bool] = {}
        self._known: set[str] = set()  # words (not bigrams) looked at, and those that match
        self._marked: set[str] = set()

    def matches(self, piece: str, is_cjk: bool) -> bool:
        """True when a word (or CJK bigram) is one the query matched."""
        key = (piece, is_cjk)
        found = self._seen.get(key)
        if found is None:
            found = any(term(kind, piece, is_cjk) in words for kind, words in self.kinds.items())
            self._seen[key] = found
        return found

    def spans(self, text: str, window: int = WINDOW) -> list[tuple[int, int]]:
        """Character spans of the matched words of `text` (overlapping spans, as of adjacent
        CJK bigrams, joined), up to the end of the `snippet` window around the first one."""
        if not self.kinds or not text:
            return []
        found, bigrams = words(text)
        if bigrams is not None:
            return _joined(((start, end) for piece, start, end, is_cjk in pieces(text)
                            if self.matches(piece, is_cjk)), window)
        # A text without CJK (most): its distinct words are checked at once, and it is walked word
        # by word only when it holds one of the matched words (about half the texts of a page).
        distinct = set(found)
        new = list(distinct - self._known)
        self._known.update(new)
        for kind, matched in self.kinds.items():
            self._marked.update(compress(new, map(matched.__contains__, sequence(kind, (new, None)))))
        marked = distinct & self._marked
        if not marked:
            return []
        return _joined(((match.start(), match.end()) for match in word_pattern(text).finditer(text)
                        if match.group() in marked), window)


def _joined(matched: Iterable[tuple[int, int]], window: int) -> list[tuple[int, int]]:
    """The spans of matched words in text order, overlapping ones joined, up to the end of the
    `snippet` window around the first one."""
    spans: list[tuple[int, int]] = []
    for start, end in matched:
        if spans and start >= spans[0][0] + window and start > spans[-1][1]:
            break  # past every window `snippet` can cut around the first match
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans
