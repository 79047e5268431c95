"""Cost curve: bench_search.py at several catalogue sizes, ours beside SQLite FTS5.

Runs both engines of `bench_search.py` (each in its own process, the same synthetic records
and queries) at each size and prints one table of what grows with the catalogue: import
rate, full reindex, index size, peak RSS, edit to searchable, faceted p50 / p95 overall and
p95 per query kind, the looser readings; then writes an SVG plot of the main lines (log
scales). The raw figures of every size go to a JSON file beside the plot, so a size run by
hand (1,000,000 records takes about an hour and 10 GB of disk) can be added later with
`--sizes` and `--merge`. Not a test: run it by hand, on an otherwise idle machine.

    python tests/benchmarks/bench_curve.py --sizes 10000,100000,1000000 --out /tmp/curve
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_search  # noqa: E402
from bench_search import KINDS, RELAXED_KINDS  # noqa: E402

#: The plotted lines: (label, figure of one engine's results, unit, panel).
LINES = (
    ("faceted p95", lambda r: r["faceted"]["p95"], "ms", "latency"),
    ("looser readings p95", lambda r: r["relaxed"]["p95"], "ms", "latency"),
    ("index size", lambda r: r["size_mb"], "MB", "cost"),
    ("peak RSS", lambda r: r["rss_mb"], "MB", "cost"),
)
COLOURS = {"ours": "#1f5fa8", "fts5": "#b5541b"}


def rows(runs: dict[int, dict[str, dict[str, Any]]]) -> list[str]:
    """The curve as a Markdown table: one row per measure, one column per size and engine."""
    sizes = sorted(runs)
    head = " | ".join(f"{n:,} ours | {n:,} FTS5" for n in sizes)
    lines = [f"| measure | {head} |", "|---|" + "---|" * (2 * len(sizes))]

    def row(name: str, figure: Any, fmt: str = "{:,.1f}", fts: bool = True) -> None:
        cells = []
        for n in sizes:
            ours, theirs = runs[n]["ours"], runs[n]["fts5"]
            cells.append(fmt.format(figure(ours)))
            cells.append(fmt.format(figure(theirs)) if fts else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    row("records per second (import / build)", lambda r: r["records_per_s"], "{:,.0f}")
    row("full reindex, s", lambda r: r.get("reindex_s", 0), fts=False)
    row("index size on disk, MB", lambda r: r["size_mb"])
    row("peak RSS, MB", lambda r: r["rss_mb"])
    row("edit to searchable p50, ms", lambda r: r["edit_ms"]["p50"])
    row("faceted p50, ms", lambda r: r["faceted"]["p50"])
    row("faceted p95, ms", lambda r: r["faceted"]["p95"])
    for kind in KINDS:
        row(f"faceted p95 {kind}, ms", lambda r, k=kind: r["faceted"]["by_kind_p95"][k])
    for kind in RELAXED_KINDS:
        row(f"looser p95 {kind}, ms", lambda r, k=kind: r["relaxed"]["by_kind_p95"][k])
    return lines


WIDTH, HEIGHT, MARGIN, LABELS = 420, 300, 56, 150


def svg(runs: dict[int, dict[str, dict[str, Any]]], corpus: str) -> str:
    """Two panels on log-log axes, latency and cost against records, ours and FTS5."""
    panels = [_panel(runs, number, panel, corpus) for number, panel in enumerate(("latency", "cost"))]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * (WIDTH + LABELS)}" height="{HEIGHT}" '
            f'font-family="sans-serif">\n' + "\n".join(panels) + "\n</svg>\n")


def _panel(runs: dict[int, dict[str, dict[str, Any]]], number: int, panel: str, corpus: str) -> str:
    """One panel of the plot: the `LINES` of `panel`, both engines, a line per figure."""
    sizes = sorted(runs)
    lines = [(label, unit, engine, [(n, max(1e-3, fig(runs[n][engine]))) for n in sizes])
             for label, fig, unit, where in LINES if where == panel for engine in ("ours", "fts5")]
    values = [v for *_, points in lines for _, v in points]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    hi = hi if hi > lo else lo + 1
    xlo = math.log10(sizes[0])
    xhi = math.log10(sizes[-1]) if len(sizes) > 1 else xlo + 1
    bottom, right = HEIGHT - MARGIN, WIDTH - MARGIN

    def x(n: float) -> float:
        return MARGIN + (math.log10(n) - xlo) / (xhi - xlo) * (WIDTH - 2 * MARGIN)

    def y(v: float) -> float:
        return bottom - (math.log10(v) - lo) / (hi - lo) * (HEIGHT - 2 * MARGIN)

    title = "Latency" if panel == "latency" else "Size and memory"
    out = [f'<g transform="translate({number * (WIDTH + LABELS)},0)">',
           f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">{title} ({corpus} corpus)</text>',
           f'<line x1="{MARGIN}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#000"/>',
           f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{bottom}" stroke="#000"/>',
           f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11">records</text>']
    out += [f'<text x="{x(n):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11">{n:,}</text>'
            for n in sizes]
    out += [f'<text x="{MARGIN - 6}" y="{y(10 ** e) + 4:.1f}" text-anchor="end" font-size="11">{10 ** e:g}</text>'
            for e in range(lo, hi + 1)]
    labels = []
    for i, (label, unit, engine, points) in enumerate(lines):
        path = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in points)
        dash = "" if i % 4 < 2 else ' stroke-dasharray="5,3"'
        out.append(f'<polyline fill="none" stroke="{COLOURS[engine]}" stroke-width="2"{dash} points="{path}"/>')
        labels.append((y(points[-1][1]) + 4, f"{label}, {'ours' if engine == 'ours' else 'FTS5'} ({unit})", engine))
    below = 0.0
    for top, text, engine in sorted(labels):  # each label at its line's end, moved down clear of the one above
        below = max(top, below + 12)
        out.append(f'<text x="{right + 4}" y="{below:.1f}" font-size="10" fill="{COLOURS[engine]}">{text}</text>')
    out.append("</g>")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="catalogue sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--corpus", choices=("zipf", "common"), default="zipf")
    parser.add_argument("--out", type=Path, default=Path("curve"),
                        help="prefix of the files written: PREFIX.json (raw figures) and PREFIX.svg")
    parser.add_argument("--merge", action="store_true", help="keep the sizes already in PREFIX.json")
    args = parser.parse_args()
    store = args.out.with_suffix(".json")
    runs: dict[int, Any] = {}
    if args.merge and store.exists():
        runs = {int(n): r for n, r in json.loads(store.read_text()).items()}
    for n in (int(size) for size in args.sizes.split(",") if size):  # (none: redraw PREFIX.json)
        runs[n] = bench_search.run_engines(n, args.queries, args.corpus)
        store.write_text(json.dumps(runs, indent=1))  # after each size: a long run keeps what it measured
        print(f"{n:,} records done (load average {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    print(f"Cost curve, {args.corpus} corpus, {args.queries} mixed queries per size:\n")
    print("\n".join(rows(runs)))
    args.out.with_suffix(".svg").write_text(svg(runs, args.corpus))
    print(f"\nPlot: {args.out.with_suffix('.svg')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
