"""A serving process's memory: `catalogue serve` keeps malloc to one arena, so the arrays
each request thread decodes and frees are reused by the next one (issue 18)."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"),
                                reason="glibc's mallopt and malloc_info")

#: Eight threads allocate at once, then the process counts its malloc heaps (malloc_info(3)).
SCRIPT = """
import ctypes, ctypes.util, sys, tempfile, threading
from catalogue.processes import limit_malloc_arenas
print(limit_malloc_arenas() if sys.argv[1] == "limit" else None)
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [bytearray(4096) for _ in range(200)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile("r") as out:
    stream = ctypes.c_void_p(libc.fopen(out.name.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(out.read().count("<heap nr="))
"""


def heaps(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True,
                          env={**clean, **env})
    answer, count = done.stdout.split()
    return answer, int(count)


def test_request_threads_share_one_malloc_arena() -> None:
    assert heaps("none")[1] > 2  # glibc's default: an arena per thread, up to 8 per core
    assert heaps("limit") == ("True", 1)


def test_the_users_own_malloc_settings_are_kept() -> None:
    answer, count = heaps("limit", MALLOC_ARENA_MAX="4")
    assert answer == "False" and count == 4
