"""How text becomes index terms, defined once for documents, queries and highlighting.

The token regex, the analyser kinds (folded, stemmed, names) with the kind of each text field,
and the separator of exact values. Documents are tokenised by `tokens` (one regex and per-word
memo tables, for speed); queries and highlights by the Whoosh analysers built here from the
same regex and word functions, which give the same terms (`tests/test_index_bulk.py` checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._whoosh import analysis, stem
from .folding import APOSTROPHES, fold_word, phonetic

#: A word of the analysed fields (and of a query): letters and digits, apostrophes inside.
TOKENS = rf"\w+(?:[{APOSTROPHES}]\w+)*"
WORD = re.compile(TOKENS)
#: Facet and pair fields hold exact values separated by the unit separator (never in cleaned text).
SEPARATOR = "\x1f"


def _stemmed(word: str) -> str:
    folded = fold_word(word)
    return stem(folded) if folded else ""


def _names(word: str) -> str:
    folded = fold_word(word)
    return phonetic(folded) if folded else ""


#: How each analyser kind turns a word into its term ("" drops the word, keeping its position).
KINDS: dict[str, Callable[[str], str]] = {"folded": fold_word, "stemmed": _stemmed, "names": _names}
#: The analyser kind of each analysed text field (documents, queries and highlights alike).
FIELD_KINDS = {"title": "folded", "text": "stemmed", "names": "names", "place": "names", "source": "folded"}


class FoldFilter(analysis.Filter):
    """Folds each token to lowercase ASCII (see `catalogue.search.folding.fold`); drops empty ones."""

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


FOLDED = analysis.RegexTokenizer(TOKENS) | FoldFilter()
STEMMED = analysis.RegexTokenizer(TOKENS) | FoldFilter() | analysis.StemFilter(stemfn=stem, cachesize=50000)
NAMES = analysis.RegexTokenizer(TOKENS) | FoldFilter() | PhoneticFilter()
#: The Whoosh analyser of each kind.
ANALYZERS = {"folded": FOLDED, "stemmed": STEMMED, "names": NAMES}
#: The values of a facet or pair field (its pattern reads ``[^\x1f]+``, as indexes store it).
VALUES = analysis.RegexTokenizer(rf"[^\x{ord(SEPARATOR):02x}]+")

#: Memo tables of the kinds (word -> term), bounded by `MEMO_LIMIT` words each.
_MEMO: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
MEMO_LIMIT = 500_000


def tokens(kind: str, text: str) -> list[tuple[int, str]]:
    """(position, term) of `text` under an analyser kind, as the Whoosh analyser gives them."""
    memo, convert = _MEMO[kind], KINDS[kind]
    out = []
    for pos, word in enumerate(WORD.findall(text)):
        term = memo.get(word)
        if term is None:
            term = convert(word)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[word] = term
        if term:
            out.append((pos, term))
    return out


def field_tokens(doc: dict[str, Any], fieldname: str) -> list[tuple[int, str]]:
    """(position, term) of an analysed field of a document, as its analyser indexes it."""
    return tokens(FIELD_KINDS[fieldname], doc.get(fieldname) or "")
