"""What commands print: user mistakes as one clear line on stderr and a non-zero exit
(never a traceback), and record text made safe for a terminal."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

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
