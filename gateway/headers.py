"""Header names and limits shared with Portkey's gateway (its ``globals.ts``), in one place."""

from __future__ import annotations

PREFIX = "x-portkey-"
# Gateway API keys carry this prefix, so one can arrive in Authorization (the OpenAI
# SDK's api_key) and be told apart from a provider key without a lookup.
GATEWAY_KEY_PREFIX = "pkgw_"

PROVIDER = "x-portkey-provider"
API_KEY = "x-portkey-api-key"
VIRTUAL_KEY = "x-portkey-virtual-key"
CONFIG = "x-portkey-config"
TRACE_ID = "x-portkey-trace-id"
METADATA = "x-portkey-metadata"
REQUEST_TIMEOUT = "x-portkey-request-timeout"
CUSTOM_HOST = "x-portkey-custom-host"
FORWARD_HEADERS = "x-portkey-forward-headers"
OPENAI_ORGANIZATION = "x-portkey-openai-organization"
OPENAI_PROJECT = "x-portkey-openai-project"
CACHE_FORCE_REFRESH = "x-portkey-cache-force-refresh"
# Provider settings sent as headers (Portkey's names) -> the option each one sets.
PROVIDER_OPTION_HEADERS = {
    "x-portkey-azure-resource-name": "resource_name",
    "x-portkey-azure-deployment-id": "deployment_id",
    "x-portkey-azure-api-version": "api_version",
    "x-portkey-azure-ad-token": "azure_ad_token",
    "x-portkey-azure-model-name": "azure_model_name",
    "x-portkey-azure-foundry-url": "azure_foundry_url",
    "x-portkey-azure-extra-params": "azure_extra_params",
    "x-portkey-azure-deployment-name": "azure_deployment_name",
    "x-portkey-aws-access-key-id": "aws_access_key_id",
    "x-portkey-aws-secret-access-key": "aws_secret_access_key",
    "x-portkey-aws-session-token": "aws_session_token",
    "x-portkey-aws-region": "aws_region",
    "x-portkey-vertex-project-id": "vertex_project_id",
    "x-portkey-vertex-region": "vertex_region",
    "x-portkey-vertex-service-account-json": "vertex_service_account_json",
    "x-portkey-workers-ai-account-id": "workers_ai_account_id",
}
# Options that are credentials: redacted from every log line and error message.
SECRET_OPTIONS = frozenset(
    {"aws_secret_access_key", "aws_session_token", "azure_ad_token", "vertex_service_account_json"}
)

# Response headers.
LAST_USED_OPTION_INDEX = "x-portkey-last-used-option-index"
RETRY_ATTEMPT_COUNT = "x-portkey-retry-attempt-count"
CACHE_STATUS = "x-portkey-cache-status"
RESPONSE_PROVIDER = "x-portkey-provider"
REQUEST_ID = "x-request-id"
SHOULD_RETRY = "x-should-retry"
COST_USD = "x-gateway-cost-usd"  # the request's cost in dollars, 6 decimals; absent: unknown

# Headers a caller may never have forwarded upstream, whatever x-portkey-forward-headers
# says: credentials, hop-by-hop headers, and identity headers a proxy sets.
NEVER_FORWARD = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "proxy-authenticate",
        "cookie",
        "set-cookie",
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "forwarded",
        "api-key",
        "x-api-key",
        "metadata-flavor",
        "x-aws-ec2-metadata-token",
        "x-google-metadata-request",
    }
)
NEVER_FORWARD_PREFIXES = ("x-portkey-", "x-forwarded-", "proxy-", "x-real-ip")

# Upstream response headers passed on to the client (everything else is dropped).
PASS_THROUGH_RESPONSE = ("retry-after", "retry-after-ms")
UPSTREAM_REQUEST_ID = "x-upstream-request-id"

METADATA_MAX_BYTES = 2048
METADATA_MAX_VALUE = 128
TIMEOUT_MAX_MS = 900_000
FORWARD_MAX_HEADERS = 16
HEADER_VALUE_MAX = 1024
