"""The Plan handler: the tuning input and the deployment's settings in, the run's document out (every slot the
later states read present), or a refusal named by field before anything is invoked or changed."""

from datetime import datetime

import pytest

from autotuner.domain.errors import InvalidInputError, RunInProgressError
from autotuner.handlers import plan
from autotuner.handlers.observability import UnreadableDocumentError
from autotuner.handlers.settings import MisconfiguredFunctionError
from tests.unit.handlers.conftest import RUNS_TABLE, STACK_ID, STARTED_AT, Deployment, TunerRun, emitted_metrics
from tests.unit.handlers.states import TUNER, retried_errors
from tests.unit.workflow.memory_ports import MemoryFunction, function_arn
from tests.unit.workflow.scenario import EXECUTION, SWEEP, TARGET


def test_plan_returns_every_slot_of_the_run_document_with_the_deployment_settings_applied(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run.task("Plan", {"input": {"lambdaARN": TARGET, "num": 5}})

    assert set(document) == {
        "plan",
        "round",
        "analysis",
        "prepared",
        "measurements",
        "applied",
        "canaryCheck",
        "trafficCheck",
        "cleanup",
    }
    slots = ("prepared", "measurements", "applied", "canaryCheck", "trafficCheck", "cleanup")
    assert [document[slot] for slot in slots] == [None] * 6
    planned = document["plan"]
    assert (planned["executionId"], planned["startedAt"]) == (EXECUTION, STARTED_AT)
    started = datetime.fromisoformat(STARTED_AT).timestamp()
    assert planned["measure"]["deadlineEpochS"] == started + 3600, "MAX_RUN_SECONDS from the start of the execution"
    assert planned["tuner"] == {"memoryMb": 256, "architecture": "arm64"}
    batches = [batch for task in document["round"]["tasks"] for batch in task]
    assert sorted({b["memoryMb"] for b in batches}) == [128, 256, 512, 1024], "POWER_VALUES"
    assert (len(document["round"]["tasks"]), document["round"]["taskConcurrency"]) == (1, 1), "four at once, in one"
    assert deployment.invokers == [("us-east-1", 200.0)]
    assert deployment.world.records.read(EXECUTION) is not None, f"the run record, in {RUNS_TABLE}"
    assert deployment.world.registry.locks[TARGET][0] == EXECUTION
    planned_invocations = sum(b["invocations"] for b in batches)
    assert emitted_metrics(capsys.readouterr().out) == {"PlannedInvocations": planned_invocations}


@pytest.mark.parametrize(
    ("tuning_input", "variable", "problem"),
    [
        ({**SWEEP, "num": 2}, None, "num: must be at least 5 (got 2)"),
        (SWEEP, ("TARGET_FUNCTION_ARN_PATTERN", "arn:aws:lambda:us-east-1:123456789012:function:billing-*"),
         "lambdaARN: arn:aws:lambda:us-east-1:123456789012:function:orders is outside the functions this deployment"),
        ({**SWEEP, "powerValues": [256, 4096]}, ("MAX_MEMORY_MB", "3008"),
         "powerValues[1]: 4096 MB is outside 128-3008 MB"),
    ],
    ids=["bad-num", "outside-pattern", "above-max-memory"],
)  # fmt: skip
def test_a_refused_input_is_an_invalid_input_error_and_nothing_is_invoked_or_recorded(
    run: TunerRun,
    monkeypatch: pytest.MonkeyPatch,
    tuning_input: dict[str, object],
    variable: tuple[str, str] | None,
    problem: str,
) -> None:
    if variable is not None:
        monkeypatch.setenv(*variable)
    with pytest.raises(InvalidInputError) as raised:
        run.task("Plan", {"input": tuning_input})
    assert problem in str(raised.value)
    assert "InvalidInputError" not in retried_errors(TUNER["Plan"]), "a refusal is not retried: it is reported"
    assert run.deployment.world.invoker.calls == []
    assert run.deployment.world.records.read(EXECUTION) is None


def test_one_of_the_stacks_own_functions_is_refused_by_the_stack_id_cloudformation_tagged_it_with(
    deployment: Deployment, run: TunerRun
) -> None:
    own = function_arn("autotuner-ReportFailureFu-1A2B")  # shortened by CloudFormation: no name tells it
    deployment.world.functions.add(MemoryFunction(own, tags={"aws:cloudformation:stack-id": STACK_ID}))
    with pytest.raises(InvalidInputError, match="lambdaARN: autotuner-ReportFailureFu-1A2B is one of this tuner's own"):
        run.task("Plan", {"input": {**SWEEP, "lambdaARN": own}})
    assert run.deployment.world.invoker.calls == []
    assert run.deployment.world.records.read(EXECUTION) is None


def test_a_second_run_of_a_function_is_refused_while_the_first_holds_its_lock(
    deployment: Deployment, run: TunerRun
) -> None:
    deployment.world.registry.claim_run(TARGET, "arn:aws:states:us-east-1:123456789012:execution:t:first", 4e9)
    with pytest.raises(RunInProgressError, match="another tuning run of orders is in progress"):
        run.task("Plan", {"input": SWEEP})


def test_a_missing_variable_fails_the_first_invocation_naming_it(
    deployment: Deployment, run: TunerRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAX_RUN_SECONDS")
    with pytest.raises(MisconfiguredFunctionError, match="PlanFunctionSettings: MAX_RUN_SECONDS: Field required"):
        run.task("Plan", {"input": SWEEP})
    assert deployment.world.invoker.calls == []


def test_an_event_without_the_execution_id_is_unreadable(deployment: Deployment) -> None:
    with pytest.raises(UnreadableDocumentError, match="executionId: Field required"):
        deployment.call(plan.handler, {"input": SWEEP})
