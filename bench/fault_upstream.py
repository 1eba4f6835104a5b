"""The e2e fake provider plus a fault mix, for the soak (bench/soak.py).

    python bench/fault_upstream.py [--port 0]      # prints "READY <port>"

``POST /mix/<seed>/v1/images/generations`` answers each request with one outcome drawn
from ``MIX`` by a random generator seeded with ``<seed>`` (one generator per seed, so
the sequence of outcomes on a path is the same on every run; which client gets which
depends on arrival order). ``GET /__mix`` returns how many of each outcome were served,
so the soak can check the gateway's attempts against what was injected. Every other
path is the e2e fake's (``tests/e2e/fake_provider.py``), with the deep listen backlog of
``bench/fake_upstream.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import struct
import sys
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_upstream import BACKLOG

from tests.e2e import fake_provider

# outcome: (weight, fake kind, argument). "slow" draws its delay from SLOW_MS.
MIX = {
    "ok": (35, "ok", None),
    "slow": (25, "slow", None),
    "500": (10, "status", 500),
    "429": (10, "wait", 1),  # 429 with Retry-After: 1
    "cut": (10, "cut", None),  # 200 whose body stops halfway, connection closed
    "reset": (10, "reset", None),  # request read, then a TCP RST, no answer at all
}
SLOW_MS = (1000, 5000)
_PATH = re.compile(r"^/mix/(?P<seed>\d+)" + re.escape(fake_provider.IMAGES_PATH) + r"$")


class MixState:
    """A generator per seed and the outcome counts, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rngs: dict[int, random.Random] = {}
        self.served: Counter[str] = Counter()
        names = list(MIX)
        self._names = names
        self._weights = [MIX[n][0] for n in names]

    def draw(self, seed: int) -> tuple[str, str, int | None]:
        with self.lock:
            rng = self.rngs.setdefault(seed, random.Random(seed))
            name = rng.choices(self._names, self._weights)[0]
            delay = rng.randint(*SLOW_MS)
            self.served[name] += 1
        _weight, kind, arg = MIX[name]
        return name, kind, delay if kind == "slow" else arg


class MixHandler(fake_provider._Handler):
    mix: MixState  # set on the class by main()

    def _handle(self) -> None:
        path = self.path.partition("?")[0]
        if self.command == "GET" and path == "/__mix":
            with self.mix.lock:
                self._send(200, json.dumps(dict(self.mix.served)).encode())
            return
        match = _PATH.match(path)
        if not match or self.command != "POST":
            super()._handle()
            return
        body = self._read_body()
        _name, kind, arg = self.mix.draw(int(match["seed"]))
        if kind == "reset":
            self._reset()
        else:
            self._dispatch(kind, arg, body)

    def _reset(self) -> None:
        """Close with SO_LINGER 0: the kernel sends RST, the caller gets no answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # the socket's last other reference: its close is the real one
        self.connection.close()

    do_GET = do_POST = _handle  # the base class bound its own _handle to these names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    MixHandler.mix = MixState()
    fake_provider._Server.request_queue_size = BACKLOG
    server = fake_provider._Server(("127.0.0.1", args.port), record=False)
    server.RequestHandlerClass = MixHandler
    return fake_provider.serve(server)


if __name__ == "__main__":
    sys.exit(main())
