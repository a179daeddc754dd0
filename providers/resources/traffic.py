"""Traffic planning for an endpoint: pure functions from what is deployed to the next change.

`next_step` says the one change (deploy, undeploy, move traffic) that brings an endpoint
closer to serving the desired model; `split_without` is the one rule for where the
traffic of a model being removed goes. Nothing here calls Vertex AI.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.gcp.names import same_resource


@dataclass(frozen=True)
class Deploy:
    model: str
    traffic_split: dict[str, int]
    """Key "0" is the model being deployed."""


@dataclass(frozen=True)
class Undeploy:
    deployed_model_id: str
    traffic_split: dict[str, int]
    """The split of the models that remain."""


@dataclass(frozen=True)
class SetTraffic:
    traffic_split: dict[str, int]
    """The whole new split of the deployed models."""


def next_step(deployed: dict[str, str], split: dict[str, int], desired: str,
              canary_percent: int) -> Deploy | Undeploy | SetTraffic | None:
    """The one change that moves the endpoint toward serving `desired`; None when it does.

    `deployed` maps deployed-model ids to models, `split` ids to traffic shares.
    """
    if not desired:
        return None
    new_ids = [i for i, model in deployed.items() if same_resource(model, desired)]
    if not new_ids:
        others = list(deployed)
        if not others:
            return Deploy(desired, {"0": 100})
        if canary_percent:
            return Deploy(desired, _canary_split("0", others, split, canary_percent))
        return Deploy(desired, {"0": 100, **{i: 0 for i in others}})
    # Deployed twice (a deploy whose answer was lost, then tried again): the copy with
    # less traffic goes like any other model.
    new_id = max(new_ids, key=lambda i: split.get(i, 0))
    others = [i for i in deployed if i != new_id]
    idle = [i for i in others if split.get(i, 0) == 0]
    if idle:
        return Undeploy(idle[0], split_without(split, idle[0]))
    if others and not canary_percent:
        return Undeploy(others[0], split_without(split, others[0], heir=new_id))
    if others and split.get(new_id, 0) != canary_percent:
        # The canary share was changed in the job file while the canary runs.
        return SetTraffic(_canary_split(new_id, others, split, canary_percent))
    return None


def _canary_split(new_key: str, others: list[str], split: dict[str, int],
                  canary_percent: int) -> dict[str, int]:
    """The canary share to `new_key`, the rest to the old model with the most traffic."""
    stable = max(others, key=lambda i: split.get(i, 0))
    return {new_key: canary_percent, stable: 100 - canary_percent,
            **{i: 0 for i in others if i != stable}}


def split_without(split: dict[str, int], removed: str, heir: str | None = None) -> dict[str, int]:
    """`split` without `removed`, its share given to `heir` (default: the one with the most).

    The remaining shares keep summing to 100, as Vertex requires; removing the last model
    leaves an empty split.
    """
    remaining = {i: share for i, share in split.items() if i != removed}
    if not remaining:
        return {}
    heir = heir if heir in remaining else max(remaining, key=remaining.get)
    return {**remaining, heir: remaining[heir] + 100 - sum(remaining.values())}
