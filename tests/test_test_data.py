"""The suite's data ships with the repository: tests/data/oai-pmh is an unchanged copy of its
listed sources, no test reads ../shared except the seed, and under CI a missing data file
fails instead of skipping, so a plain clone runs every test."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, data_path

OAI_DATA = DATA / "oai-pmh"
CHECKSUM = re.compile(r"^([0-9a-f]{64})  (\S+)$", re.MULTILINE)


def listed_checksums() -> dict[str, str]:
    text = (OAI_DATA / "README.md").read_text(encoding="utf-8")
    return {path: digest for digest, path in CHECKSUM.findall(text)}


def test_oai_pmh_data_is_the_listed_unchanged_copy() -> None:
    listed = listed_checksums()
    present = {p.relative_to(OAI_DATA).as_posix() for p in OAI_DATA.rglob("*") if p.is_file()} - {"README.md"}
    assert set(listed) == present, "tests/data/oai-pmh/README.md must list every file it holds"
    changed = [name for name, digest in listed.items()
               if hashlib.sha256((OAI_DATA / name).read_bytes()).hexdigest() != digest]
    assert changed == []


def test_oai_pmh_data_holds_what_the_tests_read() -> None:
    names = set(listed_checksums())
    assert {"validate.py", "xsd/OAI-PMH.xsd", "xsd/oai_dc.xsd"} <= names
    assert len([n for n in names if n.startswith("real-responses/")]) == 15


def shared_reads(path: Path) -> list[str]:
    """Where a test module reaches ../shared for anything but the seed: a `shared_path`
    call whose first argument is not "seed", or, outside conftest, `SHARED` or a path
    joined with "shared" (``ROOT.parent / "shared"``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "shared_path":
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and first.value == "seed"):
                found.append(f"{path.name}:{node.lineno}")
        elif path.name != "conftest.py" and (
                (isinstance(node, ast.Name) and node.id == "SHARED")
                or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                    and isinstance(node.right, ast.Constant) and node.right.value == "shared")):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_test_reads_shared_material_but_the_seed() -> None:
    modules = [p for p in (ROOT / "tests").rglob("*.py") if DATA not in p.parents]
    assert [where for module in modules for where in shared_reads(module)] == []


def test_missing_data_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        data_path("oai-pmh", "no-such-file.xml")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required when CI is set"):
        data_path("oai-pmh", "no-such-file.xml")
    assert data_path("oai-pmh", "validate.py").is_file()
