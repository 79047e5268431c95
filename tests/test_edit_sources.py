"""The record form's sources (issue 19): the Sources section comes first and every claim
ticks the sources it rests on from it; a source without an id gets one from its citation;
sources of other records are found by citation (a JSON search behind login, and the same
search without JavaScript) and copied into the record; add and remove buttons return to
where the archivist was; a failed save keeps every tick."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import records
from catalogue.web import get_catalogue
from tests.archivists import csrf_token, form_fields, signed_in

#: Nothing here searches the index: writes skip it (see tests/conftest.py).
pytestmark = pytest.mark.without_index

RECORD = "khojaly-schools"
AFANDIYEV = "afandiyev-2025"


@pytest.fixture
def editor(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "alice")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _ticks(page: str, key: str) -> dict[str, bool]:
    """The source checkboxes of input `key`: id -> ticked."""
    boxes = re.findall(rf'<input type="checkbox" name="{re.escape(key)}" value="([^"]*)"( checked)?>', page)
    return {html.unescape(value): bool(checked) for value, checked in boxes}


def _new(client: FlaskClient, **fields: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "csrf_token": csrf_token(client, "/records/new"), "type": "mosque", "title": "Juma mosque",
        "sources[0].id": "s1", "sources[0].citation": "A report, 2020.",
        "sources[1].id": "s2", "sources[1].citation": "A survey, 2021.",
        "conditions[0].status": "destroyed", "conditions[0].sources": ["s1", "s2"], "message": "from two reports"}
    data.update(fields)
    return data


def test_sources_come_first_and_claims_tick_them_by_citation(editor: FlaskClient) -> None:
    page = _text(editor.get(f"/records/{RECORD}/edit"))
    order = [page.index(f'<fieldset id="{section}"') for section in ("sources", "names", "period", "conditions")]
    assert order == sorted(order)
    assert _ticks(page, "conditions[0].sources") == {AFANDIYEV: True}
    picker = page.split('id="f-conditions-0-sources"')[1].split("</fieldset>")[0]
    assert "Afandiyev, Mazahir. Opinion article" in picker  # the source by its citation, not a typed id
    assert 'name="conditions[0].sources" type="text"' not in page


def test_ticked_sources_are_saved_and_an_untyped_id_is_made_from_the_citation(
        editor: FlaskClient, demo_app: Flask) -> None:
    data = _new(editor, id="juma", **{"sources[2].citation": "Smith, Jane. Mosques of Karabakh. 2019."})
    shown = _text(editor.post("/records/new", data=dict(data, add="names")))
    made = records.slugify("Smith, Jane. Mosques of Karabakh. 2019.", 30)
    assert _ticks(shown, "conditions[0].sources") == {"s1": True, "s2": True, made: False}
    fields = form_fields(shown)
    assert fields["sources[2].id"] == made
    response = editor.post("/records/new", data=dict(data, **{"period.sources": made, "period.label": "XIX",
                                                               "save": "1"}))
    assert response.status_code == 303, _text(response)[:300]
    with demo_app.app_context():
        record = get_catalogue().get("juma")
    assert record["conditions"][0]["sources"] == ["s1", "s2"]
    assert record["period"]["sources"] == [made] and record["sources"][2]["id"] == made


def test_a_failed_edit_keeps_every_tick_and_every_typed_value(editor: FlaskClient) -> None:
    fields = form_fields(_text(editor.get(f"/records/{RECORD}/edit")))
    fields.update({"title": "Schools <b>renamed</b>", "sources[1].id": "survey",
                   "sources[1].citation": "A field survey, 2024.", "conditions[0].date": "in the nineties",
                   "message": "a new survey", "save": "1"})
    data: dict[str, object] = dict(fields)
    data["conditions[0].sources"] = [AFANDIYEV, "survey"]
    response = editor.post(f"/records/{RECORD}/edit", data=data)
    assert response.status_code == 422
    page = _text(response)
    assert _ticks(page, "conditions[0].sources") == {AFANDIYEV: True, "survey": True}
    kept = form_fields(page)
    assert kept["title"] == "Schools <b>renamed</b>" and kept["conditions[0].date"] == "in the nineties"
    assert kept["sources[1].citation"] == "A field survey, 2024." and kept["message"] == "a new survey"
    assert "Schools <b>renamed</b>" not in page


def test_a_cited_id_that_is_no_source_stays_ticked_and_is_explained(editor: FlaskClient) -> None:
    page = _text(editor.post("/records/new", data=_new(editor, **{"conditions[0].sources": ["s1", "gone"],
                                                                  "save": "1"})))
    assert _ticks(page, "conditions[0].sources") == {"s1": True, "s2": False, "gone": True}
    assert "(not among the sources of this record)" in page
    assert "&#39;gone&#39; is not among the sources of this record: add it under Sources, or untick it." in page


def test_add_and_remove_buttons_return_to_where_the_archivist_was(editor: FlaskClient) -> None:
    page = _text(editor.post("/records/new", data=_new(editor, add="conditions")))
    buttons = dict(re.findall(r'<button type="submit" name="(?:add|remove)" value="([^"]+)"[^>]*?'
                              r'formaction="([^"]+)"', page))
    assert buttons["conditions"] == "/records/new#conditions-2"  # the row "Add" makes
    assert buttons["conditions[0]"] == "/records/new#conditions-0"  # the next row takes its place
    assert buttons["conditions[1]"] == "/records/new#conditions-0"  # the last: the one before
    assert buttons["sources"] == "/records/new#sources-2"
    assert 'id="conditions-1"' in page and 'id="rows-conditions"' in page
    one = _text(editor.post("/records/new", data=_new(editor, remove="conditions[1]")))
    assert 'id="conditions-1"' not in one
    assert re.search(r'value="conditions\[0\]"[^>]*formaction="/records/new#rows-conditions"', one, re.S)
    edit = _text(editor.get(f"/records/{RECORD}/edit"))
    assert f'formaction="/records/{RECORD}/edit#names-' in edit


# -- reusing the sources of other records -------------------------------------------------------


def test_the_source_search_needs_an_archivist(demo_app: Flask, editor: FlaskClient) -> None:
    visitor = demo_app.test_client()
    refused = visitor.get("/cited-sources?q=afandiyev")
    assert refused.status_code in (302, 303) and "/login" in refused.headers["Location"]
    assert editor.get("/cited-sources?q=afandiyev").status_code == 200
    assert editor.post("/cited-sources?q=afandiyev").status_code == 405  # read only


def test_the_source_search_finds_a_source_once_by_any_word_case_and_accents_folded(editor: FlaskClient) -> None:
    for query in ("afandiyev azernews", "AFANDİYEV", "Afándiyev 1992"):
        found = editor.get("/cited-sources", query_string={"q": query}).json
        assert [s["source"]["id"] for s in found["sources"]] == [AFANDIYEV], query
        assert found["sources"][0]["records"] == 8  # cited by every demo record: listed once
        assert found["sources"][0]["cited_by"].startswith("cited by 8 records, e.g. ")
    nothing = editor.get("/cited-sources?q=qqqzzzx").json
    assert nothing["sources"] == [] and nothing["status"] == "No source of another record matches qqqzzzx."
    assert editor.get("/cited-sources?q=").json["sources"] == []


def test_the_source_search_leaves_out_deleted_and_withheld_records(editor: FlaskClient, demo_app: Flask) -> None:
    with demo_app.app_context():
        catalogue = get_catalogue()
        for name in ("gone", "hidden"):
            catalogue.create({"id": name, "type": "site", "title": name.title(),
                              "sources": [{"id": "s", "citation": f"Only in the {name} record."}]})
        catalogue.delete("gone", reason="test", user="alice")
        catalogue.withhold("hidden", 1, reason="private", user="alice")
    assert editor.get("/cited-sources?q=only record").json["sources"] == []
    reuse = editor.post("/records/new", data=_new(editor, reuse="hidden s", source_query="only"))
    assert "That source is no longer in a public record: search again." in _text(reuse)


def test_hostile_citations_stay_data_in_the_json_and_escaped_on_the_page(editor: FlaskClient,
                                                                          demo_app: Flask) -> None:
    hostile = "<script>alert('x')</script> & \"quoted\" report"
    with demo_app.app_context():
        get_catalogue().create({"id": "hostile", "type": "site", "title": "<b>Hostile</b>",
                                "sources": [{"id": "h", "citation": hostile, "url": "javascript:alert(1)"}]})
    response = editor.get("/cited-sources?q=quoted report")
    assert response.mimetype == "application/json"
    assert response.json["sources"][0]["source"]["citation"] == hostile
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # never read as HTML
    page = _text(editor.post("/records/new", data=_new(editor, find_sources="1", source_query="quoted report")))
    assert "<script>alert" not in page and "<b>Hostile</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34; report" in page
    attribute = re.search(r"data-source='([^']*)'", page).group(1)
    assert json.loads(html.unescape(attribute))["citation"] == hostile


def test_reusing_a_source_copies_it_into_the_form_without_javascript(editor: FlaskClient) -> None:
    found = _text(editor.post("/records/new", data=_new(editor, find_sources="1", source_query="azernews")))
    assert "1 source found." in found
    button = re.search(r'name="reuse" value="([^"]+)"[^>]*formaction="([^"]+)"', found, re.S)
    assert button.group(2) == "/records/new#sources-2"  # back at the copied source
    copied = _text(editor.post("/records/new", data=_new(editor, reuse=button.group(1), source_query="azernews")))
    fields = form_fields(copied)
    assert fields["sources[2].id"] == AFANDIYEV and fields["sources[2].citation"].startswith("Afandiyev, Mazahir.")
    assert fields["sources[2].publisher"] == "AzerNEWS" and fields["sources[2].date"] == "2025-02-26"
    assert "1 source found." in copied
    assert _ticks(copied, "conditions[0].sources") == {"s1": True, "s2": True, AFANDIYEV: False}
    again = _text(editor.post("/records/new", data=dict(_new(editor, reuse=button.group(1)), **{
        f"sources[2].{k}": v for k, v in fields.items() if k.startswith("sources[2].")})))
    assert "sources[3].citation" not in again  # a source the form has is not added twice
    taken = _text(editor.post("/records/new", data=_new(editor, reuse=button.group(1),
                                                        **{"sources[0].id": AFANDIYEV})))
    assert form_fields(taken)["sources[2].id"] == f"{AFANDIYEV}-2"  # its id was taken here


def test_form_writes_need_the_csrf_token(editor: FlaskClient) -> None:
    data = _new(editor, reuse=f"{RECORD} {AFANDIYEV}", source_query="azernews")
    del data["csrf_token"]
    assert editor.post("/records/new", data=data).status_code == 400
    assert editor.post("/records/new", data=dict(data, csrf_token="forged", save="1")).status_code == 400


def test_the_source_search_sees_every_write_and_withholding_at_once(editor: FlaskClient, demo_app: Flask) -> None:
    """The folded sources are kept between searches, but a write or a withholding refreshes them."""
    assert editor.get("/cited-sources?q=gazetteer").json["sources"] == []
    with demo_app.app_context():
        catalogue = get_catalogue()
        catalogue.create({"id": "new-one", "type": "site", "title": "New",
                          "sources": [{"id": "g", "citation": "A regional gazetteer, 1930."}]})
    assert [s["value"] for s in editor.get("/cited-sources?q=gazetteer").json["sources"]] == ["new-one g"]
    with demo_app.app_context():
        get_catalogue().withhold("new-one", 1, reason="private", user="alice")
    assert editor.get("/cited-sources?q=gazetteer").json["sources"] == []
