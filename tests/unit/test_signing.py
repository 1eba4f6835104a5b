"""gateway/outbound/signing.py: AWS SigV4 and Google service-account tokens, with a fake transport.

SigV4 is checked against an independent stdlib implementation of AWS's algorithm
(docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html); the Google path
against a fake token endpoint that verifies the JWT assertion's RS256 signature with
the service account's public key, as Google does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gateway.errors import (
    AuthenticationError,
    InvalidRequest,
    InvalidUpstreamResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.models import AwsSigning, GoogleServiceAccount, ProviderCall, ProviderReply
from gateway.outbound import signing
from gateway.outbound.signing import GOOGLE_TOKEN_URI, Signer, check_account, sign_aws

BEDROCK_URL = (
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-canvas-v1%3A0/invoke"
)
BODY = b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a fox"}}'
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
OPTION = "vertex_service_account_json"  # where a caller puts the JSON (named in refusals)

# --- AWS SigV4 ------------------------------------------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(call: ProviderCall, secret: str, region: str, service: str) -> str:
    """AWS SigV4 by the book: non-S3 services encode each path segment twice."""
    headers = {k.lower(): v for k, v in call.headers.items()}
    auth = headers["authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    parts = urlsplit(call.url)
    headers.setdefault("host", parts.netloc)
    canonical_headers = "".join(f"{h}:{' '.join(headers[h].split())}\n" for h in signed)
    canonical = "\n".join(
        [
            call.method,
            quote(parts.path, safe="/~"),
            parts.query,
            canonical_headers,
            ";".join(signed),
            hashlib.sha256(call.body).hexdigest(),
        ]
    )
    amz_date = headers["x-amz-date"]
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def bedrock_call(**signing: str) -> ProviderCall:
    aws = AwsSigning("bedrock", "us-east-1", "AKIDEXAMPLE", SECRET, **signing)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return ProviderCall("POST", BEDROCK_URL, headers, BODY, signing=aws)


def test_sigv4_signature_is_valid_by_the_book():
    signed = sign_aws(bedrock_call(), bedrock_call().signing)
    auth = signed.headers["Authorization"]
    date = signed.headers["X-Amz-Date"]
    assert auth.startswith(
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{date[:8]}/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=accept;content-type;host;x-amz-date, Signature="
    )
    assert auth.endswith(expected_signature(signed, SECRET, "us-east-1", "bedrock"))
    assert (signed.url, signed.body, signed.signing) == (BEDROCK_URL, BODY, None)
    assert "X-Amz-Security-Token" not in signed.headers


def test_sigv4_with_a_session_token_signs_it_too():
    call = bedrock_call(session_token="FwoGZXIvYXdzEXAMPLE")
    signed = Signer(FakeTransport(None)).apply(call, 1, 1)
    assert signed.headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzEXAMPLE"
    assert (
        "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token"
        in (signed.headers["Authorization"])
    )
    assert signed.headers["Authorization"].endswith(
        expected_signature(signed, SECRET, "us-east-1", "bedrock")
    )


def test_a_changed_body_or_secret_no_longer_matches():
    signed = sign_aws(bedrock_call(), bedrock_call().signing)
    signature = signed.headers["Authorization"].rsplit("=", 1)[1]
    tampered = ProviderCall(signed.method, signed.url, signed.headers, BODY + b" ")
    assert expected_signature(tampered, SECRET, "us-east-1", "bedrock") != signature
    assert expected_signature(signed, SECRET + "x", "us-east-1", "bedrock") != signature


def test_no_signing_leaves_the_call_alone():
    call = ProviderCall("POST", "https://x.example/", {"a": "b"}, b"{}")
    assert Signer(FakeTransport(None)).apply(call, 1, 1) is call


# --- Google service accounts -----------------------------------------------------------


class FakeTransport:
    """Records calls; answers with ``answer(call)`` (which may raise)."""

    def __init__(self, answer: Callable[[ProviderCall], ProviderReply] | None) -> None:
        self.answer = answer
        self.calls: list[ProviderCall] = []

    def send(self, call: ProviderCall, connect_timeout: float, timeout: float) -> ProviderReply:
        self.calls.append(call)
        assert self.answer is not None, "no network expected"
        return self.answer(call)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def account_json(key: rsa.RSAPrivateKey, **changes: object) -> str:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "kid-1",
        "private_key": pem,
        "client_email": "gateway@demo-project.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": GOOGLE_TOKEN_URI,
    }
    info.update(changes)
    return json.dumps(info)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verified_claims(assertion: str, key: rsa.RSAPrivateKey) -> dict:
    """The JWT's claims, after checking its RS256 signature with the public key."""
    header, payload, signature = assertion.split(".")
    key.public_key().verify(
        _b64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert json.loads(_b64(header)) == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    return json.loads(_b64(payload))


def json_reply(status: int, payload: object) -> ProviderReply:
    return ProviderReply(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def token_endpoint(key: rsa.RSAPrivateKey, tokens: list[str], expires_in: object = 3600):
    """A Google token endpoint: checks the grant, then hands out the next token."""

    def answer(call: ProviderCall) -> ProviderReply:
        assert call.method == "POST"
        assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = parse_qs(call.body.decode())
        assert form["grant_type"] == [JWT_GRANT]
        claims = verified_claims(form["assertion"][0], key)
        assert claims["iss"] == "gateway@demo-project.iam.gserviceaccount.com"
        assert claims["aud"] == GOOGLE_TOKEN_URI  # google-auth always names Google
        assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
        return json_reply(
            200,
            {"access_token": tokens.pop(0), "expires_in": expires_in, "token_type": "Bearer"},
        )

    return answer


def vertex_call(info: str) -> ProviderCall:
    url = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/x:predict"
    return ProviderCall(
        "POST",
        url,
        {"Content-Type": "application/json"},
        b"{}",
        None,
        GoogleServiceAccount(info, "vertex-ai", OPTION),
    )


class Clock:
    def __init__(self) -> None:
        self.start = time.time()
        self.offset = 0.0

    def __call__(self) -> float:
        return self.start + self.offset


def test_token_is_minted_with_a_signed_assertion_added_and_cached(rsa_key):
    transport = FakeTransport(token_endpoint(rsa_key, ["ya29.first", "ya29.second"]))
    clock = Clock()
    signer = Signer(transport, clock=clock)
    call = vertex_call(account_json(rsa_key))
    signed = signer.apply(call, 2, 5)
    assert signed.headers == {
        "Content-Type": "application/json",
        "Authorization": "Bearer ya29.first",
    }
    assert (signed.signing, signed.url, signed.body) == (None, call.url, b"{}")
    assert [c.url for c in transport.calls] == [GOOGLE_TOKEN_URI]
    assert transport.calls[0].pinned_ip is None
    # Cached until five minutes before it expires; then minted again.
    clock.offset = 3600 - 300 - 5
    assert signer.apply(call, 2, 5).headers["Authorization"] == "Bearer ya29.first"
    assert len(transport.calls) == 1
    clock.offset = 3600 - 300 + 5
    assert signer.apply(call, 2, 5).headers["Authorization"] == "Bearer ya29.second"
    assert len(transport.calls) == 2


def test_tokens_are_cached_per_account(rsa_key):
    transport = FakeTransport(token_endpoint(rsa_key, ["ya29.a", "ya29.b"]))
    signer = Signer(transport)
    first = signer.apply(vertex_call(account_json(rsa_key)), 2, 5)
    other = signer.apply(vertex_call(account_json(rsa_key, client_id="other")), 2, 5)
    assert first.headers["Authorization"] == "Bearer ya29.a"
    assert other.headers["Authorization"] == "Bearer ya29.b"


def test_expiry_is_right_outside_utc(rsa_key, monkeypatch):
    """google-auth's expiry is naive UTC; read as local time it was hours off."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        transport = FakeTransport(token_endpoint(rsa_key, ["ya29.first", "ya29.second"]))
        clock = Clock()
        signer = Signer(transport, clock=clock)
        call = vertex_call(account_json(rsa_key))
        signer.apply(call, 2, 5)
        clock.offset = 3600 - 300 + 5
        assert signer.apply(call, 2, 5).headers["Authorization"] == "Bearer ya29.second"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_token_uri_elsewhere_is_refused_before_any_call(rsa_key):
    transport = FakeTransport(None)
    signer = Signer(transport, allowed_hosts=("http://127.0.0.1:8080",))
    for uri in ("https://evil.example/token", "http://127.0.0.1:8081/token", 5, ""):
        with pytest.raises(InvalidRequest) as info:
            signer.apply(vertex_call(account_json(rsa_key, token_uri=uri)), 2, 5)
        assert info.value.param == "vertex_service_account_json"
    assert transport.calls == []


def test_token_uri_on_an_allowlisted_custom_host_is_called_pinned(rsa_key):
    transport = FakeTransport(token_endpoint(rsa_key, ["ya29.local"]))
    signer = Signer(transport, allowed_hosts=("http://127.0.0.1:8080",))
    uri = "http://127.0.0.1:8080/p/vertex-ai/token"
    signed = signer.apply(vertex_call(account_json(rsa_key, token_uri=uri)), 2, 5)
    assert signed.headers["Authorization"] == "Bearer ya29.local"
    assert [(c.url, c.pinned_ip) for c in transport.calls] == [(uri, "127.0.0.1")]


@pytest.mark.parametrize(
    "info",
    [
        "not json",
        '{"type": "authorized_user"}',
        '["service_account"]',
        '{"type": "service_account", "token_uri": "https://oauth2.googleapis.com/token"}',
        json.dumps(
            {
                "type": "service_account",
                "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "client_email": "a@b.iam.gserviceaccount.com",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
    ],
)
def test_unusable_service_account_is_a_400(info):
    transport = FakeTransport(None)
    with pytest.raises(InvalidRequest) as caught:
        Signer(transport).apply(vertex_call(info), 2, 5)
    assert caught.value.param == "vertex_service_account_json"
    assert transport.calls == []


def test_google_refusing_the_grant_is_a_401(rsa_key):
    error = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    transport = FakeTransport(lambda call: json_reply(400, error))
    with pytest.raises(AuthenticationError) as info:
        Signer(transport).apply(vertex_call(account_json(rsa_key)), 2, 5)
    assert (info.value.status, info.value.code, info.value.provider) == (
        401,
        "service_account_rejected",
        "vertex-ai",
    )


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_token_failure_answers_at_once_without_google_auth_retries(rsa_key, status):
    transport = FakeTransport(lambda call: json_reply(status, {"error": "internal_failure"}))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as info:
        Signer(transport).apply(vertex_call(account_json(rsa_key)), 2, 5)
    assert len(transport.calls) == 1
    assert time.monotonic() - started < 0.9  # google-auth would sleep 1 s, then 2 s
    assert info.value.provider == "vertex-ai"


def test_unreachable_token_endpoint_is_upstream_unavailable(rsa_key):
    def fail(call: ProviderCall) -> ProviderReply:
        raise UpstreamTimeout("The provider did not answer in time.")

    with pytest.raises(UpstreamUnavailable):
        Signer(FakeTransport(fail)).apply(vertex_call(account_json(rsa_key)), 2, 5)


@pytest.mark.parametrize(
    "reply",
    [
        ProviderReply(200, {"content-type": "text/html"}, b"<html>hi</html>"),
        json_reply(200, {"access_token": "ya29.x", "expires_in": "soon"}),
    ],
)
def test_a_200_without_a_usable_token_is_a_502(rsa_key, reply):
    with pytest.raises(InvalidUpstreamResponse) as info:
        Signer(FakeTransport(lambda call: reply)).apply(vertex_call(account_json(rsa_key)), 2, 5)
    assert (info.value.status, info.value.provider) == (502, "vertex-ai")


def test_a_200_without_access_token_is_refused(rsa_key):
    transport = FakeTransport(lambda call: json_reply(200, {"token_type": "Bearer"}))
    with pytest.raises(AuthenticationError):
        Signer(transport).apply(vertex_call(account_json(rsa_key)), 2, 5)


def test_a_service_account_with_a_non_rsa_key_is_a_400_before_any_call():
    from cryptography.hazmat.primitives.asymmetric import ec

    transport = FakeTransport(None)
    info = account_json(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(InvalidRequest) as caught:
        Signer(transport).apply(vertex_call(info), 2, 5)
    assert caught.value.message.endswith("its private key is not a usable RSA key.")
    assert transport.calls == []


def test_a_checked_account_is_signed_with_as_is_without_a_second_lookup(rsa_key):
    resolved = []

    def resolve(host: str, port: int) -> list[str]:
        resolved.append((host, port))
        return ["93.184.216.34"]

    uri = "http://token.partner.example:8080/token"
    info = account_json(rsa_key, token_uri=uri)
    checked = check_account(info, ("http://token.partner.example:8080",), resolve, OPTION)
    assert (checked.pinned_ip, resolved) == ("93.184.216.34", [("token.partner.example", 8080)])
    transport = FakeTransport(token_endpoint(rsa_key, ["ya29.pinned"]))
    signer = Signer(transport)  # no allowlist of its own: only the check lets the uri in
    signed = signer.checked({info: checked}).apply(vertex_call(info), 2, 5)
    assert signed.headers["Authorization"] == "Bearer ya29.pinned"
    assert [(c.url, c.pinned_ip) for c in transport.calls] == [(uri, "93.184.216.34")]
    assert len(resolved) == 1
    # The request-scoped signer shares the process's token cache.
    assert signer.apply(vertex_call(info), 2, 5).headers["Authorization"] == "Bearer ya29.pinned"


def test_check_account_refuses_what_signing_would_refuse_without_calling_anyone(rsa_key):
    from cryptography.hazmat.primitives.asymmetric import ec

    no_email = json.loads(account_json(rsa_key))
    del no_email["client_email"]
    evil = "https://evil.example/token"
    cases = {
        "not json": "it is not JSON.",
        json.dumps(no_email): "it is not a valid service-account key.",
        account_json(ec.generate_private_key(ec.SECP256R1())): "not a usable RSA key.",
        account_json(rsa_key, token_uri=evil): "nor an allowed custom host.",
    }
    for info, ending in cases.items():
        with pytest.raises(InvalidRequest) as caught:
            check_account(info, (), lambda host, port: pytest.fail("no lookup expected"), OPTION)
        assert caught.value.param == "vertex_service_account_json"
        assert caught.value.message.endswith(ending), caught.value.message


class GatedTokenEndpoint:
    """A token endpoint that holds every request until ``release``; counts requests."""

    def __init__(self, answer: Callable[[ProviderCall], ProviderReply]) -> None:
        self.answer = answer
        self.changed = threading.Condition()
        self.requests = 0
        self.waiting = 0  # callers waiting for another caller's fetch
        self.released = threading.Event()

    def __call__(self, call: ProviderCall) -> ProviderReply:
        with self.changed:
            self.requests += 1
            self.changed.notify_all()
        assert self.released.wait(10), "never released"
        return self.answer(call)

    def counting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Count the callers that wait for a fetch in flight (``signing._Fetch.wait``)."""
        original = signing._Fetch.wait

        def wait(fetch: object, limit: float, provider: str) -> str:
            with self.changed:
                self.waiting += 1
                self.changed.notify_all()
            return original(fetch, limit, provider)

        monkeypatch.setattr(signing._Fetch, "wait", wait)

    def release_when(self, requests: int, waiting: int) -> None:
        """Let the fetches answer once ``requests`` reached us, or once one did and
        ``waiting`` callers wait for it (whichever the code does)."""
        with self.changed:
            reached = self.changed.wait_for(
                lambda: self.requests >= requests or (self.requests, self.waiting) == (1, waiting),
                timeout=10,
            )
        self.released.set()
        assert reached, (self.requests, self.waiting)


def concurrently(count: int, work: Callable[[], object]) -> list[object]:
    """Run ``work`` on ``count`` threads at once; each one's result or exception."""
    results: list[object] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return results if all(_joined(t) for t in threads) else pytest.fail("a thread hung")


def _joined(thread: threading.Thread) -> bool:
    thread.join(20)
    return not thread.is_alive()


def test_concurrent_signers_of_one_account_share_one_token_fetch(rsa_key, monkeypatch):
    """A fan-out's parallel calls with a cold cache: one token request, not one each."""
    endpoint = GatedTokenEndpoint(token_endpoint(rsa_key, ["ya29.shared", "ya29.extra"] * 2))
    endpoint.counting(monkeypatch)
    signer = Signer(FakeTransport(endpoint))
    call = vertex_call(account_json(rsa_key))
    releaser = threading.Thread(target=endpoint.release_when, args=(4, 3))
    releaser.start()
    results = concurrently(4, lambda: signer.apply(call, 2, 5).headers["Authorization"])
    releaser.join()
    assert endpoint.requests == 1
    assert results == ["Bearer ya29.shared"] * 4


def test_a_failed_fetch_fails_its_waiters_too_and_the_next_call_fetches_again(rsa_key, monkeypatch):
    answers = [json_reply(503, {"error": "backend_error"})]
    tokens = token_endpoint(rsa_key, ["ya29.later"])
    endpoint = GatedTokenEndpoint(lambda call: answers.pop(0) if answers else tokens(call))
    endpoint.counting(monkeypatch)
    signer = Signer(FakeTransport(endpoint))
    call = vertex_call(account_json(rsa_key))
    releaser = threading.Thread(target=endpoint.release_when, args=(4, 3))
    releaser.start()
    results = concurrently(4, lambda: signer.apply(call, 2, 5))
    releaser.join()
    assert endpoint.requests == 1
    assert all(isinstance(r, UpstreamUnavailable) for r in results), results
    assert len({id(r) for r in results}) == 4  # each caller its own error object
    assert [(r.status, r.provider) for r in results] == [(502, "vertex-ai")] * 4
    # Nothing left in flight: the next caller asks again.
    assert signer.apply(call, 2, 5).headers["Authorization"] == "Bearer ya29.later"
    assert endpoint.requests == 2


def test_a_waiter_gives_up_after_its_own_timeouts(rsa_key):
    endpoint = GatedTokenEndpoint(token_endpoint(rsa_key, ["ya29.slow"]))
    signer = Signer(FakeTransport(endpoint))
    call = vertex_call(account_json(rsa_key))
    leader = threading.Thread(target=signer.apply, args=(call, 2, 5))
    leader.start()
    with endpoint.changed:
        assert endpoint.changed.wait_for(lambda: endpoint.requests == 1, timeout=10)
    with pytest.raises(UpstreamUnavailable, match="did not answer in time"):
        signer.apply(call, 0.01, 0.01)
    endpoint.released.set()
    leader.join(10)
    assert signer.apply(call, 2, 5).headers["Authorization"] == "Bearer ya29.slow"
    assert endpoint.requests == 1
