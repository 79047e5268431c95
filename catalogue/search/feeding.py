"""Indexing a bulk write while it goes on: an import commits its records batch by batch, and
writer processes index each committed batch meanwhile, so the store's work and the index's
share the machine's cores instead of following one another.

The feed follows the store's change sequence like any catch-up (`writing.apply`): it reads the
committed rows after the index's last change, never the import's own objects, and only once at
least `START_AT` changes wait (a small import is caught up after it, as before). It
writes a new generation when there is no index, and otherwise new segments of the live one,
deleting the older documents of the records it sends, and commits every
`writing.PARALLEL_COMMIT_EVERY` records (letting the index's locks go a moment: a web server's
follower may write then). It stops at the first change to a record it sent since its last
commit (that document is in a segment still being written, where no deletion reaches) and
the catch-up after the bulk write applies that change and the rest, as it applies all of
them when the feed cannot start: another writer holds the index, the process runs other
threads (forking one is unsafe), or one writer process is configured. Whatever fails here is
logged and thrown away: the store has every change and the catch-up writes them.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from operator import itemgetter
from typing import Any

from . import generations, writing
from .generations import REBUILD_LOCK, SEQ_FILE, WRITE_LOCK, read_seq, write_atomic
from .locks import FileLock, held

log = logging.getLogger(__name__)

__all__ = ["START_AT", "Feed"]

#: Committed changes that start the writer processes: two batches of an import. A higher
#: threshold (`writing.PARALLEL_MIN`, 5,000, until the twenty-fourth session) left one core
#: idle while the first records were stored: 3.3 of an import's 17 seconds at 20,000 records.
#: A new index's common words (`writing.choose_common`) are chosen from the records stored by
#: then: they decide which phrases one term lookup answers, never what a search finds.
START_AT = 1000


class Feed:
    """Writer processes fed with a bulk write's committed changes: `step` after each commit,
    `close` at the end (committing what they wrote, or throwing it away)."""

    def __init__(self, index: Any, store: Any):
        self.index, self.store = index, store
        #: Set when the feed stopped or could not start: steps do nothing more.
        self.done = False
        self.seq = 0
        self.sent: set[str] = set()
        #: Whether the feed committed once: it starts again at the next step, however few wait.
        self.committed = False
        self.folder: Any = None
        self.new = False
        self.put: Any = None
        self.workers: Any = None
        self._held = contextlib.ExitStack()

    def step(self) -> None:
        """A batch committed: start the writer processes once enough changes wait, then send
        them what the store committed since the last step, committing their segments every
        `writing.PARALLEL_COMMIT_EVERY` records (the locks are let go a moment, and the
        records are searchable before the bulk write ends)."""
        if self.done or self.store.conn.in_transaction:  # (rows that may still roll back)
            return
        try:
            if self.workers is None and not self._start():
                return
            self._send()
        except Exception as error:
            self._failed("indexing during the bulk write stopped", error)

    def _start(self) -> bool:
        """Take the index's locks and fork the writer processes; False when it is not time yet
        (too few changes) or the feed cannot start (then `done`)."""
        index, store = self.index, self.store
        folder = index.live()
        start = read_seq(folder) if folder is not None else 0
        if not self.committed and store.count_changed_since(start) < START_AT:
            return False  # (after a commit of its own the write is known to be large)
        self.done = True  # until it has started
        if index.procs < 2 or not writing._single_threaded():
            return False
        index._prepare()
        if folder is None:
            lock = FileLock(index.path / REBUILD_LOCK)
            if not lock.acquire(0):
                return False
            self._held.callback(lock.release)
            generations.remove_old_generations(index.path)
            folder = self.folder = generations.create(index.path)
            self.new = True
            common = writing.choose_common(folder, store.iter_records)
        else:
            if not self._held.enter_context(held(index._write_lock, folder / WRITE_LOCK, 0.0)):
                self._held.close()
                return False
            common = writing.choose_common(folder)
        self.folder, self.seq = folder, start
        self.put = writing._Writer(writing._segment_writer(folder), common, place_names=index.place_names)
        self.workers = self._held.enter_context(writing._Workers(folder, common, index.procs, index.place_names))
        self.done = False
        return True

    def _send(self) -> None:
        """Hand the writer processes every change committed after the last one sent."""
        while not self.done and (rows := self.store.texts_changed_since(self.seq, writing.BATCH)):
            fresh = writing._before_repeat(rows, self.sent, itemgetter(0))
            self.done = len(fresh) < len(rows)  # (the catch-up after the bulk write applies the rest)
            batch = []
            for record_id, seq, text, revision, hidden in fresh:
                self.put.delete(record_id)
                if not hidden:
                    batch.append((text, revision))
                    self.sent.add(record_id)
                self.seq = seq
            self.workers.send(batch)
            if len(self.sent) >= writing.PARALLEL_COMMIT_EVERY:
                self._commit()
                return

    def close(self, completed: bool) -> None:
        """The bulk write ended: commit what the writer processes wrote when it `completed`,
        else throw it away; the locks are let go either way."""
        if self.workers is None:
            self._held.close()
        elif not completed:
            self._abandon()
        else:
            try:
                self._commit()
            except Exception as error:
                self._failed("the index written during the bulk write could not be committed", error)

    def _commit(self) -> None:
        """Commit the writer processes' segments (a new generation goes live) and let the
        locks go; a later step starts again with what the store committed since."""
        segments = self.workers.finish()
        self.put.close()
        writing._commit_with(self.put.writer, segments)
        generations.record_files(self.folder, generations.toc_segments(self.folder))
        write_atomic(self.folder / SEQ_FILE, str(self.seq))
        if self.new:
            generations.make_live(self.index.path, self.folder)
        self._held.close()
        self.put = self.workers = None
        self.new = False
        self.sent.clear()  # (their documents are committed now: a deletion reaches them)
        self.committed = True

    def _failed(self, what: str, error: Exception) -> None:
        """Log why the feed gave up and throw its work away."""
        log.warning("%s (%s: %s); the catch-up after it indexes its records", what, type(error).__name__, error)
        self._abandon()

    def _abandon(self) -> None:
        """Throw away what the feed wrote: its writer processes end, its files go."""
        self.done = True
        if self.put is not None:
            self.put.close()
            writing._cancel(self.put.writer, self.folder)
        self._held.close()  # (the writer processes are killed, then the locks let go)
        if self.new:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.put = self.workers = None
