"""Shared fixtures: an app over a temporary data directory, its client, CLI runner and
catalogue, with or without the demo collection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from catalogue import create_app
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.oai_provider import LOOPBACK

pytest_plugins = ["tests.browser.chromium"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file of ../shared; the calling test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def make_app(data_dir: Path, **config: object) -> Flask:
    """An app in testing mode over `data_dir`."""
    settings = {
        "TESTING": True,
        "DATA": str(data_dir),
        "SECRET_KEY": "test-secret-key",
        "REPOSITORY_ID": "catalogue.test",
        "ADMIN_EMAIL": "admin@catalogue.test",
        "HARVEST_ALLOW_NETWORKS": LOOPBACK,  # where the test OAI-PMH providers listen
    }
    settings.update(config)
    return create_app(settings)


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
