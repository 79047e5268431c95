"""The OAI-PMH sets of the catalogue: ``type:<type>``, ``status:<status>`` and
``source:<harvest source name>``, each under its parent set ``type``, ``status``, ``source``.

A setSpec allows only unreserved URI characters, so a source name is escaped reversibly:
every other character becomes ``~`` plus the hex of its UTF-8 bytes (``~20`` for a space).
"""

from __future__ import annotations

import re
from typing import Any

from ..schema import labels

#: Parent sets and their names.
KINDS = {
    "type": "Records by type of heritage",
    "status": "Records by current condition",
    "source": "Records by the source they were harvested or imported from",
}
SETSPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_SAFE = re.compile(r"[A-Za-z0-9\-_.!*'()]")
_ALL_SAFE = re.compile(r"[A-Za-z0-9\-_.!*'()]*")


def escape(value: str) -> str:
    """A set value as setSpec characters (reversible); most values need no escape at all."""
    if _ALL_SAFE.fullmatch(value):
        return value
    return "".join(ch if _SAFE.fullmatch(ch) else "".join(f"~{b:02X}" for b in ch.encode("utf-8")) for ch in value)


def unescape(text: str) -> str | None:
    """The value an escaped setSpec part stands for; None unless `text` is exactly what
    `escape` makes of some value."""
    if re.search(r"~(?![0-9A-F]{2})", text):
        return None
    raw = re.sub(rb"~([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("ascii", "replace"))
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return value if escape(value) == text else None


def parse(spec: str) -> tuple[str, str | None] | None:
    """(kind, value or None for a parent set) of a setSpec; None if it is no set of ours."""
    if not SETSPEC.fullmatch(spec):
        return None
    kind, _, rest = spec.partition(":")
    if kind not in KINDS or ":" in rest:
        return None
    if not rest:
        return kind, None
    value = unescape(rest)
    return (kind, value) if value else None


def spec(kind: str, value: str) -> str:
    """The setSpec of a set value."""
    return f"{kind}:{escape(value)}"


def name(kind: str, value: str) -> str:
    """A readable set name: the vocabulary label where there is one."""
    if kind == "source":
        return f"Source: {value}"
    label = labels(kind).get(value, value)
    return f"{'Type' if kind == 'type' else 'Condition'}: {label}"


def memberships(data: dict[str, Any]) -> list[str]:
    """The setSpecs of a record (leaf sets; their parents are implied)."""
    specs = [spec("type", data["type"])] if data.get("type") else []
    specs.append(spec("status", (data.get("condition") or {}).get("status", "unknown")))
    source = (data.get("provenance") or {}).get("source_name")
    if source:
        specs.append(spec("source", source))
    return specs


#: The oai-identifier repositoryIdentifier pattern (a domain name).
DOMAIN = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
