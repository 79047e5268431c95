"""What a valid record is, at its edges (catalogue.records through `records.prepare`, the one
check every write path uses): each claim's source resolves, with the path and code an editor
or API client sees; text cleaned; numbers made whole; size and depth limits at their bounds;
the current condition of mixed assessments. Found untested by mutation testing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import catalogue
from catalogue import places, records, schema
from catalogue.errors import ValidationError
from tests.recordsamples import SOURCE, make_record


def problems(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(path, message, code) of each problem `prepare` finds in `record`; [] when it is valid."""
    try:
        records.prepare(record)
    except ValidationError as error:
        return [(e.path, str(e).removeprefix(f"{e.path}: "), e.code) for e in error.errors]
    return []


@pytest.mark.parametrize(("change", "path"), [
    ({"conditions": [{"status": "destroyed", "sources": ["s1"]}, {"status": "damaged", "sources": ["s2"]}]},
     "conditions[1].sources[0]"),
    ({"quantity": 2, "quantity_sources": ["s1", "s2"]}, "quantity_sources[1]"),
    ({"period": {"label": "XIV", "start": 1301, "end": 1400, "sources": ["s2"]}}, "period.sources[0]"),
    ({"names": [{"value": "A", "sources": ["s1"]}, {"value": "B", "sources": ["s2"]}]}, "names[1].sources[0]"),
    ({"designations": [{"scheme": "Register", "sources": ["s2"]}]}, "designations[0].sources[0]"),
])
def test_every_claim_whose_source_is_not_the_record_s_is_refused_where_it_is(change: dict, path: str) -> None:
    assert problems(make_record(id="x", **change)) == [
        (path, "'s2' is not the id of a source of this record", "unknown_source")]


def test_claims_citing_the_record_s_sources_are_valid() -> None:
    sources = [dict(SOURCE), dict(SOURCE, id="s2")]
    record = make_record(id="x", sources=sources, quantity=2, quantity_sources=["s2"],
                         period={"label": "XIV", "start": 1301, "end": 1400, "sources": ["s1", "s2"]},
                         names=[{"value": "A", "sources": ["s2"]}], designations=[{"scheme": "R", "sources": ["s1"]}])
    assert problems(record) == []


def test_two_sources_of_one_id_are_refused_at_the_second() -> None:
    sources = [dict(SOURCE), dict(SOURCE, citation="Another")]
    assert problems(make_record(id="x", sources=sources)) == [
        ("sources[1].id", "'s1' is used by another source", "duplicate_source")]
    with pytest.raises(ValidationError) as caught:
        records.prepare(make_record(id="x", sources=sources))
    assert caught.value.errors[0].params == {"value": "s1"}


def test_a_quantity_without_its_source_is_refused() -> None:
    assert problems(make_record(id="x", quantity=3)) == [
        ("quantity_sources", "a quantity must cite the source that states it", "quantity_without_source")]


@pytest.mark.parametrize(("start", "end", "valid"), [(1400, 1301, False), (1301, 1301, True), (1301, 1302, True)])
def test_a_period_may_be_one_year_but_not_run_backwards(start: int, end: int, valid: bool) -> None:
    found = problems(make_record(id="x", period={"label": "p", "start": start, "end": end}))
    assert found == ([] if valid else [("period.end", f"{end} is before the start year {start}", "end_before_start")])


@pytest.mark.parametrize(("place", "expected"), [
    ({"admin_area": "Khojaly district"}, [("place", "a place needs a name, a country or a geometry", "empty_place")]),
    ({"name": "Khojaly"}, []),
    ({"country": "Azerbaijan"}, []),
    ({"geometry": {"type": "Point", "coordinates": [46.79, 39.91]}}, []),
])
def test_a_place_must_say_where(place: dict, expected: list) -> None:
    found = problems(make_record(id="x", place=place))
    assert [p for p in found if p[0].startswith("place")] == expected, found


def test_countries_are_completed_and_a_different_country_given_is_kept_first() -> None:
    prepared = records.prepare(make_record(id="x", place={"country": "Armenia", "countries": [{"code": "AZ"}]}))
    assert prepared["place"]["countries"][0]["name"] == "Armenia"
    assert prepared["place"]["countries"][1] == {"code": "AZ", "name": "Azerbaijan"}
    assert prepared["place"]["country"] == "Armenia"
    same = records.prepare(make_record(id="x", place={"country": "azerbaijan", "countries": [{"code": "AZ"}]}))
    assert len(same["place"]["countries"]) == 1 and same["place"]["country"] == "Azerbaijan"


