"""Each workflow step against moto, for the behaviours the end-to-end runs cannot reach easily."""

import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto.awslambda.exceptions import LambdaClientError

from autotuner.adapters.errors import AwsError
from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.run_records import RunRecords
from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.inputs.scope import AssumedRole
from autotuner.domain.run.documents import CleanupReport, Plan, RunDocument
from autotuner.domain.run.naming import alias_name, version_description
from autotuner.domain.run.record import NO_RECORD
from autotuner.domain.search.batching import Batch
from autotuner.workflow.apply import ApplyRequest, apply_choice
from autotuner.workflow.cleanup import clean_up_run
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.invocation import ProcessorFailedError
from autotuner.workflow.measure import RunTimedOutError, measure_batch
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner.workflow.prepare import PrepareRequest, prepare_round
from autotuner_local.naming import generated_name
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from tests.emulator import MakeTarget, failing, target_state

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tuner:run-1"
# The template's RunsTable, as CloudFormation (and the local stack) names it.
RUNS_TABLE = generated_name("lambda-autotuner", "RunsTable", region="us-east-1", limit=255)


@pytest.fixture(autouse=True)
def _deployed(stack: LocalStack) -> None:
    """The stack's tables (run records, profiles) exist; the steps are called directly, not through it."""


def records() -> RunRecords:
    return RunRecords(RUNS_TABLE)


def guard(run: Plan) -> ChangeGuard:
    return ChangeGuard(
        records(), run.execution_id, undo=lambda: clean_up_run(run.execution_id, records(), functions, None, again=True)
    )


def clean_up(run: Plan, *, again: bool = False) -> CleanupReport:
    return clean_up_run(run.execution_id, records(), functions, None, again=again)


def functions(arn: FunctionRef, through: AssumedRole | None = None) -> LambdaFunction:
    return LambdaFunction(arn, through=through, sleep=lambda _: None)


def plan(tuning_input: dict[str, Any], settings: PlanSettings | None = None, execution: str = "run-1") -> RunDocument:
    return plan_run(
        PlanRequest(
            input=tuning_input,
            execution_id=EXECUTION.replace("run-1", execution),
            started_at="2026-11-27T10:00:00+00:00",
        ),
        settings or PlanSettings(),
        function_for=functions,
        invoker_for=lambda region, through: LambdaInvoker(region, through=through, sleep=lambda _: None),
        payloads=S3PayloadSource(),
        records=records(),
    )


def planned(document: RunDocument) -> Plan:
    assert document.plan is not None
    return document.plan


def control(arn: str) -> LambdaFunction:
    return functions(parse_function_arn(arn))


