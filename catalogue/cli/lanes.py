"""Request threads kept for staff: a save or an archivist's look at it is not queued behind
the public's searches.

A server's request threads answer requests in the order they came. When researchers' (or a
crawler's) searches keep every thread busy, an archivist's save waits behind them, and so
does the search that should show it: at 1,000,000 records, beside eight clients searching
as fast as they could, two workers of one thread each, an edit took 1.1-1.3 s (p95) from
the save until a search found it, of which the index's own work was some 20 ms. So each
server process keeps `--staff-threads` more threads that answer only requests with staff
credentials (a bearer token, or the session cookie of a signed-in user), as a database keeps
connections for its administrators; the other threads take staff requests first when they
are free. A made-up bearer token buys nothing: the web app refuses a request whose token is
unknown (401) before any work.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from flask import Flask
from waitress.task import ThreadedTaskDispatcher
from werkzeug.http import parse_cookie

from .. import precedence
from ..access import bearer_token

#: Default number of threads of each server process kept for staff requests.
STAFF_THREADS = 1


def staff_requests(app: Flask) -> Callable[[Any], bool]:
    """A test of a waitress channel's next request: does it carry staff credentials (a
    bearer token, or a session cookie signed by `app` naming a user)? Read from the raw
    headers in the server's loop, so cheap: nothing is looked up in the store."""
    name = app.session_interface.get_cookie_name(app)
    signing = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    max_age = int(app.permanent_session_lifetime.total_seconds())

    def signed_in(cookies: str) -> bool:
        value = parse_cookie(cookies).get(name)
        if not value or signing is None:
            return False
        try:
            return "user" in signing.loads(value, max_age=max_age)
        except Exception:  # a cookie not signed by us, expired or malformed
            return False

    def is_staff(channel: Any) -> bool:
        headers = channel.requests[0].headers if channel.requests else {}
        if bearer_token(headers.get("AUTHORIZATION", "")):
            return True
        return bool(headers.get("COOKIE")) and signed_in(headers["COOKIE"])

    return is_staff


class StaffLane(ThreadedTaskDispatcher):
    """Waitress's task dispatcher with two queues: staff requests (`is_staff`) and the rest.
    The request threads take staff requests first, then the rest in the order they came; the
    staff threads take a staff request only while every request thread is busy, so that they
    stay free for the next one."""

    def __init__(self, is_staff: Callable[[Any], bool]):
        super().__init__()
        self.is_staff = is_staff
        self.staff_queue: deque[Any] = deque()
        self.staff_cv = threading.Condition(self.lock)
        self.lane: set[int] = set()  # the numbers of the staff threads
        self.general = 0  # request threads (not kept for staff)
        self.busy = 0  # request threads answering a request

    def start(self, threads: int, staff: int) -> None:
        """Start `threads` request threads and `staff` staff threads."""
        self.general, self.lane = threads, set(range(threads, threads + staff))
        self.set_thread_count(threads + staff)

    def add_task(self, task: Any) -> None:
        staff = self._classify(task)
        with self.lock:
            (self.staff_queue if staff else self.queue).append(task)
            self.queue_cv.notify()
            if staff:
                self.staff_cv.notify()

    def _classify(self, task: Any) -> bool:
        try:
            return self.is_staff(task)
        except Exception:  # an odd request is an ordinary one, never a lost one
            return False

    def set_thread_count(self, count: int) -> None:
        super().set_thread_count(count)
        with self.lock:
            self.staff_cv.notify_all()  # (a staff thread told to stop waits there)

    def handler_thread(self, thread_no: int) -> None:
        staff_only = thread_no in self.lane
        wake = self.staff_cv if staff_only else self.queue_cv
        while True:
            with self.lock:
                while not self._ready(staff_only) and self.stop_count == 0:
                    self.active_count -= 1
                    wake.wait()
                    self.active_count += 1
                if self.stop_count > 0:
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    break
                first = bool(self.staff_queue)
                task = self.staff_queue.popleft() if first else self.queue.popleft()
                self.busy += not staff_only
            precedence.begin()
            try:
                with precedence.going_first() if first else nullcontext():  # (the public's searches wait)
                    task.service()
            except BaseException:
                self.logger.exception("Exception when servicing %r", task)
            finally:
                with self.lock:
                    self.busy -= not staff_only

    def _ready(self, staff_only: bool) -> bool:
        """Is there a request for this thread to take? (A request thread that is free takes
        a staff request before a staff thread may.)"""
        if staff_only:
            return bool(self.staff_queue) and self.busy >= self.general
        return bool(self.staff_queue or self.queue)

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        with self.lock:
            self.queue.extend(self.staff_queue)  # (cancelled with the rest)
            self.staff_queue.clear()
        return super().shutdown(cancel_pending, timeout)


def dispatcher(app: Flask, threads: int, staff: int) -> StaffLane:
    """A running dispatcher of `threads` request threads and `staff` threads kept for staff."""
    lane = StaffLane(staff_requests(app))
    lane.start(threads, staff)
    return lane
