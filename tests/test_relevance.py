"""Relevance floor: each query class must keep the success@1 recorded in tests/data/relevance/baseline.toml.

The collection and queries are described in tests/data/relevance/README.md; the benchmark
(tests/benchmarks/bench_relevance.py) prints the same figures beside SQLite FTS5.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.relevance import scoring

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return scoring.load_collection()


@pytest.fixture(scope="module")
def catalogue(records: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    cat = scoring.load_catalogue(records, tmp_path_factory.mktemp("relevance") / "data")
    yield cat
    cat.close()


@pytest.fixture(scope="module")
def scores(records: list[dict[str, Any]], catalogue: Any) -> dict[str, scoring.Scores]:
    queries = scoring.load_queries(records)
    return scoring.by_class(scoring.run(queries, scoring.catalogue_search(catalogue)))


def test_collection_is_what_its_generator_writes() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "relevance" / "make_collection.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_collection_imports_whole_and_every_record_is_marked_synthetic(
        records: list[dict[str, Any]], catalogue: Any) -> None:
    assert 300 <= len(records) <= 600
    assert catalogue.search("", page_size=1, facets=False, highlight=False).total == len(records)
    for record in records:
        assert record["notes"].startswith("SYNTHETIC"), record["id"]
        assert all("invented" in s["citation"] for s in record["sources"]), record["id"]


def test_every_class_has_queries_and_a_recorded_floor(records: list[dict[str, Any]]) -> None:
    queries = scoring.load_queries(records)
    counts = {cls: sum(q.cls == cls for q in queries) for cls in scoring.CLASSES}
    assert len(queries) >= 150
    assert min(counts.values()) >= 15, counts
    assert set(scoring.load_baseline()["success_at_1"]) == {*scoring.CLASSES, "overall"}


def test_queries_refuse_an_unknown_record(records: list[dict[str, Any]], tmp_path: Path) -> None:
    bad = tmp_path / "queries.toml"
    bad.write_text('[[query]]\nclass = "typo"\nq = "x"\nexpect = ["rel-no-such-record"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="rel-no-such-record"):
        scoring.load_queries(records, bad)


@pytest.mark.parametrize("cls", [*scoring.CLASSES, "overall"])
def test_success_at_1_keeps_its_floor(cls: str, scores: dict[str, scoring.Scores]) -> None:
    floor = scoring.load_baseline()["success_at_1"][cls]
    got = scores[cls].success_at_1
    missed = "\n".join(f"  {o.query.text!r} -> {o.ids[:3] or 'no hits'}" for o in scores[cls].misses)
    assert got + 1e-9 >= floor, f"{cls}: success@1 {got:.3f} is below its floor {floor}; not first:\n{missed}"


def test_precision_pages_keep_their_floor(scores: dict[str, scoring.Scores]) -> None:
    floor = scoring.load_baseline()["exclusive"]["precision"]
    got = scores["precision"].exclusive
    assert got + 1e-9 >= floor, f"precision: exclusive pages {got:.3f} below the floor {floor}"
