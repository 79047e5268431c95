"""Issue 11, finding 7: record text is safe wherever it is shown. Control characters are
stripped when a record is cleaned (and escaped on a terminal when old data still holds
them), right-to-left overrides are isolated on every page, and records have documented
size limits that every door enforces."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from catalogue.records import UNSAFE_CHARACTERS, max_record_bytes, normalise
from catalogue.store import harvest as harvest_store
from catalogue.web import get_catalogue
from tests.archivists import form_fields, signed_in
from tests.recordsamples import make_record

RLO, FSI, PDI = "\u202e", "\u2068", "\u2069"


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


# -- control characters ------------------------------------------------------------------------


def test_c1_controls_stripped(api: Any, demo_app: Flask) -> None:
    """C0 (but tab and newline), DEL, C1, lone surrogates and noncharacters leave every text
    field; CR LF and CR become a newline; other text (bidi marks, emoji) is kept."""
    dirty = "A\x9b31m\x1b[2Jb\x85c\x00d\x7fe\ufdd0f\U0010ffff\r\ng\rh\ti \u202e😀"
    assert normalise({"title": dirty})["title"] == "A31m[2Jbcdef\ng\nh\ti \u202e😀"
    assert normalise({"t": "x\ud800y"})["t"] == "xy"
    response = api("POST", "/api/records", make_record(id="dirty", title=dirty, subjects=["\x9bs\x9c"],
                                                       place={"name": "P\x90lace"}))
    assert response.status_code == 201
    stored = response.json
    assert stored["title"] == "A31m[2Jbcdef\ng\nh\ti \u202e😀"
    assert stored["subjects"] == ["s"] and stored["place"]["name"] == "Place"


def test_every_unsafe_character_is_stripped_from_otherwise_printable_text() -> None:
    """Each character of `UNSAFE_CHARACTERS` goes, alone in printable text or beside a newline
    (cleaning only searches text that is not printable but for newlines and tabs); printable
    neighbours of the class (tab, newline, space, no-break space, U+FFFD) stay."""
    unsafe = [chr(c) for c in range(0x110000) if UNSAFE_CHARACTERS.fullmatch(chr(c))]
    assert len(unsafe) == 32 - 2 + 1 + 32 + 2048 + 32 + 34
    for char in set(unsafe) - {"\r"}:  # (a carriage return becomes a newline, above)
        assert normalise({"t": f"ab{char}cd", "u": f"a\tb\n{char}c"}) == {"t": "abcd", "u": "a\tb\nc"}, hex(ord(char))
    kept = "a\tb\nc d\u00a0e\ufffd\u00ad\u200b\u2028f"
    assert normalise({"t": kept})["t"] == kept


def test_c1_controls_escaped_on_the_terminal(demo_app: Flask) -> None:
    """Text stored before this rule still holds C1 characters: `show` and `history` escape
    them (a terminal would run U+009B as CSI), and `show --json` stays valid JSON."""
    with demo_app.app_context():
        store = get_catalogue().store
        old = dict(make_record(id="legacy", title="Old\x9b2J title", sources=[
            {"id": "s1", "citation": "Cite\x1b[31m"}]), provenance={"origin": "manual"})
        store.write("legacy", old, action="create", base_revision=None, user="u\x9b", message="m\x9bx",
                    origin="manual")
    runner = demo_app.test_cli_runner()
    shown = runner.invoke(args=["show", "legacy"])
    assert shown.exit_code == 0
    assert "\x9b" not in shown.output and "\x1b" not in shown.output
    assert "Old\\u009b2J title" in shown.output and "Cite\\u001b[31m" in shown.output
    as_json = runner.invoke(args=["show", "legacy", "--json"])
    assert "\x9b" not in as_json.output and json.loads(as_json.output)["title"] == "Old\x9b2J title"
    history = runner.invoke(args=["history", "legacy"])
    assert "\x9b" not in history.output and "m\\u009bx" in history.output


# -- right-to-left overrides -------------------------------------------------------------------


class _IsolationChecker(HTMLParser):
    """Finds every RLO of a page that is not isolated: text outside any <bdi> or element
    with a dir attribute, and attribute or <title> text without FSI … PDI around it."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.bad: list[str] = []
        self.seen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            # <meta content> is never shown: reference managers read the record text as it is
            # (as the JSON and RIS give it), and isolates would end up in their citations.
            shown = name != "value" and not (tag == "meta" and name == "content")
            if value and RLO in value and shown and not _wrapped(value):
                self.bad.append(f"<{tag} {name}={value!r}>")
            self.seen += bool(value and RLO in value)
        if tag not in self.VOID:
            isolated = tag == "bdi" or any(name == "dir" for name, _ in attrs)
            self.stack.append((tag, isolated))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if RLO not in data:
            return
        self.seen += 1
        tags = [tag for tag, _ in self.stack]
        if "script" in tags:
            return
        if "title" in tags:
            if not _wrapped(data):
                self.bad.append(f"<title>{data!r}")
            return
        if not any(isolated for _, isolated in self.stack):
            self.bad.append(f"{'/'.join(tags[-4:])}: {data!r}")


