"""Shared fixtures: an app over a temporary data directory, its client, CLI runner and
catalogue, with or without the demo collection (copied from one built per session), or a
read-only demo app shared by a module; the installed `catalogue` command over the same
directory; test data (`data_path`); and `unavailable`, the one way a test gives up on a
missing tool; `store_url`, which runs a test on both stores (SQLite and PostgreSQL).

``CATALOGUE_TEST_DATABASE=postgresql`` runs the whole suite on PostgreSQL: every app and
every `catalogue` process of a test then uses a fresh PostgreSQL schema (the tests that read
a SQLite file themselves, marked ``own_store``, stay on SQLite), and the demo collection is
loaded into each test's store instead of copied.

Two markers make fixtures cheaper where that is not under test: ``without_index`` (the
app's catalogue leaves the search index behind on writes) and, the other way round,
``real_password_hashing`` (every other test hashes passwords with a cheaper scrypt)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from catalogue import access, create_app
from catalogue.cli.records import load_demo
from catalogue.search import SearchLimits
from catalogue.service import DB_NAME, Catalogue
from catalogue.service.catalogue import SHARED_KEY
from catalogue.web import get_catalogue
from tests.oai_provider import LOOPBACK
from tests.postgres import Server, start

pytest_plugins = ["tests.browser.chromium"]

ROOT = Path(__file__).resolve().parent.parent
#: Test material that ships with the repository (tests/data/*/README.md says where it came from).
DATA = ROOT / "tests" / "data"
#: Material next to the checkout that is not ours to redistribute (the seed article).
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


def data_path(*parts: str) -> Path:
    """A file of tests/data, which every clone has: missing, it fails under CI (`unavailable`)."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        unavailable(f"test data {path} is missing")
    return path


def shared_path(*parts: str) -> Path:
    """A file of ../shared, for the seed article only (not ours to redistribute, so not in
    tests/data): the calling test is skipped when it is absent, under CI too. Everything
    else a test reads lives in tests/data (`data_path`); tests/test_test_data.py checks so."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


#: How long a test's write waits for search: it returns once search has caught up (as it does
#: within the default 200 ms on an idle machine), so a test may search right after it, however
#: busy the machine; tests/faults checks the default bound.
INDEX_WAIT_MS = 30_000
#: How long a test's search may run before it is simplified to its plain words: not the
#: product's 400 ms of wall time, which one pause of a busy machine can spend on a search that
#: needs 1 ms (a range query then found nothing); tests/test_search_limits.py checks the budget.
SEARCH_TIME_BUDGET_MS = 600_000
#: The search limits of a test's catalogue made without an app: the product's, unhurried.
UNHURRIED = SearchLimits(time_budget_ms=SEARCH_TIME_BUDGET_MS)
#: How long a test's count of the collection may take and still be waited for after a change
#: (not the product's 100 ms, which a busy machine's pause can pass: a page would then show
#: the count of the change before); tests/test_web_pages.py checks the product's way.
COUNT_WAIT_MS = 600_000


@pytest.fixture(scope="session", autouse=True)
def _unhurried_catalogues() -> Iterator[None]:
    """A `Catalogue` a test makes without `search_limits` searches `UNHURRIED` and waits for
    its counts (`COUNT_WAIT_MS`), as the test apps do (session-wide, so module-scoped
    catalogues too); a test about either passes its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(Catalogue.__init__.__kwdefaults__, "search_limits", UNHURRIED)
        patch.setitem(Catalogue.__init__.__kwdefaults__, "count_wait_ms", COUNT_WAIT_MS)
        yield


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
        "INDEX_WAIT_MS": INDEX_WAIT_MS,
        "SEARCH_TIME_BUDGET_MS": SEARCH_TIME_BUDGET_MS,
        "COUNT_WAIT_MS": COUNT_WAIT_MS,
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


