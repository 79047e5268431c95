"""Workbooks written in code for the import tests: .xlsx (openpyxl), .xls (xlwt), .ods
(written by hand: OpenDocument is a zip of XML), and hostile ones (a zip bomb, XML with
a DTD, a formula with a saved value or without)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import xlwt
from openpyxl import Workbook

Rows = list[list[object]]


def xlsx(path: Path, sheets: dict[str, Rows]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def with_saved_value(path: Path, formula: str, value: str) -> Path:
    """The .xlsx with the saved value of a formula openpyxl wrote without one (as a
    spreadsheet program saves it)."""
    rewrite(path, lambda name, data: data.replace(f"<f>{formula}</f><v></v>".encode(),
                                                  f"<f>{formula}</f><v>{value}</v>".encode())
            if name.startswith("xl/worksheets/") else data)
    return path


def rewrite(path: Path, change, extra: dict[str, bytes] | None = None) -> None:
    """Rewrite every member of a zip through `change(name, data)`, adding `extra` members."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            target.writestr(info, change(info.filename, data))
        for name, data in (extra or {}).items():
            target.writestr(name, data)


def xls(path: Path, sheets: dict[str, Rows]) -> Path:
    workbook = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = workbook.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    workbook.save(str(path))
    return path


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>' \
               "</table:table-cell>"
    if isinstance(value, str) and value.startswith("="):
        return f'<table:table-cell table:formula="of:{escape(value)}" office:value-type="float" office:value="2">' \
               "<text:p>2</text:p></table:table-cell>"
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def ods(path: Path, sheets: dict[str, Rows], trailing_rows: int = 0) -> Path:
    """An OpenDocument spreadsheet; `trailing_rows` empty rows repeated at the end of each
    sheet, as LibreOffice writes them."""
    tables = []
    for name, rows in sheets.items():
        body = "".join(f"<table:table-row>{''.join(_ods_cell(v) for v in row)}</table:table-row>" for row in rows)
        if trailing_rows:
            body += f'<table:table-row table:number-rows-repeated="{trailing_rows}"><table:table-cell/>' \
                    "</table:table-row>"
        tables.append(f'<table:table table:name="{escape(name)}">{body}</table:table>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body>'
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def zip_bomb(path: Path, size: int = 40 * 2**20) -> Path:
    """A small zip that unpacks to `size` bytes of zeros, named like a workbook."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return path
