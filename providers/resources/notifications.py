"""Notifications: one message per change a run sees, to the stack's webhooks, never twice.

`StackNotifications` is one resource per stack, declared by every run after the jobs: its
inputs are the webhooks (`gemini-tuning:notify`, a secret) and one `events.Observation` per
job and region, made from its resources' outputs, so its `update` runs once they have all
acted. Its outputs are the ledger of what it told:
- `seen`: per job and region, the keys of the events already told (or recorded);
- `served`: per job and region, the models announced as served, to tell a rollback;
- `pending`: per webhook (by `webhook_id`, never the URL), messages not delivered yet.

Each run works out the events its observations show (`events.events`), keeps those whose
key is not in the ledger, queues each for every webhook, and posts what is queued. A
webhook that fails (an HTTP error, no answer in 10 s) keeps its messages queued for the next
run, and the run goes on: the outputs' `undelivered` holds one line per such webhook, which
the program shows as a warning (the update never fails for it). The rest of a webhook's
queue waits after its first failure, and what the call's time budget leaves unsent waits too.

Exactly once, and what is left of it. Pulumi saves a resource's outputs when its `update`
returns, so the ledger is as durable as the stack's state: a run killed before this update
tells everything on the next run; a run killed after it tells nothing twice. A run killed
while this update posts may have delivered some messages whose record it never saved, and
the next run sends those again: the window is the seconds this update spends posting
(webhooks have no idempotency key to close it), and nothing is ever lost.

What is told, and from when:
- a stack without webhooks keeps no ledger: its runs change nothing here (previews stay
  quiet, `--expect-no-changes` holds); with webhooks, a preview in which nothing changes is
  quiet too, and one in which a job's resources change (its observation unknown until they
  run) shows this resource changing;
- the run that first has webhooks records what its observations show without telling it:
  the changes from then on are told (a stack does not announce its history);
- a stack's first run with this resource does the same for jobs an earlier release
  submitted (those without the tuning job's `tracked_since`), while the events of jobs this
  release tracks are told, also when a killed run had submitted them before this resource
  existed;
- a webhook added to others gets the changes from then on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from providers.gcp.budget import Budget
from providers.resources.events import Observation, events
from providers.webhooks.post import TIMEOUT_SECONDS, WebhookError, described, post, webhook_id

MAX_KEYS_PER_PLACE = 50
"""Keys kept per job and region: far more than the events one version of a job can have."""
_ONE_POST_AT_LEAST = 2.0
"""Less time than this left in the call's budget: stop posting; the rest waits for the next run."""


@dataclass
class Ledger:
    """What a stack's notifications have told, and what waits to be delivered (see the module docstring)."""

    seen: dict[str, list[str]] = field(default_factory=dict)
    served: dict[str, list[str]] = field(default_factory=dict)
    pending: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def from_output(cls, value: Any) -> Ledger:
        value = value if isinstance(value, dict) else {}
        return cls({k: list(v) for k, v in (value.get("seen") or {}).items()},
                   {k: list(v) for k, v in (value.get("served") or {}).items()},
                   {k: [dict(m) for m in v] for k, v in (value.get("pending") or {}).items()})

    def as_output(self) -> dict[str, Any]:
        return {"seen": self.seen, "served": self.served, "pending": self.pending}


def record(ledger: Ledger, observations: list[Observation], stack: str, webhook_ids: list[str],
           *, told: Callable[[Observation], bool] = lambda _: True) -> Ledger:
    """The ledger after this run's observations: new events recorded, and queued for every
    webhook where `told(observation)` (the others are only recorded). Queues of webhooks no
    longer configured are dropped; places no longer declared forgotten."""
    seen = {place: list(keys) for place, keys in ledger.seen.items()}
    served = {place: list(models) for place, models in ledger.served.items()}
    pending = {wid: list(ledger.pending.get(wid, [])) for wid in webhook_ids}
    for observation in sorted(observations, key=lambda o: o.place):
        place = observation.place
        for event in events(observation, stack, served.get(place, [])):
            if event.key in seen.get(place, []):
                continue
            seen.setdefault(place, []).append(event.key)
            if event.serving_model:
                served.setdefault(place, []).append(event.serving_model)
            if not told(observation):
                continue
            for queue in pending.values():
                queue.append({"key": event.key, "text": event.text})
    declared = {o.place for o in observations}
    return Ledger({p: keys[-MAX_KEYS_PER_PLACE:] for p, keys in seen.items() if p in declared},
                  {p: models[-MAX_KEYS_PER_PLACE:] for p, models in served.items() if p in declared},
                  pending)


