"""Cite this record: the record's URL (the one way every page, API answer, export and
OAI-PMH record links to it; with a revision, a permanent one), and the citation as plain
text, BibTeX and CSL-JSON, so a researcher can quote exactly the version they read."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_^~])")
_BIBTEX_REPLACE = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


def record_url(base_url: str, record_id: str, revision: int | None = None) -> str:
    """The URL of a record's page under the site's `base_url` (a relative URL when it is
    empty); with `revision`, of that revision: what stays true after later edits."""
    url = f"{base_url.rstrip('/')}/records/{quote(record_id)}"
    return url if revision is None else f"{url}?revision={revision}"


def _day(timestamp: str) -> str:
    """``2025-02-26T10:00:00Z`` -> ``2025-02-26``."""
    return (timestamp or "")[:10]


def text(record: dict[str, Any], url: str, repository: str, accessed: str) -> str:
    """A plain-text citation: title, repository, record id and revision, URL, access date."""
    parts = [f"“{record['title']}”", f"{repository}, record {record['id']}, revision {record.get('revision', 1)}"]
    modified = _day(record.get("modified", ""))
    if modified:
        parts[-1] += f" ({modified})"
    return ". ".join(parts) + f". {url} (accessed {accessed})."


def _bibtex_escape(value: str) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_REPLACE.get(m.group(1), "\\" + m.group(1)), value)


def bibtex(record: dict[str, Any], url: str, repository: str, accessed: str) -> str:
    """A BibTeX ``@misc`` entry; the key is the record id and revision."""
    revision = record.get("revision", 1)
    key = re.sub(r"[^A-Za-z0-9_-]", "_", f"{record['id']}-r{revision}")
    fields = [
        ("title", "{" + _bibtex_escape(record["title"]) + "}"),
        ("organization", _bibtex_escape(repository)),
        ("year", _day(record.get("modified", ""))[:4]),
        ("version", str(revision)),
        ("url", url),
        ("urldate", accessed),
        ("note", f"Record {_bibtex_escape(record['id'])}, revision {revision}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}"


def _date_parts(day: str) -> dict[str, Any] | None:
    numbers = [int(p) for p in day.split("-") if p.isdigit()]
    return {"date-parts": [numbers]} if numbers else None


def csl_json(record: dict[str, Any], url: str, repository: str, accessed: str) -> dict[str, Any]:
    """A CSL-JSON item (type ``dataset``) as used by Zotero, Pandoc and citeproc."""
    item: dict[str, Any] = {
        "id": f"{record['id']}-r{record.get('revision', 1)}",
        "type": "dataset",
        "title": record["title"],
        "publisher": repository,
        "version": str(record.get("revision", 1)),
        "URL": url,
        "accessed": _date_parts(accessed),
        "issued": _date_parts(_day(record.get("modified", ""))),
    }
    return {k: v for k, v in item.items() if v}
