"""CSV import with a TOML mapping, through `catalogue import FILE.csv --mapping`."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.errors import CatalogueError
from catalogue.formats.csvmap import load_mapping
from harvest.csvfile import read_csv
from harvest.sources import parse_mapping
from tests.conftest import exited_cleanly
from tests.installed import plain_env, run_catalogue

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

EXAMPLES = Path(__file__).resolve().parent.parent / "harvest" / "examples"
MAPPING = """
[record]
id_column = "Id"
[columns]
"Title" = "title"
"Type" = "type"
"Quantity" = "quantity"
"Status" = "condition.status"
"Subjects" = "subjects"
"Lat" = "place.latitude"
"Lon" = "place.longitude"
"Place" = "place.name"
[separators]
"Subjects" = "|"
[types]
"Grabmal" = "tomb"
[source]
citation = "Illustrative spreadsheet, for tests only."
"""
HEADER = "Id,Title,Type,Quantity,Status,Subjects,Lat,Lon,Place\n"


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_example_imports_and_a_second_import_changes_nothing(runner, catalogue):
    args = ["import", str(EXAMPLES / "example.csv"), "--mapping", str(EXAMPLES / "mapping.toml")]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "3 created" in first.output
    record = catalogue.get("example-libraries")
    assert record["quantity"] == 29 and record["subjects"] == ["libraries", "books"]
    assert record["condition"]["status"] == "destroyed" and record["sources"][0]["publisher"] == "AzerNEWS"
    assert record["provenance"] == {"origin": "import", "source_name": "example-spreadsheet",
                                    "source_identifier": "example-libraries"}
    seq = catalogue.store.last_seq()
    second = runner.invoke(args=args)
    assert "0 created, 0 updated, 3 unchanged" in second.output and catalogue.store.last_seq() == seq


def test_bad_rows_are_reported_with_line_and_column_and_good_rows_imported(runner, catalogue, tmp_path, mapping):
    rows = (HEADER
            + "a-1,Good tomb,Grabmal,,damaged,x|y,40.1,46.5,Illustrative place\n"        # line 2
            + "a-2,Bad type,Spaceport,,,,,,\n"                                           # line 3
            + 'a-3,"A title\nover two lines",school,many,,,,,\n'                        # lines 4-5
            + "a-4,Bad status,school,,ruined,,,,\n"                                     # line 6
            + "A 5,Bad id,school,,,,,,\n"                                               # line 7
            + "a-6,,school,,,,,,\n"                                                     # line 8
            + "a-7,Too many,school,,,,,,,extra\n"                                        # line 9
            + "\n"
            + "a-8,Good school,school,3,intact,,,,\n")                                  # line 11
    result = runner.invoke(args=["import", str(write(tmp_path, rows)), "--mapping", str(mapping)])
    assert result.exit_code == 1
    out = result.output
    assert "2 created" in out and "6 failed" in out
    assert "rows.csv:3: column 'Type': type 'Spaceport' is neither" in out
    assert "rows.csv:4: column 'Quantity': 'many' is not a whole number" in out
    assert "rows.csv:6: column 'Status': 'ruined' is not one of" in out
    assert "rows.csv:7: column 'Id': 'a 5' is not an id" in out
    assert "rows.csv:8: column 'Title'" in out
    assert "rows.csv:9: not a CSV row: 10 cells" in out
    good = catalogue.get("a-1")
    assert good["type"] == "tomb" and good["subjects"] == ["x", "y"]
    assert good["place"]["geometry"] == {"type": "Point", "coordinates": [46.5, 40.1]}
    assert catalogue.get("a-8")["quantity_sources"] == ["source"]


def test_utf8_bom_and_explicit_encoding(runner, catalogue, tmp_path, mapping):
    text = HEADER + "b-1,Məktəb,Məktəb,,,,,,\n"
    path = write(tmp_path, "\ufeff" + text)
    assert runner.invoke(args=["import", str(path), "--mapping", str(mapping)]).exit_code == 0
    assert catalogue.get("b-1")["type"] == "school"
    latin = HEADER + "b-2,Café school,school,,,,,,\n"
    path = write(tmp_path, latin, "cp1252")
    result = runner.invoke(args=["import", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 1 and "rows.csv:2: the file is not valid UTF-8 text (byte 0xe9)" in result.output
    assert catalogue.current("b-2") is None
    result = runner.invoke(args=["import", str(path), "--mapping", str(mapping), "--encoding", "cp1252"])
    assert result.exit_code == 0 and catalogue.get("b-2")["title"] == "Café school"


def test_dry_run_stores_nothing(runner, catalogue, tmp_path, mapping):
    path = write(tmp_path, HEADER + "c-1,Dry,school,,,,,,\n")
    result = runner.invoke(args=["import", str(path), "--mapping", str(mapping), "--dry-run"])
    assert result.exit_code == 0 and "1 would be created" in result.output
    assert catalogue.store.last_seq() == 0


@pytest.mark.parametrize("mapping_text, message", [
    ("[columns\n", "not valid TOML"),
    ('[record]\nid_column = "Id"\n[columns]\n"Title" = "colour"\n', "not a field"),
    ('[columns]\n"Title" = "title"\n', "id_column or id_template"),
    ('[record]\nid_column = "Id"\n[columns]\n"Missing" = "title"\n', "no column 'Missing'"),
    ('[record]\nid_column = "Id"\n[columns]\n"Title" = "title"\n[types]\nx = "spaceport"\n', "not a type"),
])
def test_mapping_and_header_problems_are_one_clear_error(runner, tmp_path, mapping_text, message):
    mapping = tmp_path / "bad.toml"
    mapping.write_text(mapping_text, encoding="utf-8")
    result = runner.invoke(args=["import", str(write(tmp_path, HEADER)), "--mapping", str(mapping)])
    assert result.exit_code == 1 and message in result.output and exited_cleanly(result)


def test_missing_citation_and_half_position_are_row_errors(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.replace('citation = "Illustrative spreadsheet, for tests only."', ""),
                       encoding="utf-8")
    path = write(tmp_path, HEADER + "d-1,No source,school,,,,40,,Somewhere\n")
    ((where, error),) = list(read_csv(path, mapping))
    assert where.endswith("rows.csv:2")
    assert "no source citation" in str(error) and "latitude and longitude" in str(error)


ID = '[record]\nid_column = "Id"\n'
COLUMNS = '[columns]\n"Title" = "title"\n'
WRONG_SHAPES = {
    "table without a field": (ID + '[columns]\n"Title" = { lang = "ru" }\n',
                              "[columns] 'Title' needs field = \"...\""),
    "field as a list": (ID + '[columns]\n"Title" = ["title"]\n',
                        "[columns] 'Title' must be a record field name in quotes or an inline table"),
    "field as a number": (ID + '[columns]\n"Title" = 3\n', "[columns] 'Title' must be a record field name"),
    "columns as text": ('columns = "title"\n' + ID, "[columns] must be a table, not text"),
    "columns as a list": (ID + '[[columns]]\n"Title" = "title"\n', "[columns] must be a table, not a list"),
    "record as a list": ('record = ["Id"]\n' + COLUMNS, "[record] must be a table, not a list"),
    "id column as a number": ('[record]\nid_column = 5\n' + COLUMNS,
                              "[record] 'id_column' must be text in quotes, not a number"),
    "id template unbalanced": ('[record]\nid_template = "x-{"\n' + COLUMNS, "id_template 'x-{' is not usable"),
    "id template without a column": ('[record]\nid_template = "fixed"\n' + COLUMNS, "must name columns in braces"),
    "id template with a position": ('[record]\nid_template = "x-{0}"\n' + COLUMNS, "must name columns in braces"),
    "delimiter too long": (ID + 'delimiter = ";;"\n' + COLUMNS, "delimiter must be one character"),
    "delimiter empty": (ID + 'delimiter = ""\n' + COLUMNS, "[record] 'delimiter' is empty"),
    "delimiter a quote": (ID + 'delimiter = \'"\'\n' + COLUMNS, "delimiter must be one character"),
    "source name as true": (ID + "source_name = true\n" + COLUMNS,
                            "'source_name' must be text in quotes, not true/false"),
    "default type unknown": (ID + 'default_type = "spaceport"\n' + COLUMNS,
                             "default_type is 'spaceport', which is not a type"),
    "record key misspelt": ('[record]\nid_colum = "Id"\n' + COLUMNS, "[record] has unknown keys ['id_colum']"),
    "separator empty": (ID + COLUMNS + '[separators]\n"Title" = ""\n', "[separators] 'Title' is empty"),
    "separator as a list": (ID + COLUMNS + '[separators]\n"Title" = ["|"]\n',
                            "[separators] 'Title' must be the text between values in quotes, not a list"),
    "type as a table": (ID + COLUMNS + '[types]\n"x" = { type = "tomb" }\n',
                        "[types] 'x' must be a record type in quotes, not a table"),
    "source date as a date": (ID + COLUMNS + "[source]\ndate = 2025-02-26\n",
                              "[source] 'date' must be text in quotes, not a date or time"),
    "top-level key": ('id_column = "Id"\n' + COLUMNS, "unknown 'id_column' at the top level"),
}


@pytest.mark.parametrize("name", sorted(WRONG_SHAPES))
def test_mapping_values_of_wrong_type_or_shape_are_one_clear_error(tmp_path, name):
    text, message = WRONG_SHAPES[name]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_mapping_loader_crash_is_a_one_line_error_in_the_command(tmp_path):
    """The reported crash (`'dict' object has no attribute 'startswith'`), through the installed command."""
    mapping = tmp_path / "bad.toml"
    mapping.write_text(WRONG_SHAPES["field as a list"][0], encoding="utf-8")
    env = plain_env(tmp_path, CATALOGUE_DATA=str(tmp_path / "data"), CATALOGUE_ENV="development")
    done = run_catalogue(env, "import", str(write(tmp_path, "Id,Title\na,A\n")), "--mapping", str(mapping),
                         cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"Error: {mapping}: [columns] 'Title' must be a record field name in quotes or an "
                           "inline table such as { field = \"names\", lang = \"ru\" }, not a list\n")


@pytest.mark.parametrize("text", ['[types]\n"Wunderkammer" = { type = "museum" }\n', "default_type = 3\n",
                                  'default_type = ["museum"]\n'])
def test_source_mapping_of_wrong_shape_is_one_clear_error(text):
    """The type mapping of a harvest source (`source add --mapping`) refuses the same way."""
    with pytest.raises(CatalogueError, match="which is not a type"):
        parse_mapping(text)
