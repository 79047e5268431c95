"""Validation errors worded for people in the UI language: the record form words each
problem as a sentence next to its field, in English as in Azerbaijani, names the field by
its label in the error summary (not ``sources: is required``), and the CLI and API (which
speak English, in the terms of the record model) are unchanged by the codes errors carry."""

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

STATUSES = "Salamat, Zədələnmiş, Dağıdılmış, Təhlükə altında, Naməlum"


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


def _summary(page: str) -> str:
    return html.unescape(page.split('id="error-summary"')[1].split("</div>")[0])


def test_azerbaijani_form_words_schema_errors_in_azerbaijani(demo_app: Flask) -> None:
    page = _post(_editor(demo_app, "az"), **SCHEMA_PROBLEMS)
    assert _field_error(page, "title") == "Bu sahə doldurulmalıdır."
    assert _field_error(page, "conditions[0].status") == f"'gone' seçimlərdən biri deyil: {STATUSES}."
    assert _field_error(page, "conditions[0].date") == \
        "'February 1992' kataloqun oxuya bildiyi tarix deyil: il (1992), ay (1992-02), dəqiq olmayan il (1992?) " \
        "və ya aralıq (1992/2023) yazın."
    summary = _summary(page)
    assert '<span class="field-name">Başlıq</span>: Bu sahə doldurulmalıdır.' in summary
    assert '<span class="field-name">Qiymətləndirmə 1 › Status</span>: ' in summary
    assert "<code>" not in summary and "is required" not in summary


def test_azerbaijani_form_words_an_unknown_source_in_azerbaijani(demo_app: Flask) -> None:
    page = _post(_editor(demo_app, "az"), **{"conditions[0].sources": "s1, nope"})
    assert _field_error(page, "conditions[0].sources") == \
        "'nope' bu qeydin mənbələri arasında yoxdur: onu «Mənbələr» bölməsinə əlavə edin və ya işarəsini götürün."
    assert "is not the id of a source" not in page and "is not among the sources" not in page


def test_english_form_words_problems_for_people(demo_app: Flask) -> None:
    """Sentences, not the checker's terms: no "is required" after a field path, no Python list
    of codes, no ``conditions[0].sources`` in the summary."""
    client = _editor(demo_app, "en")
    page = _post(client, **SCHEMA_PROBLEMS)
    assert _field_error(page, "title") == "Fill this in: it is required."
    assert _field_error(page, "conditions[0].status") == \
        "'gone' is not one of the choices: Intact, Damaged, Destroyed, At risk, Unknown."
    assert _field_error(page, "conditions[0].date") == \
        "'February 1992' is not a date the catalogue can read: write a year (1992), a month (1992-02), " \
        "an uncertain year (1992?) or a range (1992/2023)."
    summary = _summary(page)
    assert '<a href="#f-title"><span class="field-name">Title</span>: Fill this in: it is required.</a>' in summary
    assert '<span class="field-name">Assessment 1 › Date</span>: ' in summary and "<code>" not in summary
    page = _post(client, **{"conditions[0].sources": "nope"})
    assert _field_error(page, "conditions[0].sources") == \
        "'nope' is not among the sources of this record: add it under Sources, or untick it."
    page = _post(client, **{"conditions[0].sources": "", "sources[0].citation": "", "sources[0].id": ""})
    assert _field_error(page, "conditions[0].sources") == \
        "Tick at least one source that states this (add it under Sources above first)."
    assert "Add at least one source: every record rests on the sources that describe it." in _summary(page)
    assert "is required" not in _summary(page)


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
    assert all(text != e.message and text.endswith(".") and "%(" not in text
               for text, e in zip(english, errors, strict=True)), english
    assert all(text and text not in english and "%(" not in text for text in azerbaijani), azerbaijani


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
        assert field_messages.located(FieldError("", "is required", "required")) == "Bu sahə doldurulmalıdır."
    with app.test_request_context("/?lang=en"):
        assert field_messages.text(FieldError("x", "English only", "no_such_code")) == "English only"
        assert field_messages.located(FieldError("conditions[1].sources", "is required", "required")) == \
            '<span class="field-name">Assessment 2 › Sources</span>: Tick at least one source that states this ' \
            '(add it under Sources above first).'
        assert field_messages.located(FieldError("place.geometry.coordinates", "x", "geometry")).startswith(
            '<span class="field-name">Geometry</span>: Give a GeoJSON Point')


def test_write_api_errors_stay_english_even_when_azerbaijani_is_asked_for(demo_app: Flask) -> None:
    """The API takes no language: its problem details keep the English path and message only."""
    result = demo_app.test_cli_runner().invoke(args=["token", "create", "importer", "--role", "archivist"])
    headers = {"Authorization": f"Bearer {result.stdout.strip()}", "Accept-Language": "az"}
    bad = {**BASE, "id": "juma", "type": "gone"}
    response = demo_app.test_client().post("/api/records?lang=az", json=bad, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"] == [{"path": "type", "message": _errors({"type": "gone"})[0].message}]
    assert response.json["errors"][0]["message"].startswith("'gone' is not one of [")
