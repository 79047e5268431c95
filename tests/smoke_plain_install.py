"""Smoke test of a plain install: bad input through every door, and never a traceback or a 5xx.

The README installs with `pip install .` alone; the test suite runs with the test extras,
which bring in more packages (some of them optional dependencies of our dependencies). This
script checks what a user of the plain install meets. `.ci/run` builds such a venv and runs:

    PLAIN_VENV/bin/python tests/smoke_plain_install.py

It drives the `catalogue` command next to that Python (in a temporary folder with its own
data directory) and a `catalogue serve` on a free loopback port: `validate` and `import` of
bad JSON Lines, `import` of a bad CSV and of a broken mapping, the write API (POST, PATCH and
PUT with a token) and the record form (signed in as an archivist, with CSRF tokens). Each
answer must be a clear error: no "Traceback" on stdout or stderr, no 5xx. Exit code 0 when
all held, 1 with the list of what did not. It uses the standard library and `requests` only.
"""

from __future__ import annotations

import html
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for the helpers below, not the catalogue itself
from tests.archivists import CSRF_TOKEN, form_fields

PASSWORD = "smoke test password, long enough"
GOOD = {"id": "smoke-good", "type": "school", "title": "Smoke test school",
        "sources": [{"id": "s1", "citation": "A source for the smoke test."}]}
BAD_LINES = [
    json.dumps(GOOD),
    json.dumps(dict(GOOD, id="smoke-bad-type", type="spaceport")),
    json.dumps(dict(GOOD, id="smoke-bad-time", created="yesterday",  # the store sets `created`: ignored
                    provenance={"origin": "import", "harvested_at": "2024-13-01T00:00:00Z"})),
    json.dumps(dict(GOOD, id="smoke-bad-date", conditions=[{"status": "gone", "date": "someday", "sources": ["s1"]}])),
    json.dumps(dict(GOOD, id="smoke-bad-quantity", quantity="many")),
    json.dumps(["not", "an", "object"]),
    "{not json",
    "[" * 5000 + "]" * 5000,
]
MAPPING = """
[record]
id_column = "Id"
[columns]
"Title" = "title"
"Type" = "type"
"Quantity" = "quantity"
"Status" = "condition.status"
"Date" = "condition.date"
[source]
citation = "A spreadsheet for the smoke test."
"""
CSV = ("Id,Title,Type,Quantity,Status,Date\n"
       "csv-good,A school,school,2,destroyed,1992\n"
       "csv-bad-type,A spaceport,spaceport,,,\n"
       "csv-bad-number,Some libraries,library,several,,\n"
       "csv-bad-status,A club,club,,vanished,someday\n"
       "BAD ID,No id,school,,,\n")
BROKEN_MAPPINGS = {
    "table-without-field": '[record]\nid_column = "Id"\n[columns]\n"Title" = { lang = "ru" }\n',
    "lossy": '[record]\nid_column = "Id"\n[columns]\n"Title" = "title"\n"Other" = "title"\n',
    "number-as-template": '[record]\nid_template = 7\n[columns]\n"Title" = "title"\n',
    "long-delimiter": '[record]\nid_column = "Id"\ndelimiter = ";;"\n[columns]\n"Title" = "title"\n',
    "list-as-source": '[record]\nid_column = "Id"\n[columns]\n"Title" = "title"\n[source]\ncitation = ["a", "b"]\n',
}


