"""The dynamic-provider host's error text: a reported problem in its one line, a bug with its traceback.

The host (`python -m pulumi.dynamic`) answers a provider's exception with
`traceback.format_exc()`; tests/e2e/test_faults.py shows the one-line form through the
real host. Here: the same module, run as that host's `__main__` is, without Pulumi.
"""

from __future__ import annotations

import importlib.util
import traceback
import types

import pytest

from providers.resources.reporting import ReportedError, show_reported_errors_in_one_line


@pytest.fixture
def host() -> types.ModuleType:
    """A module standing where the host's __main__ stands: named by its spec, using `traceback`."""
    module = types.ModuleType("__main__")
    module.__spec__ = importlib.util.spec_from_loader("pulumi.dynamic.__main__", loader=None)
    module.traceback = traceback
    return module


def answer(host: types.ModuleType, error: Exception) -> str:
    """What the host sends Pulumi for `error` (see pulumi.dynamic.__main__._abort_with_traceback)."""
    try:
        raise error
    except Exception:
        return host.traceback.format_exc()


def test_a_reported_problem_is_its_one_line_and_a_bug_keeps_its_traceback(host):
    assert show_reported_errors_in_one_line(host) is True

    assert answer(host, ReportedError("jobs/a.yaml: us-central1: reading the tuning job: ...")) == (
        "jobs/a.yaml: us-central1: reading the tuning job: ...")
    bug = answer(host, KeyError("spec_hash"))
    assert bug.startswith("Traceback (most recent call last):") and bug.rstrip().endswith("KeyError: 'spec_hash'")


def test_only_the_host_is_changed_and_only_once(host):
    elsewhere = types.ModuleType("__main__")
    elsewhere.traceback = traceback

    assert show_reported_errors_in_one_line(elsewhere) is False
    assert elsewhere.traceback is traceback
    assert show_reported_errors_in_one_line(host) and show_reported_errors_in_one_line(host)
    assert answer(host, ReportedError("one line")) == "one line"
