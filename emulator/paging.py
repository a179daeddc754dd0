"""Paging for List methods: page sizes and opaque, keyset-based page tokens.

A token remembers the sort key of the last item handed out, not an offset, so
resources created or removed between pages neither repeat nor go missing. It
also remembers a digest of the request's other parameters (parent, filter):
using a token with different parameters is INVALID_ARGUMENT, as on Google APIs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Generic, Iterable, TypeVar

from google.protobuf import timestamp_pb2

from emulator.errors import InvalidArgument

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Page", "SortKey", "creation_order", "paginate"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

M = TypeVar("M")
SortKey = tuple[int, ...]


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of results and the token for the next ("" on the last page)."""

    items: list[M]
    next_page_token: str


def paginate(
    items: Iterable[M],
    sort_key: Callable[[M], SortKey],
    *,
    page_size: int,
    page_token: str,
    query: str,
) -> Page[M]:
    """The page of `items`, in `sort_key` order, that `page_token` asks for.

    `query` identifies the request's other parameters; a token is only valid
    for the query it was issued for.
    """
    if page_size < 0:
        raise InvalidArgument(f"page_size must not be negative, got {page_size}.")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    ordered = sorted(items, key=sort_key)
    if page_token:
        after = _decode(page_token, query)
        ordered = [item for item in ordered if sort_key(item) > after]
    page = ordered[:size]
    more = len(ordered) > size
    return Page(items=page, next_page_token=_encode(sort_key(page[-1]), query) if more else "")


def creation_order(create_time: timestamp_pb2.Timestamp, name: str) -> SortKey:
    """Oldest first; resources created at the same moment by their ids, numeric ids first."""
    resource_id = name.rsplit("/", 1)[-1]
    if resource_id.isdecimal():
        return (create_time.seconds, create_time.nanos, 0, int(resource_id))
    # Caller-chosen ids (CreateEndpoint's endpoint_id) may have letters.
    return (create_time.seconds, create_time.nanos, 1, *map(ord, resource_id))


def _digest(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]


def _encode(after: SortKey, query: str) -> str:
    payload = json.dumps({"after": list(after), "query": _digest(query)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii")


def _decode(token: str, query: str) -> SortKey:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        after = tuple(payload["after"])
        issued_for = payload["query"]
    except (ValueError, UnicodeError, binascii.Error, KeyError, TypeError) as error:
        raise InvalidArgument(f"Invalid page_token {token!r}.") from error
    if not all(isinstance(part, int) for part in after):
        raise InvalidArgument(f"Invalid page_token {token!r}.")
    if issued_for != _digest(query):
        raise InvalidArgument(
            f"Invalid page_token {token!r}: it was issued for a request with a different parent or filter."
        )
    return after
