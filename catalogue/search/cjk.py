"""Chinese and Japanese text: overlapping character bigrams, and readings in Latin letters.

Chinese and Japanese are written without spaces, so a run of Han, Hiragana or Katakana
characters is indexed as its overlapping bigrams (``西安桂花巷`` -> 西安 安桂 桂花 花巷), in
documents and queries alike: a word inside a long name is the run of its bigrams. A run of
one character is kept as it is.

Readings let a name written in characters be found by its romanisation:

- Chinese: Hanyu Pinyin without tones (pypinyin, which reads characters in context), indexed
  as adjacent syllable pairs written together (``guihua``, ``huaxiang``); a Latin query word
  that splits into pinyin syllables (`pinyin_syllables`) is searched as its pairs, so
  ``Guihuaxiang`` finds 桂花巷.
- Japanese: Hepburn romaji of each word (pykakasi, optional: ``pip install
  heritage-catalogue[japanese]``), long vowels written once (``kyouto`` -> ``kyoto``), so
  ``Nishijin orimono`` finds 西陣旧織物. Without pykakasi, kana is still read (anyascii),
  kanji are not.

A record is read as Japanese when its text has kana, or its names or place names are tagged
``ja``, or its country is Japan; otherwise its characters are read as Chinese.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from anyascii import anyascii

try:  # optional (GPL-3.0): Japanese readings of kanji
    import pykakasi
except ImportError:  # pragma: no cover (installed with the test extra)
    pykakasi = None

#: Characters indexed as bigrams: CJK ideographs (with extensions and compatibility forms),
#: the iteration mark 々, Hiragana and Katakana (with the prolonged sound mark ー).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\u3005\u3007"
KANA = "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
RUN = re.compile(f"[{HAN}{KANA}]+")
_KANA = re.compile(f"[{KANA}]")
_NON_LETTER = re.compile("[^a-z]")
_REPEATED_VOWEL = re.compile(r"([aeiou])\1+")


def has_cjk(text: str) -> bool:
    """True when `text` holds a character indexed as bigrams."""
    return RUN.search(text) is not None


def bigrams(run: str) -> list[str]:
    """The overlapping bigrams of a run of CJK characters (the run itself when one character)."""
    if len(run) < 2:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def split_word(word: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_cjk) pieces of one word: CJK runs and the letters between them."""
    pieces, last = [], 0
    for match in RUN.finditer(word):
        if match.start() > last:
            pieces.append((last, match.start(), False))
        pieces.append((match.start(), match.end(), True))
        last = match.end()
    if last < len(word):
        pieces.append((last, len(word), False))
    return pieces


def term(chars: str) -> str:
    """The index term of CJK characters: compatibility forms normalised (NFKC)."""
    return unicodedata.normalize("NFKC", chars)


# -- readings ----------------------------------------------------------------------------------

def romaji_term(word: str) -> str:
    """A Japanese reading as indexed: lowercase ASCII, long vowels written once (ō, ou, oo -> o)."""
    word = _NON_LETTER.sub("", anyascii(word).lower())
    return _REPEATED_VOWEL.sub(r"\1", word.replace("ou", "o"))


def pinyin_term(syllables: Iterable[str]) -> str:
    """Pinyin syllables written together as indexed (ü, written v or u, as u)."""
    return "".join(syllables).replace("v", "u").replace("ü", "u")


def japanese(record_text: str, langs: Iterable[str], countries: Iterable[str]) -> bool:
    """Whether a record's characters are read as Japanese (see the module docstring)."""
    return (_KANA.search(record_text) is not None or any(str(lang).lower().startswith("ja") for lang in langs)
            or "jp" in {c.lower() for c in countries})


@lru_cache(maxsize=1)
def _kakasi() -> Any:
    return pykakasi.kakasi() if pykakasi is not None else None


def readings(text: str, as_japanese: bool) -> list[str]:
    """The reading terms of the CJK runs of `text`: pinyin syllable pairs, or romaji words."""
    out: list[str] = []
    for run in RUN.findall(text):
        if as_japanese:
            converter = _kakasi()
            words = [item["hepburn"] for item in converter.convert(run)] if converter else [anyascii(run)]
            out.extend(t for t in map(romaji_term, words) if len(t) > 1)
        else:
            syllables = [s for s in _pinyin(run) if s.isascii() and s.isalpha()]
            out.extend(pinyin_term(pair) for pair in itertools.pairwise(syllables))
    return out


def _pinyin(run: str) -> list[str]:
    """pypinyin's toneless reading of a run of Chinese characters, read in context.

    Imported on first use: importing pypinyin loads its phrase tables (about 50 MB of a
    process's memory), which a catalogue and queries without Chinese text never need."""
    from pypinyin import lazy_pinyin  # here: its import builds the phrase tables (about 50 MB)

    return lazy_pinyin(run)


def _character_readings() -> Iterable[str]:
    """pypinyin's readings of each character, with tones (``"zhōng,zhòng"``), read from its
    data file without importing pypinyin (see `_pinyin`)."""
    spec = importlib.util.find_spec("pypinyin")
    for folder in spec.submodule_search_locations or () if spec else ():
        path = Path(folder) / "pinyin_dict.json"
        if path.is_file():
            return json.loads(path.read_text("utf-8")).values()
    from pypinyin import pinyin_dict  # pragma: no cover (a pypinyin that keeps its table elsewhere)

    return pinyin_dict.pinyin_dict.values()  # pragma: no cover


def _toneless(reading: str) -> str:
    """A pinyin reading without its tone marks (``zhōng`` -> ``zhong``, ``lǜ`` -> ``lu``)."""
    return "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable with a vowel (from pypinyin's dictionary; the
    interjections ng, m, hm are left out), ü written u."""
    found = set()
    for readings_ in _character_readings():
        for reading in readings_.split(","):
            syllable = pinyin_term([_toneless(reading)])
            if syllable.isascii() and syllable.isalpha() and any(v in syllable for v in "aeiou"):
                found.add(syllable)
    return frozenset(found)


#: Most ways of splitting one word into pinyin syllables that a query looks at.
MAX_SPLITS = 4


@lru_cache(maxsize=10_000)
def pinyin_syllables(word: str) -> tuple[tuple[str, ...], ...]:
    """The ways (at most `MAX_SPLITS`) a folded Latin word splits into the fewest pinyin
    syllables, when that is three or more (``guihuaxiang`` -> gui hua xiang); () otherwise
    (two syllables are one indexed pair: the word itself)."""
    word = word.replace("v", "u")
    if not word.isascii() or not word.isalpha() or not 6 <= len(word) <= 36:
        return ()
    table = _syllables()
    found: list[tuple[str, ...]] = []

    def walk(start: int, path: tuple[str, ...]) -> None:
        if len(found) >= 64:
            return
        if start == len(word):
            found.append(path)
            return
        for end in range(min(len(word), start + 6), start, -1):
            if word[start:end] in table:
                walk(end, (*path, word[start:end]))

    walk(0, ())
    fewest = min(map(len, found), default=0)
    return tuple(s for s in found if len(s) == fewest)[:MAX_SPLITS] if fewest >= 3 else ()
