"""Loopback load test: `/api/search` served by `catalogue serve` under 1, 8 and 32 clients.

Loads `synthetic.generate(N)` into the data directory (reused when it holds them; see
bench_web.py), starts `catalogue serve --port 0` as a child process, then for each number
of concurrent clients sends one-word searches for `--seconds` and prints requests/s, p50,
p95, errors and the server's peak RSS (VmHWM; with `--workers N`, the sum of the workers').
Not a test: run it by hand.

    python tests/benchmarks/bench_load.py 20000 --data /tmp/load-bench-data --clients 1,8,32

`--workers N` serves with `catalogue serve --workers N`; `--workers 1,2` runs the rounds
with one, then two workers, back to back. `--mixed` sends a mix of reads instead: a
one-word `/api/search`, a record page `/records/ID` and the first page of OAI-PMH
`ListRecords`, in turn, and adds each kind's p95. `--varied` searches bench_search.py's mixed
and looser queries instead of one common word. `--edit-every S` has an archivist save
an edit of a record's title through the write API (`PUT /api/records/ID`) every S seconds
during each round, and adds the edits done per second, their p50/p95 (until the write
API answered), the p50/p95 from the save until `/api/search` finds the record by a word the
edit gave it, and any failed edits; requests/s and p95 are then those of the reads during
the edits. The archivist sends its token with each of its requests, as a script does (so
the server answers them on its staff threads when the others are busy; `--staff-threads`,
default the server's own).

`--wrk` drives the rounds with wrk (a C load generator; Debian's `wrk` package) instead of
Python client threads, whose own CPU takes a share of a 2-core machine: the same reads, the
URLs drawn as above and written into a Lua script; per-kind p95 is then not known (wrk keeps
one latency histogram). `--threads 8,1` runs the rounds with each number of threads in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_web import load  # noqa: E402
from synthetic import COMMON_WORDS  # noqa: E402

from catalogue import create_app  # noqa: E402
from catalogue.web import get_catalogue  # noqa: E402

#: The searches without `--varied`: one common word each.
ONE_WORD = COMMON_WORDS[20:]
#: The kinds of read of `--mixed`, sent in turn by each client.
KINDS = ("search", "record", "oai")


def start_server(data: Path, threads: int, workers: int = 1,
                 staff: int | None = None) -> tuple[subprocess.Popen[str], str, list[int]]:
    """`catalogue serve` on a free loopback port; the process, its base URL and the pids
    that serve (the workers', or the process's own)."""
    env = dict(os.environ, CATALOGUE_DATA=str(data), CATALOGUE_SECRET_KEY="bench", CATALOGUE_DEMO_ON_EMPTY="false")
    lane = ["--staff-threads", str(staff)] if staff is not None else []
    proc = subprocess.Popen([sys.executable, "-m", "catalogue", "serve", "--port", "0", "--threads", str(threads),
                             "--workers", str(workers), *lane],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    base, pids = None, []
    for line in proc.stdout:
        if found := re.search(r"Serving on (http://\S+)", line):
            base = found.group(1).rstrip("/")
        elif started := re.match(r"worker \d+ ready \(pid (\d+)\)", line):  # searcher open, accepting
            pids.append(int(started.group(1)))
        if base and len(pids) == (workers if workers > 1 else 0):
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep its pipe drained
            return proc, base, pids or [proc.pid]
    raise SystemExit(f"the server did not start (exit {proc.wait()})")


def peak_rss_mb(pids: list[int]) -> float:
    """The processes' peak resident memory (Linux VmHWM) added up, in MB."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return total / 1024


def fetch(request: str | urllib.request.Request) -> bool:
    """Send one request and read the answer; whether it succeeded (2xx)."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        return True
    except OSError:
        return False


def search_queries(varied: bool) -> list[str]:
    """The queries of the searches: one common word each, or (`varied`) bench_search.py's
    mixed and looser queries (terms, AND, phrases, prefixes, fielded, typos, some of the
    words), which read many more of the index's postings."""
    if not varied:
        return ONE_WORD
    from bench_search import make_queries, make_relaxed_queries

    return [q["ours"] for q in make_queries(240) + make_relaxed_queries(60)]


def read_url(base: str, kind: str, rng: random.Random, ids: list[str], searches: list[str]) -> str:
    """A URL of one kind of read."""
    if kind == "record":
        return f"{base}/records/{rng.choice(ids)}"
    if kind == "oai":
        return f"{base}/oai?verb=ListRecords&metadataPrefix=oai_dc"
    return f"{base}/api/search?{urllib.parse.urlencode({'q': rng.choice(searches)})}"


