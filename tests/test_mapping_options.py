"""Every key of the spreadsheet mapping, through the reader the command line and the web use:
inline tables per column, values, separators, HTML, templates, groups, several rows per
record and coordinates; and a mapping that would drop data refused when it is loaded."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue.errors import CatalogueError, Notice
from catalogue.formats.csvmap import parse_mapping
from harvest.csvfile import read_csv_text

HEAD = ('[record]\nid_column = "id"\ndefault_type = "site"\n[source]\ncitation = "Invented rows for tests."\n'
        '[columns]\n"title" = "title"\n')


def read(columns: str, csv_text: str, head: str = HEAD) -> list[tuple[str, Any]]:
    """(location, record, error or notice) of each line of `csv_text` under a mapping."""
    mapping = parse_mapping(head + columns, "m.toml")
    return list(read_csv_text(csv_text.encode("utf-8"), mapping, "rows.csv"))


def one(columns: str, csv_text: str) -> dict[str, Any]:
    ((_, record),) = [item for item in read(columns, csv_text) if not isinstance(item[1], Notice)]
    assert isinstance(record, dict), record
    return record


def refused(columns: str, head: str = HEAD) -> str:
    with pytest.raises(CatalogueError) as caught:
        parse_mapping(head + columns, "m.toml")
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_several_name_columns_are_all_kept_with_their_language_and_script():
    record = one('"ru" = { field = "names", lang = "ru", script = "Cyrl" }\n'
                 '"ar" = { field = "names", lang = "ar", script = "Arab", kind = "translation" }\n'
                 '"other" = { field = "names", separator = ";" }\n',
                 "id,title,ru,ar,other\nx-1,Fortress,Крепость,قلعة,Fort A; Fort B\n")
    assert record["names"] == [{"value": "Крепость", "lang": "ru", "script": "Cyrl"},
                               {"value": "قلعة", "lang": "ar", "script": "Arab", "kind": "translation"},
                               {"value": "Fort A"}, {"value": "Fort B"}]


@pytest.mark.parametrize("columns, message", [
    ('"a" = "description"\n"b" = "description"\n', "'a' and 'b' both fill 'description'"),
    ('"a" = { field = "title", separator = "," }\n', "holds one value, so a separator would split"),
    ('"a" = { field = "condition.status" }\n"b" = { field = "condition.status" }\n', "both fill 'condition.status'"),
    ('"a" = "place.geometry"\n"b" = "place.latitude"\n', "a place has one geometry"),
    ('"a" = { field = "names", colour = "red" }\n', "unknown option 'colour'"),
    ('"a" = { field = "subjects", lang = "ru" }\n', "option 'lang' does not apply to 'subjects'"),
    ('"a" = { field = "names", lang = "Russian" }\n', "lang 'Russian' is not a BCP 47 tag"),
    ('"a" = { field = "names", script = "cyrillic" }\n', "script 'cyrillic' is not an ISO 15924 code"),
    ('"a" = { field = "condition.status", values = { "1" = "ruined" } }\n', "'ruined', which is not one of"),
    ('"a" = { field = "condition.status", values = { "1" = 1 } }\n', "values '1' must be text"),
    ('"a" = { field = "description", group = "x" }\n', "option 'group' does not apply"),
    ('"a" = { field = "description", strip_html = "yes" }\n', "option 'strip_html' must be true or false"),
    ('"a" = { field = "links", template = "https://x/{" }\n', "is not usable"),
    ('"a" = { field = "names" }\n[separators]\n"b" = ";"\n', "[separators] 'b' is not a column of [columns]"),
])
def test_a_mapping_that_would_lose_data_or_cannot_be_followed_is_refused_when_loaded(columns, message):
    assert message in refused(columns)


def test_values_map_words_to_controlled_values_and_an_empty_value_leaves_the_field_empty():
    columns = ('"flag" = { field = "condition.status", values = { "1" = "at_risk", "0" = "" } }\n'
               '"sure" = { field = "condition.certainty", values = { "yes" = "certain", "maybe" = "possible" } }\n'
               '"kind" = { field = "type", values = { "Kale" = "fortification" } }\n')
    items = read(columns, "id,title,flag,sure,kind\nx-1,A,1,YES,kale\nx-2,B,0,,Palace\nx-3,C,2,,\n")
    first, second, third = (record for _, record in items)
    assert first["conditions"] == [{"status": "at_risk", "certainty": "certain", "sources": ["source"]}]
    assert first["type"] == "fortification" and second["type"] == "palace"
    assert "conditions" not in second and second["condition"] == {"status": "unknown"}
    assert str(third) == "column 'flag': '2' is not one of intact, damaged, destroyed, at_risk, unknown (a values " \
                         "table in the mapping can map the file's words to them)"


def test_strip_html_turns_markup_into_text_without_losing_any_of_it():
    record = one('"d" = { field = "description", strip_html = true }\n',
                 'id,title,d\nx-1,A,"<p>First &amp; <b>bold</b></p><p>Second<br>line <script>x()</script></p>"\n')
    assert record["description"] == "First & bold\n\nSecond\nline"


def test_templates_build_values_from_columns_and_constants_fill_groups():
    columns = ('"page" = { field = "links", template = "https://register.example/{code}", label = "Entry" }\n'
               '"scheme" = { field = "designation.scheme", template = "National register" }\n'
               '"code" = { field = "designation.identifier" }\n')
    with_code, without = (r for _, r in read(columns, "id,title,code\nx-1,A,N 12\nx-2,B,\n"))
    assert with_code["links"] == [{"url": "https://register.example/N 12", "label": "Entry"}]
    assert with_code["designations"] == [{"scheme": "National register", "identifier": "N 12",
                                          "sources": ["source"]}]
    assert "links" not in without and "designations" not in without  # a constant alone makes nothing


def test_several_conditions_per_row_each_from_its_group_of_columns():
    columns = ('"now" = { field = "condition.status" }\n"now_date" = { field = "condition.date" }\n'
               '"then" = { field = "condition.status", group = "past" }\n'
               '"then_date" = { field = "condition.date", group = "past" }\n'
               '"then_note" = { field = "condition.note", group = "past" }\n'
               '"later_note" = { field = "condition.note", group = "later" }\n')
    record = one(columns, "id,title,now,now_date,then,then_date,then_note,later_note\n"
                          "x-1,A,destroyed,2020,damaged,1990,shelled,a note without a status\n")
    assert [(c["status"], c.get("date"), c.get("note")) for c in record["conditions"]] == [
        ("destroyed", "2020", None), ("damaged", "1990", "shelled"), ("unknown", None, "a note without a status")]
    assert record["condition"] == {"status": "destroyed"}


def test_rows_sharing_an_id_merge_in_file_order_and_a_conflict_is_an_error_naming_both_lines():
    columns = '"name" = "names"\n"country" = "place.country"\n"year" = { field = "designation.date" }\n' \
              '"scheme" = { field = "designation.scheme", template = "Register" }\n'
    items = read(columns, "id,title,name,country,year\nx-1,A,Alpha,France,1990\nx-2,B,Beta,,\n"
                          "x-1,,Alfa,Spain,1990\nx-2,Other title,,,\n")
    (where, merged), (where_2, conflict) = items
    assert where == "rows.csv:2 (with line 4)" and where_2 == "rows.csv:3 (with line 5)"
    assert merged["names"] == [{"value": "Alpha"}, {"value": "Alfa"}]
    assert merged["place"]["countries"] == [{"code": "FR", "name": "France"}, {"code": "ES", "name": "Spain"}]
    assert merged["designations"] == [{"scheme": "Register", "date": "1990", "sources": ["source"]}]
    assert str(conflict) == "line 5 gives title 'Other title', but line 3 gave 'B'; a record holds one title"


@pytest.mark.parametrize("cells, expected", [
    ("40.1,46.5,", {"type": "Point", "coordinates": [46.5, 40.1]}),
    ('"40,1","46,5",', {"type": "Point", "coordinates": [46.5, 40.1]}),
])
def test_latitude_and_longitude_columns_become_a_point(cells, expected):
    columns = '"lat" = "place.latitude"\n"lon" = "place.longitude"\n"where" = "place.name"\n'
    assert one(columns, f"id,title,lat,lon,where\nx-1,A,{cells}\n")["place"]["geometry"] == expected


def test_out_of_range_coordinates_are_an_error_and_zero_zero_a_warning():
    columns = '"lat" = "place.latitude"\n"lon" = "place.longitude"\n'
    items = read(columns, "id,title,lat,lon\nx-1,A,95,10\nx-2,B,0,0\nx-3,C,10,-181\nx-4,D,north,10\n")
    assert str(items[0][1]) == "columns 'lat', 'lon': latitude 95 is outside -90 to 90"
    assert isinstance(items[1][1], Notice) and "(0, 0)" in items[1][1]
    assert items[2][1]["place"]["geometry"]["coordinates"] == [0.0, 0.0]
    assert str(items[3][1]) == "columns 'lat', 'lon': longitude -181 is outside -180 to 180"
    assert str(items[4][1]) == "column 'lat': 'north' is not a number (latitude)"


@pytest.mark.parametrize("cell, expected", [
    ("POINT (46.75 39.91)", {"type": "Point", "coordinates": [46.75, 39.91]}),
    ("SRID=4326;POINT Z (46.75 39.91 700)", {"type": "Point", "coordinates": [46.75, 39.91, 700.0]}),
    ("POLYGON ((46 39, 47 39, 47 40, 46 39))",
     {"type": "Polygon", "coordinates": [[[46.0, 39.0], [47.0, 39.0], [47.0, 40.0], [46.0, 39.0]]]}),
    ('{""type"": ""Point"", ""coordinates"": [46.75, 39.91]}', {"type": "Point", "coordinates": [46.75, 39.91]}),
])
def test_one_geometry_column_reads_wkt_and_geojson(cell, expected):
    record = one('"geo" = "place.geometry"\n', f'id,title,geo\nx-1,A,"{cell}"\n')
    assert record["place"]["geometry"] == expected


@pytest.mark.parametrize("cell, message", [
    ("POINT (200 10)", "longitude 200 is outside -180 to 180"),
    ("LINESTRING (1 2, 3 4)", "is neither WKT"),
    ("SRID=3857;POINT (1 2)", "SRID 3857 is not WGS84"),
    ('{""type"": ""Point""}', "not [longitude, latitude] positions"),
])
def test_a_geometry_that_cannot_be_read_is_an_error_of_its_column(cell, message):
    ((_, error),) = read('"geo" = "place.geometry"\n', f'id,title,geo\nx-1,A,"{cell}"\n')
    assert isinstance(error, CatalogueError) and str(error).startswith("column 'geo': ") and message in str(error)


def test_a_place_needs_a_name_a_country_or_a_geometry_not_necessarily_a_name():
    columns = '"country" = "place.country"\n"area" = "place.admin_area"\n'
    country_only, area_only = (r for _, r in read(columns, "id,title,country,area\nx-1,A,Azerbaijan,\nx-2,B,,Upland\n"))
    assert country_only["place"] == {"country": "Azerbaijan"}
    assert str(area_only) == "place: a place needs a name, a country or a geometry"


def test_languages_links_and_external_ids_from_several_columns():
    columns = ('"langs" = { field = "languages", separator = ";" }\n"page" = { field = "links", label = "Page" }\n'
               '"wd" = "external_ids.wikidata"\n"local" = "external_ids.local"\n')
    record = one(columns, "id,title,langs,page,wd,local\nx-1,A,English; Azerbaijani;ru,https://p.example,Q1,L-7\n")
    assert record["languages"] == ["en", "az", "ru"]
    assert record["links"] == [{"url": "https://p.example", "label": "Page"}]
    assert record["external_ids"] == [{"scheme": "wikidata", "value": "Q1"}, {"scheme": "local", "value": "L-7"}]
    ((_, error),) = read('"langs" = "languages"\n', "id,title,langs\nx-1,A,Elvish\n")
    assert str(error) == "column 'langs': 'Elvish' is neither a language code (ISO 639) nor a language name"


def test_a_grouped_object_without_its_key_field_is_an_error_not_dropped():
    ((_, error),) = read('"year" = "designation.date"\n', "id,title,year\nx-1,A,1990\n")
    assert str(error) == "a designation needs its scheme: map a column (or a template) to designation.scheme"
