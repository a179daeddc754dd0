"""What a mistake in a job file is: the file, the stack it shows in, the field, what is wrong.

Errors stop a run before anything is submitted; warnings are shown and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One mistake (or one thing to know) in a job file, or in a stack's settings."""

    file: str
    field: str
    message: str
    severity: Severity = "error"
    stack: str = ""
    """The stack whose view of the job has the problem; "" when every stack's view has it."""

    def __str__(self) -> str:
        where = f"{self.file} (stack {self.stack})" if self.stack else self.file
        if self.field:
            where = f"{where}: {self.field}"
        return f"{where}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def in_stack(self, stack: str) -> Problem:
        return replace(self, stack=stack)


class JobFileError(Exception):
    """One or more job files are invalid; `problems` lists every mistake found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def shared_once(by_stack: dict[str, list[Problem]]) -> list[Problem]:
    """Problems found in several stacks' views of a job: once, without a stack, when every
    view has them; the others with the stack they belong to."""
    if len(by_stack) < 2:
        return [p for problems in by_stack.values() for p in problems]

    def key(p: Problem) -> tuple:
        return p.file, p.field, p.message, p.severity

    shared = set.intersection(*({key(p) for p in problems} for problems in by_stack.values()))
    once = {key(p): Problem(*key(p)) for problems in by_stack.values() for p in problems if key(p) in shared}
    return [*once.values(), *(p for problems in by_stack.values() for p in problems if key(p) not in shared)]