def test_text_is_cleaned_of_controls_line_ends_and_empty_values() -> None:
    prepared = records.prepare(make_record(
        id="x", title=" Bath\u0085house\x1b[31m ", description="one\r\ntwo\rthree\tfour\x7f",
        subjects=["", "  ", "tomb"], notes="\ufffe", names=[{"value": " "}]))
    assert prepared["title"] == "Bathhouse[31m"
    assert prepared["description"] == "one\ntwo\nthree\tfour"
    assert prepared["subjects"] == ["tomb"]
    assert "notes" not in prepared and "names" not in prepared


def test_text_is_stored_in_composed_form() -> None:
    decomposed = "Xocal\u0131 Cu\u0308mə"  # u + combining diaeresis
    assert records.prepare(make_record(id="x", title=decomposed))["title"] == "Xocalı Cümə"


@pytest.mark.parametrize(("value", "stored"), [(3.0, 3), (3, 3), (1e9, 10**9)])
def test_whole_numbers_sent_as_floats_are_stored_as_integers(value: float, stored: int) -> None:
    prepared = records.prepare(make_record(id="x", quantity=value, quantity_sources=["s1"],
                                           period={"label": "p", "start": 1301.0, "end": 1400}))
    assert prepared["period"]["start"] == 1301 and isinstance(prepared["period"]["start"], int)
    assert prepared["quantity"] == stored and type(prepared["quantity"]) is int


@pytest.mark.parametrize("value", [3.5, 1e9 + 0.5])
def test_a_fractional_or_inexact_number_is_refused_not_rounded(value: float) -> None:
    found = problems(make_record(id="x", quantity=value, quantity_sources=["s1"]))
    assert found and found[0][0] == "quantity", found


def test_system_fields_and_a_written_condition_are_replaced() -> None:
    prepared = records.prepare(make_record(id="x", revision=7, created="1990", modified="1990",
                                           condition={"status": "intact"}))
    assert not {"revision", "created", "modified"} & set(prepared)
    assert prepared["condition"] == {"status": "destroyed"}  # from the assessments, not what was written
    assert prepared["provenance"] == {"origin": "manual"}
    given = {"origin": "harvest", "source_name": "s", "source_identifier": "1"}
    assert records.prepare(make_record(id="x", provenance=given))["provenance"] == given


@pytest.mark.parametrize(("conditions", "status"), [
    ([{"status": "intact", "date": "1980"}, {"status": "destroyed", "date": "1992"}], "destroyed"),
    ([{"status": "destroyed", "date": "1992"}, {"status": "intact", "date": "1980"}], "destroyed"),
    ([{"status": "damaged", "date": "1990/1993"}, {"status": "destroyed", "date": "1992"}], "damaged"),
    ([{"status": "destroyed", "date": "1992"}, {"status": "damaged", "date": "1992"}], "damaged"),
    ([{"status": "intact", "date": "-0500"}, {"status": "damaged"}], "intact"),
    ([{"status": "damaged", "date": "2001"}, {"status": "intact"}, {"status": "at_risk"}], "damaged"),
    ([{"status": "damaged", "date": "1950/.."}, {"status": "destroyed", "date": "1900"}], "damaged"),
    ([{"status": "destroyed", "date": "1900"}, {"status": "damaged", "date": "1950.."}], "damaged"),
])
def test_the_current_condition_is_the_latest_dated_assessment(conditions: list, status: str) -> None:
    record = make_record(id="x", conditions=[dict(c, sources=["s1"]) for c in conditions])
    assert records.prepare(record)["condition"] == {"status": status}


def test_assessments_of_the_wrong_shape_have_an_unknown_condition() -> None:
    assert records.current_status({"conditions": [{"status": "intact", "date": 1992}]}) == "unknown"
    assert records.current_status({"conditions": ["intact"]}) == "unknown"
    assert records.current_status({"conditions": [{"date": "1992"}]}) == "unknown"
    assert records.current_status({}) == "unknown"


def _nested(depth: int) -> dict[str, Any]:
    value: Any = "deep"
    for _ in range(depth - 1):
        value = [value]
    return make_record(id="x", extra=value)


