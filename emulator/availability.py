"""Which base models a project may still tune on a given day: retirement, and the month before it.

Google's model-versions page: a model's retirement date is the last day it is available;
afterwards requests naming it answer 404 NOT_FOUND. From one month before that date, new
access to it for tuning is blocked: a project that has not tuned it before is refused
(here: one with no tuning job on that model in the emulator's state). The answer is the
one Vertex gives for a model a project cannot reach (seen for generateContent; Google does
not document CreateTuningJob's): NOT_FOUND, "Publisher Model `...` was not found or your
project does not have access to it. ...".

Which day counts is the emulator's setting (`--today`, or the clock's date with
`--refuse-retired-models`); without either, every model of the table stays available, as
for a project that has used them all.
"""

from __future__ import annotations

from datetime import date

from emulator.base_models import BASE_MODELS, base_model_id, tuning_blocked_from
from emulator.errors import NotFound

__all__ = ["check_available"]

_MODEL_VERSIONS_PAGE = "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"


def check_available(base_model: str, location: str, project_number: str, day: date, *, tuned_before: bool) -> None:
    """Raise NotFound if `project_number` may not tune `base_model` in `location` on `day`.

    `tuned_before`: whether the project has tuned this model before (it keeps its access
    until the retirement date).
    """
    model_id = base_model_id(base_model)
    rules = BASE_MODELS.get(model_id)
    if rules is None:
        return
    retired = rules.retired_without_date or (rules.retires is not None and day > rules.retires)
    blocked = rules.retires is not None and day >= tuning_blocked_from(rules.retires) and not tuned_before
    if retired or blocked:
        raise NotFound(
            f"Publisher Model `projects/{project_number}/locations/{location}/publishers/google/models/{model_id}` "
            "was not found or your project does not have access to it. Please ensure you are using a valid "
            f"model version. For more information, see: {_MODEL_VERSIONS_PAGE}"
        )
