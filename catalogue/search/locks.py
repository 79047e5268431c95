"""The index folder's locks: exclusive OS file locks (flock) that say who holds them.

An flock is released by the OS when its holder dies, but a forked child keeps the parent's
lock alive as long as it lives. So every held lock is closed in a forked child right after
the fork (the parent keeps it), and each lock file records its holder (pid, start time,
machine, boot): a lock whose recorded holder is gone does not count, whoever still holds
the file (e.g. an orphan of an older release): the file is replaced and the lock taken.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..processes import boot_id, machine, process_gone, process_start

#: How often a waiting lock tries again.
POLL = 0.02

_held: weakref.WeakSet[FileLock] = weakref.WeakSet()


def _close_in_child() -> None:
    """After a fork, in the child: let go of the parent's locks (without unlocking them)."""
    for lock in list(_held):
        lock._forget()


os.register_at_fork(after_in_child=_close_in_child)


def _holder() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "start": process_start(pid), "machine": machine(), "boot": boot_id(),
            "since": time.time()}


def holder_gone(holder: dict[str, Any] | None) -> bool:
    """Whether a recorded holder is certainly dead: on this machine and boot, its process gone."""
    if not holder or not isinstance(holder.get("pid"), int):
        return False
    if holder.get("machine") != machine():
        return False  # another machine sharing the folder: it cannot be asked
    if holder.get("boot") and holder.get("boot") != boot_id():
        return True  # recorded before a reboot
    return process_gone(holder["pid"], str(holder.get("start") or ""))


def read_holder(path: Path) -> dict[str, Any] | None:
    """Who holds (or last held) the lock file `path`, as it recorded itself; None if unknown."""
    try:
        found = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


class FileLock:
    """An exclusive lock on the file `path`, taken with `acquire` and given back with `release`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, timeout: float | None = None) -> bool:
        """Take the lock, waiting up to `timeout` seconds (None: as long as it takes, 0: not at
        all); False when another live holder kept it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._try():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL if deadline is None else max(0.0, min(POLL, deadline - time.monotonic())))

    def _try(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            inode = os.fstat(fd).st_ino
            os.close(fd)
            self._break_if_dead(inode)
            return False
        except BaseException:
            os.close(fd)
            raise
        try:
            with self._guard():  # no one judges the last holder dead while this one records itself
                if os.stat(self.path).st_ino != os.fstat(fd).st_ino:  # replaced meanwhile: lock the new file
                    os.close(fd)
                    return False
                self._record(fd)
        except FileNotFoundError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _held.add(self)
        return True

    @staticmethod
    def _record(fd: int) -> None:
        """Write this process into the lock file it holds (a full disk: the lock holds, its
        holder unrecorded)."""
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_holder()).encode("utf-8"), 0)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the lock's guard file: taking the lock records its new holder, and breaking it
        reads the old one, each under the guard. Without it a process could read the record of
        the last holder (exited) in the moment between the next holder's lock and its record,
        and remove the lock file under that holder: two holders at once."""
        fd = os.open(self.path.with_name(f"{self.path.name}.guard"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _break_if_dead(self, inode: int) -> None:
        """Replace the lock file when its recorded holder is dead (an orphan keeps it locked)."""
        if not holder_gone(read_holder(self.path)):
            return
        with self._guard(), contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == inode and holder_gone(read_holder(self.path)):
                os.unlink(self.path)

    def release(self) -> None:
        """Give the lock back (the file stays, recording its last holder)."""
        fd, self._fd = self._fd, None
        _held.discard(self)
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _forget(self) -> None:
        """In a forked child: close the inherited descriptor; the parent still holds the lock."""
        fd, self._fd = self._fd, None
        _held.discard(self)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def held(thread_lock: Any, path: Path, wait: float) -> Iterator[bool]:
    """Hold `thread_lock` (this process's writers) and the file lock at `path` (other
    processes'), waiting at most `wait` seconds for each; yields whether both were taken."""
    if not thread_lock.acquire(timeout=wait):
        yield False
        return
    try:
        lock = FileLock(path)
        if not lock.acquire(wait):
            yield False
            return
        try:
            yield True
        finally:
            lock.release()
    finally:
        thread_lock.release()


def busy_message(path: Path) -> str:
    """Why the lock `path` could not be taken, naming its holder when known."""
    holder = read_holder(path)
    who = f" (process {holder['pid']} on {str(holder.get('machine', '')).split(' ')[0]})" if holder else ""
    return f"{path} is locked by another process{who}"

