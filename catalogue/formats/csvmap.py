"""The CSV import mapping: a TOML file saying which spreadsheet column is which record
field, how multi-value cells are split, how their type words map to our vocabulary, and
which source the rows cite (see `harvest/examples/mapping.toml`); and the record one row of
cells makes under it. Every problem names its column, so an import stores the good rows
and reports the rest. Reading the file itself is `harvest.csvfile`'s job.
"""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path
from typing import Any

from .. import records
from ..errors import CatalogueError, ValidationError
from ..schema import vocabulary
from .dc import type_table

SOURCE_ID = "source"
TEXT_FIELDS = ("title", "type", "description", "notes", "rights", "place.name", "place.country",
               "place.admin_area", "period.label", "condition.status", "condition.date", "condition.note",
               "condition.event", "condition.cause", "condition.certainty", "condition.assessed_by",
               "condition.method", "media.url", "media.caption", "media.licence", "media.credit",
               "source.citation", "source.author", "source.publisher", "source.date", "source.url",
               "source.pages", "source.type")
INT_FIELDS = ("period.start", "period.end", "quantity")
FLOAT_FIELDS = ("place.latitude", "place.longitude")
LIST_FIELDS = ("subjects", "names")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
#: Where a mapped field lands in the record, to name the column of a validation error.
_RECORD_PATH = {"condition": "conditions[0]", "source": "sources[0]", "media": "media[0]",
                "place.latitude": "place.geometry", "place.longitude": "place.geometry"}


def _is_field(target: str) -> bool:
    return (target in (*TEXT_FIELDS, *INT_FIELDS, *FLOAT_FIELDS, *LIST_FIELDS)
            or (target.startswith("external_ids.") and len(target) > len("external_ids.")))


