"""Shared fixtures; tests are marked unit/functional/e2e by their directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_MARKS = {"unit", "functional", "e2e"}
_SCRUBBED_PREFIXES = ("GATEWAY_",)
_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        parts = Path(item.fspath).relative_to(root).parts
        mark = parts[0] if len(parts) > 1 else None
        if mark not in _MARKS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in unit/, functional/ or e2e/")
        item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may depend on the developer's GATEWAY_* or proxy variables."""
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) or name.lower() in _PROXIES:
            monkeypatch.delenv(name, raising=False)
