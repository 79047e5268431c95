"""The index's generations: folders ``index/gen-*``, one of them live (named by ``index/CURRENT``).

A generation is opened without memory-mapping its files (a file truncated under a mapping
kills the reading process with SIGBUS; read with plain reads, a damaged file raises an
error instead), and it is checked before use: every segment file its table of contents names
must be whole, as its size, its own directory and (in a deep check) the checksum recorded
when it was committed (`MANIFEST`) say. A damaged generation is set aside (moved to
``index/set-aside/``, with a note saying why; the oldest are pruned), never deleted, and the
index is rebuilt from the store. Leftovers of failed writes (empty generations, temporary
files) are removed when no writer can own them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import codec, pairs
from ._whoosh import TOC, CompoundStorage, EmptyIndexError, FileIndex, FileStorage, SegmentReader, StructFile
from .documents import index_schema
from .files import open_shared
from .locks import FileLock

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
#: Lock of a swap of CURRENT (held for an instant).
SWAP_LOCK = "LOCK"
#: Lock of a rebuild: one at a time across processes.
REBUILD_LOCK = "REINDEX"
#: Lock of a generation's writers (in the generation's folder).
WRITE_LOCK = "WRITE.lock"
#: The last store change a generation holds.
SEQ_FILE = "seq.json"
#: Size and CRC-32 of each segment file of a generation, recorded when it was committed.
MANIFEST = "files.json"
#: Where damaged generations are moved, and how many of them are kept.
SET_ASIDE = "set-aside"
KEEP_SET_ASIDE = 3
INDEX_NAME = "MAIN"
_SEGMENT_FILE = re.compile(rf"^{INDEX_NAME}_[0-9a-z]+\.")
_TOC_FILE = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc$")
#: The header of a compound segment file: where its directory starts, and its length.
_HEADER = struct.Struct("!qi")
_OWN_FILES = {SEQ_FILE, MANIFEST, pairs.COMMON_FILE, WRITE_LOCK, f"{WRITE_LOCK}.guard"}


class Unreadable(Exception):
    """The live generation cannot be searched: there is none, or it is damaged (`str` says why)."""

    def __init__(self, reason: str, folder: Path | None = None):
        super().__init__(reason)
        self.reason, self.folder = reason, folder


# -- small files -------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` by `text` at once (a temporary file renamed over it); no temporary file
    is left when it fails (a full disk)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def read_seq(folder: Path) -> int:
    """The last store change applied to the generation in `folder` (0 for a new one)."""
    try:
        return int((folder / SEQ_FILE).read_text(encoding="utf-8").strip() or 0)
    except (OSError, ValueError):
        return 0


# -- opening -----------------------------------------------------------------------------


class _Storage(FileStorage):
    """Whoosh's file storage reading with plain positioned reads (no memory maps), so that
    threads share its readers (`catalogue.search.files`); each file it opens is closed when
    its reader is dropped (a reader that is never closed leaks no handle)."""

    def __init__(self, folder: Path):
        super().__init__(str(folder), supports_mmap=False)

    def open_file(self, name: str, **kwargs: Any) -> Any:
        return open_shared(self._fpath(name), name, **kwargs)


class _Index(FileIndex):
    """Whoosh's index of a generation, opened without reading its table of contents: Whoosh
    reads it at opening only to see that it can, and every use reads it again (at 1,000,000
    records a read takes some 1.5 ms; an edit's catch-up read it four times, now twice)."""

    def __init__(self, storage: _Storage):
        self.storage, self._schema, self.indexname = storage, None, INDEX_NAME


def open_index(folder: Path) -> Any:
    """The Whoosh index in `folder`, read with plain file reads (no memory maps). Its table
    of contents is read when used (`read_toc`, its searcher, a writer): a writer may replace
    it meanwhile, see `_retried`."""
    return _Index(_Storage(folder))


def read_toc(ix: Any) -> Any:
    """The index's latest table of contents (see `_retried`)."""
    return _retried(ix._read_toc)


def _retried(read: Callable[[], Any], tries: int = 20) -> Any:
    """`read()` of a table of contents, looked up again when the one just listed vanished: a
    writer committed a newer one meanwhile and deleted it (the folder listing then names
    the newer one)."""
    for attempt in range(tries):
        try:
            return read()
        except FileNotFoundError:
            if attempt == tries - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def create(path: Path) -> Path:
    """A new, empty generation folder in the index folder `path`; nothing is left when it fails."""
    folder = path / f"gen-{time.time_ns()}-{os.getpid()}"
    try:
        folder.mkdir()
        FileIndex.create(_Storage(folder), index_schema(), INDEX_NAME)
        write_atomic(folder / SEQ_FILE, "0")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def live(path: Path) -> Path | None:
    """The live generation folder of the index folder `path`, or None when there is none."""
    try:
        name = (path / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = path / name
    return folder if name.startswith("gen-") and folder.is_dir() else None


def make_live(path: Path, folder: Path) -> None:
    """Name `folder` the live generation (an atomic swap of CURRENT)."""
    lock = FileLock(path / SWAP_LOCK)
    lock.acquire()
    try:
        write_atomic(path / CURRENT, folder.name)
    finally:
        lock.release()


# -- checking ----------------------------------------------------------------------------


def _segment_files(folder: Path, segments: list[Any]) -> dict[str, list[Path]]:
    """The files of each of `segments` (by segment id), from one listing of the folder (a
    listing per segment cost some 10 ms a commit at 60 segments)."""
    found: dict[str, list[Path]] = {segment.segment_id(): [] for segment in segments}
    for path in sorted(folder.iterdir()):
        segment_id, dot, _ = path.name.partition(".")  # (segment ids have no dot)
        if dot and segment_id in found:
            found[segment_id].append(path)
    return found


def _crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def read_manifest(folder: Path) -> dict[str, list[int]]:
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def record_files(folder: Path, segments: list[Any]) -> None:
    """Record the size and checksum of the segment files of a commit (new ones are read once)."""
    known = read_manifest(folder)
    files = {}
    for paths in _segment_files(folder, segments).values():
        for path in paths:
            size = path.stat().st_size
            entry = known.get(path.name)
            files[path.name] = entry if entry and entry[0] == size else [size, _crc(path)]
    write_atomic(folder / MANIFEST, json.dumps(files, sort_keys=True))


def _compound_damage(path: Path) -> str | None:
    """Why a compound segment file is not whole: its header names where its directory starts
    and how long it is, and the directory ends the file and lists parts that fit before it."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header = handle.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return f"{path.name} is {size} bytes long, too short for a segment"
        start, length = _HEADER.unpack(header)
        if start + length != size:
            return f"{path.name} is {size} bytes long but should be {start + length}"
        handle.seek(0)
        storage = CompoundStorage(StructFile(handle), use_mmap=False)
        storage._file = None  # (the handle is closed by `with`)
        for name, info in storage._dir.items():
            if info["offset"] + info["length"] > start:
                return f"{path.name} is damaged (its part {name} overruns it)"
    return None


def _segment_damage(ix: Any, toc: Any, segment: Any, files: list[Path], manifest: dict[str, list[int]],
                    deep: bool) -> str | None:
    """Why a segment (its `files`) cannot be searched: another format, a file missing or of
    another size than written; a compound file the manifest does not know, its directory
    overrunning it; with `deep`, a checksum or an unreadable column."""
    used = segment.codec()
    if not isinstance(used, codec.CompactCodec) or getattr(used, "packing_format", None) != codec.FORMAT:
        return (f"segment {segment.segment_id()} was written by an older version in another segment format, "
                "which this one no longer reads")
    if not files:
        return f"the files of segment {segment.segment_id()} are missing"
    for path in files:
        entry = manifest.get(path.name)
        size = path.stat().st_size
        if entry and entry[0] != size:
            return f"{path.name} is {size} bytes long but was {entry[0]} when written"
        if not entry and path.suffix == ".seg" and (why := _compound_damage(path)):
            return why
        if deep and entry and _crc(path) != entry[1]:
            return f"{path.name} does not have the checksum it was written with"
    if deep:
        reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
        try:
            for column in ("id", "revision"):
                list(reader.column_reader(column))
        finally:
            reader.close()
    return None


#: How many newer tables of contents `damage` checks when a commit raced its look.
DAMAGE_TRIES = 5


def damage(folder: Path, *, deep: bool = False) -> str | None:
    """Why the generation in `folder` cannot be searched, or None when it is whole. `deep` also
    compares checksums and reads every segment's columns (after a read failed, and on check).

    A process that does not hold the write lock may look while another commits: the files
    of the table of contents it read are then merged away. So a fault counts only when the
    table of contents it was found in is still the latest; else the newer one is checked."""
    if not folder.is_dir():
        return "its folder is missing"
    for _ in range(DAMAGE_TRIES):
        why, generation = _damage(folder, deep)
        if why is None or generation is None or _latest_toc(folder) == generation:
            return why
    return why


def _latest_toc(folder: Path) -> int:
    """The number of the generation's latest table of contents (-1: none, or no folder)."""
    try:
        return TOC._latest_generation(_Storage(folder), INDEX_NAME)
    except OSError:
        return -1


def _damage(folder: Path, deep: bool) -> tuple[str | None, int | None]:
    """`damage` against one table of contents: why, and the number of the table of contents
    it was found in (None when none could be read)."""
    try:
        ix = open_index(folder)
        toc = read_toc(ix)
    except EmptyIndexError:
        return "its table of contents is missing", None
    except (ImportError, AttributeError) as error:
        return f"it was written by an older version whose analysers this one does not have ({error})", None
    except Exception as error:  # any failure to read the TOC (truncated, garbled) is damage
        return f"its table of contents cannot be read ({type(error).__name__}: {error})", None
    manifest = read_manifest(folder)
    try:
        files = _segment_files(folder, toc.segments)
        for segment in toc.segments:
            if why := _segment_damage(ix, toc, segment, files[segment.segment_id()], manifest, deep):
                return why, toc.generation
        if (folder / pairs.COMMON_FILE).exists():
            json.loads((folder / pairs.COMMON_FILE).read_text(encoding="utf-8"))
    except Exception as error:  # a file that cannot be read as what it should be is damage
        return f"a file cannot be read ({type(error).__name__}: {error})", toc.generation
    return None, toc.generation


# -- setting aside and tidying -----------------------------------------------------------


def set_aside(path: Path, folder: Path, reason: str) -> Path | None:
    """Move a damaged generation out of the way (to ``set-aside/``, with a note why), keeping
    the newest `KEEP_SET_ASIDE`; the folder it now is in (None if it was gone already)."""
    aside = path / SET_ASIDE
    target = aside / f"{folder.name}-at-{time.strftime('%Y%m%dT%H%M%S')}"
    try:
        aside.mkdir(exist_ok=True)
        folder.rename(target)
    except FileNotFoundError:
        return None  # another process set it aside already
    except OSError:  # no room for the set-aside folder: out of the way in place
        target = path / f"damaged-{folder.name}"
        try:
            folder.rename(target)
        except FileNotFoundError:
            return None
    with contextlib.suppress(OSError):
        (target / "SET-ASIDE.txt").write_text(f"{time.strftime('%Y-%m-%d %H:%M:%S %z')}: {reason}\n",
                                              encoding="utf-8")
    log.warning("search index generation %s set aside in %s: %s", folder.name, target, reason)
    prune_set_aside(path)
    return target


def prune_set_aside(path: Path) -> None:
    """Delete set-aside generations beyond the newest `KEEP_SET_ASIDE`."""
    kept = sorted((p for p in (path / SET_ASIDE).glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in kept[:-KEEP_SET_ASIDE]:
        shutil.rmtree(old, ignore_errors=True)
    for old in path.glob("damaged-gen-*"):
        shutil.rmtree(old, ignore_errors=True)


def tidy(folder: Path) -> None:
    """Remove what failed writes left in a generation (temporary files, segment files no table
    of contents names, old tables of contents); call it holding the generation's write lock."""
    try:
        toc = read_toc(open_index(folder))
    except Exception:  # nothing to keep apart from: a damaged generation is set aside whole
        return
    keep = {f"_{INDEX_NAME}_{toc.generation}.toc"}
    for paths in _segment_files(folder, toc.segments).values():
        keep.update(p.name for p in paths)
    for item in folder.iterdir():
        name = item.name
        stray = (name.endswith((".ctmp", ".tmp")) or name.startswith(f"_{INDEX_NAME}_") or
                 bool(_SEGMENT_FILE.match(name)) or _TOC_FILE.match(name) is not None)
        if name in keep or name in _OWN_FILES or not stray:
            continue
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                item.unlink()


def clean(path: Path) -> None:
    """Remove leftovers of failed writes and rebuilds: temporary files, generations that were
    never finished (no table of contents), generations older than the live one and the one
    before it. Only what no running writer can own: unfinished generations when no rebuild
    runs, a generation's stray files when none of its writers runs."""
    for item in path.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            item.unlink()
    current = live(path)
    rebuild = FileLock(path / REBUILD_LOCK)
    if rebuild.acquire(0):
        try:
            _remove_old_generations(path, current)
        finally:
            rebuild.release()
    for folder in [current] if current is not None else []:
        writer = FileLock(folder / WRITE_LOCK)
        if writer.acquire(0):
            try:
                tidy(folder)
            finally:
                writer.release()


def _has_toc(folder: Path) -> bool:
    return any(_TOC_FILE.match(p.name) for p in folder.iterdir())


def _remove_old_generations(path: Path, current: Path | None) -> None:
    """Delete generations no search can need: those newer than the live one (a rebuild that
    failed or never swapped), all but the newest older one (searches may still read the one
    live before), and, with no live one, folders a failed start left empty. Call it holding
    the rebuild lock (no rebuild runs)."""
    folders = sorted(p for p in path.glob("gen-*") if p.is_dir() and p != current)
    if current is None:
        for folder in folders:
            if not _has_toc(folder):
                shutil.rmtree(folder, ignore_errors=True)
        return
    older = [f for f in folders if f.name < current.name]
    for folder in [f for f in folders if f.name > current.name] + older[:-1]:
        shutil.rmtree(folder, ignore_errors=True)


def remove_old_generations(path: Path) -> None:
    """`_remove_old_generations` for a rebuild (which holds the rebuild lock)."""
    _remove_old_generations(path, live(path))


def toc_segments(folder: Path) -> list[Any]:
    """The segments of a generation's latest table of contents."""
    return read_toc(open_index(folder)).segments


__all__ = ["CURRENT", "MANIFEST", "REBUILD_LOCK", "SEQ_FILE", "SET_ASIDE", "SWAP_LOCK", "TOC", "WRITE_LOCK",
           "Unreadable", "clean", "create", "damage", "live", "make_live", "open_index", "read_seq", "read_toc",
           "record_files", "remove_old_generations", "set_aside", "tidy", "toc_segments", "write_atomic"]
