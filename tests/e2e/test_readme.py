"""The README, followed as written: a fresh clone, the defaults, its own commands.

The quick start's first command (venv, ``pip install .``, gunicorn in the foreground
on port 8787) runs in a fresh ``git clone`` with the clone as working directory and no
``GATEWAY_*`` variable, so the data directory is the relative default ``data``. Then
"Your first image" runs its ``curl`` and every link it returns must serve the PNG.

A clone holds the committed tree: this tests what is committed, README included.

To test another README example, add a test here that takes the ``readme_gateway``
fixture and runs ``readme_gateway.run(readme_gateway.block("<heading>", <n>))``.
Examples that need a real provider key (OpenAI's) cannot run here.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

if __package__:
    from .readme import ReadmeCheckout, readme_block, require_free_port
else:  # rootdir-less run: pytest put this folder on sys.path
    from readme import ReadmeCheckout, readme_block, require_free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PORT = 8787  # the README's
# A fresh venv and `pip install .`: about 15-30 s with a warm pip cache.
INSTALL_TIMEOUT = 300.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
B64_SENTENCE = 'Add `"response_format": "b64_json"` to get the PNGs inline'


@pytest.fixture(scope="module")
def readme_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeCheckout]:
    """The gateway as the quick start starts it, in a fresh clone; stopped at the end."""
    require_free_port(PORT)
    checkout = ReadmeCheckout.clone(REPO_ROOT, tmp_path_factory.mktemp("readme") / "gateway")
    install_and_start = checkout.block("Quick start", 0)
    try:
        checkout.start(install_and_start)
        checkout.wait_healthy(f"http://127.0.0.1:{PORT}/healthz", INSTALL_TIMEOUT)
        yield checkout
    finally:
        checkout.stop()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must start with."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def run_json(checkout: ReadmeCheckout, command: str) -> dict:
    done = checkout.run(command)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not JSON from\n{command}\n{done.stdout[:2000]}", pytrace=False)


def test_the_first_image_as_written(readme_gateway: ReadmeCheckout) -> None:
    answer = run_json(readme_gateway, readme_gateway.block("Your first image", 0))

    assert set(answer) == {"created", "data"}, answer
    assert len(answer["data"]) == 2
    images_dir = readme_gateway.root / "data" / "images"
    with requests.Session() as session:
        session.trust_env = False
        for item in answer["data"]:
            url = item["url"]
            assert url.startswith(f"http://localhost:{PORT}/v1/images/files/")
            assert "&signature=" in url
            res = session.get(url, timeout=30)
            assert res.status_code == 200, res.text
            assert res.headers["Content-Type"] == "image/png"
            assert res.content.startswith(PNG_SIGNATURE)
            assert png_size(res.content) == (512, 512)
            # Written where the README says (./data), and served from there.
            name = urlsplit(url).path.rsplit("/", 1)[1]
            assert (images_dir / name).read_bytes() == res.content
    assert not (readme_gateway.root / "gateway" / "data").exists()


def test_the_first_image_inline_as_the_readme_says(readme_gateway: ReadmeCheckout) -> None:
    """The README's prose turns its first curl into the b64_json variant: do just that."""
    section = readme_gateway.readme.split("## Your first image", 1)[1]
    assert B64_SENTENCE in " ".join(section.split("\n## ", 1)[0].split())
    command = readme_gateway.block("Your first image", 0)
    assert command.count("}'") == 1, command  # the JSON body ends once: add the field there
    command = command.replace("}'", ', "response_format": "b64_json"}\'')

    answer = run_json(readme_gateway, command)

    assert len(answer["data"]) == 2
    for item in answer["data"]:
        assert "url" not in item
        assert png_size(base64.b64decode(item["b64_json"], validate=True)) == (512, 512)


def _fetched_pngs(answer: dict, count: int) -> list[bytes]:
    assert set(answer) == {"created", "data"}, answer
    assert len(answer["data"]) == count
    pngs = []
    with requests.Session() as session:
        session.trust_env = False
        for item in answer["data"]:
            assert item["url"].startswith(f"http://localhost:{PORT}/v1/images/files/")
            res = session.get(item["url"], timeout=30)
            assert res.status_code == 200, res.text
            assert res.content.startswith(PNG_SIGNATURE)
            pngs.append(res.content)
    return pngs


def test_the_edit_and_variation_examples_as_written(readme_gateway: ReadmeCheckout) -> None:
    """The README's curl -F examples: make lighthouse.png, edit it, then vary it."""
    edited = run_json(readme_gateway, readme_gateway.block("Edit an image", 0))
    lighthouse = readme_gateway.root / "lighthouse.png"
    assert png_size(lighthouse.read_bytes()) == (512, 512)
    [png] = _fetched_pngs(edited, 1)
    assert png_size(png) == (256, 256)

    varied = run_json(readme_gateway, readme_gateway.block("Edit an image", 1))
    first, second = _fetched_pngs(varied, 2)
    assert png_size(first) == png_size(second) == (512, 512)  # the input's size
    assert first != second


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("# Other\n```sh\necho hi\n```\n", "no heading titled 'Quick start'"),
        ("## Quick start\n## Quick start\n", "more than one heading titled 'Quick start'"),
        ("## Quick start\n```python\nprint()\n```\n", "has 0 ```sh block(s)"),
        ("## Quick start\n\n## Next\n```sh\necho hi\n```\n", "has 0 ```sh block(s)"),
        ("## Quick start\n```sh\n# not a heading\n", "is never closed"),
    ],
)
def test_a_missing_readme_block_fails_the_test(markdown: str, message: str) -> None:
    with pytest.raises(pytest.fail.Exception, match=re.escape(message)):
        readme_block(markdown, "Quick start")


def test_blocks_are_found_under_their_heading_and_its_subsections() -> None:
    markdown = (
        "## Quick start\n```sh\n# a comment, not a heading\necho one\n```\n"
        "### More\n~~~sh\necho two\n~~~\n## Next\n```sh\necho three\n```\n"
    )
    assert readme_block(markdown, "Quick start") == "# a comment, not a heading\necho one\n"
    assert readme_block(markdown, "Quick start", 1) == "echo two\n"
    assert readme_block(markdown, "Next") == "echo three\n"
