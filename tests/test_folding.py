"""Folding and phonetic keys: every spelling of a name gives the same key."""

from __future__ import annotations

import pytest

from catalogue import centuries
from catalogue.search.folding import fold, fold_word, name_key, normalise_query

#: Each row: spellings of one name in Azerbaijani Latin, English, Russian and older transliterations.
VARIANTS = [
    ("Khojaly", "Xocalı", "Xocali", "Hocalı", "Khojali", "Ходжалы", "Xodjaly", "XOCALI", "khojaly", "Khojalli"),
    ("Ağdam", "Aghdam", "Агдам", "Agdam"),
    ("Şuşa", "Shusha", "Шуша"),
    ("Laçın", "Lachin", "Лачин"),
    ("Qubadlı", "Gubadly", "Gubadli"),
    ("Xocavənd", "Khojavend", "Ходжавенд"),
    ("Cəbrayıl", "Jebrayil"),
]


@pytest.mark.parametrize("spellings", VARIANTS, ids=lambda row: row[0])
def test_variants_share_one_key(spellings: tuple[str, ...]) -> None:
    keys = {name_key(s) for s in spellings}
    assert len(keys) == 1, dict(zip(spellings, map(name_key, spellings), strict=True))


def test_different_places_keep_different_keys() -> None:
    rows = [name_key(row[0]) for row in VARIANTS]
    assert len(set(rows)) == len(rows)


@pytest.mark.parametrize("a, b", [("Kel'badzhar", "Kel’badzhar"), ("Kelʼbadzhar", "Kel`badzhar"),
                                  ("O'Brien", "O’Brien")])
def test_apostrophes_are_equal(a: str, b: str) -> None:
    assert fold_word(a) == fold_word(b) != ""


def test_fold_is_lowercase_ascii() -> None:
    assert fold("Şuşa Ağdam Кельбаджар") == "shusha aghdam kelbadzhar"


def test_typographic_quotes_become_ascii() -> None:
    assert normalise_query("“Khojaly tombs” O’Brien") == '"Khojaly tombs" O\'Brien'


@pytest.mark.parametrize("text, number", [("XIV", 14), ("xiv", 14), ("14", 14), ("14th", 14), ("II BCE", -2),
                                          ("I", 1), ("abc", None), ("", None), ("99", None), ("IIII", None)])
def test_century_parse(text: str, number: int | None) -> None:
    assert centuries.parse(text) == number


def test_century_years_and_labels() -> None:
    assert centuries.years(14) == (1301, 1400)
    assert centuries.labels_between(1301, 1500) == ["XIV", "XV"]
    assert centuries.labels_between(-150, 50) == ["II BCE", "I BCE", "I"]
    assert centuries.century_of(1400) == 14 and centuries.century_of(1401) == 15
