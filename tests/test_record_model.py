"""The record model for heritage of any kind: types with labels and Getty AAT ids,
designations, languages, links and several countries per place, their rules and limits,
and every format that carries records (native XML, oai_dc both ways, CSV, GeoJSON, JSON-LD,
`catalogue show`)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from catalogue import records
from catalogue.errors import ValidationError
from catalogue.formats import dc, exports, jsonld
from catalogue.formats.native import record_to_xml
from catalogue.formats.oaipmh import OAIRecord
from catalogue.schema import labels, record_schema, vocabulary
from catalogue.web import display
from tests.oaitools import native_schema
from tests.recordsamples import make_record

NEW_TYPES = ("site", "archaeological_site", "historic_building", "religious_building", "fortification", "bridge",
             "palace", "garden_or_landscape", "historic_town", "industrial_heritage", "collection", "archive")
OLD_TYPES = ("school", "library", "club", "house_of_culture", "museum", "tomb", "cemetery", "mausoleum", "mosque",
             "church", "monument", "archaeological_site", "other")


def transboundary() -> dict[str, Any]:
    return records.prepare(make_record(
        id="t-1", type="fortification", title="Wall", languages=["az", "ka"],
        place={"countries": [{"name": "Azerbaijan"}, {"code": "GE"}, {"name": "Elsewhere"}]},
        designations=[{"scheme": "Register", "identifier": "12", "date": "1999", "status": "designated",
                       "sources": ["s1"]},
                      {"scheme": "Register", "date": "2016", "status": "in_danger", "url": "https://r.example/12",
                       "sources": ["s1"]}],
        links=[{"url": "https://page.example/wall", "label": "Entry"}]))


def test_types_for_heritage_in_general_keep_the_old_ones_and_have_labels_and_aat_ids():
    types = vocabulary("type")
    assert set(NEW_TYPES) | set(OLD_TYPES) <= set(types)
    aat = record_schema()["x-aat"]
    for key in types:
        assert labels("type", "en")[key] and labels("type", "az")[key]
        assert key in display.TYPE_COUNTS  # "14 bridges", in both languages
        assert key in aat and (aat[key] is None or (len(aat[key]) == 9 and aat[key].startswith("300")))
    assert aat["archaeological_site"] == "300000810" and aat["bridge"] == "300007836"
    assert (aat["fortification"], aat["mosque"], aat["cemetery"]) == ("300006888", "300007544", "300266755")
    assert aat["other"] is None


def test_readme_type_table_gives_the_schema_aat_id_of_every_type():
    """README's table of types and the schema's x-aat say the same: an id with its label, or not verified."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| type | English / Azerbaijani | AAT |", 1)[1].split("\n\n", 1)[0]
    rows = {key: row for row in table.splitlines() for key in re.findall(r"`([a-z_]+)`", row)}
    aat = record_schema()["x-aat"]
    for key in vocabulary("type"):
        if aat[key]:
            assert re.search(rf"\| {aat[key]} \(.+\) \|$", rows[key]), key
        else:
            assert "not verified" in rows[key] or key == "other", key


def test_countries_are_completed_and_the_first_is_place_country():
    place = transboundary()["place"]
    assert place["countries"] == [{"name": "Azerbaijan", "code": "AZ"}, {"code": "GE", "name": "Georgia"},
                                  {"name": "Elsewhere"}]
    assert place["country"] == "Azerbaijan"
    kept = records.prepare(make_record(id="c-1", place={"country": "Armenia", "countries": [{"code": "ge"}]}))["place"]
    assert kept["countries"] == [{"name": "Armenia", "code": "AM"}, {"code": "GE", "name": "Georgia"}]
    assert kept["country"] == "Armenia"  # a country given beside the list is never dropped
    old = records.prepare(make_record(id="c-1", place={"name": "Khojaly", "country": "Azerbaijan"}))["place"]
    assert old == {"name": "Khojaly", "country": "Azerbaijan"}  # records of before stay as they were


@pytest.mark.parametrize("change, message", [
    ({"place": {"admin_area": "Upland"}}, "place: a place needs a name, a country or a geometry"),
    ({"place": {"countries": [{"code": "XYZ"}]}}, "place.countries[0].code: 'XYZ' does not match"),
    ({"designations": [{"scheme": "R", "sources": ["nope"]}]},
     "designations[0].sources[0]: 'nope' is not the id of a source"),
    ({"designations": [{"scheme": "R", "sources": ["s1"], "status": "gone"}]}, "designations[0].status: 'gone'"),
    ({"designations": [{"scheme": "R", "sources": ["s1"], "date": "in 1990"}]},
     "designations[0].date: 'in 1990' is not an EDTF date"),
    ({"designations": [{"scheme": "R"}]}, "designations[0].sources: is required"),
    ({"languages": ["English"]}, "languages[0]: 'English' does not match"),
    ({"links": [{"label": "no url"}]}, "links[0].url: is required"),
    ({"designations": [{"scheme": "R", "sources": ["s1"]}] * 101}, "designations: must have at most 100 items"),
    ({"languages": ["az"] * 51}, "languages: must have at most 50 items"),
    ({"links": [{"url": "https://x"}] * 101}, "links: must have at most 100 items"),
    ({"place": {"countries": [{"code": "AZ"}] * 51}}, "place.countries: must have at most 50 items"),
    ({"designations": [{"scheme": "R" * 201, "sources": ["s1"]}]}, "designations[0].scheme: must be at most 200"),
])
def test_the_new_fields_have_rules_and_limits(change, message):
    with pytest.raises(ValidationError) as caught:
        records.prepare(make_record(id="r-1", **change))
    assert any(message in str(e) for e in caught.value.errors), caught.value.errors


