"""From an HTTP request to the request message of the method its route names.

The way Google's front ends transcode (google.api.http): the JSON body fills
the route's body field (or, for `*`, the whole request); the URL path fills
the fields its template binds; query parameters fill any other field, named
by their JSON or proto names, dotted for nested fields, repeated for repeated
fields. The JSON is read by protobuf's own JSON parser, so an unknown name is
an error, as on Vertex AI:

    400 Invalid JSON payload received. Unknown name "foo" at 'tuning_job': Cannot find field.

A body nested deeper than `MAX_NESTING` objects and arrays is refused before it is
parsed (400), as Google's front ends refuse JSON deeper than protobuf's recursion
limit, rather than exhausting the parser's stack.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Sequence

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from emulator.rest.errors import RestError, invalid_json

__all__ = ["MAX_NESTING", "request_message"]

MAX_NESTING = 100
"""The deepest nesting of JSON objects and arrays a body may have: protobuf's JSON recursion limit."""

# Message types whose JSON form is a string, so a query parameter can give them.
_STRING_MESSAGES = frozenset(
    {
        "google.protobuf.FieldMask",
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.StringValue",
        "google.protobuf.BytesValue",
        "google.protobuf.BoolValue",
        "google.protobuf.Int32Value",
        "google.protobuf.Int64Value",
        "google.protobuf.UInt32Value",
        "google.protobuf.UInt64Value",
        "google.protobuf.FloatValue",
        "google.protobuf.DoubleValue",
    }
)
_UNKNOWN_FIELD = re.compile(r'has no field named "(?P<name>[^"]+)" at "(?P<path>[^"]+)"')
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def request_message(
    message_class: type[Message],
    body_field: str,
    path_fields: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
    body: bytes,
) -> Message:
    """The request message an HTTP request stands for; INVALID_ARGUMENT if it does not fit."""
    descriptor = message_class.DESCRIPTOR
    document = _body_document(descriptor, body_field, body)
    # Fields the body or the path give cannot be given again by a query parameter.
    taken = {body_field, *(field.split(".")[0] for field in path_fields)}
    for name, values in query.items():
        _bind_query_parameter(document, descriptor, name, values, taken, whole_body=body_field == "*")
    message = message_class()
    try:
        json_format.ParseDict(document, message)
    except json_format.ParseError as error:
        raise _parse_error(error) from None
    for field, value in path_fields.items():
        _set_field(message, field, value)
    return message


def _body_document(descriptor: Descriptor, body_field: str, body: bytes) -> dict[str, Any]:
    if not body_field:
        return {}
    try:
        text = body.decode("utf-8")
        if _nesting_depth(text) > MAX_NESTING:
            raise invalid_json(f"Message too deep: the JSON nests objects and arrays more than {MAX_NESTING} deep.")
        value = json.loads(text) if text.strip() else {}
    except UnicodeDecodeError:
        raise invalid_json("The request body is not UTF-8.") from None
    except json.JSONDecodeError as error:
        raise invalid_json(f"{error.msg} at line {error.lineno} column {error.colno}.") from None
    if body_field == "*":
        if not isinstance(value, dict):
            raise invalid_json("The request body must be a JSON object.")
        return value
    return {descriptor.fields_by_name[body_field].json_name: value}


def _nesting_depth(text: str) -> int:
    """How deeply `text` nests JSON objects and arrays (brackets inside strings do not count).

    A scan, not a parse, so a body of any depth is measured without recursion.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _bind_query_parameter(
    document: dict[str, Any],
    descriptor: Descriptor,
    name: str,
    values: Sequence[str],
    taken: set[str],
    *,
    whole_body: bool,
) -> None:
    path = _resolve(descriptor, name)
    if path is None:
        raise invalid_json(
            f"Unknown name \"{name}\": Cannot bind query parameter. Field '{name}' could not be found in "
            "request message."
        )
    if whole_body or path[0].name in taken:
        raise invalid_json(f"Cannot bind query parameter '{name}': the URL path or the request body gives it.")
    leaf = path[-1]
    if leaf.message_type is not None and leaf.message_type.full_name not in _STRING_MESSAGES:
        raise invalid_json(f"Cannot bind query parameter '{name}': it names a message field.")
    converted = [_query_value(leaf, value) for value in values]
    if not leaf.is_repeated and len(converted) > 1:
        raise invalid_json(f"Query parameter '{name}' is given {len(converted)} times; its field is not repeated.")
    parent = document
    for field in path[:-1]:
        parent = parent.setdefault(field.json_name, {})
    parent[leaf.json_name] = converted if leaf.is_repeated else converted[0]


def _resolve(descriptor: Descriptor, dotted_name: str) -> list[FieldDescriptor] | None:
    """The fields a dotted query parameter name goes through; None if it names no field."""
    path: list[FieldDescriptor] = []
    current: Descriptor | None = descriptor
    for part in dotted_name.split("."):
        if current is None:
            return None
        field = current.fields_by_name.get(part) or current.fields_by_camelcase_name.get(part)
        if field is None:
            return None
        path.append(field)
        current = None if field.is_repeated else field.message_type
    return path


def _query_value(field: FieldDescriptor, text: str) -> Any:
    # protobuf's JSON parser takes numbers and well-known types as strings, but booleans only as JSON booleans.
    if field.type == FieldDescriptor.TYPE_BOOL and text in ("true", "false"):
        return text == "true"
    return text


def _parse_error(error: json_format.ParseError) -> RestError:
    unknown = _UNKNOWN_FIELD.search(str(error))
    if unknown is None:
        return invalid_json(str(error))
    # The parser's path starts with the request type and has the names as written: report proto names.
    field = ".".join(_CAMEL_HUMP.sub("_", part).lower() for part in unknown["path"].split(".")[1:])
    where = f" at '{field}'" if field else ""
    return invalid_json(f'Unknown name "{unknown["name"]}"{where}: Cannot find field.', field)


def _set_field(message: Message, dotted_name: str, value: str) -> None:
    *parents, last = dotted_name.split(".")
    for part in parents:
        message = getattr(message, part)
    setattr(message, last, value)
