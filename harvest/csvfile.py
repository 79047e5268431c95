"""CSV spreadsheets of records, read through a TOML mapping of columns to record fields
(`catalogue.formats.csvmap`): the file's encoding, its rows, and one record or error per
row, so an import stores the good rows and reports the rest with their line numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError
from catalogue.formats.csvmap import Mapping, load_mapping, row_record


def _decode(raw: bytes, encoding: str | None) -> str:
    """Text of the file: UTF-8 with or without BOM (or UTF-16 by BOM) unless `encoding` says otherwise.

    Bytes that are not valid in the encoding are kept as surrogates, so the row holding
    them is reported instead of the whole file being refused.
    """
    if encoding is None:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return raw.decode("utf-16", errors="surrogateescape")
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding, errors="surrogateescape")
    except LookupError as error:
        raise CatalogueError(f"unknown encoding {encoding!r}") from error


def _rows(text: str, mapping: Mapping, where: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CatalogueError(f"{where}: the file is empty") from None
    except csv.Error as error:
        raise CatalogueError(f"{where}:1: {error}") from error
    missing = sorted(mapping.needed_columns() - set(header))
    if missing:
        raise CatalogueError(f"{where}: no column {', '.join(map(repr, missing))} in the header "
                             f"(columns: {', '.join(header)})")
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, {"\0error": str(error)}
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield line, {"\0error": f"{len(cells)} cells, but the header has {len(header)} columns"}
            continue
        yield line, dict(zip(header, cells, strict=False))


def read_csv(path: Path | str, mapping_path: Path | str, encoding: str | None = None) -> Iterator[tuple[str, Any]]:
    """Yield (``file:line``, record or CatalogueError) for each data row of a CSV file.

    The mapping and the header are checked at once (a CatalogueError for the whole file);
    each row is then built and validated on its own, and a bad one is reported with its
    line number, the column and the reason.
    """
    mapping = load_mapping(mapping_path)
    text = _decode(Path(path).read_bytes(), encoding)
    rows = _rows(text, mapping, str(path))
    first = next(rows, None)  # check the header now, not at the first iteration

    def generate() -> Iterator[tuple[str, Any]]:
        if first is None:
            return
        for line, cells in _chain(first, rows):
            yield f"{path}:{line}", _record(mapping, cells)

    return generate()


def _chain(first: tuple[int, dict[str, str]], rest: Iterator[tuple[int, dict[str, str]]]
           ) -> Iterator[tuple[int, dict[str, str]]]:
    yield first
    yield from rest


def _record(mapping: Mapping, cells: dict[str, str]) -> Any:
    if "\0error" in cells:
        return CatalogueError("not a CSV row: " + cells["\0error"])
    return row_record(mapping, cells)
