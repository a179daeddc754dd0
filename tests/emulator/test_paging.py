"""Paging: sizes, tokens, and every item exactly once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import InvalidArgument
from emulator.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate


def identity(item: int) -> tuple[int, ...]:
    return (item,)


def all_pages(items: list[int], page_size: int, query: str = "q") -> list[list[int]]:
    pages, token = [], ""
    while True:
        page = paginate(items, identity, page_size=page_size, page_token=token, query=query)
        pages.append(page.items)
        token = page.next_page_token
        if not token:
            return pages


@pytest.mark.parametrize(
    ("count", "page_size", "sizes"),
    [
        (0, 0, [0]),
        (3, 0, [3]),
        (DEFAULT_PAGE_SIZE + 1, 0, [DEFAULT_PAGE_SIZE, 1]),
        (MAX_PAGE_SIZE + 5, 1000, [MAX_PAGE_SIZE, 5]),
        (4, 2, [2, 2]),
        (5, 2, [2, 2, 1]),
    ],
)
def test_page_sizes(count: int, page_size: int, sizes: list[int]) -> None:
    assert [len(page) for page in all_pages(list(range(count)), page_size)] == sizes


@settings(max_examples=60, database=None, deadline=None)
@given(st.sets(st.integers(0, 10_000), max_size=40), st.integers(1, 7))
def test_every_item_is_listed_once_in_order(items: set[int], page_size: int) -> None:
    pages = all_pages(sorted(items, reverse=True), page_size)

    assert [item for page in pages for item in page] == sorted(items)


def test_items_added_between_pages_are_neither_repeated_nor_skipped() -> None:
    first = paginate([1, 2, 3], identity, page_size=2, page_token="", query="q")

    second = paginate([0, 1, 2, 3, 4], identity, page_size=2, page_token=first.next_page_token, query="q")

    assert (first.items, second.items) == ([1, 2], [3, 4])


@pytest.mark.parametrize("token", ["garbage", "e30=", "eyJhZnRlciI6WyJ4Il0sInF1ZXJ5IjoieCJ9", "\u00e9"])
def test_malformed_tokens_are_invalid_arguments(token: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid page_token"):
        paginate([1, 2], identity, page_size=1, page_token=token, query="q")


def test_a_token_is_bound_to_its_query() -> None:
    token = paginate([1, 2], identity, page_size=1, page_token="", query="parent-a").next_page_token

    with pytest.raises(InvalidArgument, match="different parent or filter"):
        paginate([1, 2], identity, page_size=1, page_token=token, query="parent-b")
