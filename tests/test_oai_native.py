"""The native record XML format: lossless both ways, valid against schemas/record.xsd,
covering every field of the record schema, and strict about documents of another layout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from catalogue.formats import dc
from catalogue.formats.native import (
    FIELDS,
    NAMESPACE,
    Geometry,
    ListOf,
    NativeFormatError,
    Obj,
    record_to_xml,
    xml_attribute,
    xml_escape,
    xml_text,
    xml_to_record,
)
from catalogue.records import prepare
from catalogue.schema import record_schema
from tests.oaitools import native_schema
from tests.recordsamples import make_record

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogue" / "demo" / "khojaly.jsonl"


def round_trip(record: dict[str, Any]) -> dict[str, Any]:
    text = etree.tostring(record_to_xml(record), encoding="UTF-8")
    parsed = etree.fromstring(text)
    assert native_schema().validate(parsed), native_schema().error_log
    return xml_to_record(parsed)


def full_record() -> dict[str, Any]:
    """A record using every field of the schema, numbers of both kinds, CR/LF in text."""
    return prepare(make_record(
        id="full-1", type="mausoleum", title="Mausoleum <&> “quoted”",
        names=[{"value": "Türbə", "lang": "az", "script": "Latn", "kind": "official", "sources": ["s1"]}],
        languages=["az", "ru"],
        quantity=3, quantity_sources=["s1"],
        place={"name": "Xocalı", "names": [{"value": "Ходжалы", "lang": "ru"}], "admin_area": "Area",
               "country": "Azerbaijan", "countries": [{"code": "AZ", "name": "Azerbaijan"}, {"name": "Elsewhere"}],
               "geometry": {"type": "Polygon", "coordinates": [[[46, 39.5], [46.5, 39.5], [46.5, 40.0], [46, 39.5]]]}},
        period={"label": "14th century", "start": -20, "end": 1400, "sources": ["s1"]},
        conditions=[{"status": "damaged", "date": "1992-02?", "event": "e", "cause": "c", "certainty": "probable",
                     "assessed_by": "a", "method": "m", "note": "line 1\r\nline 2\ttab", "sources": ["s1"]}],
        designations=[{"scheme": "Heritage list", "identifier": "123", "date": "2001", "status": "in_danger",
                       "url": "https://list.example/123", "note": "n", "sources": ["s1"]}],
        sources=[{"id": "s1", "citation": "Cite", "author": "A", "publisher": "P", "date": "2025", "url": "https://x",
                  "pages": "1-2", "type": "book"}],
        description="  inner  spaces kept\n", subjects=["a", "b"],
        external_ids=[{"scheme": "wikidata", "value": "Q1"}],
        media=[{"url": "https://img", "caption": "c", "licence": "CC0", "credit": "me"}],
        links=[{"url": "https://page.example", "label": "Entry"}],
        rights="CC0", notes="n",
        provenance={"origin": "harvest", "source_name": "s", "source_identifier": "oai:x:1",
                    "harvested_at": "2024-01-01T00:00:00Z"},
    )) | {"created": "2024-01-01T00:00:00Z", "modified": "2024-01-02T00:00:00Z", "revision": 4}


def test_every_field_round_trips() -> None:
    record = full_record()
    assert round_trip(record) == record
    point = dict(record, place=dict(record["place"], geometry={"type": "Point", "coordinates": [46.75, 39.9, 700]}))
    assert round_trip(point) == point


def test_demo_collection_round_trips() -> None:
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert round_trip(record) == record


def test_synthetic_records_round_trip() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
    try:
        from synthetic import generate
    finally:
        sys.path.pop(0)
    for record in generate(50, seed=3):
        assert round_trip(record) == record


def _spec_fields(spec: Any) -> dict[str, Any]:
    return dict(spec.fields) if isinstance(spec, Obj) else {}


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its $ref and allOf parts merged in."""
    if "$ref" in node:
        node = _resolve(defs[node["$ref"].split("/")[-1]], defs)
    for part in node.get("allOf", []):
        node = {**node, **_resolve(part, defs)}
    return node


