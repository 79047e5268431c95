"""JSON text on the hot paths (`catalogue.jsontext`, orjson): values orjson refuses read and
write as the standard library does them, records keep every character through the store,
and the web's JSON answers stay sorted, compact UTF-8 that Flask's own types still go into."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

from catalogue import jsontext
from catalogue.service import Catalogue
from tests.recordsamples import make_record


def test_values_orjson_refuses_read_and_write_as_with_the_standard_library() -> None:
    for big in (2**64, 2**70 + 1, -9_999_999_999_999_999_999):  # orjson reads them as floats
        assert jsontext.loads(f'{{"n": {big}}}')["n"] == big and jsontext.dumps([big]) == f"[{big}]"
    assert jsontext.loads('{"id": "1234567890123456789012", "n": 2}') == {"id": "1234567890123456789012", "n": 2}
    assert math.isnan(jsontext.loads('{"a": NaN}')["a"])  # not JSON, but what `json` read before
    lone = "a\ud800b"  # a lone surrogate: no UTF-8 for it
    assert jsontext.loads(jsontext.dumps({"t": lone}))["t"] == lone
    assert jsontext.dumps({1: "x"}) == '{"1":"x"}'  # a key that is not a string, as `json` writes it
    assert jsontext.loads(b'{"b": [1, 2.5, null, true]}') == {"b": [1, 2.5, None, True]}


def test_text_is_compact_utf8_with_keys_sorted_only_when_asked() -> None:
    value = {"title": "Xocalı — Ходжалы 霍賈利", "a": "\x1e\n"}
    assert jsontext.dumps(value) == '{"title":"Xocalı — Ходжалы 霍賈利","a":"\\u001e\\n"}'
    assert jsontext.dumps(value, sort_keys=True).startswith('{"a":')
    assert jsontext.loads(jsontext.dumps(value)) == value == json.loads(jsontext.dumps(value))


def test_records_keep_every_character_through_the_store(catalogue: Catalogue) -> None:
    title = "Xocalı məktəbi № 1 — «Ходжалы» 霍賈利 \U0001f3eb"
    catalogue.create(make_record(id="chars", title=title, description="line one\nline two\ttab"))
    catalogue.update("chars", dict(catalogue.get("chars"), title=title + " (2)"), base_revision=1)
    assert catalogue.get("chars")["title"] == title + " (2)"
    assert catalogue.get("chars")["description"] == "line one\nline two\ttab"
    assert catalogue.revision("chars", 1).data["title"] == title
    assert [h.id for h in catalogue.search("Ходжалы").hits] == ["chars"]


def test_api_answers_are_sorted_compact_utf8(demo_client: FlaskClient) -> None:
    response = demo_client.get("/api/search?q=Xocalı&page_size=2")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Xocalı" in text and "\\u0131" not in text and ", " not in text.split('"hits"')[0]
    body = json.loads(text)
    assert list(body) == sorted(body) and body["total"] >= 1


@dataclass
class _Point:
    x: int


def test_flask_types_and_debug_indent_still_go_through_flask(app: Flask) -> None:
    with app.app_context():
        value = {"day": date(2026, 12, 3), "html": Markup("<b>x</b>"), "point": _Point(3)}
        assert json.loads(app.json.dumps(value, separators=(",", ":"))) == {
            "day": "Thu, 03 Dec 2026 00:00:00 GMT", "html": "<b>x</b>", "point": {"x": 3}}
        assert app.json.dumps({"b": 1, "a": 2}, indent=2) == '{\n  "a": 2,\n  "b": 1\n}'
