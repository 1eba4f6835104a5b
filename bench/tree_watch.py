"""A gunicorn tree watched while the soak runs: RSS, open descriptors, worker PIDs.

Samples every ``interval`` seconds: the summed VmRSS of master + workers
(``run.rss_kb``), the descriptors they hold (``/proc/<pid>/fd``), and every worker PID
seen, so recycling (``max_requests``) and a HUP's new generation show as new PIDs.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

from run import children, rss_kb


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def fd_kinds(pids: list[int]) -> dict[str, int]:
    """Descriptors of ``pids`` by kind: socket, pipe, anon_inode, or a file's suffix."""
    kinds: Counter[str] = Counter()
    for pid in pids:
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                continue
            kind = target.split(":")[0] if ":[" in target else Path(target).suffix or target
            kinds[kind] += 1
    return dict(kinds.most_common())


class TreeWatcher(threading.Thread):
    def __init__(self, master: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True, name="tree-watch")
        self.master = master
        self.interval = interval
        # (monotonic, rss KiB, processes, descriptors of the tree, master's descriptors)
        self.samples: list[tuple[float, int, int, int, int]] = []
        self.workers_seen: set[int] = set()
        self._stop_evt = threading.Event()

    def sample(self) -> tuple[float, int, int, int, int]:
        kids = children(self.master)
        self.workers_seen.update(kids)
        rss, _hwm, procs = rss_kb(self.master)
        fds = sum(fd_count(p) for p in [self.master, *kids])
        return (time.monotonic(), rss, procs, fds, fd_count(self.master))

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.samples.append(self.sample())
            self._stop_evt.wait(self.interval)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(timeout=5)

    def summary(self) -> dict:
        s = self.samples or [self.sample()]
        return {
            "rss_start_mib": s[0][1] / 1024,
            "rss_end_mib": s[-1][1] / 1024,
            "rss_peak_mib": max(x[1] for x in s) / 1024,
            "fds_start": s[0][3],
            "fds_end": s[-1][3],
            "fds_peak": max(x[3] for x in s),
            "master_fds_start": s[0][4],
            "master_fds_end": s[-1][4],
            "processes_end": s[-1][2],
            "workers_seen": len(self.workers_seen),
        }
