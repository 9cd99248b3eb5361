"""Check a request gitward would send against the forge's own published API description.

GitHub publishes OpenAPI 3 (`openapi-subset.api.github.com.json`, already dereferenced), Gitea
Swagger 2 (`swagger.v1.json`, with `#/definitions/...` references). Both are read the same way:
find the operation whose path template and method match, check every path parameter is
present, and validate the JSON body against the operation's body schema. A request the
description does not know fails the test: we never check against our own guess.
"""

from __future__ import annotations

import functools
import re
from typing import Any

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


def check(which: str, method: str, path: str, body: object | None) -> None:
    """Raise AssertionError (or jsonschema's ValidationError) unless the API description
    `which` (GITHUB or GITEA) has this operation and `body` fits its body schema."""
    spec = _spec(which)
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
