"""The harvest layer's place in the floor plan (issue 13), read from the code: harvest sits
above the service and below the web and the command line. It writes through `Catalogue`,
never the store; nothing below it (service, store, search, formats, core modules) and not
the OAI-PMH provider beside it imports it; it loads neither Flask nor click nor a progress
bar. Imports inside functions count too."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The only parts of `catalogue` allowed to import harvest: the web and the command line.
ABOVE_HARVEST = ("catalogue.cli", "catalogue.web")
#: What harvest must not load: the web stack, the command line and its progress bar.
NOT_IN_HARVEST = ("flask", "flask_babel", "flask_wtf", "werkzeug", "click", "tqdm")
#: What importing harvest must not load at all (werkzeug may come in below: the service
#: hashes passwords with `werkzeug.security`, which loads the package).
NOT_LOADED = tuple(m for m in NOT_IN_HARVEST if m != "werkzeug")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: str) -> dict[str, Path]:
    """Every module of a top-level package, by dotted name."""
    return {module_name(path): path for path in sorted((ROOT / package).rglob("*.py"))}


def imports(name: str, path: Path) -> set[str]:
    """The absolute names a module imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def within(imported: str, package: str) -> bool:
    return imported == package or imported.startswith(package + ".")


HARVEST = modules("harvest")
CATALOGUE = modules("catalogue")


def test_the_scan_sees_the_modules_it_checks():
    assert {"harvest.oai", "harvest.runs", "harvest.sources", "harvest.apply", "harvest.leases"} <= HARVEST.keys()
    assert {"catalogue.service", "catalogue.formats.dc", "catalogue.oai.provider"} <= CATALOGUE.keys()
    assert "harvest.runs" in imports("catalogue.cli.harvest", CATALOGUE["catalogue.cli.harvest"])  # the scan works


@pytest.mark.parametrize("name", sorted(n for n in CATALOGUE if not any(within(n, p) for p in ABOVE_HARVEST)))
def test_nothing_below_the_web_and_the_cli_imports_harvest(name):
    """The service, store, search, formats, core modules and the OAI provider stay below harvest."""
    found = sorted(i for i in imports(name, CATALOGUE[name]) if within(i, "harvest"))
    assert not found, f"{name} imports {found}"


@pytest.mark.parametrize("name", sorted(HARVEST))
def test_harvest_writes_through_the_service_and_stays_off_the_web(name):
    forbidden = ("catalogue.store", "catalogue.index", "whoosh", "sqlite3", *ABOVE_HARVEST, *NOT_IN_HARVEST)
    found = sorted(i for i in imports(name, HARVEST[name]) if any(within(i, f) for f in forbidden))
    assert not found, f"{name} imports {found}"


def test_importing_any_harvest_module_loads_neither_flask_nor_click():
    """In a fresh interpreter, as cron or a script would import them (`import harvest.oai`
    used to load Flask through the `catalogue` package)."""
    script = ("import importlib, json, sys\n"
              f"loaded = {{}}\nfor name in {sorted(HARVEST)!r}:\n"
              "    importlib.import_module(name)\n"
              f"    loaded[name] = sorted(m for m in {NOT_LOADED!r} if m in sys.modules)\n"
              "print(json.dumps(loaded))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded.keys() == HARVEST.keys()
    assert all(not found for found in loaded.values()), loaded
