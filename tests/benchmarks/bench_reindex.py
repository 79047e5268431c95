"""Full index build benchmark: `catalogue reindex` of an existing catalogue, then its search.

Runs `catalogue reindex` on the data directory `--data` (a catalogue made by the benchmarks,
e.g. bench_load.py's or bench_search.py's records of `synthetic.generate`) as a child
process and prints its wall time, CPU time (its own and its writer processes'), the peak
resident memory of each of its processes (Linux VmHWM, sampled every 50 ms), the load
average, the new generation's segments and size; then times bench_search.py's mixed
queries (faceted, 20 per page) on the rebuilt index. Not a test: run it by hand, on a copy.

    python tests/benchmarks/bench_reindex.py --data /tmp/copy-of-a-100k-catalogue

`--search-only` times the queries without rebuilding (to compare two indexes back to back).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import bench_search  # noqa: E402
from bench_search import folder_size, make_queries, query_summary  # noqa: E402


def _children(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _hwm_kb(pid: int) -> int:
    try:
        found = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


def reindex(data: Path) -> dict[str, object]:
    """Run `catalogue reindex` on `data`, sampling its processes' peak RSS."""
    env = dict(os.environ, CATALOGUE_DATA=str(data))
    load = os.getloadavg()
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([sys.executable, "-m", "catalogue", "reindex"], env=env)
    peaks: dict[int, int] = {}

    def sample() -> None:
        while proc.poll() is None:
            for pid in _children(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code:
        raise SystemExit(f"catalogue reindex failed (exit {code})")
    index = data / "index"
    live = index / (index / "CURRENT").read_text().strip()
    return {"wall_s": wall, "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_rss_mb": {pid: kb / 1024 for pid, kb in sorted(peaks.items())},
            "load_before": load, "load_after": os.getloadavg(),
            "segments": len(list(live.glob("*.seg"))), "size_mb": folder_size(live) / 2**20}


def search(data: Path, n: int, corpus: str) -> dict[str, object]:
    """bench_search.py's mixed queries on the catalogue in `data` (faceted, as it times them)."""
    from catalogue.service import Catalogue

    bench_search.CORPUS = corpus
    queries = make_queries(n)
    catalogue = Catalogue(data)
    try:
        catalogue.search("warm", facets=True)
        load = os.getloadavg()
        out = query_summary(queries, lambda q: catalogue.search(q["ours"], page_size=20, facets=True))
        out["load"] = load
        return out
    finally:
        catalogue.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a catalogue's data directory (rebuilt in place)")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--corpus", choices=bench_search.CORPORA, default="zipf",
                        help="the corpus the catalogue's records were generated from")
    parser.add_argument("--no-search", action="store_true", help="only rebuild")
    parser.add_argument("--search-only", action="store_true", help="only time the queries (no rebuild)")
    args = parser.parse_args()
    if not args.search_only:
        _report(reindex(args.data))
    if not args.no_search:
        found = search(args.data, args.queries, args.corpus)
        kinds = ", ".join(f"{k} {v:.0f}" for k, v in found["by_kind_p95"].items())  # type: ignore[attr-defined]
        print(f"search (faceted, {args.queries} queries): p50 {found['p50']:.1f} ms, p95 {found['p95']:.1f} ms; "
              f"p95 by kind (ms): {kinds}; load average {found['load'][0]:.1f}")  # type: ignore[index]
    return 0


def _report(built: dict[str, object]) -> None:
    rss = ", ".join(f"{mb:,.0f}" for mb in built["peak_rss_mb"].values())  # type: ignore[attr-defined]
    print(f"reindex: wall {built['wall_s']:.1f} s, CPU {built['cpu_s']:.1f} s, peak RSS per process (MB) {rss}; "
          f"{built['segments']} segments, {built['size_mb']:,.0f} MB; load average before "
          f"{built['load_before'][0]:.1f}, after {built['load_after'][0]:.1f}")  # type: ignore[index]


if __name__ == "__main__":
    sys.exit(main())
