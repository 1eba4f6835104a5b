"""nginx in front of the gateway, with ``deploy/nginx.conf`` exactly as it ships.

The shipped file is rendered by replacing only its ``# EDIT: <name>`` lines (ports, paths),
included from a minimal top-level nginx.conf (``daemon off``, pid, logs and temp dirs under
tmp) and run as a real nginx on 127.0.0.1 in front of gunicorn and the fake provider.
Without nginx these tests skip, except under ``CI=true``, where nginx is installed and a
missing binary is a failure. The config checks at the end need no nginx.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gateway.settings import Settings

if __package__:
    from .conftest import free_port, poll
    from .fake_provider import ok_body
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import free_port, poll
    from fake_provider import ok_body

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SHIPPED_CONF = DEPLOY / "nginx.conf"
ERRORS_DIR = DEPLOY / "errors"
NGINX_FALLBACK = "/usr/sbin/nginx"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
LOG_TIMEOUT = 5.0
IMAGES = "/v1/images/generations"
BODY = {"model": "dall-e-2", "prompt": "a lighthouse at dusk", "size": "256x256"}
BYOK = {"Authorization": "Bearer sk-test-nginx-0000"}
# A line of the shipped file an operator edits: "<directive>;  # EDIT: <name> ...".
EDIT_LINE = re.compile(r"^(?P<indent>[ \t]*)[^#\n]*;[ \t]*# EDIT: (?P<name>\w+).*$", re.MULTILINE)
BIG_B64 = 3_000_000  # one b64_json image larger than the 1 MiB of proxy_buffers


def render(text: str, edits: dict[str, str]) -> str:
    """Replace each ``# EDIT: <name>`` line named in ``edits``; every name must occur once."""
    seen: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in edits:
            return match[0]
        seen.append(name)
        return match["indent"] + edits[name]

    rendered = EDIT_LINE.sub(replace, text)
    assert sorted(seen) == sorted(edits), f"EDIT lines found: {seen}, wanted {sorted(edits)}"
    return rendered


def _nginx_binary() -> str:
    found = shutil.which("nginx") or (NGINX_FALLBACK if os.access(NGINX_FALLBACK, os.X_OK) else "")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but nginx is not installed: CI must install nginx for these tests")
    pytest.skip(f"nginx not found on PATH or at {NGINX_FALLBACK}; install nginx to run these")


class Nginx:
    """A foreground nginx master (``daemon off``) serving the rendered shipped config."""

    def __init__(
        self, binary: str, root: Path, upstream_port: int, worker_connections: int = 256
    ) -> None:
        self.root = root
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.access_log = root / "access.log"
        self.error_log = root / "error.log"
        site = render(
            SHIPPED_CONF.read_text(),
            {
                "upstream": f"server 127.0.0.1:{upstream_port} max_fails=0;",
                "listen": f"listen 127.0.0.1:{self.port};",
                "access_log": f"access_log {self.access_log} image_gateway;",
                "errors_dir": f"alias {ERRORS_DIR}/;",
            },
        )
        (root / "image-gateway.conf").write_text(site)
        conf = root / "nginx.conf"
        conf.write_text(self._top_level(root, worker_connections))
        with (root / "stderr.log").open("ab") as stderr:
            self.proc = subprocess.Popen(
                [binary, "-p", f"{root}/", "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )

    @staticmethod
    def _top_level(root: Path, worker_connections: int) -> str:
        # As root, workers would drop to "nobody", who cannot read pytest's 0700 tmp dirs.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {root / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"daemon off;\nworker_processes 1;\npid {root / 'nginx.pid'};\n"
            f"error_log {root / 'error.log'} info;\n{user}\n"
            # The main-context settings deploy/README.md recommends ("Capacity").
            f"worker_rlimit_nofile {2 * worker_connections};\n"
            f"events {{ worker_connections {worker_connections}; }}\n"
            f"http {{\n{temp}\n    include {root / 'image-gateway.conf'};\n}}\n"
        )

    def url(self, path: str) -> str:
        return self.base_url + path

    def wait_ready(self) -> bool:
        """True once nginx accepts connections; False if it exits or the wait runs out."""

        def listening_or_exited() -> bool:
            if self.proc.poll() is not None:
                return True  # exited (bad config, port taken): stop polling
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        return bool(poll(listening_or_exited, START_TIMEOUT)) and self.proc.poll() is None

    def logs(self) -> str:
        parts = (self.root / "stderr.log", self.error_log)
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def access_line(self, request_id: str) -> str:
        """The access-log line with ``rid=<request_id>`` (nginx writes it after responding)."""

        def matching() -> list[str]:
            text = self.access_log.read_text() if self.access_log.exists() else ""
            return [line for line in text.splitlines() if f" rid={request_id} " in line]

        lines = poll(matching, LOG_TIMEOUT)
        assert len(lines) == 1, f"rid={request_id} in access log: {lines}"
        return lines[0]

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()  # SIGTERM: fast shutdown of the master and its worker
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="module")
def start_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Nginx]]:
    """Factory: ``start_nginx(upstream_port[, worker_connections])`` -> a running
    :class:`Nginx`; all stopped after."""
    binary = _nginx_binary()
    started: list[Nginx] = []

    def start(upstream_port: int, worker_connections: int = 256) -> Nginx:
        logs = ""
        for _ in range(3):  # the probed free port may be taken before nginx binds it
            root = tmp_path_factory.mktemp("nginx")
            nginx = Nginx(binary, root, upstream_port, worker_connections)
            started.append(nginx)
            if nginx.wait_ready():
                return nginx
            nginx.stop()
            logs = nginx.logs()
            if "Address already in use" not in logs:
                break
        pytest.fail(f"nginx did not start; its log:\n{logs}", pytrace=False)

    yield start
    for nginx in started:
        nginx.stop()


