"""What each word of a query searches, from the strictest reading to the loosest.

The parser leaves the words typed without a field in a placeholder field (`WORD_FIELD`), as
typed (`catalogue.search.analysis.RAW`). `Tiers` turns them into the index fields, once per
search, in four readings that the index tries in turn until one finds records
(`catalogue.search.index.SearchIndex.search`):

1. ``strict``: every word, folded (title, text), stemmed (a place name is not stemmed: Goris is
   not Gori), by the phonetic key of names (names and places), or, for a country name in any
   language (one word or a run of them), the record's country;
2. ``variants``: each word also by its variant key (Toshkent / Tashkent, Gəncə / Ganja,
   everywhere in the text) and by its reading (pinyin, romaji) of Chinese and Japanese text;
3. ``typos``: each word also within one or two letters (4 and 7 letters or more) of the
   folded title and text words;
4. ``some_words``: for a plain list of words, any of them (as in 2): the records matching more
   of the words rank first (each matched word adds a bonus proportional to its rarity), then
   by BM25; words found in most records do not make a record match on their own.

Exact matches rank above the others: a folded match is also a stem match (two fields score),
and the looser fields weigh less.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import bounds, cjk, countries
from ._whoosh import positional, ranges, terms, wq
from .analysis import joined, term
from .folding import fold_word
from .limits import SearchLimits

#: The parser's field of words typed without a field.
WORD_FIELD = "anyfield"
#: Fields a word is searched in (with their weights) by its term of each analyser kind.
STRICT = (("title", "folded", 3.0), ("text", "folded", 1.0), ("stem", "stemmed", 0.5), ("names", "names", 0.5))
COUNTRY_BOOST = 0.5
VARIANT_BOOST = 0.3
READING_BOOST = 0.5
#: Fields made typo-tolerant (folded words).
TYPO = (("title", 3.0), ("text", 1.0))
#: Fields of a phrase, a prefix, a wildcard, a fuzzy word or a range typed without a field.
PHRASE = (("title", "folded", 3.0), ("text", "folded", 1.0), ("names", "names", 0.5))
#: The bonus of matching every word of a some-words query (a share of it per word, by rarity):
#: large enough that records matching more of the words rank first.
COORDINATION = 1000.0
#: A word found in more than this share of the records does not make a record match on its own.
COMMON_SHARE = 0.5
#: The readings of a query, strictest first.
LEVELS = ("strict", "variants", "typos", "some_words")


class Pieces(wq.Or):
    """A word typed without a field that the analyser split into pieces (at hyphens; a CJK run
    into bigrams), kept together with the word as typed (`raw`) until `Tiers` resolves it."""

    def __init__(self, subqueries: list[wq.Query], boost: float = 1.0, raw: str = ""):
        super().__init__(subqueries, boost=boost)
        self.raw = raw

    def apply(self, fn: Callable[[wq.Query], wq.Query]) -> Pieces:
        return Pieces([fn(q) for q in self.subqueries], boost=self.boost, raw=self.raw)

    def normalize(self) -> Pieces:
        return self


@dataclass
class Word:
    """One word typed without a field: its text as typed and its pieces (CJK runs as bigrams)."""

    raw: str
    pieces: list[tuple[str, bool]]
    startchar: int | None
    endchar: int | None

    def folded(self) -> str:
        return fold_word(self.raw)


def _located(q: wq.Query, node: Any) -> wq.Query:
    q.startchar, q.endchar = getattr(node, "startchar", None), getattr(node, "endchar", None)
    return q


def _or(parts: list[wq.Query], boost: float = 1.0) -> wq.Query | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 and boost == 1.0 else wq.Or(parts, boost=boost)


def _and(parts: list[wq.Query | None]) -> wq.Query | None:
    if any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


class Tiers:
    """The readings of one parsed query against one index version (see the module docstring)."""

    def __init__(self, raw: wq.Query, text: str, reader: Any, limits: SearchLimits):
        self.raw, self.text, self.reader, self.limits = raw, text, reader, limits
        self._groups: dict[tuple[str, int], wq.Query | None] = {}
        self._place: dict[str, bool] = {}
        self._levels: dict[int, wq.Query | None] = {}
        self.fuzzy_words = 0

    # -- the words of the parsed query ---------------------------------------------------------

    def word(self, node: Any) -> Word | None:
        """The typed word a node of the placeholder field stands for, or None for another node."""
        if type(node) is wq.Term and node.fieldname == WORD_FIELD and isinstance(node.text, str):
            return Word(node.text, [(node.text, cjk.RUN.fullmatch(node.text) is not None)],
                        getattr(node, "startchar", None), getattr(node, "endchar", None))
        if type(node) is Pieces and all(type(s) is wq.Term for s in node.subqueries):
            return Word(node.raw, [(s.text, cjk.RUN.fullmatch(s.text) is not None) for s in node.subqueries],
                        getattr(node, "startchar", None), getattr(node, "endchar", None))
        return None

    # -- one word, by level --------------------------------------------------------------------

    def _is_place(self, piece: str) -> bool:
        found = self._place.get(piece)
        if found is None:
            key = term("names", piece)
            found = self._place[piece] = bool(key) and self.reader.doc_frequency("place", key) > 0
        return found

    def _piece(self, piece: str, is_cjk: bool, level: int) -> wq.Query | None:
        """One piece of a word (a word, or one CJK bigram) at a level (0 strict ... 2 typos)."""
        key = (piece, level)
        if key in self._groups:
            return self._groups[key]
        if level == 0:
            parts = []
            for fieldname, kind, boost in STRICT:
                if kind == "stemmed" and (is_cjk or self._is_place(piece)):
                    continue
                found = term(kind, piece, is_cjk)
                if found:
                    parts.append(wq.Term(fieldname, found, boost=boost))
            out = _or(parts)
        elif level == 1:
            strict = self._piece(piece, is_cjk, 0)
            key_ = "" if is_cjk else term("variant", piece)
            out = _or([strict, wq.Term("variant", key_, boost=VARIANT_BOOST) if key_ else None])
        else:
            loose = self._piece(piece, is_cjk, 1)
            out = _or([loose, *self._typos(piece)]) if not is_cjk else loose
        self._groups[key] = out
        return out

    def _typos(self, piece: str) -> list[wq.Query]:
        folded = fold_word(piece)
        limits = self.limits
        if not (4 <= len(folded) <= limits.max_fuzzy_word_length and limits.max_edit_distance):
            return []
        if self.fuzzy_words >= limits.max_fuzzy_terms:
            raise _TooManyTypos
        self.fuzzy_words += 1
        distance = min(2 if len(folded) >= 7 else 1, limits.max_edit_distance)
        return [bounds.FuzzyTerm(fieldname, folded, boost=boost, maxdist=distance, prefixlength=1)
                for fieldname, boost in TYPO]

    def _readings(self, word: Word) -> list[wq.Query]:
        """A Latin word as a reading of Chinese or Japanese characters (pinyin, romaji)."""
        folded = word.folded()
        if len(word.pieces) != 1 or word.pieces[0][1] or not folded.isascii() or len(folded) < 4:
            return []
        found = dict.fromkeys(t for t in (cjk.pinyin_term([folded]), cjk.romaji_term(folded)) if t)
        out: list[wq.Query] = [wq.Term("reading", t, boost=READING_BOOST) for t in found]
        for syllables in cjk.pinyin_syllables(folded):
            pairs = [cjk.pinyin_term(p) for p in itertools.pairwise(syllables)]
            out.append(wq.And([wq.Term("reading", p) for p in pairs], boost=READING_BOOST))
        return out

    def group(self, word: Word, level: int, codes: tuple[str, ...] = ()) -> wq.Query | None:
        """What one typed word searches at a level (`codes`: the countries it names)."""
        body = _and([self._piece(p, is_cjk, level) for p, is_cjk in word.pieces])
        extra: list[wq.Query] = [wq.Term("country", c.lower(), boost=COUNTRY_BOOST) for c in codes]
        if len(word.pieces) > 1 and (one := joined(word.raw)):  # "wind-catchers" is also "windcatchers"
            extra += [wq.Term(f, t, boost=b) for f, kind, b in (("stem", "stemmed", 1.0), ("variant", "variant", 0.3))
                      if (kind == "stemmed" or level >= 1) and (t := term(kind, one))]
        if level >= 1:
            extra += self._readings(word)
        out = _or([body, *extra]) if extra else body
        return _located(out, word) if out is not None else None

    # -- a whole query, by level ---------------------------------------------------------------

    def _countries(self, words: list[Word]) -> list[tuple[int, int, tuple[str, ...]]]:
        """(first, last + 1, codes) of the runs of `words` that name a country, longest first."""
        out, start = [], 0
        folded = [w.folded() for w in words]
        while start < len(words):
            for size in range(min(countries.MAX_WORDS, len(words) - start), 0, -1):
                if not all(folded[start:start + size]):
                    continue
                codes = countries.lookup(folded[start:start + size])
                if codes:
                    out.append((start, start + size, codes))
                    start += size
                    break
            else:
                start += 1
        return out

    def _sequence(self, children: list[Any], level: int) -> list[wq.Query | None]:
        """The children of an And: runs of words that name a country become one group."""
        words = [self.word(c) for c in children]
        out: list[wq.Query | None] = []
        index = 0
        runs = {start: (end, codes) for start, end, codes in self._countries([w for w in words if w])}
        positions = [i for i, w in enumerate(words) if w]  # word index -> child index
        run_at = {positions[s]: (positions[e - 1], codes) for s, (e, codes) in runs.items()}
        while index < len(children):
            if index in run_at:
                last, codes = run_at[index]
                span = [self.group(w, level) for w in words[index:last + 1] if w]
                body = _and(span)
                if last > index:  # a run of words: all of them, or the country
                    out.append(_or([body, *[wq.Term("country", c.lower(), boost=COUNTRY_BOOST) for c in codes]]))
                    out.extend(self.resolve(c, level) for c in children[index:last + 1] if not self.word(c))
                else:
                    out.append(self.group(words[index], level, codes))  # type: ignore[arg-type]
                index = last + 1
                continue
            out.append(self.resolve(children[index], level))
            index += 1
        return out

    def resolve(self, node: Any, level: int) -> wq.Query | None:
        """`node` of the parsed query with its placeholder words searched at a level."""
        word = self.word(node)
        if word is not None:
            codes = countries.lookup([word.folded()]) if word.folded() else ()
            return self.group(word, level, codes)
        if getattr(node, "fieldname", None) == WORD_FIELD:
            return self._multiterm(node)
        if type(node) is wq.And:
            parts = self._sequence(list(node.subqueries), level)
            parts = [p for p in parts if p is not None]
            return wq.And(parts, boost=node.boost) if parts else None
        if not node.children():
            return node
        return node.apply(lambda child: self.resolve(child, level) or wq.NullQuery)

    def _multiterm(self, node: Any) -> wq.Query | None:
        """A phrase, prefix, wildcard, fuzzy word or range typed without a field, in its fields."""
        if isinstance(node, positional.Phrase):
            parts = []
            for fieldname, kind, boost in PHRASE:
                words = [t for t in (term(kind, w, cjk.RUN.fullmatch(w) is not None) for w in node.words) if t]
                if words:
                    parts.append(wq.Phrase(fieldname, words, slop=node.slop, boost=boost * node.boost))
            return _located(_or(parts), node) if parts else None
        if isinstance(node, terms.FuzzyTerm):
            fields = [(f, term(kind, node.text), boost) for f, kind, boost in PHRASE]
            return _or([_located(type(node)(f, t, boost=b * node.boost, maxdist=node.maxdist,
                                            prefixlength=node.prefixlength), node) for f, t, b in fields if t])
        if isinstance(node, terms.Wildcard):
            pattern = "".join(p if p in ("*", "?") else fold_word(p) for p in re.split(r"([*?])", node.text))
            return _or([_located(type(node)(f, pattern, boost=node.boost), node) for f, _, _ in PHRASE[:2]])
        if isinstance(node, terms.Prefix):
            found = [(f, term(kind, node.text)) for f, kind, _ in PHRASE]
            return _or([_located(type(node)(f, t, boost=node.boost), node) for f, t in found if t])
        if isinstance(node, ranges.TermRange):
            def edge(value: Any, kind: str) -> Any:
                return term(kind, value) if value else value

            return _or([type(node)(f, edge(node.start, kind), edge(node.end, kind), node.startexcl, node.endexcl,
                                   boost=node.boost) for f, kind, _ in PHRASE])
        return node

    def level(self, level: int) -> wq.Query | None:
        """The whole query at a level (0 strict, 1 variants, 2 typos), made once; None when it
        cannot be made (too many words to forgive typos in)."""
        if level not in self._levels:
            try:
                found = self.resolve(self.raw, level)
                self._levels[level] = found if found is not None else wq.NullQuery
            except _TooManyTypos:
                self._levels[level] = None
        return self._levels[level]

    # -- some of the words -------------------------------------------------------------------

    def some(self) -> wq.Query | None:
        """Any of the words of a plain list of words, more of them ranking higher (None for a
        query that is not such a list, or of one word)."""
        children = list(self.raw.subqueries) if type(self.raw) is wq.And else [self.raw]
        words = [(c, self.word(c)) for c in children]
        optional = [(c, w) for c, w in words if w is not None]
        if len(optional) < 2:
            return None
        required = [self.resolve(c, 0) for c, w in words if w is None]
        size = max(1, self.reader.doc_count())
        groups, rarity, common = [], [], []
        for _, word in optional:
            group = self.group(word, 1, countries.lookup([word.folded()]) if word.folded() else ())
            if group is None:
                continue
            df = self._frequency(word)
            (common if df > COMMON_SHARE * size else groups).append(group)
            if df <= COMMON_SHARE * size:
                rarity.append(math.log(1 + (size - df + 0.5) / (df + 0.5)))
        if not groups:
            return None
        total = sum(rarity) or 1.0
        bonus = [wq.ConstantScoreQuery(g, COORDINATION * r / total) for g, r in zip(groups, rarity, strict=True)]
        some: wq.Query = wq.Or([*groups, *bonus])
        if common:
            some = wq.AndMaybe(some, common[0] if len(common) == 1 else wq.Or(common))
        parts = [p for p in required if p is not None]
        return wq.And([*parts, some]) if parts else some

    def _frequency(self, word: Word) -> int:
        """How many records hold a word (its most frequent strict form; a word of several
        pieces, its rarest piece)."""
        counts = []
        for piece, is_cjk in word.pieces:
            counts.append(max([self.reader.doc_frequency(f, t) for f, kind, _ in STRICT
                               if (t := term(kind, piece, is_cjk))] or [0]))
        return min(counts) if counts else 0


def warm() -> None:
    """Load the tables the readings use (countries, pinyin syllables) before a search's clock starts."""
    countries.load()
    cjk.pinyin_syllables("guihuaxiang")


class _TooManyTypos(Exception):
    """A query has more words than `SearchLimits.max_fuzzy_terms` to forgive typos in."""


def readings(raw: wq.Query, text: str, reader: Any, limits: SearchLimits) -> Readings:
    """The readings of a parsed query against an index version, each made when first asked for."""
    return Readings(Tiers(raw, text, reader, limits))


class Readings:
    """The query at each level of `LEVELS`, made on demand (None: the same as the level below,
    or not made: see `Tiers`)."""

    def __init__(self, tiers: Tiers):
        self.tiers = tiers
        self._made: dict[str, wq.Query | None] = {}

    def __getitem__(self, level: str) -> wq.Query | None:
        if level not in self._made:
            tiers = self.tiers
            if level == "some_words":
                found = tiers.some()
            else:
                number = LEVELS.index(level)
                found = tiers.level(number)
                if number and found is not None and found == tiers.level(number - 1):
                    found = None
            self._made[level] = found
        return self._made[level]


