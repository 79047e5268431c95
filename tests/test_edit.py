"""Editing records in the browser's forms (no JavaScript): create, validation errors next
to their fields with the input kept, repeating groups, stale edits, delete and restore."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import records
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from catalogue.web.forms import RecordForm
from tests.archivists import add_user, csrf_token, form_fields, login, signed_in

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

RECORD = "khojaly-schools"


@pytest.fixture
def editor(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "alice")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _field_error(page: str, key: str) -> str:
    match = re.search(rf'<span class="error field-error"[^>]*data-for="{re.escape(key)}">([^<]*)</span>', page)
    return html.unescape(match.group(1)) if match else ""


def _new_record_form(client: FlaskClient, **fields: str) -> dict[str, str]:
    data = form_fields(_text(client.get("/records/new")))
    data.update({"type": "mosque", "title": "Juma mosque of Khojaly", "sources[0].id": "s1",
                 "sources[0].citation": "A report.", "conditions[0].status": "destroyed",
                 "conditions[0].sources": "s1", "message": "new record from a report"})
    data.update(fields)
    return data


def test_new_record_is_created_with_user_and_message(editor: FlaskClient, demo_app: Flask) -> None:
    response = editor.post("/records/new", data=_new_record_form(editor, id="juma-mosque"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/records/juma-mosque"
    with demo_app.app_context():
        catalogue = get_catalogue()
        record = catalogue.get("juma-mosque")
        (revision,) = catalogue.history("juma-mosque")
    assert record["condition"] == {"status": "destroyed"}
    assert (revision.user, revision.message) == ("alice", "new record from a report")
    assert "Juma mosque of Khojaly" in _text(editor.get("/records/juma-mosque"))


def test_validation_errors_sit_next_to_their_fields_and_input_is_kept(editor: FlaskClient,
                                                                      demo_app: Flask) -> None:
    data = _new_record_form(editor, **{"conditions[0].date": "February 1992", "sources[0].citation": "",
                                       "quantity": "many", "title": "Kept <title>"})
    response = editor.post("/records/new", data=data)
    assert response.status_code == 422
    page = _text(response)
    assert "is not a date the catalogue can read" in _field_error(page, "conditions[0].date")
    assert _field_error(page, "sources[0].citation") == \
        "Write the citation of this source (author, title, publisher, date)."
    assert _field_error(page, "quantity") == "'many' is not a whole number: write digits only, e.g. 12 " \
                                             "(or -117 for 117 BCE)."
    kept = form_fields(page)
    assert kept["title"] == "Kept <title>" and kept["conditions[0].date"] == "February 1992"
    assert kept["quantity"] == "many" and kept["conditions[0].status"] == "destroyed"
    assert "Kept <title>" not in page  # escaped, never raw HTML
    with demo_app.app_context():
        assert get_catalogue().store.counts()["records"] == 8


def test_edit_message_is_required(editor: FlaskClient) -> None:
    response = editor.post("/records/new", data=_new_record_form(editor, message="  "))
    assert response.status_code == 422
    assert "edit message is required" in _field_error(_text(response), "message")
    assert form_fields(_text(response))["title"] == "Juma mosque of Khojaly"


def test_rows_are_added_and_removed_without_javascript(editor: FlaskClient, demo_app: Flask) -> None:
    data = _new_record_form(editor, add="conditions")
    page = _text(editor.post("/records/new", data=data))
    fields = form_fields(page)
    assert "conditions[1].status" in fields and fields["conditions[0].status"] == "destroyed"
    fields.update({"conditions[1].status": "damaged", "conditions[1].sources": "s1", "add": "media"})
    page = _text(editor.post("/records/new", data=fields))
    fields = form_fields(page)
    assert "media[0].url" in fields and fields["conditions[1].status"] == "damaged"
    fields["remove"] = "conditions[0]"
    fields = form_fields(_text(editor.post("/records/new", data=fields)))
    assert fields["conditions[0].status"] == "damaged" and "conditions[1].status" not in fields
    assert fields["title"] == "Juma mosque of Khojaly"
    with demo_app.app_context():
        assert get_catalogue().store.counts()["records"] == 8  # nothing saved while rearranging
    fields["id"] = "juma"
    assert editor.post("/records/new", data=fields).status_code == 303
    with demo_app.app_context():
        assert [c["status"] for c in get_catalogue().get("juma")["conditions"]] == ["damaged"]


def test_every_demo_record_survives_the_form_unchanged(editor: FlaskClient, demo_app: Flask) -> None:
    with demo_app.app_context():
        catalogue = get_catalogue()
        stored = [r.data for r in catalogue.store.iter_records()]
    for record in stored:
        fields = form_fields(_text(editor.get(f"/records/{record['id']}/edit")))
        rebuilt = RecordForm.from_input(fields).to_record()
        expected = {k: v for k, v in record.items() if k not in (*records.SYSTEM_FIELDS, "provenance")}
        assert records.prepare(dict(rebuilt, id=record["id"], provenance=record["provenance"])) == \
            dict(expected, provenance=record["provenance"]), record["id"]


def _edit(client: FlaskClient, **changes: str) -> dict[str, str]:
    fields = form_fields(_text(client.get(f"/records/{RECORD}/edit")))
    fields.update(changes)
    return fields


def test_edit_stores_a_revision(editor: FlaskClient, demo_app: Flask) -> None:
    response = editor.post(f"/records/{RECORD}/edit", data=_edit(editor, title="Schools of Xocalı",
                                                                 message="Azerbaijani spelling"))
    assert response.status_code == 303
    with demo_app.app_context():
        last = get_catalogue().history(RECORD)[-1]
    assert (last.revision, last.user, last.message, last.data["title"]) == (2, "alice", "Azerbaijani spelling",
                                                                            "Schools of Xocalı")


def test_stale_edit_shows_both_versions_and_loses_neither(editor: FlaskClient, demo_app: Flask) -> None:
    other = demo_app.test_client()
    add_user(demo_app, "bob")
    login(other, "bob")
    mine = _edit(editor, title="Schools of Khojaly town", message="alice's title")
    theirs = _edit(other, description="Bob's new description.", message="bob's description")
    assert other.post(f"/records/{RECORD}/edit", data=theirs).status_code == 303
    response = editor.post(f"/records/{RECORD}/edit", data=mine)
    assert response.status_code == 409
    page = _text(response)
    assert "Someone saved this record while you were editing" in page and "bob" in page
    assert "Bob&#39;s new description." in page  # their version, side by side
    kept = form_fields(page)
    assert kept["title"] == "Schools of Khojaly town" and kept["message"] == "alice's title"
    assert kept["base_revision"] == "2"
    with demo_app.app_context():
        assert get_catalogue().get(RECORD)["description"] == "Bob's new description."
    kept["description"] = "Bob's new description."  # alice merges bob's change and saves again
    assert editor.post(f"/records/{RECORD}/edit", data=kept).status_code == 303
    with demo_app.app_context():
        history = get_catalogue().history(RECORD)
    assert [r.user for r in history] == ["demo", "bob", "alice"]
    assert history[-1].data["title"] == "Schools of Khojaly town"
    assert history[-1].data["description"] == "Bob's new description."


@pytest.mark.parametrize("base", ["0", "2", "99"])
def test_edit_form_based_on_another_revision_is_a_conflict_that_keeps_the_input(editor: FlaskClient,
                                                                                  demo_app: Flask, base: str) -> None:
    """Older than the current revision or newer than any (a tampered or replayed form):
    refused as a conflict, nothing stored, what was typed still in the form."""
    fields = _edit(editor, title="Typed title", message="my edit")
    fields["base_revision"] = base
    response = editor.post(f"/records/{RECORD}/edit", data=fields)
    assert response.status_code == 409
    kept = form_fields(_text(response))
    assert kept["title"] == "Typed title" and kept["message"] == "my edit" and kept["base_revision"] == "1"
    with demo_app.app_context():
        assert [r.revision for r in get_catalogue().history(RECORD)] == [1]


def test_edit_form_without_base_revision_is_refused(editor: FlaskClient, demo_app: Flask) -> None:
    fields = _edit(editor, message="x")
    del fields["base_revision"]
    assert editor.post(f"/records/{RECORD}/edit", data=fields).status_code == 400
    with demo_app.app_context():
        assert [r.revision for r in get_catalogue().history(RECORD)] == [1]


def test_delete_needs_a_reason_then_restore_brings_the_record_back(editor: FlaskClient, demo_app: Flask) -> None:
    token = csrf_token(editor, f"/records/{RECORD}/edit")
    response = editor.post(f"/records/{RECORD}/delete", data={"csrf_token": token, "reason": " "})
    assert response.status_code == 422 and "needs a reason" in _text(response)
    response = editor.post(f"/records/{RECORD}/delete", data={"csrf_token": token, "reason": "duplicate of x"})
    assert response.status_code == 303
    assert editor.get(f"/records/{RECORD}").status_code == 410
    assert editor.get(f"/records/{RECORD}/edit").status_code == 410
    refused = editor.post(f"/records/{RECORD}/restore", data={"csrf_token": token})
    assert refused.status_code == 422 and "say why" in _text(refused)  # a restore needs a reason too
    assert editor.get(f"/records/{RECORD}").status_code == 410
    restored = editor.post(f"/records/{RECORD}/restore", data={"csrf_token": token, "message": "not a duplicate"})
    assert restored.status_code == 303
    assert "Saved as revision 3." in _text(editor.get(f"/records/{RECORD}"))
    assert editor.get(f"/records/{RECORD}").status_code == 200
    with demo_app.app_context():
        assert [r.action for r in get_catalogue().history(RECORD)] == ["create", "delete", "restore"]


def test_restore_an_earlier_revision(editor: FlaskClient, demo_app: Flask) -> None:
    editor.post(f"/records/{RECORD}/edit", data=_edit(editor, title="Wrong title", message="oops"))
    token = csrf_token(editor, f"/records/{RECORD}/edit")
    refused = editor.post(f"/records/{RECORD}/restore", data={"csrf_token": token, "revision": "1", "message": " "})
    assert refused.status_code == 422 and "say why" in _text(refused)
    assert 'id="restore-reason-1"' in refused.get_data(as_text=True)  # the history page, the reason asked for
    response = editor.post(f"/records/{RECORD}/restore", data={"csrf_token": token, "revision": "1",
                                                               "message": "the title was right"})
    assert response.status_code == 303
    with demo_app.app_context():
        catalogue: Catalogue = get_catalogue()
        assert catalogue.get(RECORD)["title"] == "Schools of Khojaly"
        assert catalogue.history(RECORD)[-1].message == "the title was right"
        assert catalogue.history(RECORD)[-1].user == "alice"


@pytest.mark.parametrize(("path", "data", "status"), [
    (f"/records/{RECORD}/restore", {"revision": "one"}, 400),
    (f"/records/{RECORD}/restore", {"revision": "99"}, 404),
    (f"/records/{RECORD}/restore", {}, 400),  # not deleted, no revision named
    ("/records/no-such-record/restore", {"revision": "1"}, 404),
    ("/records/no-such-record/delete", {"reason": "x"}, 404),
    (f"/records/{RECORD}/restore", {"revision": "9" * 30}, 400),  # larger than any SQLite integer
    (f"/records/{RECORD}/restore", {"revision": "\u00b2"}, 400),  # str.isdigit says yes, int() says no
    (f"/records/{RECORD}/delete", {"reason": "x", "base_revision": "9" * 30}, 400),
    (f"/records/{RECORD}/edit", {"title": "x", "message": "m", "save": "1", "base_revision": "9" * 30}, 400),
    ("/pending/" + "9" * 30 + "/accept", {}, 404),
    ("/pending/" + "9" * 30 + "/reject", {}, 404),
])
def test_bad_restore_and_delete_requests(editor: FlaskClient, path: str, data: dict[str, str], status: int) -> None:
    token = csrf_token(editor, "/records/new")
    data = {"message": "a reason", **data} if path.endswith("/restore") else data
    assert editor.post(path, data={**data, "csrf_token": token}).status_code == status


def test_unknown_record_edit_is_404(editor: FlaskClient) -> None:
    assert editor.get("/records/no-such-record/edit").status_code == 404
    assert editor.get("/admin/runs/" + "9" * 30).status_code == 404  # no row id that large, not an overflow


def test_geometry_is_edited_as_geojson(editor: FlaskClient, demo_app: Flask) -> None:
    point = {"type": "Point", "coordinates": [46.79, 39.91]}
    fields = _edit(editor, **{"place.name": "Khojaly", "place.geometry": json.dumps(point), "message": "map"})
    assert editor.post(f"/records/{RECORD}/edit", data=fields).status_code == 303
    with demo_app.app_context():
        assert get_catalogue().get(RECORD)["place"]["geometry"] == point
    fields = _edit(editor, **{"place.geometry": "{not json", "message": "bad map"})
    response = editor.post(f"/records/{RECORD}/edit", data=fields)
    assert response.status_code == 422
    assert _field_error(_text(response), "place.geometry") == \
        "This is not GeoJSON: write it as in the example below the field."


def test_hostile_text_is_escaped_on_every_archivist_page(editor: FlaskClient, demo_app: Flask) -> None:
    hostile = "<script>alert('x')</script>"
    with demo_app.app_context():
        catalogue = get_catalogue()
        record = catalogue.get(RECORD)
        catalogue.update(RECORD, dict({k: v for k, v in record.items() if k not in records.SYSTEM_FIELDS},
                                      title=hostile, description=hostile), base_revision=record["revision"],
                         user="mallory", message=hostile)
    form = form_fields(_text(editor.get(f"/records/{RECORD}/edit")))
    stale = editor.post(f"/records/{RECORD}/edit", data={**form, "base_revision": "1", "message": hostile,
                                                           "quantity": hostile, "save": "1"})
    conflict = editor.post(f"/records/{RECORD}/edit", data={**form, "base_revision": "1", "message": hostile,
                                                              "save": "1"})
    assert conflict.status_code == 409
    for response in (editor.get(f"/records/{RECORD}/edit"), stale, conflict, editor.get("/pending?lang=az")):
        page = _text(response)
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in _text(conflict)
