"""Runs that used to be refused for Step Functions' 256 KB state (issue 12) complete in the emulator: each
Measure task stores its reports in the run's own table and returns only counts, so the state does not grow
with the invocations. Each test prints the largest state it saw; Step Functions refuses anything over 256 KB."""

import boto3
import pytest

from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy
from tests.emulator import Execution, MakeTarget, run_tuning, target_state

pytestmark = pytest.mark.slow

STATE_LIMIT_BYTES = 256 * 1024


@pytest.fixture
def stack(runtime: InProcessRuntime) -> LocalStack:
    """An operator who runs sweeps of 7,000 invocations raises the ceiling on them (5,000 by default)."""
    return deploy(parameters={"MaxRunInvocations": "10000"})


def largest_state_bytes(run: Execution) -> int:
    """The largest input or output any state of the execution had, as Step Functions measures it (UTF-8)."""
    sizes = [
        len(details[field].encode())
        for event in run.history
        for key, details in event.items()
        if key.endswith("EventDetails") and isinstance(details, dict)
        for field in ("input", "output")
        if isinstance(details.get(field), str)
    ]
    return max(sizes)


def full_history(stack: LocalStack, run: Execution) -> Execution:
    """run_tuning reads 1,000 history events; a large run has more."""
    pages = boto3.client("stepfunctions", region_name=stack.region).get_paginator("get_execution_history")
    run.history = [dict(e) for page in pages.paginate(executionArn=run.arn) for e in page["events"]]
    return run


@pytest.mark.parametrize(
    ("fields", "sizes"),
    [({"num": 100, "powerValues": "ALL"}, 46), ({"num": 1000, "powerValues": [128, 256, 512, 1024, 1536, 3008]}, 6)],
    ids=["ALL-num-100", "six-sizes-num-1000"],
)
def test_a_large_sweep_completes_with_a_small_state(
    stack: LocalStack, make_target: MakeTarget, fields: dict[str, object], sizes: int
) -> None:
    arn = make_target("bulk", "cpu-single-thread", memory_mb=1000, timeout_s=10)
    run = run_tuning(stack, {"lambdaARN": arn, **fields}, name=f"large-{sizes}", timeout_s=900)
    assert run.status == "SUCCEEDED", run.cause
    num = int(str(fields["num"]))
    measured = {c["memoryMb"]: c["invocations"] for c in run.output["candidates"]}
    assert len(measured) == sizes + 1  # and the current size, 1,000 MB, as the savings' baseline
    assert set(measured.values()) == {num}
    assert run.output["stateMachine"]["invocations"] == (sizes + 1) * num + 1  # and Plan's payload probe
    assert run.output["power"] != 1000
    largest = largest_state_bytes(full_history(stack, run))
    print(f"\n{(sizes + 1) * num} invocations on {sizes + 1} sizes: largest state {largest:,} bytes "
          f"({largest / STATE_LIMIT_BYTES:.0%} of Step Functions' 256 KB)")  # fmt: skip
    assert largest < STATE_LIMIT_BYTES / 2
    state = target_state("bulk")
    assert (state.memory_mb, state.aliases, state.versions) == (1000, {}, ["$LATEST"])
    stored = boto3.client("dynamodb").scan(TableName=stack.tables["MeasurementsTable"])["Items"]
    assert stored, "the reports were stored for the run"
    assert all(int(item["expiresAt"]["N"]) > 0 for item in stored), "and they expire"
    assert {item["executionId"]["S"] for item in stored} == {run.arn}
