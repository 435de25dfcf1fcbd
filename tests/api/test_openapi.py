"""/api/v1/openapi.json is OpenAPI 3.1 and describes every endpoint of the API blueprint.

Written against app.url_map, so an endpoint added without its description fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests import support
from tests.conftest import CSRFClient

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
#: Responses that carry no body, so need no schema.
NO_CONTENT = {"204", "205", "304"}


@pytest.fixture
def spec(client: CSRFClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # public: no token needed
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document: dict[str, Any] = response.get_json()
    return document


def api_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(OpenAPI path, lower-case method, endpoint) of every route of the API blueprint."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        assert rule.rule.startswith("/api/v1/"), rule.rule
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routes.append((path, method.lower(), rule.endpoint))
    return sorted(routes)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def test_is_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["servers"][0]["url"] == "/api/v1"
    assert spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    for requirement in spec.get("security", []):
        assert set(requirement) <= set(schemes)


def test_every_api_route_is_described(app: Flask, spec: dict[str, Any]) -> None:
    routes = api_routes(app)
    assert len(routes) >= 8  # organisations, users, me, openapi.json at least
    missing = [
        (path, method, endpoint)
        for path, method, endpoint in routes
        if method not in spec["paths"].get(path, {})
    ]
    assert missing == [], f"endpoints missing from openapi.json: {missing}"


def test_nothing_is_described_that_does_not_exist(app: Flask, spec: dict[str, Any]) -> None:
    routes = {(path, method) for path, method, _ in api_routes(app)}
    described = {(path, method) for path, method, _ in operations(spec)}
    assert described - routes == set()


def test_every_operation_has_responses_with_a_schema(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        responses = operation.get("responses")
        assert responses, where
        assert any(code.startswith("2") for code in responses), where
        for code, response in responses.items():
            if "$ref" in response:
                response = resolve(spec, response["$ref"])
            assert response.get("description"), (where, code)
            if code in NO_CONTENT:
                assert not response.get("content"), (where, code)
                continue
            content = response.get("content")
            assert content, (where, code)
            for media, body in content.items():
                assert body.get("schema"), (where, code, media)
        if "requestBody" in operation:
            body = operation["requestBody"]
            for media, content in body["content"].items():
                assert content.get("schema"), (where, media)


def test_error_responses_use_the_error_shape(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]["error"]["required"]) == {"code", "message"}
    for path, method, operation in operations(spec):
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_operations_that_need_a_token_document_401(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        security = operation.get("security", spec.get("security"))
        if security:
            assert "401" in operation["responses"], (method, path)


def test_writes_document_400_and_422(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        if "requestBody" in operation:
            assert {"400", "422"} <= set(operation["responses"]), (method, path)


def test_path_parameters_are_declared(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            params = [*item.get("parameters", []), *operation.get("parameters", [])]
            params = [resolve(spec, p["$ref"]) if "$ref" in p else p for p in params]
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == names, (method, path, declared, names)
            for p in params:
                if p["in"] == "path":
                    assert p["required"] is True and p.get("schema"), (method, path, p)


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    refs = [node["$ref"] for node in walk(spec) if isinstance(node, dict) and "$ref" in node]
    assert refs  # the document does use references
    for ref in refs:
        target = resolve(spec, ref)
        assert isinstance(target, dict) and target, ref


def test_operation_ids_are_unique_when_given(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(spec) if "operationId" in op]
    assert len(ids) == len(set(ids))


def test_organisation_kinds_match_the_model(spec: dict[str, Any]) -> None:
    from consult.models import OrganisationKind

    kinds = spec["components"]["schemas"]["OrganisationInput"]["properties"]["kind"]["enum"]
    assert set(kinds) == {k.value for k in OrganisationKind}