#: The tables of a mapping file and the keys of its [record] table.
TABLES = ("record", "columns", "separators", "types", "source")
RECORD_KEYS = ("id_column", "id_template", "default_type", "source_name", "delimiter")
_KINDS = ((bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"), (dict, "a table"),
          (list, "a list"))


def _kind(value: Any) -> str:
    """What a TOML value is, in words ("a table", "a number", ...)."""
    return next((name for cls, name in _KINDS if isinstance(value, cls)), "a date or time")


class Mapping:
    """A parsed, checked TOML mapping (see `harvest/examples/mapping.toml`).

    Every value of an unexpected type or shape is refused here, with one line naming the
    table and key, so a row never meets it."""

    def __init__(self, data: dict[str, Any], where: str):
        self.where = where
        unknown = [key for key in data if key not in TABLES]
        if unknown:
            raise CatalogueError(f"{where}: unknown {unknown[0]!r} at the top level; a mapping has the tables "
                                 + ", ".join(f"[{name}]" for name in TABLES))
        self.columns: dict[str, str] = self._strings(data, "columns", "a record field name")
        if not self.columns:
            raise CatalogueError(f"{where}: [columns] maps no column to a field")
        for column, target in self.columns.items():
            if not _is_field(target):
                raise CatalogueError(f"{where}: column {column!r} maps to {target!r}, which is not a field this"
                                     f" import fills (one of: {', '.join((*TEXT_FIELDS, *INT_FIELDS, *LIST_FIELDS))},"
                                     " place.latitude, place.longitude, external_ids.SCHEME)")
        self.separators = self._strings(data, "separators", "the text between values", non_empty=True)
        overrides = self._strings(data, "types", "a record type")
        for word, target in overrides.items():
            self._check_type(f"[types] maps {word!r} to", target)
        self.types = type_table(overrides)
        self._read_record(self._strings(data, "record", "text", non_empty=True))
        self.source = self._strings(data, "source", "text")
        unknown = set(self.source) - {f.split(".")[1] for f in TEXT_FIELDS if f.startswith("source.")} - {"id"}
        if unknown:
            raise CatalogueError(f"{where}: [source] has unknown keys {sorted(unknown)}")

    def _read_record(self, record: dict[str, str]) -> None:
        """The [record] table: how ids are made, the default type, provenance and delimiter."""
        unknown = sorted(set(record) - set(RECORD_KEYS))
        if unknown:
            raise CatalogueError(f"{self.where}: [record] has unknown keys {unknown} (known: {', '.join(RECORD_KEYS)})")
        self.id_column, self.id_template = record.get("id_column"), record.get("id_template")
        if bool(self.id_column) == bool(self.id_template):
            raise CatalogueError(f"{self.where}: [record] needs id_column or id_template (one of them)")
        if self.id_template:
            self._check_template(self.id_template)
        self.default_type = record.get("default_type")
        if self.default_type:
            self._check_type("[record] default_type is", self.default_type)
        self.source_name = record.get("source_name")
        self.delimiter = record.get("delimiter", ",")
        if len(self.delimiter) != 1 or self.delimiter in "\r\n\"":
            raise CatalogueError(f"{self.where}: [record] delimiter must be one character (not a quote or line"
                                 f" break), not {self.delimiter!r}")

    def _check_type(self, what: str, target: str) -> None:
        if target not in vocabulary("type"):
            raise CatalogueError(f"{self.where}: {what} {target!r}, which is not a type "
                                 f"(one of: {', '.join(vocabulary('type'))})")

    def _check_template(self, template: str) -> None:
        """An id template names columns in braces: ``example-{Code}``."""
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        except ValueError as error:
            raise CatalogueError(f"{self.where}: [record] id_template {template!r} is not usable: {error}") from None
        if not names or any(not name or name.isdigit() for name in names):
            raise CatalogueError(f"{self.where}: [record] id_template {template!r} must name columns in braces,"
                                 " e.g. \"example-{Code}\"")

    def _strings(self, data: dict[str, Any], name: str, what: str, non_empty: bool = False) -> dict[str, str]:
        """Table `name` of `data` (empty when absent), every value of it text."""
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise CatalogueError(f"{self.where}: [{name}] must be a table, not {_kind(table)}")
        for key, value in table.items():
            if not isinstance(value, str):
                raise CatalogueError(f"{self.where}: [{name}] {key!r} must be {what} in quotes, not {_kind(value)}")
            if non_empty and not value:
                raise CatalogueError(f"{self.where}: [{name}] {key!r} is empty")
        return table

    def needed_columns(self) -> set[str]:
        needed = set(self.columns)
        if self.id_column:
            needed.add(self.id_column)
        if self.id_template:
            needed |= {name for _, name, _, _ in string.Formatter().parse(self.id_template) if name}
        return needed

    def column_of(self, path: str) -> str | None:
        """The column whose field a validation error path points into."""
        best = None
        for column, target in self.columns.items():
            head, _, rest = target.partition(".")
            prefix = _RECORD_PATH.get(target) or (_RECORD_PATH[head] + "." + rest if head in _RECORD_PATH else target)
            if target.startswith("external_ids."):
                prefix = "external_ids"
            if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                best = column
        return best


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a TOML mapping file; a CatalogueError says what is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path}: not valid TOML: {error}") from error
    return Mapping(data, str(path))


