"""JSON Lines files of records (this catalogue's own export format)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError


def read_jsonl(path: Path | str) -> Iterator[tuple[str, Any]]:
    """Yield (``file:line``, record or CatalogueError) for each non-blank line.

    A bad line becomes an error value instead of stopping the read, so an import reports
    it with its line number and goes on with the rest.
    """
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield where, CatalogueError(f"not UTF-8 text at byte {error.start}")
                continue
            if not line.strip():
                continue
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as error:
                yield where, CatalogueError(f"not valid JSON: {error.msg} at column {error.colno}")
            except RecursionError:
                yield where, CatalogueError("not valid JSON: lists and objects nest too deeply")
