"""An archivist imports a spreadsheet in real headless Chromium (Playwright): an admin saves
the mapping, the archivist uploads the register sample (.xlsx, every row invented), reads the
dry run, confirms, follows the progress (updated by the page's script; reloaded by itself
without JavaScript when the import runs again) and finds the import in the harvest log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.archivists import PASSWORD, add_user
from tests.browser.chromium import screenshot, sign_in
from tests.conftest import make_app
from tests.oaitools import serve

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "harvest" / "examples"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty catalogue with an admin and an archivist, served on a loopback port."""
    app = make_app(tmp_path_factory.mktemp("import-browser") / "data")
    add_user(app, "ada", "admin")
    add_user(app, "arch")
    with serve(app) as oai_url:
        yield oai_url.removesuffix("/oai")
    app.extensions["catalogue"].close()


def _signed_in(browser: Any, site: str, name: str, javascript: bool = True) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, java_script_enabled=javascript)
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, site, name, PASSWORD, "/imports/")
    return page


def _until_ended(page: Any) -> None:
    """Wait (as a user watching the page would) until the status says the import ended."""
    for _ in range(60):
        if page.locator("#import-status").inner_text().strip() == "ok":
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the import did not end: {page.inner_text('main')}")


def test_upload_preview_confirm_progress_and_the_harvest_log(site: str, browser: Any) -> None:
    admin = _signed_in(browser, site, "ada")
    admin.goto(f"{site}/imports/mappings")
    admin.fill("#f-name", "Synthetic register")
    admin.fill("#f-text", (EXAMPLES / "register-mapping.toml").read_text(encoding="utf-8"))
    admin.click("form[action$='/imports/mappings'] button[type=submit]")
    admin.wait_for_url(f"{site}/imports/mappings")
    assert "Synthetic register" in admin.inner_text("main")
    admin.context.close()

    page = _signed_in(browser, site, "arch")
    page.set_input_files("#f-file", str(EXAMPLES / "register.xlsx"))
    page.select_option("#f-mapping-name", "Synthetic register")
    page.click("form.import-form button[type=submit]")
    page.wait_for_selector("#import-counts")
    counts = page.inner_text("#import-counts")
    assert "create 48" in counts and "1 warning(s)" in counts
    assert page.locator(".preview-record").count() == 10
    assert "Крепость Велория" in page.inner_text(".preview-record >> nth=0")
    assert "(0, 0)" in page.inner_text("table.import-problems")
    screenshot(page, "import-preview")

    page.click("form.confirm button[type=submit]")
    page.wait_for_url("**/imports/runs/*")
    _until_ended(page)
    assert page.inner_text("#count-new") == "48" and page.inner_text("#count-warnings") == "1"
    screenshot(page, "import-done")
    run_url = page.url

    page.click("text=This import in the harvest log")
    assert "import: register.xlsx" in page.inner_text("main")
    assert "warning: the position is (0, 0)" in page.inner_text("table.run-errors")
    page.goto(f"{site}/records/register-102")
    assert "France" in page.inner_text("main") and "Spain" in page.inner_text("main")
    page.context.close()

    plain = _signed_in(browser, site, "arch", javascript=False)
    plain.goto(run_url)
    plain.click("text=Import again")
    plain.wait_for_url("**/imports/runs/*")
    _until_ended(plain)  # the page reloads itself (meta refresh) until the run has ended
    assert plain.inner_text("#count-unchanged") == "48" and plain.inner_text("#count-new") == "0"
    plain.context.close()
