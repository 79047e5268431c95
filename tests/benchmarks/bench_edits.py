"""Edit benchmark: what one edit costs a catalogue of N synthetic records, in a serving app.

Loads `synthetic.generate(N)` as bench_web.py does (reused when the data directory holds
them), opens the app as `catalogue serve` does (its index kept by a follower thread), then
saves `--edits` edits of random records' titles through the catalogue's Python API, one every
`--every` seconds. After each it searches for the word the edit gave until the record is
found, then asks for the home page and an empty search's page through the Flask test client
(no network). Prints p50 / p95 of: the save (it waits for search to catch up, at most
``INDEX_WAIT_MS``), save until found, the new index version's facet sets, the home page and
the empty search right after the edit; and the reads of the index's table of contents per
edit. Not a test: run it by hand.

    python tests/benchmarks/bench_edits.py 1000000 --data /tmp/m1 --edits 30
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_web import load  # noqa: E402

import catalogue.search.index as search_index  # noqa: E402
from catalogue import create_app  # noqa: E402
from catalogue.search._whoosh import TOC  # noqa: E402
from catalogue.web import get_catalogue  # noqa: E402


def timed(record: list[float], function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding the milliseconds of each call to `record`."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record.append((time.perf_counter() - started) * 1000)
    return wrapper


def p50_p95(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{statistics.median(ordered):.1f} / {ordered[max(0, round(0.95 * len(ordered)) - 1)]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="synthetic records")
    parser.add_argument("--data", type=Path, required=True, help="data directory (kept and reused)")
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between edits")
    parser.add_argument("--seed", type=int, default=os.getpid())
    args = parser.parse_args()

    facet_ms: list[float] = []
    search_index.build_facet_sets = timed(facet_ms, search_index.build_facet_sets)
    reads = [0]
    read_toc = TOC.read.__func__

    def counted(cls: Any, *a: Any, **k: Any) -> Any:
        reads[0] += 1
        return read_toc(cls, *a, **k)

    TOC.read = classmethod(counted)  # type: ignore[method-assign]
    app = create_app({"DATA": str(args.data), "SECRET_KEY": "bench", "TESTING": True, "DEMO_ON_EMPTY": False,
                      "REPOSITORY_ID": "bench.example.org", "ADMIN_EMAIL": "admin@bench.example.org"})
    print(f"loaded in {load(app, args.n):.1f} s", flush=True)
    client, rng = app.test_client(), random.Random(args.seed)
    client.get("/")  # (the first requests open the index and count)
    client.get("/search?q=")
    times: dict[str, list[float]] = {"save": [], "save until found": [], "home after": [], "empty search after": []}
    toc_reads: list[int] = []
    with app.app_context():
        catalogue = get_catalogue()
        ids = [r.id for _, r in zip(range(20000), catalogue.store.iter_records(), strict=False)]
        time.sleep(2)  # (the follower's first catch-up)
        facet_ms.clear()
        for _ in range(args.edits):
            record_id, word = rng.choice(ids), "".join(rng.choices("bcdfghjklmnpqrstvwxz", k=11))
            current = catalogue.current(record_id)
            data = dict(current.data, title=f"{current.data['title'].split(' · ')[0]} · {word}")
            before, started = reads[0], time.perf_counter()
            catalogue.update(record_id, data, base_revision=current.revision, user="bench", message="edit benchmark")
            times["save"].append((time.perf_counter() - started) * 1000)
            while record_id not in {hit.id for hit in catalogue.search(word).hits}:
                time.sleep(0.001)
            times["save until found"].append((time.perf_counter() - started) * 1000)
            toc_reads.append(reads[0] - before)
            for name, url in (("home after", "/"), ("empty search after", "/search?q=")):
                started = time.perf_counter()
                assert client.get(url).status_code == 200, url
                times[name].append((time.perf_counter() - started) * 1000)
            time.sleep(args.every)
    print(f"{args.n:,} synthetic records, {args.edits} edits, one every {args.every:g} s, in process "
          "(the app's follower thread keeps the index)\n")
    print("| per edit | p50 / p95 ms |\n| --- | --- |")
    for name, values in (*times.items(), ("facet sets of a new version", facet_ms)):
        print(f"| {name} | {p50_p95(values)} |")
    print(f"\nreads of the table of contents until found: {statistics.mean(toc_reads):.1f} an edit")


if __name__ == "__main__":
    main()
