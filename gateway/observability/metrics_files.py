"""The directory of Prometheus metric files under gunicorn: emptied at start, compacted as
workers exit.

In multiprocess mode prometheus_client gives each worker process its own files
(``counter_<pid>.db``, ``histogram_<pid>.db``) and ``GET /metrics`` adds them up. Workers
are recycled (``GATEWAY_MAX_REQUESTS``), so without compaction the directory, and the
work of every scrape, would grow by two files per recycled worker for as long as the
master runs. When a worker exits, the master (gunicorn's ``child_exit``) adds its
counters and histogram buckets into one ``<type>_archive.db`` per type and deletes its
files, so totals survive the worker. A scrape holds a shared lock and the fold an
exclusive one: a scrape never sees a worker counted twice or not at all.

Imported only by gunicorn.conf.py's hooks and ``instruments``, after
``PROMETHEUS_MULTIPROC_DIR`` is set (importing prometheus_client fixes its mode).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator

from prometheus_client import multiprocess
from prometheus_client.mmap_dict import MmapedDict

# prometheus_client's file names (and our archives); nothing else in the directory is
# touched, even if GATEWAY_METRICS_DIR points somewhere shared by mistake.
_METRIC_FILE = re.compile(r"^(?:counter|histogram|summary|gauge_[a-z]+)_(?:\d+|archive)\.db\Z")
# Types whose values add up across processes; gauges do not (mark_process_dead handles them).
_SUMMED = ("counter", "histogram", "summary")
LOCK_NAME = "metrics.lock"


def reset(path: str) -> None:
    """Start a new master from zero: remove the metric files a previous run left."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    with _locked(path, fcntl.LOCK_EX):
        for name in os.listdir(path):
            if _METRIC_FILE.match(name):
                os.unlink(os.path.join(path, name))


def retire(path: str, pid: int) -> None:
    """Fold an exited worker's counts into the archives, then delete its files."""
    with _locked(path, fcntl.LOCK_EX):
        multiprocess.mark_process_dead(pid, path)
        for kind in _SUMMED:
            dead = os.path.join(path, f"{kind}_{pid}.db")
            if os.path.exists(dead):
                _fold(dead, os.path.join(path, f"{kind}_archive.db"))
                os.unlink(dead)


def _fold(dead: str, archive_path: str) -> None:
    # Histogram buckets are stored per bucket (not cumulative), so every key simply adds.
    archive = MmapedDict(archive_path)
    try:
        for key, value, *_ in MmapedDict.read_all_values_from_file(dead):
            current, _ = archive.read_value(key)
            archive.write_value(key, current + value, 0.0)
    finally:
        archive.close()


@contextlib.contextmanager
def reading(path: str) -> Iterator[None]:
    """Held while a scrape reads the files, so that no fold runs halfway through it."""
    with _locked(path, fcntl.LOCK_SH):
        yield


@contextlib.contextmanager
def _locked(path: str, mode: int) -> Iterator[None]:
    fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock
