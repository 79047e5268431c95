"""Exceptions the catalogue raises for user mistakes; every interface turns them into
a clear message (CLI: stderr and exit code, web: a page or problem details)."""

from __future__ import annotations

import errno
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class CatalogueError(Exception):
    """A problem the user can act on; str(error) is the message to show."""


class Notice(str):
    """Something about an imported line worth telling that does not stop it (a (0, 0)
    position, the cached value of a spreadsheet formula). A file reader yields it as
    ``(location, Notice(text))`` before the line's record; imports list it as a warning."""

    __slots__ = ()


@dataclass(frozen=True)
class FieldError:
    """One validation problem, located by its path in the record (``conditions[0].status``).

    `message` is the English text every interface shows by default. `code` names the kind
    of problem (``required``, ``enum``, ``unknown_source``, ...) and `params` its values, so
    an interface in another language can word it itself; both are optional ("" when a
    problem has no code) and play no part in equality.
    """

    path: str
    message: str
    code: str = field(default="", compare=False)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(CatalogueError):
    """A record does not satisfy the record schema or the catalogue's rules."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class NotFound(CatalogueError):
    """No record (or revision, source, user) has that identifier.

    `what` names the kind of thing looked for (``record``, ``revision``, ``user``, ``source``,
    ``pending``; "" when unnamed) and `key` its identifiers, so that an interface in another
    language can word the message itself, as it does with `FieldError.code`.
    """

    def __init__(self, message: str, what: str = "", **key: Any):
        super().__init__(message)
        self.what, self.key = what, key

    @classmethod
    def record(cls, record_id: str) -> NotFound:
        """No record has the id `record_id`."""
        return cls(f"no record with id {record_id!r}", "record", id=record_id)

    @classmethod
    def revision(cls, record_id: str, revision: int) -> NotFound:
        """The record has no revision of that number."""
        return cls(f"record {record_id!r} has no revision {revision}", "revision", id=record_id, revision=revision)


class Gone(CatalogueError):
    """The record was deleted; its tombstone keeps the id and the reason."""

    def __init__(self, record_id: str, reason: str | None, revision: int):
        self.record_id, self.reason, self.revision = record_id, reason, revision
        super().__init__(f"record {record_id!r} was deleted" + (f": {reason}" if reason else ""))


class Withheld(CatalogueError):
    """The content asked for is withheld from the public by an admin: the current revision
    of a record (`current`) or an earlier one."""

    def __init__(self, record_id: str, revision: int, current: bool):
        self.record_id, self.revision, self.current = record_id, revision, current
        super().__init__(f"revision {revision} of record {record_id!r} is withheld from the public")


class StaleRevision(CatalogueError):
    """An update was based on an older revision than the stored one (optimistic locking)."""

    def __init__(self, record_id: str, seen: int | None, current: int):
        self.record_id, self.seen, self.current = record_id, seen, current
        super().__init__(
            f"record {record_id!r} is at revision {current}, but the change was based on "
            f"revision {seen}; reload it and apply your change again"
        )


class AlreadyExists(CatalogueError):
    """A record with that id exists already (or existed: ids are never reused)."""


class QueryTooLong(CatalogueError):
    """A search query longer than the limit every door shares (``SEARCH_MAX_QUERY_LENGTH``):
    refused, not searched."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"The query is too long (at most {limit} characters).")


class ConfigurationError(CatalogueError):
    """The app is configured in a way that is unsafe to run (or a setting cannot be read)."""


class SearchUnavailable(CatalogueError):
    """Search cannot answer now: its index is being rebuilt from the store (records, their
    history, OAI-PMH and exports of the whole collection work meanwhile). `reason` says why
    (for logs), `retry_after` how many seconds to wait."""

    def __init__(self, reason: str, retry_after: int):
        self.reason, self.retry_after = reason, retry_after
        super().__init__("Search is being rebuilt from the catalogue; try again in a minute.")


class IndexBusy(CatalogueError):
    """Another process kept the search index locked (it writes or rebuilds it) for longer
    than this one could wait; the message names it. Nothing is lost: try again later."""


class StorageFull(OSError):
    """The disk holding the data directory is full (or the store could only be opened to
    read, because it was): the write was undone, nothing was stored. Free some space and
    try again. An OSError (ENOSPC), so a batch (an import) stops instead of failing record
    after record."""

    def __init__(self, detail: str = ""):
        message = "the disk holding the catalogue is full: nothing was stored; free some space and try again"
        super().__init__(errno.ENOSPC, message + (f" ({detail})" if detail else ""))
