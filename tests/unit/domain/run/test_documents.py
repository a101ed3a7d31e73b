"""The documents that flow between the workflow's states: every slot present so every JSONPath resolves, a
round's batches grouped into Measure tasks, and what the folded analysis counts."""

from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.costs.run_cost import RunCost
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.scoring import PricingContext
from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.inputs.tuning_input import Trigger, TriggerSource, parse_tuning_input
from autotuner.domain.run.documents import (
    AliasSpec,
    Analysis,
    FunctionConfiguration,
    MeasureSpec,
    Plan,
    Round,
    RunDocument,
    StepError,
)
from autotuner.domain.search.batching import Batch

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def batches(*sizes: int, invocations: int = 5) -> list[Batch]:
    return [Batch(memory_mb=m, alias=f"at-r-{m}", invocations=invocations, first_invocation=0) for m in sizes]


def test_serial_batches_run_max_concurrency_at_a_time_each_task_holding_that_many() -> None:
    planned = batches(128, 256, 512, 1024, 2048)
    measured = Round.of(planned, max_concurrency=2, parallel=False, number=3, retire=["at-r-64"])
    assert [[b.memory_mb for b in task] for task in measured.tasks] == [[128, 256], [512, 1024], [2048]]
    assert measured.task_concurrency == 1  # one task at a time: at most two invocations in flight
    assert (measured.number, measured.retire, measured.prepare) == (3, ["at-r-64"], [])
    assert measured.batches == planned
    assert measured.invocations == 25


def test_parallel_batches_are_a_task_each_the_map_running_max_concurrency() -> None:
    planned = batches(128, 256, 512, invocations=50)
    prepare = [AliasSpec(memory_mb=m, alias=f"at-r-{m}") for m in (128, 256, 512)]
    measured = Round.of(planned, max_concurrency=2, parallel=True, prepare=prepare)
    assert [[b.memory_mb for b in task] for task in measured.tasks] == [[128], [256], [512]]
    assert measured.task_concurrency == 2
    assert (measured.number, measured.prepare, measured.invocations) == (1, prepare, 150)


def test_the_analysis_counts_every_invocation_of_every_size() -> None:
    analysis = Analysis(
        candidates=[
            CandidateStats(memory_mb=512, invocations=7),
            CandidateStats(memory_mb=1024, invocations=4, failures=4, failure_reason="timed out"),
        ]
    )
    assert analysis.invocations == 11
    assert analysis.invocations_by_size() == {512: 7, 1024: 4}
    assert Analysis().invocations == 0


def test_every_slot_of_a_new_document_is_present_and_null_so_every_json_path_resolves() -> None:
    state = RunDocument().state()
    assert state == {
        "plan": None,
        "round": None,
        "analysis": Analysis().model_dump(mode="json"),
        "prepared": None,
        "measurements": None,
        "applied": None,
        "canaryCheck": None,
        "trafficCheck": None,
        "cleanup": None,
    }


def test_what_a_catch_or_a_failed_plan_adds_is_read_but_never_carried_on() -> None:
    document = RunDocument.model_validate(
        {"lambdaARN": ARN, "error": {"Error": "States.TaskFailed", "Cause": "boom"}, "cleanupError": {"Error": "X"}}
    )
    assert document.lambda_arn == ARN
    assert document.error == StepError(Error="States.TaskFailed", Cause="boom")
    assert document.cleanup_error is not None
    assert document.cleanup_error.cause == ""
    assert set(document.state()) == set(RunDocument().state())


def test_a_plan_travels_through_the_state_and_names_what_started_the_run() -> None:
    trigger = Trigger(source=TriggerSource.ALARM, alarm_name="orders-p95", threshold=1000)
    tuning = parse_tuning_input({"lambdaARN": ARN, "num": 10, "trigger": trigger.model_dump(mode="json")})
    execution = "arn:aws:states:us-east-1:123456789012:execution:tuner:abc"
    function = FunctionRef(partition="aws", region="us-east-1", account="123456789012", name="orders")
    plan = Plan(
        run_id="r-abc",
        execution_id=execution,
        tuning=tuning,
        function=function,
        original=FunctionConfiguration(function_arn=ARN, memory_mb=512, timeout_s=30),
        pricing=PricingContext(
            region="us-east-1", architecture=Architecture.X86_64, prices=prices_for_region("us-east-1")
        ),
        per_batch=20,
        applies=False,
        measure=MeasureSpec(execution_id=execution, function=function, payloads=["null"], max_concurrency=5),
        estimate=RunCost(
            target_invocations=60, target_cost=1e-4, tuner_lambda_cost=2e-5, transitions=30, transitions_cost=7.5e-4
        ),
    )
    assert plan.trigger == trigger
    state = RunDocument(plan=plan).state()
    assert state["plan"]["runId"] == "r-abc"
    assert RunDocument.model_validate(state).plan == plan


def test_a_function_read_with_only_what_every_configuration_has_takes_lambdas_defaults() -> None:
    read = FunctionConfiguration(function_arn=ARN, memory_mb=512, timeout_s=30)
    assert (read.architecture, read.ephemeral_storage_mb, read.package_type) == (Architecture.X86_64, 512, "Zip")
    assert (read.description, read.snap_start) == ("", False)
