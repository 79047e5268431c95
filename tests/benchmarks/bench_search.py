"""Search benchmark: our Whoosh index against a SQLite FTS5 table over the same synthetic records.

Each engine runs in its own process (so peak RSS is its own) over the same data set and the
same mixed queries (single term, AND, phrase, prefix, fielded filter, fuzzy), and reports
build time, p50/p95 latency with and without facet counts, with 20 highlighted snippets,
edit-to-searchable latency, size on disk and peak RSS. Our engine then meets adversarial
queries (`ADVERSARIAL`: each must answer within a second, simplified if need be) and times
ordinary queries while eight threads send adversarial ones. Not a test: run it by hand.

    python tests/benchmarks/bench_search.py 100000 --queries 240
    python tests/benchmarks/bench_search.py 100000 --queries 240 --corpus common
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from synthetic import COMMON_WORDS, CORPORA, generate  # noqa: E402

#: The corpus of the run (`--corpus`): "zipf" descriptions, or "common", 40-120 words of a
#: small vocabulary, so that most query words occur in most records (see `synthetic.CORPORA`).
CORPUS = "zipf"
KINDS = ("term", "and", "phrase", "prefix", "fielded", "fuzzy")
#: Queries answered by a looser reading than the strict one (timed apart from the mix above):
#: a word with a typo and no ``~`` (retried with typo tolerance), and a phrase of three words
#: of which one is in no record (answered by some of its words).
RELAXED_KINDS = ("typo", "some_words")


def adversarial() -> dict[str, str]:
    """Queries a hostile or unlucky user may send, each within the 1,000-character limit."""
    rng = random.Random(7)
    letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1000))
    common = COMMON_WORDS
    queries = {
        "30-letter word~5": "abcdefghijklmnopqrstuvwxyzabcd~5",
        "30-letter word~2": "abcdefghijklmnopqrstuvwxyzabcd~2",
        "24 fuzzy words": " ".join(f"{w}~" for w in common[10:34]),
        "8 fuzzy common words": " ".join(f"{w}~2" for w in common[20:28]),
        "1,000 random letters (retried fuzzy)": letters,
        "110 random words (retried fuzzy)": " ".join(letters[i:i + 8] for i in range(0, 880, 8)),
        "a* b* ... z*": " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz"),
        "a* OR b* ... OR z*": " OR ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz"),
        "*x* and *a (leading wildcards)": "*x* *a",
        "id:* (every record id)": "id:*",
        "title_sort:[a TO z]": "title_sort:[a TO z]",
        "text:[a TO zzzz]": "text:[a TO zzzz]",
        "400 nested parentheses": "(" * 400 + "tomb" + ")" * 400,
        "150 OR'd common words": " OR ".join(common * 3)[:1000].rsplit(" OR ", 1)[0],
        "32 common words": " ".join(common[:32]),
        "phrase of 240 common words": '"' + " ".join(["the village stone"] * 80)[:996] + '"',
        "year:[-2147483648 TO 2147483647]": "year:[-2147483648 TO 2147483647]",
        "year:2147483648": "year:2147483648",
        "century:[XXX BCE TO XXX]": "century:[XXX BCE TO XXX]",
    }
    assert all(len(q) <= 1000 for q in queries.values())
    return queries


def notice_kind(notice: str | None) -> str:
    """What the engine did with a query, from its notice."""
    from catalogue.search import query

    if not notice:
        return "as written"
    kinds = ((query.REFUSED_NOTICE, "refused"), (query.EXPENSIVE_NOTICE, "simplified"),
             (query.LIMITED_NOTICE, "limited"), (query.PLAIN_NOTICE, "plain words"),
             (query.READ_AS_NOTICE, "read with a note"))
    return next((kind for template, kind in kinds if notice.startswith(template.split("{")[0])), "notice")


def make_queries(n: int, seed: int = 1) -> list[dict[str, str]]:
    """Mixed queries drawn from the synthetic records, each in our syntax and in FTS5 syntax."""
    rng = random.Random(seed)
    sample = list(generate(2000, seed=0, corpus=CORPUS))
    queries = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        record = rng.choice(sample)
        words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", record["description"])]
        a, b = rng.choice(words), rng.choice(words)
        if kind == "term":
            ours, fts = a, a
        elif kind == "and":
            ours, fts = f"{a} {b}", f"{a} AND {b}"
        elif kind == "phrase":
            j = rng.randrange(len(words) - 1)
            ours = fts = f'"{words[j]} {words[j + 1]}"'
        elif kind == "prefix":
            ours = fts = f"{a[:3]}*"
        elif kind == "fielded":
            ours, fts = f"{a} type:{record['type']}", f"{a} AND type:{record['type']}"
        else:  # a typo: one letter changed; FTS5 has no fuzzy search and gets the right word
            k = rng.randrange(1, len(a))
            typo = a[:k] + ("x" if a[k] != "x" else "z") + a[k + 1:]
            ours, fts = f"{typo}~", a
        queries.append({"kind": kind, "ours": ours, "fts": fts})
    return queries


def make_relaxed_queries(n: int, seed: int = 2) -> list[dict[str, str]]:
    """Queries that only a relaxed reading answers, in our syntax and FTS5's (which gets the
    right word for a typo, and the words ORed for some of them)."""
    rng = random.Random(seed)
    sample = list(generate(2000, seed=0, corpus=CORPUS))
    queries = []
    for i in range(n):
        kind = RELAXED_KINDS[i % len(RELAXED_KINDS)]
        words = [w.lower() for w in re.findall(r"[A-Za-z]{5,}", rng.choice(sample)["description"])]
        a, b = rng.choice(words), rng.choice(words)
        if kind == "typo":
            k = rng.randrange(1, len(a))
            ours, fts = a[:k] + ("q" if a[k] != "q" else "z") + a[k + 1:], a
        else:
            missing = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(7))
            ours, fts = f"{a} {missing} {b}", f"{a} OR {missing} OR {b}"
        queries.append({"kind": kind, "ours": ours, "fts": fts})
    return queries


def timed(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)],
            "max": ordered[-1]}


def query_summary(queries: list[dict[str, str]], run: Callable[[dict[str, str]], Any]) -> dict[str, Any]:
    """Time `run` over every query: overall summary, p95 per kind, and p95 without phrases."""
    times, by_kind = [], {}
    for q in queries:
        ms = timed(lambda q=q: run(q))
        times.append(ms)
        by_kind.setdefault(q["kind"], []).append(ms)
    out: dict[str, Any] = summary(times)
    out["by_kind_p95"] = {k: summary(v)["p95"] for k, v in by_kind.items()}
    out["no_phrase_p95"] = summary([t for q, t in zip(queries, times, strict=True) if q["kind"] != "phrase"])["p95"]
    return out


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- ours ------------------------------------------------------------------------------------


def run_ours(n: int, queries: list[dict[str, str]], work: Path) -> dict[str, Any]:
    from catalogue.service import Catalogue

    catalogue = Catalogue(work / "data")
    items = ((f"synthetic:{i}", r) for i, r in enumerate(generate(n, corpus=CORPUS)))
    started = time.perf_counter()
    report = catalogue.import_records(items, user="bench", message="benchmark", origin="import")
    build = time.perf_counter() - started
    assert report.failed == 0, report.errors[:3]
    catalogue.search("warm", facets=True)
    out: dict[str, Any] = {"build_s": build, "records_per_s": n / build}
    for label, opts in (("faceted", {"facets": True, "highlight": False}),
                        ("plain", {"facets": False, "highlight": False}),
                        ("snippets", {"facets": True, "highlight": True})):
        out[label] = query_summary(queries, lambda q, opts=opts: catalogue.search(q["ours"], page_size=20, **opts))
    relaxed = make_relaxed_queries(len(queries) // 2)
    readings: dict[str, int] = {}

    def relaxed_search(q: dict[str, str]) -> None:
        result = catalogue.search(q["ours"], page_size=20, facets=True, highlight=True)
        readings[str(result.relaxed)] = readings.get(str(result.relaxed), 0) + 1

    out["relaxed"] = query_summary(relaxed, relaxed_search)
    out["relaxed"]["readings"] = readings
    edits = []
    for i in range(10):
        record_id = f"syn-{i * (n // 10):07d}"
        data = catalogue.get(record_id)
        word = f"zqedit{i}marker"
        data["title"] = f"{data['title']} {word}"

        def edit(record_id: str = record_id, data: dict[str, Any] = data, word: str = word) -> None:
            catalogue.update(record_id, data, base_revision=-1)
            assert catalogue.search(word).total == 1

        edits.append(timed(edit))
    out["edit_ms"] = summary(edits)
    out["adversarial"] = run_adversarial(catalogue)
    out["under_attack"] = run_under_attack(catalogue, queries)
    out["cache"] = catalogue.index.cache_stats()
    started = time.perf_counter()
    catalogue.index.reindex(catalogue.store)
    out["reindex_s"] = time.perf_counter() - started
    index = work / "data" / "index"
    # the live generation only: a reindex keeps the generation live before it (searches may still read it)
    out["size_mb"] = folder_size(index / (index / "CURRENT").read_text().strip()) / 2**20
    out["index_folder_mb"] = folder_size(index) / 2**20
    out["store_mb"] = folder_size(work / "data" / "catalogue.sqlite3") / 2**20
    out["rss_mb"] = peak_rss_mb()
    catalogue.close()
    return out


def time_existing(data: Path, queries: list[dict[str, str]], budget_ms: int | None = None) -> str:
    """The mixed queries, then the looser ones, faceted with 20 highlighted snippets, on an
    existing catalogue (`--catalogue`, e.g. a copy of this benchmark's, reindexed by the code
    under test): wall and search-thread CPU time, p50 / p95 by kind, and the load average.
    Comparing two versions of the code back to back on one catalogue needs no import.
    `budget_ms` replaces the search time budget (on a loaded machine, queries that run out of
    it are answered with no hits, which hides what they cost)."""
    from catalogue.search import SearchLimits
    from catalogue.service import Catalogue

    catalogue = Catalogue(data, search_limits=SearchLimits(time_budget_ms=budget_ms) if budget_ms else None)
    catalogue.search("warm", facets=True)
    load = [os.getloadavg()[0]]
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    answered: dict[str, dict[str, int]] = {}
    for q in [*queries, *make_relaxed_queries(len(queries) // 2)]:
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = catalogue.search(q["ours"], page_size=20, facets=True, highlight=True)
        cpu.setdefault(q["kind"], []).append((time.thread_time() - started_cpu) * 1000)
        wall.setdefault(q["kind"], []).append((time.perf_counter() - started) * 1000)
        kinds = answered.setdefault(q["kind"], {})
        kinds[str(result.relaxed)] = kinds.get(str(result.relaxed), 0) + 1
    load.append(os.getloadavg()[0])
    catalogue.close()
    lines = [f"load average {load[0]:.1f} -> {load[1]:.1f}",
             "| kind | wall p50 / p95 | CPU p50 / p95 | readings |", "| --- | --- | --- | --- |"]
    for kind, times in wall.items():
        w, c = summary(times), summary(cpu[kind])
        lines.append(f"| {kind} | {w['p50']:.1f} / {w['p95']:.1f} | {c['p50']:.1f} / {c['p95']:.1f} | "
                     f"{answered[kind]} |")
    return "\n".join(lines)


def run_adversarial(catalogue: Any) -> dict[str, Any]:
    """Each adversarial query three times (the first with cold caches for its words): the
    slowest time and what the engine did with it."""
    out = {}
    for name, query in adversarial().items():
        times, kind = [], ""
        for _ in range(3):
            started = time.perf_counter()
            result = catalogue.search(query, facets=True, highlight=True)
            times.append((time.perf_counter() - started) * 1000)
            kind = notice_kind(result.notice)
        out[name] = {"first_ms": times[0], "max_ms": max(times), "total": result.total, "kind": kind}
    return out


def run_under_attack(catalogue: Any, queries: list[dict[str, str]], threads: int = 8) -> dict[str, Any]:
    """Ordinary faceted queries timed while `threads` threads send adversarial queries."""
    import threading

    stop = threading.Event()
    hostile = list(adversarial().values())

    def attack(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            catalogue.search(rng.choice(hostile), facets=True, highlight=True)

    workers = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        times = [timed(lambda q=q: catalogue.search(q["ours"], page_size=20, facets=True)) for q in queries[:60]]
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    return {"threads": threads, **summary(times)}


# -- FTS5 ------------------------------------------------------------------------------------

FACET_COLUMNS = ("type", "status", "place", "source")


def _fts_row(record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    from catalogue.search.documents import document, facet_values, read_place_term

    doc = document(record, 1)
    facets = facet_values(record)
    row = {"id": record["id"], "title": doc["title"], "text": doc["text"], "type": record["type"],
           "status": facets["status"][0], "place": read_place_term((facets["place"] or [""])[0])[0],
           "source": (facets["source"] or [""])[0], "description": record.get("description", "")}
    return row, facets["century"]


def fts_create(db: sqlite3.Connection) -> None:
    """The FTS5 table (the same text our index searches), with facet columns beside it."""
    db.executescript("""
        CREATE TABLE docs (id TEXT PRIMARY KEY, type TEXT, status TEXT, place TEXT, source TEXT,
                           description TEXT);
        CREATE TABLE centuries (doc INTEGER, century TEXT);
        CREATE INDEX centuries_doc ON centuries (doc);
        CREATE VIRTUAL TABLE fts USING fts5(title, text, type UNINDEXED, tokenize='unicode61 remove_diacritics 2');
    """)


def fts_add(db: sqlite3.Connection, record: dict[str, Any]) -> None:
    """Add one record to the tables of `fts_create`."""
    row, centuries = _fts_row(record)
    cur = db.execute("INSERT INTO docs (id, type, status, place, source, description) VALUES (?,?,?,?,?,?)",
                     (row["id"], row["type"], row["status"], row["place"], row["source"], row["description"]))
    db.execute("INSERT INTO fts (rowid, title, text, type) VALUES (?,?,?,?)",
               (cur.lastrowid, row["title"], row["text"], row["type"]))
    db.executemany("INSERT INTO centuries VALUES (?, ?)", [(cur.lastrowid, c) for c in centuries])


def run_fts(n: int, queries: list[dict[str, str]], work: Path) -> dict[str, Any]:
    path = work / "fts.sqlite3"
    db = sqlite3.connect(path)
    fts_create(db)
    started = time.perf_counter()
    with db:
        for record in generate(n, corpus=CORPUS):
            fts_add(db, record)
    build = time.perf_counter() - started
    out: dict[str, Any] = {"build_s": build, "records_per_s": n / build}

    def match(q: str) -> tuple[str, list[Any]]:
        m = re.match(r"(.*) AND type:(\w+)$", q)
        if m:
            return "fts MATCH ? AND docs.type = ?", [m[1], m[2]]
        return "fts MATCH ?", [q]

    def search(q: str, facets: bool, snippets: bool) -> None:
        where, args = match(q)
        cols = "docs.id, snippet(fts, 1, '<mark>', '</mark>', '…', 30)" if snippets else "docs.id"
        db.execute(f"SELECT {cols} FROM fts JOIN docs ON docs.rowid = fts.rowid WHERE {where} "
                   "ORDER BY bm25(fts) LIMIT 20", args).fetchall()
        db.execute(f"SELECT count(*) FROM fts JOIN docs ON docs.rowid = fts.rowid WHERE {where}", args).fetchone()
        if facets:
            for column in FACET_COLUMNS:
                db.execute(f"SELECT docs.{column}, count(*) FROM fts JOIN docs ON docs.rowid = fts.rowid "
                           f"WHERE {where} GROUP BY 1", args).fetchall()
            db.execute(f"SELECT c.century, count(*) FROM fts JOIN centuries c ON c.doc = fts.rowid "
                       f"JOIN docs ON docs.rowid = fts.rowid WHERE {where} GROUP BY 1", args).fetchall()

    search("warm", True, False)
    for label, facets, snippets in (("faceted", True, False), ("plain", False, False), ("snippets", True, True)):
        out[label] = query_summary(queries, lambda q, f=facets, s=snippets: search(q["fts"], f, s))
    out["relaxed"] = query_summary(make_relaxed_queries(len(queries) // 2), lambda q: search(q["fts"], True, True))
    edits = []
    for i in range(10):
        word = f"zqedit{i}marker"

        def edit(i: int = i, word: str = word) -> None:
            rowid = i * (n // 10) + 1
            with db:
                db.execute("UPDATE fts SET title = title || ' ' || ? WHERE rowid = ?", (word, rowid))
            assert db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (word,)).fetchone()[0] == 1

        edits.append(timed(edit))
    out["edit_ms"] = summary(edits)
    db.close()
    out["size_mb"] = folder_size(path) / 2**20
    out["rss_mb"] = peak_rss_mb()
    return out


# -- report ----------------------------------------------------------------------------------


def table(n: int, nq: int, ours: dict[str, Any], fts: dict[str, Any]) -> str:
    def row(name: str, a: float, b: float, unit: str, lower_is_better: bool = True) -> str:
        ratio = a / b if b else float("inf")
        return f"| {name} | {a:,.1f} {unit} | {b:,.1f} {unit} | {ratio:.2f}× |"

    lines = [f"{n:,} synthetic records, {nq} mixed queries ({', '.join(KINDS)}), page of 20, one process per engine.",
             "", "| measure | Whoosh (ours) | SQLite FTS5 | ours / FTS5 |", "|---|---|---|---|",
             row("import / build", ours["build_s"], fts["build_s"], "s"),
             f"| records per second | {ours['records_per_s']:,.0f} | {fts['records_per_s']:,.0f} | |"]
    for label, name in (("faceted", "faceted search"), ("plain", "search without facets"),
                        ("snippets", "search + facets + 20 highlighted snippets")):
        lines.append(row(f"{name} p50", ours[label]["p50"], fts[label]["p50"], "ms"))
        lines.append(row(f"{name} p95", ours[label]["p95"], fts[label]["p95"], "ms"))
    lines.append(row("faceted p95 without phrases", ours["faceted"]["no_phrase_p95"],
                     fts["faceted"]["no_phrase_p95"], "ms"))
    lines.append(row("edit to searchable p50", ours["edit_ms"]["p50"], fts["edit_ms"]["p50"], "ms"))
    lines.append(row("edit to searchable max", ours["edit_ms"]["max"], fts["edit_ms"]["max"], "ms"))
    lines.append(row("index size on disk (live generation)", ours["size_mb"], fts["size_mb"], "MB"))
    lines.append(f"| index folder, with the generation kept from before the reindex | "
                 f"{ours['index_folder_mb']:,.1f} MB | | |")
    lines.append(row("peak RSS (whole process)", ours["rss_mb"], fts["rss_mb"], "MB"))
    lines.append(f"| full reindex | {ours['reindex_s']:,.1f} s | | |")
    cache = ours["cache"]
    lines.append(f"| search caches (postings LRU, cap {cache['postings_capacity'] / 2**20:,.0f} MB; facet bitsets) | "
                 f"{cache['postings_bytes'] / 2**20:,.1f} MB in {cache['postings_entries']:,} entries; "
                 f"{cache['facet_bitset_bytes'] / 2**20:,.2f} MB | | |")
    lines += ["", "Faceted p95 by query kind (ms):", "", "| kind | ours | FTS5 |", "|---|---|---|"]
    for kind in KINDS:
        lines.append(f"| {kind} | {ours['faceted']['by_kind_p95'][kind]:,.1f} | "
                     f"{fts['faceted']['by_kind_p95'][kind]:,.1f} |")
    relaxed = ours["relaxed"]
    lines += ["", f"Relaxed readings (faceted, 20 highlighted snippets; {sum(relaxed['readings'].values())} "
              f"queries answered as {relaxed['readings']}): p50 / p95 ms:", "",
              "| kind | ours p50 | ours p95 | FTS5 p50 | FTS5 p95 |", "|---|---|---|---|---|",
              f"| all | {relaxed['p50']:,.1f} | {relaxed['p95']:,.1f} | {fts['relaxed']['p50']:,.1f} | "
              f"{fts['relaxed']['p95']:,.1f} |"]
    for kind in RELAXED_KINDS:
        lines.append(f"| {kind} | | {relaxed['by_kind_p95'][kind]:,.1f} | | "
                     f"{fts['relaxed']['by_kind_p95'][kind]:,.1f} |")
    lines += ["", "Adversarial queries (ours; faceted, highlighted; slowest of three runs):", "",
              "| query | first | slowest | hits | answered |", "|---|---|---|---|---|"]
    for name, row in ours["adversarial"].items():
        lines.append(f"| {name} | {row['first_ms']:,.0f} ms | {row['max_ms']:,.0f} ms | {row['total']:,} | "
                     f"{row['kind']} |")
    attack = ours["under_attack"]
    lines.append(f"\nOrdinary faceted queries while {attack['threads']} threads send adversarial ones: "
                 f"p50 {attack['p50']:,.0f} ms, p95 {attack['p95']:,.0f} ms, max {attack['max']:,.0f} ms.")
    return "\n".join(lines)


def run_engines(n: int, queries: int, corpus: str) -> dict[str, dict[str, Any]]:
    """The raw figures of both engines over `n` records of `corpus`, each engine run in a
    process of its own (FTS5 first), by engine name ("fts5", "ours")."""
    results = {}
    for engine in ("fts5", "ours"):
        done = subprocess.run([sys.executable, __file__, str(n), "--queries", str(queries),
                               "--engine", engine, "--corpus", corpus], capture_output=True, text=True,
                              check=True)
        results[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10000, help="records (default 10000)")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--engine", choices=("ours", "fts5"), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print raw numbers as JSON")
    parser.add_argument("--corpus", choices=CORPORA, default="zipf",
                        help="descriptions from a Zipf vocabulary (default) or 40-120 common words")
    parser.add_argument("--catalogue", type=Path, metavar="DIR",
                        help="only time the queries on an existing catalogue's data directory")
    parser.add_argument("--budget-ms", type=int,
                        help="with --catalogue: the search time budget (default: the setting's)")
    args = parser.parse_args()
    global CORPUS
    CORPUS = args.corpus
    queries = make_queries(args.queries)
    if args.catalogue:
        print(time_existing(args.catalogue, queries, args.budget_ms))
        return 0
    if args.engine:
        work = Path(tempfile.mkdtemp(prefix=f"bench-{args.engine}-"))
        try:
            run = run_ours if args.engine == "ours" else run_fts
            print(json.dumps(run(args.n, queries, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    results = run_engines(args.n, args.queries, args.corpus)
    if args.json:
        print(json.dumps(results, indent=2))
    print(f"Corpus: {args.corpus}.")
    print(table(args.n, args.queries, results["ours"], results["fts5"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
