"""Work that goes first within a process (`catalogue.precedence`): while a thread answers a
staff request, a search on another thread waits at its checkpoints, at most `MOST` seconds
a request; the staff thread's own searches and a search with nobody going first do not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from catalogue import precedence
from catalogue.service import Catalogue

#: How long the staff thread of these tests goes first (far longer than `precedence.MOST`).
HELD = 2.0


@pytest.fixture
def staff() -> Iterator[threading.Event]:
    """A thread going first until the test sets the event it yields (or `HELD` seconds)."""
    done, started = threading.Event(), threading.Event()

    def work() -> None:
        with precedence.going_first():
            started.set()
            done.wait(HELD)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(5)
    yield done
    done.set()
    thread.join(5)


def timed_search(catalogue: Catalogue, query: str = "tomb") -> float:
    precedence.begin()  # (as the server does for each request)
    began = time.monotonic()
    assert catalogue.search(query).total
    return time.monotonic() - began


def test_a_search_gives_way_to_staff_work_for_at_most_most_seconds(demo_catalogue: Catalogue,
                                                                   staff: threading.Event) -> None:
    took = timed_search(demo_catalogue)
    assert precedence.MOST * 0.9 <= took < HELD / 2, took  # waited, then went on while staff still worked
    assert timed_search(demo_catalogue) >= precedence.MOST * 0.9  # the next request waits again


def test_nobody_going_first_no_wait_and_staff_work_ending_frees_the_waiting(demo_catalogue: Catalogue) -> None:
    timed_search(demo_catalogue)  # (the searcher opened)
    assert timed_search(demo_catalogue) < precedence.MOST / 2
    done, started = threading.Event(), threading.Event()

    def short_staff_work() -> None:
        with precedence.going_first():
            started.set()
            done.wait(precedence.MOST / 4)

    thread = threading.Thread(target=short_staff_work)
    thread.start()
    assert started.wait(5)
    began = time.monotonic()
    precedence.give_way()
    assert time.monotonic() - began < precedence.MOST * 0.75  # freed when the staff work ended
    thread.join(5)


def test_the_staff_thread_itself_never_waits(demo_catalogue: Catalogue, staff: threading.Event) -> None:
    timings: list[float] = []

    def staff_search() -> None:
        with precedence.going_first():
            timed_search(demo_catalogue)  # (the searcher opened)
            timings.append(timed_search(demo_catalogue))

    thread = threading.Thread(target=staff_search)
    thread.start()
    thread.join(10)
    assert timings and timings[0] < precedence.MOST * 0.9, timings


def test_work_goes_first_for_at_most_its_share_of_the_time() -> None:
    """Past its saved-up time, work (a script reading with its token all day) no longer goes
    first, until the share has given it time again."""
    shared = precedence.Precedence(share=0.5, burst=0.05)
    with shared.going_first():
        assert shared.first == 1
        time.sleep(0.1)  # more than the 0.05 s saved up
    with shared.going_first():
        assert shared.first == 0  # (others do not wait for it)
    time.sleep(0.2)  # earns 0.1 s at half the time, up to the 0.05 s kept
    with shared.going_first():
        assert shared.first == 1
