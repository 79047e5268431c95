"""The read API: search, records, revisions, history, RFC 9457 problem details and the
OpenAPI description, through HTTP."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.service import Catalogue

#: Tests that only read use `demo_client`, a client of the module's read-only demo site;
#: those that write use `client` and `catalogue` of their own copy of the demo (`demo_app`).


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


def test_search_returns_hits_facets_and_totals(demo_client: FlaskClient) -> None:
    body = demo_client.get("/api/search?q=Khojaly&page_size=3").get_json()
    assert body["total"] == 8 and body["pages"] == 3 and len(body["hits"]) == 3
    assert {"type", "status", "century", "place", "source"} <= set(body["facets"])
    assert all({"value", "count"} == set(v) for v in body["facets"]["type"])
    khojaly = [v for v in body["facets"]["place"] if v["value"] in ("khojaly", "Khojaly", "Xocalı")]
    assert len(khojaly) == 1 and khojaly[0]["count"] == 8  # one place, however its records spell it
    assert khojaly[0]["value"] == "khojaly"  # the demo place authority, by its id
    assert khojaly[0]["labels"]["en"] == "Khojaly" and khojaly[0]["labels"]["az"] == "Xocalı"
    hit = body["hits"][0]
    assert hit["url"] == f"http://localhost/records/{hit['id']}"
    assert hit["record"]["id"] == hit["id"]
    assert "suggestion" in body


def test_search_filters_combine(demo_client: FlaskClient) -> None:
    body = demo_client.get("/api/search?type=school&type=club").get_json()
    assert {h["id"] for h in body["hits"]} == {"khojaly-schools", "khojaly-clubs"}
    assert body["filters"] == {"type": ["school", "club"]}
    assert demo_client.get("/api/search?type=school&status=intact").get_json()["total"] == 0


def test_search_pages_do_not_overlap(demo_client: FlaskClient) -> None:
    first = demo_client.get("/api/search?sort=title&page_size=5").get_json()
    second = demo_client.get("/api/search?sort=title&page_size=5&page=2").get_json()
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert len(ids) == 8 == len(set(ids))


@pytest.mark.parametrize("query", ["page=x", "page=0", "page=100000", "page_size=0", "page_size=101",
                                   "sort=upwards", "q=Khojaly&page=9"])
def test_bad_search_arguments_are_problems(demo_client: FlaskClient, query: str) -> None:
    body = assert_problem(demo_client.get(f"/api/search?{query}"), 400)
    assert body["detail"]
    assert body["instance"] == "/api/search"


@pytest.mark.usefixtures("demo_app")
def test_record_and_revision(catalogue: Catalogue, client: FlaskClient) -> None:
    record = client.get("/api/records/khojaly-schools").get_json()
    assert record["quantity"] == 14 and record["revision"] == 1
    catalogue.update("khojaly-schools", dict(record, quantity=15), base_revision=1, message="recount")
    assert client.get("/api/records/khojaly-schools").get_json()["quantity"] == 15
    old = client.get("/api/records/khojaly-schools?revision=1").get_json()
    assert old["quantity"] == 14 and old["revision"] == 1


@pytest.mark.usefixtures("demo_app")
def test_record_errors(catalogue: Catalogue, client: FlaskClient) -> None:
    assert "no record" in assert_problem(client.get("/api/records/nope"), 404)["detail"]
    assert_problem(client.get("/api/records/khojaly-schools?revision=7"), 404)
    assert_problem(client.get("/api/records/khojaly-schools?revision=first"), 400)
    catalogue.delete("khojaly-clubs", reason="merged into another record")
    gone = assert_problem(client.get("/api/records/khojaly-clubs"), 410)
    assert gone["reason"] == "merged into another record" and gone["id"] == "khojaly-clubs"
    assert client.get("/api/records/khojaly-clubs?revision=1").status_code == 200


@pytest.mark.usefixtures("demo_app")
def test_history(catalogue: Catalogue, client: FlaskClient) -> None:
    record = catalogue.get("khojaly-schools")
    catalogue.update("khojaly-schools", dict(record, subjects=["schools"]), base_revision=1, user="ayla",
               message="subject")
    body = client.get("/api/records/khojaly-schools/history").get_json()
    assert [r["revision"] for r in body["revisions"]] == [1, 2]
    latest = body["revisions"][-1]
    assert latest["user"] == "ayla" and latest["message"] == "subject" and latest["action"] == "update"
    assert latest["record"]["subjects"] == ["schools"]
    assert_problem(client.get("/api/records/nope/history"), 404)


def test_unknown_api_path_and_method_are_problems(demo_client: FlaskClient) -> None:
    assert_problem(demo_client.get("/api/nothing-here"), 404)
    assert_problem(demo_client.delete("/api/search"), 405)


def test_openapi_describes_every_api_route(demo_app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    routes = {rule.rule for rule in demo_app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.endpoint.startswith("api.")}
    assert routes <= documented
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "type", "status", "century", "place", "source", "sort", "page"} <= params


def test_openapi_references_resolve(demo_client: FlaskClient) -> None:
    spec = demo_client.get("/api/openapi.json").get_json()
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


def test_openapi_merges_the_write_api_beside_the_read_api(demo_client: FlaskClient) -> None:
    """One path holds the read API's GET and the write API's PUT and PATCH; the write API's
    security scheme joins the read API's components, neither replacing the other."""
    spec = demo_client.get("/api/openapi.json").get_json()
    record = spec["paths"]["/api/records/{record_id}"]
    assert {op: record[op]["operationId"] for op in ("get", "put", "patch")} == {
        "get": "getRecord", "put": "replaceRecord", "patch": "patchRecord"}
    assert spec["paths"]["/api/records"]["post"]["operationId"] == "createRecord"
    assert spec["paths"]["/api/search"]["get"]["operationId"] == "search"
    assert {"Problem", "Record"} <= spec["components"]["schemas"].keys()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "security" not in record["get"] and record["put"]["security"] == [{"bearerAuth": []}]
