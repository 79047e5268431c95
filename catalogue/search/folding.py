"""Accent, script and spelling folding, so a name is found however it is written.

Two levels, both applied to the record and to the query alike:

- `fold` turns any script into lowercase ASCII with anyascii, after spelling out the
  Azerbaijani letters the way their common Latin transliteration does (ş -> sh, ç -> ch,
  ğ -> gh, ı -> i), and drops apostrophes of every kind (', ’, ʼ, ʻ, `), so ``Şuşa`` and
  ``Шуша`` both give ``shusha`` and ``Kel’badzhar`` equals ``Kel'badzhar``.
- `phonetic` is a key for names only: it merges the known variant pairs of Azerbaijani
  names in Latin, Russian and English spellings:

  =============  =====  ==========================================
  variants       key    example
  =============  =====  ==========================================
  kh, x, h       h      Khojaly / Xocalı / Hocalı
  dzh, dj, zh,   j      Ходжалы (khodzhaly) / Xodjaly / Xocalı
  j, c
  ch, ç          4      Laçın / Lachin (kept apart from c = j)
  sh, ş          5      Şuşa / Shusha
  gh, ğ          g      Ağdam / Aghdam / Агдам
  q              g      Qubadlı / Gubadly
  ı, i, y        i      Xocalı / Khojaly
  doubled        one    Khojalli / Khojali
  =============  =====  ==========================================

  Both per-word functions are memoised (bounded LRU, a few MB), since indexing folds the same
  Zipf-distributed words over and over.

  It is too loose for ordinary words (``cat`` would meet ``jat``), so the index keeps it in
  a separate field of names and places, searched beside the plain folded text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

#: Apostrophes and single quotes that all mean the same thing inside a word.
APOSTROPHES = "'\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032\u02b9"
#: Double quotes a user may type for a phrase.
DOUBLE_QUOTES = "\u201c\u201d\u201e\u00ab\u00bb\u2033\u201f"

_AZ_LATIN = str.maketrans({"ş": "sh", "Ş": "sh", "ç": "ch", "Ç": "ch", "ğ": "gh", "Ğ": "gh", "ı": "i", "I": "i",
                           "İ": "i", "ə": "e", "Ə": "e"})
_DROP = str.maketrans("", "", APOSTROPHES + "\u044c\u044a\u042c\u042a")  # apostrophes, soft and hard signs
_QUOTES = str.maketrans(dict.fromkeys(DOUBLE_QUOTES, '"') | dict.fromkeys(APOSTROPHES[1:], "'"))
_NON_WORD = re.compile(r"[^a-z0-9]+")

#: Rewrites of the phonetic key, longest first (order matters: dzh before zh, ch before c).
_PHONETIC = (
    ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("ch", "4"), ("sh", "5"), ("kh", "h"), ("gh", "g"),
    ("x", "h"), ("c", "j"), ("q", "g"), ("y", "i"),
)
_DOUBLED = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lowercase ASCII of any text, apostrophes dropped (word characters kept)."""
    text = unicodedata.normalize("NFC", text).translate(_AZ_LATIN).translate(_DROP)
    return anyascii(text).translate(_DROP).lower()


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """`fold` of one token, keeping only letters and digits."""
    return _NON_WORD.sub("", fold(word))


@lru_cache(maxsize=200_000)
def phonetic(word: str) -> str:
    """The phonetic key of one already folded word (see the module table)."""
    for old, new in _PHONETIC:
        word = word.replace(old, new)
    return _DOUBLED.sub(r"\1", word)


def name_key(word: str) -> str:
    """`phonetic(fold_word(word))`: the key under which a name is indexed."""
    return phonetic(fold_word(word))


def normalise_query(text: str) -> str:
    """NFC, typographic quotes as ASCII ones, so ``“a b”`` is a phrase and ``O’B`` a word."""
    return unicodedata.normalize("NFC", text).translate(_QUOTES)
