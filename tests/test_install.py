"""Packaging: a plain (non-editable) install finds its schemas and demo and runs, and
`catalogue serve` serves the demo on an empty data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smoke_plain_install import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_plain_install_runs_outside_the_checkout(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    assert (target / "catalogue" / "_schemas" / "record.schema.json").is_file()
    assert (target / "catalogue" / "demo" / "khojaly.jsonl").is_file()
    env = dict(os.environ, PYTHONPATH=str(target), CATALOGUE_DATA=str(tmp_path / "data"))
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(target / "bin" / "catalogue"), *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import catalogue, catalogue.schema as s; "
                            "print(catalogue.__file__); print(s.schemas_dir())"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert str(target) in where.splitlines()[0] and where.splitlines()[1].endswith("_schemas")
    init = run("init", "--demo")
    assert init.returncode == 0, init.stderr
    assert "8 records created" in init.stdout
    shown = run("show", "khojaly-schools")
    assert "quantity: 14" in shown.stdout


@pytest.mark.own_store  # the data directory's own store: a shared one needs a secret key
def test_serve_loads_the_demo_into_an_empty_data_directory(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, CATALOGUE_DATA=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "catalogue", "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "Khojaly" in body
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "is empty: loading the demo collection" in output
    assert "Loaded the demo collection: 8 records created" in output
