"""Store benchmark, SQLite against PostgreSQL: record writes per second (one process, and P
processes writing at once), how late a waiter on another connection learns of a commit
(`Catalogue.wait_for_change`, p50/p95), and `migrate-store` throughput both ways.

Writes go through the one write path with the index off (`Catalogue(with_index=False)`):
the store alone, validation included. The PostgreSQL store is the one named by
``CATALOGUE_TEST_POSTGRES`` (an admin URL) or a throw-away cluster (tests/postgres.py).
Not a test: run it by hand.

    python tests/benchmarks/bench_store.py --records 2000 --procs 4

With `--import N` it measures only the command line's import instead, on each store: N
synthetic records written as a JSON Lines file, then `catalogue import FILE` into an empty
data directory, timed from the command's start to its exit (Python start-up, reading and
validating each record, storing it with its revision, and the search index catching up
in bulk, which the command does before it exits); then `catalogue search` in a new process
must find all N records (not timed).

    python tests/benchmarks/bench_store.py --import 20000 --stores sqlite,postgresql

With `--busy T` it measures the reads of a serving process instead, alone and beside T threads
busy in Python (as request threads of a loaded server are): an OAI-PMH page of 100 records
(`Catalogue.published.page`) and the 10 records of a page of search hits (`Store.get_many`),
p50/p95 of `--rounds` reads each, in a store of `--records` records.

    python tests/benchmarks/bench_store.py --busy 4 --records 2000 --stores sqlite,postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_search import summary, timed  # noqa: E402
from synthetic import generate  # noqa: E402

from catalogue.service import Catalogue  # noqa: E402
from catalogue.service.published import Window  # noqa: E402
from tests.postgres import start  # noqa: E402

WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[4])
    from synthetic import generate
    from catalogue.service import Catalogue
    data, url, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[5])
    records = list(generate(first + count))
    with Catalogue(data, database_url=url, with_index=False) as cat:
        started = time.time()
        for i, record in enumerate(records):
            if i >= first:  # new ids, no provenance: the records of `writes` hold those
                record.pop("provenance", None)
                cat.create(dict(record, id=f"p-{i}"), user="bench")
    print(started, time.time())
    """
)


def writes(url: str, work: Path, count: int) -> float:
    """Creates, then updates of the same records, per second, in one process."""
    records = list(generate(count))
    with Catalogue(work / "one", database_url=url, with_index=False) as cat:
        started = time.perf_counter()
        for record in records:
            cat.create(record, user="bench")
        for record in records:
            stored = cat.get(record["id"])
            cat.update(record["id"], dict(stored, title=stored["title"] + " (revised)"),
                       base_revision=stored["revision"], user="bench")
        return 2 * count / (time.perf_counter() - started)