def _port(gateway: Any) -> int:
    return int(gateway.base_url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def proxied(start_gateway: Callable[..., Any], start_nginx: Callable[[int], Nginx]) -> Any:
    """(gateway, nginx): the gateway trusts one proxy hop, nginx forwards to it."""
    gateway = start_gateway(GATEWAY_TRUSTED_PROXIES="1")
    return gateway, start_nginx(_port(gateway))


def _generate(http: requests.Session, base_url: str, trace: str, **headers: str) -> Any:
    return http.post(
        base_url + IMAGES,
        json=BODY,
        headers={**BYOK, "x-portkey-trace-id": trace, **headers},
        timeout=30,
    )


def _error(response: requests.Response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["param"] is None
    return body["error"]


def test_generation_through_nginx_returns_provider_bytes_and_portkey_headers(
    proxied: Any, http: requests.Session, fake_provider: Any
) -> None:
    gateway, nginx = proxied
    response = _generate(http, nginx.base_url, "nginx-ok")

    assert response.status_code == 200
    assert response.content == ok_body(1, "url")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-portkey-provider"] == "openai"
    assert response.headers["x-portkey-trace-id"] == "nginx-ok"
    assert response.headers["x-portkey-retry-attempt-count"] == "0"
    assert response.headers["x-portkey-last-used-option-index"] == "config"
    assert response.headers["x-portkey-cache-status"] == "DISABLED"
    [upstream] = fake_provider.requests
    assert upstream.json() == BODY
    # One id end to end: nginx's $request_id is the gateway's request id.
    rid = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert '"POST /v1/images/generations HTTP/1.1" 200 ' in nginx.access_line(rid)
    [row] = gateway.log_rows("nginx-ok")
    assert (row["request_id"], row["status"]) == (rid, 200)


def test_hosted_image_links_point_at_nginx_and_serve_through_it(
    proxied: Any, http: requests.Session
) -> None:
    _, nginx = proxied
    response = http.post(
        nginx.base_url + IMAGES,
        json={"prompt": "a red fox", "size": "64x64"},
        headers={"x-portkey-provider": "placeholder", "X-Forwarded-Host": "evil.example"},
        timeout=30,
    )
    assert response.status_code == 200
    url = response.json()["data"][0]["url"]
    assert url.startswith(nginx.base_url + "/v1/images/files/")
    image = http.get(url, timeout=30)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_client_forwarding_headers_are_replaced_by_nginx(
    proxied: Any, http: requests.Session
) -> None:
    """The gateway honours X-Forwarded-For from one hop; nginx makes sure that hop is itself.

    Only client_ip and request_id are observable (the request log); X-Forwarded-Proto/Host
    have no visible effect on this gateway and are checked in the config test below.
    """
    gateway, nginx = proxied
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Request-Id": "client-chosen-id"}

    direct = _generate(http, gateway.base_url, "xff-direct", **spoofed)
    via_nginx = _generate(http, nginx.base_url, "xff-nginx", **spoofed)

    assert (direct.status_code, via_nginx.status_code) == (200, 200)
    [direct_row] = gateway.log_rows("xff-direct")
    [nginx_row] = gateway.log_rows("xff-nginx")
    # Directly, the header is believed (which is why gunicorn must not be reachable)...
    assert (direct_row["client_ip"], direct_row["request_id"]) == (
        "203.0.113.9",
        "client-chosen-id",
    )
    # ...through nginx it is overwritten with the real peer address and nginx's own id.
    assert nginx_row["client_ip"] == "127.0.0.1"
    assert nginx_row["request_id"] == via_nginx.headers["x-request-id"] != "client-chosen-id"


def test_body_over_one_mib_gets_nginx_json_413_and_never_reaches_the_gateway(
    proxied: Any, http: requests.Session, fake_provider: Any
) -> None:
    gateway, nginx = proxied
    body = b'{"prompt":"' + b"a" * (1 << 20) + b'"}'
    response = http.post(
        nginx.url(IMAGES),
        data=body,
        headers={**BYOK, "Content-Type": "application/json", "x-portkey-trace-id": "big"},
        timeout=30,
    )

    assert response.status_code == 413
    assert _error(response) == {
        "message": "The request body is larger than the 1 MiB limit.",
        "type": "invalid_request_error",
        "param": None,
        "code": "request_too_large",
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert "x-should-retry" not in response.headers
    assert " 413 " in nginx.access_line(response.headers["x-request-id"])
    assert fake_provider.requests == []
    assert gateway.log_rows("big", timeout=0.5) == []


def _upload(http: requests.Session, url: str, size: int, trace: str) -> requests.Response:
    """An edit whose image part is ``size`` bytes of a PNG (a real one, padded after IEND,
    which Pillow ignores): the placeholder draws over it."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(out, "PNG")
    data = out.getvalue()
    data += b"\0" * max(size - len(data), 0)
    return http.post(
        url + "/v1/images/edits",
        files={"image": ("a.png", data, "image/png")},
        data={"prompt": "a boat", "response_format": "b64_json"},
        headers={"x-portkey-provider": "placeholder", "x-portkey-trace-id": trace},
        timeout=60,
    )


def test_an_upload_over_one_mib_reaches_the_gateway_on_the_upload_routes_only(
    proxied: Any, http: requests.Session
) -> None:
    gateway, nginx = proxied
    response = _upload(http, nginx.base_url, 3 << 20, "nginx-upload-ok")

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 1
    [row] = gateway.log_rows("nginx-upload-ok")
    assert (row["operation"], row["status"]) == ("edits", 200)
    assert json.loads(row["uploads"])[0]["bytes"] == 3 << 20


def test_an_upload_over_the_upload_limit_gets_nginx_json_413(
    proxied: Any, http: requests.Session
) -> None:
    gateway, nginx = proxied
    response = _upload(http, nginx.base_url, Settings.upload_max_bytes + 1, "nginx-upload-big")

    assert response.status_code == 413
    assert _error(response) == {
        "message": "The upload is larger than the 100 MiB limit of image edits and variations.",
        "type": "invalid_request_error",
        "param": None,
        "code": "upload_too_large",
    }
    assert gateway.log_rows("nginx-upload-big", timeout=0.5) == []


def test_oversized_header_gets_nginx_json_431(
    proxied: Any, http: requests.Session, fake_provider: Any
) -> None:
    _, nginx = proxied
    response = _generate(http, nginx.base_url, "big-header", **{"x-padding": "a" * 20 * 1024})

    assert response.status_code == 431  # nginx's internal 494, sent as the standard status
    assert _error(response)["code"] == "headers_too_large"
    assert response.headers["x-request-id"]
    assert fake_provider.requests == []


def test_long_uri_gets_nginx_json_414_before_gunicorn_text_page(
    proxied: Any, http: requests.Session
) -> None:
    _, nginx = proxied
    # 4000 characters: nginx's cut, well under gunicorn's 4094-byte request line.
    response = http.get(nginx.url("/v1/" + "a" * 3996), timeout=10)

    assert response.status_code == 414
    assert _error(response) == {
        "message": "The request URI is too long.",
        "type": "invalid_request_error",
        "param": None,
        "code": "uri_too_long",
    }


def test_uri_just_under_the_cut_reaches_the_gateway(proxied: Any, http: requests.Session) -> None:
    _, nginx = proxied
    response = http.get(nginx.url("/v1/" + "a" * 3995), timeout=10)

    assert response.status_code == 404
    assert _error(response)["message"].startswith("Unknown route;")  # the gateway's own 404


@pytest.mark.parametrize(
    "headers",
    [
        # The longest header line nginx's 16k buffer takes: 16371 + 11 + CRLF = 16384.
        pytest.param({"x-padding": "a" * 16371}, id="16-KiB-header-line"),
        # nginx bounds headers by bytes (4 x 16k), not by count; gunicorn's default is 100.
        pytest.param({f"x-h{i}": "1" for i in range(100)}, id="100-headers"),
    ],
)
def test_headers_nginx_accepts_are_not_refused_by_gunicorn(
    proxied: Any, http: requests.Session, headers: dict[str, str]
) -> None:
    _, nginx = proxied
    response = http.get(nginx.url("/healthz"), headers=headers, timeout=10)

    assert response.status_code == 200, response.text[:200]
    assert response.json() == {"status": "ok"}


def test_malformed_request_gets_nginx_json_400(proxied: Any) -> None:
    _, nginx = proxied
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):  # nginx closes after the error
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_unknown_route_passes_the_gateway_json_404_through(
    proxied: Any, http: requests.Session
) -> None:
    gateway, nginx = proxied
    via_nginx = http.get(nginx.url("/v1/nope"), timeout=10)
    direct = http.get(gateway.url("/v1/nope"), timeout=10)

    assert via_nginx.status_code == direct.status_code == 404
    assert via_nginx.content == direct.content
    assert _error(via_nginx) == {
        "message": "Unknown route; image generation is POST /v1/images/generations.",
        "type": "invalid_request_error",
        "param": None,
        "code": "not_found",
    }
    assert "Cache-Control" not in via_nginx.headers  # not nginx's own error page


def test_error_pages_cannot_be_fetched_directly(proxied: Any, http: requests.Session) -> None:
    _, nginx = proxied
    response = http.get(nginx.url("/errors/502.json"), timeout=10)

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_large_image_passes_then_stopped_gateway_gets_json_502(
    start_gateway: Callable[..., Any],
    start_nginx: Callable[[int], Nginx],
    fake_provider: Any,
    http: requests.Session,
) -> None:
    gateway = start_gateway(
        GATEWAY_TRUSTED_PROXIES="1",
        GATEWAY_OPENAI_BASE_URL=f"{fake_provider.base_url}/b64/{BIG_B64}/v1",
    )
    nginx = start_nginx(_port(gateway))

    large = http.post(
        nginx.base_url + IMAGES,
        json={**BODY, "response_format": "b64_json"},
        headers={**BYOK, "x-portkey-trace-id": "large"},
        timeout=30,
    )
    assert large.status_code == 200
    assert len(large.json()["data"][0]["b64_json"]) == BIG_B64

    gateway.stop()
    response = _generate(http, nginx.base_url, "after-stop")

    assert response.status_code == 502
    assert _error(response) == {
        "message": "The gateway did not answer (it may be restarting or down). The request may "
        "already have been processed and billed; retry only if a duplicate image is acceptable.",
        "type": "server_error",
        "param": None,
        "code": "gateway_unavailable",
    }
    assert response.headers["x-should-retry"] == "false"
    assert "Retry-After" not in response.headers
    rid = response.headers["x-request-id"]
    assert " 502 " in nginx.access_line(rid)


# --- The shipped config itself (no nginx needed) --------------------------------------------


def _directives(text: str) -> dict[str, list[str]]:
    """``name -> [argument string, ...]`` for every simple directive, comments stripped."""
    found: dict[str, list[str]] = {}
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for match in re.finditer(r"(?m)^\s*([a-z_]+)\s+([^;{}]*);", code):
        found.setdefault(match[1], []).append(" ".join(match[2].split()))
    return found


def _seconds(value: str) -> int:
    """nginx time in seconds: ``330s``, ``5m`` or a bare number."""
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match[1]) * (60 if match[2] == "m" else 1)


def test_shipped_config_sets_the_limits_the_gateway_relies_on() -> None:
    d = _directives(SHIPPED_CONF.read_text())

    # = GATEWAY_MAX_BODY_BYTES (1 MiB); the upload routes' = GATEWAY_UPLOAD_MAX_BYTES.
    assert d["client_max_body_size"] == ["1m", f"{Settings.upload_max_bytes >> 20}m"]
    assert _seconds(d["proxy_read_timeout"][0]) > 300  # above the gateway's deadline
    assert d["proxy_request_buffering"] == ["on"]
    assert d["proxy_buffering"] == ["on"]
    assert d["proxy_next_upstream"] == ["off"]
    assert d["proxy_intercept_errors"] == ["off"]
    assert d["server"] == ["127.0.0.1:8787 max_fails=0"]
    # One call per address may take half the default capacity (GATEWAY_MAX_IN_FLIGHT 1,000).
    assert d["limit_conn"] == ["image_gateway_conn 500"]
    assert d["limit_conn_status"] == ["429"]
    # Keep-alive to gunicorn in both locations; nginx drops an idle upstream connection
    # (upstream keepalive_timeout, the first one) before gunicorn does (GATEWAY_KEEPALIVE)
    # and before a stopping gthread worker does (2 s).
    assert d["keepalive"] == ["64"]
    assert d["keepalive_requests"] == ["100"]
    upstream_idle, client_idle = d["keepalive_timeout"]
    assert _seconds(upstream_idle) < min(2, Settings.keepalive)
    assert client_idle == "15s"
    assert d["proxy_http_version"] == ["1.1", "1.1"]
    assert d["proxy_set_header"].count('Connection ""') == 2
    assert d["large_client_header_buffers"] == ["4 16k"]  # < gunicorn's 16380 field limit
    for name, value in {
        "client_header_timeout": "15s",
        "client_body_timeout": "15s",
        "send_timeout": "30s",
        "proxy_connect_timeout": "5s",
        "proxy_send_timeout": "60s",
    }.items():
        assert d[name] == [value], name


def test_shipped_config_overwrites_forwarding_headers() -> None:
    headers = dict(
        v.split(" ", 1) for v in _directives(SHIPPED_CONF.read_text())["proxy_set_header"]
    )

    assert headers["X-Forwarded-For"] == "$remote_addr"  # never $proxy_add_x_forwarded_for
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-Host"] == "$host"
    assert headers["X-Request-Id"] == "$request_id"
    assert headers["Host"] == "$host"


def test_every_error_page_is_an_openai_shaped_json_file() -> None:
    pages = [v.split(" ", 1) for v in _directives(SHIPPED_CONF.read_text())["error_page"]]

    assert {status for status, _ in pages} >= {"400", "413", "414", "494", "502", "503", "504"}
    # The upload routes' own 413 page names their limit (the nested location).
    assert ["413", "/errors/413-upload.json"] in pages
    for status, target in pages:
        uri = target.split()[-1]
        assert uri in (f"/errors/{status}.json", f"/errors/{status}-upload.json"), status
        body = json.loads((ERRORS_DIR / uri.removeprefix("/errors/")).read_text())
        assert list(body) == ["error"], status
        assert list(body["error"]) == ["message", "type", "param", "code"], status
        assert body["error"]["param"] is None, status
        assert re.fullmatch(r"[a-z_]+", body["error"]["code"]), status


def test_edit_lines_are_the_only_deployment_specific_lines() -> None:
    names = [m["name"] for m in EDIT_LINE.finditer(SHIPPED_CONF.read_text())]

    assert sorted(names) == [
        "access_log",
        "conn_per_client",
        "errors_dir",
        "listen",
        "metrics_scrapers",
        "server_name",
        "upload_max",
        "upstream",
    ]
