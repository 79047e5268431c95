"""EDTF level 0-1 dates: honest uncertain and ranged dates are accepted, nonsense is not."""

from __future__ import annotations

import pytest

from catalogue import edtf


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("1992", (1992, 1992)),
        ("1992-02", (1992, 1992)),
        ("1992-02-26", (1992, 1992)),
        ("1992?", (1992, 1992)),
        ("1992~", (1992, 1992)),
        ("1992-02%", (1992, 1992)),
        ("1992/2023", (1992, 2023)),
        ("1992-02/2023-11", (1992, 2023)),
        ("../2025-02-26", (None, 2025)),
        ("..2025-02-26", (None, 2025)),
        ("1992/..", (1992, None)),
        ("1992..", (1992, None)),
        ("/2006", (None, 2006)),
        ("199X", (1990, 1999)),
        ("19XX", (1900, 1999)),
        ("1992-XX", (1992, 1992)),
        ("2001-21", (2001, 2001)),
        ("-0100", (-100, -100)),
        ("Y170000002", (170000002, 170000002)),
        ("2024-02-29", (2024, 2024)),
        ("1992-02-26T17:00:00Z", (1992, 1992)),
    ],
)
def test_valid(text: str, years: tuple) -> None:
    assert edtf.year_range(text) == years
    assert edtf.is_valid(text)


@pytest.mark.parametrize(
    "text",
    ["", " 1992", "92", "1992-13", "1992-02-30", "2023-02-29", "XIV", "Feb 1992", "2023/1992", "../..",
     "1992/2000/2010", "1992-00", "1992-02-26T25:00", "{1667,1668}", "1992-XX-05"],
)
def test_invalid(text: str) -> None:
    assert not edtf.is_valid(text)
