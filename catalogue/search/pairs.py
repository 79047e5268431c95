"""Word pairs: a two-word phrase of common words answered by one term lookup.

Each generation of the index chooses, once, the common words of its phrase-searchable fields
from a sample of records (`pick_common`, saved beside the generation), and every document
indexes the adjacent pairs of those words in one field (`PAIRS`). Scoring looks a phrase of
two common words up there instead of checking positions document by document.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .analysis import SEPARATOR, field_sequence

#: Field holding adjacent pairs ("title:a b") of common words of the phrase-searchable fields.
#: Only pairs of two common words are indexed (few distinct terms, so indexing stays fast); a
#: phrase with a rarer word has few candidate documents, and Whoosh checks their positions.
PAIRS = "pairs"
PAIR_FIELDS = ("title", "text", "names")
#: A generation's common words, chosen once when it is first filled (see `pick_common`).
COMMON_FILE = "common.json"
#: Records sampled to choose them, and the fewest that make a meaningful sample.
COMMON_SAMPLE = 5000
COMMON_MIN_SAMPLE = 500
#: A word is common when at least this share of the sampled records has it (at most 300 per field).
COMMON_SHARE = 0.01
COMMON_LIMIT = 300
Common = dict[str, frozenset[str]]

def pair_term(fieldname: str, first: str, second: str) -> str:
    """The `pairs` term of two adjacent words of a field."""
    return f"{fieldname}:{first} {second}"


def pair_terms(fieldname: str, sequence: list[str], common: frozenset[str]) -> list[str]:
    """Pair terms of one field from the term at each of its positions (`analysis.sequence`,
    "" for a dropped word): adjacent common words only."""
    return [pair_term(fieldname, a, b) for a, b in itertools.pairwise(sequence) if a in common and b in common]


def pick_common(counts: dict[str, dict[str, int]], total: int) -> Common:
    """The common words of each field from document counts of a sample of `total` records."""
    out = {}
    for fieldname, table in counts.items():
        ranked = sorted(table.items(), key=lambda item: (-item[1], item[0]))[:COMMON_LIMIT]
        out[fieldname] = frozenset(w for w, n in ranked if n >= COMMON_SHARE * total)
    return out


_COMMON_CACHE: dict[str, Common | None] = {}


def read_common(folder: Any) -> Common | None:
    """A generation's common words (None when it has none); read once per folder."""
    key = str(folder)
    if key not in _COMMON_CACHE:
        try:
            data = json.loads((folder / COMMON_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        _COMMON_CACHE[key] = {f: frozenset(data.get(f, ())) for f in PAIR_FIELDS}
    return _COMMON_CACHE[key]


def write_common(folder: Any, common: Common, write: Any) -> None:
    """Save a generation's common words with `write(path, text)` (an atomic writer)."""
    write(folder / COMMON_FILE, json.dumps({f: sorted(w) for f, w in common.items()}))


def doc_pairs(doc: dict[str, Any], common: Common, sequences: dict[str, list[str]] | None = None) -> str:
    """The adjacent pairs of common words of a document's phrase fields (`sequences`: the
    fields already analysed, see `analysis.sequence`)."""
    out: dict[str, None] = {}
    for fieldname in PAIR_FIELDS:
        found = sequences[fieldname] if sequences and fieldname in sequences else field_sequence(doc, fieldname)
        out.update(dict.fromkeys(pair_terms(fieldname, found, common[fieldname])))
    return SEPARATOR.join(out)


def with_pairs(doc: dict[str, Any], common: Common | None) -> dict[str, Any]:
    """`doc` with the pairs of its `common` words (the generation's; none when it has none)."""
    if common and (pairs := doc_pairs(doc, common)):
        doc[PAIRS] = pairs
    return doc
