"""Centuries as researchers write them (``XIV``, ``14``, ``XIV BCE``) and the year spans they cover.

Search and facets use the same rules: a record belongs to every century its period overlaps,
so the XIV-XV century tombs (1301-1500) are found under both XIV and XV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROMAN = (("M", 1000), ("CM", 900), ("D", 500), ("CD", 400), ("C", 100), ("XC", 90), ("L", 50), ("XL", 40),
          ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))
_ROMAN_RE = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_CENTURY_RE = re.compile(r"^\s*(?P<n>[0-9]{1,3}|[IVXLCDM]{1,12})(?:\s*(?:th|st|nd|rd))?\s*(?P<bce>BCE|BC)?\s*$",
                         re.IGNORECASE)
BCE = " BCE"


def to_roman(number: int) -> str:
    """1..3999 as a Roman numeral."""
    parts = []
    for letters, value in _ROMAN:
        count, number = divmod(number, value)
        parts.append(letters * count)
    return "".join(parts)


def from_roman(text: str) -> int | None:
    """A Roman numeral's value, or None when `text` is not one."""
    text = text.upper()
    if not text or not _ROMAN_RE.match(text):
        return None
    total, i = 0, 0
    for letters, value in _ROMAN:
        while text.startswith(letters, i):
            total, i = total + value, i + len(letters)
    return total


def century_of(year: int) -> int:
    """The century number of a year; negative for BCE (year 0 is 1 BCE, as in EDTF)."""
    return (year - 1) // 100 + 1 if year > 0 else -((-year) // 100 + 1)


def label(century: int) -> str:
    """``XIV`` for 14, ``II BCE`` for -2."""
    return to_roman(century) if century > 0 else to_roman(-century) + BCE


def years(century: int) -> tuple[int, int]:
    """First and last year of a century (1301-1400 for 14; -199..-100 for -2)."""
    if century > 0:
        return (century - 1) * 100 + 1, century * 100
    n = -century
    return -(n * 100 - 1), -((n - 1) * 100)


def parse(text: str) -> int | None:
    """A century from ``XIV``, ``14``, ``14th``, ``II BCE``; None when not one (or out of range)."""
    match = _CENTURY_RE.match(text or "")
    if not match:
        return None
    raw = match["n"]
    number = int(raw) if raw.isdigit() else from_roman(raw)
    if not number or number > 30:
        return None
    return -number if match["bce"] else number


def labels_between(start: int, end: int, limit: int = 200) -> list[str]:
    """Labels of every century a period overlaps (at most `limit`, the latest ones)."""
    first, last = century_of(start), century_of(end)
    numbers = [c for c in range(max(first, last - limit), last + 1) if c != 0]
    return [label(c) for c in numbers]


@dataclass(frozen=True)
class YearWords:
    """How years are written around the start of the common era, as ``%``-templates (the
    web passes them translated): a year before it (``%(year)s BCE``), a year after it when
    a span crosses it (``%(year)s CE``), and a span wholly before it."""

    bce: str = "%(year)s BCE"
    ce: str = "%(year)s CE"
    bce_span: str = "%(start)s–%(end)s BCE"


def year_span(start: int | None, end: int | None, words: YearWords = YearWords()) -> str:
    """A period's first and last year as people write them: ``1301–1500``, ``117–107 BCE``
    (stored as -117 and -107: negative years are BCE), ``200 BCE – 100 CE``, ``…–1400``,
    ``1992``; "" when both are unknown."""
    if start is None and end is None:
        return ""
    if start is not None and end is not None and start < 0 and end < 0:
        return words.bce_span % {"start": -start, "end": -end} if start != end else words.bce % {"year": -start}
    crosses = start is not None and end is not None and start < 0 <= end

    def one(year: int | None) -> str:
        if year is None:
            return "…"
        if year < 0:
            return words.bce % {"year": -year}
        return words.ce % {"year": year} if crosses else str(year)

    if start == end:
        return one(start)
    return (" – " if crosses else "–").join((one(start), one(end)))
