"""Rate-limit and budget windows in Redis (``GATEWAY_REDIS_URL``): exact across instances.

A reservation is ONE Lua script, run atomically by the server: it reads the key's
windows, makes the decision of :func:`gateway.limits.decide` (mirrored in
:data:`RESERVE`; ``tests/unit/store/test_usage.py`` compares the two on a table of
cases) and, if the request is admitted, adds it and sets each window to expire at its
end. A settlement is another script. Both are sent as ``EVALSHA`` (redis-py's
``register_script``; loaded again if the server lost them). The refusal itself (its
message and wait) is built by ``decide`` from the usage the script read.

Keys, one hash per window, with the API key id as hash tag so a key's windows share a
cluster slot: ``<prefix>{<key id>}:minute:<...>`` (``requests``, ``images``),
``...:day:<...>`` and ``...:month:<...>`` (``spend``, micro-USD).

The connection pool belongs to the process that made it: it is made on first use and
again in a forked child (gunicorn forks its workers after loading the app). Timeouts are
short: an unreachable Redis refuses the request with
:class:`gateway.limits.LimitsUnavailable` (503) in about a second, never admits it
unchecked. Only a connection error is retried, once (a connection the server closed
while idle); a timeout is not, since the script may have run. A settlement that fails is
logged with the key and the amount.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

from ..limits import Hold, Limits, LimitsUnavailable, Usage, Windows, decide, windows
from .health import reason
from .usage import log_unsettled

log = logging.getLogger("gateway.limits")

PREFIX = "gw:usage:"
SOCKET_TIMEOUT_S = 1.0
CONNECT_TIMEOUT_S = 1.0
HEALTH_CHECK_INTERVAL_S = 30

# KEYS: the minute, day and month windows. ARGV: rpm, ipm, daily and monthly budgets
# ('' = no limit), n, estimate, and when each window ends (Unix seconds). Returns the
# refusal's code ('' = admitted and counted) and the usage it read. Every read, and every
# check that can fail, comes before the first write: a script that fails wrote nothing
# (Redis does not roll back a script's writes).
RESERVE = """
local function limit(i)
  if ARGV[i] == '' then return nil end
  return tonumber(ARGV[i])
end
local function count(value)
  if not value then return 0 end
  local number = tonumber(value)
  if not number then error('a usage window holds a non-number') end
  return number
end
local rpm, ipm, daily, monthly = limit(1), limit(2), limit(3), limit(4)
local n, estimate = tonumber(ARGV[5]), tonumber(ARGV[6])
local minute = redis.call('HMGET', KEYS[1], 'requests', 'images')
local requests, images = count(minute[1]), count(minute[2])
local day = count(redis.call('HGET', KEYS[2], 'spend'))
local month = count(redis.call('HGET', KEYS[3], 'spend'))
local code = ''
if rpm and requests + 1 > rpm then
  code = 'rate_limit_rpm'
elseif ipm and images + n > ipm then
  code = 'rate_limit_ipm'
elseif daily and (day >= daily or day + estimate > daily) then
  code = 'budget_daily'
elseif monthly and (month >= monthly or month + estimate > monthly) then
  code = 'budget_monthly'
end
if code == '' then
  redis.call('HINCRBY', KEYS[1], 'requests', 1)
  redis.call('HINCRBY', KEYS[1], 'images', n)
  redis.call('HINCRBY', KEYS[2], 'spend', estimate)
  redis.call('HINCRBY', KEYS[3], 'spend', estimate)
  for i = 1, 3 do
    redis.call('EXPIREAT', KEYS[i], ARGV[6 + i])
  end
end
return {code, requests, images, day, month}
"""

# KEYS: the day and month windows. ARGV: the spend to add (negative: released). A window
# that has expired meanwhile is not made again (it would never expire).
SETTLE = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('HINCRBY', KEYS[i], 'spend', ARGV[1]) < 0 then
      redis.call('HSET', KEYS[i], 'spend', 0)
    end
  end
end
return 0
"""


@dataclass(frozen=True)
class _Client:
    pid: int
    redis: redis.Redis
    reserve: Script
    settle: Script


class RedisUsageStore:
    """The :class:`gateway.limits.UsageStore` in Redis; one pool per process."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = PREFIX,
        socket_timeout: float = SOCKET_TIMEOUT_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._socket_timeout = socket_timeout
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._client: _Client | None = None

    def key(self, key_id: str, window: str) -> str:
        return f"{self.prefix}{{{key_id}}}:{window}"

    def reserve(self, key_id: str, limits: Limits, n: int, estimate: int, now: float) -> Hold:
        if not limits.any():  # no round trip for keys without limits
            return Hold()
        w = windows(now)
        try:
            code, seen = self.run_reserve(key_id, limits, n, estimate, w)
        except redis.RedisError as exc:
            log.error("usage store: cannot check the limits of key %s: %s", key_id, reason(exc))
            raise LimitsUnavailable() from None
        if code is not None:
            refusal = decide(limits, seen, n, estimate, w, now)
            if refusal is None or refusal.code != code:
                # Only a script out of step with decide() gets here; it counted nothing.
                log.error(
                    "usage store: the script refused key %s (%s); decide(): %s",
                    key_id,
                    code,
                    refusal,
                )
                raise refusal or LimitsUnavailable()
            raise refusal
        return Hold(key_id, w.day, w.month, estimate)

    def run_reserve(
        self, key_id: str, limits: Limits, n: int, estimate: int, w: Windows
    ) -> tuple[str | None, Usage]:
        """Run :data:`RESERVE`: the code of its refusal (None: counted) and the usage it read."""
        keys = [self.key(key_id, name) for name in (w.minute, w.day, w.month)]
        bounds = (limits.rpm, limits.ipm, limits.daily_micro_usd, limits.monthly_micro_usd)
        args = [*("" if b is None else b for b in bounds), n, estimate]
        args += [int(ends) for ends in (w.minute_ends, w.day_ends, w.month_ends)]
        code, *seen = self._get().reserve(keys=keys, args=args)
        return (code.decode() or None), Usage(*(int(v) for v in seen))

    def settle(self, hold: Hold, spent: int) -> None:
        if hold.key_id is None or spent == hold.estimate:
            return
        keys = [self.key(hold.key_id, name) for name in (hold.day, hold.month)]
        try:
            self._get().settle(keys=keys, args=[spent - hold.estimate])
        except redis.RedisError as exc:  # the answer is on its way: log, never fail it
            log_unsettled(hold, spent, reason(exc))

    def close(self) -> None:
        """Close this process's connections (worker exit, CLI, tests)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and client.pid == os.getpid():
            client.redis.close()
            client.redis.connection_pool.disconnect()

    def _get(self) -> _Client:
        """This process's client, made on first use and again after a fork."""
        pid = os.getpid()
        client = self._client
        if client is not None and client.pid == pid:
            return client
        with self._lock:
            client = self._client
            if client is None or client.pid != pid:
                # An inherited pool is dropped, not closed: its sockets are the parent's.
                pool = redis.ConnectionPool.from_url(
                    self.url,
                    socket_timeout=self._socket_timeout,
                    socket_connect_timeout=self._connect_timeout,
                    health_check_interval=HEALTH_CHECK_INTERVAL_S,
                    retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
                )
                server = redis.Redis(connection_pool=pool)
                client = _Client(
                    pid, server, server.register_script(RESERVE), server.register_script(SETTLE)
                )
                self._client = client
            return client