def parallel_writes(url: str, work: Path, count: int, procs: int) -> float:
    """Creates per second with `procs` processes writing at once (each its own records),
    from the first process's first write to the last one's last (start-up left out)."""
    each = count // procs
    running = [subprocess.Popen([sys.executable, "-c", WRITER, str(work / f"w{p}"), url, str(p * each),
                                 str(HERE), str(each)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
               for p in range(procs)]
    spans = []
    for proc in running:
        out, _ = proc.communicate()
        assert proc.returncode == 0
        spans.append([float(t) for t in out.split()])
    return procs * each / (max(end for _, end in spans) - min(start for start, _ in spans))


def _wait(cat: Catalogue, mark: int, woke: list[float]) -> None:
    cat.wait_for_change(mark, 10)
    woke.append(time.time())


def wake_latency(url: str, work: Path, rounds: int) -> list[float]:
    """Seconds from a commit to the moment a waiter (another connection) returns."""
    late: list[float] = []
    with Catalogue(work / "a", database_url=url, with_index=False) as waiter, \
            Catalogue(work / "b", database_url=url, with_index=False) as writer:
        for i, record in enumerate(generate(rounds)):
            woke: list[float] = []
            thread = threading.Thread(target=_wait, args=(waiter, waiter.last_change(), woke))
            thread.start()
            time.sleep(0.05)
            record.pop("provenance", None)
            writer.create(dict(record, id=f"wake-{i}"), user="bench")
            committed = time.time()
            thread.join()
            late.append(woke[0] - committed)
    return late


def migrate(source: str, target: str, work: Path) -> tuple[int, float]:
    with Catalogue(work / "m", database_url=source, with_index=False) as cat:
        started = time.perf_counter()
        report = cat.migrate_store(target)
        return report.counts["revisions"], time.perf_counter() - started


def write_jsonl(path: Path, count: int) -> None:
    """`count` synthetic records as a JSON Lines file."""
    with open(path, "w", encoding="utf-8") as handle:
        for record in generate(count):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def command_import(url: str, data: Path, source: Path, count: int) -> tuple[float, float]:
    """Wall and CPU seconds (the command's processes together) of `catalogue import` of
    `source` into the empty data directory `data` on the store at `url`; then a search in a
    new process must find `count` records."""
    env = dict(os.environ, CATALOGUE_DATA=str(data), CATALOGUE_DATABASE_URL=url)
    command = [sys.executable, "-m", "catalogue"]
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([*command, "import", str(source)], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = subprocess.run([*command, "search", "--json", "--limit", "1"], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True)
    total = json.loads(found.stdout)["total"]
    assert total == count, f"{total} of {count} records searchable after the import"
    return wall, (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)


def import_rates(server: Any, count: int, stores: list[str]) -> None:
    """Print the command line's import rate on each of `stores`, with the load average."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "records.jsonl"
        write_jsonl(source, count)
        for name in stores:
            url = f"sqlite:///{work / name / 'catalogue.sqlite3'}" if name == "sqlite" else server.fresh_url()
            load = os.getloadavg()
            wall, cpu = command_import(url, work / name, source, count)
            print(f"{name:10}  catalogue import of {count:,} records: {wall:6.1f} s ({count / wall:6,.0f} records/s),"
                  f" CPU {cpu:6.1f} s ({count / cpu:6,.0f} records per CPU second); load before"
                  f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            if name != "sqlite":
                server.drop(url)


def _spin(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(2000))  # Python work, holding the GIL as a request thread does


def busy_reads(url: str, work: Path, count: int, busy: int, rounds: int) -> list[str]:
    """An OAI-PMH page and a page of hits read alone, then beside `busy` busy threads."""
    lines = []
    with Catalogue(work / "busy", database_url=url, with_index=False) as cat:
        with cat.transaction():
            for record in generate(count):
                cat.create(record, user="bench")
        ids = [record["id"] for record in generate(10)]
        snapshot = cat.store.last_seq()
        reads = {"OAI page of 100": lambda: cat.published.page(Window(), after=None, snapshot=snapshot, limit=100),
                 "10 hits' records": lambda: cat.store.get_many(ids)}
        for threads in (0, busy):
            stop = threading.Event()
            spinners = [threading.Thread(target=_spin, args=(stop,)) for _ in range(threads)]
            for spinner in spinners:
                spinner.start()
            try:
                for name, read in reads.items():
                    took = summary([timed(read) for _ in range(rounds)])
                    lines.append(f"{name:17} beside {threads} busy threads: p50 {took['p50']:7.1f} ms"
                                 f"  p95 {took['p95']:7.1f} ms")
            finally:
                stop.set()
                for spinner in spinners:
                    spinner.join()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--import", dest="import_count", type=int, metavar="N",
                        help="measure only `catalogue import` of N records, end to end")
    parser.add_argument("--stores", default="sqlite,postgresql", help="stores of --import and --busy (comma-separated)")
    parser.add_argument("--busy", type=int, metavar="T",
                        help="measure only reads of many rows beside T busy threads, on each store")
    args = parser.parse_args()
    stores = [name.strip() for name in args.stores.split(",") if name.strip()]
    if unknown := set(stores) - {"sqlite", "postgresql"}:
        parser.error(f"unknown store {', '.join(sorted(unknown))}: sqlite or postgresql")
    if args.busy is not None:
        with tempfile.TemporaryDirectory() as folder:
            server = start() if "postgresql" in stores else None
            try:
                for name in stores:
                    url = f"sqlite:///{Path(folder) / 'busy.sqlite3'}" if name == "sqlite" else server.fresh_url()
                    for line in busy_reads(url, Path(folder) / name, args.records, args.busy, args.rounds):
                        print(f"{name:10}  {line}")
            finally:
                if server is not None:
                    server.stop()
        return
    if args.import_count and stores == ["sqlite"]:
        import_rates(None, args.import_count, stores)
        return
    server = start()
    try:
        if args.import_count:
            import_rates(server, args.import_count, stores)
            return
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            stores = {"sqlite": f"sqlite:///{work / 'bench.sqlite3'}", "postgresql": server.fresh_url()}
            for name, url in stores.items():
                rate = writes(url, work / name, args.records)
                many = parallel_writes(url, work / name, args.records, args.procs)
                late = sorted(wake_latency(url, work / name, args.rounds))
                print(f"{name:10}  one process {rate:7.0f} writes/s   {args.procs} processes {many:7.0f} creates/s"
                      f"   wake-up p50 {1000 * statistics.median(late):6.1f} ms"
                      f"  p95 {1000 * late[int(0.95 * (len(late) - 1))]:6.1f} ms")
            back = f"sqlite:///{work / 'back.sqlite3'}"
            target = server.fresh_url()
            for source, destination, label in ((stores["sqlite"], target, "SQLite -> PostgreSQL"),
                                               (target, back, "PostgreSQL -> SQLite")):
                revisions, seconds = migrate(source, destination, work)
                print(f"migrate-store {label}: {revisions} revisions in {seconds:.1f} s"
                      f" ({revisions / seconds:.0f} revisions/s, verification included)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
