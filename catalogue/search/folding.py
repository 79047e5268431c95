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
- `variant` is a looser key for every word of every text field, searched only when no record
  matches the words as written (see `catalogue.search.words`): the transliteration systems of
  Turkic, Persian and Arabic names disagree mostly on vowels and on a few consonant classes,
  so it keeps the consonant skeleton of a word, its first vowel as ``V``:

  ==========================  ======  ====================================================
  variants                    key     example
  ==========================  ======  ====================================================
  vowels a e ə i ı o u         (gone)  Toshkent / Tashkent, Gəncə / Ganja, Yazd / Yezd
  first vowel                 V       Oqmachit / Akmachit, Isfahan / Esfahan
  q, k, g, gh, ğ, ck          K       Qazax / Gazakh / Kazakh, Qazvin / Ghazvin / Kazvin
  x, kh, h                    H       Xiva / Khiva, Buxoro / Bukhara
  c, j, dj, dzh, zh           j       Kəlbəcər / Kelbajar, Xoʻja / Khodja
  ş, sh / ç, ch               S / C   Şamaxı / Shemakha, Naxçıvan / Nakhichevan
  y, w next to a consonant    (gone)  Гянджа (Gyandzha) / Ganja, Mowlavi / Molavi
  final h after a vowel       (gone)  Maragheh / Maragha, timcheh / timçə
  doubled letters             one     Sayyid / Sayid, Kuttab / Kutab
  ==========================  ======  ====================================================

  A word whose skeleton is shorter than three letters keeps its vowels, each run of them as
  ``a`` (Xoʻja / Khoja / Hacı / Haji: ``Haja``; Şəki / Sheki: ``SaKa``); a key still shorter
  than three letters is not used (``in`` would meet ``an`` and ``on``).
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


#: Rewrites of the variant key, longest first.
_VARIANT = (("dzh", "j"), ("dj", "j"), ("zh", "j"), ("tch", "C"), ("ch", "C"), ("sh", "S"), ("kh", "H"),
            ("gh", "K"), ("ck", "K"), ("ph", "f"), ("q", "K"), ("k", "K"), ("g", "K"), ("x", "H"), ("h", "H"),
            ("c", "j"))
_VOWELS = frozenset("aeiou")
#: Shortest variant key that is used.
VARIANT_MIN = 3


@lru_cache(maxsize=200_000)
def variant(word: str) -> str:
    """The variant key of one already folded word (see the module table); "" when too short."""
    if not word.isascii():  # a CJK bigram is its own key
        return word
    word = _DOUBLED.sub(r"\1", word)
    if len(word) > 2 and word.endswith("h") and word[-2] in _VOWELS:
        word = word[:-1]
    for old, new in _VARIANT:
        word = word.replace(old, new)
    skeleton, shape = [], []  # consonants only, and consonants with each run of vowels as "a"
    for i, char in enumerate(word):
        before = word[i - 1] if i else ""
        after = word[i + 1] if i + 1 < len(word) else ""
        vowel = char in _VOWELS or (char in "yw" and not (before in _VOWELS and after in _VOWELS)
                                    and not (not before and after in _VOWELS))
        if vowel and char in "yw" and before and before not in _VOWELS and after in _VOWELS:
            continue  # a palatal y or w between a consonant and a vowel (Гянджа: gyandzha)
        if vowel:
            if not skeleton and not shape:
                skeleton.append("V")
            if not shape or shape[-1] != "a":
                shape.append("a")
        else:
            skeleton.append(char)
            shape.append(char)
    key = _DOUBLED.sub(r"\1", "".join(skeleton))
    if len(key) < VARIANT_MIN:  # a short word keeps its vowels, as one class
        key = _DOUBLED.sub(r"\1", "".join(shape))
    return key if len(key) >= VARIANT_MIN else ""


def name_key(word: str) -> str:
    """`phonetic(fold_word(word))`: the key under which a name is indexed."""
    return phonetic(fold_word(word))


def normalise_query(text: str) -> str:
    """NFC, typographic quotes as ASCII ones, so ``“a b”`` is a phrase and ``O’B`` a word."""
    return unicodedata.normalize("NFC", text).translate(_QUOTES)
