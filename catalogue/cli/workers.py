"""`catalogue serve --workers N`: N server processes forked from one parent, all accepting on
the socket the parent bound, so one port spreads its requests over several cores (the worker
holding the fewest connections takes the next: `catalogue.cli.balance`).

Each worker is a whole serving process: its own web app, catalogue, searcher and index
follower over the same data directory (what one node does, see README "Scaling out"). The
index on disk is shared: its writes (catch-up, merges, rebuilds) are serialised by its file
locks, and each worker's searcher picks up a new index version when it next searches. The
parent only watches: it reports a worker that ends and starts another in its place, and on
SIGTERM or Ctrl+C (SIGINT) stops them all. Needs `os.fork` (Linux, the BSDs, macOS).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from ..processes import ParentWatch
from .balance import listeners

#: Seconds a stopped worker is given to finish its requests before it is killed.
STOP_TIMEOUT = 10.0
#: A worker that ends sooner than this after its start is counted as failing to start.
QUICK_EXIT = 5.0
#: After this many quick ends in a row the parent gives up (a worker that cannot start
#: would otherwise be restarted for ever).
QUICK_EXITS = 3


class _Stop(Exception):
    """SIGTERM or SIGINT reached the parent: stop every worker."""


def listening_sockets(server: Any) -> list[Any]:
    """The listening sockets of a bound waitress server (one, or one per address of a host
    name that resolves to several), for the workers to accept on."""
    return [listener.socket for listener in listeners(server)]


def release_threads(server: Any) -> None:
    """Stop the bound server's request threads in the parent, which serves nothing: a process
    is forked without threads, so no lock is copied half-taken."""
    server.task_dispatcher.shutdown(timeout=STOP_TIMEOUT)


def run_workers(count: int, start_worker: Callable[[int], None], ended: Callable[[int], None] = lambda _: None) -> None:
    """Fork `count` workers, each running `start_worker(number)` until it returns or is told
    to stop; call `ended(number)` when one ends and restart it; stop all on SIGTERM/SIGINT.
    Returns once all have ended."""
    if not hasattr(os, "fork"):
        raise click.ClickException("--workers needs a system that can fork processes (Linux, macOS); use --threads")
    watch = ParentWatch()
    workers: dict[int, tuple[int, float]] = {}  # pid -> (worker number, start time)

    def fork(number: int) -> None:
        sys.stdout.flush()  # else a worker would print again what the parent had buffered
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _worker(number, watch, start_worker)
        workers[pid] = (number, time.monotonic())
        click.echo(f"worker {number} started (pid {pid})")

    def stop(*_: Any) -> None:
        raise _Stop

    handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for number in range(1, count + 1):
            fork(number)
        _watch(workers, fork, ended)
    except _Stop:
        pass
    finally:
        for sig in handlers:  # a second Ctrl+C while stopping must not interrupt the stop
            signal.signal(sig, signal.SIG_IGN)
        _stop_all(workers)
        watch.close()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _watch(workers: dict[int, tuple[int, float]], fork: Callable[[int], None], ended: Callable[[int], None]) -> None:
    """Wait for workers to end; report each and start another in its place, unless they keep
    ending at once (then raise, after the others are stopped by the caller)."""
    quick = 0
    while workers:
        pid, status = os.wait()
        if pid not in workers:
            continue
        number, started = workers.pop(pid)
        ended(number)
        click.echo(f"worker {number} (pid {pid}) {_ending(status)}", err=True)
        quick = quick + 1 if time.monotonic() - started < QUICK_EXIT else 0
        if quick >= QUICK_EXITS:
            raise click.ClickException(f"{quick} workers in a row ended within {QUICK_EXIT:.0f} s of their start; "
                                       "stopping (see the errors above)")
        click.echo(f"starting another worker {number}", err=True)
        fork(number)


def _ending(status: int) -> str:
    """How a worker ended, in words (from `os.wait`'s status)."""
    if os.WIFSIGNALED(status):
        return f"was killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"ended with exit code {os.waitstatus_to_exitcode(status)}"


def _stop_all(workers: dict[int, tuple[int, float]]) -> None:
    """SIGTERM every live worker, wait for them (STOP_TIMEOUT), SIGKILL any left, reap all."""
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while workers and time.monotonic() < deadline:
        for pid in list(workers):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            workers.pop(pid)
        time.sleep(0.05)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    workers.clear()


def _worker(number: int, watch: ParentWatch, start_worker: Callable[[int], None]) -> None:
    """In a forked worker: die with the parent, leave Ctrl+C to it (it stops us with SIGTERM),
    serve until SIGTERM, then leave without running the parent's exit handlers."""
    code = 0
    try:
        watch.child_started()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _exit_on_term)
        start_worker(number)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    except BaseException as error:  # reported by the parent as an exit code; the cause here
        click.echo(f"worker {number}: {type(error).__name__}: {error}", err=True)
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _exit_on_term(*_: Any) -> None:
    """SIGTERM in a worker: waitress's loop ends on SystemExit and lets its threads finish."""
    raise SystemExit(0)

