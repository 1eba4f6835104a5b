"""A model an edit table does not know (a fine-tune, an ARN, a new release) gets the
size its provider's edits default to, not the generation seeds' 1024x1024: these edits
keep the input's size unless the caller sends one."""

from __future__ import annotations

import pytest

from gateway import providers
from gateway.models import EDITS
from gateway.providers.capabilities import resolve_upload
from tests.upload_images import rgb, upload

UNKNOWN = {
    "recraft-ai": "recraftv9",
    "bedrock": "arn:aws:bedrock:us-east-1:123456789012:custom-model/nova-tuned",
    "deepinfra": "someone/New-Image-Edit",
    "vertex-ai": "my-tuned-editor",
    "stability-ai": "sd4",
}


@pytest.mark.parametrize("provider", sorted(UNKNOWN))
def test_an_unknown_model_edit_defaults_to_auto_size(provider):
    caps = providers.REGISTRY[provider].edits.capabilities
    params = {"model": UNKNOWN[provider], "prompt": "p"}
    request = resolve_upload(caps, EDITS, params, (upload(rgb()),), None)
    assert request.size == "auto"
    sized = resolve_upload(caps, EDITS, {**params, "size": "512x512"}, (upload(rgb()),), None)
    assert sized.size == "512x512"  # what the caller sends still counts