class _Row:
    """Builds one record from one row, collecting problems per column."""

    def __init__(self, mapping: Mapping, cells: dict[str, str]):
        self.mapping, self.cells = mapping, cells
        self.problems: list[str] = []
        self.record: dict[str, Any] = {}
        self.source: dict[str, Any] = {"id": str(mapping.source.get("id", SOURCE_ID))}
        self.source.update({k: v for k, v in mapping.source.items() if k != "id"})
        self.condition: dict[str, Any] = {}
        self.point: dict[str, float] = {}

    def problem(self, column: str, message: str) -> None:
        self.problems.append(f"column {column!r}: {message}")

    def build(self) -> dict[str, Any]:
        for column, target in self.mapping.columns.items():
            value = self.cells.get(column, "").strip()
            if value:
                self.put(column, target, value)
        record = self.record
        record["id"] = self.record_id()
        if "type" not in record and self.mapping.default_type:
            record["type"] = self.mapping.default_type
        if not self.source.get("citation"):
            self.problems.append("no source citation: give [source] citation in the mapping or a"
                                 " source.citation column")
        record["sources"] = [self.source]
        if self.condition:
            record["conditions"] = [dict(self.condition, sources=[self.source["id"]])]
        if "quantity" in record:
            record["quantity_sources"] = [self.source["id"]]
        if self.point:
            if set(self.point) != {"latitude", "longitude"}:
                self.problems.append("a position needs both latitude and longitude")
            else:
                place = record.setdefault("place", {})
                place["geometry"] = {"type": "Point", "coordinates": [self.point["longitude"], self.point["latitude"]]}
        if "place" in record and "name" not in record["place"]:
            self.problems.append("a place needs a name column (place.name)")
        record["provenance"] = {"origin": "import", "source_identifier": record["id"]}
        if self.mapping.source_name:
            record["provenance"]["source_name"] = str(self.mapping.source_name)
        return record

    def record_id(self) -> str:
        mapping = self.mapping
        if mapping.id_column:
            value = self.cells.get(mapping.id_column, "").strip().lower()
            if not _ID.match(value):
                self.problem(mapping.id_column, f"{value!r} is not an id (lowercase letters, digits, '.', '_', '-')"
                             if value else "the id is empty")
            return value
        try:
            text = mapping.id_template.format_map({k: v.strip() for k, v in self.cells.items()})
        except (KeyError, ValueError, IndexError) as error:
            raise CatalogueError(f"the id template {mapping.id_template!r} is not usable: {error}") from error
        value = records.slugify(text, 128)
        if not value:
            self.problems.append(f"the id template gives nothing for this row ({text!r})")
        return value

    def put(self, column: str, target: str, value: str) -> None:
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            self.problem(column, "not valid text in the file's encoding; give --encoding (e.g. cp1252)")
            return
        separator = self.mapping.separators.get(column)
        if target in LIST_FIELDS:
            values = [v.strip() for v in (value.split(separator) if separator else [value]) if v.strip()]
            self.record[target] = [{"value": v} for v in values] if target == "names" else values
        elif target in INT_FIELDS:
            try:
                number = int(value)
            except ValueError:
                self.problem(column, f"{value!r} is not a whole number")
                return
            self._set(target, number)
        elif target in FLOAT_FIELDS:
            try:
                self.point[target.split(".")[1]] = float(value.replace(",", "."))
            except ValueError:
                self.problem(column, f"{value!r} is not a number")
        elif target == "type":
            mapped = self.mapping.types.get(value.lower())
            if mapped is None:
                self.problem(column, f"type {value!r} is neither a record type nor listed in the mapping's [types]")
                return
            self.record["type"] = mapped
        elif target.startswith("external_ids."):
            self.record.setdefault("external_ids", []).append({"scheme": target.split(".", 1)[1], "value": value})
        else:
            self._set(target, value)

    def _set(self, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if not rest:
            self.record[head] = value
        elif head == "source":
            self.source[rest] = value
        elif head == "condition":
            self.condition[rest] = value
        elif head == "media":
            self.record.setdefault("media", [{}])[0][rest] = value
        else:
            self.record.setdefault(head, {})[rest] = value


def row_record(mapping: Mapping, cells: dict[str, str]) -> Any:
    """The validated record a row's cells (column -> text) make, or a CatalogueError
    naming each column at fault."""
    row = _Row(mapping, cells)
    record = row.build()
    if row.problems:
        return CatalogueError("; ".join(row.problems))
    try:
        return records.prepare(record)
    except ValidationError as error:
        located = []
        for problem in error.errors:
            column = mapping.column_of(problem.path)
            located.append(f"column {column!r}: {problem.message}" if column else str(problem))
        return CatalogueError("; ".join(located))
