"""The sources public records cite, offered by the record form for reuse: found by any
words of their citation, author, publisher or URL, each distinct source listed once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import NotFound
from ..search import fold
from ..store import Store
from ..store import sources as store_sources


@dataclass(frozen=True)
class CitedSource:
    """A source as a public record cites it, and how many public records cite it."""

    record_id: str
    record_title: str
    source: dict[str, Any]
    records: int


class CitedSources:
    """The distinct sources of a catalogue's public records (`Catalogue.sources`)."""

    def __init__(self, store: Store):
        self.store = store
        #: The distinct cited sources with their folded text, as of a change number (`_all`).
        self._cited: tuple[int, list[tuple[CitedSource, str]]] | None = None

    def find(self, query: str, limit: int = 20) -> list[CitedSource]:
        """The distinct sources public records cite whose citation, author, publisher or URL
        holds every word of `query` (case and accents folded), most cited first: what the
        record form offers to reuse. A source cited by several records is listed once."""
        words = [w for w in fold(query).split() if w][:8]
        found: dict[tuple[str, str], CitedSource] = {}
        for cited, text in self._all():
            if not all(w in text for w in words):
                continue
            key = (str(cited.source["citation"]).casefold(), str(cited.source.get("url") or ""))
            if key in found:  # the same citation written in another case: one source
                found[key] = replace(found[key], records=found[key].records + cited.records)
            else:
                found[key] = cited
        return sorted(found.values(), key=lambda s: (-s.records, str(s.source["citation"]).casefold()))[:limit]

    def _all(self) -> list[tuple[CitedSource, str]]:
        """Every distinct source of the public records with its folded text, read again only
        after a change (a write, a withholding: the change number moves), so that a search as
        one types costs a scan of folded strings, not of every record's JSON."""
        seq = self.store.last_seq()
        cached = self._cited
        if cached is None or cached[0] != seq:
            cached = (seq, [
                (CitedSource(record_id, title, source, count),
                 fold(" ".join(str(source.get(k) or "") for k in ("citation", "author", "publisher", "url"))))
                for record_id, title, source, count in store_sources.cited_sources(self.store)
                if source.get("citation")])
            self._cited = cached
        return cached[1]

    def get(self, record_id: str, source_id: str) -> dict[str, Any]:
        """Source `source_id` of public record `record_id` (NotFound otherwise), to copy into
        another record."""
        stored = self.store.get(record_id)
        for source in [] if stored is None or stored.hidden else stored.data.get("sources") or []:
            if isinstance(source, dict) and source.get("id") == source_id:
                return dict(source)
        raise NotFound(f"no source {source_id!r} in a public record {record_id!r}")
