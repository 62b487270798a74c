"""Checking a JSON request body against the endpoint's declared JSON Schema. Pure: no flask.

Only the subset of JSON Schema the API declares is understood (object, string, integer,
boolean, array, null, with required, enum, minLength, maxLength, minimum, maximum, maxItems,
format "date"). Messages follow the house style "Label: rule." with the property's `title`
as label, and name the field. Properties the schema does not declare are dropped, so a
client can never set a column the endpoint did not offer (no mass assignment).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from caseflow.errors import ValidationError

# C0 controls other than tab, newline and carriage return have no place in text fields
# (PostgreSQL refuses NUL outright).
_CONTROLS = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def _types(schema: dict[str, Any]) -> tuple[str, ...]:
    kind = schema.get("type", "object")
    return tuple(kind) if isinstance(kind, list) else (kind,)


def validate_body(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """The declared properties of `data`, checked; ValidationError names the first fault."""
    if not isinstance(data, dict):
        raise ValidationError("Body: a JSON object is required.")
    result: dict[str, Any] = {}
    properties: dict[str, dict[str, Any]] = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in data:
            label = properties[name].get("title", name)
            raise ValidationError(f"{label}: required.", field=name)
    for name, prop in properties.items():
        if name in data:
            result[name] = check_value(prop, data[name], name)
    return result


def check_value(schema: dict[str, Any], value: Any, field: str) -> Any:
    label = schema.get("title", field)
    types = _types(schema)

    def fail(rule: str) -> ValidationError:
        return ValidationError(f"{label}: {rule}.", field=field)

    if value is None:
        if "null" in types:
            return None
        raise fail("required")
    if "string" in types:
        if not isinstance(value, str):
            raise fail("must be text")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise fail("must be valid Unicode text") from None
        if any(ch in _CONTROLS for ch in value):
            raise fail("must not contain control characters")
        if "enum" in schema and value not in schema["enum"]:
            raise fail("one of " + ", ".join(v for v in schema["enum"] if v is not None))
        if len(value) < schema.get("minLength", 0):
            raise fail("required")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise fail(f"at most {schema['maxLength']} characters")
        if schema.get("format") == "date":
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise fail("a date as YYYY-MM-DD") from None
        return value
    if "integer" in types:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("must be a whole number")
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise fail(f"between {low} and {high}")
        return value
    if "boolean" in types:
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    if "array" in types:
        if not isinstance(value, list):
            raise fail("must be a list")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise fail(f"at most {schema['maxItems']} items")
        items = schema.get("items", {})
        return [check_value({**items, "title": label}, item, field) for item in value]
    raise fail("not accepted")  # a schema type this checker does not know: refuse, never guess
