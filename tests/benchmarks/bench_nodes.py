"""Scaling-out benchmark: web nodes (`catalogue serve` processes, each with its own index
replica) over one PostgreSQL store. It measures, over HTTP, record writes per second (the
write API, `--clients` concurrent clients) and searches per second (`/api/search`) with one
node and with two nodes behind the clients (round-robin, as a load balancer would), and
the replica lag: the time from a write's 201 on node A until the record is a search hit on
node B (p50 and p95 of `--rounds` writes).

The clients are threads of this process, so on a small machine they compete with the nodes
for the same cores: the figures are what this machine does, not what a node can do alone.
The PostgreSQL server is the one named by ``CATALOGUE_TEST_POSTGRES`` (an admin URL) or a
throw-away cluster (tests/postgres.py). Not a test: run it by hand.

    python tests/benchmarks/bench_nodes.py --records 2000 --seconds 20 --clients 8
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from synthetic import generate  # noqa: E402

from catalogue.service import Catalogue  # noqa: E402
from tests.faults.faultkit import serve, stop  # noqa: E402
from tests.postgres import start  # noqa: E402

#: Words searched (common ones of the synthetic records, and a phrase of two).
QUERIES = ("school", "mosque destroyed", "library", "tomb", "culture", "house of culture", "museum", "damaged")


def load(url: str, work: Path, count: int) -> str:
    """`count` synthetic records in the store; an API token for the clients."""
    with Catalogue(work / "loader", database_url=url, with_index=False) as cat:
        for record in generate(count):
            cat.create(record, user="bench")
        return cat.accounts.create_token("bench", "archivist")


Request = Callable[[requests.Session, str, int], bool]


def rate(nodes: list[str], clients: int, seconds: float, request: Request) -> float:
    """Successful requests per second of `clients` threads sending to `nodes` in turn."""
    done = [0] * clients
    deadline = time.monotonic() + seconds
    counter = itertools.count()

    def client(n: int) -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                i = next(counter)
                if request(session, nodes[i % len(nodes)], i):
                    done[n] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def writer(token: str, label: str) -> Request:
    records, lock = generate(1_000_000, seed=7), threading.Lock()

    def write(session: requests.Session, node: str, i: int) -> bool:
        with lock:  # a generator is not shared between threads
            record = dict(next(records), id=f"{label}-{i}")
        record.pop("provenance", None)
        answer = session.post(f"{node}/api/records", json=record, timeout=60,
                              headers={"Authorization": f"Bearer {token}"})
        return answer.status_code == 201

    return write


def search(session: requests.Session, node: str, i: int) -> bool:
    answer = session.get(f"{node}/api/search", params={"q": QUERIES[i % len(QUERIES)]}, timeout=60)
    return answer.status_code == 200


def replica_lag(a: str, b: str, token: str, rounds: int) -> list[float]:
    """Seconds from a write's 201 on `a` to the record being a search hit on `b` (asked
    every 20 ms: asking more often takes CPU from the node being measured)."""
    lags = []
    with requests.Session() as session:
        for i in range(rounds):
            word = f"lagword{i}x"
            record = dict(next(generate(1, seed=1000 + i)), id=f"lag-{i}", title=f"Lag probe {word}")
            record.pop("provenance", None)
            answer = session.post(f"{a}/api/records", json=record, timeout=60,
                                  headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 201, answer.text
            written = time.monotonic()
            while True:
                hits = session.get(f"{b}/api/search", params={"q": word}, timeout=60).json()["hits"]
                if any(hit["id"] == f"lag-{i}" for hit in hits):
                    break
                time.sleep(0.02)
            lags.append(time.monotonic() - written)
            time.sleep(0.1)
    return lags


def warm(node: str) -> None:
    """Wait until a node's replica is built and answers a search (503 while it is built)."""
    deadline = time.monotonic() + 600
    while True:
        answer = requests.get(f"{node}/api/search", params={"q": "school"}, timeout=60)
        if answer.status_code == 200 and answer.json()["total"] > 0:
            return
        assert time.monotonic() < deadline, f"{node} never caught up"
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records in the store before measuring")
    parser.add_argument("--seconds", type=float, default=20, help="length of each rate measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--rounds", type=int, default=60, help="writes whose replica lag is measured")
    parser.add_argument("--threads", type=int, default=8, help="threads of each node (serve --threads)")
    args = parser.parse_args()
    server = start()
    url = server.fresh_url()
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            token = load(url, work, args.records)
            settings = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret"}
            processes = []
            for name in "ab":
                process, base = serve(work / f"node-{name}", **settings)
                processes.append((process, base))
            bases = [base for _, base in processes]
            try:
                for base in bases:
                    warm(base)
                print(f"{args.records} records, {args.clients} clients, {os.cpu_count()} cores, "
                      f"load average {os.getloadavg()[0]:.1f} at the start")
                lags = sorted(replica_lag(bases[0], bases[1], token, args.rounds))  # first, on idle nodes
                print(f"replica lag A -> B over {len(lags)} writes: p50 {1000 * statistics.median(lags):.0f} ms, "
                      f"p95 {1000 * lags[int(0.95 * (len(lags) - 1))]:.0f} ms, max {1000 * lags[-1]:.0f} ms")
                for label, nodes in (("one node ", bases[:1]), ("two nodes", bases)):
                    writes = rate(nodes, args.clients, args.seconds, writer(token, label.strip().replace(" ", "-")))
                    searches = rate(nodes, args.clients, args.seconds, search)
                    print(f"{label}  {writes:7.1f} writes/s   {searches:7.1f} searches/s")
                print(f"load average {os.getloadavg()[0]:.1f} at the end")
            finally:
                for process, _ in processes:
                    stop(process)
    finally:
        server.drop(url)
        server.stop()


if __name__ == "__main__":
    main()
