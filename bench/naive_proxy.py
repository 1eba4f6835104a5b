"""The baseline for bench/capacity.py: the least a Flask + requests proxy can do.

    NAIVE_UPSTREAM=http://127.0.0.1:PORT/slow/5000/v1/images/generations \
        gunicorn -k gthread -w 2 --threads 500 --chdir bench naive_proxy:app

No validation, routing, logging or metrics: the body is forwarded as it came, and the
upstream's status and body are passed back. For bench/uploads.py it also proxies image
edits the way most hand-written proxies do (Flask's ``request.files``, then
``requests`` ``files=``, which builds the whole multipart body in memory), to
``NAIVE_EDITS_UPSTREAM``. One ``requests.Session`` per thread, made
on first use (after gunicorn forks), as the gateway's transport does. Whatever the
gateway costs beyond this proxy is the price of its own features.
"""

from __future__ import annotations

import os
import threading

import requests
from flask import Flask, Response, request

app = Flask(__name__)
_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


@app.post("/v1/images/generations")
def generations() -> Response:
    upstream = _session().post(
        os.environ["NAIVE_UPSTREAM"],
        data=request.get_data(),
        headers={
            "Content-Type": request.content_type or "application/json",
            "Authorization": request.headers.get("Authorization", ""),
        },
        timeout=(5, 240),
    )
    return Response(upstream.content, upstream.status_code, content_type="application/json")


@app.post("/v1/images/edits")
def edits() -> Response:
    files = [
        (name, (f.filename, f.stream, f.mimetype)) for name, f in request.files.items(multi=True)
    ]
    upstream = _session().post(
        os.environ["NAIVE_EDITS_UPSTREAM"],
        data=list(request.form.items(multi=True)),
        files=files,
        headers={"Authorization": request.headers.get("Authorization", "")},
        timeout=(5, 600),
    )
    return Response(upstream.content, upstream.status_code, content_type="application/json")
