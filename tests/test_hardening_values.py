"""Issue 11, finding 5: values of the wrong kind get a clear refusal (or an honest
normalisation), never a 500 or a traceback: decimals for whole numbers, unknown form
choices, client-claimed provenance, non-ASCII digits and numbers too large for the store."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from catalogue.oai import tokens
from catalogue.web import get_catalogue
from tests.archivists import csrf_token, form_fields, signed_in
from tests.oaitools import native_schema
from tests.recordsamples import make_record

OAI_ERROR = '<error code="{}">'


@pytest.fixture
def token(demo_app: Flask) -> str:
    result = demo_app.test_cli_runner().invoke(args=["token", "create", "importer", "--role", "archivist"])
    assert result.exit_code == 0
    return result.stdout.strip()


@pytest.fixture
def api(demo_app: Flask, token: str) -> Any:
    client = demo_app.test_client()

    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return client.open(path, method=method, json=body,
                           headers={"Authorization": f"Bearer {token}", **(headers or {})})

    return call


# -- whole numbers -----------------------------------------------------------------------------


def test_quantity_decimal_rejected_or_normalised(api: Any, demo_app: Flask, tmp_path: Path) -> None:
    """An integral float (3.0, 1301.0) is stored as an integer by every door; 3.5 is refused."""
    record = make_record(id="group-1", quantity=3.0, quantity_sources=["s1"],
                         period={"label": "14th century", "start": 1301.0, "end": 1400.0})
    response = api("POST", "/api/records", record)
    assert response.status_code == 201, response.json
    assert b'"quantity":3,' in response.data.replace(b" ", b"")
    stored = response.json
    assert type(stored["quantity"]) is int and stored["period"] == {"label": "14th century", "start": 1301,
                                                                     "end": 1400}
    client = demo_app.test_client()
    assert "3 schools" in client.get("/records/group-1").get_data(as_text=True)
    found = client.get("/api/search?q=year:1350").json
    assert "group-1" in [hit["id"] for hit in found["hits"]]
    heritage = client.get("/oai?verb=GetRecord&metadataPrefix=heritage&identifier=oai:catalogue.test:group-1")
    from lxml import etree

    element = etree.fromstring(heritage.data).find(".//{*}metadata")[0]
    assert native_schema().validate(element), native_schema().error_log

    fractional = api("POST", "/api/records", make_record(id="group-2", quantity=3.5, quantity_sources=["s1"]))
    assert fractional.status_code == 422
    assert [e["path"] for e in fractional.json["errors"]] == ["quantity"]
    start = api("POST", "/api/records", make_record(id="group-3", period={"start": 1301.5}))
    assert start.status_code == 422 and [e["path"] for e in start.json["errors"]] == ["period.start"]

    lines = tmp_path / "records.jsonl"
    lines.write_text(json.dumps(make_record(id="imp-1", quantity=2.0, quantity_sources=["s1"])) + "\n"
                     + json.dumps(make_record(id="imp-2", quantity=2.5, quantity_sources=["s1"])) + "\n")
    runner = demo_app.test_cli_runner()
    checked = runner.invoke(args=["validate", str(lines)])
    assert checked.exit_code == 1 and "1 valid, 1 invalid" in checked.stdout
    assert "records.jsonl:2: quantity:" in checked.stderr
    imported = runner.invoke(args=["import", str(lines)])
    assert "1 created" in imported.stdout and "records.jsonl:2: quantity" in imported.stderr
    with demo_app.app_context():
        assert type(get_catalogue().get("imp-1")["quantity"]) is int


def test_quantity_decimal_in_the_form(demo_app: Flask) -> None:
    """The form reads "3.0" as 3, like the JSON doors, and refuses "3.5" next to the field."""
    editor = signed_in(demo_app, "alice")
    data = form_fields(editor.get("/records/new").get_data(as_text=True))
    data.update({"id": "form-group", "type": "school", "title": "Schools", "quantity": "3.0",
                 "quantity_sources": "s1", "period.start": "1301.0", "sources[0].id": "s1",
                 "sources[0].citation": "A report.", "conditions[0].status": "destroyed",
                 "conditions[0].sources": "s1", "message": "new"})
    assert editor.post("/records/new", data=dict(data, quantity="3.5")).status_code == 422
    assert editor.post("/records/new", data=data).status_code == 303
    with demo_app.app_context():
        stored = get_catalogue().get("form-group")
    assert stored["quantity"] == 3 and stored["period"]["start"] == 1301


# -- form choices ------------------------------------------------------------------------------


def test_admin_unknown_role_is_form_error(demo_app: Flask) -> None:
    admin = signed_in(demo_app, "root", "admin")
    signed_in(demo_app, "alice")
    token = csrf_token(admin, "/admin/users")
    changed = admin.post("/admin/users/alice/role", data={"role": "emperor", "csrf_token": token})
    assert changed.status_code == 422
    assert "unknown role" in changed.get_data(as_text=True)
    added = admin.post("/admin/users", data={"name": "bob", "role": "emperor", "password": "x" * 12,
                                             "password2": "x" * 12, "csrf_token": token})
    assert added.status_code == 422
    state = admin.post("/admin/users/alice/active", data={"active": "banana", "csrf_token": token})
    assert state.status_code == 422
    with demo_app.app_context():
        from catalogue.store import users

        alice = users.get_user(get_catalogue().store, "alice")
    assert (alice.role, alice.active) == ("archivist", True)
    admin.post("/admin/sources", data={"name": "src", "url": "https://example.org/oai", "csrf_token": token})
    run = admin.post("/admin/sources/src/run", data={"full": "yes", "csrf_token": token})
    assert run.status_code in (404, 422)


# -- provenance belongs to the server ----------------------------------------------------------


def _harvested(app: Flask) -> None:
    with app.app_context():
        get_catalogue().create(make_record(id="harvested-1", provenance={
            "origin": "harvest", "source_name": "upstream", "source_identifier": "oai:up:1"}), origin="harvest")


def test_api_create_ignores_client_provenance(api: Any, demo_app: Flask) -> None:
    """A client cannot claim to be a harvest nor take over a harvested record's identifier:
    the API sets `provenance` itself (manual for new records, the stored one for edits)."""
    _harvested(demo_app)
    claimed = {"origin": "harvest", "source_name": "upstream", "source_identifier": "oai:up:1"}
    created = api("POST", "/api/records", make_record(id="mine", provenance=claimed))
    assert created.status_code == 201, created.json
    assert created.json["provenance"] == {"origin": "manual"}
    forged = api("POST", "/api/records", make_record(provenance={"origin": "harvest", "source_name": "anything"}))
    assert forged.status_code == 201 and forged.json["provenance"] == {"origin": "manual"}

    replaced = api("PUT", "/api/records/harvested-1", make_record(title="Edited", provenance={"origin": "manual"}),
                   headers={"If-Match": '"1"'})
    assert replaced.status_code == 200
    assert replaced.json["provenance"] == claimed
    patched = api("PATCH", "/api/records/mine", {"provenance": claimed}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200 and patched.json["provenance"] == {"origin": "manual"}


def test_import_claiming_a_held_source_identifier_is_a_line_error(demo_app: Flask, tmp_path: Path) -> None:
    _harvested(demo_app)
    lines = tmp_path / "records.jsonl"
    lines.write_text(json.dumps(make_record(id="copy", provenance={
        "origin": "import", "source_name": "upstream", "source_identifier": "oai:up:1"})) + "\n"
        + json.dumps(make_record(id="fine")) + "\n")
    result = demo_app.test_cli_runner().invoke(args=["import", str(lines)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "records.jsonl:1:" in result.stderr and "harvested-1" in result.stderr
    assert "1 created" in result.stdout


# -- ASCII digits only -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["from=２０２０-01-01", "until=2020-01-0１", "from=2020-01-01T00:00:0０Z",
                                   "from=٢٠٢٠-01-01"])
def test_oai_fullwidth_digits_refused(demo_app: Flask, query: str) -> None:
    response = demo_app.test_client().get(f"/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&{query}")
    assert response.status_code == 200
    assert OAI_ERROR.format("badArgument") in response.get_data(as_text=True)


def test_numeric_arguments_take_ascii_digits_only(api: Any, demo_app: Flask) -> None:
    for revision in ("２", "²", "١"):
        response = api("PUT", "/api/records/khojaly-schools", {"title": "x"}, headers={"If-Match": f'"{revision}"'})
        assert response.status_code == 400, revision
        assert response.json["errors"][0]["path"] == "revision"
    assert demo_app.test_client().get("/records/khojaly-schools?revision=１").status_code == 400
    assert api("POST", "/api/records", make_record(period={"start": 1301},
                                                   conditions=[{"status": "damaged", "date": "１９９２",
                                                                "sources": ["s1"]}])).status_code == 422
    editor = signed_in(demo_app, "alice")
    data = form_fields(editor.get("/records/new").get_data(as_text=True))
    data.update({"type": "school", "title": "T", "period.start": "１３０１", "sources[0].id": "s1",
                 "sources[0].citation": "c", "message": "m"})
    page = editor.post("/records/new", data=data)
    assert page.status_code == 422 and "not a whole number" in page.get_data(as_text=True)
    with demo_app.app_context():
        from catalogue.store import harvest as harvest_store

        run = harvest_store.start_run(get_catalogue().store, "src", full=False, dry_run=False)
    admin = signed_in(demo_app, "root", "admin")
    assert admin.get(f"/admin/runs/{run}").status_code == 200
    wide = str(run).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert admin.get(f"/admin/runs/{wide}").status_code == 404
    revoked = demo_app.test_cli_runner().invoke(args=["token", "revoke", "²"])
    assert revoked.exit_code == 1 and "Traceback" not in revoked.output and "no live token" in revoked.output


# -- numbers in signed tokens ------------------------------------------------------------------


def _signed(app: Flask, **changes: Any) -> str:
    state = tokens.ListState("ListRecords", "oai_dc", None, None, None, ("", ""), 1, 0, 1)
    payload = dict(asdict(state), **changes)
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.SALT).dumps(payload)


@pytest.mark.parametrize("changes", [{"snapshot": 2**70}, {"cursor": 10**30}, {"total": -1}, {"snapshot": True},
                                     {"snapshot": 1.5}, {"snapshot": "1"}, {"start": "yesterday"},
                                     {"after": ["", 5]}, {"verb": 7}])
def test_huge_number_in_token_is_bad_token(demo_app: Flask, changes: dict[str, Any]) -> None:
    token = _signed(demo_app, **changes)
    response = demo_app.test_client().get(f"/oai?verb=ListRecords&resumptionToken={token}")
    assert response.status_code == 200
    assert OAI_ERROR.format("badResumptionToken") in response.get_data(as_text=True)


def test_token_that_is_not_json_is_bad_token(demo_app: Flask) -> None:
    """A signed payload the JSON reader refuses (a 5,000-digit number) is no token either."""
    from itsdangerous.encoding import base64_encode

    signer = URLSafeTimedSerializer(demo_app.config["SECRET_KEY"], salt=tokens.SALT).make_signer(tokens.SALT)
    token = signer.sign(base64_encode(b"1" * 5000)).decode()
    response = demo_app.test_client().get(f"/oai?verb=ListRecords&resumptionToken={token}")
    assert OAI_ERROR.format("badResumptionToken") in response.get_data(as_text=True)
