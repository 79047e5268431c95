"""The sorted word list of a field in one segment, read in one pass and kept per segment.

Typo tolerance and "did you mean" compare a word with every indexed word that shares its
first letter. Whoosh 2.7.4 reads such a list one word at a time (`expand_prefix`: two small
file reads and a generator per word, ~10 µs each), which made a typo query at 100,000 records
spend most of its time listing words. `read` takes the field's keys from the segment's term
table block by block (`terms.CompactTermsReader.field_terms`; tested equal to `reader.lexicon`);
`Lexicon` answers a prefix with a binary search, its tails kept for the next query.

The large segments of a version share one list per field (`lexicons_of`): at 1,000,000
records twenty segments hold much the same words (830,000 words of the text field in all,
47,000 distinct), and twenty lists of 5 MB each no longer fit the cache beside the others,
so every typo query read them all again (a second a query).
"""

from __future__ import annotations

import bisect
from typing import Any

from .terms import CompactTermsReader

#: Prefixes whose tails a lexicon keeps (a typo query asks for a handful).
MAX_HEADS = 64
#: Segments of at least this many documents share one word list per field (a full build's,
#: of thousands; an edit's small segments keep their own, so an edit does not make it again).
SHARED_MIN_DOCS = 5000


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
    key = _segment_id(segment)
    if key is None or cache is None:  # a reader of no stored segment (an empty index) is not kept
        return Lexicon(read(segment, fieldname))
    return _cached(cache, ("lexicon", key, fieldname), lambda: read(segment, fieldname))


def lexicons_of(reader: Any, fieldname: str, cache: Any = None) -> list[Lexicon]:
    """Word lists that together hold every word of a field in `reader` (one segment, or a
    whole index version): one shared by its segments of `SHARED_MIN_DOCS` documents or more
    (the distinct words of them all, kept while those segments are), one for each other."""
    leaves = [leaf for leaf, _ in reader.leaf_readers()]
    large = [leaf for leaf in leaves if leaf.doc_count_all() >= SHARED_MIN_DOCS and _segment_id(leaf)]
    if len(large) < 2 or cache is None:
        return [lexicon(leaf, fieldname, cache) for leaf in leaves]
    key = ("lexicons", tuple(_segment_id(leaf) for leaf in large), fieldname)
    shared = _cached(cache, key, lambda: sorted(set().union(*(read(leaf, fieldname) for leaf in large))))
    return [shared, *(lexicon(leaf, fieldname, cache) for leaf in leaves if not any(leaf is x for x in large))]


def _segment_id(segment: Any) -> str | None:
    segment_of = getattr(segment, "segment", None)
    info = segment_of() if callable(segment_of) else None
    return info.segment_id() if info is not None else None


def _cached(cache: Any, key: Any, words: Any) -> Lexicon:
    """The lexicon `cache` holds under `key`, else one of `words()` (put there)."""
    found = cache.get(key)
    if found is None:
        found = Lexicon(words())
        cache.put(key, found, found.nbytes())
    return found