def _wrapped(text: str) -> bool:
    """Whether every RLO of `text` sits between an FSI and the next PDI."""
    depth = 0
    for char in text:
        depth += char == FSI
        depth -= char == PDI and depth > 0
        if char == RLO and depth == 0:
            return False
    return True


def _assert_isolated(page: str, where: str) -> None:
    checker = _IsolationChecker()
    checker.feed(page)
    assert checker.seen, f"{where}: the test text is not on the page"
    assert checker.bad == [], f"{where}: RLO not isolated"


def test_rtl_override_isolated(demo_app: Flask) -> None:
    """Every page that shows record text (or upstream text) isolates it, so a right-to-left
    override inside a value cannot reorder what follows it on the line."""
    evil = f"x{RLO}gnp.exe"
    record = make_record(
        id="rtl", title=f"Title {evil}", names=[{"value": f"Name {evil}", "lang": "az"}],
        quantity=2, quantity_sources=["s1"],
        place={"name": f"Place {evil}", "admin_area": f"Area {evil}", "country": f"Land {evil}",
               "names": [{"value": f"Place name {evil}"}]},
        period={"label": f"Period {evil}", "start": 1301, "end": 1400},
        conditions=[{"status": "destroyed", "date": "1992", "event": f"Event {evil}", "cause": f"Cause {evil}",
                     "assessed_by": f"Who {evil}", "method": f"How {evil}", "note": f"Note {evil}",
                     "sources": ["s1"]}],
        sources=[{"id": "s1", "citation": f"Citation {evil}", "publisher": f"Pub {evil}", "url": f"Url {evil}",
                  "pages": f"p {evil}", "type": f"Kind {evil}"}],
        description=f"Description {evil} schools", subjects=[f"Subject {evil}"],
        external_ids=[{"scheme": f"Scheme {evil}", "value": f"Value {evil}"}],
        media=[{"url": "https://example.org/m.jpg", "caption": f"Caption {evil}", "credit": f"Credit {evil}",
                "licence": f"Licence {evil}"}],
        rights=f"Rights {evil}", notes=f"Notes {evil}",
        provenance={"origin": "harvest", "source_name": f"Src {evil}", "source_identifier": f"id {evil}"})
    with demo_app.app_context():
        catalogue = get_catalogue()
        catalogue.create(record, user="importer", message=f"Message {evil}", origin="harvest")
        catalogue.update("rtl", dict(record, title=f"Second {evil}"), base_revision=1, message=f"Why {evil}",
                         origin="harvest")
        store = catalogue.store
        harvest_store.add_pending(store, "rtl", f"Src {evil}", f"id {evil}", "update",
                                  dict(record, title=f"Upstream {evil}"), None)
        run = harvest_store.start_run(store, f"src-{1}", full=False, dry_run=False)
        harvest_store.add_errors(store, run, [(f"oai:{evil}", f"Problem {evil}")])
        harvest_store.update_run(store, run, {}, status="failed", message=f"Failed {evil}")
    client = demo_app.test_client()
    public = ["/records/rtl", "/records/rtl?revision=1", "/records/rtl/history", "/search?q=schools",
              "/search?q=schools&place=Place+" + evil, "/", "/stats"]
    for path in public:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_isolated(response.get_data(as_text=True), path)
    admin = signed_in(demo_app, "root", "admin")
    for path in ["/records/rtl/edit", "/pending", f"/admin/runs/{run}", "/admin/runs"]:
        response = admin.get(path)
        assert response.status_code == 200, path
        _assert_isolated(response.get_data(as_text=True), path)
    form = form_fields(admin.get("/records/rtl/edit").get_data(as_text=True))
    conflict = admin.post("/records/rtl/edit", data={**form, "base_revision": "1", "message": "mine", "save": "1"})
    assert conflict.status_code == 409
    _assert_isolated(conflict.get_data(as_text=True), "edit conflict")
    with demo_app.app_context():
        get_catalogue().delete("rtl", reason=f"Reason {evil}")
    _assert_isolated(client.get("/records/rtl").get_data(as_text=True), "deleted record")


