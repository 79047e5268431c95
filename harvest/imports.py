"""Imports of uploaded files (the web's import pages), as runs of the harvest log: a dry run
that previews the first records with every problem and warning, then the import itself under
a lease (one run of an upload at a time), its counts updated as it goes and its problems
logged line by line. An import is idempotent: running an upload again changes nothing that
the first run stored.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError
from catalogue.formats.csvmap import parse_mapping
from catalogue.service import Catalogue, ImportReport, Upload
from catalogue.service.harvests import Run

from .leases import RunLease
from .sheets import FileLimits
from .tables import read_records

#: Records a preview shows as they would be stored.
PREVIEW = 10
#: How an upload's runs are named in the harvest log (and the lease that keeps them one at a time).
SOURCE = "import: {filename} #{id}"


def source_of(upload: Upload) -> str:
    """The name of an upload's runs in the harvest log."""
    return SOURCE.format(filename=upload.filename, id=upload.id)


def count_of(report: ImportReport) -> dict[str, int]:
    """An import's counts under the harvest log's names."""
    return {"new": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "failed": report.failed, "warnings": len(report.warnings)}


@contextmanager
def _file(upload: Upload) -> Iterator[Path]:
    """The uploaded bytes as a file (readers of workbooks want one), removed afterwards."""
    suffix = Path(upload.filename).suffix.lower()[:10]
    handle, name = tempfile.mkstemp(prefix="catalogue-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(upload.content)
        yield Path(name)
    finally:
        os.unlink(name)


def _items(path: Path, upload: Upload, limits: FileLimits) -> Iterator[tuple[str, Any]]:
    mapping = parse_mapping(upload.mapping, upload.mapping_name or "the mapping") if upload.mapping else None
    return read_records(path, mapping, name=upload.filename, sheet=upload.sheet, encoding=upload.encoding,
                        limits=limits)


def preview(cat: Catalogue, upload: Upload, limits: FileLimits, count: int = PREVIEW) -> ImportReport:
    """What importing the upload would do, stored nowhere: the first `count` records as they
    would be stored, every line's error and warning, the counts. CatalogueError when the file
    is refused whole (its size, format, encoding, header)."""
    with _file(upload) as path:
        return cat.import_records(_items(path, upload, limits), user="preview", dry_run=True, preview=count)


def begin(cat: Catalogue, upload: Upload) -> tuple[RunLease, int]:
    """Open the run of an upload's import under its lease (the web opens it before the
    import goes to the background, so the page that follows it finds it); HarvestBusy when a
    run of the upload is going on."""
    name = source_of(upload)
    lease = RunLease(cat, name)
    run_id = lease.take(lambda: cat.harvests.start_run(name, full=True, dry_run=False))
    cat.uploads.set_run(upload.token, run_id)
    return lease, run_id


def _counts_so_far(cat: Catalogue, run_id: int) -> dict[str, int]:
    run = cat.harvests.run(run_id)
    return dict(run.counts) if run else {}


def run_upload(cat: Catalogue, upload: Upload, *, user: str, limits: FileLimits,
               begun: tuple[RunLease, int] | None = None) -> Run:
    """Import an upload as a run of the harvest log (opened by `begin`, now unless `begun`)
    and return the run as logged: its counts kept up to date after each batch, each line's
    problem and warning logged with its location, status ``ok`` (lines may have failed: see
    the counts) or ``failed`` when the file was refused whole."""
    lease, run_id = begun or begin(cat, upload)
    try:
        with _file(upload) as path:
            report = cat.import_records(_items(path, upload, limits), user=user, origin="import",
                                        message=f"imported from {upload.filename}",
                                        progress=lambda r: cat.harvests.update_run(run_id, count_of(r)))
        cat.harvests.add_errors(run_id, [(where, text if kind == "error" else f"warning: {text}")
                                         for kind, where, text in report.log])
        cat.harvests.update_run(run_id, count_of(report), status="ok",
                                message=f"{report.failed} line(s) failed" if report.failed else None)
    except CatalogueError as error:
        cat.harvests.update_run(run_id, _counts_so_far(cat, run_id), status="failed", message=str(error))
    except Exception as error:  # logged as the run's end, then raised for the app log
        cat.harvests.update_run(run_id, _counts_so_far(cat, run_id), status="failed",
                                message=f"{type(error).__name__}: {error}")
        raise
    finally:
        lease.release()
    found = cat.harvests.run(run_id)
    assert found is not None
    return found
