"""Fakes of each provider's image API, plugged into ``fake_provider`` by path prefix.

A request to ``/p/<provider>/<rest>`` on the fake server goes to the module here whose
``NAME`` is ``<provider>``: ``handle(FakeRequest) -> FakeReply``. The gateway reaches
it with ``x-portkey-custom-host: <fake>/p/<provider>`` (see ``FakeProvider.host``).
Each module follows its provider's documented API (paths, auth, body fields, answer
and error shapes) and fails loudly (a 4xx in the provider's own error shape) on a
request the real provider would refuse, so a wrong transform cannot pass.
Stdlib only.
"""

from __future__ import annotations

import base64
import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A valid 1x1 PNG: what every fake draws.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
TINY_PNG_B64 = base64.b64encode(TINY_PNG).decode()
CREATED = 1700000000


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str  # after /p/<provider>, e.g. "/v1/generation/sdxl/text-to-image"
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    base: str  # http://127.0.0.1:<port>/p/<provider>: for URLs the fake hands out

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class FakeReply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, **headers: str) -> FakeReply:
    return FakeReply(status, json.dumps(payload).encode(), "application/json", dict(headers))


def png_reply() -> FakeReply:
    return FakeReply(200, TINY_PNG, "image/png")


Handler = Callable[[FakeRequest], FakeReply]


def registry() -> dict[str, Handler]:
    """Every fake module in this package, by provider name."""
    found: dict[str, Handler] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        name = getattr(module, "NAME", None)
        if name:
            found[name] = module.handle
    return found