def test_records_nested_32_levels_are_checked_and_deeper_ones_refused_first() -> None:
    assert not records.too_deep(_nested(32)) and not records.too_deep({"a": [[{}]]}, limit=4)
    assert records.too_deep({"a": [[{}]]}, limit=3) and records.too_deep(_nested(33))
    with pytest.raises(ValidationError) as info:
        records.prepare(_nested(33))
    [error] = info.value.errors
    assert (error.path, error.code) == ("", "too_deep")
    assert str(error).endswith("the record nests lists and objects more than 32 levels deep")
    with pytest.raises(ValidationError) as info:  # (32 levels pass that check: `extra` is no field)
        records.prepare(_nested(32))
    assert "too_deep" not in [e.code for e in info.value.errors]
    with pytest.raises(records.TooDeep):  # (counted on the way down: never the stack's end)
        records.normalise(_nested(100_000))


def test_a_record_over_the_size_limit_gets_that_one_error_with_both_sizes() -> None:
    limit = records.max_record_bytes()
    record = make_record(id="x", type="no such type", description="é" * (limit // 2))
    size = len(json.dumps(records.normalise(record), ensure_ascii=False, separators=(",", ":")).encode())
    [error] = records.validate(records.normalise(record))
    assert error.code == "too_large" and size > limit
    assert str(error).endswith(f"the record is {size:,} bytes of JSON; a record may have at most {limit:,}")


@pytest.mark.parametrize("value", [None, [], "record", 3])
def test_anything_but_an_object_is_not_a_record(value: Any) -> None:
    [error] = records.validate(value)
    assert (error.path, error.code, str(error)) == ("", "not_an_object", "a record must be a JSON object")
    with pytest.raises(ValidationError) as info:
        records.prepare(value)
    assert info.value.errors[0].code == "not_an_object"


@pytest.mark.parametrize(("title", "slug"), [
    ("Xocalı Məscidi", "xocali-mescidi"), ("  --The  Old  Bath!--  ", "the-old-bath"), ("Шуша", "shusha"),
    ("a" * 39 + " bc", "a" * 39), ("!!! ???", ""),
])
def test_ids_made_from_titles_are_readable_ascii_slugs(title: str, slug: str) -> None:
    assert records.slugify(title) == slug


def test_new_ids_are_the_slug_and_a_random_suffix_and_valid() -> None:
    first, second = records.new_id("Xocalı Məscidi"), records.new_id("Xocalı Məscidi")
    assert first != second and first.startswith("xocali-mescidi-") and len(first) == len("xocali-mescidi-") + 6
    assert records.new_id("!?").startswith("record-")
    assert records.is_valid_id(first) and records.is_valid_id(records.new_id("!?"))
    assert not records.is_valid_id("Has Spaces") and not records.is_valid_id(None) and not records.is_valid_id("")


def test_fields_are_read_in_the_documented_order_and_unknown_ones_last() -> None:
    fields = ["provenance", "colour", "notes", "id", "title", "sources"]
    assert sorted(fields, key=records.field_rank) == ["id", "title", "sources", "notes", "provenance", "colour"]
    assert records.field_rank("id") == 0 and records.field_rank("colour") == len(records.FIELD_ORDER)


@pytest.mark.parametrize(("extra", "message", "names"), [
    ({"colour": "red"}, "('colour' is not a field of this object)", ["colour"]),
    ({"colour": "red", "size": 3}, "('colour', 'size' are not fields of this object)", ["colour", "size"]),
])
def test_fields_the_schema_does_not_know_are_named(extra: dict, message: str, names: list) -> None:
    assert problems(make_record(id="x", **extra)) == [
        ("", f"Additional properties are not allowed {message}", "additionalProperties")]
    with pytest.raises(ValidationError) as caught:
        records.prepare(make_record(id="x", **extra))
    assert caught.value.errors[0].params == {"names": names}


def test_a_harvest_time_that_is_no_date_time_is_refused_as_such_and_a_good_one_passes() -> None:
    harvested = {"origin": "harvest", "harvested_at": "yesterday"}
    assert problems(make_record(id="x", provenance=harvested)) == [
        ("provenance.harvested_at", "'yesterday' is not a 'date-time'", "format")]
    good = {"origin": "harvest", "harvested_at": "2024-05-01T10:00:00Z"}
    assert [p[0] for p in problems(make_record(id="x", provenance=good, type="nope"))] == ["type"]
    assert problems(make_record(id="x", provenance=good)) == []


def test_a_bad_geometry_gets_one_readable_message() -> None:
    assert problems(make_record(id="x", place={"name": "A", "geometry": {"type": "Point", "coordinates": [1]}})) == [
        ("place.geometry", "must be a GeoJSON Point or Polygon with [longitude, latitude] positions", "geometry")]


def test_a_bad_place_authority_lists_every_problem_in_field_order() -> None:
    with pytest.raises(ValidationError) as caught:
        places.prepare_place({"id": "Bad Id", "names": [{"value": "x", "kind": "nickname"}], "colour": 1})
    assert [(e.path, e.code) for e in caught.value.errors] == [
        ("", "additionalProperties"), ("id", "pattern"), ("names[0].kind", "enum")]
    assert places.prepare_place({"id": "ganja", "names": [{"value": "Ganja"}]})["id"] == "ganja"


STATUSES = ["intact", "damaged", "destroyed", "at_risk", "unknown"]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"conditions": [{"status": "destroyed", "date": "in 1992", "sources": ["s1"]}]},
     ("conditions[0].date", "'in 1992' is not an EDTF date (e.g. 1992, 1992-02, 1992?, 1992/2023)", "edtf",
      {"value": "in 1992"})),
    ({"provenance": {"origin": "harvest", "harvested_at": "yesterday"}},
     ("provenance.harvested_at", "'yesterday' is not a 'date-time'", "format",
      {"value": "yesterday", "format": "date-time"})),
    ({"conditions": [{"status": "gone", "date": "1992", "sources": ["s1"]}]},
     ("conditions[0].status", f"'gone' is not one of {STATUSES}", "enum", {"value": "gone", "allowed": STATUSES})),
    ({"title": 5}, ("title", "5 is not of type 'string'", "type", {"value": 5, "type": "string"})),
    ({"id": "Bad Id"}, ("id", "'Bad Id' does not match '^[a-z0-9][a-z0-9._-]{0,127}$'", "pattern",
                        {"value": "Bad Id", "pattern": "^[a-z0-9][a-z0-9._-]{0,127}$"})),
    ({"quantity": 0, "quantity_sources": ["s1"]},
     ("quantity", "0 is less than the minimum of 1", "minimum", {"value": 0, "limit": 1})),
    ({"period": {"label": "p", "start": 1301, "end": 99999}},
     ("period.end", "99999 is greater than the maximum of 3000", "maximum", {"value": 99999, "limit": 3000})),
    ({"title": ""}, ("title", "must be at least 1 characters long", "minLength", {"limit": 1})),
    ({"title": "x" * 501}, ("title", "must be at most 500 characters long", "maxLength", {"limit": 500})),
    ({"subjects": [f"s{i}" for i in range(201)]},
     ("subjects", "must have at most 200 items", "maxItems", {"limit": 200})),
    ({"conditions": [{"status": "destroyed", "date": "1992", "sources": []}]},
     ("conditions[0].sources", "must have at least 1 items", "minItems", {"limit": 1})),
    ({"place": {"name": "A", "geometry": {"type": "Line"}}},
     ("place.geometry", "must be a GeoJSON Point or Polygon with [longitude, latitude] positions", "geometry", {})),
    ({"sources": [{"citation": "A survey"}]}, ("sources[0].id", "is required", "required", {"name": "id"})),
])
def test_each_kind_of_schema_problem_has_its_code_and_values_for_other_languages(fields: dict, expected: tuple) -> None:
    """What an interface in another language words its message from (`code`, `params`), per kind."""
    fields.setdefault("id", "x")
    found = [(e.path, e.message, e.code, dict(e.params)) for e in records.validate(make_record(**fields))]
    assert found == [expected]


