"""Validation errors in the UI language: the Azerbaijani record form words each problem
in Azerbaijani next to its field, the English form keeps the checker's English messages,
and the CLI and API (which speak English) are unchanged by the codes errors now carry."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import records
from catalogue.errors import FieldError, ValidationError
from catalogue.web import field_messages
from tests.archivists import form_fields, signed_in

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

STATUSES = "intact, damaged, destroyed, at_risk, unknown"


def _page(response) -> str:
    return response.get_data(as_text=True)


def _field_error(page: str, key: str) -> str:
    match = re.search(rf'<span class="error field-error"[^>]*data-for="{re.escape(key)}">([^<]*)</span>', page)
    return html.unescape(match.group(1)) if match else ""


def _editor(app: Flask, lang: str) -> FlaskClient:
    client = signed_in(app, f"editor-{lang}")
    client.get(f"/?lang={lang}")
    return client


def _post(client: FlaskClient, **fields: str):
    data = form_fields(_page(client.get("/records/new")))
    data.update({"type": "mosque", "title": "Juma mosque", "sources[0].id": "s1", "sources[0].citation": "A report.",
                 "conditions[0].status": "destroyed", "conditions[0].sources": "s1", "message": "from a report"})
    data.update(fields)
    response = client.post("/records/new", data=data)
    assert response.status_code == 422
    return _page(response)


SCHEMA_PROBLEMS = {"title": "", "conditions[0].status": "gone", "conditions[0].date": "February 1992"}


def test_azerbaijani_form_words_schema_errors_in_azerbaijani(demo_app: Flask) -> None:
    page = _post(_editor(demo_app, "az"), **SCHEMA_PROBLEMS)
    assert _field_error(page, "title") == "doldurulmalıdır"
    assert _field_error(page, "conditions[0].status") == f"'gone' icazə verilən dəyərlərdən biri deyil: {STATUSES}"
    assert _field_error(page, "conditions[0].date") == \
        "'February 1992' EDTF tarixi deyil (məs. 1992, 1992-02, 1992?, 1992/2023)"
    summary = html.unescape(page.split('id="error-summary"')[1].split("</div>")[0])
    assert "<code>title</code>: doldurulmalıdır" in summary and "is required" not in summary


def test_azerbaijani_form_words_an_unknown_source_in_azerbaijani(demo_app: Flask) -> None:
    page = _post(_editor(demo_app, "az"), **{"conditions[0].sources": "s1, nope"})
    assert _field_error(page, "conditions[0].sources") == "'nope' bu qeydin heç bir mənbəyinin identifikatoru deyil"
    assert "is not the id of a source" not in page


def test_english_form_keeps_the_english_messages(demo_app: Flask) -> None:
    client = _editor(demo_app, "en")
    page = _post(client, **SCHEMA_PROBLEMS)
    assert _field_error(page, "title") == "is required"
    assert _field_error(page, "conditions[0].status") == \
        "'gone' is not one of ['intact', 'damaged', 'destroyed', 'at_risk', 'unknown']"
    assert _field_error(page, "conditions[0].date") == \
        "'February 1992' is not an EDTF date (e.g. 1992, 1992-02, 1992?, 1992/2023)"
    page = _post(client, **{"conditions[0].sources": "nope"})
    assert _field_error(page, "conditions[0].sources") == "'nope' is not the id of a source of this record"


#: Records with one problem of each kind the checker has a code for.
BASE = {"id": "r", "type": "mosque", "title": "T", "sources": [{"id": "s", "citation": "c"}],
        "conditions": [{"status": "destroyed", "sources": ["s"]}]}
BROKEN = {
    "required": {"title": None},
    "enum": {"type": "gone"},
    "type": {"subjects": "one"},
    "edtf": {"conditions": [{"status": "destroyed", "sources": ["s"], "date": "soon"}]},
    "pattern": {"id": "Not An Id"},
    "minimum": {"quantity": 0, "quantity_sources": ["s"]},
    "maximum": {"period": {"start": 99999}},
    "minLength": {"title": ""},
    "maxLength": {"title": "x" * 5000},
    "additionalProperties": {"colour": "red"},
    "geometry": {"place": {"geometry": {"type": "Point"}}},
    "duplicate_source": {"sources": [{"id": "s", "citation": "c"}, {"id": "s", "citation": "d"}]},
    "unknown_source": {"quantity": 3, "quantity_sources": ["nope"]},
    "quantity_without_source": {"quantity": 3},
    "end_before_start": {"period": {"start": 1990, "end": 1980}},
}


def _errors(change: dict) -> list[FieldError]:
    record = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    return records.validate(record)


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_each_kind_of_problem_has_a_code_and_an_azerbaijani_text(app: Flask, code: str) -> None:
    errors = [e for e in _errors(BROKEN[code]) if e.code == code]
    assert errors, _errors(BROKEN[code])
    with app.test_request_context("/?lang=az"):
        azerbaijani = [field_messages.text(e) for e in errors]
    with app.test_request_context("/?lang=en"):
        english = [field_messages.text(e) for e in errors]
    assert english == [e.message for e in errors]
    assert all(text and text != e.message and "%(" not in text for text, e in zip(azerbaijani, errors, strict=True))


def test_codes_leave_messages_equality_and_the_api_unchanged(client: FlaskClient) -> None:
    error = records.validate({**BASE, "type": "gone"})[0]
    assert error == FieldError("type", error.message) and str(error) == f"type: {error.message}"
    assert (error.code, error.params["value"]) == ("enum", "gone")
    with pytest.raises(ValidationError) as raised:
        records.prepare({**BASE, "title": ""})
    assert str(raised.value) == "title: is required"


def test_an_unknown_code_or_ill_fitting_params_fall_back_to_english(app: Flask) -> None:
    with app.test_request_context("/?lang=az"):
        english = '<span lang="en">English only</span>'
        assert field_messages.text(FieldError("x", "English only", "no_such_code")) == english
        assert field_messages.text(FieldError("x", "English only", "enum", {"value": 1})) == english
        located = field_messages.located(FieldError("x", "<b>", "no_such_code"))
        assert located == '<code>x</code>: <span lang="en">&lt;b&gt;</span>'
        assert field_messages.located(FieldError("", "is required", "required")) == "doldurulmalıdır"
    with app.test_request_context("/?lang=en"):
        assert field_messages.text(FieldError("x", "English only", "no_such_code")) == "English only"


def test_write_api_errors_stay_english_even_when_azerbaijani_is_asked_for(demo_app: Flask) -> None:
    """The API takes no language: its problem details keep the English path and message only."""
    result = demo_app.test_cli_runner().invoke(args=["token", "create", "importer", "--role", "archivist"])
    headers = {"Authorization": f"Bearer {result.stdout.strip()}", "Accept-Language": "az"}
    bad = {**BASE, "id": "juma", "type": "gone"}
    response = demo_app.test_client().post("/api/records?lang=az", json=bad, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"] == [{"path": "type", "message": _errors({"type": "gone"})[0].message}]
    assert response.json["errors"][0]["message"].startswith("'gone' is not one of [")
