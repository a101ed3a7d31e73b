"""Hostile inputs, generated: Plan (the only step that reads the caller's input) refuses every bad one with each
problem naming its field, and nothing it does, refused or not, changes the target. A few hundred examples run in
`make test`; `make fuzz` runs thousands."""

import os
import uuid
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.run_records import RunRecords
from autotuner.domain.errors import DomainError, InvalidInputError
from autotuner.domain.inputs.tuning_input import INTERNAL, TuningInput
from autotuner.workflow.cleanup import clean_up_run
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner_local.stack import LocalStack
from tests.emulator import MakeTarget, TargetState, target_state

pytestmark = pytest.mark.slow

TARGET = "arn:aws:lambda:us-east-1:123456789012:function:fuzzed"
FIELDS = sorted(f.alias or name for name, f in TuningInput.model_fields.items())
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
OTHER_ACCOUNT = TARGET.replace("123456789012", "999999999999")
ARNS = [
    TARGET,
    f"{TARGET}:live",
    f"{TARGET}:1",
    OTHER_ACCOUNT,
    TARGET.replace("us-east-1", "eu-west-1"),
    "arn:aws:lambda:us-east-1:123456789012:function:lambda-autotuner-PlanFunction",
    "fuzzed",
    TARGET + "\n",
    "",
]
WEIGHTED = st.lists(st.fixed_dictionaries({"payload": JSON, "weight": JSON}), max_size=3)
HOSTILE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "lambdaARN": st.sampled_from(ARNS) | JSON,
    "num": st.integers(-5, 3000) | JSON,
    "powerValues": st.lists(st.integers(0, 20000), max_size=4) | st.just("ALL") | JSON,
    "payload": st.just({"fail": "rejected"}) | WEIGHTED | JSON,
    "preProcessorARN": st.sampled_from([TARGET, OTHER_ACCOUNT]) | JSON,
    "autoOptimizeAlias": st.sampled_from(["live", "1", "bad name", "x" * 200]) | JSON,
    "constraints": st.dictionaries(st.sampled_from(["maxP95DurationMs", "minMemoryHeadroom", "x"]), JSON, max_size=2),
}  # fmt: skip
PATTERN = "arn:aws:lambda:us-east-1:123456789012:function:*"  # the default: the stack's own account and region


@st.composite
def hostile_inputs(draw: st.DrawFn) -> object:
    """Mostly objects with the documented fields (hostile values), the workflow's internal names and unknown
    fields; sometimes not an object at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    keys = draw(st.lists(st.sampled_from([*FIELDS, *sorted(INTERNAL), "unknownField"]), max_size=6, unique=True))
    tuning: dict[str, Any] = {"lambdaARN": TARGET} if draw(st.booleans()) else {}
    for key in keys:
        tuning[key] = draw(HOSTILE_VALUES.get(key, JSON))
    return tuning


def named_fields(error: DomainError, tuning: object) -> list[str]:
    """The problems of a refusal that do not start with a field of the input (empty: each one does)."""
    problems = error.problems if isinstance(error, InvalidInputError) else [str(error)]
    # lambdaARN may be missing, and num may be refused for what another field asks (weighted payloads)
    fields = (set(tuning) if isinstance(tuning, dict) else set()) | {"input", "lambdaARN", "num"}
    return [p for p in problems if not any(p.startswith((f"{f}:", f"{f}.", f"{f}[")) for f in fields)]


@pytest.fixture
def fuzzed(stack: LocalStack, make_target: MakeTarget) -> TargetState:
    make_target("fuzzed", "io-bound", memory_mb=1024, description="release 7")
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="fuzzed")["Version"]
    client.create_alias(FunctionName="fuzzed", Name="live", FunctionVersion=version)
    return target_state("fuzzed")


EXAMPLES = int(os.environ.get("AUTOTUNER_FUZZ_EXAMPLES", "300"))  # `make fuzz` sets thousands


@settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(tuning=hostile_inputs())
def test_plan_refuses_hostile_input_by_field_and_never_changes_the_target(
    stack: LocalStack, fuzzed: TargetState, tuning: object
) -> None:
    records = RunRecords(stack.tables["RunsTable"])
    execution = f"arn:aws:states:us-east-1:123456789012:execution:fuzz:{uuid.uuid4()}"
    refused: DomainError | None = None
    try:
        plan_run(
            PlanRequest(input=tuning, execution_id=execution),
            PlanSettings(target_arn_pattern=PATTERN, stack_name="lambda-autotuner"),
            function_for=lambda arn, through: LambdaFunction(arn, through=through),
            invoker_for=lambda region, through: LambdaInvoker(region, through=through),
            payloads=S3PayloadSource(),
            records=records,
            registry=ProfileStore(stack.tables["ProfilesTable"]),
        )
    except DomainError as error:
        refused = error
    finally:  # as the workflow would, whatever Plan did: the lock is freed for the next example
        clean_up_run(
            execution,
            records,
            lambda arn, through: LambdaFunction(arn, through=through),
            ProfileStore(stack.tables["ProfilesTable"]),
        )
    if refused is not None:
        assert named_fields(refused, tuning) == [], f"{tuning!r} was refused without naming the field: {refused}"
    assert target_state("fuzzed") == fuzzed, f"{tuning!r} changed the target"
