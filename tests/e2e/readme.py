"""Run the README's code blocks, as written, in a fresh clone of the repository.

The README's examples are a contract: a test picks a block by the heading it sits
under (``readme_block(text, "Your first image")``) and runs it with ``bash -c`` in
the clone, so the test breaks when the README does. Picking is strict: a missing or
repeated heading, or too few blocks, fails the test instead of skipping a check.

A clone holds what is committed (``git clone`` of the repository the tests run
from), not uncommitted edits: commit first, then run these tests.

Every process started here runs in its own process group and is stopped by that
group (SIGTERM, a bounded wait, then SIGKILL); every wait is bounded.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

STOP_TIMEOUT = 15.0
RUN_TIMEOUT = 60.0
# Variables that would steer the gateway or a client away from what the README says.
_DROPPED_PREFIXES = ("GATEWAY_", "PORTKEY_", "OPENAI_")
_DROPPED = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PROMETHEUS_MULTIPROC_DIR"}
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block and the headings (outermost first) it sits under."""

    lang: str
    text: str
    headings: tuple[str, ...]
    line: int


def parse(markdown: str) -> tuple[list[str], list[Block]]:
    """Every heading title and every fenced block of ``markdown``, in order; a ``#`` line
    inside a fence (a shell comment) is not a heading."""
    titles: list[str] = []
    blocks: list[Block] = []
    trail: list[tuple[int, str]] = []  # (level, title) of the enclosing headings
    fence: str | None = None
    lang, body, start = "", [], 0
    for number, line in enumerate(markdown.splitlines(), 1):
        if fence is None:
            if opened := _FENCE.match(line):
                fence, lang, body, start = opened.group(1), opened.group(2), [], number
            elif heading := _HEADING.match(line):
                level = len(heading.group(1))
                trail = [h for h in trail if h[0] < level] + [(level, heading.group(2))]
                titles.append(heading.group(2))
        elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            headings = tuple(title for _, title in trail)
            blocks.append(Block(lang, "\n".join(body) + "\n", headings, start))
            fence = None
        else:
            body.append(line)
    if fence is not None:
        pytest.fail(f"README: the code block opened on line {start} is never closed", pytrace=False)
    return titles, blocks


def readme_block(markdown: str, heading: str, index: int = 0, lang: str = "sh") -> str:
    """The ``index``-th ``lang`` block under the heading titled exactly ``heading``
    (its subsections included); fails the test when there is no such block."""
    titles, blocks = parse(markdown)
    if titles.count(heading) != 1:
        found = "no" if heading not in titles else "more than one"
        pytest.fail(f"README: {found} heading titled {heading!r}", pytrace=False)
    under = [b for b in blocks if heading in b.headings and b.lang == lang]
    if len(under) <= index:
        pytest.fail(
            f"README: {heading!r} has {len(under)} ```{lang} block(s); the test runs "
            f"block {index + 1}",
            pytrace=False,
        )
    return under[index].text


def port_in_use(port: int) -> bool:
    """True when something already listens on ``port`` (any address) or holds it."""
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def require_free_port(port: int) -> None:
    """The README's commands use a fixed port: fail (in CI) or skip when it is taken."""
    if not port_in_use(port):
        return
    reason = f"port {port}, which the README's commands use, is already in use"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason + " (stop what listens there to run this test; in CI it fails)")


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        state, _ppid, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


class ReadmeCheckout:
    """A fresh clone in which README blocks run with the clone as working directory."""

    def __init__(self, root: Path, log_path: Path) -> None:
        self.root = root
        self.log_path = log_path
        self.server: subprocess.Popen[bytes] | None = None

    @classmethod
    def clone(cls, source: Path, dest: Path) -> ReadmeCheckout:
        """``git clone`` the committed HEAD of ``source`` into ``dest``."""
        done = subprocess.run(
            ["git", "clone", "--quiet", str(source), str(dest)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"git clone {source} failed:\n{done.stderr}", pytrace=False)
        return cls(dest, dest.parent / f"{dest.name}.log")

    @property
    def readme(self) -> str:
        return (self.root / "README.md").read_text(encoding="utf-8")

    def block(self, heading: str, index: int = 0, lang: str = "sh") -> str:
        return readme_block(self.readme, heading, index, lang)

    def environ(self) -> dict[str, str]:
        """A user's shell: no GATEWAY_* (the defaults apply), no active venv, PATH kept.

        Proxy variables stay for pip; localhost is added to ``no_proxy`` so that the
        README's ``curl`` reaches the gateway directly.
        """
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED
        }
        for name in ("no_proxy", "NO_PROXY"):
            env[name] = ",".join(filter(None, [env.get(name), "localhost", "127.0.0.1"]))
        return env

    def start(self, command: str) -> None:
        """Run a long-lived README command (a server in the foreground) in its own group."""
        with self.log_path.open("ab") as log:
            self.server = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.root,
                env=self.environ(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self, url: str, timeout: float) -> None:
        """Poll ``url`` until 200; fail with the log when the command exits or time runs
        out, or when the server that answers is not one this command started."""
        assert self.server is not None
        deadline = time.monotonic() + timeout
        with requests.Session() as session:
            session.trust_env = False
            while True:
                if self.server.poll() is not None:
                    pytest.fail(f"the README command exited:\n{self.log_text()[-4000:]}")
                try:
                    if session.get(url, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() >= deadline:
                    pytest.fail(f"no 200 from {url} in {timeout:.0f} s:\n{self.log_text()[-4000:]}")
                time.sleep(0.25)
        listening = re.findall(r"Listening at: \S+ \((\d+)\)", self.log_text())
        members = _group_members(self.server.pid)
        if not listening or int(listening[-1]) not in members:
            pytest.fail(
                f"{url} answered, but not from the server the README command started:\n"
                + self.log_text()[-4000:]
            )

    def run(self, command: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run a README command to completion in the clone; fail if it exits non-zero."""
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{command}\nexited {done.returncode}:\n{done.stderr}"
        return done

    def stop(self) -> None:
        """Stop the long-lived command and everything it started."""
        if self.server is not None:
            stop_process_group(self.server)


def stop_process_group(leader: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the process group ``leader`` heads (``start_new_session=True``), wait
    (bounded), then SIGKILL what is left; gunicorn's workers are in that group too."""
    pgid = leader.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader.poll()  # reap the leader, else it stays in the group as a zombie
            if not _group_members(pgid):
                return
            time.sleep(0.1)
