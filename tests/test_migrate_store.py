"""`catalogue migrate-store`: a catalogue moves from SQLite to PostgreSQL and back with
nothing lost (every revision, withholding, user, token, sign-in counter, harvest source,
run, harvest state, pending change, saved import mapping, uploaded import file, place
authority with its revisions and id collision), the copy is verified, and a non-empty target is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from catalogue.access import Throttle
from catalogue.service import Catalogue
from catalogue.service.harvests import Harvested, IdCollision
from catalogue.store import transfer
from catalogue.store.transfer import COPIED, NOT_COPIED, TransferError
from tests.clirun import cli_env, run_cli
from tests.recordsamples import make_record

PLACE = {"id": "quarry", "names": [{"value": "Old quarry", "lang": "en"}]}
MAPPING = '[record]\nid_column = "id"\n[columns]\n"t" = "title"\n'
#: An uploaded file as bytes, a NUL and bytes that are no UTF-8 among them.
UPLOAD = b"id,t\r\nx1,Caf\xe9\x00\xff\r\n"

pytestmark = pytest.mark.own_store  # the tests choose their stores themselves


def fill(cat: Catalogue) -> None:
    """A catalogue with something in every table migrate-store copies."""
    for i in range(30):
        cat.create(make_record(id=f"r{i}", title=f"Record {i}", quantity=i + 1, quantity_sources=["s1"]))
    first = cat.get("r1")
    cat.update("r1", dict(first, title="Record one, renamed"), base_revision=1, user="ana", message="rename")
    cat.delete("r2", reason="duplicate of r3", user="ana")
    cat.withhold("r3", 1, reason="a private address", user="admin")
    cat.accounts.add("ana", "a long enough password", "archivist")
    cat.accounts.add("boss", "another long password", "admin")
    cat.accounts.create_token("script", "archivist")
    cat.accounts.sign_in("ana", "wrong password", "192.0.2.7", Throttle())
    ledger = cat.harvests
    ledger.add_source("museum", "https://museum.example.org/oai", "oai-pmh", "oai_dc", None, None, {"limit": 5})
    run = ledger.start_run("museum", full=True, dry_run=False)
    ledger.add_errors(run, [("oai:museum:9", "no title"), (None, "one page timed out")])
    ledger.update_run(run, {"created": 1}, status="ok")
    ledger.set_harvested(Harvested("museum", "oai:museum:1", "r4", 1, "abc", "2024-01-01T00:00:00Z"))
    ledger.mark_seen("museum", "oai:museum:1", "list-1", None)
    ledger.add_pending("r4", "museum", "oai:museum:1", "update", {"title": "Upstream title"}, None)
    ledger.save_progress("museum", {"token": "abc"}, checkpoint="2024-01-02T00:00:00Z")
    cat.uploads.save_mapping("register", MAPPING, "boss")
    upload = cat.uploads.add("register.csv", UPLOAD, mapping=MAPPING, mapping_name="register", sheet=None,
                             encoding="latin-1", user="ana")
    cat.uploads.set_run(upload.token, run)
    cat.places.save(PLACE, user="ana", message="a place")
    cat.places.save(dict(PLACE, note="Renamed after a survey."), user="ana", base_revision=1)
    cat.places.link("r6", "quarry", user="ana")
    ledger.set_collision(IdCollision("museum", "oai:museum:7", "r7", "r7-museum", "rename", run,
                                     "2024-01-03T00:00:00Z"))


def snapshot(cat: Catalogue) -> dict[str, Any]:
    """What a person sees of a catalogue, through the service."""
    ids = [f"r{i}" for i in range(30)]
    return {
        "history": {i: [(r.seq, r.revision, r.action, r.data, r.user, r.message, r.withheld) for r in cat.history(
            i, include_withheld=True)] for i in ids},
        "counts": cat.counts(), "last_change": cat.last_change(), "withholdings": cat.withholdings(),
        "users": cat.accounts.users(), "tokens": cat.accounts.tokens(),
        "sources": cat.harvests.sources(), "runs": cat.harvests.runs(),
        "errors": [cat.harvests.run_errors(run.id) for run in cat.harvests.runs()],
        "harvested": cat.harvests.harvested("museum", "oai:museum:1"),
        "pending": cat.harvests.pending(status=None),
        "mappings": cat.uploads.mappings(), "uploads": [cat.uploads.of_run(run.id) for run in cat.harvests.runs()],
        "places": cat.places.all(), "place_history": cat.places.history("quarry"),
        "linked": cat.places.record_count("quarry"), "collisions": cat.harvests.collisions("r7"),
    }


def test_sqlite_to_postgresql_to_sqlite_loses_nothing(tmp_path: Path, postgres: Any) -> None:
    data = tmp_path / "data"
    with Catalogue(data) as cat:
        fill(cat)
        before = snapshot(cat)
        assert before["uploads"][0].content == UPLOAD and before["mappings"][0].text == MAPPING
        assert cat.search("renamed").total == 1
    pg = postgres.fresh_url()
    try:
        moved = run_cli(data, "migrate-store", pg)
        assert moved.returncode == 0, moved.stderr
        assert "Verified" in moved.stdout and "revision chains of 30 records" in moved.stdout
        assert ("30 records" in moved.stdout and "***" not in pg) or "***" in moved.stdout
        with Catalogue(data, database_url=pg) as cat:
            assert snapshot(cat) == before
            assert cat.search("renamed").total == 1  # the index follows: change numbers were kept
            cat.update("r5", dict(cat.get("r5"), title="Edited on PostgreSQL"), base_revision=1)
            assert cat.search("edited postgresql").total == 1
            after_edit = snapshot(cat)
        back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
        again = run_cli(data, "migrate-store", back, "--from", pg)
        assert again.returncode == 0, again.stderr
        with Catalogue(tmp_path / "elsewhere", database_url=back) as cat:
            assert snapshot(cat) == after_edit
    finally:
        postgres.drop(pg)


def test_a_target_holding_data_is_refused(tmp_path: Path, store_url: str | None) -> None:
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    with Catalogue(tmp_path / "t", database_url=target) as other:
        other.create(make_record(id="already-here"))
    with Catalogue(tmp_path / "data", database_url=store_url) as cat:
        fill(cat)
        with pytest.raises(TransferError, match=r"not empty .*1 records"):
            cat.migrate_store(target)
    result = run_cli(tmp_path / "data2", "migrate-store", target)
    assert result.returncode == 1 and "not empty" in result.stderr and "Traceback" not in result.stderr
    with Catalogue(tmp_path / "t", database_url=target) as other:
        assert other.counts()["records"] == 1


def test_a_backup_of_a_postgresql_store_is_a_verified_sqlite_file(tmp_path: Path, postgres: Any) -> None:
    pg = postgres.fresh_url()
    try:
        with Catalogue(tmp_path / "data", database_url=pg) as cat:
            fill(cat)
            before = snapshot(cat)
            cat.backup(tmp_path / "backup.sqlite3")
        with Catalogue(tmp_path / "restored", database_url=f"sqlite:///{tmp_path / 'backup.sqlite3'}") as copy:
            assert snapshot(copy) == before
    finally:
        postgres.drop(pg)


def test_every_table_is_copied_or_left_behind_for_a_reason(tmp_path: Path, store_url: str | None) -> None:
    """A table added by a later migration must be named in `transfer.COPIED` or `NOT_COPIED`,
    else migrate-store refuses to run (it would lose the table)."""
    with Catalogue(tmp_path / "data", database_url=store_url) as cat:
        assert cat.store.backend.tables(cat.store.conn) == set(COPIED) | set(NOT_COPIED)


def test_bad_store_urls_are_one_clear_line(tmp_path: Path) -> None:
    for url, message in (("mysql://x@y/z", "sqlite:/// or postgresql://"),
                         ("sqlite://relative", "names a file"),
                         ("postgresql://nobody@127.0.0.1:1/none", "cannot connect to the PostgreSQL store")):
        result = run_cli(tmp_path / "data", "stats", settings={"DATABASE_URL": url})
        assert result.returncode == 1, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
    assert transfer.BATCH > 0


WITHOUT_DRIVER = """
import sys
sys.modules["psycopg"] = None  # as if the [postgresql] extra were not installed
from catalogue.cli import main
main()
"""


def test_a_postgresql_url_without_the_driver_says_what_to_install(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", DATABASE_URL="postgresql://someone@db.example.org/catalogue")
    result = subprocess.run([sys.executable, "-c", WITHOUT_DRIVER, "stats"], env=env, capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 1
    assert "pip install 'heritage-catalogue[postgresql]'" in result.stderr and "Traceback" not in result.stderr
