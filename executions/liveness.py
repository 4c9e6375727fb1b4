"""Which process runs a run, and whether that process is still there.

A run records `host:pid` of its process (Execution.worker) and keeps a heartbeat
(updated_at). Maintenance fails a run when its heartbeat is stale, or at once
when its process was on this host and is gone: a live run is never failed just
because a new server starts beside it.
"""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def gone_from_this_host(worker: str) -> bool:
    """True only when `worker` ran on this host and its process no longer exists."""
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child its parent has not reaped yet still answers kill(pid, 0)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