class Smoke:
    """Runs the checks and collects what failed."""

    def __init__(self, work: Path):
        self.work = work
        self.failures: list[str] = []
        self.command = str(Path(sys.executable).parent / "catalogue")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOGUE_")}
        self.env.update(CATALOGUE_DATA=str(work / "data"), CATALOGUE_ENV="production",
                        CATALOGUE_SECRET_KEY="smoke-test-secret", CATALOGUE_DEMO_ON_EMPTY="false",
                        PYTHONUNBUFFERED="1")

    def check(self, ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            self.failures.append(what)

    # -- the command line ---------------------------------------------------------------

    def cli(self, what: str, *args: str, stdin: str = "", expect: int | None = 1) -> subprocess.CompletedProcess:
        """Run `catalogue ARGS`: no traceback, the expected exit code, a message on stderr."""
        done = subprocess.run([self.command, *args], cwd=self.work, env=self.env, input=stdin,
                              capture_output=True, text=True, timeout=300)
        output = done.stdout + done.stderr
        self.check("Traceback" not in output, f"{what}: no traceback")
        if expect is not None:
            self.check(done.returncode == expect, f"{what}: exit code {expect} (got {done.returncode})")
        if expect:
            self.check(bool(done.stderr.strip()), f"{what}: the problem is said on stderr")
        if "Traceback" in output or (expect is not None and done.returncode != expect):
            print(output[-3000:])
        return done

    def command_line(self) -> None:
        jsonl = self.work / "bad.jsonl"
        jsonl.write_text("\n".join(BAD_LINES) + "\n", encoding="utf-8")
        self.cli("init", "init", expect=0)
        checked = self.cli("validate bad JSON Lines", "validate", str(jsonl))
        self.check("1 valid, 7 invalid" in checked.stdout, "validate: counts the valid and invalid lines")
        self.check("harvested_at" in checked.stderr and "type" in checked.stderr, "validate: names the bad fields")
        imported = self.cli("import bad JSON Lines", "import", str(jsonl))
        self.check("1 created" in imported.stdout and "7 failed" in imported.stdout,
                   "import: the bad lines are refused, the others imported")
        self.check(imported.stderr == checked.stderr, "import: refuses exactly what validate refuses")
        mapping = self.work / "mapping.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        table = self.work / "bad.csv"
        table.write_text(CSV, encoding="utf-8")
        rows = self.cli("import bad CSV", "import", str(table), "--mapping", str(mapping))
        self.check("1 created" in rows.stdout and rows.stderr.count("bad.csv:") == 4,
                   "import CSV: the good row is imported, each bad one reported")
        for name, text in BROKEN_MAPPINGS.items():
            broken = self.work / f"{name}.toml"
            broken.write_text(text, encoding="utf-8")
            done = self.cli(f"import CSV with a broken mapping ({name})", "import", str(table), "--mapping",
                            str(broken))
            self.check(len(done.stderr.strip().splitlines()) == 1, f"{name}: one line says what is wrong")
        examples = Path(__file__).resolve().parent.parent / "harvest" / "examples"
        for workbook in ("register.xlsx", "register.csv"):  # the readers of workbooks come with a plain install
            dry = self.cli(f"dry run of {workbook}", "import", str(examples / workbook), "--mapping",
                           str(examples / "register-mapping.toml"), "--dry-run", expect=0)
            self.check("48 would be created" in dry.stdout, f"dry run of {workbook}: the register's 48 sites")
        bomb = self.work / "bomb.xlsx"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 40 * 2**20)
        self.cli("import a zip bomb named .xlsx", "import", str(bomb), "--mapping",
                 str(examples / "register-mapping.toml"))
        self.cli("search with a bad query", "search", '"unclosed AND (', expect=None)
        self.cli("show an unknown record", "show", "no-such-record")
        self.cli("add an archivist", "user", "add", "smoke", "--role", "archivist", stdin=PASSWORD + "\n", expect=0)

    # -- the web ------------------------------------------------------------------------

    def web(self) -> None:
        token = self.cli("create a token", "token", "create", "smoke-token", expect=0).stdout.strip()
        port = free_port()
        log = (self.work / "serve.log").open("w+", encoding="utf-8")
        server = subprocess.Popen([self.command, "serve", "--port", str(port), "--threads", "2"], cwd=self.work,
                                  env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            self.check(wait_until_up(base, server), "serve: the server answers")
            self.api(base, token)
            self.form(base)
            self.pages(base)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.seek(0)
            output = log.read()
            log.close()
        self.check("Traceback" not in output and "Exception on" not in output, "serve: no traceback in the log")
        if "Traceback" in output:
            print(output[-5000:])

    def answer(self, what: str, response: requests.Response, expect: int) -> None:
        self.check(response.status_code < 500, f"{what}: no 5xx (got {response.status_code})")
        self.check(response.status_code == expect, f"{what}: status {expect} (got {response.status_code})")

    def api(self, base: str, token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        url = f"{base}/api/records"
        self.answer("API POST invalid record", requests.post(url, json=dict(GOOD, id="api-bad", type="spaceport",
                                                                              created="yesterday"),
                                                             headers=auth, timeout=30), 422)
        self.answer("API POST not JSON", requests.post(url, data="{oops", headers=dict(
            auth, **{"Content-Type": "application/json"}), timeout=30), 400)
        self.answer("API POST record", requests.post(url, json=dict(GOOD, id="api-good"), headers=auth,
                                                     timeout=30), 201)
        patch = {"Content-Type": "application/merge-patch+json", "If-Match": '"1"', **auth}
        self.answer("API PATCH invalid change", requests.patch(f"{url}/api-good", data=json.dumps(
            {"quantity": -3, "conditions": [{"status": "gone"}]}), headers=patch, timeout=30), 422)
        self.answer("API PATCH without revision", requests.patch(f"{url}/api-good", data="{}", headers=dict(
            patch, **{"If-Match": ""}), timeout=30), 428)
        self.answer("API PUT invalid record", requests.put(f"{url}/api-good", json={"title": ""}, headers=dict(
            auth, **{"If-Match": '"1"'}), timeout=30), 422)

    def form(self, base: str) -> None:
        browser = requests.Session()
        browser.post(f"{base}/login", data={"name": "smoke", "password": PASSWORD,
                                            "csrf_token": csrf(browser, f"{base}/login")}, timeout=30)
        page = browser.get(f"{base}/records/new", timeout=30)
        self.check(page.status_code == 200 and page.url.endswith("/records/new"),
                   "form: an archivist signs in and gets the new-record form")
        fields = {"csrf_token": csrf(browser, f"{base}/records/new"), "id": "form-bad", "type": "spaceport",
                  "title": "", "quantity": "many", "names[0].value": "Name", "names[0].lang": "not a language",
                  "conditions[0].status": "gone", "conditions[0].date": "someday", "sources[0].id": "s1",
                  "sources[0].citation": "A source", "message": "smoke test"}
        created = browser.post(f"{base}/records/new", data=fields, timeout=30)
        self.answer("form: new record with bad fields", created, 422)
        self.check('value="form-bad"' in created.text, "form: what was typed is kept")
        edit = browser.get(f"{base}/records/smoke-good/edit", timeout=30)
        self.check(edit.status_code == 200, "form: the edit form opens")
        values = dict(form_fields(edit.text), title="", type="spaceport", **{"conditions[0].status": "gone"},
                      message="smoke test edit")
        self.answer("form: edit with bad fields", browser.post(f"{base}/records/smoke-good/edit", data=values,
                                                               timeout=30), 422)

    def pages(self, base: str) -> None:
        for path in ("/search?q=%22unclosed+AND+(", "/api/search?q=title:(((", "/records/no-such-record",
                     "/records/smoke-good?revision=abc", "/oai?verb=ListRecords&metadataPrefix=nope"):
            response = requests.get(base + path, timeout=30)
            self.check(response.status_code < 500, f"GET {path}: no 5xx (got {response.status_code})")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return requests.get(base + "/", timeout=30).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its first page is slow
            time.sleep(0.2)
    return False


def csrf(session: requests.Session, url: str) -> str:
    """The CSRF token a page embeds in its forms ("" when there is none)."""
    match = CSRF_TOKEN.search(session.get(url, timeout=30).text)
    return html.unescape(match.group(1)) if match else ""


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="catalogue-smoke-") as folder:
        smoke = Smoke(Path(folder))
        smoke.command_line()
        smoke.web()
    if smoke.failures:
        print(f"\n{len(smoke.failures)} checks failed:\n  " + "\n  ".join(smoke.failures))
        return 1
    print("\nplain install smoke test: every check held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
