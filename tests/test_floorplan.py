"""The floor plan of README, Architecture, held by the suite (issue 13): the import contracts
of pyproject.toml's ``[tool.importlinter]`` (layers, who may import whoosh, sqlite3, the
store, the search package's modules, Flask and click), every module placed in a layer, no
import cycle, imports inside functions only with their reason on the line, no module over
500 lines, and every setting the code reads defined in `catalogue/config.py` and documented
in README's Configuration table. Imports inside functions count everywhere."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest

from catalogue import config
from catalogue.search import SearchLimits
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("catalogue", "harvest")
LINTER = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Modules no layer holds: the package itself (`create_app` assembles every layer).
UNLAYERED = {"catalogue"}
#: The longest a module may grow before it should be split by job.
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


#: Every module of the project, by dotted name.
MODULES = {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def require_import_linter() -> None:
    if importlib.util.find_spec("importlinter") is None:
        unavailable("import-linter is not installed (pip install -e '.[test]')")


# -- the contracts ------------------------------------------------------------------------


def test_the_import_contracts_hold() -> None:
    """`lint-imports` over the project's own configuration (no cache: it writes nothing)."""
    require_import_linter()
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
                           "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    kept = re.search(r"Contracts: (\d+) kept, 0 broken", done.stdout)
    assert kept and int(kept.group(1)) == len(LINTER["contracts"]), done.stdout


def layer_entries() -> list[str]:
    """Every package or module the layers contract names."""
    layers = next(c for c in LINTER["contracts"] if c["type"] == "layers")["layers"]
    return [name.strip() for layer in layers for name in re.split(r"[|:]", layer)]


def test_every_module_has_a_layer() -> None:
    """A new module is placed in the floor plan (else the layers contract would not see it)."""
    entries = layer_entries()
    assert set(entries) <= MODULES.keys(), set(entries) - MODULES.keys()
    unplaced = sorted(n for n in MODULES if n not in UNLAYERED and not any(within(n, e) for e in entries))
    assert not unplaced, f"modules in no layer of pyproject.toml: {unplaced}"


def imports(name: str, path: Path) -> Iterator[tuple[ast.stmt, str]]:
    """(statement, absolute module name) of every import a module makes, wherever it stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield node, base


def test_the_web_contract_names_every_flask_package() -> None:
    """Each flask_* package the code imports is one the contract protects."""
    protected = next(c for c in LINTER["contracts"] if "flask" in c.get("protected_modules", []))
    used = {imported.split(".")[0] for name, path in MODULES.items() for _, imported in imports(name, path)}
    assert {"flask", "flask_babel", "flask_wtf"} <= used  # the scan sees them
    assert {m for m in used if m.startswith("flask")} <= set(protected["protected_modules"])


def test_no_import_cycle() -> None:
    """No module reaches itself through imports, imports inside functions included. Imports
    under ``if TYPE_CHECKING`` never run and are left out."""
    require_import_linter()
    import grimp  # deferred: import-linter's graph library, present only with the test extras

    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert edges["catalogue"] >= {"catalogue.cli", "catalogue.web.records"}  # create_app's imports count
    assert not (cycles := strongly_connected(edges)), cycles


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a circle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, following = work[-1]
            step = next(following, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    work.append((step, iter(sorted(edges.get(step, ())))))
                elif step in stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while (member := stack.pop()) != node:
                    group.append(member)
                if group:
                    groups.append(sorted([node, *group]))
    return groups


def test_the_cycle_search_finds_a_cycle() -> None:
    found = strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert found == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


# -- imports inside functions, module size -------------------------------------------------


def imports_in_functions(path: Path) -> Iterator[tuple[int, str]]:
    """(line, source lines) of every import statement inside a function."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for function in ast.walk(ast.parse(text)):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield node.lineno, "\n".join(lines[node.lineno - 1: node.end_lineno])


def test_imports_inside_functions_say_why_on_their_line() -> None:
    """An import inside a function is the exception (it hides a dependency from a reader and
    from the contracts' first glance); each one states its reason in a comment."""
    found = {f"{name}:{line}": source for name, path in MODULES.items() for line, source in imports_in_functions(path)}
    assert found, "the scan sees create_app's imports"
    unexplained = sorted(where for where, source in found.items()
                         if not re.search(r"#\s*\w+(\W+\w+){2,}", source))
    assert not unexplained, f"imports inside functions without a reason on their line: {unexplained}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_500_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by job"


# -- harvest at run time -------------------------------------------------------------------


def test_importing_any_harvest_module_loads_neither_flask_nor_click() -> None:
    """In a fresh interpreter, as cron or a script would import them (`import harvest.oai`
    used to load Flask through the `catalogue` package)."""
    names = sorted(n for n in MODULES if within(n, "harvest"))
    unwanted = ("flask", "flask_babel", "flask_wtf", "click", "tqdm")
    script = ("import importlib, json, sys\n"
              f"loaded = {{}}\nfor name in {names!r}:\n"
              "    importlib.import_module(name)\n"
              f"    loaded[name] = sorted(m for m in {unwanted!r} if m in sys.modules)\n"
              "print(json.dumps(loaded))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded.keys() == set(names)
    assert all(not found for found in loaded.values()), loaded


# -- settings ------------------------------------------------------------------------------


def _is_config(node: ast.expr) -> bool:
    """Whether an expression is the settings: ``config``, ``app.config``, ``current_app.config``
    or the command line's ``settings()``."""
    if isinstance(node, ast.Name):
        return node.id == "config"
    if isinstance(node, ast.Attribute):
        return node.attr == "config"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "settings"


def settings_read() -> dict[str, str]:
    """Every setting the code and the templates read, by name, with where one is read."""
    found: dict[str, str] = {}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = None
            if isinstance(node, ast.Subscript) and _is_config(node.value):
                key = node.slice
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                  and _is_config(node.func.value) and node.args):
                key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.setdefault(key.value, f"{name}:{node.lineno}")
    for path in sorted((ROOT / "catalogue" / "web" / "templates").rglob("*.html")):
        for key in re.findall(r"\bconfig(?:\.|\[['\"])([A-Z][A-Z0-9_]*)", path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(ROOT)))
    for item in fields(SearchLimits):  # read by name in SearchLimits.from_config
        found.setdefault(f"SEARCH_{item.name.upper()}", "catalogue/search/limits.py")
    return found


def documented_settings() -> set[str]:
    table = README.split("## Configuration", 1)[1].split("\n\n| header |", 1)[0]
    return set(re.findall(r"^\| `CATALOGUE_([A-Z0-9_]+)` \|", table, flags=re.M))


DEFINED = {name for name in vars(config) if name.isupper()}


def test_the_settings_scan_sees_the_settings() -> None:
    read = settings_read()
    assert {"DATA", "REPOSITORY_ID", "OAI_PAGE_SIZE", "LOGIN_RATE_LIMIT", "TILE_URL", "BASE_URL"} <= read.keys()
    assert len(documented_settings()) > 20


def test_every_setting_read_is_defined_in_config_py() -> None:
    missing = {key: where for key, where in settings_read().items() if key not in DEFINED}
    assert not missing, f"settings read but not defined in catalogue/config.py: {missing}"


def test_every_setting_is_documented_in_the_readme() -> None:
    """Each setting read, and each one config.py defines, has its row in README, Configuration."""
    documented = documented_settings()
    assert not (undocumented := sorted((settings_read().keys() | DEFINED) - documented)), undocumented
    assert not (unknown := sorted(documented - DEFINED)), f"README documents settings that do not exist: {unknown}"
