"""Files of records in a table (CSV, .xlsx, .ods, .xls) or as JSON Lines, read for an
import: the one entry point the command line and the web use, so both check a file the
same way (its size, its real format, its encoding) and report the same lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError, Notice
from catalogue.formats.csvmap import Mapping
from catalogue.formats.maprows import records_of

from .csvfile import header_problem, read_csv_text
from .jsonlfile import read_jsonl
from .sheets import CSV, FileLimits, Sheet, kind_of, read_sheet

#: File name endings an import reads (JSON Lines without a mapping, the others with one).
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ods", ".xls", ".jsonl", ".ndjson")


def check_size(path: Path, name: str, limits: FileLimits) -> None:
    """Refuse a file over `limits.max_bytes` before reading it."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise CatalogueError(f"{name}: the file is {size:,} bytes, more than the {limits.max_bytes:,} allowed "
                             "(IMPORT_MAX_BYTES); split it or ask an admin to raise the limit")


#: Rows with a value read to find the header under a title or notes a sheet may begin with.
HEADER_SEARCH = 20


def _sheet_items(sheet: Sheet, mapping: Mapping, name: str) -> Iterator[tuple[str, Any]]:
    """(location, cells or CatalogueError) of a sheet's data rows, under its header: the first
    row holding every column the mapping names (a title or notes may stand above it), else
    the first row with a value, checked before the first data row is given."""
    needed = mapping.needed_columns()
    candidates = [(i, row) for i, row in enumerate(sheet.rows) if any(c.strip() for c in row[1])][:HEADER_SEARCH]
    if not candidates:
        raise CatalogueError(f"{name}: sheet {sheet.name!r} is empty")
    index, (number, cells, _) = next(((i, row) for i, row in candidates if needed <= {c.strip() for c in row[1]}),
                                     candidates[0])
    header = [c.strip() for c in cells]
    problem = header_problem(header, mapping, f"{name} (sheet {sheet.name!r}, row {number})")
    if problem:
        raise problem
    return _data(iter(sheet.rows[index + 1:]), header, name)


def _data(rows: Iterator[tuple[int, list[str], str | None]], header: list[str], name: str
          ) -> Iterator[tuple[str, Any]]:
    for number, cells, problem in rows:
        where = f"{name}:{number}"
        if problem:
            yield where, CatalogueError(problem)
            continue
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(header):] if c.strip()]
        if extra:
            yield where, CatalogueError(f"a value ({extra[0][:40]!r}) right of the last column of the header")
            continue
        yield where, dict(zip(header, cells, strict=False))


def read_table(path: Path | str, mapping: Mapping, *, name: str | None = None, sheet: str | None = None,
               encoding: str | None = None, limits: FileLimits | None = None) -> Iterator[tuple[str, Any]]:
    """(location, record, CatalogueError or Notice) of every row of a CSV file or a
    workbook's sheet (`sheet`, else the mapping's, else the first), through `mapping`.

    The file's size, format, container, sheet and header are checked at once (a
    CatalogueError for the whole file); rows are then reported one by one. `name` is how
    locations call the file (its path by default)."""
    path = Path(path)
    name = name or str(path)
    limits = limits or FileLimits()
    check_size(path, name, limits)
    kind = kind_of(path, name)
    if kind == CSV:
        return read_csv_text(path.read_bytes(), mapping, name, encoding)
    found = read_sheet(path, name, kind, sheet or mapping.sheet, limits)
    rows = _sheet_items(found, mapping, name)
    notices = [(name, Notice(n)) for n in found.notices]
    return _then(notices, records_of(mapping, rows))


def _then(first: list[tuple[str, Any]], rest: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    yield from first
    yield from rest


def read_records(path: Path | str, mapping: Mapping | None, *, name: str | None = None, sheet: str | None = None,
                 encoding: str | None = None, limits: FileLimits | None = None) -> Iterator[tuple[str, Any]]:
    """Any import file: a table through `mapping`, or JSON Lines without one."""
    if mapping is not None:
        return read_table(path, mapping, name=name, sheet=sheet, encoding=encoding, limits=limits)
    path = Path(path)
    name = name or str(path)
    check_size(path, name, limits or FileLimits())
    if kind_of(path, name) != CSV or path.suffix.lower() in (".csv", ".tsv", ".xlsx", ".ods", ".xls"):
        raise CatalogueError(f"{name}: a spreadsheet import needs a mapping of its columns (--mapping FILE.toml;"
                             " see the README)")
    return read_jsonl(path, name=name)
