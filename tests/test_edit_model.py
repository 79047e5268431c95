"""The record form covers the new fields (designations, countries, languages, web pages),
and the record page shows them, in English and Azerbaijani."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.web import get_catalogue
from tests.archivists import form_fields, signed_in


@pytest.fixture
def editor(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "alice")


def test_a_record_with_designations_countries_languages_and_links_is_made_in_the_form(editor, demo_app):
    data = form_fields(editor.get("/records/new").get_data(as_text=True))
    for group in ("designations", "place.countries", "place.countries", "links"):
        data["add"] = group
        data = form_fields(editor.post("/records/new", data=data).get_data(as_text=True))
    data.pop("add", None)
    data.update({"id": "border-wall", "type": "fortification", "title": "Border wall", "languages": "az, ka",
                 "sources[0].id": "s1", "sources[0].citation": "A register.", "conditions[0].status": "at_risk",
                 "conditions[0].sources": "s1", "designations[0].scheme": "Register",
                 "designations[0].identifier": "12", "designations[0].status": "in_danger",
                 "designations[0].date": "2016", "designations[0].sources": "s1",
                 "place.countries[0].code": "AZ", "place.countries[1].name": "Georgia",
                 "links[0].url": "https://register.example/12", "links[0].label": "Entry",
                 "message": "from a register"})
    response = editor.post("/records/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    with demo_app.app_context():
        record = get_catalogue().get("border-wall")
    assert record["languages"] == ["az", "ka"]
    assert record["place"] == {"country": "Azerbaijan", "countries": [{"code": "AZ", "name": "Azerbaijan"},
                                                                       {"name": "Georgia", "code": "GE"}]}
    assert record["designations"] == [{"scheme": "Register", "identifier": "12", "status": "in_danger",
                                       "date": "2016", "sources": ["s1"]}]
    page = editor.get("/records/border-wall").get_data(as_text=True)
    assert "In danger" in page and "Georgia" in page and 'href="https://register.example/12"' in page
    assert "Georgian <code>ka</code>" in page
    azerbaijani = editor.get("/records/border-wall?lang=az").get_data(as_text=True)
    assert "Təhlükə altında" in azerbaijani and "İstehkam" in azerbaijani
    edit = form_fields(editor.get("/records/border-wall/edit").get_data(as_text=True))
    assert edit["designations[0].status"] == "in_danger" and edit["place.countries[1].name"] == "Georgia"
    assert edit["languages"] == "az, ka"


def test_a_designation_without_its_source_is_an_error_next_to_its_field(editor):
    data = form_fields(editor.get("/records/new").get_data(as_text=True))
    data["add"] = "designations"
    data = form_fields(editor.post("/records/new", data=data).get_data(as_text=True))
    data.pop("add", None)
    data.update({"type": "bridge", "title": "Bridge", "sources[0].id": "s1", "sources[0].citation": "c",
                 "conditions[0].status": "intact", "conditions[0].sources": "s1",
                 "designations[0].scheme": "Register", "message": "m"})
    page = editor.post("/records/new", data=data).get_data(as_text=True)
    assert 'data-for="designations[0].sources"' in page or 'id="error-designations-0"' in page