@dataclass(frozen=True)
class Delivery:
    ledger: Ledger
    delivered: int
    undelivered: list[str]
    """One line per webhook that failed this run."""


def deliver(ledger: Ledger, webhooks: list[str], budget: Budget) -> Delivery:
    """Posts every queued message, webhook by webhook, within `budget`; what fails stays queued."""
    pending = {wid: list(queue) for wid, queue in ledger.pending.items()}
    delivered, undelivered = 0, []
    for index, url in enumerate(webhooks):
        queue = pending.get(webhook_id(url), [])
        while queue:
            if budget.remaining() < _ONE_POST_AT_LEAST:
                break
            try:
                post(url, queue[0]["text"], timeout=min(TIMEOUT_SECONDS, budget.remaining() - 1))
            except WebhookError as exc:
                undelivered.append(f"notify: {described(url, index)}: {exc}; {len(queue)} message(s) kept for the "
                                   "next run")
                break
            queue.pop(0)
            delivered += 1
    return Delivery(Ledger(ledger.seen, ledger.served, pending), delivered, undelivered)


class StackNotificationsProvider(ResourceProvider):
    """Posts each change once (see the module docstring); reads nothing, deletes nothing."""

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if not _ids(news):
            return DiffResult(changes=bool(olds.get("webhook_ids")), replaces=[], stables=[])
        if not _all_known(news):
            # A preview in which a job's resources change: what they will show is known only
            # once they have run, so there may be something to tell.
            return DiffResult(changes=True, replaces=[], stables=[])
        ledger = Ledger.from_output(olds.get("ledger"))
        after = record(ledger, _observations(news), news["stack"], _ids(news))
        changed = after != ledger or any(after.pending.values()) or olds.get("webhook_ids") != _ids(news)
        return DiffResult(changes=changed, replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Jobs an earlier release submitted: their history is not news.
        return CreateResult(f"{props['stack']}/notifications",
                            _run(Ledger(), props, told=lambda observation: bool(observation.tracked_since)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ledger = Ledger.from_output(olds.get("ledger"))
        if not olds.get("webhook_ids"):
            # The first run with webhooks: what is there now is the stack's history, not news.
            return UpdateResult(_run(ledger, news, told=lambda _: False))
        return UpdateResult(_run(ledger, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)


def _all_known(props: dict[str, Any]) -> bool:
    observations = props.get("observations") or []
    return isinstance(observations, list) and all(isinstance(o, dict) for o in observations)


def _observations(props: dict[str, Any]) -> list[Observation]:
    return [Observation.from_input(o) for o in props.get("observations") or []]


def _webhooks(props: dict[str, Any]) -> list[str]:
    return [url for url in props.get("webhooks") or [] if isinstance(url, str)]


def _ids(props: dict[str, Any]) -> list[str]:
    return [webhook_id(url) for url in _webhooks(props)]


def _run(ledger: Ledger, props: dict[str, Any],
         told: Callable[[Observation], bool] = lambda _: True) -> dict[str, Any]:
    """The outputs after recording this run's events and posting what is queued. The
    webhooks' URLs are not among them: the ledger names webhooks by id. Without webhooks
    nothing is recorded."""
    ids = _ids(props)
    if not ids:
        return {"stack": props["stack"], "ledger": Ledger().as_output(), "webhook_ids": [], "delivered": 0,
                "undelivered": []}
    recorded = record(ledger, _observations(props), props["stack"], ids, told=told)
    delivery = deliver(recorded, _webhooks(props), Budget())
    return {"stack": props["stack"], "ledger": delivery.ledger.as_output(), "webhook_ids": ids,
            "delivered": delivery.delivered, "undelivered": delivery.undelivered}


class StackNotifications(Resource, module="gemini-tuning", name="StackNotifications"):
    """The stack's notifications (see the module docstring)."""

    undelivered: pulumi.Output[list]
    delivered: pulumi.Output[int]

    def __init__(self, stack: str, *, webhooks: pulumi.Input[list], observations: list[pulumi.Input[dict]],
                 opts: pulumi.ResourceOptions | None = None):
        """`webhooks`: the URLs, as a secret Output (they are kept encrypted in the state and
        never in the outputs); `observations`: one `events.Observation` (as a dict) per job and region."""
        props = {"stack": stack, "webhooks": webhooks, "observations": observations,
                 "ledger": None, "webhook_ids": None, "delivered": None, "undelivered": None}
        super().__init__(StackNotificationsProvider(), "stack-notifications", props,
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                             additional_secret_outputs=["webhooks"])))
