"""What checking a large OpenAI-shaped answer costs before it passes through byte for byte.

A 2xx body is passed on untouched only when it is one complete JSON object of the right
shape (``gateway/providers/outline.py``). This measures, in this process, on the body
the fake upstream sends for ``/b64/<bytes>/`` (1.5 MB by default):

- ``outline``: the structure parsed with the base64 cut out (the check the gateway makes);
- ``openai_compatible``: the whole answer transform around it (the pass-through path);
- ``json.loads``: a full parse, what the check would cost done the obvious way.

Each figure is the median of ``--runs`` timings of ``--loops`` calls. Compare it with the
gateway's CPU per request on the same answer (``bench/run.py --scenarios b64``).

    .venv/bin/python bench/answer_check.py [--size 1500000] [--runs 7] [--loops 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.models import ImageRequest, ProviderReply
from gateway.providers.answers import openai_compatible
from gateway.providers.outline import outline
from tests.e2e.fake_provider import b64_body


def per_call_us(fn: Callable[[], object], runs: int, loops: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        timings.append((time.perf_counter() - started) / loops * 1e6)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1_500_000, help="b64_json characters")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--loops", type=int, default=200)
    args = ap.parse_args(argv)

    body = b64_body(args.size)
    reply = ProviderReply(200, {"content-type": "application/json"}, body)
    request = ImageRequest({}, b"", "dall-e-3", "p", 1, "1024x1024", None, None, "b64_json")
    result = openai_compatible("openai", reply, request, ("url", "b64_json"))
    assert result.body is body, "the answer must pass through untouched"

    figures = {
        "outline (the check)": per_call_us(lambda: outline(body), args.runs, args.loops),
        "openai_compatible (pass-through path)": per_call_us(
            lambda: openai_compatible("openai", reply, request, ("url", "b64_json")),
            args.runs,
            args.loops,
        ),
        "json.loads (full parse)": per_call_us(lambda: json.loads(body), args.runs, args.loops),
    }
    print(f"body: {len(body):,} bytes; median of {args.runs} runs x {args.loops} calls")
    for name, us in figures.items():
        print(f"  {name:40s} {us:9.1f} us")
    print(json.dumps({"bytes": len(body), "us": figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
