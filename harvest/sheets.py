"""Spreadsheet workbooks as rows of text cells: .xlsx (openpyxl) and .ods and .xls
(python-calamine, a maintained reader of both), checked before a reader opens them.

A workbook is untrusted input: its size is limited, a zip container (xlsx, ods) is refused
when it would unpack beyond `FileLimits.max_unpacked` or at a ratio no spreadsheet has (a
zip bomb renamed .xlsx), and XML with a DTD (which spreadsheets never write) is refused.
Formulas are never evaluated: the value the spreadsheet program saved is read and the cell
is flagged; a formula without a saved value is an error on its row. Macros are never run
(a workbook holding them is flagged).
"""

from __future__ import annotations

import datetime
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError

#: The largest ratio of unpacked to packed size of one member of a workbook over
#: `RATIO_FROM` bytes: spreadsheet XML packs 5 to 50 times; zip bombs, thousands of times.
MAX_RATIO = 200
RATIO_FROM = 10 * 2**20
#: Most members a workbook's zip container may have.
MAX_MEMBERS = 10_000
XLSX, ODS, XLS, CSV = "xlsx", "ods", "xls", "csv"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_VBA = "_VBA_PROJECT".encode("utf-16-le")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass(frozen=True)
class FileLimits:
    """What an imported file may be: `max_bytes` as stored, `max_unpacked` bytes unpacked
    (the members of an xlsx or ods zip container together)."""

    max_bytes: int = 50 * 2**20
    max_unpacked: int = 1024 * 2**20

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FileLimits:
        """The ``IMPORT_MAX_BYTES`` and ``IMPORT_MAX_UNPACKED_BYTES`` settings."""
        values = {}
        for key, name in (("max_bytes", "IMPORT_MAX_BYTES"), ("max_unpacked", "IMPORT_MAX_UNPACKED_BYTES")):
            raw = config.get(name, getattr(cls, key))
            try:
                values[key] = int(raw)
            except (TypeError, ValueError):
                raise CatalogueError(f"the setting {name} must be a whole number of bytes, not {raw!r}") from None
            if values[key] < 1:
                raise CatalogueError(f"the setting {name} must be at least 1")
        return cls(**values)


