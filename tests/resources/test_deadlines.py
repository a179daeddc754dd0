"""A job's deadline: when it is overdue, how long it has been in its state, when it is stuck."""

from __future__ import annotations

from datetime import UTC, datetime

from providers.resources import deadlines

AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SIX_HOURS = 6 * 3600


def job(state: str, **times) -> dict:
    return {"state": state, "create_time": "2026-12-04T04:00:00+00:00", **times}


def test_an_active_job_is_overdue_once_it_has_run_longer_than_its_deadline_since_it_was_submitted():
    assert deadlines.overdue(job("RUNNING", start_time="2026-12-04T10:00:00+00:00"), SIX_HOURS, AT) == 8 * 3600
    assert deadlines.overdue(job("PENDING"), SIX_HOURS, AT) == 8 * 3600
    assert deadlines.overdue(job("RUNNING"), 9 * 3600, AT) is None
    assert deadlines.overdue(job("RUNNING"), 0, AT) is None  # no deadline


def test_a_job_that_ended_is_being_cancelled_or_was_cancelled_at_its_deadline_is_not_overdue():
    for state in ("SUCCEEDED", "FAILED", "CANCELLED", "CANCELLING", "WAITING_FOR_QUOTA"):
        assert deadlines.overdue(job(state), SIX_HOURS, AT) is None, state
    assert deadlines.overdue({**job("RUNNING"), "deadline_exceeded": {"vertex_job": "j"}}, SIX_HOURS, AT) is None


def test_the_time_in_a_state_counts_from_vertexs_own_time_for_that_state():
    assert deadlines.in_state_for(job("PENDING"), AT) == 8 * 3600
    assert deadlines.in_state_for(job("RUNNING", start_time="2026-12-04T11:00:00+00:00"), AT) == 3600
    assert deadlines.in_state_for(job("CANCELLING", update_time="2026-12-04T11:59:00+00:00"), AT) == 60
    assert deadlines.in_state_for(job("SUCCEEDED", end_time="2026-12-04T06:00:00+00:00"), AT) == 6 * 3600
    waiting = {"state": "WAITING_FOR_QUOTA", "state_since": "2026-12-04T11:30:00+00:00"}
    assert deadlines.in_state_for(waiting, AT) == 1800
    assert deadlines.in_state_for({"state": "RUNNING"}, AT) is None


def test_a_job_is_stuck_when_it_has_not_moved_for_longer_than_its_deadline_allows():
    assert deadlines.stuck(job("PENDING"), SIX_HOURS, AT)
    assert not deadlines.stuck(job("RUNNING", start_time="2026-12-04T11:00:00+00:00"), SIX_HOURS, AT)
    assert deadlines.stuck({"state": "WAITING_FOR_QUOTA", "state_since": "2026-12-04T05:00:00+00:00"}, SIX_HOURS, AT)
    assert not deadlines.stuck(job("SUCCEEDED", end_time="2026-12-01T00:00:00+00:00"), SIX_HOURS, AT)
    assert not deadlines.stuck(job("PENDING"), 0, AT)


def test_a_cancel_at_the_deadline_is_reported_in_one_line_with_the_file_region_time_and_limit():
    props = {"job_file": "jobs/triage.yaml", "region": "us-central1"}
    assert deadlines.cancelled_line(props, 7 * 3600 + 12 * 60, SIX_HOURS) == (
        "jobs/triage.yaml: us-central1: cancelled at its deadline: it ran 7h12m since it was submitted, over its "
        "maxDuration of 6h; it is not submitted again until its spec changes or `pulumi up --replace` asks for it")
