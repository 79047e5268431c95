"""The OpenAPI description: a valid 3.1 document that covers every API route and method,
names only defined security schemes, and whose schemas and status codes match what the
API really answers."""

from __future__ import annotations

import re
import shlex
from html import unescape
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

RECORD = "khojaly-schools"
NEW = {"type": "mosque", "title": "Juma mosque", "sources": [{"id": "s1", "citation": "A report."}]}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(demo_app: Flask) -> dict[str, Any]:
    response = demo_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def token(demo_app: Flask) -> str:
    result = demo_app.test_cli_runner().invoke(args=["token", "create", "script", "--role", "archivist"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_the_whole_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_api_route_and_method_is_described(demo_app: Flask, spec: dict[str, Any]) -> None:
    routes = {(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
              for rule in demo_app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in (rule.methods or set()) - IGNORED_METHODS}
    described = {(path, method) for path, operations in spec["paths"].items() for method in operations
                 if method in {"get", "put", "post", "patch", "delete"}}
    assert routes and routes <= described, routes - described
    assert described <= routes, described - routes


def test_path_parameters_are_declared(spec: dict[str, Any]) -> None:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)


def test_security_requirements_name_defined_schemes(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    used = [name for operations in spec["paths"].values() for operation in operations.values()
            for requirement in operation.get("security", []) for name in requirement]
    assert used and set(used) <= schemes.keys()
    writes = [op for path, ops in spec["paths"].items() for method, op in ops.items() if method != "get"]
    assert writes and all(op.get("security") == [{"bearerAuth": []}] for op in writes)


def _check(spec: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The response's status is documented for the operation and its body fits the declared schema."""
    responses = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (path, method, response.status_code)
    content = responses[str(response.status_code)].get("content", {})
    media = content.get(response.mimetype)
    assert media is not None, (path, method, response.status_code, response.mimetype)
    schema = {**media["schema"], "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.get_json())


def test_read_responses_match_their_schemas(spec: dict[str, Any], client: FlaskClient) -> None:
    _check(spec, "/api/search", "get", client.get("/api/search?q=school&type=school"))
    _check(spec, "/api/search", "get", client.get("/api/search?page=0"))
    _check(spec, "/api/records/{record_id}", "get", client.get(f"/api/records/{RECORD}"))
    _check(spec, "/api/records/{record_id}", "get", client.get(f"/api/records/{RECORD}?revision=x"))
    _check(spec, "/api/records/{record_id}", "get", client.get("/api/records/nope"))
    _check(spec, "/api/records/{record_id}/history", "get", client.get(f"/api/records/{RECORD}/history"))
    _check(spec, "/api/records/{record_id}/history", "get", client.get("/api/records/nope/history"))


def test_write_responses_match_their_schemas(spec: dict[str, Any], client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/records", json=NEW, headers=auth)
    assert created.status_code == 201
    _check(spec, "/api/records", "post", created)
    _check(spec, "/api/records", "post", client.post("/api/records", json=NEW))
    _check(spec, "/api/records", "post", client.post("/api/records", json={"title": ""}, headers=auth))
    _check(spec, "/api/records", "post", client.post("/api/records", data="x", headers=auth))
    path = f"/api/records/{created.json['id']}"
    patched = client.patch(path, json={"notes": "Checked."}, headers={**auth, "If-Match": '"1"'})
    assert patched.status_code == 200
    _check(spec, "/api/records/{record_id}", "patch", patched)
    _check(spec, "/api/records/{record_id}", "put", client.put(path, json=NEW, headers={**auth, "If-Match": '"1"'}))
    _check(spec, "/api/records/{record_id}", "put", client.put(path, json=NEW, headers=auth))


def test_too_large_a_body_is_a_documented_problem(demo_app: Flask, spec: dict[str, Any], token: str) -> None:
    demo_app.config["MAX_CONTENT_LENGTH"] = 1000
    response = demo_app.test_client().post("/api/records", data="x" * 2000, content_type="application/json",
                                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    _check(spec, "/api/records", "post", response)


def _run(client: FlaskClient, command: str, token: str) -> Any:
    """Run a curl example of the API page through the test client (TOKEN replaced by `token`)."""
    words = shlex.split(command)
    assert words[0] == "curl"
    method, headers, body, url = "GET", {}, None, words[-1]
    options = iter(words[1:-1])
    for option in options:
        value = next(options)
        if option == "-X":
            method = value
        elif option == "-H":
            name, _, text = value.partition(": ")
            headers[name] = text.replace("TOKEN", token)
        else:
            assert option == "--data", option
            body = value.encode()
    path = url.removeprefix("http://localhost")
    assert path.startswith("/api/"), url
    return client.open(path, method=method, headers=headers, data=body)


def test_api_page_describes_every_operation_with_a_working_example(demo_app: Flask, spec: dict[str, Any],
                                                                    token: str) -> None:
    client = demo_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/api">API</a>' in home  # the header's "API" is the page for people
    page = client.get("/api")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'href="/api/openapi.json"' in text
    examples = dict(re.findall(r'id="op-(\w+)".*?<pre><code>(.*?)</code></pre>', text, re.S))
    operations = {op["operationId"]: (path, method) for path, ops in spec["paths"].items()
                  for method, op in ops.items()}
    assert examples.keys() == operations.keys()
    for parameter in spec["paths"]["/api/search"]["get"]["parameters"]:
        assert f"<code>{parameter['name']}</code>" in text
    order = ["search", "getRecord", "getHistory", "listPlaces", "getPlace", "getPlaceHistory", "openapi",
             "createRecord", "patchRecord", "replaceRecord"]
    assert sorted(order) == sorted(examples)
    for operation in order:  # the PUT example is stale once the PATCH example saved revision 2
        path, method = operations[operation]
        response = _run(client, unescape(examples[operation]), token)
        expected = {"createRecord": 201, "replaceRecord": 409}.get(operation, 200)
        assert response.status_code == expected, (operation, response.get_data(as_text=True))
        if operation != "openapi":  # the description itself has no schema
            _check(spec, path, method, response)


def test_api_page_in_azerbaijani_marks_the_english_descriptions(demo_app: Flask) -> None:
    page = demo_app.test_client().get("/api?lang=az").get_data(as_text=True)
    assert "<h2 id=\"h-operations\">Əməliyyatlar</h2>" in page
    assert '<p lang="en">Search records, with facet counts and a did-you-mean suggestion</p>' in page
