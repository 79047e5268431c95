"""What a command works with: the settings, read as the web app reads them, and the
catalogue they name, opened once per command run and closed when it ends. No web app is
built (so no SECRET_KEY is needed), except by `serve`, which serves one. Under
`flask --app catalogue COMMAND` (and Flask's test runner) the commands use that app's
settings and its catalogue."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Config, Flask
from flask.cli import ScriptInfo, locate_app
from flask.sansio.scaffold import find_package

from ..config import configure
from ..service import DB_NAME, Catalogue, shared

_CONFIG, _CATALOGUE = "catalogue.config", "catalogue.catalogue"
#: Where the web app is found, the name `flask --app` takes.
APP = "catalogue"


def instance_folder() -> str:
    """The folder whose ``config.py`` holds a deployment's settings: Flask's instance folder
    of the `catalogue` package, which the web app reads too (``instance/`` beside a source
    checkout, ``PREFIX/var/catalogue-instance`` for an installed package)."""
    prefix, package_path = find_package("catalogue")
    if prefix is None:
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", "catalogue-instance")


def _flask_app() -> Flask | None:
    """The app of `flask --app catalogue COMMAND` (or of Flask's test runner); None for
    the `catalogue` command."""
    info = click.get_current_context().find_object(ScriptInfo)
    return info.load_app() if info is not None else None


def settings() -> Mapping[str, Any]:
    """The settings of this command run (see README, Configuration)."""
    app = _flask_app()
    if app is not None:
        return app.config
    root = click.get_current_context().find_root()
    if _CONFIG not in root.meta:
        config = Config(instance_folder())
        configure(config)
        root.meta[_CONFIG] = config
    return root.meta[_CONFIG]


def get_catalogue() -> Catalogue:
    """The catalogue of this command run: opened on first use, closed when the command ends."""
    app = _flask_app()
    if app is not None:
        return shared(app.extensions, app.config)
    root = click.get_current_context().find_root()
    if _CATALOGUE not in root.meta:
        root.meta[_CATALOGUE] = root.with_resource(Catalogue.from_config(settings()))
    return root.meta[_CATALOGUE]


@contextmanager
def dry_run_catalogue() -> Iterator[Catalogue]:
    """The catalogue a dry run compares with: this run's when its data directory exists;
    otherwise an empty one in a temporary folder, removed afterwards, so that a dry run
    creates nothing (not even the data directory). A store named by DATABASE_URL (PostgreSQL,
    another file) is this run's: a dry run compares with what it holds."""
    if settings().get("DATABASE_URL") or (Path(settings()["DATA"]) / DB_NAME).exists():
        yield get_catalogue()
        return
    with tempfile.TemporaryDirectory(prefix="catalogue-dry-run-") as folder, \
            Catalogue(folder, with_index=False) as catalogue:
        yield catalogue


def serving_app() -> Flask:
    """The web app `serve` serves: Flask's under `flask --app catalogue`, else a new one
    (which applies the SECRET_KEY policy: production refuses to start without one).

    The new one is found by name, as `flask --app catalogue` finds it (`catalogue.create_app`):
    the app factory registers these commands, so the commands do not import it back."""
    return _flask_app() or locate_app(APP, None)
