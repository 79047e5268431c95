"""Load the relevance collection and queries, and score ranked answers per query class.

Shared by tests/test_relevance.py (which asserts the figures) and
tests/benchmarks/bench_relevance.py (which prints them beside SQLite FTS5).
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "relevance"
COLLECTION = DATA / "collection.jsonl"
QUERIES = DATA / "queries.toml"
BASELINE = DATA / "baseline.toml"
#: Query classes, in report order.
CLASSES = ("exact_name", "cross_script", "transliteration_system", "variant_in_description", "cjk_substring",
           "country_name", "natural_phrasing", "typo", "precision")
#: Ranks that count: a right answer below this is a miss.
DEPTH = 10


@dataclass(frozen=True)
class Query:
    """One researcher's query and the records that answer it."""

    text: str
    cls: str
    accept: frozenset[str]
    why: str = ""


@dataclass
class Outcome:
    """What an engine returned for one query."""

    query: Query
    ids: list[str]
    total: int
    ms: float = 0.0

    @property
    def rank(self) -> int | None:
        """1-based rank of the first right answer within `DEPTH`, else None."""
        for i, record_id in enumerate(self.ids[:DEPTH], 1):
            if record_id in self.query.accept:
                return i
        return None

    @property
    def exclusive(self) -> bool:
        """Right answer first and nothing else on the page (no typo neighbours crowding it)."""
        return self.rank == 1 and all(i in self.query.accept for i in self.ids[:DEPTH])


@dataclass
class Scores:
    """Figures of one class (or of all queries)."""

    n: int = 0
    success_at_1: float = 0.0
    mrr: float = 0.0
    success_at_10: float = 0.0
    exclusive: float = 0.0
    misses: list[Outcome] = field(default_factory=list)


def load_collection(path: Path = COLLECTION) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _place_names(record: dict[str, Any]) -> set[str]:
    place = record.get("place") or {}
    names = {place.get("name", "")} | {n.get("value", "") for n in place.get("names") or []}
    return {n.casefold() for n in names if n}


def load_queries(records: list[dict[str, Any]], path: Path = QUERIES) -> list[Query]:
    """The queries with their right answers: `expect` ids plus, with `place`, every record of that town.

    Raises ValueError on an unknown class or an id that is not in the collection, so a stale
    query file fails loudly instead of scoring zero.
    """
    ids = {r["id"] for r in records}
    out = []
    for i, item in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["query"], 1):
        if item["class"] not in CLASSES:
            raise ValueError(f"query {i} ({item['q']!r}): unknown class {item['class']!r}")
        accept = set(item.get("expect", []))
        if missing := accept - ids:
            raise ValueError(f"query {i} ({item['q']!r}): no record {sorted(missing)}")
        if place := item.get("place"):
            accept |= {r["id"] for r in records if place.casefold() in _place_names(r)}
        if not accept:
            raise ValueError(f"query {i} ({item['q']!r}): no right answer")
        out.append(Query(item["q"], item["class"], frozenset(accept), item.get("why", "")))
    return out


def run(queries: Iterable[Query], search: Callable[[str], tuple[list[str], int]]) -> list[Outcome]:
    """Ask `search` (query text -> ranked ids, total hits) every query, timing each."""
    out = []
    for q in queries:
        started = time.perf_counter()
        ids, total = search(q.text)
        out.append(Outcome(q, ids, total, (time.perf_counter() - started) * 1000))
    return out


def score(outcomes: list[Outcome]) -> Scores:
    ranks = [o.rank for o in outcomes]
    n = len(outcomes)
    return Scores(
        n=n,
        success_at_1=sum(r == 1 for r in ranks) / n if n else 0.0,
        mrr=sum(1 / r for r in ranks if r) / n if n else 0.0,
        success_at_10=sum(r is not None for r in ranks) / n if n else 0.0,
        exclusive=sum(o.exclusive for o in outcomes) / n if n else 0.0,
        misses=[o for o in outcomes if o.rank != 1],
    )


def grouped(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """Outcomes of every class in `CLASSES` order, then all of them as "overall"."""
    return {**{cls: [o for o in outcomes if o.query.cls == cls] for cls in CLASSES}, "overall": outcomes}


def by_class(outcomes: list[Outcome]) -> dict[str, Scores]:
    """Scores of every class in `CLASSES` order, then "overall"."""
    return {cls: score(group) for cls, group in grouped(outcomes).items()}


def load_baseline(path: Path = BASELINE) -> dict[str, dict[str, float]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def baseline_text(scores: dict[str, Scores]) -> str:
    """A baseline file of `scores`, each figure rounded down so that the same run passes."""
    def down(x: float) -> str:
        return f"{int(x * 1000) / 1000:.3f}"

    lines = ["# Relevance floor: tests/test_relevance.py fails when a class scores below these.",
             "# Written by `python tests/benchmarks/bench_relevance.py --write-baseline`; raise it when",
             "# search improves, never lower it to make a change pass.", "", "[success_at_1]"]
    lines += [f"{cls} = {down(scores[cls].success_at_1)}" for cls in (*CLASSES, "overall")]
    lines += ["", "# precision queries whose page holds the town's records and nothing else", "[exclusive]",
              f"precision = {down(scores['precision'].exclusive)}", ""]
    return "\n".join(lines)


# -- our engine, through the public Python API ---------------------------------------------------


def load_catalogue(records: list[dict[str, Any]], data_dir: Path) -> Any:
    """A fresh catalogue in `data_dir` holding `records` (imported as a user would)."""
    from catalogue.service import Catalogue

    catalogue = Catalogue(data_dir)
    report = catalogue.import_records(((f"{COLLECTION.name}:{i}", r) for i, r in enumerate(records, 1)),
                                      user="relevance", message="relevance collection", origin="import")
    if report.failed:
        catalogue.close()
        raise ValueError(f"relevance collection did not import: {report.errors[:3]}")
    return catalogue


def catalogue_search(catalogue: Any) -> Callable[[str], tuple[list[str], int]]:
    """Search as the search page does (facets and snippets on), first `DEPTH` hits."""
    def search(text: str) -> tuple[list[str], int]:
        result = catalogue.search(text, page_size=DEPTH, facets=True, highlight=True)
        return [h.id for h in result.hits], result.total

    return search
