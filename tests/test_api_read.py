"""The read API: search, records, revisions, history, RFC 9457 problem details and the
OpenAPI description, through HTTP."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.service import Catalogue
from catalogue.web import get_catalogue


@pytest.fixture
def api(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def cat(demo_app: Flask) -> Catalogue:
    with demo_app.app_context():
        return get_catalogue()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


def test_search_returns_hits_facets_and_totals(api: FlaskClient) -> None:
    body = api.get("/api/search?q=Khojaly&page_size=3").get_json()
    assert body["total"] == 8 and body["pages"] == 3 and len(body["hits"]) == 3
    assert {"type", "status", "century", "place", "source"} <= set(body["facets"])
    assert all({"value", "count"} == set(v) for v in body["facets"]["type"])
    hit = body["hits"][0]
    assert hit["url"] == f"http://localhost/records/{hit['id']}"
    assert hit["record"]["id"] == hit["id"]
    assert "suggestion" in body


def test_search_filters_combine(api: FlaskClient) -> None:
    body = api.get("/api/search?type=school&type=club").get_json()
    assert {h["id"] for h in body["hits"]} == {"khojaly-schools", "khojaly-clubs"}
    assert body["filters"] == {"type": ["school", "club"]}
    assert api.get("/api/search?type=school&status=intact").get_json()["total"] == 0


def test_search_pages_do_not_overlap(api: FlaskClient) -> None:
    first = api.get("/api/search?sort=title&page_size=5").get_json()
    second = api.get("/api/search?sort=title&page_size=5&page=2").get_json()
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert len(ids) == 8 == len(set(ids))


@pytest.mark.parametrize("query", ["page=x", "page=0", "page=100000", "page_size=0", "page_size=101",
                                   "sort=upwards", "q=Khojaly&page=9"])
def test_bad_search_arguments_are_problems(api: FlaskClient, query: str) -> None:
    body = assert_problem(api.get(f"/api/search?{query}"), 400)
    assert body["detail"]
    assert body["instance"] == "/api/search"


def test_record_and_revision(cat: Catalogue, api: FlaskClient) -> None:
    record = api.get("/api/records/khojaly-schools").get_json()
    assert record["quantity"] == 14 and record["revision"] == 1
    cat.update("khojaly-schools", dict(record, quantity=15), base_revision=1, message="recount")
    assert api.get("/api/records/khojaly-schools").get_json()["quantity"] == 15
    old = api.get("/api/records/khojaly-schools?revision=1").get_json()
    assert old["quantity"] == 14 and old["revision"] == 1


def test_record_errors(cat: Catalogue, api: FlaskClient) -> None:
    assert "no record" in assert_problem(api.get("/api/records/nope"), 404)["detail"]
    assert_problem(api.get("/api/records/khojaly-schools?revision=7"), 404)
    assert_problem(api.get("/api/records/khojaly-schools?revision=first"), 400)
    cat.delete("khojaly-clubs", reason="merged into another record")
    gone = assert_problem(api.get("/api/records/khojaly-clubs"), 410)
    assert gone["reason"] == "merged into another record" and gone["id"] == "khojaly-clubs"
    assert api.get("/api/records/khojaly-clubs?revision=1").status_code == 200


def test_history(cat: Catalogue, api: FlaskClient) -> None:
    record = cat.get("khojaly-schools")
    cat.update("khojaly-schools", dict(record, subjects=["schools"]), base_revision=1, user="ayla",
               message="subject")
    body = api.get("/api/records/khojaly-schools/history").get_json()
    assert [r["revision"] for r in body["revisions"]] == [1, 2]
    latest = body["revisions"][-1]
    assert latest["user"] == "ayla" and latest["message"] == "subject" and latest["action"] == "update"
    assert latest["record"]["subjects"] == ["schools"]
    assert_problem(api.get("/api/records/nope/history"), 404)


def test_unknown_api_path_and_method_are_problems(api: FlaskClient) -> None:
    assert_problem(api.get("/api/nothing-here"), 404)
    assert_problem(api.delete("/api/search"), 405)


def test_openapi_describes_every_api_route(demo_app: Flask, api: FlaskClient) -> None:
    spec = api.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    routes = {rule.rule for rule in demo_app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.endpoint.startswith("api.")}
    assert routes <= documented
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "type", "status", "century", "place", "source", "sort", "page"} <= params


def test_openapi_references_resolve(api: FlaskClient) -> None:
    spec = api.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def refs(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "$ref":
                    yield item
                else:
                    yield from refs(item)
        elif isinstance(value, list):
            for item in value:
                yield from refs(item)

    found = list(refs(spec))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref


def test_openapi_merges_write_api_paths(monkeypatch: pytest.MonkeyPatch, api: FlaskClient) -> None:
    from catalogue.views import api_write

    extra = {"/api/records": {"post": {"operationId": "createRecord", "responses": {"201": {"description": "x"}}}}}
    monkeypatch.setattr(api_write, "OPENAPI_PATHS", extra, raising=False)
    spec = api.get("/api/openapi.json").get_json()
    assert spec["paths"]["/api/records"]["post"]["operationId"] == "createRecord"
    assert "get" in spec["paths"]["/api/records/{record_id}"]
