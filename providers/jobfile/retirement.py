"""When a base model retires, and what that means for a job on it, as of today.

Today is the clock's date (UTC), or `GEMINI_TUNING_TODAY=YYYY-MM-DD` (tests, rehearsals).
Google's model-versions page: the retirement date is the last day a model is available
(dates may be extended, never moved earlier); one month before it, new access to the
model is blocked for online and batch inference and for tuning; after it, requests naming
the model answer 404. A tuned model shares its base model's retirement date.

So, for a job on a model:
- within `WARNING_DAYS` of the date: a warning with the date and the successor
  (`validate`, `plan`, `preview`); from one month before, it says that Google blocks new
  access for tuning. Whether this project had access before is Vertex's to know, not the
  tool's: Vertex decides, and its answer reaches the user with the job file named;
- after the date: the job file stays valid and a job already submitted stays tracked (a
  warning), but a new submission (a first submit, or a replace) is refused before
  anything is sent (`submission_refusal`, used by the tuning-job provider and the plan).
"""

from __future__ import annotations

import calendar
import os
from datetime import UTC, date, datetime

from providers.jobfile.catalogue import ModelRules
from providers.jobfile.problems import JobFileError, Problem

TODAY_VARIABLE = "GEMINI_TUNING_TODAY"
WARNING_DAYS = 60
"""How long before a retirement date a job on the model is warned."""


def today() -> date:
    """The clock's date (UTC), or GEMINI_TUNING_TODAY's; JobFileError naming the variable if it is not a date."""
    value = os.environ.get(TODAY_VARIABLE, "")
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise JobFileError([Problem(TODAY_VARIABLE, "", f"{value!r} is not a date: write YYYY-MM-DD, "
                                    "or unset it to use the clock")]) from None


def tuning_blocked_from(retires: date) -> date:
    """One month before the retirement date: Google blocks new access for tuning from then."""
    year, month = (retires.year, retires.month - 1) if retires.month > 1 else (retires.year - 1, 12)
    return date(year, month, min(retires.day, calendar.monthrange(year, month)[1]))


def is_retired(rules: ModelRules, on: date) -> bool:
    return rules.retires == "retired" or (isinstance(rules.retires, date) and on > rules.retires)


def warning(model: str, rules: ModelRules, on: date) -> str | None:
    """What a job file on `model` is warned of on day `on`; None when there is nothing to say."""
    retires = rules.retires
    if is_retired(rules, on):
        return (f"{model} {_retired_on(rules)}: a job already submitted on it stays tracked, but a new "
                f"submission (a first submit, an edit that replaces the job, or --replace) is refused, "
                f"and its tuned models stopped serving with it. Move the job to {_successor(rules)}.")
    if not isinstance(retires, date) or (retires - on).days > WARNING_DAYS:
        return None
    blocked = tuning_blocked_from(retires)
    block = (f"since {blocked} Google blocks new access to it for tuning (a project that has not tuned it "
             "before is refused)" if on >= blocked else
             f"from {blocked} Google blocks new access to it for tuning")
    return (f"{model} retires on {retires} (in {(retires - on).days} days): {block}, and its tuned models "
            f"stop serving with it. Move the job to {_successor(rules)}.")


def submission_refusal(model: str, rules: ModelRules, on: date) -> str | None:
    """Why a new submission on `model` is refused on day `on`; None when it may go ahead."""
    if not is_retired(rules, on):
        return None
    return (f"{model} {_retired_on(rules)}: Vertex AI takes no new tuning jobs on it, so this new "
            f"submission (a first submit or a replace) is refused before anything is sent. Move the "
            f"job to {_successor(rules)}.")


def retirement_text(rules: ModelRules, on: date) -> str:
    """A row's retirement in a few words, for tables: "retired 2026-10-20", "retires 2027-05-19"."""
    if rules.retires == "retired":
        return "retired, date not published"
    if rules.retires is None:
        return "no retirement date announced"
    return f"{'retired' if is_retired(rules, on) else 'retires'} {rules.retires}"


def _retired_on(rules: ModelRules) -> str:
    return "is retired (Google gives no date)" if rules.retires == "retired" else f"retired on {rules.retires}"


def _successor(rules: ModelRules) -> str:
    return rules.successor or "a current model"
