"""Several gateway instances sharing one store, behind a real nginx: the scale-out setup.

:class:`Cluster` starts ``N`` gunicorn masters serving ``wsgi:app`` (each with its own data
directory and port) that share what the README's "Scaling out" asks them to share:

- ``GATEWAY_DATABASE_URL``: one PostgreSQL database (the caller makes a fresh one, e.g.
  with :func:`tests.store_servers.fresh_database`, and drops it after);
- ``GATEWAY_REDIS_URL`` (optional): one Redis database number this cluster claims
  (:func:`claim_redis_db`), flushed before and after;
- ``GATEWAY_MASTER_KEY``: one Fernet key, made per cluster and handed over in the
  environment, never on a command line;

and nothing else: the pepper, the URL-signing key and the cache key are each instance's to
read from the database. In front of them, :class:`ClusterNginx` runs a real nginx with
``deploy/nginx.conf`` as it ships, its ``# EDIT: upstream`` line replaced by one
``server`` line per instance (round robin, ``max_fails=0``), and ``proxy_next_upstream
error timeout`` instead of ``off`` (a request that could not be sent to a stopped instance
goes to the next; a POST that was sent is never replayed). The instances trust that one
proxy hop (``GATEWAY_TRUSTED_PROXIES=1``).

Used by ``tests/e2e/test_scale_out.py`` (through pytest fixtures) and by
``bench/scale_out.py``. No pytest here beyond what the imported e2e helpers need: a
missing server or nginx is an :class:`Unavailable` the caller turns into a skip, a
failure under ``CI=true``, or a benchmark error. Everything listens on 127.0.0.1; every
process is stopped by its PID; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg
import redis
from cryptography.fernet import Fernet
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.e2e.conftest import (
    BIN_DIR,
    REPO_ROOT,
    START_TIMEOUT,
    Gateway,
    _child_pids,
    _clean_environ,
    free_port,
    poll,
)
from tests.e2e.test_nginx import ERRORS_DIR, NGINX_FALLBACK, SHIPPED_CONF, Nginx, render
from tests.store_servers import libpq

INSTANCES = 3
REDIS_DBS = range(8, 16)  # numbers this harness may claim; 0 stays the other tests'
REDIS_CLAIM = "gw:cluster:claim"  # the claim key in a claimed database (flushed with it)
REDIS_CLAIM_TTL = 3600  # a crashed run's claim frees its database after an hour
KILL_TIMEOUT = 10.0
NEXT_UPSTREAM = re.compile(r"^([ \t]*)proxy_next_upstream off;", re.MULTILINE)


class Unavailable(Exception):
    """A server or binary the cluster needs is missing (the caller skips or fails)."""


# ------------------------------------------------------------------ shared servers


def nginx_binary() -> str:
    found = shutil.which("nginx") or (NGINX_FALLBACK if os.access(NGINX_FALLBACK, os.X_OK) else "")
    if not found:
        raise Unavailable(f"nginx not found on PATH or at {NGINX_FALLBACK}; install nginx")
    return found


def claim_redis_db(server_url: str) -> str:
    """A ``redis://`` URL of a database number (8 to 15) no other cluster holds, flushed.

    The claim is a key set with NX in that database, so two runs at once (tests and the
    benchmark) never share one; :func:`release_redis_db` flushes it, claim included.
    """
    errors = []
    for number in REDIS_DBS:
        url = _with_db(server_url, number)
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            if client.set(REDIS_CLAIM, str(os.getpid()), nx=True, ex=REDIS_CLAIM_TTL):
                # Flushed before use: whatever an earlier crashed run left is gone.
                client.flushdb()
                client.set(REDIS_CLAIM, str(os.getpid()), ex=REDIS_CLAIM_TTL)
                return url
        except redis.RedisError as exc:
            errors.append(str(exc))
            break
        finally:
            client.close()
    raise Unavailable(f"no free Redis database among {list(REDIS_DBS)}: {errors or 'all claimed'}")


def release_redis_db(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def _with_db(url: str, number: int) -> str:
    head, sep, tail = url.partition("://")
    netloc, _, _path = tail.partition("/")
    return f"{head}{sep}{netloc}/{number}"


def new_master_key() -> str:
    return Fernet.generate_key().decode()


# ------------------------------------------------------------------ nginx


class ClusterNginx:
    """A foreground nginx: the shipped server block, one upstream ``server`` per instance.

    The ``# EDIT:`` lines change (upstream, listen, access_log, errors_dir), the log
    format gains ``ups=$upstream_addr`` so a test can see which instance answered, and
    ``proxy_next_upstream`` is ``error timeout`` (see the module's docstring).
    """

    def __init__(
        self, binary: str, root: Path, upstream_ports: Sequence[int], worker_connections: int
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.access_log = root / "access.log"
        self.error_log = root / "error.log"
        servers = " ".join(f"server 127.0.0.1:{port} max_fails=0;" for port in upstream_ports)
        site = render(
            SHIPPED_CONF.read_text(),
            {
                "upstream": servers,
                "listen": f"listen 127.0.0.1:{self.port};",
                "access_log": f"access_log {self.access_log} image_gateway;",
                "errors_dir": f"alias {ERRORS_DIR}/;",
            },
        )
        marker = "'us=$upstream_status "
        assert marker in site, "deploy/nginx.conf's log_format changed"
        site = site.replace(marker, "'ups=$upstream_addr us=$upstream_status ")
        # With several servers, a request nginx could not even send (connection refused:
        # an instance down or restarting) goes to the next one. Without non_idempotent, a
        # POST that was sent is still never replayed: the only change from the shipped file.
        site, found = NEXT_UPSTREAM.subn(r"\1proxy_next_upstream error timeout;", site)
        assert found == 1, "deploy/nginx.conf's proxy_next_upstream line changed"
        (root / "image-gateway.conf").write_text(site)
        conf = root / "nginx.conf"
        top = Nginx._top_level(root, worker_connections)
        # Several nginx workers, as deploy/nginx.conf's header recommends (auto = per core).
        conf.write_text(top.replace("worker_processes 1;", "worker_processes auto;"))
        with (root / "stderr.log").open("ab") as stderr:
            self.proc = subprocess.Popen(
                [binary, "-p", f"{root}/", "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, path: str) -> str:
        return self.base_url + path

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        def listening_or_exited() -> bool:
            if self.proc.poll() is not None:
                return True
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        return bool(poll(listening_or_exited, timeout)) and self.proc.poll() is None

    def logs(self) -> str:
        parts = (self.root / "stderr.log", self.error_log)
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def access_lines(self) -> list[str]:
        text = self.access_log.read_text() if self.access_log.exists() else ""
        return text.splitlines()

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=KILL_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=KILL_TIMEOUT)


# ------------------------------------------------------------------ the cluster


class Cluster:
    """``instances`` gateways on one PostgreSQL database (and Redis), nginx in front.

    ``start()`` brings every instance up at once (they race to migrate the fresh database
    and to create the shared secrets, as a real rollout would) and then nginx. ``stop()``
    ends all of it. ``cli(i, ...)`` runs the ``gateway`` command with instance ``i``'s
    environment; ``sql(...)`` reads the shared database.
    """

    def __init__(
        self,
        root: Path,
        fake_base_url: str,
        database_url: str,
        redis_url: str | None = None,
        master_key: str | None = None,
        instances: int = INSTANCES,
        env: dict[str, Any] | None = None,
        nginx_worker_connections: int = 512,
    ) -> None:
        self.root = root
        self.database_url = database_url
        self.redis_url = redis_url
        self.master_key = master_key or new_master_key()
        self.count = instances
        self.fake_base_url = fake_base_url
        self.extra_env = dict(env or {})
        self.nginx_worker_connections = nginx_worker_connections
        self.instances: list[Gateway] = []
        self.nginx: ClusterNginx | None = None

    # -- environment

    def shared_env(self) -> dict[str, str]:
        """What every instance (and the CLI) must share; the rest is per instance."""
        env = {
            "GATEWAY_DATABASE_URL": self.database_url,
            "GATEWAY_MASTER_KEY": self.master_key,
        }
        if self.redis_url:
            env["GATEWAY_REDIS_URL"] = self.redis_url
        return env

    def _env(self, index: int, port: int) -> dict[str, str]:
        data_dir = self.root / f"instance-{index}" / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = _clean_environ()
        env.update(
            GATEWAY_BIND=f"127.0.0.1:{port}",
            GATEWAY_DATA_DIR=str(data_dir),
            GATEWAY_WORKERS="2",
            GATEWAY_THREADS="16",
            GATEWAY_TRUSTED_PROXIES="1",
            GATEWAY_OPENAI_BASE_URL=f"{self.fake_base_url}/v1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.shared_env())
        for name, value in self.extra_env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = str(value)
        return env

    # -- life cycle

    def start(self, front: bool = True) -> Cluster:
        """Start the instances and, unless ``front`` is False, nginx in front of them."""
        binary = nginx_binary() if front else ""  # first: a missing nginx is a skip
        self.instances = [None] * self.count  # type: ignore[list-item]
        try:
            self._start_instances()
            if front:
                self.nginx = self._start_nginx(binary)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_instances(self) -> None:
        """Every instance at once; those whose probed port was taken meanwhile again."""
        pending = list(range(self.count))
        for _ in range(3):
            for index in pending:
                self.instances[index] = self._spawn(index, free_port())
            failed = [i for i in pending if not self.instances[i].wait_ready()]
            for index in failed:
                self.instances[index].stop()
            pending = [i for i in failed if "Address already in use" in self.log(i)]
            broken = [i for i in failed if i not in pending]
            if broken:
                log = self.log(broken[0])
                raise RuntimeError(f"instance {broken[0]} did not become healthy; its log:\n{log}")
            if not pending:
                return
        raise RuntimeError("instances kept finding their ports taken")

    def _start_nginx(self, binary: str) -> ClusterNginx:
        ports = [gateway.port for gateway in self.instances]
        logs = ""
        for attempt in range(3):
            nginx = ClusterNginx(
                binary, self.root / f"nginx-{attempt}", ports, self.nginx_worker_connections
            )
            if nginx.wait_ready():
                return nginx
            nginx.stop()
            logs = nginx.logs()
            if "Address already in use" not in logs:
                break
        raise RuntimeError(f"nginx did not start; its log:\n{logs}")

    def _spawn(self, index: int, port: int) -> Gateway:
        env = self._env(index, port)
        log_path = self.root / f"instance-{index}" / "gateway.log"
        return Gateway(env, Path(env["GATEWAY_DATA_DIR"]), log_path)

    def restart(self, index: int) -> Gateway:
        """Start instance ``index`` again (same data dir and port) after a stop or a kill."""
        old = self.instances[index]
        if old.proc.poll() is None:
            old.stop()
        gateway = Gateway(old.env, old.data_dir, old.log_path)
        self.instances[index] = gateway
        if not gateway.wait_ready():
            raise RuntimeError(f"instance {index} did not come back; its log:\n{self.log(index)}")
        return gateway

    def kill(self, index: int) -> list[int]:
        """SIGKILL instance ``index``'s master and every worker at once (a crash, an OOM
        kill of the whole unit): no shutdown hook runs. Returns the PIDs killed."""
        gateway = self.instances[index]
        workers = _child_pids(gateway.pid)
        pids = [gateway.pid, *workers]
        for pid in pids:  # the master first, so it cannot start replacements
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        gateway.proc.wait(timeout=KILL_TIMEOUT)
        deadline = time.monotonic() + KILL_TIMEOUT
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        return pids

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        started = [g for g in self.instances if g is not None]
        for gateway in started:  # all at once: each takes a second or two to drain
            gateway.terminate()
        for gateway in started:
            gateway.wait_stopped()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- access

    def base_url(self, index: int) -> str:
        return self.instances[index].base_url

    def url(self, index: int, path: str) -> str:
        return self.instances[index].url(path)

    @property
    def front(self) -> ClusterNginx:
        assert self.nginx is not None, "cluster not started"
        return self.nginx

    def log(self, index: int) -> str:
        gateway = self.instances[index]
        return gateway.stdout_text() if gateway is not None and gateway.log_path.exists() else ""

    def cli(self, index: int, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """The ``gateway`` console script with instance ``index``'s environment."""
        return subprocess.run(
            [str(BIN_DIR / "gateway"), *args],
            cwd=REPO_ROOT,
            env=self.instances[index].env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def sql(self, query: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[tuple]:
        """Rows of one read-only query on the shared database."""
        with psycopg.connect(libpq(self.database_url), connect_timeout=5) as conn:
            return list(conn.execute(query, params).fetchall())

    def pids(self, index: int) -> list[int]:
        gateway = self.instances[index]
        return [gateway.pid, *_child_pids(gateway.pid)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def database_on(server_url: str, name: str) -> str:
    """``server_url`` with another database name (for the benchmark's own database)."""
    return make_url(libpq(server_url)).set(database=name).render_as_string(hide_password=False)


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(libpq(server_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_on(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(libpq(server_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
