"""An archivist's path in real headless Chromium (Playwright): sign in, make a mistake in
the record form and fix it, find the change in search and in the history diff, restore
the old revision, sign out (the old cookie stops working), and two editors saving the
same record (the second sees both versions and loses nothing). Screenshots go to
tests/screenshots/ for a human to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.archivists import PASSWORD, add_user
from tests.browser.chromium import screenshot, sign_in
from tests.conftest import make_app
from tests.oaitools import serve

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the demo collection with two archivists, served on a loopback port."""
    app = make_app(tmp_path_factory.mktemp("archivist-browser") / "data")
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    add_user(app, "alice")
    add_user(app, "bob")
    add_user(app, "root", "admin")
    with serve(app) as oai_url:
        yield oai_url.removesuffix("/oai")
    app.extensions["catalogue"].close()


def _context(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    return context


def _save(page: Any) -> None:
    page.locator('button[name="save"]').last.click()
    page.wait_for_load_state()


def _shot(page: Any, name: str) -> None:
    screenshot(page, f"archivist-{name}")


def test_edit_fix_search_history_restore_logout(site: str, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    edit = "/records/khojaly-schools/edit"
    sign_in(page, site, "alice", PASSWORD, edit)

    page.fill('[name="title"]', "Schools of Khojaly district")
    page.fill('[name="conditions[0].date"]', "February 1992")
    page.fill('[name="message"]', "date of the destruction")
    _save(page)
    error = page.locator('[data-for="conditions[0].date"]')
    assert "'February 1992' is not a date the catalogue can read: write a year (1992)" in error.inner_text()
    assert page.input_value('[name="conditions[0].date"]') == "February 1992"  # input kept
    assert page.input_value('[name="title"]') == "Schools of Khojaly district"
    _shot(page, "validation-error")

    page.fill('[name="conditions[0].date"]', "1992-02")
    _save(page)
    page.wait_for_url(f"{site}/records/khojaly-schools")
    assert "Schools of Khojaly district" in page.inner_text("h1")

    page.goto(f"{site}/search?q=district")
    assert page.locator('a[href="/records/khojaly-schools"]').count() >= 1
    _shot(page, "search-after-edit")

    page.goto(f"{site}/records/khojaly-schools/history")
    diff = page.locator("#revision-2 table.diff").inner_text()
    assert "Title" in diff and "Assessment 1 › Date" in diff  # labelled as the form labels them
    assert page.locator("#revision-2 table.diff ins").all_text_contents() == ["added:  district", "added: 1992-02"]
    _shot(page, "history-diff")

    page.fill("#restore-reason-1", "the date was a guess")
    page.locator("#revision-1 form.restore button").click()
    page.wait_for_url(f"{site}/records/khojaly-schools")
    assert page.locator(".flash").inner_text() == "Saved as revision 3."
    assert page.inner_text("h1").strip() == "Schools of Khojaly"

    old_cookies = context.cookies()
    page.locator("header form button").click()
    page.wait_for_load_state()
    page.goto(f"{site}{edit}")
    assert "/login" in page.url
    context.close()

    replay = _context(browser)  # the cookie of the ended session, replayed
    replay.add_cookies(old_cookies)
    page = replay.new_page()
    page.goto(f"{site}{edit}")
    assert re.search(r"/login\?next=", page.url)
    replay.close()


def test_two_editors_the_second_sees_the_conflict_and_loses_nothing(site: str, browser: Any) -> None:
    edit = "/records/khojaly-clubs/edit"
    first, second = _context(browser), _context(browser)
    alice, bob = first.new_page(), second.new_page()
    sign_in(alice, site, "alice", PASSWORD, edit)
    sign_in(bob, site, "bob", PASSWORD, edit)

    alice.fill('[name="title"]', "Clubs of Khojaly (alice)")
    alice.fill('[name="message"]', "alice's title")
    _save(alice)
    alice.wait_for_url(f"{site}/records/khojaly-clubs")

    bob.fill('[name="description"]', "Bob's description of the clubs.")
    bob.fill('[name="message"]', "bob's description")
    _save(bob)
    conflict = bob.locator("#conflict")
    assert "Someone saved this record" in conflict.inner_text()
    table = conflict.locator("table.side-by-side").inner_text()
    assert "Clubs of Khojaly (alice)" in table and "Bob's description of the clubs." in table
    assert bob.input_value('[name="description"]') == "Bob's description of the clubs."
    _shot(bob, "conflict")

    bob.fill('[name="title"]', "Clubs of Khojaly (alice)")  # bob keeps alice's title and saves his text
    _save(bob)
    bob.wait_for_url(f"{site}/records/khojaly-clubs")
    bob.goto(f"{site}/records/khojaly-clubs/history")
    text = bob.inner_text("ol.history")
    assert "alice's title" in text and "bob's description" in text
    body = bob.inner_text("main")
    assert "Clubs of Khojaly (alice)" in body
    first.close()
    second.close()


def test_archivist_pages_fit_a_phone_in_azerbaijani(site: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site}/login?lang=az")
    sign_in(page, site, "root", PASSWORD, "/admin/users")
    for path in ("/admin/users", "/admin/sources", "/admin/", "/pending", "/records/khojaly-clubs/edit"):
        page.goto(f"{site}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        assert page.locator("html").get_attribute("lang") == "az"
    _shot(page, "users-phone-az")
    page.goto(f"{site}/records/new")
    page.fill('[name="quantity"]', "many")
    _save(page)
    summary = page.locator("#error-summary")
    assert "Qeyd saxlanmadı" in summary.inner_text()
    summary.locator('a[href="#f-quantity"]').click()
    assert page.evaluate("location.hash") == "#f-quantity"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "form-errors-phone-az")
    context.close()
