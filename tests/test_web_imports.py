"""Imports in the web: upload with a saved, uploaded or pasted mapping, the dry run with
every line's problem, the import in the background landing in the harvest log, run again
without changing anything; bad files refused whole with a clear message, changing nothing."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.web import get_catalogue
from tests import spreadsheets
from tests.archivists import csrf_token, signed_in
from tests.conftest import close_catalogue, make_app, open_catalogue

pytestmark = pytest.mark.both_stores  # saved mappings and uploads (migration 8) on SQLite and on PostgreSQL

EXAMPLES = Path(__file__).resolve().parent.parent / "harvest" / "examples"
REGISTER_MAPPING = (EXAMPLES / "register-mapping.toml").read_text(encoding="utf-8")


pytestmark = pytest.mark.without_index  # no test here searches: imports skip the index


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path):
    application = make_app(tmp_path / "data", HARVEST_IN_BACKGROUND=False, IMPORT_MAX_BYTES=100_000)
    open_catalogue(application, request)
    yield application
    close_catalogue(application)


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return signed_in(app, "ada", "admin")


@pytest.fixture
def archivist(app: Flask) -> FlaskClient:
    return signed_in(app, "arch")


def upload(client: FlaskClient, path: Path | None = None, *, data: bytes | None = None, name: str = "",
           **fields: str):
    body = {"csrf_token": csrf_token(client, "/imports/"), **fields}
    if path is not None or data is not None:
        body["file"] = (io.BytesIO(data if data is not None else path.read_bytes()), name or path.name)
    return client.post("/imports/", data=body, content_type="multipart/form-data")


def page(response) -> str:
    """The page's text with its entities decoded (messages quote with ')."""
    return html.unescape(response.get_data(as_text=True))


def test_an_admin_saves_a_mapping_and_an_archivist_imports_a_workbook_with_it(app, admin, archivist):
    saved = admin.post("/imports/mappings", data={"csrf_token": csrf_token(admin, "/imports/mappings"),
                                                  "name": "register", "text": REGISTER_MAPPING})
    assert saved.status_code == 303
    refused = archivist.post("/imports/mappings", data={"csrf_token": csrf_token(archivist, "/imports/mappings"),
                                                        "name": "mine", "text": REGISTER_MAPPING})
    assert refused.status_code == 403

    sent = upload(archivist, EXAMPLES / "register.xlsx", mapping_name="register")
    assert sent.status_code == 303
    preview = archivist.get(sent.headers["Location"])
    text = page(preview)
    assert preview.status_code == 200
    assert "Importing would create 48, update 0 and leave 0 unchanged; 0 line(s) would fail, with 1 warning(s)" \
        in text
    assert "Крепость Велория" in text and 'lang="ar"' in text and "register.xlsx:20" in text
    with app.app_context():
        assert get_catalogue().is_empty()  # the preview stored nothing

    token = sent.headers["Location"].rsplit("/", 1)[1]
    started = archivist.post(f"/imports/{token}/run", data={"csrf_token": csrf_token(archivist, f"/imports/{token}")})
    assert started.status_code == 303 and "/imports/runs/" in started.headers["Location"]
    run_page = page(archivist.get(started.headers["Location"]))
    assert re.search(r'id="count-new">48<', run_page) and "Import again" in run_page
    run_id = int(started.headers["Location"].rsplit("/", 1)[1])
    status = archivist.get(f"/imports/runs/{run_id}.json").get_json()
    assert status["status"] == "ok" and status["counts"]["new"] == 48 and status["counts"]["warnings"] == 1
    log = page(archivist.get(f"/admin/runs/{run_id}"))
    assert "import: register.xlsx" in log and "warning: the position is (0, 0)" in log
    assert "import: register.xlsx" in page(archivist.get("/admin/runs"))
    with app.app_context():
        record = get_catalogue().get("register-102")
        assert [c["code"] for c in record["place"]["countries"]] == ["FR", "ES"]
        seq = get_catalogue().store.last_seq()

    again = archivist.post(f"/imports/{token}/run", data={"csrf_token": csrf_token(archivist, f"/imports/{token}")})
    second = archivist.get(again.headers["Location"].replace("/runs/", "/runs/") + ".json").get_json()
    assert second["counts"]["unchanged"] == 48 and second["counts"]["new"] == 0
    with app.app_context():
        assert get_catalogue().store.last_seq() == seq


def test_a_csv_with_a_pasted_mapping_shows_every_bad_line_and_imports_the_good_ones(app, archivist):
    mapping = '[record]\nid_column = "id"\ndefault_type = "site"\n[source]\ncitation = "c"\n[columns]\n' \
              '"title" = "title"\n"lat" = "place.latitude"\n"lon" = "place.longitude"\n'
    sent = upload(archivist, data=b"id,title,lat,lon\nok-1,Good,40,46\nbad-1,Far,95,46\n,No id,,\n",
                  name="rows.csv", mapping_text=mapping)
    text = page(archivist.get(sent.headers["Location"]))
    assert "rows.csv:3" in text and "latitude 95 is outside -90 to 90" in text and "rows.csv:4" in text
    assert "create 1," in text and "2 line(s) would fail" in text


@pytest.mark.parametrize("make, message", [
    (lambda tmp: ("rows.csv", "Café,x\n".encode("cp1252")), "the file is not valid UTF-8 text (byte 0xe9)"),
    (lambda tmp: ("book.xlsx", spreadsheets.zip_bomb(tmp / "bomb.xlsx", 12 * 2**20).read_bytes()),
     "a zip bomb?"),
    (lambda tmp: ("book.xls", b"<html><body>not a workbook</body></html>"), "not a spreadsheet workbook"),
])
def test_a_bad_file_is_refused_whole_with_a_clear_message_and_changes_nothing(app, archivist, tmp_path, make,
                                                                              message):
    name, data = make(tmp_path)
    sent = upload(archivist, data=data, name=name, mapping_text=REGISTER_MAPPING)
    shown = archivist.get(sent.headers["Location"])
    assert shown.status_code == 422 and message in page(shown) and "nothing was imported" in page(shown)
    with app.app_context():
        assert get_catalogue().is_empty()


def test_an_upload_over_the_limit_and_a_spreadsheet_without_a_mapping_are_refused(app, archivist):
    big = upload(archivist, data=b"x" * 300_000, name="big.csv", mapping_text=REGISTER_MAPPING)
    assert big.status_code == 413 and "larger than the 100,000 bytes an import reads (IMPORT_MAX_BYTES)" in page(big)
    huge = archivist.post("/imports/", data={"csrf_token": csrf_token(archivist, "/imports/")},
                          environ_overrides={"CONTENT_LENGTH": str(100 * 2**20)})
    assert huge.status_code == 413 and "an import file may have at most 100,000" in page(huge)
    bare = upload(archivist, EXAMPLES / "register.csv")
    assert bare.status_code == 422 and "needs a mapping of its columns" in page(bare)
    broken = upload(archivist, EXAMPLES / "register.csv", mapping_text='[columns]\n"a" = "colour"\n')
    assert broken.status_code == 422 and "not a field this import fills" in page(broken)
    assert "colour" in page(broken)  # what was typed is kept
    other = upload(archivist, data=b"\x00", name="notes.docx")
    assert other.status_code == 422 and "is not a file an import reads" in page(other)


def test_a_saved_mapping_that_would_lose_data_is_not_saved_and_the_text_is_kept(admin):
    response = admin.post("/imports/mappings", data={"csrf_token": csrf_token(admin, "/imports/mappings"),
                                                     "name": "lossy",
                                                     "text": '[record]\nid_column = "id"\n[columns]\n'
                                                             '"a" = "title"\n"b" = "title"\n'})
    assert response.status_code == 422 and "both fill 'title'" in page(response)
    assert '"b" = "title"' in page(response)


def test_a_json_lines_file_imports_without_a_mapping(app, archivist):
    line = ('{"id": "j-1", "type": "bridge", "title": "Bridge", "sources": [{"id": "s", "citation": "c"}]}\n'
            '{"id": "j-2"}\n')
    sent = upload(archivist, data=line.encode(), name="records.jsonl")
    text = page(archivist.get(sent.headers["Location"]))
    assert "create 1," in text and "records.jsonl:2" in text
