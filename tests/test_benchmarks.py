"""The cost-curve benchmark that README quotes still runs end to end: at two tiny sizes it
prints one table row per measure with a figure for each size and engine, keeps the raw
figures in its JSON file (which `--merge` redraws from) and draws both engines' lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

CURVE = Path(__file__).parent / "benchmarks" / "bench_curve.py"
SVG = "{http://www.w3.org/2000/svg}"


def curve(*args: str) -> str:
    """`bench_curve.py` with `args`; what it printed (it must exit 0)."""
    done = subprocess.run([sys.executable, str(CURVE), *args], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done.stdout


def table(printed: str) -> dict[str, list[str]]:
    """The printed Markdown table: its header cells, then each measure's cells by name."""
    lines = [line.strip("|").split(" | ") for line in printed.splitlines() if line.startswith("|")]
    return {"measure": [cell.strip() for cell in lines[0][1:]],
            **{cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in lines[2:]}}


@pytest.mark.slow
@pytest.mark.own_store  # the benchmark's catalogues are SQLite files of its own
def test_cost_curve_prints_table_json_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "curve"
    printed = curve("--sizes", "200,400", "--queries", "12", "--out", str(out))
    rows = table(printed)
    assert rows["measure"] == ["200 ours", "200 FTS5", "400 ours", "400 FTS5"]
    for measure in ("records per second (import / build)", "index size on disk, MB", "peak RSS, MB",
                    "faceted p95, ms", "faceted p95 phrase, ms", "looser p95 some_words, ms"):
        figures = [float(cell.replace(",", "")) for cell in rows[measure]]
        assert len(figures) == 4 and all(figure > 0 for figure in figures), (measure, rows[measure])
    reindex = rows["full reindex, s"]
    assert float(reindex[0]) > 0 and reindex[1] == ""  # FTS5 has no reindex of its own

    runs = json.loads(out.with_suffix(".json").read_text())
    assert sorted(runs) == ["200", "400"] and all(set(run) == {"ours", "fts5"} for run in runs.values())
    assert f"{runs['400']['fts5']['size_mb']:,.1f}" == rows["index size on disk, MB"][3]

    plot = etree.parse(str(out.with_suffix(".svg")))
    lines = plot.findall(f".//{SVG}polyline")
    assert len(lines) == 8  # four figures, two engines
    assert all(len(line.get("points").split()) == 2 for line in lines)  # a point per size
    assert {line.get("stroke") for line in lines} == {"#1f5fa8", "#b5541b"}

    redrawn = curve("--sizes", "", "--merge", "--out", str(out))  # no size to run: redraw the JSON
    assert table(redrawn) == rows
