"""Validation of EDTF dates (Extended Date/Time Format, levels 0 and 1).

Records state uncertain and ranged dates honestly ("1992?", "1992/2023") instead of
inventing precise ones. The `edtf` package on PyPI raises pyparsing warnings at import
and rejects open intervals such as ``2025-02-26/..``, so this small checker covers the
two levels we accept. Open-ended shorthands ``..2025-02-26`` and ``1992..`` are accepted
as ``../2025-02-26`` and ``1992/..``.
"""

from __future__ import annotations

import calendar
import re

_QUAL = r"[?~%]?"
_YEAR = r"(?P<y>-?(?:\d{4}|\d{3}X|\d{2}XX))"
_DATE = re.compile(
    rf"^(?:Y(?P<long>-?\d{{5,}})|{_YEAR}(?:-(?P<m>\d{{2}}|XX)(?:-(?P<d>\d{{2}}|XX))?)?)"
    rf"(?P<time>T\d{{2}}:\d{{2}}:\d{{2}}(?:Z|[+-]\d{{2}}(?::\d{{2}})?)?)?{_QUAL}$",
    re.ASCII,  # ASCII digits only: "１９９２" is no EDTF date
)


def _valid_date(text: str) -> tuple[int, int] | None:
    """Return the (first, last) year a single EDTF date covers, or None if invalid."""
    match = _DATE.match(text)
    if not match:
        return None
    if match["long"]:
        year = int(match["long"])
        return year, year
    ytext, month, day = match["y"], match["m"], match["d"]
    if match["time"] and (not day or "X" in (ytext + (month or "") + day)):
        return None
    if month and month != "XX":
        number = int(month)
        if not (1 <= number <= 12 or (21 <= number <= 24 and day is None)):
            return None
        if day and day != "XX":
            if number > 12 or "X" in ytext:
                return None
            if not 1 <= int(day) <= calendar.monthrange(int(ytext), number)[1]:
                return None
    elif month == "XX" and day and day != "XX":
        return None
    if "X" in ytext:
        low, high = int(ytext.replace("X", "0")), int(ytext.replace("X", "9"))
        return (low, high) if low >= 0 else (high, low)
    year = int(ytext)
    return year, year


def year_range(text: str) -> tuple[int | None, int | None] | None:
    """Return the (first, last) year an EDTF string covers; None when it is not valid.

    An open or unknown end of an interval is None.
    """
    if not isinstance(text, str) or not text or text != text.strip():
        return None
    if text.startswith("..") and "/" not in text:
        text = "../" + text[2:]
    elif text.endswith("..") and "/" not in text:
        text = text[:-2] + "/.."
    if "/" not in text:
        return _valid_date(text)
    parts = text.split("/")
    if len(parts) != 2:
        return None
    start_text, end_text = parts
    if start_text in ("", "..") and end_text in ("", ".."):
        return None
    start = None if start_text in ("", "..") else _valid_date(start_text)
    end = None if end_text in ("", "..") else _valid_date(end_text)
    if (start_text not in ("", "..") and start is None) or (end_text not in ("", "..") and end is None):
        return None
    first = start[0] if start else None
    last = end[1] if end else None
    if first is not None and last is not None and first > last:
        return None
    return first, last


def is_valid(text: str) -> bool:
    """True when `text` is an EDTF level 0 or 1 date or interval."""
    return year_range(text) is not None
