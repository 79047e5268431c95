"""Cite this record: the record's URL (the one way every page, API answer, export and
OAI-PMH record links to it; with a revision, a permanent one), and the citation as plain
text, BibTeX, CSL-JSON and RIS, naming the sources the record rests on, so a researcher can
quote exactly the version they read; and the Highwire Press and Dublin Core meta tags
reference managers (Zotero, Mendeley) read from the record page."""

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


#: Sources a citation names by their citation; more are counted.
NAMED_SOURCES = 3


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())


def rests_on(record: dict[str, Any]) -> str:
    """The sources a record rests on, by their citations ("Based on: A; B and 2 other
    sources."); empty when it cites none."""
    cited = [_one_line(s.get("citation")).rstrip(".") for s in record.get("sources") or []
             if isinstance(s, dict) and s.get("citation")]
    if not cited:
        return ""
    named = "; ".join(cited[:NAMED_SOURCES])
    more = len(cited) - NAMED_SOURCES
    if more > 0:
        named += f" and {more} other source{'s' if more > 1 else ''}"
    return f"Based on: {named}."


def text(record: dict[str, Any], url: str, repository: str, accessed: str) -> str:
    """A plain-text citation: title, repository, record id and revision, the sources it rests
    on, URL, access date."""
    parts = [f"“{record['title']}”", f"{repository}, record {record['id']}, revision {record.get('revision', 1)}"]
    modified = _day(record.get("modified", ""))
    if modified:
        parts[-1] += f" ({modified})"
    based = rests_on(record)
    return ". ".join(parts) + "." + (f" {based}" if based else "") + f" {url} (accessed {accessed})."


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
        ("note", _bibtex_escape(f"Record {record['id']}, revision {revision}. {rests_on(record)}".strip())),
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
        "note": rests_on(record),
    }
    return {k: v for k, v in item.items() if v}


def _ris_value(value: Any) -> str:
    return _one_line(value)[:2000]


def ris(record: dict[str, Any], url: str, repository: str, accessed: str) -> str:
    """An RIS record (type DATA) as reference managers import it: CRLF line ends, one tag a line."""
    revision = record.get("revision", 1)
    modified = _day(record.get("modified", ""))
    lines = [("TY", "DATA"), ("TI", record["title"]), ("PB", repository), ("DB", repository),
             ("ID", f"{record['id']}-r{revision}"), ("ET", f"revision {revision}"), ("UR", url),
             ("PY", modified[:4]), ("DA", _slashed(modified)), ("Y2", _slashed(accessed)),
             ("AB", record.get("description")),
             *(("KW", subject) for subject in record.get("subjects") or []),
             ("N1", f"Record {record['id']}, revision {revision}. {rests_on(record)}".strip()),
             ("ER", "")]
    return "".join(f"{tag}  - {_ris_value(value)}\r\n" for tag, value in lines if value or tag == "ER")


def _slashed(day: str) -> str:
    return day.replace("-", "/")


def meta_tags(record: dict[str, Any], url: str, page_url: str, repository: str) -> list[tuple[str, str]]:
    """(name, content) of the Highwire Press (``citation_*``) and Dublin Core (``DC.*``) meta
    tags of a record page: what Zotero and Mendeley read to import it in one click. The
    sources it rests on are its references (``citation_reference``, ``DC.source``)."""
    modified = _day(record.get("modified", ""))
    sources = [s for s in record.get("sources") or [] if isinstance(s, dict) and s.get("citation")]
    tags = [("citation_title", record["title"]), ("citation_publisher", repository),
            ("citation_date", _slashed(modified)), ("citation_online_date", _slashed(modified)),
            ("citation_public_url", url), ("citation_abstract_html_url", page_url),
            *(("citation_keywords", subject) for subject in record.get("subjects") or []),
            *(("citation_reference", _reference(s)) for s in sources),
            ("DC.title", record["title"]), ("DC.publisher", repository), ("DC.date", modified),
            ("DC.identifier", url), ("DC.type", "Dataset"), ("DC.format", "text/html"),
            ("DC.description", record.get("description")),
            *(("DC.subject", subject) for subject in record.get("subjects") or []),
            *(("DC.source", _one_line(s["citation"])) for s in sources)]
    return [(name, _one_line(value)) for name, value in tags if value]


def _reference(source: dict[str, Any]) -> str:
    """A cited source as a Highwire ``citation_reference`` value."""
    parts = [("citation_title", source.get("citation")), ("citation_author", source.get("author")),
             ("citation_publisher", source.get("publisher")), ("citation_date", source.get("date")),
             ("citation_public_url", source.get("url"))]
    return "; ".join(f"{name}={_one_line(value).replace(';', ',')}" for name, value in parts if value)
