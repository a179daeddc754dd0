"""The tuning price table: what a training token costs, per base model, as data.

The tool's rows are `prices.yaml` beside this module, each with its sources and the date it
was checked. A job repository may keep a `prices.yaml` at its root in the same shape, as it
keeps `models.yaml` for the catalogue: a row there adds a model's price, or overrides the
tool's (with its own `sources` and `checked`), so a price Google publishes next month, or a
contract's, needs no release. Every row knows the file it came from.

Training tokens are the data set's tokens times the epochs (Google's pricing section of
"About supervised fine-tuning for Gemini models"). Prices are US dollars: budgets
(`maxEstimatedCost`) are written in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml
from pydantic import Field

from providers.jobfile.catalogue import Day, StrictRow, merge_repository_rows
from providers.jobfile.problems import Problem

TOOL_FILE = Path(__file__).with_name("prices.yaml")
TOOL_FILE_SHOWN = "providers/jobfile/prices.yaml"
REPOSITORY_FILE = "prices.yaml"
"""The job repository's own prices, at its root."""
CURRENCY = "USD"


class ModelPrice(StrictRow):
    """One row of the price table: what tuning one model costs, and where that is written."""

    per_million_training_tokens: float = Field(gt=0)
    """US dollars per 1,000,000 training tokens (data set tokens x epochs)."""
    sources: list[str] = Field(min_length=1)
    checked: Day
    notes: str = ""


class _ToolFile(StrictRow):
    models: dict[str, ModelPrice]


@dataclass(frozen=True)
class PriceTable:
    """Every price the tool knows, with the file each row came from."""

    prices: Mapping[str, ModelPrice]
    origins: Mapping[str, str]
    problems: tuple[Problem, ...] = field(default=())
    """Mistakes in the repository's prices.yaml (its broken rows are left out)."""
    currency: str = CURRENCY

    def price(self, model: str) -> ModelPrice | None:
        return self.prices.get(model)

    def cost(self, model: str, training_tokens: int) -> float | None:
        """What `training_tokens` cost on `model`; None when the model has no price."""
        price = self.prices.get(model)
        return None if price is None else price.per_million_training_tokens * training_tokens / 1_000_000

    def billed(self, model: str, billable_tokens: float | None, epochs: float | None) -> tuple[int | None, float | None]:
        """What a job billed: Vertex's billable tokens (one pass over the training data set) times
        the epochs, and what they cost; None for what Vertex has not reported (or no price)."""
        if not billable_tokens or not epochs:
            return None, None
        training = int(billable_tokens) * int(epochs)
        cost = self.cost(model, training)
        return training, None if cost is None else round(cost, 2)

    def source(self, model: str) -> str:
        """Where `model`'s price comes from, for a person: `$5.00 per 1M training tokens
        (providers/jobfile/prices.yaml, checked 2026-11-29)`; "" without a price."""
        price = self.prices.get(model)
        if price is None:
            return ""
        return (f"${price.per_million_training_tokens:,.2f} per 1M training tokens "
                f"({self.origins[model]}, checked {price.checked})")


@cache
def tool_prices() -> PriceTable:
    """The tool's own rows (`prices.yaml` beside this module); a mistake there is a bug and raises."""
    parsed = _ToolFile.model_validate(yaml.safe_load(TOOL_FILE.read_text(encoding="utf-8")))
    return PriceTable(MappingProxyType(dict(parsed.models)),
                      MappingProxyType(dict.fromkeys(parsed.models, TOOL_FILE_SHOWN)))


def load_prices(root: Path) -> PriceTable:
    """The tool's prices with the repository's `prices.yaml` (at `root`) merged in, if there is one.

    Broken rows are left out and reported in `problems`, naming prices.yaml and the field.
    """
    table = tool_prices()
    merged = merge_repository_rows(Path(root) / REPOSITORY_FILE, table.prices, table.origins, ModelPrice,
                                   "a model's price", 'see the README, "Budgets"')
    if merged is None:
        return table
    prices, origins, problems = merged
    return PriceTable(MappingProxyType(prices), MappingProxyType(origins), tuple(problems))
