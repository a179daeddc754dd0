"""List methods: one parent's resources of a collection, filtered by labels, paged.

Every List method of the emulator answers the same way: the resources directly
under `parent`, those whose labels match `filter` (see `emulator.filters`),
oldest first, in pages (see `emulator.paging`). `order_by` and `read_mask`,
where a request has them, are not supported and answer INVALID_ARGUMENT rather
than being ignored.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol, TypeVar

from emulator import names
from emulator.errors import InvalidArgument
from emulator.filters import LabelFilter
from emulator.paging import Page, SortKey, creation_order, paginate

__all__ = ["list_page"]

_UNSUPPORTED_FIELDS = ("order_by", "read_mask")


class Resource(Protocol):
    name: str
    labels: Mapping[str, str]


R = TypeVar("R", bound=Resource)


def list_page(resources: Iterable[R], request: Any, collection: str, *,
              label_filters_find_nothing: bool = False) -> Page[R]:
    """The page a List `request` asks for, of the `resources` in `collection` under its parent.

    `label_filters_find_nothing`: a filter with label terms matches nothing (Settings).
    """
    prefix = f"{names.parse_parent(request.parent).name}/{collection}/"
    for field in _UNSUPPORTED_FIELDS:
        if field in type(request).meta.fields and field in request:
            raise InvalidArgument(f"{field} is not supported by the emulator; leave it unset.")
    label_filter = LabelFilter.parse(request.filter, find_nothing=label_filters_find_nothing)
    matching = [
        resource
        for resource in resources
        if resource.name.startswith(prefix) and label_filter.matches(resource.labels)
    ]
    return paginate(
        matching,
        _creation_order,
        page_size=request.page_size,
        page_token=request.page_token,
        query=f"{request.parent}\n{request.filter}",
    )


def _creation_order(resource: Any) -> SortKey:
    return creation_order(type(resource).pb(resource).create_time, resource.name)
