"""Traffic split rules of DeployModel and UndeployModel, as pure functions."""

from __future__ import annotations

import pytest

from emulator.errors import ApiError, FailedPrecondition, InvalidArgument
from emulator.traffic import after_deploy, after_undeploy, check_percentages


@pytest.mark.parametrize("split", [{}, {"1": 100}, {"1": 90, "2": 10}, {"1": 0, "2": 100}, {"1": 33, "2": 33, "3": 34}])
def test_splits_adding_up_to_100_are_accepted(split: dict[str, int]) -> None:
    check_percentages(split)


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"1": 90}, "add up to 100, got 90"),
        ({"1": 60, "2": 60}, "add up to 100, got 120"),
        ({"1": 0}, "add up to 100, got 0"),
        ({"1": 110, "2": -10}, "from 0 to 100"),
        ({"1": 101}, "from 0 to 100"),
    ],
)
def test_splits_not_adding_up_to_100_are_invalid(split: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        check_percentages(split)


@pytest.mark.parametrize(
    ("current", "requested", "deployed", "after"),
    [
        ({}, {}, [], {"new": 100}),
        ({}, {"0": 100}, [], {"new": 100}),
        ({"a": 100}, {}, ["a"], {"a": 100}),
        ({}, {}, ["a"], {}),
        ({"a": 100}, {"a": 90, "0": 10}, ["a"], {"a": 90, "new": 10}),
        ({"a": 100}, {"0": 100}, ["a"], {"new": 100}),
        ({"a": 50, "b": 50}, {"a": 100}, ["a", "b"], {"a": 100}),
        ({"a": 100}, {"a": 100, "0": 0}, ["a"], {"a": 100, "new": 0}),
    ],
)
def test_split_after_deploy(
    current: dict[str, int], requested: dict[str, int], deployed: list[str], after: dict[str, int]
) -> None:
    assert after_deploy(current, requested, "new", deployed) == after


@pytest.mark.parametrize(
    ("requested", "deployed", "message"),
    [
        ({"0": 50, "a": 40}, ["a"], "add up to 100, got 90"),
        ({"0": 50, "zzz": 50}, ["a"], "names 'zzz'"),
        ({"new": 100}, ["a"], "names 'new'"),
        ({"a": 100}, [], "names 'a'"),
    ],
)
def test_invalid_splits_for_deploy(requested: dict[str, int], deployed: list[str], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        after_deploy({}, requested, "new", deployed)


@pytest.mark.parametrize(
    ("current", "requested", "gone", "remaining", "after"),
    [
        ({"a": 100}, {}, "a", [], {}),
        ({"a": 100}, {"a": 100}, "a", [], {}),
        ({"a": 100, "b": 0}, {}, "b", ["a"], {"a": 100}),
        ({"a": 100}, {}, "b", ["a"], {"a": 100}),
        ({"a": 90, "b": 10}, {"a": 100}, "b", ["a"], {"a": 100}),
        ({"a": 90, "b": 10}, {"a": 100, "b": 0}, "b", ["a"], {"a": 100}),
        ({"a": 50, "b": 25, "c": 25}, {"a": 50, "c": 50}, "b", ["a", "c"], {"a": 50, "c": 50}),
    ],
)
def test_split_after_undeploy(
    current: dict[str, int], requested: dict[str, int], gone: str, remaining: list[str], after: dict[str, int]
) -> None:
    assert after_undeploy(current, requested, gone, remaining) == after


@pytest.mark.parametrize(
    ("current", "requested", "gone", "remaining", "error", "message"),
    [
        ({"a": 90, "b": 10}, {}, "b", ["a"], FailedPrecondition, "still receives 10%"),
        ({"a": 90, "b": 10}, {"a": 90, "b": 10}, "b", ["a"], InvalidArgument, "gives 10% to deployed model b"),
        ({"a": 90, "b": 10}, {"a": 90}, "b", ["a"], InvalidArgument, "add up to 100, got 90"),
        ({"a": 90, "b": 10}, {"a": 90, "x": 10}, "b", ["a"], InvalidArgument, "names 'x'"),
        ({"a": 100}, {"x": 100}, "a", [], InvalidArgument, "names 'x'"),
    ],
)
def test_refused_undeploys(
    current: dict[str, int],
    requested: dict[str, int],
    gone: str,
    remaining: list[str],
    error: type[ApiError],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        after_undeploy(current, requested, gone, remaining)
