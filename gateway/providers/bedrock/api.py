"""Where and how to call Bedrock Runtime: regional host, InvokeModel path, auth. Pure.

``POST https://bedrock-runtime.{region}.amazonaws.com/model/{modelId}/invoke`` with the
model id URL-encoded as one path segment (``:`` and the ``/`` of an ARN included).
A custom host replaces the scheme and host and keeps that path. Three ways in:

- an access key id and secret (``aws_access_key_id`` + ``aws_secret_access_key``,
  optional ``aws_session_token``): SigV4 for service ``bedrock``, applied by
  ``gateway/outbound/signing.py`` just before sending (it needs the clock);
- a virtual key whose secret is the secret access key, with field
  ``aws_access_key_id``: the same;
- a Bedrock API key alone as the provider key: ``Authorization: Bearer``, no signing.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from ...models import AwsSigning, Target
from .. import options
from ..base import KeyField

NAME = "bedrock"
# The secret is the AWS secret access key (or a Bedrock API key without an id).
VIRTUAL_KEY_FIELDS = (
    KeyField("aws_region", options.FIELD_DNS_LABEL),
    KeyField("aws_access_key_id"),
)
DEFAULT_REGION = "us-east-1"
SERVICE = "bedrock"
# What SigV4 signs or sets: never taken from forwarded headers, signed or not.
SIGNER_OWNED = ("authorization", "host")
SIGNER_PREFIXES = ("x-amz-",)


def credentials(api_key: str | None, opts: Mapping[str, str]) -> str | None:
    key_id, secret = opts.get("aws_access_key_id"), opts.get("aws_secret_access_key")
    if (key_id and (secret or api_key)) or (api_key and not secret):
        return None
    return (
        "an AWS access key id and secret access key ('x-portkey-aws-access-key-id' and "
        "'x-portkey-aws-secret-access-key') or a Bedrock API key (Authorization: Bearer)"
    )


def region(target: Target) -> str:
    value = (target.options.get("aws_region") or DEFAULT_REGION).lower()
    return options.checked(value, "aws_region", options.DNS_LABEL)


def url(target: Target, model: str) -> str:
    base = target.base_url or f"https://bedrock-runtime.{region(target)}.amazonaws.com"
    return f"{base.rstrip('/')}/model/{quote(model, safe='')}/invoke"


def signing(target: Target) -> AwsSigning | None:
    """SigV4 when an access key id is given (its secret: the option, else the key)."""
    key_id = target.options.get("aws_access_key_id")
    if not key_id:
        return None
    return AwsSigning(
        service=SERVICE,
        region=region(target),
        access_key_id=key_id,
        secret_access_key=target.options.get("aws_secret_access_key") or target.api_key,
        session_token=target.options.get("aws_session_token") or None,
    )


def headers(target: Target, signed: bool) -> dict[str, str]:
    result = {"Content-Type": "application/json", "Accept": "application/json"}
    if not signed:
        result["Authorization"] = f"Bearer {target.api_key}"
    return result