def run(base: str, clients: int, seconds: float, kinds: tuple[str, ...] = ("search",),
        ids: list[str] | None = None, searches: list[str] = ONE_WORD) -> tuple[dict[str, list[float]], int]:
    """Each client reads in a loop (the `kinds` in turn) until the time is up; latencies (ms)
    by kind, and errors."""
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        turn = seed
        while time.perf_counter() < stop:
            kind = kinds[turn % len(kinds)]
            turn += 1
            url = read_url(base, kind, rng, ids or [], searches)
            started = time.perf_counter()
            ok = fetch(url)
            with lock:
                if ok:
                    times[kind].append((time.perf_counter() - started) * 1000)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not clients:  # (a round of the archivist's edits alone)
        time.sleep(seconds)
    return times, errors[0]


#: What the wrk script sends and prints: the URL paths in turn (each wrk thread from its own
#: place in the list), and at the end requests, non-2xx answers, socket errors, seconds and the
#: p50 and p95 latency (ms).
WRK_SCRIPT = """
paths = {%s}
local started = 0
function setup(thread) thread:set("offset", started * 7919); started = started + 1 end
function init(args) counter = offset or 0 end
function request() counter = counter + 1; return wrk.format("GET", paths[(counter %% #paths) + 1]) end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000))
end
"""


def run_wrk(base: str, clients: int, seconds: float, kinds: tuple[str, ...], ids: list[str],
            searches: list[str]) -> tuple[float, float, float, int]:
    """One round driven by wrk (2 threads, `clients` connections): requests/s, p50 ms, p95 ms
    and errors (non-2xx answers and socket errors)."""
    rng = random.Random(clients)
    paths = [read_url("", kinds[turn % len(kinds)], rng, ids, searches) for turn in range(3000)]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))
        script.flush()
        out = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s",
                              "-s", script.name, base], capture_output=True, text=True, check=True).stdout
    found = re.search(r"RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    requests, status, sockets = (int(found.group(i)) for i in (1, 2, 3))
    took, p50, p95_ms = (float(found.group(i)) for i in (4, 5, 6))
    return (requests - status) / took, p50, p95_ms, status + sockets


class Archivist(threading.Thread):
    """Saves an edit of a record's title through the write API every `every` seconds until
    stopped; the time each took (ms) until the API answered and until a search found the
    record by the made-up word the edit added, and the edits that failed."""

    def __init__(self, base: str, token: str, ids: list[str], every: float):
        super().__init__(daemon=True)
        self.base, self.token, self.ids, self.every = base, token, ids, every
        self.times: list[float] = []
        self.searchable: list[float] = []
        self.failed = 0
        self.done = threading.Event()
        self.seconds = 0.0

    def rate(self) -> float:
        """Edits saved per second of its run."""
        return len(self.times) / self.seconds if self.seconds else 0.0

    def run(self) -> None:
        rng = random.Random(3)
        began = due = time.perf_counter()
        try:
            self.edit_until_done(rng, due)
        finally:
            self.seconds = time.perf_counter() - began

    def edit_until_done(self, rng: random.Random, due: float) -> None:
        while not self.done.wait(max(0.0, due - time.perf_counter())):
            due += self.every
            started = time.perf_counter()
            record_id, word = rng.choice(self.ids), "".join(rng.choices("bcdfghjklmnpqrstvwxz", k=11))
            saved = self.edit(record_id, word, rng)
            if saved and self.found(record_id, word, saved[0]):
                self.times.append((saved[1] - started) * 1000)
            else:
                self.failed += 1

    def edit(self, record_id: str, word: str, rng: random.Random) -> tuple[float, float] | None:
        """Read the record, change its title (a common word and the made-up `word`), save it
        on the revision read; when the save began and when it was answered, None if it failed."""
        url = f"{self.base}/api/records/{record_id}"
        try:
            with urllib.request.urlopen(self.signed(url), timeout=30) as response:
                record = json.load(response)
        except OSError:
            return None
        body = {k: v for k, v in record.items() if k not in ("created", "modified")}
        body["title"] = f"{record['title'].split(' · ')[0]} · {rng.choice(COMMON_WORDS)} {word}"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            "X-Edit-Message": "load benchmark"})
        began = time.perf_counter()
        return (began, time.perf_counter()) if fetch(request) else None

    def signed(self, url: str) -> urllib.request.Request:
        """A GET of `url` with the archivist's token."""
        return urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})

    def found(self, record_id: str, word: str, saved: float) -> bool:
        """Search for `word` until the record is found (within 30 s of the save `saved`
        began); record how long that took."""
        while time.perf_counter() - saved < 30:
            try:
                with urllib.request.urlopen(self.signed(f"{self.base}/api/search?q={word}"), timeout=30) as response:
                    hits = json.load(response)["hits"]
            except OSError:
                return False
            if record_id in {hit["id"] for hit in hits}:
                self.searchable.append((time.perf_counter() - saved) * 1000)
                return True
        return False


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18] if len(times) > 1 else float("nan")


