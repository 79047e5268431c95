"""CSV files of records, read through a TOML mapping of columns to record fields
(`catalogue.formats.csvmap`): the file's encoding, its header and its rows, each row a
record or an error with its line number (`catalogue.formats.maprows` makes the records).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError
from catalogue.formats.csvmap import Mapping, load_mapping
from catalogue.formats.maprows import records_of


def decode(raw: bytes, encoding: str | None, where: str) -> str:
    """Text of the file: UTF-8 with or without BOM (or UTF-16 by BOM) unless `encoding` says
    otherwise. A file that is not valid text in that encoding is refused whole, naming the
    line and byte, so a wrong encoding never imports some rows and garbles or drops others."""
    if encoding is None:
        encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except LookupError as error:
        raise CatalogueError(f"unknown encoding {encoding!r}") from error
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        shown = "UTF-8" if encoding == "utf-8-sig" else encoding
        raise CatalogueError(f"{where}:{line}: the file is not valid {shown} text (byte 0x{raw[error.start]:02x});"
                             " give its encoding, e.g. --encoding cp1252 (or encoding = \"cp1252\" in the"
                             " mapping's [record])") from None


def header_problem(header: list[str], mapping: Mapping, where: str) -> CatalogueError | None:
    """Why a header does not fit the mapping (columns it names are missing), or None."""
    missing = sorted(mapping.needed_columns() - set(header))
    if not missing:
        return None
    return CatalogueError(f"{where}: no column {', '.join(map(repr, missing))} in the header "
                          f"(columns: {', '.join(h for h in header if h)})")


def rows(text: str, mapping: Mapping, where: str) -> Iterator[tuple[str, Any]]:
    """(``where:line``, cells or CatalogueError) of each data row; the header is checked
    before the first row is given (a CatalogueError for the whole file)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CatalogueError(f"{where}: the file is empty") from None
    except csv.Error as error:
        raise CatalogueError(f"{where}:1: {error}") from error
    problem = header_problem(header, mapping, where)
    if problem:
        raise problem
    return _data_rows(reader, header, where)


def _data_rows(reader: Any, header: list[str], where: str) -> Iterator[tuple[str, Any]]:
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield f"{where}:{line}", CatalogueError(f"not a CSV row: {error}")
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            yield f"{where}:{line}", CatalogueError(f"not a CSV row: {len(cells)} cells, but the header has "
                                                    f"{len(header)} columns")
            continue
        yield f"{where}:{line}", dict(zip(header, cells, strict=False))


def read_csv_text(raw: bytes, mapping: Mapping, where: str, encoding: str | None = None
                  ) -> Iterator[tuple[str, Any]]:
    """(``where:line``, record, CatalogueError or Notice) of the CSV bytes `raw`; encoding
    and header problems raise at once."""
    text = decode(raw, encoding or mapping.encoding, where)
    return records_of(mapping, rows(text, mapping, where))


def read_csv(path: Path | str, mapping_path: Path | str, encoding: str | None = None) -> Iterator[tuple[str, Any]]:
    """Yield (``file:line``, record or CatalogueError or Notice) for each data row of a CSV file.

    The mapping, the encoding and the header are checked at once (a CatalogueError for the
    whole file); each record is then built and validated on its own, and a bad one is
    reported with its line number, the column and the reason.
    """
    return read_csv_text(Path(path).read_bytes(), load_mapping(mapping_path), str(path), encoding)