#: scrypt as in production, at N=2**10 instead of werkzeug's 2**15: a hash or a sign-in costs
#: about 1 ms instead of 100 (the way Django advises a fast hasher for tests).
TEST_SCRYPT = "scrypt:1024:8:1"


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash new passwords with `TEST_SCRYPT` (checking reads the cost from each hash), unless
    the test is marked ``real_password_hashing``."""
    if request.node.get_closest_marker("real_password_hashing"):
        return
    real = access.generate_password_hash

    def cheaper(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return real(password, method=TEST_SCRYPT if method == "scrypt" else method, salt_length=salt_length)

    monkeypatch.setattr(access, "generate_password_hash", cheaper)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the demo collection, made once per session by `catalogue
    init --demo`: a template, copied for each test, never opened by one."""
    data = tmp_path_factory.mktemp("demo-template") / "data"
    application = make_app(data, DATABASE_URL="")
    result = application.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    application.extensions[SHARED_KEY].close()
    return data


def open_catalogue(application: Flask, request: pytest.FixtureRequest) -> None:
    """Under the ``without_index`` marker, give the app a catalogue that leaves the index
    behind on writes (it catches up when a search first opens it)."""
    if request.node.get_closest_marker("without_index"):
        application.extensions[SHARED_KEY] = Catalogue.from_config(application.config, with_index=False)


def close_catalogue(application: Flask) -> None:
    catalogue = application.extensions.get(SHARED_KEY)
    if catalogue is not None:
        catalogue.close()


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app over an empty data directory, or over a copy of `demo_data` when the test
    uses `demo_app` too."""
    data = tmp_path / "data"
    if "demo_app" in request.fixturenames and suite_url() is None:  # PostgreSQL: `demo_app` loads it
        shutil.copytree(request.getfixturevalue("demo_data"), data)
    application = make_app(data)
    open_catalogue(application, request)
    yield application
    close_catalogue(application)


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """An app whose catalogue holds the demo collection (a copy of `demo_data`)."""
    with app.app_context():
        empty = get_catalogue().is_empty()
    if empty:  # a module's own `app` fixture: load the demo the slow way
        result = app.test_cli_runner().invoke(args=["init", "--demo"])
        assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def demo_catalogue(tmp_path: Path, demo_data: Path) -> Iterator[Catalogue]:
    """The Python API over a copy of the demo collection, without a web app; its index
    open, as after the import; a write waits for search, and searches are unhurried, as in `make_app`."""
    url = suite_url()
    if url is None:
        shutil.copytree(demo_data, tmp_path / "demo")
    with Catalogue(tmp_path / "demo", database_url=url, index_wait_ms=INDEX_WAIT_MS,
                   search_limits=UNHURRIED) as catalogue:
        if url is not None:
            load_demo(catalogue, quiet=True)
        catalogue.open_index()
        yield catalogue


@pytest.fixture(scope="module")
def demo_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              demo_data: Path) -> Iterator[Flask]:
    """One demo app shared by a module's tests that only read (pages, API, OAI-PMH, search):
    built once per module, and checked at its end to have stored nothing. A test that
    writes uses `demo_app`, its own copy."""
    data = tmp_path_factory.mktemp("demo-site") / "data"
    if SUITE_STORE == "postgresql" and not request.node.get_closest_marker("own_store"):
        yield from _demo_site_on_postgresql(request, data)
        return
    shutil.copytree(demo_data, data)
    before = hashlib.sha256((data / DB_NAME).read_bytes()).hexdigest()
    application = make_app(data, DATABASE_URL="")
    yield application
    close_catalogue(application)
    after = hashlib.sha256((data / DB_NAME).read_bytes()).hexdigest()
    assert after == before, f"a test of {request.module.__name__} wrote to the read-only demo_site; use demo_app"


def _demo_site_on_postgresql(request: pytest.FixtureRequest, data: Path) -> Iterator[Flask]:
    """`demo_site` on a PostgreSQL schema of its own, the demo loaded into it; checked at its
    end to have taken no change."""
    server: Server = request.getfixturevalue("postgres")
    url = server.fresh_url()
    application = make_app(data, DATABASE_URL=url)
    result = application.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    before = application.extensions[SHARED_KEY].last_change()
    yield application
    after = application.extensions[SHARED_KEY].last_change()
    close_catalogue(application)
    server.drop(url)
    assert after == before, f"a test of {request.module.__name__} wrote to the read-only demo_site; use demo_app"


@pytest.fixture
def demo_client(demo_site: Flask) -> FlaskClient:
    """A visitor's client (cookies of its own) of the module's read-only `demo_site`."""
    return demo_site.test_client()


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
