"""Every page in Azerbaijani speaks Azerbaijani: no UI string of the catalogue is shown in
English on a public, archivist or error page asked for with ``?lang=az``.

Record data is shown as entered, and the templates mark it (``<bdi>``, ``dir="auto"``,
``<code>``, Unicode isolates in the page title), as they mark English meant as English
(``lang="en"``): the check reads the rest of the page, the
text and the attributes people meet (aria-label, title, placeholder, alt), and looks for
every English msgid of the catalogue, placeholders standing for any text."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from lxml import html

import harvest.pending
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from catalogue.web.admin import HARVESTS
from tests.archivists import csrf_token, form_fields, signed_in
from tests.conftest import make_app
from tests.oai_provider import Provider

PO = Path(__file__).resolve().parent.parent / "catalogue/web/translations/az/LC_MESSAGES/messages.po"
#: What the templates use to mark record data (shown as entered, in whatever language) and
#: English that is meant to be English (marked ``lang="en"``: the API's own descriptions,
#: the search engine's notices).
NOT_UI = "//script|//style|//bdi|//*[@dir='auto']|//code|//pre|//textarea|//body//*[@lang='en']"
#: Attributes whose text people meet (read aloud or shown on hover).
SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
#: A demo record with a period (1301-1500), given a second revision by the fixture.
TOMBS = "khojaly-graves-domes-tombs-xiv-xv"
ISOLATED = re.compile("\u2068.*?\u2069", re.S)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
#: Addresses shown as text (permanent links): no words of any language.
URL = re.compile(r"\bhttps?://\S+")


def _pattern(msgid: str) -> re.Pattern[str] | None:
    """A msgid as it would show on a page, any text in place of its inner placeholders (one
    at either end is left out: ``%(num)s records`` is looked for as ``records``); None for
    one with no English word of its own (``%(name)s: %(error)s.``)."""
    parts = PLACEHOLDER.split(msgid.strip())
    if not any(re.search(r"[A-Za-z]{2,}", part) for part in parts):
        return None
    while not parts[0].strip():
        parts.pop(0)
    while not parts[-1].strip():
        parts.pop()
    words = [r"\s+".join(map(re.escape, part.split())) for part in parts]
    return re.compile(rf"(?<![\w'’]){'.{1,300}?'.join(words)}(?![\w’])", re.S)


def _english_msgids() -> dict[str, re.Pattern[str]]:
    """Every English UI text of the catalogue (plural forms too) whose Azerbaijani differs."""
    with PO.open("rb") as f:
        catalog = read_po(f)
    found = {}
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid not in texts and (pattern := _pattern(msgid)):
                found[msgid] = pattern
    return found


ENGLISH = _english_msgids()


def visible_ui_text(page: str) -> str:
    """The text of a page that is neither record data nor marked English: element text and
    the attributes people meet."""
    doc = html.fromstring(page)
    for element in doc.xpath(NOT_UI):
        element.drop_tree()
    shown = [value for name in SHOWN_ATTRIBUTES for value in doc.xpath(f"//@{name}")]
    text = " ".join([*doc.itertext(), *shown])
    return " ".join(URL.sub(" ", ISOLATED.sub(" ", text)).split())


def english_on(page: str) -> list[str]:
    """The English UI strings a page shows."""
    text = visible_ui_text(page)
    return sorted(msgid for msgid, pattern in ENGLISH.items() if pattern.search(text))


def test_the_check_finds_english_and_spares_record_data() -> None:
    page = ('<html lang="az"><head><title>\u2068Edit history\u2069 – Kataloq</title></head><body>'
            '<p>Cite this record <bdi>Search</bdi> <span dir="auto">Sources</span></p>'
            '<a aria-label="Remove filter x">y</a><code>History</code></body></html>')
    found = english_on(page)
    assert {"Cite this record", "Remove filter %(f)s"} <= set(found)
    assert not {"Search", "Sources", "History", "Edit", "Edit %(title)s"} & set(found)
    removed = english_on("<p>The record x was removed from the catalogue. Its identifier is kept and never "
                         "reused. See http://localhost/records/x?revision=1</p>")
    assert "The record %(id)s was removed from the catalogue. Its identifier is kept and never reused." in removed
    assert "%(num)s records" not in removed and "%(num)s revision" not in removed
    assert english_on("<p>Bu qeydə istinad edin</p>") == []


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider(page_size=2) as p:
        p.put("oai:test:1", "Harvested mosque", type="Mosque")
        p.put("oai:test:2", "Another mosque", type="Mosque")
        yield p


@pytest.fixture
def site(tmp_path: Path, provider: Provider) -> Iterator[tuple[Flask, FlaskClient, FlaskClient]]:
    """The demo collection, a harvested source with a pending upstream change, an edited and a
    deleted record; an admin and an archivist signed in, both reading Azerbaijani."""
    app = make_app(tmp_path / "data", LOGIN_LOCKOUT_AFTER=1)
    assert app.test_cli_runner().invoke(args=["init", "--demo"]).exit_code == 0
    admin, archivist = signed_in(app, "ayla", "admin"), signed_in(app, "elvin")
    for client in (admin, archivist):
        client.get("/?lang=az")
    source = {"csrf_token": csrf_token(admin, "/admin/sources"), "name": "museum-oai", "url": provider.url,
              "protocol": "oai-pmh", "prefix": "oai_dc", "mapping": '[types]\nMosque = "mosque"\n'}
    assert admin.post("/admin/sources", data=source).status_code == 303
    _harvest(app, admin)
    with app.app_context():
        catalogue = get_catalogue()
        harvested = catalogue.store.find_by_source("museum-oai", "oai:test:1")
        catalogue.update(harvested.id, dict(harvested.data, title="Local title"), base_revision=harvested.revision,
                         user="elvin", message="local fix")
        tomb = catalogue.get(TOMBS)
        catalogue.update(TOMBS, dict(tomb, notes="Checked again."), base_revision=tomb["revision"],
                         user="ayla", message="a note")
        catalogue.delete("khojaly-clubs", reason="duplicate of another record", user="ayla")
        outline = {"type": "Polygon", "coordinates": [[[46.78, 39.9], [46.8, 39.9], [46.8, 39.92], [46.78, 39.9]]]}
        catalogue.places.save({"id": "mapped-place", "geometry": outline,
                               "names": [{"value": "Mapped place", "lang": "en", "kind": "common"}]})
        catalogue.create({"id": "mapped", "type": "monument", "title": "Mapped monument",
                          "sources": [{"id": "s", "citation": "A survey."}],
                          "place": {"name": "Mapped place", "geometry": outline}})
        catalogue.create({"id": "mapped-linked", "type": "monument", "title": "Mapped and linked",
                          "sources": [{"id": "s", "citation": "A survey."}],
                          "place": {"id": "mapped-place", "name": "Mapped place"}})
    provider.put("oai:test:1", "Upstream title", type="Mosque")
    _harvest(app, admin)
    with app.app_context():
        assert harvest.pending.list_pending(get_catalogue())
    yield app, admin, archivist
    app.extensions["catalogue"].close()


def _harvest(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/admin/sources")
    assert client.post("/admin/sources/museum-oai/run", data={"csrf_token": token}).status_code == 303
    for thread in app.extensions.get(HARVESTS, []):
        thread.join(timeout=30)


PUBLIC = {
    "/": 200, "/search": 200, "/search?q=school": 200, "/search?q=tomb&type=tomb&status=destroyed": 200,
    "/search?q=xocali&century=XIV": 200, "/search?q=qqqzzzx": 200, "/search?q=schol": 200,
    "/search?page=999": 400, "/search?sort=nonsense": 400,
    "/records/khojaly-schools": 200, f"/records/{TOMBS}": 200, f"/records/{TOMBS}?revision=1": 200,
    f"/records/{TOMBS}/history": 200, "/records/khojaly-clubs": 410, "/records/khojaly-clubs/history": 200,
    "/api": 200, "/records/nope": 404, "/records/nope/history": 404, f"/records/{TOMBS}?revision=9": 404,
    f"/records/{TOMBS}?revision=x": 400, "/no/such/page": 404, "/stats": 200, "/login": 200,
    "/search?claims=disagree": 200, "/search?q=khojaly&more=place": 200,
    "/places": 200, "/places/khojaly": 200, "/places/mapped-place": 200, "/places/nope": 404,
    "/search?q=mapped": 200, "/search?place=mapped-place": 200,
}
ARCHIVIST = {
    "/admin/": 200, "/admin/sources": 200, "/admin/runs": 200, "/admin/runs/1": 200, "/admin/runs/99": 404,
    "/pending": 200, "/records/new": 200, "/records/khojaly-schools/edit": 200, "/records/khojaly-clubs/edit": 410,
    "/records/nope/edit": 404, "/admin/users": 403, "/imports/": 200, "/imports/mappings": 200,
    "/imports/runs/99": 404, "/places/khojaly/links": 200, "/places/mapped-place/links": 200,
    "/places/mapped-place": 200,
}
ADMIN = {"/imports/mappings": 200, "/admin/users": 200, "/admin/sources/museum-oai/edit": 200,
         "/admin/sources/nope/edit": 404}


def _check(client: FlaskClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, path
    page = response.get_data(as_text=True)
    assert html.fromstring(page).get("lang") == "az", path
    assert english_on(page) == [], path


def test_every_page_in_azerbaijani_shows_no_english_ui_text(site: tuple[Flask, FlaskClient, FlaskClient]) -> None:
    app, admin, archivist = site
    visitor = app.test_client()
    visitor.get("/?lang=az")
    for path, status in PUBLIC.items():
        _check(visitor, path, status)
    for path, status in ARCHIVIST.items():
        _check(archivist, path, status)
    for path, status in ADMIN.items():
        _check(admin, path, status)
    with app.app_context():
        harvested = get_catalogue().store.find_by_source("museum-oai", "oai:test:1").id
    for path in (f"/records/{harvested}", f"/records/{harvested}/history", f"/records/{harvested}/pending",
                 f"/records/{harvested}/edit"):
        _check(archivist, path, 200)


def test_forms_with_errors_in_azerbaijani_show_no_english_ui_text(
        site: tuple[Flask, FlaskClient, FlaskClient]) -> None:
    app, admin, archivist = site
    token = csrf_token(archivist, "/records/new")
    checks = [
        archivist.post("/records/new", data={"csrf_token": token, "title": "X", "quantity": "many",
                                             "conditions[0].status": "gone", "save": "1"}),
        archivist.post("/records/new", data={"csrf_token": token, "add": "names", "title": "X"}),
        archivist.post("/records/new", data={"csrf_token": token, "find_sources": "1", "source_query": "azernews"}),
        archivist.post("/records/new", data={"csrf_token": token, "find_sources": "1", "source_query": "qqqzzzx"}),
        archivist.post("/records/new", data={"csrf_token": token, "reuse": "khojaly-schools afandiyev-2025",
                                             "source_query": "azernews", "conditions[0].sources": "nope"}),
        archivist.post("/records/khojaly-schools/edit", data={"csrf_token": token, "base_revision": "1",
                                                             "type": "school", "title": "", "save": "1"}),
        archivist.post("/records/khojaly-schools/edit", data={"csrf_token": token, "base_revision": "1",
                                                             "type": "school", "title": "Schools", "message": "m",
                                                             "save": "1"}),
        archivist.post("/records/khojaly-schools/delete", data={"csrf_token": token, "reason": ""}),
        admin.post("/admin/users", data={"csrf_token": csrf_token(admin, "/admin/users"), "name": "x",
                                         "role": "archivist", "password": "short", "password2": "other"}),
        admin.post("/admin/sources", data={"csrf_token": csrf_token(admin, "/admin/sources"), "name": "x y",
                                           "url": "ftp://nowhere", "protocol": "oai-pmh"}),
    ]
    with app.app_context():
        (change,) = harvest.pending.list_pending(get_catalogue())
    checks += [
        archivist.post(f"/records/{TOMBS}/restore", data={"csrf_token": token, "revision": "1"}),
        archivist.post(f"/pending/{change.id}/accept", data={"csrf_token": token, "choose": "1"}),
    ]
    saved = archivist.post(f"/records/{TOMBS}/restore", data={"csrf_token": token, "revision": "1",
                                                             "message": "birinci redaksiya"})
    assert saved.status_code == 303
    checks.append(archivist.get(saved.headers["Location"]))  # "Saved as revision N"
    tombs = f"/records/{TOMBS}/edit"
    fields = form_fields(archivist.get(tombs).get_data(as_text=True))
    fields.update(base_revision="1", message="my change", title="Tombs, renamed", save="1")
    stale = archivist.post(tombs, data=fields)
    assert stale.status_code == 409  # the fixture saved revision 2 meanwhile: the conflict view
    for response in [*checks, stale]:
        assert response.status_code in (200, 409, 422), response.status_code
        page = response.get_data(as_text=True)
        assert english_on(page) == [], page[:200]


def test_import_pages_in_azerbaijani_show_no_english_ui_text(
        site: tuple[Flask, FlaskClient, FlaskClient]) -> None:
    """An upload refused, the dry run of the register sample and its run, read in Azerbaijani."""
    _, _, archivist = site
    examples = Path(__file__).resolve().parent.parent / "harvest" / "examples"

    def upload(**fields: str) -> Any:
        data: dict[str, Any] = {"csrf_token": csrf_token(archivist, "/imports/"), **fields,
                                "file": (io.BytesIO((examples / "register.csv").read_bytes()), "register.csv")}
        return archivist.post("/imports/", data=data, content_type="multipart/form-data")

    refused = upload()
    assert refused.status_code == 422 and english_on(refused.get_data(as_text=True)) == []
    uploaded = upload(mapping_text=(examples / "register-mapping.toml").read_text(encoding="utf-8"))
    assert uploaded.status_code == 303
    _check(archivist, uploaded.headers["Location"], 200)
    started = archivist.post(uploaded.headers["Location"] + "/run",
                             data={"csrf_token": csrf_token(archivist, uploaded.headers["Location"])})
    assert started.status_code == 303
    _check(archivist, started.headers["Location"], 200)


def test_error_pages_in_azerbaijani(site: tuple[Flask, FlaskClient, FlaskClient],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = site
    client = app.test_client()
    client.get("/?lang=az")
    for _ in range(2):  # locked out after one failure
        locked = client.post("/login", data={"name": "ayla", "password": "wrong password",
                                             "csrf_token": csrf_token(client)})
    assert locked.status_code == 429 and english_on(locked.get_data(as_text=True)) == []
    expired = client.post("/login", data={"name": "ayla", "password": "x", "csrf_token": "forged"})
    assert expired.status_code == 400 and english_on(expired.get_data(as_text=True)) == []
    not_allowed = client.post("/stats")
    assert not_allowed.status_code == 405 and english_on(not_allowed.get_data(as_text=True)) == []

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Catalogue, "search", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = client.get("/search?q=school")
    page = failed.get_data(as_text=True)
    assert failed.status_code == 500 and english_on(page) == [] and "Server xətası" in page


def test_english_pages_are_what_the_check_reads_as_english(site: tuple[Flask, FlaskClient, FlaskClient]) -> None:
    """The same pages in English do show the msgids: the check above could fail."""
    _, _, archivist = site
    archivist.get("/?lang=en")
    record = english_on(archivist.get(f"/records/{TOMBS}").get_data(as_text=True))
    assert {"Cite this record", "History", "Condition history"} <= set(record)
    missing = english_on(archivist.get("/records/nope").get_data(as_text=True))
    assert "No record with id %(id)s." in missing