def test_the_format_covers_every_field_of_the_record_schema() -> None:
    """A field added to record.schema.json must get a place in the native format."""
    schema = record_schema()
    defs = schema["$defs"]

    def check(node: dict[str, Any], spec: dict[str, Any], path: str) -> None:
        properties = _resolve(node, defs).get("properties", {})
        assert set(properties) == set(spec), path
        for name, child in properties.items():
            inner = spec[name]
            if isinstance(inner, ListOf):
                check(_resolve(child, defs)["items"], _spec_fields(inner.of), f"{path}.{name}[]")
            elif isinstance(inner, Obj):
                check(child, _spec_fields(inner), f"{path}.{name}")
            else:
                assert isinstance(inner, Geometry) == ("geometry" in child.get("$ref", "")), f"{path}.{name}"

    check(schema, dict(FIELDS), "record")


def test_characters_xml_forbids_are_dropped() -> None:
    record = full_record() | {"notes": "bell\x07 and \ufffe gone", "title": "T\x00itle"}
    element = record_to_xml(record)
    back = xml_to_record(etree.fromstring(etree.tostring(element)))
    assert back["notes"] == "bell and  gone" and back["title"] == "Title"
    dc_text = dc.record_to_dc(record, "https://x/records/full-1")
    assert "\x07" not in dc_text and "\ufffe" not in dc_text


def test_unknown_fields_are_refused_on_output() -> None:
    with pytest.raises(ValueError, match="colour"):
        record_to_xml(full_record() | {"colour": "red"})


@pytest.mark.parametrize(("xml", "message"), [
    ("<other xmlns='urn:x'/>", "expected a <record>"),
    (f"<record xmlns='{NAMESPACE}'><colour>red</colour></record>", "not a field"),
    (f"<record xmlns='{NAMESPACE}'><id>a</id><id>b</id></record>", "more than once"),
    (f"<record xmlns='{NAMESPACE}'><quantity>many</quantity></record>", "not an integer"),
    (f"<record xmlns='{NAMESPACE}'><title><b>x</b></title></record>", "expected text"),
    (f"<record xmlns='{NAMESPACE}'><subjects><x>a</x></subjects></record>", "expected <subject>"),
    (f"<record xmlns='{NAMESPACE}'><place><geometry type='Line'/></place></record>", "geometry"),
    (f"<record xmlns='{NAMESPACE}'><place><geometry type='Point'><position>1 x</position></geometry></place>"
     "</record>", "not a number"),
    (f"<record xmlns='{NAMESPACE}'><title xmlns='urn:other'>x</title></record>", "not in the native namespace"),
])
def test_documents_of_another_layout_are_refused(xml: str, message: str) -> None:
    with pytest.raises(NativeFormatError, match=message):
        xml_to_record(etree.fromstring(xml))


TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=30).map(str.strip) \
    .filter(bool)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, description=TEXT, subjects=st.lists(TEXT, max_size=3),
       coordinates=st.tuples(st.floats(-180, 180), st.floats(-90, 90)))
def test_any_text_and_numbers_survive(title: str, description: str, subjects: list[str],
                                      coordinates: tuple[float, float]) -> None:
    record = prepare(make_record(id="x", title=title, description=description, subjects=subjects,
                                 place={"name": "P", "geometry": {"type": "Point", "coordinates": list(coordinates)}}))
    assert round_trip(record) == record


@settings(max_examples=300)
@given(value=st.text(st.characters(codec=None), max_size=40)
       | st.sampled_from(["a & b", "<x/>", "1 > 0", "cr\rlf\n", "x\ufffey"]))
def test_escaped_text_reads_back_as_the_text_without_the_characters_xml_forbids(value: str) -> None:
    """Element text and attribute values written as text parse back to the value, less only what
    XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/FFFF)."""
    root = etree.fromstring(f'<a b="{xml_attribute(value)}">{xml_escape(value)}</a>'.encode())
    assert (root.text or "") == root.get("b") == xml_text(value)
