"""gateway.admission: the in-flight count, in one process and across forked workers."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.admission import Admission, LocalCounts, SharedCounts, of, retire, share

FORK = multiprocessing.get_context("fork")
JOIN_TIMEOUT = 10.0


def in_child(work: Callable[[], Any]) -> tuple[int, Any]:
    """Run ``work`` in a forked process (a gunicorn worker's stand-in) until it exits;
    return its pid and what ``work`` returned. The child never calls ``leave``."""
    receive, send = FORK.Pipe(duplex=False)

    def run() -> None:
        send.send(work())

    child = FORK.Process(target=run)
    child.start()
    try:
        assert receive.poll(JOIN_TIMEOUT), "the child did not answer"
        result = receive.recv()
    finally:
        child.join(JOIN_TIMEOUT)
        receive.close()
        send.close()
    assert child.exitcode == 0
    return child.pid, result


@pytest.fixture(params=["local", "shared"])
def admission(request: pytest.FixtureRequest) -> Admission:
    admission = Admission(2)
    if request.param == "shared":
        admission.share()
    return admission


def test_admits_up_to_the_capacity_and_refuses_beyond(admission):
    assert admission.has_room()
    assert [admission.enter(), admission.enter(), admission.enter()] == [True, True, False]
    assert admission.in_flight() == 2
    assert not admission.has_room()
    admission.leave()
    assert admission.in_flight() == 1
    assert admission.enter()
    admission.leave()
    admission.leave()
    assert admission.in_flight() == 0


def test_a_stray_leave_never_counts_below_zero(admission):
    admission.leave()
    assert admission.in_flight() == 0
    assert [admission.enter(), admission.enter(), admission.enter()] == [True, True, False]


def test_threads_never_go_over_the_capacity(admission):
    barrier = threading.Barrier(8)
    admitted: list[bool] = []

    def call() -> None:
        barrier.wait(JOIN_TIMEOUT)
        admitted.append(admission.enter())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert sorted(admitted) == [False] * 6 + [True] * 2
    assert admission.in_flight() == 2


def test_without_gunicorn_the_count_is_in_process():
    admission = Admission(5)
    assert isinstance(admission.counts, LocalCounts)
    assert admission.retire(12345) == 0  # nothing to free: no worker slots


def test_shared_count_spans_forked_processes_with_a_slot_each():
    admission = Admission(3)
    admission.share()
    assert admission.enter()
    child, admitted = in_child(lambda: [admission.enter(), admission.enter(), admission.enter()])
    assert admitted == [True, True, False]  # the parent's call counted in the child
    assert admission.in_flight() == 3
    assert admission.counts.slots() == {os.getpid(): 1, child: 2}
    assert not admission.enter()  # the child's calls count here too


def test_processes_racing_for_the_last_places_never_go_over_the_capacity():
    """No cross-process lock on ``enter``: each worker counts in its own slot, then sums.
    Four workers each take and give back places many times at once; the places held
    (counted apart, under a lock of the test's) never exceed the capacity."""
    admission = Admission(5)
    admission.share()
    start = FORK.Event()
    held_now = FORK.Value("i", 0)
    most = FORK.Value("i", 0)

    def worker() -> tuple[int, int]:
        start.wait(JOIN_TIMEOUT)
        held = 0
        for _ in range(2000):
            if admission.enter():
                held += 1
                with held_now.get_lock():
                    held_now.value += 1
                    most.value = max(most.value, held_now.value)
                if held > 1:  # keep one, give the rest back: the edge is crossed often
                    with held_now.get_lock():
                        held_now.value -= 1
                    admission.leave()
                    held -= 1
        return os.getpid(), held

    results = FORK.Queue()
    children = [FORK.Process(target=lambda: results.put(worker())) for _ in range(4)]
    for child in children:
        child.start()
    start.set()
    held = dict(results.get(timeout=JOIN_TIMEOUT) for _ in children)
    for child in children:
        child.join(JOIN_TIMEOUT)
        assert child.exitcode == 0
    assert 2 <= most.value <= 5
    # Each child ends holding the place it kept (if the others let it get one at all):
    # the shared counts say exactly that, worker by worker.
    assert admission.counts.slots() == held
    assert admission.in_flight() == sum(held.values()) >= 1


def test_retiring_a_dead_worker_frees_its_calls_and_its_slot():
    admission = Admission(2)
    admission.share()
    assert admission.enter()  # this process claims its slot now, not after the child died
    admission.leave()
    child, _ = in_child(lambda: [admission.enter(), admission.enter()])  # dies holding 2
    assert admission.in_flight() == 2
    assert not admission.enter()
    assert admission.retire(child) == 2
    assert admission.in_flight() == 0
    assert admission.counts.slots() == {os.getpid(): 0}
    assert admission.retire(child) == 0  # a second child_exit for it changes nothing
    _, admitted = in_child(lambda: [admission.enter(), admission.enter(), admission.enter()])
    assert admitted == [True, True, False]  # the next worker gets the whole capacity


def test_a_new_worker_frees_the_slots_of_dead_ones_no_hook_retired():
    admission = Admission(2)
    admission.share()
    in_child(lambda: [admission.enter(), admission.enter()])  # dies; no child_exit hook
    assert admission.in_flight() == 2
    child, admitted = in_child(lambda: [admission.enter(), admission.enter()])
    assert admitted == [True, True]
    assert admission.counts.slots() == {child: 2}


def test_a_stale_slot_under_this_process_pid_is_not_inherited():
    counts = SharedCounts(slots=4)
    cells = counts._cells  # a dead namesake (pid reuse) left 5 calls in slot 0
    cells[0], cells[1], cells[2] = 5, os.getpid(), 5
    assert counts.enter(capacity=2)
    assert counts.in_flight() == 1
    assert counts.slots() == {os.getpid(): 1}


def test_a_full_slot_table_is_an_error_not_a_silent_miscount():
    counts = SharedCounts(slots=1)
    counts._cells[1] = os.getppid()  # a live process holds the only slot
    with pytest.raises(RuntimeError, match="all 1 worker slots are taken"):
        counts.enter(capacity=2)


def test_share_is_idempotent_and_keeps_the_count():
    admission = Admission(2)
    admission.share()
    shared = admission.counts
    assert admission.enter()
    admission.share()
    assert admission.counts is shared
    assert admission.in_flight() == 1


def test_the_gunicorn_hooks_find_the_admission_of_the_app():
    admission = Admission(7)
    app = SimpleNamespace(extensions={"gateway": SimpleNamespace(admission=admission)})
    assert of(app) is admission
    share(app)
    assert isinstance(admission.counts, SharedCounts)
    child, _ = in_child(admission.enter)
    assert retire(app, child) == 1
    with pytest.raises(TypeError, match="not the app create_app built"):
        of(object())