def prepare(args: argparse.Namespace) -> tuple[list[str], str]:
    """Load the records; some record ids to read and edit, and an archivist's API token."""
    app = create_app({"DATA": str(args.data), "SECRET_KEY": "bench", "DEMO_ON_EMPTY": False})
    load(app, args.n)
    with app.app_context():
        catalogue = get_catalogue()
        ids = [r.id for _, r in zip(range(2000), catalogue.store.iter_records(), strict=False)]
        token = catalogue.accounts.create_token("load-benchmark", "archivist")
        catalogue.close()
    return ids, token


def rounds(args: argparse.Namespace, workers: int, threads: int, ids: list[str], token: str) -> None:
    """Serve with `workers` processes of `threads` threads and print one table row per number
    of clients."""
    proc, base, pids = start_server(args.data, threads, workers, args.staff_threads)
    kinds = KINDS if args.mixed else ("search",)
    searches = search_queries(args.varied)
    try:
        run(base, 1, 2.0, kinds, ids, searches)  # warm-up
        search = "/api/search of varied queries" if args.varied else "one-word /api/search"
        what = f"mixed reads ({search}, /records/ID, OAI ListRecords)" if args.mixed else search
        edits = f", an edit every {args.edit_every:g} s" if args.edit_every else ""
        client = "wrk" if args.wrk else "Python client threads"
        print(f"\n{args.n:,} synthetic records, `catalogue serve --threads {threads} --workers {workers}`, "
              f"loopback, {args.seconds:.0f} s per round, {what}{edits}, {client}\n")
        extra = [f"{kind} p95 ms" for kind in kinds] if args.mixed else []
        extra += ["edits/s", "edit p50 ms", "edit p95 ms", "searchable p50 ms", "searchable p95 ms",
                  "failed edits"] if args.edit_every else []
        head = ["clients", "requests/s", "p50 ms", "p95 ms", "errors", "server peak RSS MB", *extra, "load average"]
        print("| " + " | ".join(head) + " |")
        print("|" + " --- |" * len(head))
        for clients in (int(c) for c in args.clients.split(",")):
            archivist = Archivist(base, token, ids, args.edit_every) if args.edit_every else None
            if archivist:
                archivist.start()
            if args.wrk:
                rate, p50, p95_all, errors = run_wrk(base, clients, args.seconds, kinds, ids, searches)
                cells = [clients, f"{rate:.0f}", f"{p50:.0f}", f"{p95_all:.0f}", errors, f"{peak_rss_mb(pids):.0f}"]
                cells += ["-" for _ in kinds] if args.mixed else []
            else:
                times, errors = run(base, clients, args.seconds, kinds, ids, searches)
                every = [t for kind in kinds for t in times[kind]]
                cells = [clients, f"{len(every) / args.seconds:.0f}",
                         f"{statistics.median(every):.0f}" if every else "-", f"{p95(every):.0f}", errors,
                         f"{peak_rss_mb(pids):.0f}"]
                cells += [f"{p95(times[kind]):.0f}" for kind in kinds] if args.mixed else []
            if archivist:
                archivist.done.set()
                archivist.join(60)
            if archivist:
                done = archivist.times
                cells += [f"{archivist.rate():.2f}", f"{statistics.median(done):.0f}" if done else "-",
                          f"{p95(done):.0f}"]
                found = archivist.searchable
                cells += [f"{statistics.median(found):.0f}" if found else "-", f"{p95(found):.0f}", archivist.failed]
            cells.append(" ".join(f"{value:.1f}" for value in os.getloadavg()))
            print("| " + " | ".join(str(cell) for cell in cells) + " |", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=20000, help="records (default 20000)")
    parser.add_argument("--data", type=Path, required=True, help="data directory (created or reused)")
    parser.add_argument("--clients", default="1,8,32",
                        help="concurrent clients per round (default 1,8,32; 0: the edits alone, with --edit-every)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each round (default 15)")
    parser.add_argument("--threads", default="8",
                        help="server threads of each worker; several: runs each, e.g. 8,1 (default 8)")
    parser.add_argument("--workers", default="1", help="server processes; several: runs each, e.g. 1,2 (default 1)")
    parser.add_argument("--staff-threads", type=int, default=None,
                        help="the server's threads kept for staff requests (default: serve's own)")
    parser.add_argument("--mixed", action="store_true", help="mixed reads: search, record page, OAI ListRecords")
    parser.add_argument("--varied", action="store_true",
                        help="search bench_search.py's 300 mixed and looser queries instead of one common word")
    parser.add_argument("--edit-every", type=float, default=0.0, metavar="SECONDS",
                        help="an archivist saves an edit through the write API every SECONDS during each round")
    parser.add_argument("--wrk", action="store_true", help="drive the rounds with wrk instead of Python threads")
    args = parser.parse_args()
    if args.wrk and shutil.which("wrk") is None:
        parser.error("--wrk needs the wrk program (Debian: apt-get install wrk)")
    ids, token = prepare(args)
    for workers in (int(w) for w in args.workers.split(",")):
        for threads in (int(t) for t in args.threads.split(",")):
            rounds(args, workers, threads, ids, token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
