"""The mutation score per core module, from the results `mutmut run` leaves in mutants/.

A mutant listed in tests/mutation/equivalent.md (a line starting "- `name`") behaves like the
original, so it counts neither for nor against the score; every other mutant that no test
failed on is printed, so a survivor is either killed by a new test or listed there with its
reason. Run from the repository root after `mutmut run`:

    python tests/mutation/score.py            # the table, then the survivors not yet reviewed
    python tests/mutation/score.py --min 90   # exit 1 when a checked module scores below 90 %
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("equivalent.md")

#: mutmut's exit codes, grouped as this score counts them. 255 is an exception in mutmut's own
#: worker (mutmut shows it as a timeout); it says nothing about the tests, so it is "error".
KILLED, TIMEOUT, SURVIVED, NO_TESTS = {1, 3}, {36, 24, -24, 152}, {0}, {5, 33}


def equivalent_mutants(path: Path = EQUIVALENT) -> set[str]:
    """The mutant names listed as equivalent, one per line as "- `name` reason"."""
    if not path.is_file():
        return set()
    return set(re.findall(r"^- `([^`]+)`", path.read_text(encoding="utf-8"), flags=re.MULTILINE))


def outcome(code: int | None) -> str:
    """What one mutmut exit code means for the score."""
    if code is None:
        return "not checked"
    for name, codes in (("killed", KILLED), ("timeout", TIMEOUT), ("survived", SURVIVED), ("no tests", NO_TESTS)):
        if code in codes:
            return name
    return "error"


def results(mutants: Path = ROOT / "mutants") -> dict[str, dict[str, int | None]]:
    """Exit code per mutant, per module (dotted name), of the files pyproject.toml has mutmut mutate."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    found = {}
    for path in config["only_mutate"]:
        meta = mutants / f"{path}.meta"
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        found[module] = json.loads(meta.read_text())["exit_code_by_key"] if meta.is_file() else {}
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the table and the unreviewed survivors; with --min, fail below that score."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, help="exit 1 if a fully checked module scores below this percentage")
    args = parser.parse_args(argv)
    equivalent = equivalent_mutants()
    unreviewed, low = [], []
    print(f"{'module':34} {'mutants':>7} {'killed':>7} {'timeout':>7} {'equiv.':>6} {'left':>5} {'score':>7}")
    for module, codes in results().items():
        counts = Counter("equivalent" if name in equivalent else outcome(code) for name, code in codes.items())
        left = [name for name, code in codes.items()
                if name not in equivalent and outcome(code) in ("survived", "no tests", "error")]
        unreviewed += left
        scored = len(codes) - counts["equivalent"] - counts["not checked"]
        score = 100 * (counts["killed"] + counts["timeout"]) / scored if scored else 0.0
        pending = f" ({counts['not checked']} not run)" if counts["not checked"] else ""
        print(f"{module:34} {len(codes):7} {counts['killed']:7} {counts['timeout']:7} {counts['equivalent']:6} "
              f"{len(left):5} {score:6.1f}%{pending}")
        if args.min is not None and not counts["not checked"] and score < args.min:
            low.append(module)
    if unreviewed:
        print("\nSurvivors neither killed nor listed in tests/mutation/equivalent.md (`mutmut show NAME`):")
        print("\n".join(f"  {name}" for name in unreviewed))
    if low:
        print(f"\nBelow {args.min:g} %: {', '.join(low)}", file=sys.stderr)
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