# -- size limits ------------------------------------------------------------------------------


def _too_many_subjects() -> dict[str, Any]:
    return make_record(id="big", subjects=[f"subject {i}" for i in range(60_000)])


def _too_large() -> dict[str, Any]:
    """Every field within its own limit, the whole over the record limit."""
    sources = [{"id": f"s{i}", "citation": "c" * 2000} for i in range(1, 200)]
    conditions = [{"status": "damaged", "note": "n" * 5000, "sources": ["s1"]} for _ in range(200)]
    return make_record(id="huge", sources=[{"id": "s1", "citation": "c"}, *sources], conditions=conditions)


@pytest.mark.slow
def test_record_size_limits_422(api: Any, demo_app: Flask, tmp_path: Path) -> None:
    """Lists and strings have maxima in the schema and a record has a total size limit:
    the API answers 422 naming the field (and never repeats the oversized value), the
    form shows the problem, an import reports the line, `validate` names it."""
    many = api("POST", "/api/records", _too_many_subjects())
    assert many.status_code == 422
    assert many.json["errors"] == [{"path": "subjects", "message": "must have at most 200 items"}]
    assert len(many.data) < 2000
    huge = api("POST", "/api/records", _too_large())
    assert huge.status_code == 422 and len(huge.data) < 2000
    (problem,) = huge.json["errors"]
    assert problem["path"] == "" and f"at most {max_record_bytes():,}" in problem["message"]
    long_text = api("POST", "/api/records", make_record(id="long", title="t" * 501))
    assert long_text.status_code == 422 and len(long_text.data) < 2000
    assert long_text.json["errors"] == [{"path": "title", "message": "must be at most 500 characters long"}]
    assert api("POST", "/api/records", make_record(id="fits", subjects=["s"] * 200)).status_code == 201

    lines = tmp_path / "big.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in (_too_many_subjects(), make_record(id="ok"), _too_large())))
    runner = demo_app.test_cli_runner()
    imported = runner.invoke(args=["import", str(lines)])
    assert imported.exit_code == 1 and "1 created" in imported.stdout
    assert "big.jsonl:1: subjects: must have at most 200 items" in imported.stderr
    assert "big.jsonl:3: the record is" in imported.stderr
    checked = runner.invoke(args=["validate", str(lines)])
    assert "1 valid, 2 invalid" in checked.stdout

    editor = signed_in(demo_app, "alice")
    data = form_fields(editor.get("/records/new").get_data(as_text=True))
    data.update({"type": "school", "title": "T", "subjects": "\n".join(f"s{i}" for i in range(201)),
                 "sources[0].id": "s1", "sources[0].citation": "c", "conditions[0].status": "destroyed",
                 "conditions[0].sources": "s1", "message": "m"})
    page = editor.post("/records/new", data=data)
    assert page.status_code == 422
    assert "This may have at most 200 entries." in page.get_data(as_text=True)  # the form words it for people
