"""Deterministic synthetic heritage records for benchmarks and load tests.

Every record is valid against the record schema and is plainly marked synthetic (id prefix
``syn-``, a source citation and provenance saying so, invented place names), so it can never
be mistaken for a documented claim. Words follow a Zipf distribution and places carry
Azerbaijani (Latin) and Russian (Cyrillic) names, so the index sees realistic term
frequencies and scripts.

    python tests/benchmarks/synthetic.py 100000 > synthetic.jsonl
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

TYPES = ("school", "library", "club", "house_of_culture", "museum", "tomb", "cemetery",
         "mausoleum", "mosque", "church", "monument", "archaeological_site", "other")
TYPE_WEIGHTS = (14, 29, 21, 3, 2, 12, 10, 6, 6, 4, 8, 4, 3)
STATUSES = ("intact", "damaged", "destroyed", "at_risk", "unknown")
STATUS_WEIGHTS = (10, 25, 40, 10, 15)
SUBJECTS = ("education", "religion", "funerary architecture", "culture", "archaeology", "literature",
            "music", "craft", "memorial", "architecture", "manuscripts", "local history")

#: Common words first, so the Zipf head is made of the words real descriptions repeat.
_COMMON = (
    "the of and in a to was building with its by village stone from century walls built on for as "
    "old town which dome tomb roof school library collection local people carved inscription "
    "north south east west near hill river courtyard entrance restored damaged destroyed "
    "reported graves cemetery mosque church monument museum books records house culture club "
    "garden gate tower arch brick wooden window prayer hall memorial community period early late "
    "medieval ornament facade district road bridge spring valley mountain foundation"
)
COMMON_WORDS = _COMMON.split(" ")

#: Latin syllables with Azerbaijani letters; Cyrillic and ASCII spellings are derived from them.
SYLLABLES = ("xo", "ca", "lı", "ağ", "dam", "şu", "şa", "la", "çın", "kəl", "bə", "cər", "fü", "zu", "li",
             "qu", "bad", "zən", "gi", "lan", "tər", "ov", "ba", "su", "ar", "xan", "göy", "çay", "qa",
             "ra", "bağ", "ləm", "dağ", "ya", "ər", "kənd", "ü", "şən", "mə", "dov", "ol", "sa")
AZ_TO_CYRILLIC = {
    "a": "а", "b": "б", "c": "дж", "ç": "ч", "d": "д", "e": "е", "ə": "я", "f": "ф", "g": "г", "ğ": "г",
    "h": "х", "x": "х", "ı": "ы", "i": "и", "j": "ж", "k": "к", "q": "г", "l": "л", "m": "м", "n": "н",
    "o": "о", "ö": "ё", "p": "п", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ü": "ю", "v": "в",
    "y": "й", "z": "з",
}
AZ_TO_ENGLISH = {"c": "j", "ç": "ch", "ə": "a", "ğ": "gh", "ı": "y", "ö": "o", "q": "g", "ş": "sh",
                 "ü": "u", "x": "kh"}
PUBLISHERS = tuple(f"Synthetic Press {n}" for n in range(1, 41))
SYNTHETIC_NOTE = "SYNTHETIC record generated for benchmarks; it describes nothing real."


def _spell(word: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in word)


class _Words:
    """A Zipf-distributed vocabulary: common English words, then invented ones."""

    def __init__(self, rng: random.Random, size: int = 30000, exponent: float = 1.07):
        letters = "bcdfghklmnprstvz"
        vowels = "aeiou"
        invented: list[str] = []
        seen = set(COMMON_WORDS)
        while len(invented) < size - len(COMMON_WORDS):
            word = "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                invented.append(word)
        self.words = list(COMMON_WORDS) + invented
        self.cum = list(itertools.accumulate(1 / (rank ** exponent) for rank in range(1, len(self.words) + 1)))
        self.rng = rng

    def take(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def sentence(self, n: int) -> str:
        words = self.take(n)
        return " ".join(words).capitalize() + "."


def _place_names(rng: random.Random, count: int = 800) -> list[dict[str, Any]]:
    """Invented places, each with Azerbaijani, Cyrillic and English spellings."""
    places, seen = [], set()
    while len(places) < count:
        az = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if az in seen:
            continue
        seen.add(az)
        english = _spell(az.lower(), AZ_TO_ENGLISH).capitalize()
        cyrillic = _spell(az.lower(), AZ_TO_CYRILLIC).capitalize()
        places.append({
            "name": english,
            "country": "Synthetic Land",
            "names": [
                {"value": az, "lang": "az", "script": "Latn", "kind": "official"},
                {"value": cyrillic, "lang": "ru", "script": "Cyrl", "kind": "transliteration"},
                {"value": english, "lang": "en", "script": "Latn", "kind": "common"},
            ],
        })
    return places


def _period(rng: random.Random) -> dict[str, Any] | None:
    roll = rng.random()
    if roll < 0.35:
        return None
    start = rng.randint(-300, 1990)
    end = min(2020, start + rng.choice((0, 10, 50, 99, 199, 299)))
    return {"start": start, "end": end, "label": f"{start}-{end}"}


#: The corpora `generate` writes: descriptions drawn from a Zipf vocabulary of 30,000 words,
#: or 40-120 words drawn from the common words alone, so most query words are in most records.
CORPORA = ("zipf", "common")


def _common_description(rng: random.Random) -> str:
    """40-120 words of the small common vocabulary, in sentences of 6-18 words."""
    words = rng.choices(COMMON_WORDS, k=rng.randint(40, 120))
    sentences, start = [], 0
    while start < len(words):
        end = start + rng.randint(6, 18)
        sentences.append(" ".join(words[start:end]).capitalize() + ".")
        start = end
    return " ".join(sentences)


def _record(i: int, rng: random.Random, words: _Words, places: list[dict[str, Any]],
            corpus: str = "zipf") -> dict[str, Any]:
    kind = rng.choices(TYPES, weights=TYPE_WEIGHTS)[0]
    place = places[min(int(rng.paretovariate(1.2)) - 1, len(places) - 1)]
    title = f"{' '.join(words.take(rng.randint(1, 4))).capitalize()} {kind.replace('_', ' ')} of {place['name']}"
    source_ids = [f"syn-src-{n}" for n in range(rng.choice((1, 1, 1, 2)))]
    sources = [{
        "id": sid,
        "citation": f"Synthetic source {rng.randint(1, 5000)}. {SYNTHETIC_NOTE}",
        "publisher": rng.choice(PUBLISHERS),
        "date": str(rng.randint(1990, 2024)),
        "type": "synthetic",
    } for sid in source_ids]
    record: dict[str, Any] = {
        "id": f"syn-{i:07d}",
        "type": kind,
        "title": title[:500],
        "names": [
            {"value": title, "lang": "en", "script": "Latn", "kind": "common"},
            {"value": _spell(" ".join(words.take(3)), AZ_TO_CYRILLIC), "lang": "ru", "script": "Cyrl",
             "kind": "transliteration"},
        ],
        "place": place,
        "sources": sources,
        "conditions": [{
            "status": rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0],
            "date": str(rng.randint(1988, 2024)),
            "method": "synthetic",
            "sources": [rng.choice(source_ids)],
        } for _ in range(rng.choice((1, 1, 2)))],
        "description": _common_description(rng) if corpus == "common" else
        " ".join(words.sentence(rng.randint(6, 18)) for _ in range(rng.randint(2, 8))),
        "subjects": rng.sample(SUBJECTS, rng.randint(1, 3)),
        "notes": SYNTHETIC_NOTE,
        "provenance": {"origin": "import", "source_name": "synthetic", "source_identifier": f"syn-{i:07d}"},
    }
    period = _period(rng)
    if period:
        record["period"] = period
    if kind in ("school", "library", "club") and rng.random() < 0.3:
        record["quantity"] = rng.randint(2, 30)
        record["quantity_sources"] = [source_ids[0]]
    return record


def generate(n: int, seed: int = 0, corpus: str = "zipf") -> Iterator[dict[str, Any]]:
    """`n` synthetic records, the same ones for the same seed and corpus (see `CORPORA`)."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}: one of {', '.join(CORPORA)}")
    rng = random.Random(seed)
    words = _Words(rng)
    places = _place_names(rng)
    for i in range(n):
        yield _record(i, rng, words, places, corpus)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or not argv[1].isdigit():
        print("usage: synthetic.py N [SEED] > records.jsonl", file=sys.stderr)
        return 2
    seed = int(argv[2]) if len(argv) == 3 else 0
    out = sys.stdout
    for record in generate(int(argv[1]), seed):
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
