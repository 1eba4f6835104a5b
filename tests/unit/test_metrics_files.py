"""The multiprocess metrics directory: emptied at start, a dead worker folded into archives."""

from __future__ import annotations

import os

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from gateway.observability import metrics_files

DOC = "doc"


def counter_key(provider: str) -> str:
    return mmap_key("c", "c_total", ["provider"], [provider], DOC)


def bucket_key(le: str) -> str:
    return mmap_key("h", "h_bucket", ["le"], [le], DOC)


def write(path, name: str, entries: dict[str, float]) -> None:
    d = MmapedDict(str(path / name))
    for key, value in entries.items():
        d.write_value(key, value, 0.0)
    d.close()


def totals(path) -> dict[tuple[str, tuple], float]:
    files = sorted(str(p) for p in path.glob("*.db"))
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for metric in MultiProcessCollector.merge(files)
        for s in metric.samples
    }


def two_workers(path) -> None:
    write(path, "counter_101.db", {counter_key("openai"): 3, counter_key("placeholder"): 1})
    write(path, "counter_102.db", {counter_key("openai"): 2})
    write(path, "histogram_101.db", {bucket_key("1.0"): 2, bucket_key("+Inf"): 1})
    write(path, "histogram_102.db", {bucket_key("1.0"): 1})


def test_retire_folds_a_dead_worker_without_changing_any_total(tmp_path):
    two_workers(tmp_path)
    before = totals(tmp_path)
    assert before["c_total", (("provider", "openai"),)] == 5
    assert before["h_bucket", (("le", "+Inf"),)] == 4  # cumulative across buckets and workers

    metrics_files.retire(str(tmp_path), 101)
    assert totals(tmp_path) == before
    metrics_files.retire(str(tmp_path), 102)
    assert totals(tmp_path) == before
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_archive.db",
        "histogram_archive.db",
    ]
    metrics_files.retire(str(tmp_path), 103)  # a worker that never counted anything
    assert totals(tmp_path) == before


def test_reset_removes_metric_files_and_nothing_else(tmp_path):
    two_workers(tmp_path)
    metrics_files.retire(str(tmp_path), 101)
    write(tmp_path, "gauge_livesum_102.db", {counter_key("x"): 1})
    (tmp_path / "gateway.db").write_bytes(b"not a metric file")
    (tmp_path / "counter_notes.db").write_bytes(b"not ours either")
    metrics_files.reset(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["counter_notes.db", "gateway.db", "metrics.lock"]


def test_reset_creates_a_private_directory(tmp_path):
    path = tmp_path / "metrics"
    metrics_files.reset(str(path))
    assert path.is_dir()
    assert oct(path.stat().st_mode & 0o777) == oct(0o700)
    with metrics_files.reading(str(path)):
        assert totals(path) == {}
