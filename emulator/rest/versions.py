"""v1beta1 requests and answers over the emulator's v1 gRPC API.

v1beta1 is v1 plus fields still in preview. Both versions number the fields
they share alike (a test checks it for every message the REST surface
converts), so a message changes version by being read from the wire in the
other version's type. A v1beta1 request's fields that v1 lacks are dropped on
the way in, because the emulator keeps everything in its v1 form;
`dropped_fields` names them so the emulator can say so in its log. Answers
are read in the v1beta1 type, and the `Any` payloads of operations renamed to
their v1beta1 types, as Vertex AI answers under /v1beta1/.
"""

from __future__ import annotations

from google.longrunning import operations_pb2
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

__all__ = ["dropped_fields", "from_v1", "to_v1"]

_TYPE_URL_PREFIX = "type.googleapis.com/google.cloud.aiplatform."


def to_v1(message: Message, v1_class: type[Message]) -> tuple[Message, list[str]]:
    """`message` as a `v1_class` message, and the dotted names of the fields that had to be dropped."""
    if isinstance(message, v1_class):
        return message, []
    dropped = dropped_fields(message, v1_class.DESCRIPTOR)
    converted = v1_class.FromString(message.SerializeToString())
    converted.DiscardUnknownFields()
    return converted, dropped


def from_v1(data: bytes, response_class: type[Message], version: str) -> Message:
    """A v1 answer's wire form `data` read as `response_class`, of API `version`."""
    message = response_class.FromString(data)
    if version != "v1" and isinstance(message, operations_pb2.Operation):
        for payload in ("metadata", "response"):
            if message.HasField(payload):
                packed = getattr(message, payload)
                packed.type_url = packed.type_url.replace(f"{_TYPE_URL_PREFIX}v1.", f"{_TYPE_URL_PREFIX}{version}.", 1)
    return message


def dropped_fields(message: Message, kept: Descriptor, prefix: str = "") -> list[str]:
    """The set fields of `message`, at any depth, that a message of descriptor `kept` has no field for."""
    dropped: list[str] = []
    for field, value in message.ListFields():
        name = f"{prefix}{field.name}"
        counterpart = kept.fields_by_number.get(field.number)
        if counterpart is None:
            dropped.append(name)
            continue
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is None:
                continue
            elements = list(value.values())
            element_kept = counterpart.message_type.fields_by_name["value"].message_type
        else:
            elements = list(value) if field.is_repeated else [value]
            element_kept = counterpart.message_type
        for element in elements:
            dropped.extend(dropped_fields(element, element_kept, f"{name}."))
    return sorted(set(dropped))
