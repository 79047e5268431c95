"""The sorted word list of a field in one segment, read in one pass and kept per segment.

Typo tolerance and "did you mean" compare a word with every indexed word that shares its
first letter. Whoosh 2.7.4 reads such a list one word at a time (`expand_prefix`: two small
file reads and a generator per word, ~10 µs each), which made a typo query at 100,000 records
spend most of its time listing words. `read` takes the field's keys from the segment's term
table block by block (`terms.CompactTermsReader.field_terms`; tested equal to `reader.lexicon`);
`Lexicon` answers a prefix with a binary search, its tails kept for the next query.
"""

from __future__ import annotations

import bisect
from typing import Any

from .terms import CompactTermsReader

#: Prefixes whose tails a lexicon keeps (a typo query asks for a handful).
MAX_HEADS = 64


class Lexicon:
    """The words of a field in one segment, sorted, with the tails of the prefixes asked for."""

    def __init__(self, words: list[str]):
        self.words = words
        self._heads: dict[str, tuple[list[str], list[str]]] = {}

    def starting(self, head: str) -> tuple[list[str], list[str]]:
        """The words that start with `head`, and each of them without it (in index order)."""
        if not head:
            return self.words, self.words
        found = self._heads.get(head)
        if found is None:
            low = bisect.bisect_left(self.words, head)
            last = ord(head[-1])  # words sort by code point (their UTF-8 bytes sort the same)
            high = bisect.bisect_left(self.words, head[:-1] + chr(last + 1), low) if last < 0x10FFFF \
                else len(self.words)
            words = self.words[low:high]
            found = (words, [w[len(head):] for w in words])
            if len(self._heads) >= MAX_HEADS:
                self._heads.pop(next(iter(self._heads)))
            self._heads[head] = found
        return found

    def nbytes(self) -> int:
        """About how much memory the words take (twice: a tail per word may be kept too)."""
        return 2 * sum(len(w) + 56 for w in self.words) + 64


def read(segment: Any, fieldname: str) -> list[str]:
    """The words of `fieldname` in one segment reader, in index order."""
    from_bytes = segment.schema[fieldname].from_bytes
    terms = getattr(segment, "_terms", None)
    if not isinstance(terms, CompactTermsReader):  # (an empty index's reader)
        return [from_bytes(b) for b in segment.lexicon(fieldname)]
    return [from_bytes(b) for b in terms.field_terms(fieldname)]


def lexicon(segment: Any, fieldname: str, cache: Any = None) -> Lexicon:
    """The `Lexicon` of a field in one segment, from `cache` (a byte-capped LRU keyed by
    segment) when it holds it."""
    segment_of = getattr(segment, "segment", None)
    info = segment_of() if callable(segment_of) else None
    if info is None or cache is None:  # a reader of no stored segment (an empty index) is not kept
        return Lexicon(read(segment, fieldname))
    key = ("lexicon", info.segment_id(), fieldname)
    found = cache.get(key)
    if found is None:
        found = Lexicon(read(segment, fieldname))
        cache.put(key, found, found.nbytes())
    return found
