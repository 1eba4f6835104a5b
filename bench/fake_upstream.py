"""The e2e fake provider with a listen backlog deep enough for 1,000 clients at once.

    python bench/fake_upstream.py [--port 0] [--no-record]   # prints "READY <port>"

``tests/e2e/fake_provider.py`` listens with a backlog of 256: when 1,000 clients connect
in the same instant the kernel drops the SYNs beyond it and the clients retry one second
later, which would show up as latency the gateway never caused. The fake's handler is
unchanged (one thread per connection, so it holds every slow request at once).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e import fake_provider

# The kernel caps it at net.core.somaxconn (4096 on current Linux).
BACKLOG = 4096

if __name__ == "__main__":
    fake_provider._Server.request_queue_size = BACKLOG
    sys.exit(fake_provider.main())
