"""Every name of every country, keyed by ISO 3166 code, so a country is found by any of them.

The names are the CLDR territory names Babel ships for every locale (short forms in every
language: Iran, Иран, ایران, Irán …) and the ISO 3166-1 names with their long official forms
and translations from pycountry (Islamic Republic of Iran, Russian Federation, Российская
Федерация …). Each is keyed by its folded words (`key`), so ``Iran``, ``Иран`` and ``İran``
meet.

A record's ``place.country`` (free text, or a list of them) and ``place.countries`` (codes and
names) are resolved to codes (`place_codes`),
which the index keeps in the ``country`` field; a query word, or a run of words, that is a
country name (`lookup`) also searches that field. Reading every locale takes seconds, so the
table is generated once and shipped with the package (``data/countries.json.gz``, written by
``python -m catalogue.search.countries``; `tests/test_search_understanding.py` checks it against
the installed Babel and pycountry).
"""

from __future__ import annotations

import gettext
import gzip
import json
import os
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pycountry
from babel import localedata

from . import cjk
from .analysis import WORD
from .folding import fold_word

#: The generated table shipped with the package.
TABLE = Path(__file__).parent / "data" / "countries.json.gz"
#: Fewest letters in a name that is looked up (shorter ones meet ordinary words: ``end``, ``man``).
MIN_LETTERS = 4
#: Longest run of query words looked up as one name ("Republic of Türkiye").
MAX_WORDS = 4

_LOCK = threading.Lock()
_TABLE: dict[str, tuple[str, ...]] | None = None
_CJK: dict[str, tuple[str, ...]] = {}


def key(name: str) -> str:
    """The folded words of a name, space-separated: the table's key."""
    return " ".join(w for w in (fold_word(word) for word in WORD.findall(name)) if w)


def _names() -> Iterable[tuple[str, str]]:
    """(ISO code, name) of every CLDR territory name and ISO 3166-1 name, in every language."""
    for locale in localedata.locale_identifiers():
        for code, name in localedata.load(locale).get("territories", {}).items():
            if len(code) == 2 and code.isalpha():
                yield code.upper(), name
    english = [(c.alpha_2, name) for c in pycountry.countries
               for name in {c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)} if name]
    yield from english
    folder = pycountry.LOCALES_DIR
    for language in sorted(os.listdir(folder)):
        if os.path.exists(os.path.join(folder, language, "LC_MESSAGES", "iso3166-1.mo")):
            translation = gettext.translation("iso3166-1", folder, languages=[language])
            for code, name in english:
                yield code, translation.gettext(name)


def build() -> dict[str, tuple[str, ...]]:
    """The table from the libraries: folded name -> ISO codes (several when locales disagree);
    a CJK name is also kept as written (key prefixed by NUL) for a record's ``日本国``."""
    table: dict[str, set[str]] = {}
    for code, name in set(_names()):
        found = key(name)
        if len(found.replace(" ", "")) >= 2:
            table.setdefault(found, set()).add(code)
        if cjk.has_cjk(name):
            table.setdefault("\x00" + cjk.term(name), set()).add(code)
    return {k: tuple(sorted(v)) for k, v in sorted(table.items())}


def sources() -> dict[str, str]:
    """The versions of the libraries the table comes from."""
    return {"babel": version("babel"), "pycountry": version("pycountry")}


def write(path: Path = TABLE) -> None:
    """Generate the table and write it (with its sources) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"sources": sources(), "names": build()}
    path.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False, sort_keys=True).encode(), mtime=0))


def read(path: Path = TABLE) -> dict[str, Any]:
    """The shipped table file: {"sources": versions, "names": folded name -> codes}."""
    return json.loads(gzip.decompress(path.read_bytes()))


def load() -> dict[str, tuple[str, ...]]:
    """The table, read once per process (built from the libraries if the file is missing)."""
    global _TABLE, _CJK
    with _LOCK:
        if _TABLE is None:
            try:
                table = {k: tuple(v) for k, v in read()["names"].items()}
            except (OSError, ValueError, KeyError):
                table = build()
            _CJK = {k[1:]: v for k, v in table.items() if k.startswith("\x00")}
            _TABLE = table
        return _TABLE


def values(place: dict[str, Any]) -> list[str]:
    """The country names of a place: ``country`` (a string, or a list of them) and the names
    of its ``countries``."""
    raw = place.get("country")
    items = raw if isinstance(raw, list) else [raw]
    items += [c.get("name") for c in place.get("countries") or [] if isinstance(c, dict)]
    return list(dict.fromkeys(v for v in items if isinstance(v, str) and v.strip()))


def place_codes(place: dict[str, Any]) -> list[str]:
    """The ISO codes of a place's countries: the codes its ``countries`` give, and those of
    every country name it writes."""
    given = [c.get("code") for c in place.get("countries") or [] if isinstance(c, dict)]
    found = {c.upper() for c in given if isinstance(c, str) and len(c) == 2 and c.isalpha()}
    return sorted(found | {c for value in values(place) for c in codes_of(value)})


@lru_cache(maxsize=4096)
def codes_of(value: str) -> list[str]:
    """The ISO codes of a country as a record writes it: the whole value when it is a known
    name, else the longest known name inside it ("the Islamic Republic of Iran")."""
    table = load()
    words = key(value).split()
    found = table.get(" ".join(words))
    if found:
        return list(found)
    for size in range(len(words) - 1, 0, -1):
        hits = {c for start in range(len(words) - size + 1)
                for c in _long_enough(table, words[start:start + size])}
        if hits:
            return sorted(hits)
    if not cjk.has_cjk(value):
        return []
    return sorted({c for name, codes in _CJK.items() if len(name) >= 2 and name in value for c in codes})


def _long_enough(table: dict[str, tuple[str, ...]], words: list[str]) -> tuple[str, ...]:
    return table.get(" ".join(words), ()) if sum(map(len, words)) >= MIN_LETTERS else ()


def lookup(folded_words: Iterable[str]) -> tuple[str, ...]:
    """The ISO codes of which a run of folded query words is a name ((): none)."""
    return _long_enough(load(), list(folded_words))


if __name__ == "__main__":
    write()
    print(f"wrote {TABLE}")
