"""Issue 11, finding 8: an admin withholds a revision's content from the public (a takedown
of personal data, a sensitive location), with a reason kept in the audit trail. Withheld
content leaves every public door: record pages, history and diffs, the read API, OAI-PMH,
exports and search; admins still see it, marked; writes cannot bring it back unnoticed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.errors import CatalogueError, Withheld
from catalogue.records import SYSTEM_FIELDS
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.archivists import csrf_token, form_fields, signed_in
from tests.recordsamples import make_record

pytestmark = pytest.mark.both_stores  # the store's semantics, on SQLite and on PostgreSQL

RECORD = "village-school"
OAI = "/oai?verb={verb}&metadataPrefix={prefix}"
IDENTIFIER = f"oai:catalogue.test:{RECORD}"


def _content(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in SYSTEM_FIELDS}


@pytest.fixture
def catalogue(demo_app: Flask) -> Catalogue:
    with demo_app.app_context():
        return get_catalogue()


@pytest.fixture
def admin(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "root", "admin")


def _write_history(catalogue: Catalogue) -> None:
    """Revision 1 public, 2 with personal data, 3 without it again."""
    first = make_record(id=RECORD, title="Village school", description="A school of the village.",
                        place={"name": "Village", "geometry": {"type": "Point", "coordinates": [46.8, 39.9]}})
    catalogue.create(first, user="alice", message="new")
    catalogue.update(RECORD, dict(first, description="Home of the PRIVATEFAMILY, 12 Quiet Lane."), base_revision=1,
                     user="alice", message="added the PRIVATEFAMILY address")
    catalogue.update(RECORD, dict(first, description="A school of the village, rebuilt."), base_revision=2,
                     user="alice", message="removed the address")


def _withhold_on_the_page(admin: FlaskClient, revision: int, reason: str, action: str = "withhold") -> Any:
    token = csrf_token(admin, f"/records/{RECORD}/history")
    return admin.post(f"/records/{RECORD}/revisions/{revision}/{action}", data={"reason": reason,
                                                                             "csrf_token": token})


def _public_doors(revision: int | None) -> dict[str, str]:
    """Every public URL that could show a revision (None: the current one)."""
    arg = f"?revision={revision}" if revision else ""
    doors = {"page": f"/records/{RECORD}{arg}", "json": f"/records/{RECORD}.json{arg}",
             "api": f"/api/records/{RECORD}{arg}", "history": f"/records/{RECORD}/history",
             "api history": f"/api/records/{RECORD}/history", "home": "/"}
    if revision is None:
        for prefix in ("oai_dc", "heritage"):
            doors[f"GetRecord {prefix}"] = OAI.format(verb="GetRecord", prefix=prefix) + f"&identifier={IDENTIFIER}"
            doors[f"ListRecords {prefix}"] = OAI.format(verb="ListRecords", prefix=prefix)
        doors.update({"search": "/search?q=village", "api search": "/api/search?q=village",
                      "jsonl": "/export/records.jsonl", "csv": "/export/records.csv",
                      "geojson": "/export/records.geojson", "jsonl search": "/export/records.jsonl?q=village",
                      "stats": "/stats"})
    return doors


def _assert_hidden(client: FlaskClient, revision: int | None, secret: str) -> None:
    for door, url in _public_doors(revision).items():
        assert secret not in client.get(url).get_data(as_text=True), f"{secret} shows through {door}"


def _assert_shown(client: FlaskClient, revision: int | None, secret: str, but: tuple[str, ...] = ()) -> None:
    """The control: before withholding, each door does show the text."""
    for door, url in _public_doors(revision).items():
        if door not in but:
            assert secret in client.get(url).get_data(as_text=True), f"{secret} is not in {door}"


def test_withheld_revision_hidden_everywhere(demo_app: Flask, catalogue: Catalogue, admin: FlaskClient) -> None:
    _write_history(catalogue)
    public = demo_app.test_client()
    _assert_shown(public, 2, "PRIVATEFAMILY", but=("home",))

    # An earlier revision: withheld from the history page (a reason is required).
    assert _withhold_on_the_page(admin, 2, "  ").status_code == 422
    assert _withhold_on_the_page(admin, 2, "takedown request of the family").status_code == 303
    _assert_hidden(public, 2, "PRIVATEFAMILY")
    assert public.get(f"/records/{RECORD}?revision=2").status_code == 410
    problem = public.get(f"/api/records/{RECORD}?revision=2")
    assert problem.status_code == 410 and problem.json["withheld"] is True
    revisions = public.get(f"/api/records/{RECORD}/history").json["revisions"]
    assert [(r["revision"], r["withheld"], r["record"] is None, r["message"]) for r in revisions] == [
        (1, False, False, "new"), (2, True, True, None), (3, False, False, "removed the address")]
    history = public.get(f"/records/{RECORD}/history").get_data(as_text=True)
    assert "withheld from the public" in history and "takedown request" not in history
    # revision 3 is compared with revision 1: a few words added, not the withheld text replaced
    assert 'A school of the village<ins><span class="visually-hidden">added: </span>, rebuilt</ins>.' in history
    assert public.get(f"/records/{RECORD}").status_code == 200  # the current revision stays public

    # Admins still see it, marked, and the audit trail says who, when and why.
    assert "PRIVATEFAMILY" in admin.get(f"/records/{RECORD}?revision=2").get_data(as_text=True)
    assert "withheld from the public" in admin.get(f"/records/{RECORD}?revision=2").get_data(as_text=True)
    admin_history = admin.get(f"/records/{RECORD}/history").get_data(as_text=True)
    assert "takedown request of the family" in admin_history and "PRIVATEFAMILY" in admin_history
    (entry,) = catalogue.withholdings(RECORD)
    assert (entry.revision, entry.action, entry.user, entry.reason) == (2, "withhold", "root",
                                                                        "takedown request of the family")
    with pytest.raises(CatalogueError, match="withheld"):
        catalogue.restore(RECORD, revision=2, user="alice")

    # The current revision: withheld from the command line; the record leaves every door.
    current = catalogue.get(RECORD)
    place = dict(current["place"], name="PRIVATEFAMILY farm")
    catalogue.update(RECORD, dict(_content(current), title="PRIVATEFAMILY school", place=place), base_revision=3,
                     user="bob")
    _assert_shown(public, None, "PRIVATEFAMILY")
    result = demo_app.test_cli_runner().invoke(args=["withhold", RECORD, "--revision", "4", "--reason",
                                                     "names a private family", "--user", "root"])
    assert result.exit_code == 0, result.output
    _assert_hidden(public, None, "PRIVATEFAMILY")
    assert public.get(f"/records/{RECORD}").status_code == 410
    assert public.get(f"/api/records/{RECORD}").json["withheld"] is True
    found = public.get("/api/search?q=village+school&page_size=100").json
    # no record holds both words now; the records holding some of them may be shown, never this one
    assert RECORD not in [hit["id"] for hit in found["hits"]] and found["relaxed"] in (None, "some_words")
    assert public.get('/api/search?q="village+school"').json["total"] == 0
    header = public.get(OAI.format(verb="GetRecord", prefix="heritage") + f"&identifier={IDENTIFIER}")
    assert re.search(r'<header status="deleted">', header.get_data(as_text=True))
    stamp = re.search(r"<datestamp>([^<]+)</datestamp>", header.get_data(as_text=True)).group(1)
    assert stamp >= catalogue.withholdings(RECORD)[-1].at  # harvesters learn of it incrementally
    export = demo_app.test_cli_runner().invoke(args=["export"])
    assert RECORD not in export.output
    shown = demo_app.test_cli_runner().invoke(args=["show", RECORD])
    assert "PRIVATEFAMILY" in shown.output and "withheld" in shown.stderr  # the operator sees it, marked
    listed = demo_app.test_cli_runner().invoke(args=["history", RECORD]).output
    assert "[withheld]" in listed and "names a private family" in listed

    # Nobody republishes it by accident: archivists cannot edit, harvests and imports are refused.
    archivist = signed_in(demo_app, "alice")
    assert archivist.get(f"/records/{RECORD}/edit").status_code == 403
    with pytest.raises(Withheld):
        catalogue.update(RECORD, _content(current), base_revision=-1, origin="harvest")
    token = demo_app.test_cli_runner().invoke(args=["token", "create", "script", "--role", "archivist"]).stdout
    put = public.put(f"/api/records/{RECORD}", json=_content(current),
                     headers={"Authorization": f"Bearer {token.strip()}", "If-Match": '"4"'})
    assert put.status_code == 403
    patch = public.patch(f"/api/records/{RECORD}", json={"notes": "x"},
                         headers={"Authorization": f"Bearer {token.strip()}", "If-Match": '"4"'})
    assert patch.status_code == 403 and "PRIVATEFAMILY" not in patch.get_data(as_text=True)
    assert "PRIVATEFAMILY" in admin.get(f"/records/{RECORD}/edit").get_data(as_text=True)

    # Released, it is public again (and searchable).
    assert _withhold_on_the_page(admin, 4, "the family agreed", "release").status_code == 303
    assert public.get(f"/records/{RECORD}").status_code == 200
    assert public.get("/api/search?q=PRIVATEFAMILY").json["total"] == 1
    assert [e.action for e in catalogue.withholdings(RECORD)] == ["withhold", "withhold", "release"]


def test_withheld_deletion_hides_its_reason_and_content(demo_app: Flask, catalogue: Catalogue,
                                                        admin: FlaskClient) -> None:
    """A deleted record keeps its earlier revisions public; an admin withholds them, and the
    deletion (whose revision repeats the last content) together with its reason."""
    _write_history(catalogue)
    catalogue.delete(RECORD, reason="duplicate of the PRIVATEFAMILY house record", user="alice")
    for revision in (2, 4):
        assert _withhold_on_the_page(admin, revision, "personal data").status_code == 303
    public = demo_app.test_client()
    page = public.get(f"/records/{RECORD}")
    assert page.status_code == 410 and "PRIVATEFAMILY" not in page.get_data(as_text=True)
    gone = public.get(f"/api/records/{RECORD}")
    assert gone.status_code == 410 and gone.json["reason"] is None
    for door in ("/records/{}/history", "/api/records/{}/history", "/records/{}?revision=4", "/"):
        assert "PRIVATEFAMILY" not in public.get(door.format(RECORD)).get_data(as_text=True), door
    listed = public.get(OAI.format(verb="ListIdentifiers", prefix="oai_dc")).get_data(as_text=True)
    assert IDENTIFIER in listed
    with pytest.raises(CatalogueError, match="withheld"):
        catalogue.restore(RECORD, user="alice")  # the deletion's content is withheld: release first


def test_withholding_a_current_revision_that_is_then_deleted_stays_withheld(catalogue: Catalogue) -> None:
    """A deletion repeats the content of the current revision: withheld, it stays withheld."""
    _write_history(catalogue)
    catalogue.withhold(RECORD, 3, reason="sensitive location")
    stored = catalogue.delete(RECORD, reason="gone", user="alice")
    assert catalogue.store.revision(RECORD, stored.revision).withheld
    with pytest.raises(Withheld):
        catalogue.get(RECORD, stored.revision)


def test_withhold_refusals(demo_app: Flask, catalogue: Catalogue, admin: FlaskClient) -> None:
    _write_history(catalogue)
    archivist = signed_in(demo_app, "alice")
    token = csrf_token(archivist, f"/records/{RECORD}/history")
    refused = archivist.post(f"/records/{RECORD}/revisions/2/withhold", data={"reason": "x", "csrf_token": token})
    assert refused.status_code == 403
    assert admin.post(f"/records/{RECORD}/revisions/2/withhold", data={"reason": "no csrf"}).status_code == 400
    assert _withhold_on_the_page(admin, 9, "no such revision").status_code == 404
    assert _withhold_on_the_page(admin, 2, "not withheld", "release").status_code == 422
    runner = demo_app.test_cli_runner()
    for args in (["withhold", RECORD, "--revision", "2"], ["withhold", RECORD, "--revision", "0", "--reason", "r"],
                 ["release", RECORD, "--revision", "2", "--reason", "r"], ["withhold", "nope", "--revision", "1",
                                                                            "--reason", "r"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and "Traceback" not in result.output, args
    assert catalogue.withholdings() == []


def test_history_form_keeps_the_reason_on_error(admin: FlaskClient, catalogue: Catalogue) -> None:
    _write_history(catalogue)
    _withhold_on_the_page(admin, 2, "first")
    page = _withhold_on_the_page(admin, 2, "typed twice").get_data(as_text=True)
    assert "withheld already" in page
    assert form_fields(page).get("reason") == "typed twice" or 'value="typed twice"' in page


def test_withheld_record_stays_out_of_a_rebuilt_index(demo_app: Flask, catalogue: Catalogue) -> None:
    _write_history(catalogue)
    catalogue.withhold(RECORD, 3, reason="sensitive location")
    assert demo_app.test_cli_runner().invoke(args=["reindex"]).exit_code == 0
    assert catalogue.search("village").total == 0
    report = catalogue.index.check(catalogue.store)
    assert report.drift == 0
    exported = [json.loads(line)["id"] for line in
                demo_app.test_client().get("/export/records.jsonl?type=school").get_data(as_text=True).splitlines()]
    assert RECORD not in exported


def test_import_over_a_withheld_record_is_a_line_error(demo_app: Flask, catalogue: Catalogue, tmp_path) -> None:
    _write_history(catalogue)
    catalogue.withhold(RECORD, 3, reason="sensitive location")
    changed = dict(_content(catalogue.get(RECORD, include_withheld=True)), notes="imported note")
    lines = tmp_path / "records.jsonl"
    lines.write_text(json.dumps(changed) + "\n")
    for args in (["import", str(lines), "--dry-run"], ["import", str(lines)]):
        result = demo_app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1 and "records.jsonl:1: revision 3" in result.stderr
        assert "withheld" in result.stderr
    assert catalogue.store.get(RECORD).revision == 3


def test_an_admin_s_new_content_over_a_withheld_revision_is_public(catalogue: Catalogue) -> None:
    """Only the withheld content stays withheld: a new revision with other content is public again."""
    _write_history(catalogue)
    catalogue.withhold(RECORD, 3, reason="sensitive location")
    new = dict(_content(catalogue.store.revision(RECORD, 3).data), description="A school, its site not given.")
    catalogue.update(RECORD, new, base_revision=3, user="root", message="site removed", allow_withheld=True)
    assert not catalogue.store.revision(RECORD, 4).withheld and catalogue.store.revision(RECORD, 3).withheld
    assert catalogue.get(RECORD)["description"] == "A school, its site not given."
