"""Processes on this machine: telling a live holder (of a harvest lease, of an index lock) from
a dead one whose pid a later process may have taken, and child processes that die with their
parent instead of living on as orphans."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import sys
import threading
from pathlib import Path

#: prctl(2) option: the signal a process receives when the thread that forked it ends.
PR_SET_PDEATHSIG = 1
#: mallopt(3) parameter of glibc: the most malloc arenas.
M_ARENA_MAX = -8


def machine() -> str:
    """This host and pid namespace: where a pid names the same process as here (two
    containers may share a host name but not their pids)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()} {namespace}"


def boot_id() -> str:
    """This boot of the machine ("" where the system does not say): a pid and start time
    recorded before a reboot name no process after it."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first); None without /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def process_start(pid: int) -> str:
    """When process `pid` started (clock ticks since boot), to tell it from a later one with its pid."""
    fields = _stat(pid)
    return fields[19] if fields and len(fields) > 19 else ""


def process_gone(pid: int, started: str) -> bool:
    """True when no process `pid` runs here, or it is a zombie, or a later process took its pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, owned by someone else
    fields = _stat(pid)
    if fields is None:
        return False
    return fields[0] == "Z" or bool(started and len(fields) > 19 and fields[19] != started)


def _libc() -> ctypes.CDLL:
    """The C library of this process (OSError where it cannot be loaded)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _set_parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Ask glibc's malloc for at most `arenas` arenas; whether it was done (Linux with glibc,
    ``MALLOC_ARENA_MAX`` not set by the user). Call before starting threads.

    By default each new thread may get an arena of its own (up to 8 per core), and the
    arrays a search decodes and frees in one thread's arena are not reused by the next
    request's thread: a server with 8 request threads held about 80 MB more at 100,000
    records. Python's threads take turns on the interpreter lock, so one arena costs them
    no waiting worth measuring (README, Configuration)."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = _libc().mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


def _watch(read_end: int) -> None:
    """Block until the parent's end of the pipe closes (it ended, however), then end this process."""
    with contextlib.suppress(OSError):
        while os.read(read_end, 1):
            pass
    os._exit(1)


class ParentWatch:
    """What lets forked children die with the process that forked them, however it ends
    (SIGKILL included): Linux's parent-death signal, and, portable, a pipe whose only
    writer is the parent: when the parent is gone the child reads end-of-file and exits.

    Create it in the parent before forking; each child calls `child_started` first thing;
    the parent calls `close` when the children are done."""

    def __init__(self) -> None:
        self.parent = os.getpid()
        self._read, self._write = os.pipe()

    def child_started(self) -> None:
        """In a forked child: die with the parent from now on (at once if it is gone already)."""
        os.close(self._write)
        _set_parent_death_signal()
        if os.getppid() != self.parent:  # the parent ended before the signal was asked for
            os._exit(1)
        threading.Thread(target=_watch, args=(self._read,), name="parent-watch", daemon=True).start()

    def close(self) -> None:
        """In the parent: the children are done (or to be stopped): close both ends."""
        for end in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(end)