@dataclass
class Sheet:
    """The rows of one sheet: (row number, cells as text, problem or None), and notices
    about the whole workbook (the sheet read, formulas, macros)."""

    name: str
    rows: list[tuple[int, list[str], str | None]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def kind_of(path: Path, name: str) -> str:
    """The format of a file by its first bytes (a renamed file is read as what it is), and by
    its name for text: xlsx, ods, xls or csv."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        with _zip(path, name) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIME:
                return ODS
            if "xl/workbook.xml" in names:
                return XLSX
        raise CatalogueError(f"{name}: a zip file, but neither an .xlsx nor an .ods workbook")
    if head.startswith(_OLE):
        return XLS
    if name.lower().endswith((".xlsx", ".xlsm", ".ods", ".xls")):
        html = head.lstrip().startswith((b"<", b"\xef\xbb\xbf<"))
        looks = "an HTML page" if html else "text or another format"
        raise CatalogueError(f"{name}: not a spreadsheet workbook, though named like one (it is {looks}); "
                             "save it from the spreadsheet program as .xlsx, .ods or .csv")
    return CSV


def _zip(path: Path, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CatalogueError(f"{name}: not a readable workbook ({error})") from None


def check_container(path: Path, name: str, limits: FileLimits) -> None:
    """Refuse a zip container that unpacks too far or too steeply, or holds XML with a DTD,
    before any spreadsheet reader opens it."""
    with _zip(path, name) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise CatalogueError(f"{name}: the workbook has {len(members):,} parts; a spreadsheet has far fewer")
        total = sum(m.file_size for m in members)
        if total > limits.max_unpacked:
            raise CatalogueError(f"{name}: the workbook unpacks to {total:,} bytes, more than the "
                                 f"{limits.max_unpacked:,} allowed (IMPORT_MAX_UNPACKED_BYTES); it is refused "
                                 "unread (a zip bomb?)")
        for member in members:
            if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise CatalogueError(f"{name}: part {member.filename!r} unpacks {member.file_size:,} bytes from "
                                     f"{member.compress_size:,}, a ratio no spreadsheet has; it is refused unread "
                                     "(a zip bomb?)")
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as handle:
                    head = handle.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise CatalogueError(f"{name}: part {member.filename!r} declares a DTD or entities, which "
                                         "spreadsheets never write; the file is refused unread")


def text(value: Any) -> str:
    """A cell's value as the text an import reads: whole numbers without ``.0``, dates as
    ISO 8601 (``1979-10-26``; a time only when there is one), true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        shown = repr(value)
        return format(value, "f").rstrip("0") if "e" in shown else shown
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _pick(names: list[str], wanted: str | None, name: str) -> tuple[str, list[str]]:
    """The sheet to read (`wanted`, else the first) and a notice when there were others."""
    if not names:
        raise CatalogueError(f"{name}: the workbook has no sheets")
    if wanted is not None:
        if wanted not in names:
            raise CatalogueError(f"{name}: no sheet {wanted!r} (sheets: {', '.join(names)})")
        return wanted, []
    others = names[1:]
    notices = [f"read the first sheet, {names[0]!r}; the workbook also has {', '.join(map(repr, others))} "
               "(choose one with --sheet)"] if others else []
    return names[0], notices


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_xlsx(path: Path, name: str, sheet: str | None) -> Sheet:
    """The rows of an .xlsx sheet (openpyxl, read-only, saved values only), each formula cell
    flagged on its row."""
    # openpyxl warns about workbook features it does not read (styles, validations): not ours to report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from openpyxl import load_workbook  # deferred: only an .xlsx import loads openpyxl

        try:
            values = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise CatalogueError(f"{name}: not a readable .xlsx workbook ({type(error).__name__}: {error})") from None
        try:
            chosen, notices = _pick(values.sheetnames, sheet, name)
            result = Sheet(chosen, notices=notices)
            if values.vba_archive is not None or _has_member(path, "xl/vbaProject.bin"):
                result.notices.append("the workbook holds macros; they were not run")
            formulas = _formula_cells(path, chosen) if _sheet_has_formulas(path, values, chosen) else {}
            worksheet = values[chosen]
            worksheet.reset_dimensions()
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [text(v) for v in row]
                result.rows.append((number, cells, _formula_problem(formulas.get(number), cells, result, number)))
        finally:
            values.close()
    return result


def _has_member(path: Path, member: str) -> bool:
    with zipfile.ZipFile(path) as archive:
        return member in archive.namelist()


def _sheet_has_formulas(path: Path, workbook: Any, sheet: str) -> bool:
    """Whether the sheet's XML holds a formula element (read only when it does)."""
    part = workbook[sheet]._worksheet_path if hasattr(workbook[sheet], "_worksheet_path") else None
    with zipfile.ZipFile(path) as archive:
        names = [part] if part else [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for member in names:
            with archive.open(member) as handle:
                while chunk := handle.read(2**20):
                    if b"<f>" in chunk or b"<f " in chunk or b":f>" in chunk or b":f " in chunk:
                        return True
    return False


def _formula_cells(path: Path, sheet: str) -> dict[int, dict[int, str]]:
    """The formulas of a sheet: row number -> column index -> formula text."""
    from openpyxl import load_workbook  # deferred: only an .xlsx import with formulas loads it twice

    found: dict[int, dict[int, str]] = {}
    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        worksheet = workbook[sheet]
        worksheet.reset_dimensions()
        for number, row in enumerate(worksheet.iter_rows(), start=1):
            for index, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    found.setdefault(number, {})[index] = str(getattr(cell.value, "text", cell.value))
    finally:
        workbook.close()
    return found


def _formula_problem(formulas: dict[int, str] | None, cells: list[str], sheet: Sheet, number: int) -> str | None:
    """A formula without a saved value is the row's problem; one with a value is a notice."""
    if not formulas:
        return None
    missing = [f"{_column_letter(i)}{number} ({f})" for i, f in formulas.items() if i >= len(cells) or not cells[i]]
    if missing:
        return (f"cell {', '.join(missing)} holds a formula with no saved value; open and save the file in a "
                "spreadsheet program (or replace the formula by its value) and import it again")
    shown = ", ".join(f"{_column_letter(i)}{number} ({f})" for i, f in formulas.items())
    sheet.notices.append(f"row {number}: cell {shown} holds a formula; the value the spreadsheet saved was read")
    return None


def read_calamine(path: Path, name: str, sheet: str | None, kind: str) -> Sheet:
    """The rows of an .ods or .xls sheet (python-calamine: saved values, no formula is run)."""
    from python_calamine import CalamineWorkbook  # deferred: only .ods and .xls imports load it

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own kinds for a broken file
        raise CatalogueError(f"{name}: not a readable .{kind} workbook ({type(error).__name__}: {error})") from None
    try:
        chosen, notices = _pick(list(workbook.sheet_names), sheet, name)
        result = Sheet(chosen, notices=notices)
        result.notices += _calamine_notices(path, kind)
        data = workbook.get_sheet_by_name(chosen)
        first_row = (data.start or (0, 0))[0] + 1 if data.height else 1
        first_col = (data.start or (0, 0))[1] if data.height else 0
        for offset, row in enumerate(data.iter_rows()):
            result.rows.append((first_row + offset, [""] * first_col + [text(v) for v in row], None))
    except CatalogueError:
        raise
    except Exception as error:
        raise CatalogueError(f"{name}: not a readable .{kind} workbook ({type(error).__name__}: {error})") from None
    finally:
        workbook.close()
    return result


def _calamine_notices(path: Path, kind: str) -> list[str]:
    """Formulas (an .ods says where it has them) and macros of a workbook calamine reads."""
    notices = []
    if kind == ODS:
        with zipfile.ZipFile(path) as archive:
            count = 0
            if "content.xml" in archive.namelist():
                with archive.open("content.xml") as handle:
                    while chunk := handle.read(2**20):
                        count += chunk.count(b"table:formula=")
            if any(n.startswith("Basic/") for n in archive.namelist()):
                notices.append("the workbook holds macros; they were not run")
        if count:
            notices.append(f"{count} cell(s) hold formulas; the values the spreadsheet saved were read")
    else:
        with open(path, "rb") as handle:
            if _VBA in handle.read():
                notices.append("the workbook holds macros; they were not run")
        notices.append("an .xls file does not tell formulas from values: the values the spreadsheet saved were read")
    return notices


def read_sheet(path: Path, name: str, kind: str, sheet: str | None, limits: FileLimits) -> Sheet:
    """The rows of a workbook's sheet, after the checks of `check_container`."""
    if kind in (XLSX, ODS):
        check_container(path, name, limits)
    if kind == XLSX:
        return read_xlsx(path, name, sheet)
    return read_calamine(path, name, sheet, kind)
