"""How a serving endpoint moves traffic to a newly tuned model, one Vertex call at a time."""

from __future__ import annotations

import pytest

from providers.resources.traffic import Deploy, SetTraffic, Undeploy, next_step

OLD, NEW = "models/old@1", "models/new@1"


@pytest.mark.parametrize(
    ("deployed", "split", "desired", "canary", "expected"),
    [
        # nothing tuned yet, or a new version still training: leave traffic where it is
        ({}, {}, "", 0, None),
        ({"1": OLD}, {"1": 100}, "", 0, None),
        # first model: all traffic, canary or not
        ({}, {}, NEW, 0, Deploy(NEW, {"0": 100})),
        ({}, {}, NEW, 10, Deploy(NEW, {"0": 100})),
        # a new model replaces the old one at once ...
        ({"1": OLD}, {"1": 100}, NEW, 0, Deploy(NEW, {"0": 100, "1": 0})),
        # ... and the old one leaves once it has no traffic
        ({"1": OLD, "2": NEW}, {"1": 0, "2": 100}, NEW, 0, Undeploy("1", {"2": 100})),
        # a canary takes its share and the old model keeps the rest
        ({"1": OLD}, {"1": 100}, NEW, 10, Deploy(NEW, {"0": 10, "1": 90})),
        ({"1": OLD, "2": NEW}, {"1": 90, "2": 10}, NEW, 10, None),
        # the canary share changed in the job file: traffic moves, nothing is redeployed
        ({"1": OLD, "2": NEW}, {"1": 90, "2": 10}, NEW, 30, SetTraffic({"2": 30, "1": 70})),
        # a canary deployed with no traffic at all gets its share
        ({"1": OLD, "2": NEW}, {"1": 100, "2": 0}, NEW, 10, SetTraffic({"2": 10, "1": 90})),
        # promotion (canary removed from the job file): the old model leaves with its traffic
        ({"1": OLD, "2": NEW}, {"1": 90, "2": 10}, NEW, 0, Undeploy("1", {"2": 100})),
        # served already
        ({"2": NEW}, {"2": 100}, NEW, 0, None),
        ({"2": NEW}, {"2": 100}, NEW, 10, None),
    ],
)
def test_next_step(deployed, split, desired, canary, expected):
    assert next_step(deployed, split, desired, canary) == expected


def test_a_third_model_during_a_canary_keeps_the_stable_model_and_drops_the_canary():
    step = next_step({"1": OLD, "2": "models/canary@1"}, {"1": 90, "2": 10}, NEW, 10)
    assert step == Deploy(NEW, {"0": 10, "1": 90, "2": 0})


def test_every_split_it_asks_for_sums_to_100():
    cases = [({"1": OLD}, {"1": 100}, NEW, c) for c in range(0, 100)]
    for deployed, split, desired, canary in cases:
        assert sum(next_step(deployed, split, desired, canary).traffic_split.values()) == 100
