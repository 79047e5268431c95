"""The record contract: loads `schemas/record.schema.json` and validates records against it.

The schemas live in the top-level `schemas/` folder of the source tree; a built wheel
ships them inside the package as `catalogue/_schemas`, so both an editable and a plain
install find them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from . import edtf
from .errors import FieldError

_HERE = Path(__file__).resolve().parent


def schemas_dir() -> Path:
    """The folder holding the JSON Schema and XSD files, installed or in a checkout."""
    for candidate in (_HERE / "_schemas", _HERE.parent / "schemas"):
        if (candidate / "record.schema.json").is_file():
            return candidate
    raise FileNotFoundError("record.schema.json not found: the installation is incomplete")


@cache
def record_schema() -> dict[str, Any]:
    """The parsed record schema."""
    return json.loads((schemas_dir() / "record.schema.json").read_text(encoding="utf-8"))


@cache
def _rs_date_time() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({"type": "string", "format": "date-time"}, validate_formats=True)


def is_date_time(value: Any) -> bool:
    """RFC 3339 date-time, as the compiled validator reads it; other types pass (format
    checks apply to strings). Our own check: `jsonschema` has one only when the optional
    `rfc3339-validator` is installed, which a plain install lacks."""
    return not isinstance(value, str) or _rs_date_time().is_valid(value)


def _format_checker() -> FormatChecker:
    """The formats of the record schema, each checked without optional dependencies."""
    checker = FormatChecker(())
    checker.checks("date-time")(is_date_time)
    checker.checks("edtf")(edtf.is_valid)
    return checker


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(record_schema(), format_checker=_format_checker())


@cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    """A compiled (Rust) validator: the quick yes for the common, valid record."""
    return jsonschema_rs.Draft202012Validator(
        record_schema(), formats={"edtf": edtf.is_valid}, validate_formats=True, offline=True
    )


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A schema node with a local ``$ref`` (``#/$defs/...``) followed."""
    while isinstance(node, dict) and "$ref" in node:
        node = record_schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@cache
def integer_paths() -> tuple[tuple[str, ...], ...]:
    """The paths of every whole-number field of the schema (``("period", "start")``);
    ``"*"`` stands for any item of a list."""
    found: list[tuple[str, ...]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        node = _resolve(node)
        if not isinstance(node, dict):
            return
        if node.get("type") == "integer":
            found.append(path)
        for name, child in node.get("properties", {}).items():
            walk(child, (*path, name))
        if isinstance(node.get("items"), dict):
            walk(node["items"], (*path, "*"))

    walk(record_schema(), ())
    return tuple(found)


def vocabulary(name: str) -> list[str]:
    """Allowed values of a controlled vocabulary in the schema (``type``, ``status``)."""
    return list(record_schema()["$defs"][name]["enum"])


@cache
def labels(vocab: str, lang: str = "en") -> Mapping[str, str]:
    """UI labels of a vocabulary (``type``, ``status``, ``certainty``), read-only: built once
    per vocabulary and language, as an OAI-PMH page asks for them for every record."""
    table = record_schema()["x-labels"][vocab]
    return MappingProxyType({key: value.get(lang) or value["en"] for key, value in table.items()})


def field_path(parts: Any) -> str:
    """Render a jsonschema path deque as ``conditions[0].status``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message.replace("were unexpected", "are not fields of this object").replace(
            "was unexpected", "is not a field of this object"
        )
    if error.validator == "format" and error.validator_value == "edtf":
        return f"{error.instance!r} is not an EDTF date (e.g. 1992, 1992-02, 1992?, 1992/2023)"
    if _is_geometry(error):
        return "must be a GeoJSON Point or Polygon with [longitude, latitude] positions"
    if error.validator in _SIZE_MESSAGES:  # jsonschema's own message repeats the whole value
        return _SIZE_MESSAGES[error.validator].format(limit=error.validator_value)
    return error.message


#: Messages of the length and count limits, without the (possibly huge) value.
_SIZE_MESSAGES = {
    "minLength": "must be at least {limit} characters long",
    "maxLength": "must be at most {limit} characters long",
    "minItems": "must have at least {limit} items",
    "maxItems": "must have at most {limit} items",
}


def _is_geometry(error: Any) -> bool:
    return error.validator == "oneOf" and error.schema.get("description", "").startswith("GeoJSON")


def _code(error: Any) -> tuple[str, dict[str, Any]]:
    """The kind of a jsonschema error and its values (`FieldError.code`/`params`), so an
    interface can word the message in its own language; ("", {}) for kinds it has no code for."""
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "format":
        return ("edtf", {"value": value}) if limit == "edtf" else ("format", {"value": value, "format": limit})
    if _is_geometry(error):
        return "geometry", {}
    if kind == "enum":
        return kind, {"value": value, "allowed": list(limit)}
    if kind in ("type", "pattern"):
        return kind, {"value": value, kind: limit}
    if kind in ("minimum", "maximum"):
        return kind, {"value": value, "limit": limit}
    if kind in ("minLength", "maxLength", "minItems", "maxItems"):
        return kind, {"limit": limit}
    if kind == "additionalProperties" and isinstance(value, dict):
        known = error.schema.get("properties", {})
        return kind, {"names": [name for name in value if name not in known]}
    return "", {}


def schema_errors(record: Any) -> list[FieldError]:
    """Validate against the JSON Schema alone; errors sorted by path.

    The compiled validator answers for valid records; only an invalid one goes through
    `jsonschema`, whose errors carry the paths and wording users see.
    """
    fast = _fast_validator()
    if fast.is_valid(record):
        return []
    errors = _errors(_validator(), record)
    if not errors:  # a check only the compiled validator makes (e.g. date-time syntax)
        errors = [FieldError(field_path(e.instance_path), e.message) for e in fast.iter_errors(record)]
    return sorted(set(errors), key=lambda e: (e.path, e.message))


@cache
def _place_validator() -> Draft202012Validator:
    """The validator of a place authority (`$defs/place_authority` of the record schema,
    which shares its names, countries, geometry and sources with the record's place)."""
    schema = {"$defs": record_schema()["$defs"], "$ref": "#/$defs/place_authority"}
    return Draft202012Validator(schema, format_checker=_format_checker())


def place_schema_errors(place: Any) -> list[FieldError]:
    """Validate a place authority against its JSON Schema; errors sorted by path."""
    return sorted(set(_errors(_place_validator(), place)), key=lambda e: (e.path, e.message))


def _errors(validator: Draft202012Validator, instance: Any) -> list[FieldError]:
    """Every jsonschema error of `instance` as a field-located error, worded for users."""
    errors = []
    for error in validator.iter_errors(instance):
        path = field_path(error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = f"{path}.{missing}" if path else missing
            errors.append(FieldError(path, "is required", "required", {"name": missing}))
            continue
        errors.append(FieldError(path, _message(error), *_code(error)))
    return errors
