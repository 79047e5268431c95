"""Accessibility basics of the archivist pages, checked in their HTML: every visible form
control has a label tied to it, ids are unique, the error summary links to the inputs it
is about, and headings do not skip levels."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from flask import Flask

from tests.archivists import csrf_token, signed_in

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index


class _Page(HTMLParser):
    """The ids, labels, form controls, links and headings of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.links: list[str] = []
        self.headings: list[int] = []
        self._in_label = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        if tag == "label":
            self._in_label += 1
            if "for" in values:
                self.label_for.add(values["for"])
        if tag in ("input", "select", "textarea") and values.get("type") not in ("hidden", "submit"):
            self.controls.append(dict(values, wrapped="1" if self._in_label else ""))
        if tag == "a" and values.get("href", "").startswith("#"):
            self.links.append(values["href"][1:])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def _check(html: str) -> _Page:
    page = _Page(html)
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert duplicates == []
    unlabelled = [c.get("name") for c in page.controls if not c["wrapped"] and c.get("id") not in page.label_for]
    assert unlabelled == []
    assert set(page.links) <= set(page.ids) | {"main", "cite", ""}, set(page.links) - set(page.ids)
    assert page.headings and page.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), page.headings
    return page


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/sources", "/admin/runs", "/pending",
                                  "/records/new", "/records/khojaly-schools/edit", "/login"])
def test_archivist_pages_label_every_control(demo_app: Flask, path: str) -> None:
    admin = signed_in(demo_app, "root", "admin")
    response = admin.get(path)
    assert response.status_code == 200
    _check(response.get_data(as_text=True))


def test_error_summary_links_to_each_problem(demo_app: Flask) -> None:
    archivist = signed_in(demo_app, "alice")
    data = {"csrf_token": csrf_token(archivist, "/records/new"), "title": "X", "quantity": "many",
            "period.start": "soon", "conditions[0].date": "February 1992", "conditions[0].status": "gone",
            "save": "1"}
    response = archivist.post("/records/new", data=data)
    assert response.status_code == 422
    page = _check(response.get_data(as_text=True))
    assert {"f-quantity", "f-period-start", "f-conditions-0-date", "f-message", "error-sources"} <= set(page.links)
    invalid = [c["id"] for c in page.controls if c.get("aria-invalid") == "true"]
    assert {"f-quantity", "f-conditions-0-date", "f-conditions-0-status", "f-message"} <= set(invalid)
    assert all(c.get("aria-describedby") == f"error-{c['id'][2:]}" for c in page.controls
               if c.get("aria-invalid") == "true")
