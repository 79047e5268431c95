"""Relevance benchmark: success@1, MRR and success@10 per query class, ours beside SQLite FTS5.

Loads tests/data/relevance/collection.jsonl into a fresh catalogue (through the Python API)
and into an FTS5 table (the same text, built by bench_search's helper), runs every query of
tests/data/relevance/queries.toml against both, and prints a table per class with our
p50/p95 latency. Not a test: tests/test_relevance.py holds the floor.

    python tests/benchmarks/bench_relevance.py [--misses] [--json] [--write-baseline]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from bench_search import fts_add, fts_create, summary  # noqa: E402

from tests.relevance import scoring  # noqa: E402

WORD = re.compile(r"\w+")


def fts_engine(records: list[dict[str, Any]]) -> Any:
    """An in-memory FTS5 table of `records` and a search over it.

    A query's words are ANDed as quoted terms (FTS5's own syntax would reject the hyphens and
    apostrophes researchers type), ranked by bm25.
    """
    db = sqlite3.connect(":memory:")
    fts_create(db)
    with db:
        for record in records:
            fts_add(db, record)

    def search(text: str) -> tuple[list[str], int]:
        words = WORD.findall(text)
        if not words:
            return [], 0
        expr = " ".join(f'"{w}"' for w in words)
        rows = db.execute("SELECT docs.id FROM fts JOIN docs ON docs.rowid = fts.rowid WHERE fts MATCH ? "
                          "ORDER BY bm25(fts) LIMIT ?", (expr, scoring.DEPTH)).fetchall()
        total = db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (expr,)).fetchone()[0]
        return [r[0] for r in rows], total

    return search


def table(ours: dict[str, scoring.Scores], fts: dict[str, scoring.Scores], latency: dict[str, dict[str, float]],
          n_records: int) -> str:
    lines = [f"{n_records} records, {ours['overall'].n} queries; right answer within the first "
             f"{scoring.DEPTH} hits for MRR and success@10.", "",
             "| class | queries | ours s@1 | ours MRR | ours s@10 | FTS5 s@1 | FTS5 MRR | FTS5 s@10 "
             "| ours p50 ms | ours p95 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for cls, a in ours.items():
        b = fts[cls]
        name = f"**{cls}**" if cls == "overall" else cls
        lines.append(f"| {name} | {a.n} | {a.success_at_1:.2f} | {a.mrr:.2f} | {a.success_at_10:.2f} "
                     f"| {b.success_at_1:.2f} | {b.mrr:.2f} | {b.success_at_10:.2f} "
                     f"| {latency[cls]['p50']:.1f} | {latency[cls]['p95']:.1f} |")
    lines += ["", f"precision, pages holding the town's records and nothing else: ours "
              f"{ours['precision'].exclusive:.2f}, FTS5 {fts['precision'].exclusive:.2f}"]
    return "\n".join(lines)


def misses(scores: dict[str, scoring.Scores]) -> str:
    """Every query whose right answer was not first, with what came first instead."""
    lines = []
    for cls, s in scores.items():
        if cls == "overall" or not s.misses:
            continue
        lines.append(f"\n{cls}: {len(s.misses)} of {s.n} not first")
        for o in s.misses:
            got = ", ".join(o.ids[:3]) or "no hits"
            where = f"rank {o.rank}" if o.rank else "not in top 10"
            lines.append(f"  {o.query.text!r} ({where}; {o.total} hits) -> {got}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list the queries whose answer was not first")
    parser.add_argument("--write-baseline", action="store_true",
                        help=f"write our success@1 per class to {scoring.BASELINE.name} (the test's floor)")
    args = parser.parse_args()
    records = scoring.load_collection()
    queries = scoring.load_queries(records)
    work = Path(tempfile.mkdtemp(prefix="bench-relevance-"))
    try:
        catalogue = scoring.load_catalogue(records, work / "data")
        try:
            search = scoring.catalogue_search(catalogue)
            scoring.run(queries[:20], search)  # warm the caches, as a running server would be
            outcomes = scoring.run(queries, search)
        finally:
            catalogue.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ours = scoring.by_class(outcomes)
    latency = {cls: summary([o.ms for o in group]) for cls, group in scoring.grouped(outcomes).items()}
    fts = scoring.by_class(scoring.run(queries, fts_engine(records)))
    if args.json:
        def plain(s: scoring.Scores) -> dict[str, Any]:
            return {k: v for k, v in asdict(s).items() if k != "misses"}

        print(json.dumps({"ours": {c: plain(s) | {"latency_ms": latency[c]} for c, s in ours.items()},
                          "fts5": {c: plain(s) for c, s in fts.items()}}, indent=2))
    else:
        print(table(ours, fts, latency, len(records)))
    if args.misses:
        print("\nOurs:" + misses(ours))
    if args.write_baseline:
        scoring.BASELINE.write_text(scoring.baseline_text(ours), encoding="utf-8")
        print(f"\nwrote {scoring.BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
