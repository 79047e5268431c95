"""What a user typed into the search box, before the query parser sees it.

Finds the mistakes a parser would silently misread (unbalanced quotes or parentheses, a
field with nothing after it, control characters, a query too long to mean anything), so the
search can say so and answer the words as plain text instead of failing.
"""

from __future__ import annotations

import re

from .folding import APOSTROPHES, normalise_query

#: Longest query searched as written by default (`SearchLimits.max_query_length`); longer
#: ones are searched as plain words (and said so).
MAX_LENGTH = 1000
#: Most words a plain-text fallback keeps.
MAX_WORDS = 32
#: Longest word a plain-text fallback keeps.
MAX_WORD = 100

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_EMPTY_FIELD = re.compile(r"(?:^|[\s(])[\w.]+:(?=$|[\s)])")
WORD = re.compile(rf"\w+(?:[{APOSTROPHES}]\w+)*")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def clean(text: str) -> str:
    """Normalised text without control characters (tabs and newlines become spaces)."""
    return _CONTROL.sub(" ", normalise_query(text or "").replace("\t", " ").replace("\n", " ")).strip()


def unreadable_characters(query: str) -> str | None:
    """Why a query as typed cannot be searched as written: control characters, which `clean`
    removes (tabs and line breaks are spaces, not a problem)."""
    return "it contains control characters" if _CONTROL.search(query or "") else None


def problem(text: str, max_length: int = MAX_LENGTH) -> str | None:
    """Why `text` cannot be read as a structured query, or None when it can."""
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
