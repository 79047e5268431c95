"""Web benchmark: latency of the interactive pages and API calls at N synthetic records.

Loads `synthetic.generate(N)` through the catalogue's import path with the search index
(the data directory is kept and reused when given with --data), then requests each kind
of page through the Flask test client (rendering included, no network) and prints p50,
p95 and max per route. Not a test: run it by hand.

    python tests/benchmarks/bench_web.py 100000 --data /tmp/web-bench-data
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from synthetic import COMMON_WORDS, generate  # noqa: E402

from catalogue import create_app  # noqa: E402
from catalogue.web import get_catalogue  # noqa: E402

TARGET_P95_MS = 200


def load(app: Flask, n: int) -> float:
    """Import the synthetic records unless the data directory holds them; seconds taken."""
    with app.app_context():
        catalogue = get_catalogue()
        have = catalogue.store.counts()["records"]
        started = time.perf_counter()
        if have < n:
            items = ((f"synthetic:{i}", r) for i, r in enumerate(generate(n, seed=0)) if i >= have)
            report = catalogue.import_records(items, user="bench", message="benchmark data")
            if report.failed:
                raise SystemExit(f"{report.failed} synthetic records failed: {report.errors[:3]}")
        catalogue.index.sync(catalogue.store)
        return time.perf_counter() - started


def routes(app: Flask, rounds: int) -> dict[str, list[str]]:
    """The URLs to time, per kind of request, drawn from the data set."""
    rng = random.Random(7)
    with app.app_context():
        ids = [r.id for _, r in zip(range(2000), get_catalogue().store.iter_records(), strict=False)]
    picks = [rng.choice(ids) for _ in range(rounds)]
    words = [rng.choice(COMMON_WORDS[20:]) for _ in range(rounds)]
    return {
        "home /": ["/"] * rounds,
        "search, one word": [f"/search?q={w}" for w in words],
        "search, word + type and status facets": [f"/search?q={w}&type=school&status=destroyed" for w in words],
        "search, page 5 sorted by title": [f"/search?q={w}&sort=title&page=5" for w in words],
        "record page": [f"/records/{i}" for i in picks],
        "record history": [f"/records/{i}/history" for i in picks],
        "stats page": ["/stats"] * rounds,
        "stats of a search, word + type": [f"/stats?q={w}&type=school" for w in words],
        "API page /api": ["/api"] * rounds,
        "API search": [f"/api/search?q={w}" for w in words],
        "API record": [f"/api/records/{i}" for i in picks],
        "OAI GetRecord": [f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:bench.test:{i}" for i in picks],
        "OAI ListRecords, first page": ["/oai?verb=ListRecords&metadataPrefix=oai_dc"] * rounds,
    }


def measure(app: Flask, urls: list[str]) -> list[float]:
    client = app.test_client()
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10000, help="records (default 10000)")
    parser.add_argument("--data", type=Path, required=True, help="data directory (created or reused)")
    parser.add_argument("--rounds", type=int, default=40, help="requests per route (default 40)")
    args = parser.parse_args()
    app = create_app({"DATA": str(args.data), "SECRET_KEY": "bench", "REPOSITORY_ID": "bench.test",
                      "DEMO_ON_EMPTY": False})
    seconds = load(app, args.n)
    print(f"{args.n:,} synthetic records; load and index catch-up {seconds:.1f} s; "
          f"{args.rounds} requests per route, Flask test client, after one warm-up request each\n")
    print("| route | p50 ms | p95 ms | max ms |\n| --- | --- | --- | --- |")
    worst = 0.0
    for name, urls in routes(app, args.rounds).items():
        measure(app, urls[:1])
        times = measure(app, urls)
        p95 = statistics.quantiles(times, n=20)[18]
        worst = max(worst, p95)
        print(f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} |")
    print(f"\nslowest p95 {worst:.1f} ms (target {TARGET_P95_MS} ms)")
    return 0 if worst <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
