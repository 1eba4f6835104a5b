"""Start-up checks: a bad setting stops gunicorn with a message naming the variable; a
relative data directory is the one under the directory gunicorn was started in."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

if __package__:
    from .conftest import START_TIMEOUT, free_port, poll
    from .readme import stop_process_group
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import START_TIMEOUT, free_port, poll
    from readme import stop_process_group

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_WORKERS", "many"),
        ("GATEWAY_OPENAI_BASE_URL", "ftp://nope"),
        ("GATEWAY_ALLOWED_CUSTOM_HOSTS", "not-a-url"),
        ("GATEWAY_DEFAULT_PROVIDER", "no-such-provider"),
    ],
)
def test_bad_setting_stops_start_up_and_names_the_variable(tmp_path, name, value):
    env = {
        "PATH": "/usr/bin:/bin",
        "GATEWAY_BIND": "127.0.0.1:0",
        "GATEWAY_DATA_DIR": str(tmp_path),
        name: value,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode != 0
    assert f"gateway: configuration error: {name}: " in proc.stderr
    assert value not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_config_command_agrees(tmp_path):
    gateway_cli = Path(sys.executable).parent / "gateway"
    env = {"PATH": "/usr/bin:/bin", "GATEWAY_THREADS": "0"}
    proc = subprocess.run(
        [str(gateway_cli), "check-config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 1
    assert "GATEWAY_THREADS: invalid value (must be between 1 and 4096)" in proc.stderr


@pytest.mark.parametrize(
    "where",
    [
        pytest.param([], id="started-outside-the-repo"),
        # gunicorn reads gunicorn.conf.py, then moves to --chdir, then builds the app.
        pytest.param(["--chdir", str(REPO)], id="chdir-to-the-repo"),
    ],
)
def test_a_relative_data_dir_is_the_one_under_the_start_directory(tmp_path, where):
    """A relative GATEWAY_DATA_DIR, started from <tmp>/run: images land under <tmp>/run
    and their links answer 200 (they answered 500: served against the package folder)."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    relative = f"state-{tmp_path.name}"  # unique: a wrong resolution must not reuse a dir
    env = {
        "PATH": "/usr/bin:/bin",
        "GATEWAY_BIND": f"127.0.0.1:{free_port()}",
        "GATEWAY_DATA_DIR": relative,
        "GATEWAY_WORKERS": "1",
        "GATEWAY_THREADS": "4",
        "PYTHONPATH": str(REPO),  # wsgi.py, and this tree's gateway/ for gunicorn.conf.py
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py")]
    argv += [*where, "wsgi:app"]
    base = "http://" + env["GATEWAY_BIND"]
    with (tmp_path / "gunicorn.log").open("wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=run_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    session = requests.Session()
    session.trust_env = False
    try:
        ready = poll(lambda: _healthy(session, base, proc), START_TIMEOUT)
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        assert ready, (tmp_path / "gunicorn.log").read_text()
        answer = session.post(
            base + "/v1/images/generations",
            json={"prompt": "a lighthouse", "n": 1, "size": "256x256"},
            headers={"x-portkey-provider": "placeholder", "x-portkey-trace-id": relative},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        url = answer.json()["data"][0]["url"]
        image = session.get(url, timeout=30)
        assert image.status_code == 200, image.text
        assert image.headers["Content-Type"] == "image/png"
        name = urlsplit(url).path.rsplit("/", 1)[1]
        assert (run_dir / relative / "images" / name).read_bytes() == image.content
        assert (run_dir / relative / "gateway.db").is_file()
        assert not (REPO / relative).exists()
        # The CLI, run from the same directory with the same setting, reads the same store.
        rows = poll(lambda: _cli_json(run_dir, env, "logs", "--json", "--trace-id", relative), 10)
        assert [(row["status"], row["provider"]) for row in rows] == [(200, "placeholder")]
    finally:
        session.close()
        stop_process_group(proc)
        for wrong in (REPO / relative, REPO / "gateway" / relative):
            shutil.rmtree(wrong, ignore_errors=True)  # a wrong resolution left it there


def _healthy(session: requests.Session, base: str, proc: subprocess.Popen) -> bool:
    if proc.poll() is not None:
        return True  # exited: stop polling; the assertion below reports it
    try:
        return session.get(base + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _cli_json(cwd: Path, env: dict[str, str], *args: str) -> list[dict]:
    gateway_cli = Path(sys.executable).parent / "gateway"
    done = subprocess.run(
        [str(gateway_cli), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
