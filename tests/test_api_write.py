"""The write API: bearer tokens, create/replace/patch with the seen revision, and problem
details with field paths for every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from catalogue.web import get_catalogue

#: The store's semantics, on SQLite and on PostgreSQL; nothing here searches: writes skip
#: the search index (see tests/conftest.py).
pytestmark = [pytest.mark.both_stores, pytest.mark.without_index]

RECORD = "khojaly-schools"
NEW = {"type": "mosque", "title": "Juma mosque", "sources": [{"id": "s1", "citation": "A report."}],
       "conditions": [{"status": "destroyed", "sources": ["s1"]}]}


@pytest.fixture
def token(demo_app: Flask) -> str:
    result = demo_app.test_cli_runner().invoke(args=["token", "create", "importer", "--role", "archivist"])
    assert result.exit_code == 0
    return result.stdout.strip()


@pytest.fixture
def api(demo_app: Flask, token: str) -> Any:
    client = demo_app.test_client()

    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        return client.open(path, method=method, json=body, headers=all_headers, **kw)

    return call


def test_create_returns_201_with_location_and_records_the_token(api: Any, demo_app: Flask) -> None:
    response = api("POST", "/api/records", dict(NEW, id="juma"), headers={"X-Edit-Message": "from the survey"})
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/records/juma")
    assert response.headers["ETag"] == '"1"'
    assert response.json["revision"] == 1 and response.json["condition"] == {"status": "destroyed"}
    with demo_app.app_context():
        (revision,) = get_catalogue().history("juma")
    assert (revision.user, revision.message, revision.origin) == ("token:importer", "from the survey", "api")
    assert api("POST", "/api/records", dict(NEW, id="juma")).status_code == 409


def test_create_without_id_makes_one(api: Any) -> None:
    response = api("POST", "/api/records", NEW)
    assert response.status_code == 201 and response.json["id"].startswith("juma-mosque-")


def test_validation_errors_are_problem_details_with_paths(api: Any) -> None:
    bad = dict(NEW, conditions=[{"status": "gone", "sources": ["nope"]}], quantity=0)
    response = api("POST", "/api/records", bad)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    paths = {e["path"] for e in response.json["errors"]}
    assert {"conditions[0].status", "quantity"} <= paths
    assert response.json["status"] == 422 and response.json["title"] == "Invalid record"


def test_every_claim_must_cite_a_source_of_the_record(api: Any) -> None:
    bad = dict(NEW, conditions=[{"status": "destroyed", "sources": ["s9"]}], quantity=2, quantity_sources=["s9"],
               period={"label": "XIV century", "start": 1301, "end": 1400, "sources": ["s9"]},
               names=[{"value": "Cümə məscidi", "lang": "az", "sources": ["s9"]}])
    response = api("POST", "/api/records", bad)
    assert response.status_code == 422
    assert {(e["path"], e["message"]) for e in response.json["errors"]} == {
        (path, "'s9' is not the id of a source of this record")
        for path in ("conditions[0].sources[0]", "quantity_sources[0]", "period.sources[0]", "names[0].sources[0]")}
    assert api("POST", "/api/records", dict(bad, sources=[*NEW["sources"], {"id": "s9", "citation": "Another."}])) \
        .status_code == 201


@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "Authorization: Bearer"),
    ({"Authorization": "Bearer wrong"}, "unknown or revoked"),
    ({"Authorization": "Basic YTpi"}, "Authorization: Bearer"),
])
def test_missing_or_bad_token_is_401(demo_app: Flask, headers: dict[str, str], detail: str) -> None:
    response = demo_app.test_client().post("/api/records", json=NEW, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert detail in response.json["detail"]


def test_revoked_token_is_refused(api: Any, demo_app: Flask) -> None:
    assert demo_app.test_cli_runner().invoke(args=["token", "revoke", "importer"]).exit_code == 0
    assert api("POST", "/api/records", NEW).status_code == 401


def test_session_cookie_does_not_authorize_the_api(demo_app: Flask) -> None:
    from archivists import add_user, login

    add_user(demo_app, "alice")
    client = demo_app.test_client()
    login(client, "alice")
    assert client.post("/api/records", json=NEW).status_code == 401


def test_put_needs_the_seen_revision_and_refuses_a_stale_one(api: Any) -> None:
    record = api("GET", f"/api/records/{RECORD}").json
    del record["revision"]
    missing = api("PUT", f"/api/records/{RECORD}", dict(record, title="New"))
    assert missing.status_code == 428 and missing.json["errors"][0]["path"] == "revision"
    ok = api("PUT", f"/api/records/{RECORD}", dict(record, title="New"), headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json["revision"] == 2 and ok.headers["ETag"] == '"2"'
    stale = api("PUT", f"/api/records/{RECORD}", dict(record, title="Newer", revision=1))
    assert stale.status_code == 409
    assert stale.json["current_revision"] == 2 and stale.json["current"]["title"] == "New"
    assert api("GET", f"/api/records/{RECORD}").json["title"] == "New"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize(("seen", "status"), [
    pytest.param({"headers": {"If-Match": '"0"'}}, 409, id="older"),
    pytest.param({"headers": {"If-Match": '"2"'}}, 409, id="newer, never existed"),
    pytest.param({"revision": 7}, 409, id="newer in the body"),
    pytest.param({}, 428, id="none named"),
])
def test_a_write_not_based_on_the_current_revision_is_refused_and_changes_nothing(
        api: Any, demo_app: Flask, method: str, seen: dict[str, Any], status: int) -> None:
    before = api("GET", f"/api/records/{RECORD}").json
    body = {k: v for k, v in before.items() if k not in ("revision", "created", "modified")} if method == "PUT" else {}
    body = dict(body, title="Overwritten", **({"revision": seen["revision"]} if "revision" in seen else {}))
    response = api(method, f"/api/records/{RECORD}", body, headers=seen.get("headers"))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    if status == 409:
        assert response.json["current_revision"] == 1 and response.json["current"]["title"] == before["title"]
    else:
        assert response.json["errors"] == [{"path": "revision", "message": "is required"}]
    assert api("GET", f"/api/records/{RECORD}").json == before
    with demo_app.app_context():
        assert len(get_catalogue().history(RECORD)) == 1


def test_patch_merges_fields(api: Any) -> None:
    response = api("PATCH", f"/api/records/{RECORD}", {"revision": 1, "notes": None, "title": "Patched"})
    assert response.status_code == 200
    assert response.json["title"] == "Patched" and "notes" not in response.json
    assert response.json["quantity"] == 14  # untouched fields stay
    bad = api("PATCH", f"/api/records/{RECORD}", {"revision": 2, "type": "spaceship"})
    assert bad.status_code == 422 and bad.json["errors"][0]["path"] == "type"


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("PUT", "/api/records/no-such", {"json": dict(NEW, revision=1)}, 404),
    ("PATCH", "/api/records/no-such", {"json": {"revision": 1}}, 404),
    ("PUT", f"/api/records/{RECORD}", {"data": "not json", "content_type": "text/plain"}, 415),
    ("PUT", f"/api/records/{RECORD}", {"data": "[1]", "content_type": "application/json"}, 400),
    ("POST", "/api/records", {"data": "{broken", "content_type": "application/json"}, 400),
    ("PUT", f"/api/records/{RECORD}", {"json": dict(NEW, revision="one")}, 400),
    ("PUT", f"/api/records/{RECORD}", {"json": dict(NEW, id="other", revision=1)}, 422),
    ("DELETE", f"/api/records/{RECORD}", {}, 405),
])
def test_bad_writes_are_clear_problems(demo_app: Flask, token: str, method: str, path: str,
                                       kwargs: dict[str, Any], status: int) -> None:
    response = demo_app.test_client().open(path, method=method, headers={"Authorization": f"Bearer {token}"},
                                           **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_update_of_a_deleted_record_is_410(api: Any, demo_app: Flask) -> None:
    with demo_app.app_context():
        get_catalogue().delete(RECORD, reason="test", user="alice")
    response = api("PUT", f"/api/records/{RECORD}", dict(NEW, revision=2))
    assert response.status_code == 410


def test_write_api_is_in_openapi(demo_app: Flask) -> None:
    spec = demo_app.test_client().get("/api/openapi.json").json
    assert spec["paths"]["/api/records"]["post"]["operationId"] == "createRecord"
    operations = spec["paths"]["/api/records/{record_id}"]
    assert {"get", "put", "patch"} <= operations.keys()
    assert "409" in operations["put"]["responses"] and "428" in operations["patch"]["responses"]
