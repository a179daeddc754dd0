"""End to end: a job that runs longer than its `maxDuration` is cancelled by the next `pulumi up`,
reported once, in one line, and not submitted again until its spec changes; the plan shows each
job's deadline, and `status` how long each job has been in its state."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.e2e.test_model_catalogue import providers_command
from tests.e2e.test_tuning_jobs import flash_job, jobs_named, state_of
from tests.support.polling import wait_for
from tests.support.rpc_log import TUNING_SERVICE, RpcLog, by_method

LINE = "jobs/slow.yaml: us-central1: cancelled at its deadline: it ran "
RESUBMIT = ("over its maxDuration of 3s; it is not submitted again until its spec changes or `pulumi up --replace` "
            "asks for it")


def test_a_job_over_its_max_duration_is_cancelled_by_the_next_up_reported_once_and_not_submitted_again(
    start_emulator, make_project, tmp_path
):
    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    emulator = start_emulator(job_seconds=3600, quota=5, cancel_seconds=0, rpc_log=rpc_log.path)
    project = make_project(emulator)
    project.write_job("slow", **flash_job(maxDuration="3s"))
    project.write_job("calm", **flash_job(maxDuration="6h"))
    project.up()
    [slow] = jobs_named(emulator, "slow")
    wait_for(lambda: datetime.now(UTC) - slow.create_time, lambda ran: ran.total_seconds() > 4, timeout=30)

    planned = json.loads(providers_command(project, "plan", "--stack", "test", "--format", "json").stdout)
    rpc_log.mark()
    cancelling = project.up(check=False)
    cancelled_calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)
    rpc_log.mark()
    later = project.up(check=False)
    status = providers_command(project, "status", "--stack", "test")
    later_calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)

    # The plan says what the next up does, and every job's deadline.
    actions = {c["job"]: c for c in planned["changes"]}
    assert actions["slow"]["action"] == "cancel at its deadline"
    assert actions["slow"]["note"].startswith(f"cancels {slow.name}: it has run ")
    assert actions["calm"]["action"] == "keep" and actions["calm"]["deadline"] == "6h"
    # The up that cancels it fails with one line naming the file, the region, how long it ran and the limit.
    assert cancelling.returncode != 0
    output = cancelling.stdout + cancelling.stderr
    assert LINE in output and RESUBMIT in output and "Traceback" not in output
    assert cancelled_calls["CancelTuningJob"] == 1 and cancelled_calls["CreateTuningJob"] == 0
    assert [state_of(j) for j in jobs_named(emulator, "slow")] == ["CANCELLED"]
    assert [state_of(j) for j in jobs_named(emulator, "calm")] == ["PENDING"]
    # Reported once: the next up succeeds without the line, cancels and submits nothing.
    assert later.returncode == 0, later.stdout + later.stderr
    assert LINE not in later.stdout + later.stderr
    assert later_calls["CancelTuningJob"] == 0 and later_calls["CreateTuningJob"] == 0
    assert project.job_output("slow")["statusMessage"].startswith("cancelled at its deadline: it ran ")
    assert status.returncode == 0, status.stderr
    [slow_row] = [line for line in status.stdout.splitlines() if line.startswith("slow ")]
    assert "CANCELLED" in slow_row and "cancelled at its deadline" in slow_row

    # A new deadline is not a new job; a new spec is.
    project.write_job("slow", **flash_job(maxDuration="1h"))
    unchanged = [s["op"] for s in project.preview_steps()
                 if s["urn"].endswith("::slow-us-central1") and s["op"] not in ("refresh", "same")]
    project.write_job("slow", **flash_job(maxDuration="1h", hyperParameters={"epochCount": 3}))
    project.up()

    assert unchanged == []
    assert [state_of(j) for j in jobs_named(emulator, "slow")] == ["CANCELLED", "PENDING"]
    assert project.job_output("slow")["deadlineExceeded"] == {}
