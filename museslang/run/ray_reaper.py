"""Stops what a local Ray instance museslang started leaves behind when its driver dies.

`eval --ray` with no address starts Ray inside the driver. Ray's own processes (GCS,
raylet) share the driver's fate, but the agents the raylet spawns (DashboardAgent,
RuntimeEnvAgent, ~170 MB) outlive a driver killed with SIGKILL: nothing is left to stop
them. This script, started by the driver with a pipe on its stdin, watches the raylet's
descendants while the driver lives; when the pipe closes (the driver ended, however), it
stops those still running, and only those: each is matched by pid *and* start time, so a
recycled pid is never touched. Linux only (it reads /proc); elsewhere it does nothing.

    python ray_reaper.py RAYLET_PID    (stdin: a pipe the driver holds open)
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from pathlib import Path

PROC = Path("/proc")
EVERY_S = 0.5


def _table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) of every process still running."""
    out: dict[int, tuple[int, str]] = {}
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
        if len(fields) > 19 and fields[0] != "Z":  # a zombie has already stopped
            out[int(entry.name)] = (int(fields[1]), fields[19])
    return out


def descendants(root: int, table: dict[int, tuple[int, str]] | None = None) -> dict[int, str]:
    """pid -> start time of every descendant of `root` (not `root` itself)."""
    table = _table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid not in found:
            found[pid] = table[pid][1]
            todo += children.get(pid, [])
    return found


def stop(known: dict[int, str], grace_s: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL, each process of `known` still running with its start time;
    the pids it signalled."""

    def alive() -> set[int]:
        return {p for p, (_, t) in _table().items() if known.get(p) == t}

    targets = alive()
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while (left := alive()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        _signal(pid, signal.SIGKILL)
    return sorted(targets)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone, or not ours
        os.kill(pid, sig)


def main() -> None:
    raylet = int(sys.argv[1])
    me = _table().get(raylet)
    if me is None:
        return
    known: dict[int, str] = {raylet: me[1]}
    while True:
        known |= descendants(raylet)
        ready, _, _ = select.select([sys.stdin], [], [], EVERY_S)
        if ready and not os.read(sys.stdin.fileno(), 4096):
            break  # the driver closed the pipe or died
    time.sleep(1.0)  # a driver that shut Ray down itself leaves nothing: let it finish
    stop(known)


if __name__ == "__main__":
    main()
