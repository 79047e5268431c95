"""The record contract: valid and invalid examples, messages that name the field path."""

from __future__ import annotations

import json

import pytest

from catalogue import records, schema
from catalogue.errors import ValidationError
from catalogue.service import Catalogue
from tests.recordsamples import make_record


def messages(record: dict) -> list[str]:
    return [str(e) for e in records.validate(records.normalise(record))]


def test_minimal_record_is_valid() -> None:
    assert messages(make_record(id="a-school")) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "spaceport"}, "type: 'spaceport' is not one of"),
        ({"conditions": [{"status": "gone", "sources": ["s1"]}]}, "conditions[0].status: 'gone' is not one of"),
        ({"conditions": [{"status": "destroyed", "date": "Feb 1992", "sources": ["s1"]}]},
         "conditions[0].date: 'Feb 1992' is not an EDTF date"),
        ({"conditions": [{"status": "destroyed", "sources": ["nope"]}]},
         "conditions[0].sources[0]: 'nope' is not the id of a source of this record"),
        ({"period": {"label": "XIV century", "start": 1301, "end": 1400, "sources": ["s1", "nope"]}},
         "period.sources[1]: 'nope' is not the id of a source of this record"),
        ({"names": [{"value": "Xocalı", "lang": "az", "sources": ["nope"]}]},
         "names[0].sources[0]: 'nope' is not the id of a source of this record"),
        ({"quantity": 3, "quantity_sources": ["nope"]},
         "quantity_sources[0]: 'nope' is not the id of a source of this record"),
        ({"title": ""}, "title: is required"),
        ({"quantity": 0, "quantity_sources": ["s1"]}, "quantity: 0 is less than the minimum of 1"),
        ({"quantity": 14}, "quantity_sources: a quantity must cite the source that states it"),
        ({"period": {"start": 1500, "end": 1301}}, "period.end: 1301 is before the start year 1500"),
        ({"colour": "red"}, "'colour' is not a field of this object"),
        ({"place": {"name": "X", "geometry": {"type": "Point", "coordinates": [200, 40]}}},
         "place.geometry: must be a GeoJSON Point or Polygon"),
        ({"names": [{"value": "Xocalı", "lang": "a z"}]}, "names[0].lang: 'a z' does not match"),
        ({"id": "Has Spaces"}, "id: 'Has Spaces' does not match"),
        ({"sources": [{"id": "s1"}]}, "sources[0].citation: is required"),
    ],
)
def test_invalid_records_name_the_field(change: dict, expected: str) -> None:
    found = messages(make_record(**{"id": "x", **change}))
    assert any(expected in m for m in found), found


def test_prepare_derives_condition_from_latest_dated_assessment() -> None:
    record = make_record(
        id="x",
        conditions=[
            {"status": "damaged", "date": "2001", "sources": ["s1"]},
            {"status": "intact", "date": "1980", "sources": ["s1"]},
            {"status": "destroyed", "date": "1992/2023", "sources": ["s1"]},
        ],
    )
    assert records.prepare(record)["condition"] == {"status": "destroyed"}
    assert records.prepare(make_record(id="x", conditions=[]))["condition"] == {"status": "unknown"}


@pytest.mark.parametrize("conditions, status", [
    pytest.param([{"status": "destroyed", "date": "1992"}, {"status": "intact"}], "destroyed", id="dated first"),
    pytest.param([{"status": "intact"}, {"status": "destroyed", "date": "1992"}], "destroyed", id="dated last"),
    pytest.param([{"status": "intact"}, {"status": "damaged"}], "damaged", id="undated: list order"),
    pytest.param([{"status": "at_risk", "date": "2001"}, {"status": "destroyed", "date": "1992"},
                  {"status": "intact"}], "at_risk", id="latest dated"),
])
def test_current_condition_is_the_latest_dated_assessment_before_any_undated_one(
        catalogue: Catalogue, conditions: list[dict], status: str) -> None:
    """An undated assessment cannot be placed in time, so a dated one outranks it."""
    stored = catalogue.create(make_record(conditions=[dict(c, sources=["s1"]) for c in conditions]))
    assert stored["condition"] == {"status": status}
    assert catalogue.search(f"status:{status}").total == 1


def test_prepare_cleans_text_and_drops_system_fields() -> None:
    prepared = records.prepare(make_record(id="x", title="  Scho\x00ol  ", revision=99, notes="", subjects=[]))
    assert prepared["title"] == "School"
    assert "revision" not in prepared and "notes" not in prepared and "subjects" not in prepared
    assert prepared["provenance"] == {"origin": "manual"}


def test_prepare_raises_with_every_problem() -> None:
    with pytest.raises(ValidationError) as info:
        records.prepare({"type": "spaceport", "title": "T", "sources": [SOURCE_WITHOUT_CITATION]})
    paths = {e.path for e in info.value.errors}
    assert {"type", "id", "sources[0].citation"} <= paths


SOURCE_WITHOUT_CITATION = {"id": "s1"}


def test_labels_exist_in_both_languages_for_every_value() -> None:
    for vocab in ("type", "status"):
        values = schema.vocabulary(vocab)
        assert set(schema.labels(vocab, "en")) == set(values)
        assert set(schema.labels(vocab, "az")) == set(values)
    assert schema.labels("type", "az")["school"] == "Məktəb"


def test_required_types_are_in_the_vocabulary() -> None:
    required = {"school", "library", "club", "house_of_culture", "museum", "tomb", "cemetery", "mausoleum",
                "mosque", "church", "monument", "archaeological_site", "other"}
    assert required <= set(schema.vocabulary("type"))


def test_schema_file_is_draft_2020_12() -> None:
    data = json.loads((schema.schemas_dir() / "record.schema.json").read_text(encoding="utf-8"))
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_compiled_and_python_validators_agree() -> None:
    """The compiled validator only answers 'valid'; it must never accept what jsonschema rejects."""
    from jsonschema import Draft202012Validator

    from tests.benchmarks.synthetic import generate

    reference = Draft202012Validator(schema.record_schema(), format_checker=schema._format_checker())
    samples = [records.prepare(r) for r in generate(200, seed=3)]
    bad = [dict(samples[0], type="spaceport"), dict(samples[1], title=""), dict(samples[2], extra=1),
           dict(samples[3], conditions=[{"status": "destroyed", "date": "Feb 1992", "sources": ["x"]}])]
    for record in samples + bad:
        assert schema._fast_validator().is_valid(record) == reference.is_valid(record)


def test_bad_timestamp_is_reported() -> None:
    found = messages(make_record(id="x", provenance={"origin": "harvest", "harvested_at": "yesterday"}))
    assert any(m.startswith("provenance.harvested_at:") for m in found), found
