"""Search-result snippets: a window of record text around the matched words, HTML-escaped,
with the matches in ``<mark>``. Record text and query text are never trusted as HTML."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

#: Characters of context shown around the first match.
WINDOW = 220


def snippet(text: str, spans: Iterable[tuple[int, int]], window: int = WINDOW) -> Markup:
    """`text` cut to a window around the first span, escaped, spans wrapped in <mark>."""
    spans = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    if not spans:
        cut = text[:window]
        return escape(cut) + (Markup("…") if len(text) > window else Markup(""))
    begin = max(0, spans[0][0] - window // 4)
    if begin:
        space = text.find(" ", begin, spans[0][0])
        begin = space + 1 if space != -1 else begin
    end = min(len(text), begin + window)
    parts: list[Markup] = [Markup("…")] if begin else []
    position = begin
    for start, stop in spans:
        if start < position or start >= end:
            continue
        parts.append(escape(text[position:start]))
        parts.append(Markup("<mark>") + escape(text[start:stop]) + Markup("</mark>"))
        position = stop
    parts.append(escape(text[position:max(end, position)]))
    if max(end, position) < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)