def test_labels_are_in_the_language_asked_english_by_default_and_where_one_is_missing() -> None:
    assert schema.labels("status")["destroyed"] == "Destroyed"
    assert schema.labels("status", "az")["destroyed"] != "Destroyed"
    assert schema.labels("status", "fr") == schema.labels("status", "en")


def _schemas_dir_of_copy(site: Path) -> subprocess.CompletedProcess[str]:
    code = "from catalogue import schema\ntry: print(schema.schemas_dir())\nexcept FileNotFoundError as e: print(e)"
    # -P: the working directory (a checkout) is not put before the copy on the import path
    return subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(site)), check=True)


def test_an_installed_package_reads_the_schemas_it_ships_and_says_when_they_are_missing(tmp_path: Path) -> None:
    """A built wheel has the schemas inside the package (`catalogue/_schemas`), no checkout beside it."""
    package = tmp_path / "catalogue"
    shutil.copytree(Path(catalogue.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(schema.schemas_dir(), package / "_schemas")
    assert _schemas_dir_of_copy(tmp_path).stdout.strip() == str(package / "_schemas")
    shutil.rmtree(package / "_schemas")
    assert _schemas_dir_of_copy(tmp_path).stdout.strip() == \
        "record.schema.json not found: the installation is incomplete"


def test_empty_values_of_every_kind_are_dropped_from_lists_and_objects_alike() -> None:
    """JSON null, [] and {} (an API client's or a spreadsheet's blanks) say nothing, as "" does."""
    prepared = records.prepare(make_record(
        id="x", notes=None, media=[], external_ids=[{}, None, []], subjects=["tomb", None, [], {}, ""],
        place={"name": "Xocalı", "geometry": {}, "countries": [], "admin_area": None},
        provenance={"origin": "manual", "source_name": None, "note": ""}))
    assert {"notes", "media", "external_ids"}.isdisjoint(prepared)
    assert prepared["subjects"] == ["tomb"]
    assert prepared["place"] == {"name": "Xocalı"}
    assert prepared["provenance"] == {"origin": "manual"}


@pytest.mark.parametrize(("value", "shown"), [
    (2.0**53, "9007199254740992 is greater than the maximum of 3000"),
    (2.0**53 + 2, "9007199254740994.0 is greater than the maximum of 3000"),
    (-(2.0**53), "-9007199254740992 is less than the minimum of -100000"),
    (-(2.0**53) - 2, "-9007199254740994.0 is less than the minimum of -100000"),
])
def test_a_float_is_read_as_a_whole_number_only_while_it_holds_one_exactly(value: float, shown: str) -> None:
    """Beyond 2**53 a float no longer tells neighbouring whole numbers apart: it is left as sent."""
    assert problems(make_record(id="x", period={"label": "p", "start": value})) == [
        ("period.start", shown, "maximum" if value > 0 else "minimum")]


@pytest.mark.parametrize(("place", "expected"), [
    ({"countries": [{"code": "AZ"}, {"code": "am"}]},
     {"countries": [{"code": "AZ", "name": "Azerbaijan"}, {"code": "AM", "name": "Armenia"}], "country": "Azerbaijan"}),
    ({"countries": [{"code": "ZZ"}]}, {"countries": [{"code": "ZZ"}], "country": "ZZ"}),
    ({"countries": [{"name": "Atlantis"}]}, {"countries": [{"name": "Atlantis"}], "country": "Atlantis"}),
    ({"country": "az", "countries": [{"code": "AZ"}]},
     {"countries": [{"code": "AZ", "name": "Azerbaijan"}], "country": "Azerbaijan"}),
    ({"country": "AM", "countries": [{"name": "Armenia"}]},
     {"countries": [{"name": "Armenia", "code": "AM"}], "country": "Armenia"}),
    ({"country": "Armenia", "name": "Xocalı"}, {"country": "Armenia", "name": "Xocalı"}),
])
def test_countries_are_completed_and_the_country_is_the_first_of_them(place: dict, expected: dict) -> None:
    """A code or name alone, known or not, in any case; a `country` that is one of them is not repeated."""
    assert records.prepare(make_record(id="x", place=place))["place"] == expected


@pytest.mark.parametrize(("place", "expected"), [
    ({"countries": ["AZ"]}, [("place.countries[0]", "'AZ' is not of type 'object'", "type")]),
    ({"countries": [{"code": 5}]}, [("place.countries[0].code", "5 is not of type 'string'", "type"),
                                    ("place.country", "5 is not of type 'string'", "type")]),
])
def test_countries_of_the_wrong_shape_are_refused_not_completed(place: dict, expected: list) -> None:
    assert problems(make_record(id="x", place=place)) == expected


@pytest.mark.parametrize("country", [5, ["AZ"], {"code": "AZ"}])
def test_a_country_that_is_not_text_is_refused_not_replaced_by_the_countries(country: Any) -> None:
    """A writer's `place.country` of the wrong type is reported, not silently overwritten with
    the first of the `countries` given beside it (nothing a writer sent is dropped)."""
    found = problems(make_record(id="x", place={"country": country, "countries": [{"code": "AZ"}]}))
    assert [(path, code) for path, _, code in found] == [("place.country", "type")], found


def test_a_place_given_only_its_countries_as_the_edit_form_sends_it_says_where() -> None:
    """The edit form checks its other fields with `validate` (no completion): `countries` alone will do."""
    checked = records.normalise(make_record(id="x", place={"countries": [{"code": "AZ"}]}))
    assert records.validate(checked) == []
    assert [e.code for e in records.validate(dict(checked, place={"admin_area": "Ağdam"}))] == ["empty_place"]


def test_a_claim_citing_no_source_of_the_record_and_a_backward_period_carry_their_values() -> None:
    """What an interface in another language words the rule's message from."""
    with pytest.raises(ValidationError) as caught:
        records.prepare(make_record(id="x", quantity=2, quantity_sources=["s9"],
                                    period={"label": "p", "start": 1400, "end": 1301}))
    assert [(e.path, e.code, dict(e.params)) for e in caught.value.errors] == [
        ("quantity_sources[0]", "unknown_source", {"value": "s9"}),
        ("period.end", "end_before_start", {"start": 1400, "end": 1301})]


@pytest.mark.parametrize("period", [{"label": "XIV", "start": 1301}, {"label": "XIV", "end": 1400}, {"label": "XIV"}])
def test_a_period_open_at_either_end_is_valid(period: dict) -> None:
    assert problems(make_record(id="x", period=period)) == []


def test_refusals_of_what_is_no_record_say_why_with_their_values() -> None:
    with pytest.raises(ValidationError) as not_a_record:
        records.prepare(["a", "list"])
    [error] = not_a_record.value.errors
    assert (error.path, str(error), dict(error.params)) == ("", "a record must be a JSON object", {})
    with pytest.raises(ValidationError) as deep:
        records.prepare(_nested(33))
    assert dict(deep.value.errors[0].params) == {"limit": 32}


def test_schema_problems_come_sorted_by_field_then_message() -> None:
    found = [(e.path, e.code) for e in records.validate(records.normalise(make_record(
        id="Bad Id", type="spaceport", title="", names=[{"value": "A", "lang": "a z" * 20}])))]
    assert found == [("id", "pattern"), ("names[0].lang", "pattern"), ("names[0].lang", "maxLength"),
                     ("title", "required"), ("type", "enum")]


@pytest.mark.parametrize("given", ["Atlantis", "None", "XXXX", ""])
def test_a_country_given_that_no_listed_country_is_comes_first_whatever_it_says(given: str) -> None:
    """Matched against the listed countries' names and codes only: a country listed by its code
    alone has no name for `given` to be confused with (an empty `country` says nothing)."""
    place = records.prepare(make_record(id="x", place={"country": given, "countries": [{"code": "ZZ"}]}))["place"]
    listed = [{"name": given}] if given else []
    assert place == {"country": given or "ZZ", "countries": [*listed, {"code": "ZZ"}]}


def test_a_field_of_the_wrong_shape_is_refused_as_it_was_sent() -> None:
    """Whole numbers are made only where the schema has them: a list where the period goes is left alone."""
    assert problems(make_record(id="x", period=[1301.0, 1400.0])) == [
        ("period", "[1301.0, 1400.0] is not of type 'object'", "type")]


def test_a_record_of_exactly_the_size_limit_is_checked_field_by_field_and_a_byte_more_is_not() -> None:
    limit = records.max_record_bytes()
    size = len(json.dumps(records.normalise(make_record(id="x", description="a")), ensure_ascii=False,
                          separators=(",", ":")).encode())
    at_limit = records.normalise(make_record(id="x", description="a" * (limit - size + 1)))
    assert [(e.path, e.code) for e in records.validate(at_limit)] == [("description", "maxLength")]
    over = records.normalise(make_record(id="x", description="a" * (limit - size + 2)))
    assert [(e.path, e.code, dict(e.params)) for e in records.validate(over)] == [
        ("", "too_large", {"size": limit + 1, "limit": limit})]


def test_a_written_condition_is_dropped_even_when_the_assessments_give_none() -> None:
    """`condition` is derived, never taken from the writer: with no valid assessment to derive it
    from, the one written is not kept (nor reported: the assessment's own problem is)."""
    found = problems(make_record(id="x", condition={"status": "restored"},
                                 conditions=[{"status": "gone", "sources": ["s1"]}]))
    assert found == [("conditions[0].status", f"'gone' is not one of {STATUSES}", "enum")]
