"""Check a request gitward would send against the forge's own published API description.

GitHub publishes OpenAPI 3 (`openapi-subset.api.github.com.json`, already dereferenced), Gitea
Swagger 2 (`swagger.v1.json`, with `#/definitions/...` references). Both are read the same way:
find the operation whose path template and method match, check every path parameter is
present, and validate the JSON body against the operation's body schema. A request the
description does not know fails the test: we never check against our own guess.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import gwfixtures
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

GITHUB = "github/openapi-subset.api.github.com.json"
GITEA = "gitea/swagger.v1.json"


@functools.cache
def _spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = gwfixtures.load(name)
    return spec


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in spec["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            operation: dict[str, Any] = item[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not in the API description")


def _body_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" in operation:  # OpenAPI 3
        schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
        return schema
    for param in operation.get("parameters", []):  # Swagger 2
        if param.get("in") == "body":
            body: dict[str, Any] = param["schema"]
            return body
    return None


def _nullable_to_types(schema: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is not JSON Schema: spell it as a type union."""
    if isinstance(schema, dict):
        out = {k: _nullable_to_types(v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable") and isinstance(schema.get("type"), str):
            out["type"] = [schema["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_nullable_to_types(v) for v in schema]
    return schema


@functools.cache
def _openapi(which: str) -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(_spec(which))


def warm(which: str) -> None:
    """Parse and index the description ahead of the first check."""
    _openapi(which)


def _check_openapi3(which: str, method: str, path: str, body: object | None) -> None:
    """GitHub's description is OpenAPI 3: openapi-core validates the whole request (path
    parameters, query, body) as a server implementing it would."""
    from openapi_core.testing import MockRequest

    api_path, _, query = path.partition("?")
    request = MockRequest(
        "https://api.github.com",
        method.lower(),
        api_path,
        args=dict(parse_qsl(query)),
        data=json.dumps(body).encode() if body is not None else None,
        content_type="application/json",
    )
    _openapi(which).validate_request(request)


def check(which: str, method: str, path: str, body: object | None) -> None:
    """Raise AssertionError (or a validation error) unless the API description `which`
    (GITHUB or GITEA) has this operation and `body` fits its body schema; for GitHub's
    OpenAPI 3 description openapi-core also validates the request as a whole."""
    spec = _spec(which)
    if which == GITHUB:
        _check_openapi3(which, method, path, body)
    api_path = path.split("?", 1)[0]
    operation = _operation(spec, method, api_path)
    schema = _body_schema(spec, operation)
    if schema is None:
        assert body is None, f"{method} {path} takes no body"
        return
    assert body is not None, f"{method} {path} needs a body"
    root = _nullable_to_types(spec)
    registry: Registry[Any] = Registry().with_resource(
        "urn:api", Resource.from_contents(root, default_specification=DRAFT4)
    )
    resolved = _rebase(_nullable_to_types(schema))
    jsonschema.Draft4Validator(resolved, registry=registry).validate(body)


def _rebase(schema: Any) -> Any:
    """References in an operation's schema, made absolute against the description's root."""
    if isinstance(schema, dict):
        return {
            k: ("urn:api" + v if k == "$ref" and isinstance(v, str) else _rebase(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema
