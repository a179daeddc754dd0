"""An endpoint's traffic split: which deployed model gets what share of requests.

`Endpoint.traffic_split` maps deployed model ids to integer percentages. A
split a request gives must add up to 100 (DeployModel and UndeployModel
overwrite the endpoint's split with it); models it leaves out get no traffic.
In DeployModel the key "0" stands for the model being deployed. Leaving the
split out keeps the endpoint's split as it is, except that the first model
deployed to an empty endpoint gets all traffic, and that undeploying the last
model always leaves the split empty. A model that still gets traffic can only
be undeployed by a split that moves its traffic to the others.

Pure functions over plain mappings, so the rules can be tested without a server.
"""

from __future__ import annotations

from typing import Collection, Mapping

from emulator.errors import FailedPrecondition, InvalidArgument

__all__ = ["NEW_MODEL_KEY", "after_deploy", "after_undeploy", "check_percentages", "replacing"]

NEW_MODEL_KEY = "0"
"""The traffic_split key of DeployModel that stands for the model being deployed."""

Split = Mapping[str, int]


def check_percentages(split: Split) -> None:
    """Check what a split says on its own: percentages from 0 to 100 that add up to 100."""
    if not split:
        return
    for deployed_model_id, percent in split.items():
        if not 0 <= percent <= 100:
            raise InvalidArgument(
                f"traffic_split[{deployed_model_id!r}] is {percent}; percentages must be from 0 to 100."
            )
    total = sum(split.values())
    if total != 100:
        raise InvalidArgument(f"The traffic_split percentages must add up to 100, got {total}: {_show(split)}.")


def after_deploy(current: Split, requested: Split, new_id: str, deployed_ids: Collection[str]) -> dict[str, int]:
    """The endpoint's split once model `new_id` is deployed next to `deployed_ids`."""
    if not requested:
        return dict(current) if deployed_ids else {new_id: 100}
    _check_keys(requested, {NEW_MODEL_KEY, *deployed_ids}, 'deployed model ids of the endpoint or "0"')
    check_percentages(requested)
    return {new_id if key == NEW_MODEL_KEY else key: percent for key, percent in requested.items()}


def after_undeploy(
    current: Split, requested: Split, undeployed_id: str, remaining_ids: Collection[str]
) -> dict[str, int]:
    """The endpoint's split once `undeployed_id` is gone and `remaining_ids` remain."""
    if requested:
        _check_keys(requested, {undeployed_id, *remaining_ids}, "deployed model ids of the endpoint")
    if not remaining_ids:
        return {}
    if requested:
        if requested.get(undeployed_id, 0):
            raise InvalidArgument(
                f"traffic_split gives {requested[undeployed_id]}% to deployed model {undeployed_id}, "
                "the one being undeployed."
            )
        check_percentages(requested)
        return {key: percent for key, percent in requested.items() if key != undeployed_id}
    if current.get(undeployed_id, 0):
        raise FailedPrecondition(
            f"Deployed model {undeployed_id} still receives {current[undeployed_id]}% of the endpoint's "
            f"traffic ({_show(current)}). Undeploy it with a traffic_split that gives its share to the "
            "remaining deployed models."
        )
    return {key: percent for key, percent in current.items() if key != undeployed_id}


def replacing(requested: Split, deployed_ids: Collection[str]) -> dict[str, int]:
    """The split UpdateEndpoint sets: deployed model ids only, adding up to 100 (empty: none)."""
    _check_keys(requested, set(deployed_ids), "deployed model ids of the endpoint")
    if deployed_ids and not requested:
        raise InvalidArgument("traffic_split may only be empty when no model is deployed.")
    check_percentages(requested)
    return dict(requested)


def _check_keys(split: Split, allowed: set[str], what: str) -> None:
    unknown = sorted(set(split) - allowed)
    if unknown:
        raise InvalidArgument(
            f"traffic_split names {', '.join(repr(key) for key in unknown)}; keys must be {what}: "
            f"{', '.join(sorted(allowed))}."
        )


def _show(split: Split) -> str:
    return "{" + ", ".join(f"{key}: {percent}" for key, percent in sorted(split.items())) + "}"