def test_plan_refuses_functions_outside_the_allowed_pattern(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    arn = make_target("billing-core")
    settings = PlanSettings(target_arn_pattern="arn:aws:lambda:*:*:function:sandbox-*")
    with pytest.raises(InvalidInputError, match=r"lambdaARN: .*billing-core is outside the functions this deployment"):
        plan({"lambdaARN": arn}, settings)
    assert runtime.targets_invoked("billing-core") == []


def test_plan_refuses_to_apply_to_an_alias_that_runs_other_code(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("api")
    client = boto3.client("lambda")
    old = client.publish_version(FunctionName="api")["Version"]
    client.create_alias(FunctionName="api", Name="live", FunctionVersion=old)
    client.update_function_code(FunctionName="api", ZipFile=b"PK\x05\x06" + b"\x00" * 18)  # new code on $LATEST

    with pytest.raises(InvalidInputError, match="alias 'live' points to version 1, whose code differs from \\$LATEST"):
        plan({"lambdaARN": arn, "autoOptimize": True, "autoOptimizeAlias": "live"})
    recommended = planned(plan({"lambdaARN": arn, "autoOptimizeAlias": "live"}))
    assert recommended.warnings
    assert "whose code differs" in recommended.warnings[0]


def test_plan_checks_processors_and_reads_payloads_from_s3(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    arn = make_target("f", "io-bound")
    with pytest.raises(InvalidInputError, match="preProcessorARN: function nope in us-east-1: not found"):
        plan({"lambdaARN": arn, "preProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:nope"})
    boto3.client("s3").create_bucket(Bucket="payloads")
    boto3.client("s3").put_object(Bucket="payloads", Key="bad.json", Body=json.dumps({"fail": "bad order"}).encode())
    with pytest.raises(
        InvalidInputError, match="payloadS3: the function at its current configuration raised ValueError"
    ):
        plan({"lambdaARN": arn, "payloadS3": "s3://payloads/bad.json"})


def test_plan_sets_the_run_deadline_and_batches_by_the_target_timeout(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("f", timeout_s=300)
    document = plan({"lambdaARN": arn, "num": 5, "powerValues": [512]}, PlanSettings(max_run_seconds=3600))
    run = planned(document)
    started = datetime(2026, 11, 27, 10, tzinfo=UTC).timestamp()
    assert run.measure.deadline_epoch_s == pytest.approx(started + 3600)
    assert run.per_batch == 2  # 600 s of worst case per Measure task, at 300 s each
    assert document.round is not None
    assert [b.invocations for b in document.round.batches if b.memory_mb == 512] == [2, 2, 1]


def test_prepare_is_idempotent_and_restores_latest_even_when_publishing_fails(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("f", memory_mb=1024, description="release 9")
    document = plan({"lambdaARN": arn, "num": 5, "powerValues": [256, 512]})
    request = PrepareRequest(plan=planned(document), round=document.round)

    first = prepare_round(request, control(arn), guard(request.plan))
    again = prepare_round(request, control(arn), guard(request.plan))  # a retried Prepare: nothing new is published
    assert [(a.alias, a.version) for a in first.aliases] == [(a.alias, a.version) for a in again.aliases]
    assert len(target_state("f").versions) == 1 + 3
    assert (target_state("f").memory_mb, target_state("f").description) == (1024, "release 9")

    other = plan({"lambdaARN": arn, "num": 5, "powerValues": [2048]})
    failing_publish = failing("publish_version", lambda: LambdaClientError("ServiceException", "boom"), times=1)
    with failing_publish, pytest.raises(AwsError):
        prepare_round(PrepareRequest(plan=planned(other), round=other.round), control(arn), guard(planned(other)))
    assert (target_state("f").memory_mb, target_state("f").description) == (1024, "release 9")


def test_measure_runs_processors_stops_at_the_first_failure_and_honours_the_deadline(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("f", "io-bound", memory_mb=512)
    make_target("pre", "io-bound")
    document = plan({"lambdaARN": arn, "num": 5, "powerValues": [512], "sleepBetweenRunsMs": 50,
                     "preProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:pre"})  # fmt: skip
    run = planned(document)
    prepared = prepare_round(PrepareRequest(plan=run, round=document.round), control(arn), guard(planned(document)))
    alias = prepared.aliases[0].alias
    sleeps: list[float] = []
    batch = Batch(memory_mb=512, alias=alias, invocations=5, first_invocation=0)
    invoker = LambdaInvoker("us-east-1")

    measured = measure_batch(run.measure, batch, invoker, S3PayloadSource(), sleep=sleeps.append)
    assert measured.attempted == 5
    assert sleeps == [0.05] * 4
    assert len(runtime.targets_invoked("pre")) == 1 + 5  # the pre-processor ran before every invocation

    rejected = run.measure.model_copy(update={"payloads": ['{"fail": "x"}'], "pre_processor_arn": None})
    stopped = measure_batch(rejected, batch, invoker, S3PayloadSource(), sleep=sleeps.append)
    assert (stopped.attempted, stopped.stopped_early, len(stopped.failures)) == (1, True, 1)

    late = run.measure.model_copy(update={"deadline_epoch_s": time.time() - 1})
    with pytest.raises(RunTimedOutError, match="ExecutionTimeoutSeconds"):
        measure_batch(late, batch, invoker, S3PayloadSource())


def test_a_failing_post_processor_stops_the_run(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    arn = make_target("f", "io-bound")
    make_target("post", "memory-floor", memory_mb=128)  # runs out of memory whatever it is given
    document = plan({"lambdaARN": arn, "num": 5, "powerValues": [512]})
    run = planned(document)
    measuring = run.measure.model_copy(
        update={"post_processor_arn": "arn:aws:lambda:us-east-1:123456789012:function:post"}
    )
    prepared = prepare_round(PrepareRequest(plan=run, round=document.round), control(arn), guard(planned(document)))
    batch = Batch(memory_mb=512, alias=prepared.aliases[0].alias, invocations=2, first_invocation=0)
    named = r"postProcessorARN: .*post raised OutOfMemory; .* log group /aws/lambda/post$"
    with pytest.raises(ProcessorFailedError, match=named):
        measure_batch(measuring, batch, LambdaInvoker("us-east-1"), S3PayloadSource())


def test_cleanup_removes_only_the_runs_own_and_is_idempotent(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("f", memory_mb=1024, description="release 9")
    client = boto3.client("lambda")
    users_version = client.publish_version(FunctionName="f", Description="release 9")["Version"]
    client.create_alias(FunctionName="f", Name="prod", FunctionVersion=users_version)
    document = plan({"lambdaARN": arn, "num": 5, "powerValues": [256, 512]})
    run = planned(document)
    prepare_round(PrepareRequest(plan=run, round=document.round), control(arn), guard(planned(document)))
    other_version = client.publish_version(FunctionName="f", Description=version_description("0123456789", 768))
    client.create_alias(FunctionName="f", Name=alias_name("0123456789", 768), FunctionVersion=other_version["Version"])
    client.update_function_configuration(FunctionName="f", MemorySize=3008, Description="autotuner run x")

    report = clean_up(run)

    state = target_state("f")
    assert sorted(report.deleted_aliases) == sorted(a for a in report.deleted_aliases if run.run_id in a)
    assert len(report.deleted_aliases) == 3
    assert "prod" in state.aliases
    assert any("0123456789" in alias for alias in state.aliases)  # another run's aliases are not ours to delete
    assert users_version in state.versions
    assert (state.memory_mb, state.description) == (1024, "release 9")
    assert report.restored_memory_mb == 1024
    assert (report.final_memory_mb, report.final_description_is_original) == (1024, True)  # read back
    assert clean_up(run) == report  # a second clean-up (the janitor after the workflow's) repeats nothing
    assert clean_up(run, again=True).deleted_aliases == []
    assert target_state("f") == state


def test_cleanup_keeps_the_applied_alias_version_and_the_applied_memory(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("f", "io-bound", memory_mb=1024)
    document = plan(
        {"lambdaARN": arn, "num": 5, "powerValues": [256], "autoOptimize": True, "autoOptimizeAlias": "live"}
    )
    run = planned(document)
    prepare_round(PrepareRequest(plan=run, round=document.round), control(arn), guard(planned(document)))
    decision = Decision(strategy=Strategy.COST, chosen_memory_mb=256, reason="chosen for the test")
    analysis = document.analysis.model_copy(update={"decision": decision})
    applied = apply_choice(ApplyRequest(plan=run, analysis=analysis), control(arn), guard(run))
    report = clean_up(run)
    assert report.kept_versions == [applied.version]
    assert (report.alias_name, report.final_alias_version) == ("live", applied.version)
    assert target_state("f").aliases == {"live": applied.version}

    on_latest = plan({"lambdaARN": arn, "num": 5, "powerValues": [256], "autoOptimize": True}, execution="run-2")
    latest_run = planned(on_latest)
    prepare_round(PrepareRequest(plan=latest_run, round=on_latest.round), control(arn), guard(latest_run))
    apply_choice(ApplyRequest(plan=latest_run, analysis=analysis), control(arn), guard(latest_run))
    assert clean_up(latest_run).final_memory_mb == 256
    assert target_state("f").memory_mb == 256


def test_cleanup_without_a_plan_has_nothing_to_undo() -> None:
    report = clean_up_run(EXECUTION + "-never-planned", records(), functions, None)
    assert (report.skipped, report.complete) == (NO_RECORD, True)
