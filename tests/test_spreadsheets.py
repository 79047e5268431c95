"""Workbooks as import files: .xlsx, .ods and .xls read alike (sheets by name, numbers and
dates as text), and hostile or broken files refused whole with a clear message, before a
spreadsheet reader opens them and before anything is stored."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from catalogue.errors import CatalogueError, Notice
from catalogue.formats.csvmap import parse_mapping
from catalogue.service import Catalogue
from harvest.sheets import FileLimits
from harvest.tables import read_table
from tests import spreadsheets

MAPPING = parse_mapping('[record]\nid_column = "id"\ndefault_type = "site"\n'
                        '[source]\ncitation = "Invented rows for tests."\n'
                        '[columns]\n"title" = "title"\n"year" = "period.start"\n'
                        '"ru" = { field = "names", lang = "ru" }\n"flag" = { field = "condition.status", '
                        'values = { "1" = "at_risk", "0" = "" } }\n', "m.toml")
HEADER = ["id", "title", "year", "ru", "flag"]
ROWS = [HEADER, ["x-1", "Fortress", 1350, "Крепость", 1], ["x-2", "Bridge", 1420.0, None, 0]]


def items(path: Path, **options: Any) -> list[tuple[str, Any]]:
    return list(read_table(path, MAPPING, **options))


def records(path: Path, **options: Any) -> list[dict[str, Any]]:
    return [r for _, r in items(path, **options) if isinstance(r, dict)]


@pytest.mark.parametrize("write", [spreadsheets.xlsx, spreadsheets.xls, spreadsheets.ods])
def test_each_workbook_format_gives_the_same_records(tmp_path, write):
    path = write(tmp_path / f"book.{write.__name__}", {"register": ROWS})
    first, second = records(path)
    assert (first["title"], first["period"], first["names"]) == ("Fortress", {"start": 1350},
                                                                  [{"value": "Крепость", "lang": "ru"}])
    assert first["condition"] == {"status": "at_risk"} and "conditions" not in second
    assert second["period"] == {"start": 1420}


@pytest.mark.parametrize("write", [spreadsheets.xlsx, spreadsheets.xls, spreadsheets.ods])
def test_a_sheet_is_chosen_by_name_and_an_unknown_one_is_named_with_the_others(tmp_path, write):
    path = write(tmp_path / f"book.{write.__name__}", {"notes": [["nothing here"]], "register": ROWS})
    assert [r["id"] for r in records(path, sheet="register")] == ["x-1", "x-2"]
    with pytest.raises(CatalogueError, match=r"no sheet 'Sheet9' \(sheets: notes, register\)"):
        items(path, sheet="Sheet9")
    with pytest.raises(CatalogueError, match="no column 'flag', 'id', 'ru', 'title', 'year' in the header"):
        items(path)  # the first sheet, which is not the register


def test_the_first_sheet_is_read_and_the_others_are_named_in_a_warning(tmp_path):
    path = spreadsheets.xlsx(tmp_path / "book.xlsx", {"register": ROWS, "old": [["x"]]})
    notice = items(path)[0]
    assert isinstance(notice[1], Notice) and "also has 'old' (choose one with --sheet)" in notice[1]


def test_a_title_row_above_the_header_and_dates_are_read_as_a_spreadsheet_shows_them(tmp_path):
    mapping = parse_mapping('[record]\nid_column = "id"\ndefault_type = "site"\n[source]\ncitation = "c"\n'
                            '[columns]\n"title" = "title"\n"when" = "condition.date"\n', "m.toml")
    path = spreadsheets.xlsx(tmp_path / "book.xlsx", {"s": [["Register export"], [], ["id", "title", "when"],
                                                            ["x-1", "A", datetime.datetime(1992, 2, 26)]]})
    ((where, record),) = list(read_table(path, mapping))
    assert where == f"{path}:4" and record["conditions"][0]["date"] == "1992-02-26"


def test_a_formula_is_never_run_its_saved_value_is_read_and_flagged(tmp_path):
    rows = [HEADER, ["x-1", "Fortress", "=1300+50", None, None]]
    path = spreadsheets.with_saved_value(spreadsheets.xlsx(tmp_path / "f.xlsx", {"register": rows}), "1300+50",
                                         "1350")
    (_, notice), (_, record) = items(path)
    assert isinstance(notice, Notice)
    assert "cell C2 (=1300+50) holds a formula; the value the spreadsheet saved was read" in notice
    assert record["period"] == {"start": 1350}


def test_a_formula_without_a_saved_value_is_an_error_of_its_row(tmp_path):
    path = spreadsheets.xlsx(tmp_path / "f.xlsx", {"register": [HEADER, ["x-1", "Fortress", "=1300+50", None, None],
                                                                ["x-2", "Bridge", 1400, None, None]]})
    (where, error), (_, record) = items(path)
    assert where == f"{path}:2" and isinstance(error, CatalogueError)
    assert "cell C2 (=1300+50) holds a formula with no saved value" in str(error) and record["id"] == "x-2"


def test_macros_are_flagged_and_never_run(tmp_path):
    path = spreadsheets.xlsx(tmp_path / "m.xlsx", {"register": ROWS})
    spreadsheets.rewrite(path, lambda name, data: data, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA"})
    assert "the workbook holds macros; they were not run" in [str(r) for _, r in items(path)]


def test_an_ods_says_how_many_formulas_it_holds_and_trailing_empty_rows_cost_nothing(tmp_path):
    path = spreadsheets.ods(tmp_path / "b.ods", {"register": [HEADER, ["x-1", "A", "=1+1", None, None]]},
                            trailing_rows=1_048_000)
    found = items(path)
    assert "1 cell(s) hold formulas; the values the spreadsheet saved were read" in [str(r) for _, r in found]
    assert [r["period"] for _, r in found if isinstance(r, dict)] == [{"start": 2}]


@pytest.mark.parametrize("make, message", [
    (lambda p: spreadsheets.zip_bomb(p), "a ratio no spreadsheet has; it is refused unread (a zip bomb?)"),
    (lambda p: spreadsheets.rewrite(spreadsheets.xlsx(p, {"s": ROWS}),
                                    lambda n, d: d.replace(b"<workbook", b'<!DOCTYPE x [<!ENTITY a "b">]><workbook', 1)
                                    if n == "xl/workbook.xml" else d),
     "declares a DTD or entities, which spreadsheets never write"),
    (lambda p: p.write_bytes(b"<html><table><tr><td>id</td></tr></table></html>"),
     "not a spreadsheet workbook, though named like one (it is an HTML page)"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "not a readable workbook"),
])
def test_a_hostile_or_broken_workbook_is_refused_whole_before_a_reader_opens_it(tmp_path, make, message):
    path = tmp_path / "book.xlsx"
    make(path)
    catalogue = Catalogue(tmp_path / "data", with_index=False)
    with pytest.raises(CatalogueError) as caught:
        catalogue.import_records(read_table(path, MAPPING))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert catalogue.is_empty()


def test_unpacked_and_stored_sizes_have_configured_limits(tmp_path):
    path = spreadsheets.xlsx(tmp_path / "book.xlsx", {"register": ROWS})
    with pytest.raises(CatalogueError, match=r"unpacks to [\d,]+ bytes, more than the 1,000 allowed "
                                             r"\(IMPORT_MAX_UNPACKED_BYTES\)"):
        items(path, limits=FileLimits(max_unpacked=1000))
    with pytest.raises(CatalogueError, match=r"the file is [\d,]+ bytes, more than the 100 allowed"):
        items(path, limits=FileLimits(max_bytes=100))
    assert FileLimits.from_config({"IMPORT_MAX_BYTES": "2048"}).max_bytes == 2048
    with pytest.raises(CatalogueError, match="IMPORT_MAX_BYTES must be a whole number"):
        FileLimits.from_config({"IMPORT_MAX_BYTES": "lots"})
