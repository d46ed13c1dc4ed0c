"""One writer per output: an exclusive `fcntl` lock on `OUTPUT.lock`, beside the output.

`radprep batch` and `process` hold it from before the models load until the run ends, so a second
run on the same output stops at once (exit 2) instead of interleaving its records with the first's.
The lock goes with the process (a kill -9 releases it); the lock file stays, holding the pid of its
last holder for the message. It is never removed: removing it would let a third run lock a new file
while the second still holds the old one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.errors import OutputLockedError


def lock_path(output: Path) -> Path:
    return output.with_name(output.name + ".lock")


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Hold the lock of `output` for the block; OutputLockedError at once if another process holds it."""
    path = lock_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            raise OutputLockedError(f"{output} is being written by another radprep run"
                                    f"{f' (pid {holder})' if holder.isdigit() else ''}: wait for it to end, "
                                    "or choose another output") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock
