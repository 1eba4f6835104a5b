"""Names written into a provider's form cannot end their quoted value."""

from __future__ import annotations

from gateway.providers import multipart
from tests.e2e import fake_multipart
from tests.upload_images import rgb, upload


def test_quotes_and_line_breaks_are_percent_encoded_as_browsers_do():
    assert multipart.quoted('a"b\r\nc') == "a%22b%0D%0Ac"
    assert multipart.quoted("image[].png") == "image[].png"


def test_a_hostile_name_or_file_name_stays_one_field():
    body, content_type = multipart.encode([('quality"; x="', "high"), ("prompt", "p")])
    form = fake_multipart.parse(content_type, body)
    assert [name for name, _ in form.fields] == ["quality%22; x=%22", "prompt"]

    image = upload(rgb((8, 8)))
    streamed, content_type = multipart.encode_files(
        [("prompt", "p")], [("image", image, 'x.png"\r\nX-Injected: 1', "image/png")]
    )
    form = fake_multipart.parse(content_type, streamed.to_bytes())
    [part] = form.files
    assert part.name == "image"
    assert part.filename == "x.png%22%0D%0AX-Injected: 1"
    assert part.data == image.read()
