"""The headless browser of the end-to-end tests: Debian's chromium driven by Playwright
(a pytest plugin module, loaded by tests/conftest.py).

`playwright install` cannot download browsers here, so the tests launch /usr/bin/chromium
(installed by `.ci/run`). Without it, or without Playwright, the tests skip on a developer's
machine but fail under CI (``CI`` set), so a missing browser never passes as green.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module."""
    if not CHROMIUM.exists():
        unavailable("Debian chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def screenshot(page: Any, name: str) -> None:
    """Save a full-page screenshot into tests/screenshots/ to be looked at after the run."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


#: The focused element as the tests name it: its id, else its name, else its tag.
FOCUSED = ("() => { const a = document.activeElement;"
           " return a ? (a.id || a.getAttribute('name') || a.tagName) : ''; }")


def focused(page: Any, expected: str | None = None, timeout_ms: float = 5000) -> str:
    """What has the keyboard focus; with `expected`, once it is that or after `timeout_ms`.
    A page's `autofocus` and the focus its script moves land after the load event, later on
    a busy machine: the test waits for them instead of reading too early."""
    if expected is not None:
        from playwright.sync_api import TimeoutError as Timeout
        with contextlib.suppress(Timeout):  # the caller's assertion shows what has the focus instead
            page.wait_for_function(f"id => ({FOCUSED})() === id", arg=expected, timeout=timeout_ms)
    return page.evaluate(FOCUSED)


def sign_in(page: Any, base: str, name: str, password: str, next_path: str | None = None) -> None:
    """Fill in and send the sign-in form of the site at `base` (a wrong password too: the page
    then shows why); with `next_path`, wait until it has taken the browser there."""
    page.goto(f"{base}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form.login button[type=submit]")
    if next_path:
        page.wait_for_url(f"{base}{next_path}")
    else:
        page.wait_for_load_state()
