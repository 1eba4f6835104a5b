"""``GET /v1/openapi.json``: a valid OpenAPI 3.1 document that covers every route."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from gateway import headers as h
from gateway.api import openapi

pytestmark = pytest.mark.functional


@pytest.fixture
def document(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_route_of_the_app_is_in_paths_with_each_method(app, document):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert len(rules) >= 6
    for rule in rules:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in document["paths"], rule.rule
        methods = rule.methods - {"HEAD", "OPTIONS"}
        assert methods, rule.rule
        for method in methods:
            assert method.lower() in document["paths"][path], (rule.rule, method)


def test_paths_name_only_routes_the_app_has(app, document):
    rules = {re.sub(r"<([^<>]+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()}
    assert set(document["paths"]) <= rules
    assert set(document["paths"]) == {
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/images/variations",
        "/v1/images/files/{name}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/openapi.json",
    }


def test_the_generations_body_is_the_marshmallow_schema(document):
    operation = document["paths"]["/v1/images/generations"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ImageGenerationRequest"
    body = document["components"]["schemas"]["ImageGenerationRequest"]
    assert body["required"] == ["prompt"]
    assert body["properties"]["prompt"] == {"type": "string", "minLength": 1}
    assert body["properties"]["model"]["type"] == ["string", "null"]
    assert body["properties"]["n"]["type"] == ["integer", "null"]
    assert body["properties"]["size"]["maxLength"] == 32
    assert body["properties"]["response_format"]["enum"] == ["url", "b64_json", None]
    assert body["properties"]["output_compression"]["maximum"] == 100
    assert body["additionalProperties"] is True  # providers' own parameters pass through


def test_the_answer_and_the_error_are_components(document):
    schemas = document["components"]["schemas"]
    answer = schemas["ImagesResponse"]
    assert sorted(answer["required"]) == ["created", "data"]
    assert answer["properties"]["created"]["type"] == "integer"
    assert answer["properties"]["data"]["items"] == {"$ref": "#/components/schemas/Image"}
    image = schemas["Image"]
    assert set(image["properties"]) == {"url", "b64_json", "revised_prompt"}
    assert image["anyOf"] == [{"required": ["url"]}, {"required": ["b64_json"]}]
    error = schemas["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"] == {"$ref": "#/components/schemas/ErrorBody"}
    body = schemas["ErrorBody"]
    assert sorted(body["required"]) == ["code", "message", "param", "type"]
    assert body["properties"]["message"]["type"] == "string"
    assert body["properties"]["type"]["type"] == "string"
    assert body["properties"]["param"]["type"] == ["string", "null"]
    assert body["properties"]["code"]["type"] == ["string", "null"]


def test_generations_lists_its_statuses_with_the_error_schema(document):
    responses = document["paths"]["/v1/images/generations"]["post"]["responses"]
    ok = responses["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ImagesResponse"}
    for status in ("400", "401", "404", "413", "415", "429", "502", "503", "504"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}, status


def test_generations_takes_every_portkey_header(document):
    parameters = document["paths"]["/v1/images/generations"]["post"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert all(p["in"] == "header" and p["required"] is False for p in parameters)
    expected = {
        h.PROVIDER,
        h.API_KEY,
        h.VIRTUAL_KEY,
        h.CONFIG,
        h.TRACE_ID,
        h.METADATA,
        h.REQUEST_TIMEOUT,
        h.CUSTOM_HOST,
        h.FORWARD_HEADERS,
        h.OPENAI_ORGANIZATION,
        h.OPENAI_PROJECT,
        h.CACHE_FORCE_REFRESH,
    } | set(h.PROVIDER_OPTION_HEADERS)
    assert set(by_name) == expected
    assert "x-portkey-config" in by_name
    assert "routing config" in by_name[h.CONFIG]["description"]
    assert "'aws_region'" in by_name["x-portkey-aws-region"]["description"]


def test_the_image_files_route_has_its_signed_link_parameters(document):
    operation = document["paths"]["/v1/images/files/{name}"]["get"]
    by_name = {p["name"]: p for p in operation["parameters"]}
    assert by_name["name"]["in"] == "path"
    assert by_name["name"]["required"] is True
    assert by_name["expires"]["in"] == "query"
    assert by_name["expires"]["required"] is True
    assert by_name["signature"]["schema"]["pattern"] == "^[0-9a-f]{64}$"
    assert "image/png" in operation["responses"]["200"]["content"]
    error = operation["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}


def test_health_and_metrics_are_described(document):
    paths = document["paths"]
    ready = paths["/readyz"]["get"]["responses"]
    assert ready["200"]["content"]["application/json"]["schema"]["required"] == [
        "status",
        "in_flight",
        "capacity",
    ]
    assert "503" in ready
    assert "200" in paths["/healthz"]["get"]["responses"]
    assert "text/plain" in paths["/metrics"]["get"]["responses"]["200"]["content"]


def test_the_document_is_built_once_per_app(app, client):
    built = app.extensions[openapi.EXTENSION]
    assert client.get("/v1/openapi.json").data == built
    assert client.get("/v1/openapi.json").data == built
    assert app.extensions[openapi.EXTENSION] is built


def test_the_document_needs_no_key_and_answers_head(client):
    assert client.head("/v1/openapi.json").status_code == 200
    assert client.post("/v1/openapi.json").status_code == 405


@pytest.mark.parametrize(
    ("path", "component", "required"),
    [
        ("/v1/images/edits", "ImageEditRequest", ["image", "prompt"]),
        ("/v1/images/variations", "ImageVariationRequest", ["image"]),
    ],
)
def test_the_upload_routes_take_multipart_forms_with_binary_files(
    document, path, component, required
):
    operation = document["paths"][path]["post"]
    content = operation["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    assert content["multipart/form-data"]["schema"]["$ref"] == f"#/components/schemas/{component}"
    schema = document["components"]["schemas"][component]
    assert sorted(schema["required"]) == required
    assert schema["properties"]["image"]["format"] == "binary"
    assert "413" in operation["responses"]
    assert "415" not in operation["responses"]  # OpenAI's 400 unsupported_content_type
    assert "unsupported_content_type" in operation["responses"]["400"]["description"]
    assert "GATEWAY_UPLOAD_MAX_BYTES" in operation["responses"]["413"]["description"]
    headers = {p["name"] for p in operation["parameters"]}
    assert {"x-portkey-provider", "x-portkey-config", "x-portkey-virtual-key"} <= headers
