"""Examples for success answers in the OpenAPI document, made from each answer's schema.

A generated client's documentation and mock servers show these; a test validates every one
against its schema, so an example never promises a shape the API does not answer. Values are
chosen to read as real (ids from 42, times in UTC, the field's enum's first value), not random.
"""

from __future__ import annotations

from typing import Any

__all__ = ["example_of", "success_examples"]

_MAX_DEPTH = 6
_STRINGS = {
    "date-time": "2026-12-04T09:30:00Z",
    "date": "2026-12-04",
    "uri": "https://plaudit.example/v1/videos/42",
    "email": "someone@example.com",
}


def success_examples(document: dict[str, Any]) -> None:
    """Add an `example` to every JSON success answer whose schema does not have one."""
    schemas = document.get("components", {}).get("schemas", {})
    for item in document.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for code, response in op.get("responses", {}).items():
                media = response.get("content", {}).get("application/json")
                if not code.startswith("2") or media is None or "example" in media:
                    continue
                if "schema" in media:
                    media["example"] = example_of(media["schema"], schemas)


def example_of(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> Any:
    """A value that validates against `schema` (refs resolved in `schemas`)."""
    if "$ref" in schema:
        target = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return example_of(target, schemas, depth)
    if "example" in schema:
        return schema["example"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            options = [o for o in schema[combinator] if o.get("type") != "null"]
            return example_of((options or schema[combinator])[0], schemas, depth)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_of(part, schemas, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return _typed(schema, schemas, depth)


def _typed(schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth >= _MAX_DEPTH:
            return {}
        properties = schema.get("properties", {})
        return {name: example_of(sub, schemas, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        if depth >= _MAX_DEPTH:
            return []
        count = max(1, schema.get("minItems", 1))
        return [example_of(schema.get("items", {}), schemas, depth + 1)] * count
    if kind == "integer":
        return _number(schema, 42)
    if kind == "number":
        return float(_number(schema, 0.5))
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema)
    if kind == "null":
        return None
    return "example"


def _number(schema: dict[str, Any], default: float) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value = default
    if low is not None and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema else 0)
    if high is not None and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema else 0)
    return value


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format", "")
    if fmt in _STRINGS:
        return _STRINGS[fmt]
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", 64))
    text = "example"
    if len(text) < low:
        text = text + "x" * (low - len(text))
    return text[: max(high, low)]
