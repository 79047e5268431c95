"""How text becomes index terms, defined once for documents, queries and highlighting.

The tokeniser (words of letters, digits and combining marks, apostrophes inside; each run of
Chinese or Japanese characters as its overlapping bigrams, see `catalogue.search.cjk`), the
analyser kinds with the kind of each text field, and the separator of exact values. Each
kind turns a word into its term:

- ``folded``: lowercase ASCII in any script (`catalogue.search.folding.fold_word`);
- ``stemmed``: folded, then reduced to its stem by the Snowball stemmer of its language
  (Russian for Cyrillic words, stemmed before folding; English for the others), so
  ``destroyed`` meets ``destroy`` and ``церкви`` meets ``церковь``;
- ``names``: the phonetic key of names (`catalogue.search.folding.phonetic`);
- ``variant``: the loose transliteration key (`catalogue.search.folding.variant`).

A CJK bigram is its own term under every kind. Documents are tokenised by `tokens` (one regex
and per-word memo tables, for speed); queries and highlights by the Whoosh analysers built
here from the same functions, which give the same terms (`tests/test_index_bulk.py` checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import Stemmer

from . import cjk
from ._whoosh import analysis
from .folding import APOSTROPHES, fold_word, phonetic, variant
from .marks import BMP_MARKS, MARKS

#: A word of the analysed fields (and of a query): letters, digits and combining marks, apostrophes inside.
TOKENS = rf"[\w{MARKS}]+(?:[{APOSTROPHES}][\w{MARKS}]+)*"
WORD = re.compile(TOKENS)
#: `WORD` for text with no character beyond U+FFFF (nearly all text), finding the same words
#: three times faster: Python's regex engine tries the marks beyond U+FFFF one range after
#: another at every character that is not part of a word. And for ASCII text, with no marks.
BMP_WORD = re.compile(TOKENS.replace(MARKS, BMP_MARKS))
ASCII_WORD = re.compile(rf"\w+(?:[{''.join(c for c in APOSTROPHES if c.isascii())}]\w+)*")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: Facet and pair fields hold exact values separated by the unit separator (never in cleaned text).
SEPARATOR = "\x1f"
#: A word of several parts joined by hyphens ("wind-catchers", "Ab-anbar-e"), from a word's start.
COMPOUND = re.compile(rf"(?<![\w{MARKS}])[\w{MARKS}]+(?:[-\u2010\u2011][\w{MARKS}]+)+")
_HYPHENS = re.compile("[-\u2010\u2011]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ENGLISH = Stemmer.Stemmer("english")
_RUSSIAN = Stemmer.Stemmer("russian")


def stem(word: str) -> str:
    """The Snowball stem of one word, folded (Russian for Cyrillic words, English otherwise)."""
    if _CYRILLIC.search(word):
        return fold_word(_RUSSIAN.stemWord(word.lower().replace("ё", "е")))
    folded = fold_word(word)
    return _ENGLISH.stemWord(folded) if folded else ""


def _names(word: str) -> str:
    folded = fold_word(word)
    return phonetic(folded) if folded else ""


def _variant(word: str) -> str:
    folded = fold_word(word)
    return variant(folded) if folded else ""


#: How each analyser kind turns a word into its term ("" drops the word, keeping its position).
KINDS: dict[str, Callable[[str], str]] = {"folded": fold_word, "stemmed": stem, "names": _names,
                                          "variant": _variant}
#: The analyser kind of each analysed text field (documents, queries and highlights alike).
FIELD_KINDS = {"title": "folded", "text": "folded", "stem": "stemmed", "names": "names", "place": "names",
               "source": "folded", "variant": "variant", "reading": "folded", "country": "folded"}
#: Fields kept with positions (phrases); the others keep only frequencies.
PHRASE_FIELDS = ("title", "text", "names", "place", "source")


def word_pattern(text: str) -> re.Pattern[str]:
    """The fastest pattern that finds in `text` the words `WORD` finds."""
    if text.isascii():
        return ASCII_WORD
    return BMP_WORD if _ASTRAL.search(text) is None else WORD


def pieces(text: str) -> Iterator[tuple[str, int, int, bool]]:
    """(piece, start, end, is_cjk) of `text`: its words, each CJK run as its bigrams."""
    for match in word_pattern(text).finditer(text):
        word = match.group()
        if word.isascii() or cjk.RUN.search(word) is None:
            yield word, match.start(), match.end(), False
            continue
        base = match.start()
        for start, end, is_cjk in cjk.split_word(word):
            if not is_cjk:
                yield word[start:end], base + start, base + end, False
                continue
            for i, pair in enumerate(cjk.bigrams(word[start:end])):
                yield pair, base + start + i, base + start + i + len(pair), True


def compounds(text: str) -> list[str]:
    """The hyphenated words of `text` written as one word ("wind-catchers" -> "windcatchers"),
    indexed beside their parts in the stemmed and variant fields, so either spelling finds the other."""
    if _HYPHENS.search(text) is None:  # (most texts: one scan, not one per chunk)
        return []
    return [_HYPHENS.sub("", m.group()) for chunk in text.split() if _HYPHENS.search(chunk)
            for m in COMPOUND.finditer(chunk)]


def joined(raw: str) -> str:
    """A hyphenated query word written as one word ("" when it has no hyphen)."""
    return _HYPHENS.sub("", raw) if COMPOUND.fullmatch(raw) else ""


class Tokenizer(analysis.Tokenizer):
    """`pieces` as Whoosh tokens (a CJK bigram is marked ``token.cjk``), like Whoosh's RegexTokenizer."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Any]:
        token = analysis.Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost, token.stopped, token.cjk = 1.0, False, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for pos, (piece, start, end, is_cjk) in enumerate(pieces(value)):
            token.text, token.cjk = piece, is_cjk
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = piece
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class KindFilter(analysis.Filter):
    """Turns each token into its term under an analyser kind (a CJK bigram stays itself); drops empty ones."""

    def __init__(self, kind: str):
        self.kind = kind  # (only the name: the schema is pickled with the index)

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        convert = KINDS[self.kind]
        for token in tokens:
            token.text = cjk.term(token.text) if getattr(token, "cjk", False) else convert(token.text)
            if token.text:
                yield token


