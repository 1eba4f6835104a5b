"""Revocation reaches every instance within 5 seconds.

Two apps (``create_app`` twice: two "instances", each with its own data directory
and the same secrets) share one store: a PostgreSQL database, or one SQLite file. A
change made elsewhere (the CLI in another process, or a third handle on the store)
must be refused or seen by both within the 5 s the deployment promises. The tests
poll in a bounded loop and assert only that bound, never a speed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from gateway import create_app
from gateway.credentials import Credentials, open_credentials
from gateway.credentials import api_keys as keys
from gateway.errors import ConfigNotFound, VirtualKeyDisabled, VirtualKeyNotFound
from gateway.settings import Settings
from gateway.store.database import Database
from tests.factories import MASTER_KEY_1, OK_BODY, OPENAI_URL, encode, image_body, virtual_key
from tests.store_servers import fresh_database, postgres_url

BOUND = 5.0  # seconds: the promise
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def postgres_server() -> str:
    # Module scope: resolved before the autouse fixture that scrubs GATEWAY_* variables.
    return postgres_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One store for every instance: a SQLite file outside both data dirs, or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared' / 'gateway.db'}"
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


class Cluster:
    """Two app instances and an admin handle (what the CLI opens) on one store."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.url = url
        self.settings = [self._settings(tmp_path / f"node-{i}") for i in range(2)]
        first = create_app(self.settings[0])
        # The second machine gets the first one's pepper file, if the pepper is a file
        # (API key digests must agree; on PostgreSQL the store may hold it instead).
        os.makedirs(self.settings[1].data_dir, mode=0o700)
        if os.path.exists(self.settings[0].pepper_path):
            shutil.copy2(self.settings[0].pepper_path, self.settings[1].pepper_path)
        self.apps = [first, create_app(self.settings[1])]
        self.admin_db = Database.from_settings(self.settings[0])
        self.admin: Credentials = open_credentials(self.settings[0], self.admin_db)

    def _settings(self, data_dir: Path) -> Settings:
        return Settings(
            data_dir=str(data_dir),
            database_url=self.url,
            master_keys=(MASTER_KEY_1,),
            require_api_key="true",
        )

    def deps(self, i: int) -> Any:
        return self.apps[i].extensions["gateway"].deps

    def cli(self, *args: str) -> str:
        """The ``gateway`` CLI in its own process, as an operator runs it."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GATEWAY_DATA_DIR": self.settings[0].data_dir,
            "GATEWAY_DATABASE_URL": self.url,
            "GATEWAY_MASTER_KEY": MASTER_KEY_1,
        }
        done = subprocess.run(
            [sys.executable, "-m", "gateway", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def close(self) -> None:
        for app in self.apps:
            state = app.extensions["gateway"]
            state.request_log.flush(5.0)
            state.database.dispose()
        self.admin_db.dispose()


@pytest.fixture
def cluster(tmp_path: Path, store_url: str) -> Iterator[Cluster]:
    nodes = Cluster(tmp_path, store_url)
    yield nodes
    nodes.close()


def within_bound(check: Callable[[], bool]) -> bool:
    """Poll ``check`` until it holds or :data:`BOUND` seconds have passed."""
    deadline = time.monotonic() + BOUND
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def status(app: Any, key: str) -> int:
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Bearer sk-provider-0123456789",
        "x-portkey-api-key": key,
    }
    res = app.test_client().post(
        "/v1/images/generations", data=encode(image_body()), headers=headers
    )
    return res.status_code


def raises(error: type[Exception], call: Callable[[], Any]) -> bool:
    try:
        call()
    except error:
        return True
    return False


@pytest.mark.parametrize("through", ["cli", "store"])
def test_a_revoked_key_is_refused_by_every_instance(cluster, through):
    key, record = keys.create(cluster.admin.store, cluster.admin.pepper, "design", time.time())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        assert [status(app, key) for app in cluster.apps] == [200, 200]  # cached on both
        if through == "cli":
            assert cluster.cli("api-keys", "revoke", record.id) == "revoked 1 key\n"
        else:
            assert cluster.admin.store.revoke_api_keys("design", time.time()) == 1
        for app in cluster.apps:
            assert within_bound(lambda app=app: status(app, key) == 401)


def test_virtual_key_changes_reach_every_instance(cluster):
    store = cluster.admin.store
    store.add_virtual_key(virtual_key(name="vk", teams=("design",)), "sk-first-000000000000")

    def seen(i: int) -> str:
        """What instance ``i`` makes of the key: its secret, or the error's code."""
        try:
            return cluster.deps(i).virtual_key("vk", "design", "x-portkey-virtual-key").secret
        except (VirtualKeyDisabled, VirtualKeyNotFound) as exc:
            return exc.code

    assert [seen(i) for i in (0, 1)] == ["sk-first-000000000000"] * 2
    store.set_disabled("vk", True, time.time())
    for i in (0, 1):
        assert within_bound(lambda i=i: seen(i) == "virtual_key_disabled")
    store.set_disabled("vk", False, time.time())
    store.replace_secret("vk", "sk-second-00000000000", "0000", time.time())
    for i in (0, 1):
        assert within_bound(lambda i=i: seen(i) == "sk-second-00000000000")
    cluster.cli("virtual-keys", "delete", "vk")
    for i in (0, 1):
        assert within_bound(lambda i=i: seen(i) == "virtual_key_not_found")


def test_config_changes_reach_every_instance(cluster):
    store = cluster.admin.store
    store.put_config("main", '{"retry":{"attempts":1}}', time.time())
    assert [cluster.deps(i).saved_configs("main")[0] for i in (0, 1)] == [1, 1]
    store.put_config("main", '{"retry":{"attempts":2}}', time.time())
    for i in (0, 1):
        assert within_bound(
            lambda i=i: cluster.deps(i).saved_configs("main") == (2, {"retry": {"attempts": 2}})
        )
    store.delete_config("main", time.time())
    for i in (0, 1):
        assert within_bound(
            lambda i=i: raises(ConfigNotFound, lambda: cluster.deps(i).saved_configs("main"))
        )


def test_limit_changes_and_the_first_key_reach_every_instance(cluster):
    assert [cluster.deps(i).api_keys_exist() for i in (0, 1)] == [False, False]
    key, _ = keys.create(cluster.admin.store, cluster.admin.pepper, "design", time.time())
    for i in (0, 1):
        assert within_bound(lambda i=i: cluster.deps(i).api_keys_exist())
    assert [cluster.deps(i).authenticate(key).limit_rpm for i in (0, 1)] == [None, None]
    cluster.cli("api-keys", "limits", "design", "--rpm", "5")
    for i in (0, 1):
        assert within_bound(lambda i=i: cluster.deps(i).authenticate(key).limit_rpm == 5)