def test_the_native_format_carries_every_new_field_valid_against_the_xsd():
    element = record_to_xml(dict(transboundary(), revision=1, created="2025-01-01T00:00:00Z",
                                 modified="2025-01-01T00:00:00Z"))
    assert native_schema().validate(etree.fromstring(etree.tostring(element))), native_schema().error_log


def test_oai_dc_gives_languages_links_countries_and_designations():
    statements = dc.fields(transboundary(), "https://catalogue.example/records/t-1")
    assert ("language", "az", None) in statements and ("language", "ka", None) in statements
    assert ("relation", "https://page.example/wall", None) in statements
    coverage = [v for e, v, _ in statements if e == "coverage"]
    assert coverage == ["Azerbaijan", "Georgia", "Elsewhere"]
    assert ("description", "Designation: Register 12 (Designated; 1999).", None) in statements
    assert ("date", "2016", None) in statements


def test_a_harvested_dc_language_is_kept_as_language_codes():
    xml = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>T</dc:title><dc:language>English</dc:language>'
           '<dc:language>az</dc:language><dc:language>eng</dc:language><dc:language>Klingon-ish!</dc:language>'
           "</oai_dc:dc>")
    mapped = dc.dc_to_record(OAIRecord("oai:x:1", "2025-01-01", False, [], etree.fromstring(xml)),
                             dc.Context("src", "Repo", "https://repo.example/oai"))
    assert mapped.record["languages"] == ["en", "az", "eng"]
    assert "Language given by the source: Klingon-ish!." in mapped.record["notes"]


def test_csv_geojson_and_json_ld_carry_the_new_fields():
    record = dict(transboundary(), place=dict(transboundary()["place"], geometry={"type": "Point",
                                                                                 "coordinates": [46, 40]}))
    row = next(csv.DictReader(io.StringIO("".join(exports.csv_lines([record])))))
    assert row["countries"] == "Azerbaijan [AZ] | Georgia [GE] | Elsewhere" and row["country"] == "Azerbaijan"
    assert row["languages"] == "az | ka" and row["links"] == "https://page.example/wall"
    assert row["designations"] == "Register 12 (designated; 1999) | Register (in_danger; 2016)"
    properties = exports.feature(record)["properties"]
    assert properties["countries"] == ["AZ", "GE", "Elsewhere"] and len(properties["designations"]) == 2
    linked = jsonld.record(record, "https://catalogue.example/records/t-1")
    assert linked["inLanguage"] == ["az", "ka"]
    assert linked["subjectOf"] == [{"@type": "WebPage", "url": "https://page.example/wall", "name": "Entry"}]
    assert linked["additionalProperty"][1]["description"] == "in_danger, 2016"
    assert [c.get("identifier") for c in linked["containedInPlace"]["containedInPlace"]] == ["AZ", "GE", None]
    json.dumps(linked)


def test_show_prints_every_field_that_is_set(runner, catalogue):
    record = dict(transboundary(), id="t-2", description="Line one\nline two", subjects=["walls"],
                  names=[{"value": "Qala", "lang": "az", "script": "Latn"}],
                  period={"label": "medieval", "start": 1200},
                  external_ids=[{"scheme": "wikidata", "value": "Q1"}], rights="CC0", notes="A note",
                  media=[{"url": "https://img.example/1.jpg", "caption": "Gate"}],
                  conditions=[{"status": "damaged", "date": "2020", "cause": "weather", "sources": ["s1"]}])
    record["place"] = dict(record["place"], name="Gate hill", geometry={"type": "Point", "coordinates": [46.5, 40.1]})
    catalogue.create(record, user="test")
    out = runner.invoke(args=["show", "t-2"]).output
    for text in ("Wall  [t-2, revision 1]", "type: Fortification (fortification)", "Qala (az, Latn)",
                 "languages: az, ka", "place: Gate hill", "countries: Azerbaijan [AZ], Georgia [GE], Elsewhere",
                 "coordinates: latitude 40.1, longitude 46.5", "period: medieval 1200–…",
                 "2020: Damaged; cause: weather [s1]", "Register 12: Designated 1999 [s1]",
                 "Register: In danger 2016; https://r.example/12 [s1]", "[s1] Test source, 2025.",
                 "Line one", "line two", "subjects: walls", "wikidata: Q1", "https://img.example/1.jpg · Gate",
                 "https://page.example/wall · Entry", "rights: CC0", "notes: A note", "provenance: manual",
                 "condition: damaged", "created: "):
        assert text in out, text
