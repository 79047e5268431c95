"""The index folder's file locks between processes: one holder at a time, even while an
exited holder's record is being judged (tests/faults covers the index's use of them)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from catalogue.search.locks import FileLock, holder_gone, read_holder

ROOT = Path(__file__).resolve().parent.parent


def _left_by_an_exited_holder(path: Path) -> None:
    """A lock file whose recorded holder took it and exited (its lock died with it)."""
    code = f"from catalogue.search.locks import FileLock; assert FileLock({str(path)!r}).acquire(0)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert holder_gone(read_holder(path))


def test_a_dead_holders_lock_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "WRITE.lock"
    _left_by_an_exited_holder(path)
    lock = FileLock(path)
    assert lock.acquire(0)
    assert read_holder(path)["pid"] == os.getpid()
    assert not FileLock(path).acquire(0)
    lock.release()


def test_a_new_holder_is_not_broken_before_it_has_recorded_itself(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A rival that finds the lock taken, while the file still names the exited last holder
    (the new holder has locked it but not yet written its name), must not remove the file:
    it would take the lock too, and two writers would commit to one index at once."""
    path = tmp_path / "WRITE.lock"
    _left_by_an_exited_holder(path)
    rival_got: list[bool] = []
    rival = threading.Thread(target=lambda: rival_got.append(FileLock(path).acquire(0)))
    real_record = FileLock._record

    def record_late(fd: int) -> None:
        rival.start()
        rival.join(0.5)  # the rival looks at the lock in the moment before the record
        real_record(fd)

    monkeypatch.setattr(FileLock, "_record", staticmethod(record_late))
    lock = FileLock(path)
    assert lock.acquire(0)
    monkeypatch.undo()
    rival.join(10)
    assert rival_got == [False]
    assert os.stat(path).st_ino == os.fstat(lock._fd).st_ino, "the held lock file was removed"
    assert not FileLock(path).acquire(0), "a second process could take the held lock"
    lock.release()
    assert FileLock(path).acquire(0)
