"""Robustness of the HTTP surface: hypothesis-generated query strings and bodies against
every public read route, and hostile record text through every page. No answer may be a
500 or a traceback; errors are clear 4xx in the format of the area (problem details under
/api, an OAI error for /oai, an HTML page elsewhere)."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.errors import ValidationError
from catalogue.web import get_catalogue
from tests.archivists import PASSWORD, add_user, csrf_token, form_fields, signed_in
from tests.conftest import exited_cleanly, make_app

#: Argument names the routes read, plus a few they do not.
NAMES = ["q", "type", "status", "century", "place", "source", "sort", "page", "page_size", "revision", "lang",
         "next", "verb", "metadataPrefix", "identifier", "set", "from", "until", "resumptionToken", "x"]
#: Values that poke at parsers: numbers out of range, Unicode digits, markup, control characters.
TRICKY = ["0", "-1", "1e3", "٣", "²", "99999999999999999999999", "9223372036854775808", " 1 ", "",
          "<script>alert(1)</script>", "\x00", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
          "title:", "*", "?", "\"", "(", "AND", "OR NOT", "~", "^", "[a TO", "{", "//evil.example",
          "javascript:alert(1)", "oai:catalogue.test:x", "2001-02-30", "oai_dc", "ListRecords", "XIV"]
VALUES = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))
QUERIES = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=6)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CSP = "Content-Security-Policy"


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def record_id(client: FlaskClient) -> str:
    return client.get("/api/search?page_size=1").json["hits"][0]["id"]


def _query(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs)


def _check_html(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert CSP in response.headers
    if response.status_code >= 400:
        assert response.mimetype == "text/html"
        assert "Traceback" not in response.get_data(as_text=True)


@given(pairs=QUERIES)
@FUZZ
def test_search_page_never_fails(client: FlaskClient, pairs: list[tuple[str, str]]) -> None:
    _check_html(client.get("/search?" + _query(pairs)))


@given(pairs=QUERIES, suffix=st.sampled_from(["", "/history", ".json"]))
@FUZZ
def test_record_pages_never_fail(client: FlaskClient, record_id: str, pairs: list[tuple[str, str]],
                                 suffix: str) -> None:
    response = client.get(f"/records/{record_id}{suffix}?" + _query(pairs))
    assert response.status_code < 500
    if suffix != ".json" or response.status_code >= 400:
        _check_html(response)


@given(record_id=st.text(min_size=1, max_size=30), suffix=st.sampled_from(["", "/history", ".json"]))
@FUZZ
def test_any_record_id_is_a_page_or_a_404(client: FlaskClient, record_id: str, suffix: str) -> None:
    response = client.get(f"/records/{quote(record_id, safe='')}{suffix}")
    assert response.status_code in (200, 301, 308, 404, 410), response.status_code
    if response.status_code != 200:
        _check_html(response)


@given(pairs=QUERIES, fmt=st.sampled_from(["jsonl", "csv", "geojson", "xml"]))
@FUZZ
def test_exports_never_fail(client: FlaskClient, pairs: list[tuple[str, str]], fmt: str) -> None:
    response = client.get(f"/export/records.{fmt}?" + _query(pairs))
    body = response.get_data(as_text=True)  # streamed: errors would surface while reading
    assert response.status_code in (200, 400, 404), response.status_code
    if response.status_code == 400:
        assert response.mimetype == "text/plain" and body.endswith(".\n")


@given(pairs=QUERIES, method=st.sampled_from(["GET", "POST"]))
@FUZZ
def test_oai_answers_every_request_with_oai_xml(client: FlaskClient, pairs: list[tuple[str, str]],
                                                method: str) -> None:
    if method == "GET":
        response = client.get("/oai?" + _query(pairs))
    else:
        response = client.post("/oai", data=_query(pairs), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert b"<OAI-PMH" in response.data


@given(pairs=QUERIES, path=st.sampled_from(["/api/search", "/api/records/{id}", "/api/records/{id}/history",
                                            "/api/records/nope"]))
@FUZZ
def test_read_api_errors_are_problem_details(client: FlaskClient, record_id: str, pairs: list[tuple[str, str]],
                                             path: str) -> None:
    response = client.get(path.format(id=record_id) + "?" + _query(pairs))
    assert response.status_code in (200, 400, 404)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == response.status_code


@given(target=st.one_of(st.sampled_from(TRICKY), st.text(max_size=40),
                        st.sampled_from(["/", "//evil.example/", "/\\evil.example", "https://evil.example/",
                                         "/%2F%2Fevil.example", "/\t/evil.example", "/records/x?a=b"])))
@FUZZ
def test_login_page_passes_on_only_a_same_site_next(client: FlaskClient, target: str) -> None:
    """Whatever `next` the link carries, the sign-in form sends back a path of this site or nothing."""
    response = client.get("/login?" + urlencode({"next": target}))
    _check_html(response)
    assert response.status_code == 200
    passed_on = form_fields(response.get_data(as_text=True)).get("next")
    assert passed_on is None or _on_this_site(passed_on), passed_on


def _on_this_site(location: str) -> bool:
    return (location.startswith("/") and not location.startswith(("//", "/\\"))
            and not any(c in location for c in "\\\r\n\t") and ":" not in location.split("?", 1)[0])


#: A `next` and where signing in leads: the path itself when it is one of this site, else the front page.
NEXT_TARGETS = [("/records/x?a=b", "/records/x?a=b"), ("/search?q=Xocal%C4%B1", "/search?q=Xocal%C4%B1"),
                ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # encoded slashes: still a path here
                ("//evil.example/", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/"),
                ("/\t/evil.example", "/"), ("javascript:alert(1)", "/"), ("/%0d%0aSet-Cookie:x", "/"),
                ("evil.example", "/"), ("", "/")]


@pytest.mark.parametrize(("target", "landing"), NEXT_TARGETS, ids=[repr(t) for t, _ in NEXT_TARGETS])
def test_signing_in_from_a_next_link_lands_on_this_site(demo_app: Flask, target: str, landing: str) -> None:
    """The whole round trip: /login?next=… as a link gives it, the form submitted as a
    browser would, and the redirect that follows."""
    add_user(demo_app, "alice")
    client = demo_app.test_client()
    fields = form_fields(client.get("/login?" + urlencode({"next": target})).get_data(as_text=True))
    fields.update(name="alice", password=PASSWORD)
    response = client.post("/login", data=fields)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == landing
    assert _on_this_site(location)


# -- the write API -----------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=4), max_leaves=20)
FIELDS = st.dictionaries(st.sampled_from(["id", "type", "title", "names", "place", "sources", "conditions",
                                          "quantity", "media", "period", "revision", "x"]), JSON, max_size=6)


@pytest.fixture
def token(demo_app: Flask) -> str:
    result = demo_app.test_cli_runner().invoke(args=["token", "create", "fuzzer", "--role", "archivist"])
    assert result.exit_code == 0
    return result.stdout.strip()


@given(body=st.one_of(FIELDS, JSON), method=st.sampled_from(["POST", "PUT", "PATCH"]),
       if_match=st.sampled_from(["", '"1"', "W/\"1\"", '"x"', '"99999999999999999999"']))
@FUZZ
def test_write_api_answers_any_json_with_a_4xx_problem_or_success(client: FlaskClient, token: str, record_id: str,
                                                                  body: object, method: str, if_match: str) -> None:
    random.seed()  # Whoosh names segments with `random`, which Hypothesis resets to the same seed per example
    path = "/api/records" if method == "POST" else f"/api/records/{record_id}"
    headers = {"Authorization": f"Bearer {token}", **({"If-Match": if_match} if if_match else {})}
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code in (200, 201, 400, 404, 409, 410, 415, 422, 428), response.status_code
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("depth", [40, 900, 100_000])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_deeply_nested_json_is_refused_not_a_500(client: FlaskClient, token: str, record_id: str, depth: int,
                                                 method: str) -> None:
    body = '{"type": "school", "title": "x", "notes": ' + "[" * depth + "]" * depth + "}"
    path = "/api/records" if method == "POST" else f"/api/records/{record_id}"
    response = client.open(path, method=method, data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
    if response.status_code == 422:
        assert "levels deep" in response.json["detail"]


def test_deeply_nested_records_are_refused_by_every_write_path(demo_app: Flask, tmp_path: Path) -> None:
    nested: object = 1
    for _ in range(40):
        nested = [nested]
    with demo_app.app_context(), pytest.raises(ValidationError, match="levels deep"):
        get_catalogue().create({"type": "school", "title": "x", "sources": [{"id": "s1", "citation": "c"}],
                                "place": {"name": "p", "geometry": {"type": "Point", "coordinates": nested}}})
    lines = tmp_path / "deep.jsonl"
    lines.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    result = demo_app.test_cli_runner().invoke(args=["import", str(lines)])
    assert "nest too deeply" in result.output
    assert exited_cleanly(result)


def test_deep_geometry_in_the_edit_form_is_a_field_error(demo_app: Flask) -> None:
    editor = signed_in(demo_app, "alice")
    page = editor.get("/records/new").get_data(as_text=True)
    data = form_fields(page)
    data.update({"type": "mosque", "title": "Deep", "sources[0].id": "s1", "sources[0].citation": "A report.",
                 "conditions[0].status": "destroyed", "conditions[0].sources": "s1", "message": "deep",
                 "place.name": "Khojaly", "csrf_token": csrf_token(editor, "/records/new")})
    for depth in (900, 50_000):  # deeper than the parser manages, still within the form size limit
        data["place.geometry"] = "[" * depth + "]" * depth
        response = editor.post("/records/new", data=data)
        assert response.status_code == 422
        assert CSP in response.headers


def test_deep_source_settings_are_a_form_error(demo_app: Flask) -> None:
    admin = signed_in(demo_app, "root", "admin")
    response = admin.post("/admin/sources", data={
        "name": "deep", "url": "http://127.0.0.1:9/oai", "protocol": "oai-pmh",
        "settings": "[" * 50_000 + "]" * 50_000, "csrf_token": csrf_token(admin, "/admin/sources")})
    assert response.status_code == 422
    assert "not valid JSON" in response.get_data(as_text=True)


# -- HTTP errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "mimetype"), [("/search", "text/html"), ("/records/x", "text/html"),
                                                 ("/api/search", "application/problem+json"),
                                                 ("/api/records/x/history", "application/problem+json")])
def test_405_names_the_allowed_methods(client: FlaskClient, path: str, mimetype: str) -> None:
    response = client.delete(path)
    assert response.status_code == 405
    assert response.mimetype == mimetype
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert CSP in response.headers


def test_unexpected_errors_are_a_plain_500_page_without_a_traceback(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail of the failure")

    @app.get("/api/boom")
    def api_boom() -> str:
        raise RuntimeError("secret detail of the failure")

    app.logger.disabled = True
    client = app.test_client()
    for path, mimetype in (("/boom", "text/html"), ("/api/boom", "application/problem+json")):
        response = client.get(path)
        assert (response.status_code, response.mimetype) == (500, mimetype)
        assert CSP in response.headers
        text = response.get_data(as_text=True)
        assert "secret detail" not in text and "Traceback" not in text


# -- hostile record text --------------------------------------------------------------------

H = '"><x-hostile onmouseover=alert(1)></script><script>alert(1)</script>'
INJECTED = re.compile(r"<x-hostile|<script>alert|(href|src)=\"\s*(javascript|data):", re.I)


def _hostile_record() -> dict[str, object]:
    return {
        "id": "hostile", "type": "school", "title": "=HYPERLINK(\"http://evil.example\") " + H,
        "names": [{"value": "name " + H, "lang": "az"}, {"value": "@SUM(1)"}],
        "place": {"name": "place " + H, "names": [{"value": "other " + H}], "admin_area": "area " + H,
                  "country": "c " + H, "geometry": {"type": "Point", "coordinates": [46.8, 39.9]}},
        "period": {"label": "period " + H, "start": 1900, "end": 1990},
        "sources": [{"id": "s1", "citation": "+cit " + H, "url": "javascript:alert(1)"},
                    {"id": "s2", "citation": "-2+3", "url": " JaVaScRiPt:alert(1)"}],
        "conditions": [{"status": "destroyed", "date": "1992", "sources": ["s1"], "event": "event " + H,
                        "note": "note " + H, "assessed_by": "by " + H}],
        "description": "description " + H, "subjects": ["=1+1", "subject " + H],
        "external_ids": [{"scheme": "scheme" + H, "value": "value" + H}],
        "media": [{"url": "javascript:alert(2)", "caption": "caption " + H, "credit": "credit " + H},
                  {"url": "data:text/html,<script>alert(1)</script>"}],
        "rights": "rights " + H, "notes": "notes " + H,
    }


def test_hostile_record_text_is_escaped_on_every_page(demo_app: Flask) -> None:
    with demo_app.app_context():
        catalogue = get_catalogue()
        catalogue.create(_hostile_record(), user="user " + H, message="message " + H)
        catalogue.update("hostile", dict(_hostile_record(), title="again " + H), base_revision=1, user="u " + H,
                         message="second " + H)
    admin = signed_in(demo_app, "root", "admin")
    pages = ["/", "/records/hostile", "/records/hostile?revision=1", "/records/hostile/history", "/stats",
             "/search?q=hostile", "/search?q=alert+script", f"/search?q={H}", f"/search?place={H}", f"/search?sort={H}",
             "/records/hostile/edit", "/pending", "/admin/", "/admin/users", f"/records/{H}", f"/nope{H}",
             f"/login?next={H}"]
    for path in pages:
        response = admin.get(path)
        assert response.status_code < 500 and CSP in response.headers, path
        html = response.get_data(as_text=True)
        assert not INJECTED.search(html), (path, INJECTED.search(html))
    html = admin.get("/records/hostile").get_data(as_text=True)
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert json.loads(block)["name"] == "again " + H


def test_csv_export_defuses_formulas(demo_app: Flask) -> None:
    with demo_app.app_context():
        get_catalogue().create(_hostile_record())
    rows = list(csv.DictReader(io.StringIO(demo_app.test_client().get("/export/records.csv?q=hostile").text)))
    (row,) = [r for r in rows if r["id"] == "hostile"]
    assert row["title"].startswith("'=HYPERLINK")
    assert row["subjects"].startswith("'=1+1")
    assert row["sources"].startswith("'+cit")
    dangerous = [(k, v) for r in rows for k, v in r.items() if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []


# -- CSRF ---------------------------------------------------------------------------------


def test_every_form_post_of_a_signed_in_user_needs_the_csrf_token(demo_app: Flask, record_id: str) -> None:

    admin = signed_in(demo_app, "root", "admin")
    exempt = {"oai.endpoint", "api_write.create_record", "api_write.replace_record", "api_write.patch_record"}
    checked = []
    for rule in demo_app.url_map.iter_rules():
        if not rule.methods or "POST" not in rule.methods or rule.endpoint in exempt:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<[^>]*\b{argument}>", {"record_id": record_id, "name": "root"}.get(argument, "1"), path)
        response = admin.post(path, data={"message": "m", "reason": "r", "role": "archivist", "active": "0",
                                          "name": "someone", "password": "p", "password2": "p"})
        assert response.status_code == 400, (path, response.status_code)
        assert "Form not accepted" in response.get_data(as_text=True)
        checked.append(rule.endpoint)
    assert {"edit.edit_record", "edit.delete_record", "admin.add_user", "auth.logout"} <= set(checked)
    with demo_app.app_context():
            assert get_catalogue().get(record_id)["revision"] == 1
