"""The installed `catalogue` command in a subprocess, as a user runs it (stdout, stderr and
exit code apart), optionally as a plain `pip install .` would have it: `plain_env` hides
every module only the test extras bring in, so a runtime import of a test-only package (an
optional jsonschema format checker, say) fails here as it fails for a user.

`.ci/run` checks the same with a real venv holding `pip install .` alone
(tests/smoke_plain_install.py); this is the quick version for pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.smoke_plain_install import free_port, wait_until_up

DIST = "heritage-catalogue"
#: The `catalogue` script of the environment running the tests.
CATALOGUE = str(Path(sys.executable).parent / "catalogue")


def _closure(extras: frozenset[str]) -> set[str]:
    """Every distribution the catalogue pulls in, with these extras, by installed metadata."""
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(DIST, extras)]
    while todo:
        name, wanted = todo.pop()
        if (canonicalize_name(name), wanted) in seen:
            continue
        seen.add((canonicalize_name(name), wanted))
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *wanted}):
                todo.append((req.name, frozenset(req.extras)))
    return {name for name, _ in seen}


@cache
def extras_only_modules() -> frozenset[str]:
    """Top-level modules whose every distribution comes only with the test extras."""
    only = _closure(frozenset({"test"})) - _closure(frozenset())
    return frozenset(module for module, dists in metadata.packages_distributions().items()
                     if dists and all(canonicalize_name(d) in only for d in dists))


def plain_env(folder: Path, **settings: str) -> dict[str, str]:
    """Environment for a subprocess that cannot import test-only modules: a folder of stubs
    raising ModuleNotFoundError, first on PYTHONPATH."""
    stubs = folder / "hidden-test-extras"
    stubs.mkdir(parents=True, exist_ok=True)
    for module in extras_only_modules():
        (stubs / f"{module}.py").write_text(
            f"raise ModuleNotFoundError({f'{module} comes with the test extras only'!r}, name={module!r})\n",
            encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOGUE_")}
    env.update(PYTHONPATH=str(stubs), **settings)
    return env


def run_catalogue(env: dict[str, str], *args: str, cwd: Path, stdin: str | None = None,
                  **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it (stdout and stderr apart)."""
    return subprocess.run([CATALOGUE, *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=120, **kwargs)  # type: ignore[call-overload]


@contextmanager
def serving(env: dict[str, str], cwd: Path, *args: str) -> Iterator[str]:
    """`catalogue serve` on a free loopback port while the block runs; yields its base URL."""
    port = free_port()
    server = subprocess.Popen([CATALOGUE, "serve", "--port", str(port), *args], env=env, cwd=cwd,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base, server):
            server.kill()
            raise AssertionError("catalogue serve did not come up: " + server.communicate()[0][-3000:])
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=30)
