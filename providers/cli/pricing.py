"""The tuning price table (`prices.yaml`): what a plan multiplies its token estimates by."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PRICES_FILE = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class PriceTable:
    source: str
    checked: str
    currency: str
    per_million_training_tokens: dict[str, float]

    def cost(self, model: str, training_tokens: int) -> float | None:
        """The estimated cost of tuning on `training_tokens`; None when the model has no price."""
        price = self.per_million_training_tokens.get(model)
        return None if price is None else price * training_tokens / 1_000_000


@cache
def price_table() -> PriceTable:
    data = yaml.safe_load(PRICES_FILE.read_text(encoding="utf-8"))
    return PriceTable(source=data["source"], checked=str(data["checked"]), currency=data["currency"],
                      per_million_training_tokens={k: float(v) for k, v in data["per_million_training_tokens"].items()})
