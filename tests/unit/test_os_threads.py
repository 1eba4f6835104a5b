"""gateway.os_threads: real OS threads with plain threads and under gevent."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gateway import os_threads

ROOT = Path(__file__).resolve().parents[2]


def test_the_suite_itself_is_not_patched():
    assert os_threads.gevent_patched() is False


def test_start_runs_the_target_on_another_thread():
    seen, done = [], os_threads.Signal()
    os_threads.start(lambda a: (seen.append((a, threading.get_ident())), done.set()), 1, name="t")
    assert done.wait(5)
    [(arg, ident)] = seen
    assert arg == 1
    assert ident != threading.get_ident()


def test_signal_wait_times_out_then_sees_a_set_from_another_thread():
    signal = os_threads.Signal()
    started = time.monotonic()
    assert signal.wait(0.05) is False
    assert time.monotonic() - started >= 0.05
    threading.Timer(0.05, signal.set).start()
    assert signal.wait(5) is True


def test_simple_queue_and_run_blocking_are_the_plain_ones():
    q = os_threads.simple_queue()
    q.put(1)
    assert q.get_nowait() == 1
    assert os_threads.run_blocking(max, 1, 2) == 2


GEVENT_SCRIPT = textwrap.dedent(
    """
    from gevent import monkey

    monkey.patch_all()
    import threading, time
    import gevent
    from gateway import os_threads

    native = monkey.get_original("threading", "get_native_id")
    main = native()
    assert os_threads.gevent_patched()
    # A greenlet waits for a signal set by a real thread; other greenlets run meanwhile.
    seen, done, q = [], os_threads.Signal(), os_threads.simple_queue()

    def work(queue):
        seen.append(native())
        queue.get()  # blocks this OS thread only
        os_threads.sleep(0.1)  # the real sleep, not gevent's
        done.set()

    os_threads.start(work, q, name="w")
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(time.sleep(0.01)) for _ in range(5)])
    q.put("go")
    assert done.wait(5)
    ticker.join(5)
    assert len(ticks) == 5, ticks
    assert seen and seen[0] != main, (seen, main)
    assert os_threads.run_blocking(native) != main
    assert os_threads.Signal().wait(0.02) is False
    print("ok")
    """
)


@pytest.mark.skipif(
    importlib.util.find_spec("gevent") is None,
    reason="gevent is not installed (pip install -e '.[test]' installs it)",
)
def test_under_gevent_the_thread_is_a_real_one_and_greenlets_keep_running():
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
