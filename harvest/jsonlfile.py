"""JSON Lines files of records (this catalogue's own export format, `catalogue.formats.jsonl`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError
from catalogue.formats.jsonl import read_line


def read_jsonl(path: Path | str, name: str | None = None) -> Iterator[tuple[str, Any]]:
    """Yield (``file:line``, record or CatalogueError) for each non-blank line (`name`: how
    locations call the file, its path by default).

    A bad line becomes an error value instead of stopping the read, so an import reports
    it with its line number and goes on with the rest.
    """
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{name or path}:{number}"
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield where, CatalogueError(f"not UTF-8 text at byte {error.start}")
                continue
            if line.strip():
                yield where, read_line(line)
