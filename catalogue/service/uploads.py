"""Imports in the web, what the catalogue keeps of them: mappings admins saved for everyone
(checked when saved, so a broken one is never offered) and uploaded files, kept between
their preview and their import so the import reads exactly what was previewed and can be
run again. The SQL is `catalogue.store.imports`; reading the files is `harvest.tables`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from ..errors import CatalogueError, NotFound
from ..formats.csvmap import parse_mapping
from ..store import Store
from ..store import imports as import_store
from ..store.imports import SavedMapping, Upload
from ..timestamps import utc_text

__all__ = ["KEEP_DAYS", "MAPPING_MAX_CHARS", "SavedMapping", "Upload", "Uploads"]

#: Days an upload is kept (its preview and its runs' "import again"); its runs stay logged.
KEEP_DAYS = 30
#: Longest mapping text, and longest mapping name.
MAPPING_MAX_CHARS = 100_000
NAME_MAX_CHARS = 100


def check_mapping_text(text: str, where: str) -> None:
    """CatalogueError when `text` is not a usable mapping (too long, or refused by `parse_mapping`)."""
    if len(text) > MAPPING_MAX_CHARS:
        raise CatalogueError(f"{where}: a mapping may have at most {MAPPING_MAX_CHARS:,} characters")
    parse_mapping(text, where)


class Uploads:
    """Saved mappings and uploaded files of one store."""

    def __init__(self, store: Store):
        self.store = store

    # -- saved mappings ----------------------------------------------------------------

    def mappings(self) -> list[SavedMapping]:
        """Every saved mapping, by name."""
        return import_store.list_mappings(self.store)

    def mapping(self, name: str) -> SavedMapping:
        """The mapping saved as `name`; NotFound otherwise."""
        found = import_store.get_mapping(self.store, name)
        if found is None:
            raise NotFound(f"no saved mapping named {name!r}")
        return found

    def save_mapping(self, name: str, text: str, user: str) -> None:
        """Save (or replace) a mapping after checking it as an import would."""
        name = name.strip()
        if not name or len(name) > NAME_MAX_CHARS:
            raise CatalogueError(f"a mapping needs a name of 1 to {NAME_MAX_CHARS} characters")
        check_mapping_text(text, name)
        import_store.put_mapping(self.store, name, text, user)

    def remove_mapping(self, name: str) -> bool:
        """Forget a saved mapping (uploads that used it keep their copy); False when unknown."""
        return import_store.delete_mapping(self.store, name)

    # -- uploads -----------------------------------------------------------------------

    def add(self, filename: str, content: bytes, *, mapping: str | None, mapping_name: str | None,
            sheet: str | None, encoding: str | None, user: str) -> Upload:
        """Keep an uploaded file with what it is to be imported with (a mapping checked here
        already); uploads older than `KEEP_DAYS` are forgotten meanwhile."""
        if mapping is not None:
            check_mapping_text(mapping, mapping_name or "the mapping")
        token = secrets.token_urlsafe(18)
        import_store.delete_uploads_before(self.store, utc_text(datetime.now(UTC) - timedelta(days=KEEP_DAYS)))
        import_store.add_upload(self.store, token, filename, content, mapping, mapping_name, sheet, encoding, user)
        return self.get(token)

    def get(self, token: str) -> Upload:
        """An upload by its token; NotFound when there is none (or it was forgotten)."""
        found = import_store.get_upload(self.store, token)
        if found is None:
            raise NotFound(f"no upload {token!r} (uploads are kept {KEEP_DAYS} days)")
        return found

    def set_run(self, token: str, run_id: int) -> None:
        """Remember the latest run of an upload."""
        import_store.set_upload_run(self.store, token, run_id)

    def of_run(self, run_id: int) -> Upload | None:
        """The upload a run (its latest) imported, if it is still kept."""
        return import_store.upload_of_run(self.store, run_id)
