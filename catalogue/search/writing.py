"""Writing the index: the store's changes into a generation, by one writer or by forked writer
processes that each write one segment, committed every `COMMIT_EVERY` changes (by writer
processes, every `PARALLEL_COMMIT_EVERY`): a long catch-up killed halfway keeps what it
committed. Each commit records its segment files (`generations.record_files`) and the last
change it holds.

The caller holds the generation's write lock (`catalogue.search.locks`). Writer processes die
with the process that forked them (`catalogue.processes.ParentWatch`) and hold none of its
locks. A failed write leaves no temporary files behind (`generations.tidy`). No imports
happen in the writer processes: they are forked, with the modules of the parent loaded.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import shutil
import threading
from collections.abc import Callable, Iterable
from operator import attrgetter
from pathlib import Path
from typing import Any

from .. import jsontext
from ..processes import ParentWatch
from . import generations, pairs, segments
from ._whoosh import SegmentReader, whoosh_writing
from .codec import CompactCodec
from .documents import PlaceNames, analysed, common_words, document
from .generations import SEQ_FILE, open_index, read_seq, write_atomic
from .pairs import Common

#: How long a write waits for another process's index lock before giving up (the holder, or
#: the next write, catches up).
LOCK_TIMEOUT = 30.0
#: Store rows read (and sent to a writer process) at a time.
BATCH = 1000
#: Store changes applied per commit: a catch-up stopped halfway keeps what it committed.
COMMIT_EVERY = 1000
#: A sync of at least this many store changes (or a reindex of a store with as many) is
#: written by `SearchIndex.procs` processes.
PARALLEL_MIN = 5000
#: A commit of fewer changes than this (an edit) adds its segment without merging, so the
#: change is searchable sooner: merging reads the small segments' postings term by term, a
#: second or more at 100,000 records on a busy machine. The follower merges after it
#: (`merge_small`)...
MERGE_WITH = 100
#: ...and a commit merges all the same when the generation holds this many small segments
#: (`_mergeable`), so a process that has no follower (a command) keeps their number bounded
#: (a large write's segments are not counted: merges never join them).
MAX_SEGMENTS = 12

#: A full build's writer (each writer process, or the one process of a smaller store) ends
#: its segment and goes on in a new one after this many documents, or once its in-memory
#: postings (`segments.MemoryPool.estimate`) reach `SEGMENT_MB`: its memory stays bounded
#: whatever the catalogue's size. Each search reads every segment and merges never join
#: segments this large, so the cap is high: 100,000 records make two segments (one per
#: writer process), 1,000,000 twenty.
SEGMENT_DOCS = 50_000
SEGMENT_MB = 768
#: Store changes applied per commit by writer processes (a large catch-up: an import into a
#: catalogue that has an index; not a harvest, whose lease heartbeat is a thread, so it has one
#: writer): commits of `COMMIT_EVERY` sent each one batch to one process, so the other sat
#: idle, and every commit paid for forking the writers and ending small segments: 20,000
#: imported records took 53 s instead of 21 s for a new index.
PARALLEL_COMMIT_EVERY = SEGMENT_DOCS

__all__ = ["BATCH", "COMMIT_EVERY", "LOCK_TIMEOUT", "MAX_SEGMENTS", "MERGE_WITH", "PARALLEL_COMMIT_EVERY",
           "PARALLEL_MIN", "SEGMENT_DOCS", "SEGMENT_MB", "SEQ_FILE", "apply", "build",
           "choose_common", "document", "merge_small", "read_seq", "would_merge", "write_atomic"]


def would_merge(segments: list[Any]) -> bool:
    """Whether the merge policy (`merge_small_in_order`) merges some of `segments`: four or
    more of the smallest small segments (`_mergeable`) holding few documents together
    (Whoosh's `MERGE_SMALL` test, without merging)."""
    total = 0
    for i, count in enumerate(sorted(segment.doc_count_all() for segment in _mergeable(segments))):
        total += max(count, 0)
        if i > 3 and total < whoosh_writing.fib(i + 5):
            return True
    return False


def merge_small(folder: Path, give_way: segments.GiveWay | None = None) -> bool:
    """Merge the small segments of the generation in `folder` as a write would have (Whoosh's
    `MERGE_SMALL`), adding nothing; whether it did. The caller holds the write lock. When
    `give_way` says so (a change is waiting), the merge stops and leaves nothing: False."""
    if not would_merge(generations.toc_segments(folder)):
        return False
    writer = _segment_writer(folder)
    segments.install(writer, give_way)  # (Whoosh's own pool pickles each posting into sorted temporary files)
    try:
        writer.commit(mergetype=merge_small_in_order)
    except segments.GaveWay:
        _cancel(writer, folder)
        return False
    except BaseException:
        _cancel(writer, folder)
        raise
    generations.record_files(folder, generations.toc_segments(folder))
    return True


def _merge_type(writer: Any, count: int) -> Callable[..., Any]:
    """How `writer`'s commit of `count` changes merges: not at all for a few (see `MERGE_WITH`)."""
    if count >= MERGE_WITH or len(_mergeable(writer.segments)) >= MAX_SEGMENTS:
        return merge_small_in_order
    return whoosh_writing.NO_MERGE


def merge_small_in_order(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's `MERGE_SMALL` over the small segments (`_mergeable`); the segments
    left, large ones included, kept in their order.

    Whoosh's policy weighs every segment: its test (the smallest segments' documents under a
    Fibonacci number of their count) passed at 1,000,000 records, twenty segments of 50,000
    and seven small ones, for the whole index, and a follower's merge after a few edits
    rewrote all of it (minutes, 1.7 GB). It also returns the segments it leaves sorted by
    size, which put the small segments of earlier edits before the large ones and renumbered
    every document of those: the next version's facet sets could not be patched from the one
    before (`facets.build_facet_sets`), a full rebuild on every merge."""
    small = _mergeable(segments)
    merged = {id(segment) for segment in small} - {id(segment) for segment in whoosh_writing.MERGE_SMALL(writer, small)}
    return [segment for segment in segments if id(segment) not in merged]


def _mergeable(segments: list[Any]) -> list[Any]:
    """The segments merges may join: those that edits and small catch-ups leave, under a
    quarter of `SEGMENT_DOCS` documents. A large write's segments are left as written: a
    full build's (up to `SEGMENT_DOCS` each) and a parallel commit's, whose writer processes
    share `PARALLEL_COMMIT_EVERY` changes (25,000 each for two). Counted as small, an
    import's segments made every later edit's commit merge once there were twelve
    (`MAX_SEGMENTS`), and from twenty-four on (600,000 records imported) Whoosh's test
    passes for twenty-four of them with an edit's: 600,000 documents rewritten in one commit."""
    return [segment for segment in segments if segment.doc_count_all() < SEGMENT_DOCS // 4]


def _segment_writer(folder: Path) -> Any:
    """A writer of a new segment of the generation in `folder`, without Whoosh's own lock (the
    caller holds the generation's write lock, or is a writer process of one that does), its
    posting blocks packed and a compact terms file (`codec.CompactCodec`)."""
    return whoosh_writing.SegmentWriter(open_index(folder), _lk=False, codec=CompactCodec())


def choose_common(folder: Path, sample: Callable[[], Iterable[Any]] | None = None) -> Common | None:
    """The common words of a generation; chosen once, from `sample` records when given."""
    common = pairs.read_common(folder)
    if common is None and sample is not None:
        records = [row.data for row in itertools.islice(sample(), pairs.COMMON_SAMPLE)
                   if not getattr(row, "hidden", False)]
        if len(records) >= pairs.COMMON_MIN_SAMPLE:
            common = common_words(records)
            pairs.write_common(folder, common, write_atomic)
    return common


def apply(folder: Path, store: Any, readers: dict[str, Any], ids: Iterable[str] = (), procs: int = 1,
          place_names: PlaceNames | None = None) -> int:
    """Write the store's changes after the generation's last one (and first the records `ids`,
    repairs named by a check) into the generation in `folder`, committing every
    `COMMIT_EVERY` changes; return how many records changed. `readers`: the search's open
    segment readers; `procs` writer processes for a large sync; `place_names`: more names of
    a record's place (see `catalogue.search.documents.PlaceNames`). The caller holds the
    generation's write lock."""
    seq = start = read_seq(folder)
    target = store.last_seq()  # every change up to it is committed, so read below
    common = choose_common(folder, (lambda: store.changed_since(start, limit=pairs.COMMON_SAMPLE))
                           if start == 0 else None)
    procs = procs if target - start >= PARALLEL_MIN else 1
    count, repairs, more = 0, list(ids), True
    while more:
        done, seq, more = _commit_chunk(folder, store, readers, common, seq, repairs, procs, place_names)
        count += done
        repairs = []
    if max(seq, target) != start:
        write_atomic(folder / SEQ_FILE, str(max(seq, target)))
    return count


def _commit_chunk(folder: Path, store: Any, readers: dict[str, Any], common: Common | None, seq: int,
                  ids: list[str], procs: int, place_names: PlaceNames | None) -> tuple[int, int, bool]:
    """Apply the repairs `ids` and up to `COMMIT_EVERY` changes after `seq` in one commit
    (`PARALLEL_COMMIT_EVERY` with writer processes); (records changed, last change applied,
    whether changes are left)."""
    writer = _segment_writer(folder)
    count, more = 0, True
    try:
        put = _Writer(writer, common, readers, place_names)
        for record_id in ids:  # repairs named by `check`
            put(record_id, store.get(record_id))
            count += 1
        with _Workers(folder, common, procs, place_names) as workers:
            every = PARALLEL_COMMIT_EVERY if workers else COMMIT_EVERY
            sent = set(ids)  # (a writer process's unfinished segment is out of a deletion's reach)
            while count < every or not count:
                rows = store.changed_since(seq, limit=BATCH)
                if not rows:
                    more = False
                    break
                if workers:
                    read, rows = len(rows), _before_repeat(rows, sent)
                    for row in rows:
                        put.delete(row.id)
                        sent.add(row.id)
                    workers.send([(jsontext.dumps(r.data), r.revision) for r in rows if not r.hidden])
                else:
                    read = len(rows)
                    for row in rows:
                        put(row.id, row)
                count += len(rows)
                seq = rows[-1].seq if rows else seq
                if len(rows) < read:  # a record sent in this commit changed since: the next one applies it
                    break
            put.close()
            if not count:
                writer.cancel()
                return 0, seq, False
            if workers:
                _commit_with(writer, workers.finish())
            else:
                writer.commit(mergetype=_merge_type(writer, count))
    except BaseException:
        _cancel(writer, folder)
        raise
    generations.record_files(folder, generations.toc_segments(folder))
    write_atomic(folder / SEQ_FILE, str(seq))
    return count, seq, more


def _before_repeat(rows: list[Any], sent: set[str], record_id: Callable[[Any], str] = attrgetter("id")) -> list[Any]:
    """The `rows` before the first of a record in `sent` (writer processes were sent it since
    the last commit: a deletion cannot reach their unfinished segments, so the next commit
    applies it). `record_id` reads a row's record id."""
    for n, row in enumerate(rows):
        if record_id(row) in sent:
            return rows[:n]
    return rows


def _cancel(writer: Any, folder: Path) -> None:
    """Give up a write that failed and remove what it left in the generation."""
    if not writer.is_closed:
        with contextlib.suppress(Exception):  # (a full disk may fail this too)
            writer.cancel()
        with contextlib.suppress(Exception):
            writer._tempstorage.destroy()
    generations.tidy(folder)


def build(folder: Path, store: Any, procs: int, place_names: PlaceNames | None = None) -> int:
    """Fill the new, empty generation in `folder` with every live record of the store; return
    how many, written by `procs` processes for a large store. On failure the folder is removed
    and the error raised."""
    seq = store.last_seq()
    procs = procs if seq >= PARALLEL_MIN else 1
    count = 0
    writer = None
    try:
        common = choose_common(folder, store.iter_records)
        writer = _segment_writer(folder)
        with _Workers(folder, common, procs, place_names) as workers:
            if workers:
                rows = store.iter_texts()  # (JSON text: decoded by the writers, not pickled)
                while batch := list(itertools.islice(rows, BATCH)):
                    workers.send(batch)
                    count += len(batch)
                _commit_with(writer, workers.finish())
            else:
                put = _Writer(writer, common, place_names=place_names)
                finished = []
                for row in store.iter_records():
                    put.add_new(row.data, row.revision, folder, finished)
                    writer = put.writer  # (the one to cancel on failure)
                    count += 1
                _commit_with(writer, finished)
        generations.record_files(folder, generations.toc_segments(folder))
        write_atomic(folder / SEQ_FILE, str(seq))
    except BaseException:
        if writer is not None and not writer.is_closed:
            with contextlib.suppress(Exception):  # (its open files are closed before the folder goes)
                writer.cancel()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return count


class _Writer:
    """Puts store rows into a Whoosh SegmentWriter through the fast pool (`catalogue.search.segments`)."""

    def __init__(self, writer: Any, common: Common | None, readers: dict[str, Any] | None = None,
                 place_names: PlaceNames | None = None):
        self.writer, self.common, self.place_names = writer, common, place_names
        self.pool = segments.install(writer)
        #: Deletions are needed only when committed segments may hold the record.
        self.existing = any(segment.doc_count_all() for segment in writer.segments)
        #: Open readers by segment id (the search's), used to find a record's documents.
        self.readers = readers or {}
        self._opened: dict[str, Any] = {}

    def __call__(self, record_id: str, row: Any) -> None:
        """Replace (or, for a deleted or missing row, remove) a record's document."""
        self.delete(record_id)
        if row is not None and not row.hidden:  # deleted or withheld: not searchable
            self.add(row.data, row.revision)

    def delete(self, record_id: str) -> None:
        """Remove a record's document from the committed segments."""
        if not self.existing:
            return
        btext = record_id.encode("utf-8")
        for segment in self.writer.segments:
            reader = self._reader(segment)
            if ("id", btext) in reader:
                for docnum in reader.postings("id", btext).all_ids():
                    segment.delete_document(docnum)

    def _reader(self, segment: Any) -> Any:
        segid = segment.segment_id()
        reader = self.readers.get(segid) or self._opened.get(segid)
        if reader is None:
            writer = self.writer
            reader = self._opened[segid] = SegmentReader(writer.storage, writer.schema, segment)
        return reader

    def add(self, record: dict[str, Any], revision: int) -> None:
        schema = self.writer.schema  # an index built before a field was added has no such field: reindex adds it
        doc = {name: value for name, value in document(record, revision, self.place_names).items() if name in schema}
        segments.add_document(self.writer, self.pool, doc, analysed(doc, self.writer.schema, self.common))

    def add_new(self, record: dict[str, Any], revision: int, folder: Path, finished: list[Any]) -> None:
        """Add a new document (of a full build), first writing out the segment being written
        to `finished` when it is full: checked before adding, so a new segment always gets one."""
        if self.full():
            finished.append(self.next_segment(folder))
        self.add(record, revision)

    def full(self) -> bool:
        """Whether the segment being written has reached `SEGMENT_DOCS` or `SEGMENT_MB`."""
        return self.writer.docnum >= SEGMENT_DOCS or self.pool.estimate() >= SEGMENT_MB * 2**20

    def next_segment(self, folder: Path) -> Any:
        """Write out the segment being written (returned, to be committed with the others)
        and go on in a new one of the generation in `folder`. Only for new documents: the
        new writer knows nothing of the old one's deletions."""
        segment = self.writer._finalize_segment()
        self.writer = _segment_writer(folder)
        self.pool = segments.install(self.writer)
        return segment

    def close(self) -> None:
        for reader in self._opened.values():
            reader.close()
        self._opened.clear()


def _segment_worker(folder: str, common: Common | None, inbox: Any, outbox: Any, watch: ParentWatch,
                    place_names: PlaceNames | None = None) -> None:
    """A writer process: index the (record JSON, revision) batches it is sent into new segments
    of the generation in `folder`, a new one each `SEGMENT_DOCS` (the parent holds the lock
    and commits the segments). It dies with the parent."""
    watch.child_started()
    gc.freeze()  # (what it inherited is no garbage: full collections skip it, its pages stay shared)
    try:
        generation = Path(folder)
        writer = _segment_writer(generation)
        put = _Writer(writer, common, place_names=place_names)
        put.existing = False  # the parent deletes; these segments hold only new documents
        finished = []
        while (batch := inbox.get()) is not None:
            for text, revision in batch:
                put.add_new(jsontext.loads(text), revision, generation, finished)
        # (its temporary folder is the parent's too: the parent's commit removes it)
        if put.writer.docnum:
            finished.append(put.writer._finalize_segment())
        outbox.put(("ok", finished))
    except BaseException as error:  # the parent reports it and cancels the whole write
        outbox.put(("error", f"{type(error).__name__}: {error}"))


def _single_threaded() -> bool:
    """True when this process runs one thread, the only state in which forking is safe."""
    return threading.active_count() == 1


class _Workers:
    """Writer processes that each build segments from the batches sent round-robin to them.

    Forked (no re-import of the caller's main module, no start-up cost), so only from a process
    running one thread: forking a threaded one (a web server) could copy a held lock. Falsy,
    and unused, when `procs` is 1 or the process has other threads. They die with this
    process, however it ends (`ParentWatch`), and hold none of its locks.
    """

    def __init__(self, folder: Path, common: Common | None, procs: int, place_names: PlaceNames | None = None):
        self.folder, self.common, self.place_names = folder, common, place_names
        self.procs = procs if _single_threaded() else 1
        self.processes: list[Any] = []
        self._next = 0
        self._watch: ParentWatch | None = None

    def __bool__(self) -> bool:
        return self.procs > 1

    def __enter__(self) -> _Workers:
        if self:
            context = multiprocessing.get_context("fork")
            self._watch = ParentWatch()
            self.outbox = context.Queue()
            self.inboxes = [context.Queue(maxsize=4) for _ in range(self.procs)]
            self.processes = [context.Process(target=_segment_worker, daemon=True,
                                              args=(str(self.folder), self.common, inbox, self.outbox, self._watch,
                                                    self.place_names))
                              for inbox in self.inboxes]
            for process in self.processes:
                process.start()
        return self

    def send(self, batch: list[tuple[str, int]]) -> None:
        """Hand (record JSON, revision) pairs to the next writer process."""
        if batch:
            self.inboxes[self._next % self.procs].put(batch)
            self._next += 1

    def finish(self) -> list[Any]:
        """The segments the workers wrote (after they all ended)."""
        for inbox in self.inboxes:
            inbox.put(None)
        results = [self.outbox.get() for _ in self.processes]
        for process in self.processes:
            process.join()
        for queue in self.inboxes:  # their feeder threads end (a next fork needs one thread)
            queue.close()
            queue.join_thread()
        errors = [detail for status, detail in results if status == "error"]
        if errors:
            raise RuntimeError(f"an index writer process failed: {errors[0]}")
        return [segment for _, finished in results for segment in finished]

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()
        for queue in getattr(self, "inboxes", []):
            queue.close()
            queue.cancel_join_thread()
        if self._watch is not None:
            self._watch.close()


def _commit_with(writer: Any, segments: list[Any]) -> None:
    """Commit a writer's deletions (and documents) plus the workers' segments, merging nothing."""
    final = writer._merge_segments(whoosh_writing.NO_MERGE, False, False)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final + segments)
    writer._finish()
