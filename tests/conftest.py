"""Shared fixtures: an app over a temporary data directory, its client, CLI runner and
catalogue, with or without the demo collection; the installed `catalogue` command over the
same directory; `store_url`, which runs a test on both stores (SQLite and PostgreSQL); and
`unavailable`, the one way a test gives up on a missing tool.

``CATALOGUE_TEST_DATABASE=postgresql`` runs the whole suite on PostgreSQL: every app and
every `catalogue` process of a test then uses a fresh PostgreSQL schema (the tests that read
a SQLite file themselves stay on SQLite)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from catalogue import create_app
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.oai_provider import LOOPBACK
from tests.postgres import Server, start

pytest_plugins = ["tests.browser.chromium"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
#: The store the whole suite runs on: "sqlite" (default) or "postgresql".
SUITE_STORE = os.environ.get("CATALOGUE_TEST_DATABASE", "sqlite")


def unavailable(reason: str) -> NoReturn:
    """Give up on a test whose tool, browser or route is missing: a skip on a developer's
    machine, a failure under CI (``CI`` set), so nothing missing ever passes as green there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required when CI is set)")
    pytest.skip(reason)


def exited_cleanly(result: Any) -> bool:
    """A CliRunner result ended by the command itself (an exit code), not by an unhandled
    exception: CliRunner prints no traceback, so "Traceback" never shows in its output."""
    return result.exception is None or isinstance(result.exception, SystemExit)


def shared_path(*parts: str) -> Path:
    """A file of ../shared; the calling test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def make_app(data_dir: Path, **config: object) -> Flask:
    """An app in testing mode over `data_dir` (and the suite's store, see the module doc)."""
    settings = {
        "DATABASE_URL": os.environ.get("CATALOGUE_DATABASE_URL", ""),
        "TESTING": True,
        "DATA": str(data_dir),
        "SECRET_KEY": "test-secret-key",
        "REPOSITORY_ID": "catalogue.test",
        "ADMIN_EMAIL": "admin@catalogue.test",
        "HARVEST_ALLOW_NETWORKS": LOOPBACK,  # where the test OAI-PMH providers listen
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """The PostgreSQL server of this test run (see tests/postgres.py); a missing one fails
    the tests that need it under CI."""
    try:
        server = start()
    except Exception as error:  # no server, no initdb, no permission: say why
        unavailable(f"no PostgreSQL server for the tests: {error}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A test of the store runs on both backends: None (the data directory's SQLite file)
    and the URL of a fresh PostgreSQL schema, dropped afterwards."""
    if request.param == "sqlite":
        yield None
        return
    server: Server = request.getfixturevalue("postgres")
    url = server.fresh_url()
    yield url
    server.drop(url)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_stores`` run twice: on SQLite and on PostgreSQL (`_suite_store`)."""
    if metafunc.definition.get_closest_marker("both_stores"):
        metafunc.parametrize("_suite_store", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def _suite_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """The store of this test's apps and `catalogue` processes: the data directory's SQLite
    file, or a fresh PostgreSQL schema named by ``CATALOGUE_DATABASE_URL`` (under
    ``CATALOGUE_TEST_DATABASE=postgresql``, or for the PostgreSQL run of a ``both_stores`` test)."""
    store = getattr(request, "param", SUITE_STORE)
    if store != "postgresql" or request.node.get_closest_marker("own_store"):
        monkeypatch.delenv("CATALOGUE_DATABASE_URL", raising=False)
        yield None
        return
    server: Server = request.getfixturevalue("postgres")
    url = server.fresh_url()
    monkeypatch.setenv("CATALOGUE_DATABASE_URL", url)
    yield url
    server.drop(url)


@pytest.fixture
def second_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """A store of its own for a test's second catalogue (a mirror, an empty one): a second
    fresh PostgreSQL schema when the test runs on PostgreSQL, else "" (the SQLite file of
    the catalogue's data directory)."""
    if suite_url() is None:
        yield ""
        return
    server: Server = request.getfixturevalue("postgres")
    url = server.fresh_url()
    yield url
    server.drop(url)


def suite_url() -> str | None:
    """The store URL of the running test (see `_suite_store`), for a test that opens a
    `Catalogue` itself: None for the data directory's SQLite file."""
    return os.environ.get("CATALOGUE_DATABASE_URL") or None


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app over an empty data directory."""
    application = make_app(tmp_path / "data")
    yield application
    catalogue = application.extensions.get("catalogue")
    if catalogue is not None:
        catalogue.close()


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """An app whose catalogue holds the demo collection."""
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def catalogue(app: Flask) -> Catalogue:
    """The Python API of the app's catalogue."""
    with app.app_context():
        return get_catalogue()


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The installed `catalogue` command as a real process over the `app` fixture's data
    directory: ``cli("show", "x", input=...)`` gives returncode, stdout and stderr apart."""
    from tests.clirun import run_cli

    def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return run_cli(tmp_path / "data", *args, **kwargs)

    return run
