"""Real OS threads, also under gevent (``GATEWAY_WORKER_CLASS=gevent``).

Once gevent has monkey-patched ``threading`` (gunicorn.conf.py does it before the app is
built), ``threading.Thread`` starts a greenlet, and ``queue`` and ``time.sleep`` are
gevent's. A greenlet that runs a SQLite commit holds the hub for its whole duration, and
every other greenlet of the worker waits. This module gives blocking work a real OS
thread in either mode, and the few primitives that are safe between such a thread and
greenlets (the unpatched C ``SimpleQueue``, a real lock). Only for work that touches no
greenlet state: never a patched lock, event or queue from the other side.

gevent is detected through ``sys.modules``: this module never imports it, so it works
without gevent installed, and without patching when gevent is installed but not chosen.
"""

from __future__ import annotations

import contextlib
import importlib
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
POLL_S = 0.005  # how often a greenlet checks a Signal (gevent only)


def gevent_patched() -> bool:
    """True once gevent has monkey-patched ``threading`` in this process."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def _original(module: str, name: str) -> Any:
    """``module.name`` as it was before gevent patched it (the attribute itself if not)."""
    if gevent_patched():
        return sys.modules["gevent.monkey"].get_original(module, name)
    return getattr(importlib.import_module(module), name)


def start(target: Callable[..., object], *args: object, name: str) -> None:
    """Run ``target(*args)`` on a new daemon OS thread.

    Under gevent ``threading.Thread``, even gevent's saved original class, starts a
    greenlet (``threading`` calls the patched ``_thread.start_new_thread``), so the
    unpatched ``_thread.start_new_thread`` is called directly; such a thread, like a
    daemon, is not waited for at exit.
    """
    if gevent_patched():
        _original("_thread", "start_new_thread")(target, args)
    else:
        threading.Thread(target=target, args=args, name=name, daemon=True).start()


def simple_queue() -> queue.SimpleQueue[Any]:
    """An unbounded FIFO that greenlets and OS threads can share: the C ``SimpleQueue``
    (gevent replaces ``queue.SimpleQueue`` with its own, for greenlets only). ``put``
    never blocks; ``get`` blocks only the OS thread that calls it."""
    return _original("queue", "SimpleQueue")()


def sleep(seconds: float) -> None:
    """``time.sleep`` for an OS thread started by :func:`start` (gevent's would start a
    hub in that thread)."""
    if gevent_patched():
        _original("time", "sleep")(seconds)
    else:
        time.sleep(seconds)


def run_blocking(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)``; under gevent in the hub's pool of OS threads, so that only the
    calling greenlet waits for it, not the whole worker."""
    if gevent_patched():
        return sys.modules["gevent"].get_hub().threadpool.apply(fn, args)
    return fn(*args)


class Signal:
    """A one-shot flag, set from any OS thread and awaited by a thread or a greenlet.

    A real lock, held from creation until :meth:`set`. gevent's ``Event`` may not be set
    from another OS thread, so under gevent :meth:`wait` polls (every ``POLL_S``) with
    gevent's sleep, which lets the other greenlets run meanwhile.
    """

    def __init__(self) -> None:
        self._lock = _original("_thread", "allocate_lock")()
        self._lock.acquire()

    def set(self) -> None:
        self._lock.release()

    def wait(self, timeout: float) -> bool:
        """True once set; False if ``timeout`` seconds passed first."""
        if not gevent_patched():
            return bool(self._lock.acquire(timeout=max(timeout, 0)))
        deadline = time.monotonic() + timeout
        while not self._lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)  # gevent's: the hub runs while this greenlet waits
        return True


class Bell:
    """A wake-up for one waiting OS thread, rung from any thread or greenlet.

    Rings between two waits collapse into one. A real lock, held while nobody rang:
    ``ring`` releases it (never blocks), ``wait`` takes it back. Only an OS thread started
    by :func:`start` may wait on it.
    """

    def __init__(self) -> None:
        self._lock = _original("_thread", "allocate_lock")()
        self._lock.acquire()

    def ring(self) -> None:
        with contextlib.suppress(RuntimeError):  # already rung, and not yet heard
            self._lock.release()

    def wait(self, timeout: float) -> bool:
        """True if rung (now or since the last wait); False after ``timeout`` seconds."""
        return bool(self._lock.acquire(timeout=max(timeout, 0)))
