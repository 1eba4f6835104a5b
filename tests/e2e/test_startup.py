"""Start-up checks: a bad setting stops gunicorn with a message naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_WORKERS", "many"),
        ("GATEWAY_OPENAI_BASE_URL", "ftp://nope"),
        ("GATEWAY_ALLOWED_CUSTOM_HOSTS", "not-a-url"),
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
    assert "GATEWAY_THREADS: invalid value (must be between 1 and 256)" in proc.stderr
