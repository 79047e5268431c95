"""The `catalogue` command: a thin layer over the Python API (like `flask --app catalogue`).

Each area registers its commands in its own module; user mistakes become one clear line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from ..errors import CatalogueError
from ..records import UNSAFE_CHARACTERS


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn CatalogueError and file errors into a ClickException (message, exit code 1).

    A closed standard output (`catalogue stats | head -1`) is no error to report: it goes
    on to click, which ends the command quietly with exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CatalogueError as error:
            raise click.ClickException(printable(str(error))) from error
        except BrokenPipeError:
            raise
        except OSError as error:
            where = f": {error.filename}" if error.filename else ""
            raise click.ClickException(f"{error.strerror or error}{where}") from error

    return wrapper


def _escape(match: Any) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # as a JSON surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` safe for a terminal: each character records may not hold (stored before
    that rule, e.g. U+009B, which a terminal reads as CSI) shown as a ``\\u009b`` escape,
    which is also a valid JSON escape of the same character."""
    return UNSAFE_CHARACTERS.sub(_escape, text)


def echo(text: str, **kwargs: Any) -> None:
    """`click.echo` of `printable` text: what commands print from records and reports."""
    click.echo(printable(text), **kwargs)


def init_app(app: Flask) -> None:
    """Register every command group on the app's CLI."""
    from . import harvest, records, search, users

    for module in (records, search, harvest, users):
        module.register(app.cli)


def _create_app() -> Flask:
    """The app of the command line: commands that serve nothing run without SECRET_KEY,
    even in production; `serve` checks it itself."""
    from .. import create_app

    try:
        return create_app(serving=False)
    except CatalogueError as error:  # a bad setting: one line, no traceback
        raise click.ClickException(str(error)) from error


class CatalogueGroup(FlaskGroup):
    """Flask's command group, narrowed to this catalogue: no --app/--env-file/--debug
    options (the app is always this one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = [p for p in self.params if p.name not in ("app", "env_file", "debug")]


@click.group(cls=CatalogueGroup, create_app=_create_app, add_default_commands=False, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
@click.version_option(package_name="heritage-catalogue")
def main() -> None:
    """Catalogue of cultural heritage that was destroyed, damaged or is at risk.

    The data directory is CATALOGUE_DATA (default ./catalogue-data); every setting can be
    given as a CATALOGUE_* environment variable or in instance/config.py.
    """
