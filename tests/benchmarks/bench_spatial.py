"""Area search benchmark: `bbox` searches over synthetic records with geometries.

The synthetic records (tests/benchmarks/synthetic.py) get a geometry each: most a point
scattered around their place, some a small polygon, some none. Random boxes, from a town to a
continent (some across the antimeridian), are searched alone, with a facet filter and with a
word, facets counted; each alone search's total is checked against a brute-force count over
the generated geometries (`catalogue.geo.intersects`), so the figure is for exact answers.
Not a test: run it by hand.

    python tests/benchmarks/bench_spatial.py 100000 --queries 300
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from synthetic import generate  # noqa: E402

from catalogue.geo import BBox, intersects  # noqa: E402
from catalogue.service import Catalogue  # noqa: E402


def with_geometry(records: Any, seed: int = 16) -> Any:
    """The records, each given a point (85 %), a small polygon (10 %) or no geometry (5 %)."""
    rng = random.Random(seed)
    centres: dict[str, tuple[float, float]] = {}
    for record in records:
        name = record["place"]["name"]
        lon, lat = centres.setdefault(name, (rng.uniform(-170, 170), rng.uniform(-60, 70)))
        roll = rng.random()
        place = dict(record["place"])
        if roll < 0.85:
            place["geometry"] = {"type": "Point", "coordinates": [round(lon + rng.gauss(0, 0.5), 5),
                                                                  round(lat + rng.gauss(0, 0.5), 5)]}
        elif roll < 0.95:
            x, y, size = lon + rng.gauss(0, 0.5), lat + rng.gauss(0, 0.5), rng.uniform(0.01, 0.3)
            place["geometry"] = {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x, y + size], [x, y]]]}
        record["place"] = place
        yield record


def random_box(rng: random.Random) -> BBox:
    """A box from about 0.1 to 90 degrees wide, one in twenty across the antimeridian."""
    width = 10 ** rng.uniform(-1, 1.95)
    height = min(width * rng.uniform(0.5, 1.0), 150)
    south = rng.uniform(-80, 80 - height)
    if rng.random() < 0.05:
        west = rng.uniform(180 - width, 180)
        return BBox(west, south, west + width - 360, south + height)
    west = rng.uniform(-180, 180 - width)
    return BBox(west, south, west + width, south + height)


def brute_force(geometries: list[Any], box: BBox) -> int:
    return sum(1 for g in geometries if g and any(intersects(g, part) for part in box.parts()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=int, nargs="?", default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, help="A data directory an earlier run of the same size filled "
                                                  "(kept, and reused when it exists: only the searches run again).")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-spatial-")) / "data"
    records = list(with_geometry(generate(args.records)))
    geometries = [r["place"].get("geometry") for r in records]
    reuse = (data / "catalogue.sqlite3").exists()
    catalogue = Catalogue(data)
    started = time.perf_counter()
    if not reuse:
        report = catalogue.import_records(((f"synthetic:{i}", r) for i, r in enumerate(records)), user="bench",
                                          message="benchmark", origin="import")
        assert report.failed == 0, report.log[:3]
    build = time.perf_counter() - started
    started = time.perf_counter()
    catalogue.search("", area=BBox(-180, -90, 180, 90))  # reads every segment's boxes once
    first = time.perf_counter() - started
    rng = random.Random(7)
    times: dict[str, list[float]] = {"alone": [], "with a facet": [], "with a word": []}
    checked = 0
    for _ in range(args.queries):
        box = random_box(rng)
        for label, query, filters in (("alone", "", {}), ("with a facet", "", {"type": ["monument"]}),
                                      ("with a word", "tomb", {})):
            started = time.perf_counter()
            result = catalogue.search(query, filters=filters, area=box, page_size=20, facets=True, highlight=False)
            times[label].append((time.perf_counter() - started) * 1000)
            if label == "alone":
                expected = brute_force(geometries, box)
                assert result.total == expected, (box, result.total, expected)
                checked += 1
    out = {"records": args.records, "import_s": None if reuse else round(build, 1),
           "first_area_search_ms": round(first * 1000, 1), "exact_checks": checked}
    for label, values in times.items():
        values.sort()
        out[label] = {"p50_ms": round(statistics.median(values), 2),
                      "p95_ms": round(values[int(len(values) * 0.95) - 1], 2), "max_ms": round(values[-1], 2)}
    catalogue.close()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
