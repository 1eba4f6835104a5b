"""Large concurrent uploads: memory of the gunicorn tree while image edits stream through.

    .venv/bin/python bench/uploads.py [--clients 20] [--rounds 2] [--mb 48] [--runs 3]

Starts the gateway as the README does (gunicorn.conf.py, default settings, its own data
directory) with OpenAI's base URL on an upstream inside this process that reads each
edit's whole body, hashes it, and answers one small base64 image after ``--delay-ms``.
``--clients`` clients each send ``--rounds`` edits of the same PNG of about ``--mb`` MB
(random pixels, so nothing compresses: a real 50 MB photo's worth of bytes) with
``model=gpt-image-1``, all at once. Reported, per run and as medians:

- RSS of master + workers (sum of VmRSS, sampled every 0.25 s): idle before the load,
  the peak during it, and at the end; the goal is the capacity work's (at most 600 MiB
  with 1,000 calls in flight), and the upload bytes in flight are clients x MB;
- every upload answered 200, and the upstream received the same SHA-256 for every file
  (the bytes went through unchanged);
- seconds per upload (median, max) and the aggregate MB/s through the gateway.

The same load also goes (``--targets``) straight to the upstream (``direct``: the time
an upload takes with no proxy) and through the naive Flask + requests proxy
(bench/naive_proxy.py, ``naive``: ``request.files`` re-sent with ``requests``' ``files=``,
as a hand-written proxy does), with its worker count and threads; the ratios are taken
in one run of this script: the peak RSS growth over idle, gateway vs naive, and the
median seconds per upload, each proxy vs direct.

The upstream runs in this process, so its own memory is not counted; it holds no body.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import requests
from PIL import Image
from werkzeug.formparser import parse_form_data

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capacity
import run

TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
TINY_B64 = base64.b64encode(TINY_PNG).decode()
MIB = 1024 * 1024


class _Upstream(BaseHTTPRequestHandler):
    """OpenAI's /v1/images/edits, reduced to what the bench needs: read, hash, answer."""

    protocol_version = "HTTP/1.1"
    delay_s = 0.0
    seen: ClassVar[list[tuple[str, str]]] = []  # (model field, SHA-256 of the image)
    lock = threading.Lock()

    def do_POST(self) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": self.headers.get("content-type", ""),
            "CONTENT_LENGTH": self.headers.get("content-length", "0"),
            "wsgi.input": self.rfile,
        }
        # werkzeug's parser spools each file past 500 KiB to a temporary file.
        _, form, files = parse_form_data(environ, max_form_memory_size=1 << 20)
        upload = files.get("image")
        digest = hashlib.sha256()
        if upload is not None:
            while chunk := upload.stream.read(1 << 20):
                digest.update(chunk)
        time.sleep(self.delay_s)
        with self.lock:
            self.seen.append((form.get("model", ""), digest.hexdigest()))
        body = json.dumps({"created": 1, "data": [{"b64_json": TINY_B64}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def noise_png(path: Path, mb: int) -> str:
    side = int((mb * MIB / 4) ** 0.5)
    image = Image.frombytes("RGBA", (side, side), os.urandom(side * side * 4))
    image.save(path, "PNG", compress_level=1)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_run(url: str, png: Path, master: int | None, args: argparse.Namespace) -> dict:
    """One burst of uploads; ``master`` is the proxy's gunicorn master (None: direct)."""
    _Upstream.seen = []
    idle = run.rss_kb(master)[0] if master else 0
    sampler = run.RssSampler(master) if master else None
    if sampler:
        sampler.start()
    times: list[float] = []
    statuses: list[int] = []

    def upload(_: int) -> None:
        with requests.Session() as session:
            session.trust_env = False
            for _round in range(args.rounds):
                started = time.monotonic()
                with png.open("rb") as fh:
                    res = session.post(
                        url,
                        files={"image": ("photo.png", fh, "image/png")},
                        data={"model": "gpt-image-1", "prompt": "a red boat"},
                        headers={"Authorization": "Bearer sk-bench-0123456789"},
                        timeout=600,
                    )
                times.append(time.monotonic() - started)
                statuses.append(res.status_code)

    began = time.monotonic()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(upload, range(args.clients)))
    wall = time.monotonic() - began
    end = run.rss_kb(master)[0] if master else 0
    peak = end
    if sampler:
        sampler.stop()
        peak = max((s[1] for s in sampler.samples), default=end)
    peak = max(peak, end)  # a burst shorter than the sampling interval
    sent = args.clients * args.rounds * png.stat().st_size
    return {
        "idle_mib": idle / 1024,
        "peak_mib": peak / 1024,
        "end_mib": end / 1024,
        "ok": statuses.count(200),
        "uploads": len(statuses),
        "upstream_hashes": sorted({h for _, h in _Upstream.seen}),
        "upstream_calls": len(_Upstream.seen),
        "p50_s": statistics.median(times),
        "max_s": max(times),
        "mb_per_s": sent / MIB / wall,
    }


KEYS = ("idle_mib", "peak_mib", "end_mib", "p50_s", "max_s", "mb_per_s")


def measure(name: str, url: str, master: int | None, png: Path, sha: str, args) -> dict:
    runs = []
    for index in range(args.runs):
        result = one_run(url, png, master, args)
        result["same_bytes_upstream"] = result["upstream_hashes"] == [sha]
        del result["upstream_hashes"]
        runs.append(result)
        print(f"{name} run {index + 1}: {json.dumps(result)}", flush=True)
    return {
        "all_ok": all(r["ok"] == r["uploads"] for r in runs),
        "all_same_bytes": all(r["same_bytes_upstream"] for r in runs),
        "median": {key: statistics.median(r[key] for r in runs) for key in KEYS},
        "peak_mib_max": max(r["peak_mib"] for r in runs),
    }


def ratios(out: dict) -> dict:
    """Taken within this run: growth = peak - idle RSS; time = median s per upload."""
    got: dict = {}
    med = {n: out[n]["median"] for n in ("gateway", "naive", "direct") if n in out}
    if "gateway" in med and "naive" in med:
        growth = {n: med[n]["peak_mib"] - med[n]["idle_mib"] for n in ("gateway", "naive")}
        got["rss_growth_mib"] = {n: round(v, 1) for n, v in growth.items()}
        got["rss_growth_gateway_vs_naive"] = round(growth["gateway"] / max(growth["naive"], 1), 3)
    if "direct" in med:
        for name in ("gateway", "naive"):
            if name in med:
                got[f"p50_{name}_vs_direct"] = round(med[name]["p50_s"] / med["direct"]["p50_s"], 3)
    return got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mb", type=int, default=48)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay-ms", type=int, default=2000)
    parser.add_argument("--targets", default="gateway,naive,direct", help="comma list (all)")
    args = parser.parse_args(argv)
    targets = args.targets.split(",")
    _Upstream.delay_s = args.delay_ms / 1000
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/v1"
    out: dict = {"clients": args.clients, "rounds": args.rounds}
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as tmp_name:
        tmp = Path(tmp_name)
        png = tmp / "noise.png"
        sha = noise_png(png, args.mb)
        size_mb = round(png.stat().st_size / MIB, 1)
        out.update(file_mb=size_mb, in_flight_mb=round(args.clients * size_mb))
        try:
            if "direct" in targets:
                out["direct"] = measure("direct", f"{base}/images/edits", None, png, sha, args)
            gw, port, settings = run.start_gateway("uploads", base, tmp)
            out["workers"], out["threads"] = settings.get("workers"), settings.get("threads")
            try:
                if "gateway" in targets:
                    url = f"http://127.0.0.1:{port}/v1/images/edits"
                    out["gateway"] = measure("gateway", url, gw.pid, png, sha, args)
            finally:
                gw.stop()
            if "naive" in targets:
                sizing = capacity.naive_sizing(settings, None)
                os.environ["NAIVE_EDITS_UPSTREAM"] = f"{base}/images/edits"
                naive = capacity.start_naive(f"{base}/images/generations", tmp, sizing)
                try:
                    url = naive.url.replace("/generations", "/edits")
                    out["naive"] = measure("naive", url, naive.proc.pid, png, sha, args)
                finally:
                    naive.proc.stop()
        finally:
            server.shutdown()
            server.server_close()
    out["ratios"] = ratios(out)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
