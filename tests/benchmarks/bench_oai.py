"""OAI-PMH benchmark: a full ListRecords harvest of N synthetic records by Sickle over HTTP.

Loads `synthetic.generate(N)` through the catalogue's validating import path
(`Catalogue(data_dir, with_index=False).import_records`, one transaction per record; the
data directory is kept and reused when given with --data), serves the app with werkzeug on
a loopback port, harvests every page with Sickle and reports throughput (records/s over the
whole harvest) and page latency (p50/p95/max, time from request to parsed response).
Optionally validates every page against the official schemas (outside the timings).
Not a test: run it by hand.

    python tests/benchmarks/bench_oai.py 100000 --data /tmp/oai-bench-data
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from sickle import Sickle  # noqa: E402
from synthetic import generate  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from catalogue import create_app  # noqa: E402
from catalogue.service import Catalogue  # noqa: E402

TARGET_RATE = 2000
TARGET_P95_MS = 200


def load(data_dir: Path, n: int) -> float:
    """Import the synthetic records unless the data directory already holds them; seconds."""
    with Catalogue(data_dir, with_index=False) as catalogue:
        have = catalogue.store.counts()["records"]
        if have >= n:
            return 0.0
        started = time.perf_counter()
        items = ((f"synthetic:{i}", record) for i, record in enumerate(generate(n, seed=0)) if i >= have)
        report = catalogue.import_records(items, user="bench", message="benchmark data", origin="import")
        if report.failed:
            raise SystemExit(f"{report.failed} synthetic records failed validation: {report.errors[:3]}")
        return time.perf_counter() - started


class TimedSickle(Sickle):
    """Sickle that records the latency of each request and keeps bodies for validation."""

    def __init__(self, endpoint: str, keep: bool):
        super().__init__(endpoint, timeout=120)
        self.latencies: list[float] = []
        self.keep = keep
        self.bodies: list[bytes] = []

    def harvest(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = super().harvest(**kwargs)
        response.xml  # noqa: B018 (parse inside the timing, as a harvester must)
        self.latencies.append(time.perf_counter() - started)
        if self.keep:
            self.bodies.append(response.http_response.content)
        return response


def _validator() -> Any:
    path = ROOT / "tests" / "data" / "oai-pmh" / "validate.py"
    if not path.exists():
        raise SystemExit(f"{path} is absent: run without --validate")
    spec = importlib.util.spec_from_file_location("oai_pmh_validate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.validate_bytes


def harvest(url: str, prefix: str, validate: bool) -> dict[str, Any]:
    client = TimedSickle(url, keep=validate)
    started = time.perf_counter()
    seen: set[str] = set()
    count = 0
    for record in client.ListRecords(metadataPrefix=prefix):
        seen.add(record.header.identifier)
        count += 1
    elapsed = time.perf_counter() - started
    latencies = sorted(client.latencies)
    result = {
        "prefix": prefix, "records": count, "unique": len(seen), "pages": len(latencies), "seconds": elapsed,
        "rate": count / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[max(0, int(len(latencies) * 0.95) - 1)],
        "max_ms": 1000 * latencies[-1],
    }
    if validate:
        check = _validator()
        problems = [p for body in client.bodies for p in check(body)]
        result["invalid_pages"] = sum(bool(check(body)) for body in client.bodies) if problems else 0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="number of synthetic records")
    parser.add_argument("--data", type=Path, default=Path("/tmp/oai-bench-data"), help="data directory (reused)")
    parser.add_argument("--page-size", type=int, default=100, help="OAI_PAGE_SIZE")
    parser.add_argument("--prefix", action="append", help="metadata prefixes (default: oai_dc and heritage)")
    parser.add_argument("--validate", action="store_true", help="validate every page (outside the timings)")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    load_seconds = load(args.data, args.n)
    if load_seconds:
        print(f"loaded {args.n} records in {load_seconds:.0f} s ({args.n / load_seconds:.0f} records/s)")
    app = create_app({"DATA": str(args.data), "SECRET_KEY": "bench", "OAI_PAGE_SIZE": args.page_size,
                      "REPOSITORY_ID": "bench.example.org"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/oai"
    failed = False
    try:
        for prefix in args.prefix or ["oai_dc", "heritage"]:
            r = harvest(url, prefix, args.validate)
            ok = r["rate"] >= TARGET_RATE and r["p95_ms"] <= TARGET_P95_MS and r["unique"] == r["records"] >= args.n
            failed |= not ok
            print(f"{prefix:>8}: {r['records']} records ({r['unique']} unique) in {r['pages']} pages, "
                  f"{r['seconds']:.1f} s = {r['rate']:.0f} records/s; page p50 {r['p50_ms']:.0f} ms, "
                  f"p95 {r['p95_ms']:.0f} ms, max {r['max_ms']:.0f} ms"
                  + (f"; invalid pages: {r['invalid_pages']}" if "invalid_pages" in r else "")
                  + ("" if ok else f"  [BELOW TARGET: >= {TARGET_RATE}/s, p95 <= {TARGET_P95_MS} ms]"))
    finally:
        server.shutdown()
        thread.join()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
