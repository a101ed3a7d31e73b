"""Plan: every refusal names its field and leaves no trace; the record is opened before the lock is claimed."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from autotuner.adapters.errors import PayloadNotFoundError
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.errors import (
    BudgetExceededError,
    InvalidInputError,
    RunInProgressError,
    RunStoppedError,
    TargetNotFoundError,
)
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.inputs.ceilings import RunCeilings
from autotuner.domain.inputs.scope import STACK_ID_TAG, AssumedRole
from autotuner.domain.run.record import AliasSnapshot, Intent, RunRecord
from autotuner.workflow.cleanup import NO_CHANGE
from autotuner.workflow.plan import LOCK_MARGIN_S, PlanSettings
from tests.unit.workflow.memory_ports import (
    MemoryFunction,
    MemoryRegistry,
    MemoryRunRecords,
    function_arn,
    raising,
    steady,
)
from tests.unit.workflow.scenario import EXECUTION, SWEEP, TARGET, World

OTHER_EXECUTION = EXECUTION.replace("run-1", "run-0")
Arrange = Callable[[World], tuple[dict[str, Any], PlanSettings | None]]


def _alias_on_old_code(world: World) -> None:
    world.function.publish_version("release 8")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))
    world.function.deploy_code("code-2")


def outside_the_pattern(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return SWEEP, PlanSettings(target_arn_pattern="arn:aws:lambda:*:*:function:sandbox-*")


def in_another_account_without_a_role(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return SWEEP, PlanSettings(tuner_account="999988887777")


def a_canary_in_another_account(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    world.function.publish_version("release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))
    canary = {**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live", "canary": {}}
    return canary, PlanSettings(
        tuner_account="999988887777", target_account_role_name="autotuner-target", target_account_ids=["123456789012"]
    )


def one_of_the_tuners_own(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/tuner/1a2b"
    own = world.functions.add(MemoryFunction(function_arn("tune-Plan-1a2b"), tags={STACK_ID_TAG: stack}))
    return {**SWEEP, "lambdaARN": own.arn.unqualified}, PlanSettings(stack_id=stack)


def a_function_whose_tags_cannot_be_read(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    unreadable = world.functions.add(MemoryFunction(function_arn("untold"), tags_readable=False))
    return {**SWEEP, "lambdaARN": unreadable.arn.unqualified}, None


def missing_target(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return {**SWEEP, "lambdaARN": function_arn("nope")}, None


def invalid_num(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return {**SWEEP, "num": 2}, None


def missing_pre_processor(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return {**SWEEP, "preProcessorARN": function_arn("nope")}, None


def post_processor_elsewhere(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return {**SWEEP, "postProcessorARN": "arn:aws:lambda:eu-west-1:123456789012:function:post"}, None


def failed_function(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    world.function.latest = world.function.latest.model_copy(update={"state": "Failed"})
    return SWEEP, None


def missing_alias_in_the_arn(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return {**SWEEP, "lambdaARN": f"{TARGET}:live"}, None


def applying_to_an_alias_on_other_code(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    _alias_on_old_code(world)
    return {**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live"}, None


def rejected_payload(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    world.invoker.respond = raising("ValueError", "bad order", when=lambda call: b"bad" in call.payload)
    return {**SWEEP, "payload": {"order": "bad"}}, None


def rejected_weighted_payload(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    world.invoker.respond = raising("ValueError", "bad order", when=lambda call: b"bad" in call.payload)
    payload = [{"payload": {"order": "good"}, "weight": 3}, {"payload": {"order": "bad"}, "weight": 1}]
    return {**SWEEP, "payload": payload}, None


def missing_s3_payload(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    return {**SWEEP, "payloadS3": "s3://payloads/missing.json"}, None


def rejected_s3_payload(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    world.payloads.objects["s3://payloads/bad.json"] = {"order": "bad"}
    world.invoker.respond = raising("ValueError", "bad order", when=lambda call: b"bad" in call.payload)
    return {**SWEEP, "payloadS3": "s3://payloads/bad.json"}, None


def too_many_batches(world: World) -> tuple[dict[str, Any], PlanSettings | None]:
    world.function.latest = world.function.latest.model_copy(update={"timeout_s": 900})  # one invocation a batch
    return {**SWEEP, "num": 300}, None


@pytest.mark.parametrize(
    ("arrange", "error", "message", "invokes"),
    [
        (outside_the_pattern, InvalidInputError, r"lambdaARN: .*:function:orders is outside the functions", False),
        (in_another_account_without_a_role, InvalidInputError, r"lambdaARN: .* is in account 123456789012, not", False),
        (a_canary_in_another_account, InvalidInputError, r"canary: .* is in account 123456789012, whose alarms", False),
        (one_of_the_tuners_own, InvalidInputError, r"lambdaARN: tune-Plan-1a2b is one of this tuner's own", False),
        (a_function_whose_tags_cannot_be_read, InvalidInputError, r"lambdaARN: the tags of untold could not", False),
        (missing_target, TargetNotFoundError, r"^lambdaARN: function nope in us-east-1: not found", False),
        (invalid_num, InvalidInputError, r"num: must be at least 5 \(got 2\)", False),
        (missing_pre_processor, InvalidInputError, r"preProcessorARN: function nope in us-east-1: not found", False),
        (post_processor_elsewhere, InvalidInputError, r"postProcessorARN: .* is not in the target's account", False),
        (failed_function, InvalidInputError, r"lambdaARN: the function is in state Failed/Successful", False),
        (missing_alias_in_the_arn, InvalidInputError, r"lambdaARN: alias 'live' does not exist on orders", False),
        (applying_to_an_alias_on_other_code, InvalidInputError, r"autoOptimizeAlias: alias 'live' points to", False),
        (
            rejected_payload,
            InvalidInputError,
            r"payload: the function .* raised ValueError; the function's messages and logs are in log group "
            r"/aws/lambda/orders, request request-1$",
            True,
        ),
        (rejected_weighted_payload, InvalidInputError, r"payload\[1\]: the function .* raised ValueError", True),
        (missing_s3_payload, PayloadNotFoundError, r"payloadS3: s3://payloads/missing.json does not exist", False),
        (rejected_s3_payload, InvalidInputError, r"payloadS3: the function .* raised ValueError", True),
        (too_many_batches, InvalidInputError, r"num: this run needs 900 batches of invocations in one", False),
    ],
)
def test_a_refusal_names_its_field_and_leaves_no_trace(
    world: World, arrange: Arrange, error: type[Exception], message: str, invokes: bool
) -> None:
    tuning_input, settings = arrange(world)
    changes_before = list(world.function.changes)

    with pytest.raises(error, match=message):
        world.plan(tuning_input, settings)

    assert world.records.read(EXECUTION) is None
    assert world.registry.locks == {}
    assert world.function.changes == changes_before
    assert bool(world.invoker.calls) is invokes  # only the payload probe invokes, at the current configuration
    assert all(call.function == TARGET and call.memory_mb == 1024 for call in world.invoker.calls)


def test_plan_records_the_target_as_found_and_claims_the_lock_past_the_deadline(world: World) -> None:
    world.function.publish_version("release 8")
    world.function.update(memory_mb=1024, description="release 9, hotfix")
    world.function.publish_version("release 9")
    world.function.update(memory_mb=1024, description="release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="2", routing={"1": 0.1}))

    document = world.plan(
        {**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live"}, PlanSettings(max_run_seconds=3600)
    )

    assert document.plan is not None
    record = world.records.read(EXECUTION)
    assert record == RunRecord(
        execution_id=EXECUTION,
        run_id=document.plan.run_id,
        function=parse_function_arn(TARGET),
        original_memory_mb=1024,
        original_description="release 9",
        original_timeout_s=30,
        original_architecture=Architecture.X86_64,
        original_code_sha256="code-1",  # read back after any switch of architecture
        alias=AliasSnapshot(name="live", version="2", routing={"1": 0.1}),  # routing too, to put it back exactly
        intents=[Intent(step="plan", action="claim the run lock")],
    )
    started = datetime(2026, 11, 27, 10, tzinfo=UTC).timestamp()
    assert document.plan.measure.deadline_epoch_s == pytest.approx(started + 3600)
    [(locked, (holder, until))] = world.registry.locks.items()
    assert (locked, holder) == (TARGET, EXECUTION)
    assert until == pytest.approx(started + 3600 + LOCK_MARGIN_S)
    assert document.plan.warnings == []
    assert world.function.changes[-1] == "alias live -> 2 routing {'1': 0.1}"  # planning itself changed nothing


def test_plan_waits_for_an_update_in_progress_and_batches_by_the_target_timeout() -> None:
    world = World(function=MemoryFunction(TARGET, timeout_s=300, last_update_status="InProgress"))
    document = world.plan({**SWEEP, "powerValues": [512]})
    assert world.function.waits == 1
    assert document.plan is not None
    assert document.plan.per_batch == 2  # 600 s of worst case per Measure task, at 300 s each
    assert document.round is not None
    assert [b.invocations for b in document.round.batches if b.memory_mb == 512] == [2, 2, 1]


def test_an_alias_is_only_a_warning_when_the_run_does_not_apply(world: World) -> None:
    _alias_on_old_code(world)
    recommending = world.plan({**SWEEP, "autoOptimizeAlias": "live"})
    assert recommending.plan is not None
    assert recommending.plan.warnings == [
        "alias 'live' points to version 1, whose code differs from $LATEST; the run measures $LATEST's code"
    ]
    world.clean_up()  # the first run's lock
    creating = world.plan({**SWEEP, "autoOptimizeAlias": "next"}, execution=OTHER_EXECUTION)
    assert creating.plan is not None
    assert creating.plan.warnings == ["alias 'next' does not exist yet; applying will create it"]


def test_the_record_is_opened_before_the_lock_so_a_refused_claim_is_cleaned_up() -> None:
    records = MemoryRunRecords()

    class Witness(MemoryRegistry):
        """Reads the run record at the moment the lock is claimed."""

        seen: RunRecord | None = None

        def claim_run(self, function_arn: str, execution: str, until: float) -> str | None:
            self.seen = records.read(execution)
            return super().claim_run(function_arn, execution, until)

    registry = Witness()
    registry.claim_run(TARGET, OTHER_EXECUTION, until=float("inf"))
    world = World(records=records, registry=registry)

    in_progress = rf"lambdaARN: another tuning run of orders is in progress \({OTHER_EXECUTION}\)"
    with pytest.raises(RunInProgressError, match=in_progress):
        world.plan(SWEEP)

    assert registry.seen is not None
    assert registry.seen.intents == [Intent(step="plan", action="claim the run lock")]
    report = world.clean_up()  # the failure path: the lock of the other run is not ours to release
    assert report.skipped == NO_CHANGE
    assert registry.locks[TARGET][0] == OTHER_EXECUTION
    assert world.function.changes == []


def test_an_expired_lock_of_another_run_is_taken_over(world: World) -> None:
    world.registry.claim_run(TARGET, OTHER_EXECUTION, until=0.0)
    world.plan(SWEEP)
    assert world.registry.locks[TARGET][0] == EXECUTION


def test_a_run_stopped_while_planning_claims_nothing(world: World) -> None:
    world.clean_up()  # the janitor of the stopped execution, before Plan got to open the record
    with pytest.raises(RunStoppedError, match="stopped while planning; nothing was changed"):
        world.plan(SWEEP)
    assert world.registry.locks == {}
    assert world.function.changes == []


def _estimate(duration_ms: float) -> float:
    world = World()
    world.invoker.respond = steady(duration_ms)
    document = world.plan(SWEEP)
    assert document.plan is not None
    return document.plan.estimate.total


def test_a_budget_refused_before_probing_never_invokes_the_target(world: World) -> None:
    with pytest.raises(BudgetExceededError, match=r"budgetUsd: .* before invoking the function .* timeout of 30 s"):
        world.plan({**SWEEP, "budgetUsd": 0.000001})
    assert world.invoker.calls == []
    assert world.durations.asked == [(TARGET, 7)]
    assert world.records.read(EXECUTION) is None
    assert world.registry.locks == {}


def test_a_budget_is_checked_again_with_what_the_probe_measured(world: World) -> None:
    cheap, dear = _estimate(5.0), _estimate(5000.0)
    world.durations.max_ms = 5.0  # the recent history says the function is fast; the probe finds otherwise
    world.invoker.respond = steady(5000.0)
    budget = (cheap + dear) / 2

    after_probing = r"budgetUsd: the run is estimated at up to \$[\d.]+ \(15 invocations of 3 sizes\)"
    with pytest.raises(BudgetExceededError, match=after_probing):
        world.plan({**SWEEP, "budgetUsd": budget})
    assert len(world.invoker.calls) == 1
    assert world.records.read(EXECUTION) is None

    within = world.plan({**SWEEP, "budgetUsd": dear * 1.01}, execution=OTHER_EXECUTION)
    assert within.plan is not None
    assert within.plan.estimate.total <= dear * 1.01


def test_a_target_in_another_account_is_read_and_recorded_with_the_role_it_is_reached_through(world: World) -> None:
    settings = PlanSettings(
        tuner_account="999988887777", target_account_role_name="autotuner-target", target_account_ids=["123456789012"]
    )

    document = world.plan(SWEEP, settings)

    assert document.plan is not None
    role = AssumedRole(
        role_arn="arn:aws:iam::123456789012:role/autotuner-target",
        session_name=f"autotuner-run-{document.plan.run_id}",
    )
    assert document.plan.target_role == role
    assert world.functions.reached_through == {TARGET: role}
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.target_role == role  # what clean-up and the janitor go through
    world.functions.reached_through.clear()
    world.clean_up(again=True)
    assert world.functions.reached_through == {TARGET: role}


def test_measure_tasks_receive_the_input_payloads_encoded_once(world: World) -> None:
    document = world.plan({**SWEEP, "payload": {"order": 7}})
    assert document.plan is not None
    assert (document.plan.measure.payloads, document.plan.measure.payload_s3) == (['{"order": 7}'], None)


def test_an_s3_payload_reaches_measure_by_its_location_and_never_enters_the_state(world: World) -> None:
    world.payloads.objects["s3://payloads/secret.json"] = {"card": "4111 1111 1111 1111"}
    document = world.plan({**SWEEP, "payloadS3": "s3://payloads/secret.json"})
    assert document.plan is not None
    assert (document.plan.measure.payloads, document.plan.measure.payload_s3) == (None, "s3://payloads/secret.json")
    assert "4111" not in document.model_dump_json()


CEILINGS = PlanSettings(ceilings=RunCeilings(max_budget_usd=10.0, max_invocations=5000, allow_auto_apply=False,
                                             measure_reserved_concurrency=20))  # fmt: skip


def test_a_run_over_the_deployments_budget_ceiling_is_refused_before_the_target_is_invoked(world: World) -> None:
    tight = PlanSettings(ceilings=RunCeilings(max_budget_usd=0.000001))
    with pytest.raises(BudgetExceededError, match=r"^MaxRunBudgetUsd: the run is estimated at up to .* before invok"):
        world.plan({**SWEEP, "budgetUsd": 100.0}, tight)  # the input cannot raise it
    assert world.invoker.calls == []
    assert world.records.read(EXECUTION) is None


def test_a_run_planned_above_the_invocation_ceiling_is_refused_before_anything_is_invoked(world: World) -> None:
    with pytest.raises(InvalidInputError, match=r"MaxRunInvocations: the run would invoke the function up to 31 times"):
        world.plan({**SWEEP, "num": 10}, PlanSettings(ceilings=RunCeilings(max_invocations=30)))
    assert world.invoker.calls == []
    assert world.records.read(EXECUTION) is None


def test_within_the_ceilings_a_run_that_asked_to_apply_recommends_and_a_parallel_one_is_held_to_the_reservation(
    world: World,
) -> None:
    document = world.plan({**SWEEP, "autoOptimize": True, "parallelInvocation": True, "maxConcurrency": 40}, CEILINGS)
    assert document.plan is not None
    assert document.round is not None
    assert (document.plan.applies, document.plan.measure.max_concurrency) == (False, 20)
    assert document.round.task_concurrency <= 20
    assert [w.split(":")[0] for w in document.plan.warnings] == ["autoOptimize", "maxConcurrency"]


def test_another_architecture_is_refused_by_a_deployment_that_may_not_upload_code_before_anything_is_invoked(
    world: World,
) -> None:
    closed = PlanSettings(ceilings=RunCeilings(allow_architecture_switch=False))
    refusal = r"^invalid input: architectures: measuring arm64 .*\(its AllowArchitectureSwitch is false\)"
    with pytest.raises(InvalidInputError, match=refusal):
        world.plan({**SWEEP, "architectures": ["arm64", "x86_64"]}, closed)
    assert world.invoker.calls == []
    assert world.records.read(EXECUTION) is None
    assert world.plan({**SWEEP, "architectures": ["x86_64"]}, closed).plan is not None  # the deployed one only
