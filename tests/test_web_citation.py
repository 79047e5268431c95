"""Cite-this-record formats and the field-level diff of the history page, through their
Python API (the pages that show them are tested in test_web_pages.py)."""

from __future__ import annotations

from catalogue import diff
from catalogue.formats import citation

RECORD = {"id": "khojaly-schools", "title": "Schools of {Khojaly} & 100% _x_", "revision": 3,
          "modified": "2025-03-01T12:00:00Z"}
URL = citation.record_url("https://cat.example.org/", "khojaly-schools", 3)


def test_permanent_url_names_the_revision() -> None:
    assert URL == "https://cat.example.org/records/khojaly-schools?revision=3"
    assert citation.record_url("https://cat.example.org", "khojaly-schools") == \
        "https://cat.example.org/records/khojaly-schools"
    assert citation.record_url("", "khojaly-schools") == "/records/khojaly-schools"


def test_text_citation() -> None:
    text = citation.text(RECORD, URL, "Heritage catalogue", "2025-04-02")
    assert text.startswith("“Schools of {Khojaly} & 100% _x_”. Heritage catalogue, record khojaly-schools, revision 3")
    assert "(2025-03-01)" in text and text.endswith(f"{URL} (accessed 2025-04-02).")


def test_bibtex_escapes_special_characters() -> None:
    entry = citation.bibtex(RECORD, URL, "Heritage catalogue", "2025-04-02")
    assert entry.startswith("@misc{khojaly-schools-r3,\n")
    assert r"title = {{Schools of \{Khojaly\} \& 100\% \_x\_}}" in entry
    assert "year = {2025}" in entry and f"url = {{{URL}}}" in entry and "version = {3}" in entry
    assert entry.count("{") == entry.count("}")


def test_csl_json() -> None:
    item = citation.csl_json(RECORD, URL, "Heritage catalogue", "2025-04-02")
    assert item == {
        "id": "khojaly-schools-r3", "type": "dataset", "title": RECORD["title"], "publisher": "Heritage catalogue",
        "version": "3", "URL": URL, "accessed": {"date-parts": [[2025, 4, 2]]},
        "issued": {"date-parts": [[2025, 3, 1]]},
    }


def test_diff_reports_added_removed_and_changed_fields() -> None:
    old = {"title": "A", "subjects": ["x", "y"], "place": {"name": "P"}, "revision": 1}
    new = {"title": "B", "subjects": ["x"], "place": {"name": "P", "country": "C"}, "revision": 2}
    changes = {c.path: (c.kind, c.old, c.new) for c in diff.changes(old, new)}
    assert changes == {
        "title": ("changed", "A", "B"),
        "subjects[1]": ("removed", "y", None),
        "place.country": ("added", None, "C"),
    }


def test_diff_of_a_first_revision_lists_every_field() -> None:
    paths = [c.path for c in diff.changes(None, {"title": "A", "names": [{"value": "N", "lang": "az"}]})]
    assert paths == ["names[0].lang", "names[0].value", "title"]
