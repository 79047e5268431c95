"""Phrase benchmark: wall and CPU time of phrase searches over an existing data directory.

Opens the catalogue of `--data` (built by `bench_search.py` or `catalogue import` of
`synthetic.generate`, and reindexed), then runs phrases of 2, 3 and 4 adjacent words taken from
synthetic records of the same corpus (faceted, page of 20, no snippets, as `bench_search.py`'s
"faceted" row), twice: the first pass with the caches as the previous queries left them, the
second warm. Prints p50/p95/max wall time and CPU time per phrase length and pass. Not a test:
run it by hand, e.g. before and after a change to the phrase path, back to back.

    python tests/benchmarks/bench_phrases.py --data /tmp/bench-data --queries 240
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from synthetic import CORPORA, generate  # noqa: E402


def make_phrases(n: int, corpus: str, seed: int = 3) -> list[tuple[int, str]]:
    """`n` phrases (length, query) of adjacent words of synthetic descriptions: 2, 3, 4 words in turn."""
    rng = random.Random(seed)
    sample = list(generate(2000, seed=0, corpus=corpus))
    out = []
    for i in range(n):
        size = 2 + i % 3
        words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", rng.choice(sample)["description"])]
        start = rng.randrange(max(1, len(words) - size + 1))
        out.append((size, '"' + " ".join(words[start:start + size]) + '"'))
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def run(catalogue: Any, phrases: list[tuple[int, str]]) -> dict[str, dict[str, float]]:
    """Time each phrase once: wall and CPU milliseconds, summarised per phrase length and overall."""
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for size, query in phrases:
        wall, cpu = time.perf_counter(), time.process_time()
        catalogue.search(query, page_size=20, facets=True, highlight=False)
        wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
        for key in (f"{size} words", "all"):
            walls.setdefault(key, []).append(wall)
            cpus.setdefault(key, []).append(cpu)
    return {key: {"n": len(w), "wall_p50": statistics.median(w), "wall_p95": percentile(w, 0.95),
                  "wall_max": max(w), "cpu_p50": statistics.median(cpus[key]),
                  "cpu_p95": percentile(cpus[key], 0.95), "cpu_total_s": sum(cpus[key]) / 1000}
            for key, w in walls.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="an existing catalogue data directory")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--corpus", choices=CORPORA, default="zipf")
    parser.add_argument("--json", action="store_true", help="print raw numbers as JSON")
    args = parser.parse_args()
    from catalogue.service import Catalogue

    catalogue = Catalogue(args.data)
    catalogue.search("warm", facets=True)
    phrases = make_phrases(args.queries, args.corpus)
    passes = {name: run(catalogue, phrases) for name in ("first pass", "warm pass")}
    if args.json:
        print(json.dumps(passes, indent=2))
        return 0
    print("| pass | phrase | n | wall p50 / p95 / max ms | CPU p50 / p95 ms | CPU total s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rows in passes.items():
        for key in sorted(rows, key=lambda k: (k == "all", k)):
            r = rows[key]
            print(f"| {name} | {key} | {r['n']} | {r['wall_p50']:.1f} / {r['wall_p95']:.1f} / {r['wall_max']:.1f} "
                  f"| {r['cpu_p50']:.1f} / {r['cpu_p95']:.1f} | {r['cpu_total_s']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
