"""One clear line per problem: how what goes wrong in Vertex AI reaches the user.

Each line names the job file, the region, what the tool was doing, Vertex's status and
message, and what to do next. Two routes carry it:
- `create` and `update` record the outcome in the resource's outputs (`state`,
  `statusMessage`) and return; the program reports failed outcomes after the run
  (`providers.resources.job.report_outcomes`) and fails it. The outputs keep the message.
- `read` and `delete` must fail the call itself (a failed delete keeps the resource); they
  raise `ReportedError`.

The dynamic-provider host (pulumi.dynamic.__main__) turns any exception into a Python
traceback. A `ReportedError` is a message for a person, not a bug, so the host's
`traceback` is wrapped to show it as its one line; any other exception, a genuine bug in
the tool, keeps its full traceback.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from providers.gcp.errors import VertexError


class ReportedError(Exception):
    """A problem already said in one line for the user: shown without a traceback."""


def problem_line(props: dict[str, Any], doing: str, error: VertexError | str, advice: str = "") -> str:
    """`jobs/x.yaml: us-central1: submitting the tuning job: STATUS: message; what to do`.

    `advice` replaces the error's own where the context knows better what to do.
    """
    advice = advice or (error.advice if isinstance(error, VertexError) else "")
    return f"{props.get('job_file', 'job file')}: {props.get('region', '')}: {doing}: {error}" + (
        f"; {advice}" if advice else "")


class _ReportedErrorsInOneLine:
    """The `traceback` module as the host uses it, except for `ReportedError`."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(*args: Any, **kwargs: Any) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, ReportedError):
            return str(error)
        return traceback.format_exc(*args, **kwargs)


def show_reported_errors_in_one_line(host: Any) -> bool:
    """Wraps the dynamic-provider host's `traceback`; False if `host` is not that host."""
    if getattr(getattr(host, "__spec__", None), "name", None) != "pulumi.dynamic.__main__":
        return False
    if isinstance(getattr(host, "traceback", None), _ReportedErrorsInOneLine):
        return True
    if getattr(host, "traceback", None) is not traceback:
        return False  # a host that formats errors some other way: leave it as it is
    host.traceback = _ReportedErrorsInOneLine()
    return True


# The providers are unpickled inside the host, whose module runs as __main__.
show_reported_errors_in_one_line(sys.modules.get("__main__"))