class FoldFilter(analysis.Filter):
    """Folds each token (`fold_word`); drops empty ones. The analyser of indexes written before
    0.2, whose schema names it (they answer searches until a `catalogue reindex`)."""

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = fold_word(token.text)
            if token.text:
                yield token


class PhoneticFilter(analysis.Filter):
    """Replaces each folded token by its phonetic key (indexes written before 0.2, as `FoldFilter`)."""

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = phonetic(token.text)
            yield token


#: The Whoosh analyser of each kind.
ANALYZERS = {kind: Tokenizer() | KindFilter(kind) for kind in KINDS}
#: Words as typed, CJK runs as bigrams: the query parser's placeholder field (see `catalogue.search.words`).
RAW = Tokenizer()
#: The values of a facet or pair field (its pattern reads ``[^\x1f]+``, as indexes store it).
VALUES = analysis.RegexTokenizer(rf"[^\x{ord(SEPARATOR):02x}]+")

#: Memo tables of the kinds (word -> term), bounded by `MEMO_LIMIT` words each.
_MEMO: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
MEMO_LIMIT = 500_000


def term(kind: str, word: str, is_cjk: bool = False) -> str:
    """The term of one word (or CJK bigram) under an analyser kind, memoised."""
    if is_cjk:
        return cjk.term(word)
    memo = _MEMO[kind]
    found = memo.get(word)
    if found is None:
        found = KINDS[kind](word)
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[word] = found
    return found


#: A text split into words (each CJK run as its bigrams) and, for a text with CJK, which are bigrams.
Words = tuple[list[str], list[bool] | None]


def words(text: str) -> Words:
    """The words of `text` in order, each CJK run as its bigrams, and which are bigrams (None: none)."""
    if text.isascii() or cjk.RUN.search(text) is None:
        return word_pattern(text).findall(text), None
    found = list(pieces(text))
    return [piece for piece, *_ in found], [is_cjk for *_, is_cjk in found]


def joined_words(first: Words, second: Words) -> Words:
    """Two split texts as one (the second's words after the first's)."""
    if first[1] is None and second[1] is None:
        return first[0] + second[0], None
    flags = [*(first[1] or [False] * len(first[0])), *(second[1] or [False] * len(second[0]))]
    return first[0] + second[0], flags


def sequence(kind: str, found: Words) -> list[str]:
    """The term of each of the `words` of a text under an analyser kind, "" for a word it drops
    (which keeps its position): a term per position, looked up in the kind's memo table."""
    split, flags = found
    memo = _MEMO[kind]
    got = list(map(memo.get, split))
    if flags is not None:
        for pos, is_cjk in enumerate(flags):
            if is_cjk:
                got[pos] = cjk.term(split[pos])
    if None in got:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        convert = KINDS[kind]
        for pos, value in enumerate(got):
            if value is None:
                word = split[pos]
                got[pos] = memo[word] = convert(word)
    return got


def terms(kind: str, found: Words) -> list[tuple[int, str]]:
    """(position, term) of the `words` of a text under an analyser kind."""
    return [(pos, value) for pos, value in enumerate(sequence(kind, found)) if value]


def tokens(kind: str, text: str) -> list[tuple[int, str]]:
    """(position, term) of `text` under an analyser kind, as the Whoosh analyser gives them."""
    return terms(kind, words(text))


def field_sequence(doc: dict[str, Any], fieldname: str) -> list[str]:
    """The term at each position of an analysed field of a document ("" for a dropped word)."""
    return sequence(FIELD_KINDS[fieldname], words(doc.get(fieldname) or ""))


def field_tokens(doc: dict[str, Any], fieldname: str) -> list[tuple[int, str]]:
    """(position, term) of an analysed field of a document, as its analyser indexes it."""
    return tokens(FIELD_KINDS[fieldname], doc.get(fieldname) or "")
