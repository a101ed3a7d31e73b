# ruff: noqa: E501  (the case tables read best one case a line)
"""Every input of aws-lambda-power-tuning's own tests, READMEs and sample inputs, run through our Plan.

Each case names the file of that tool (alexcasalboni/aws-lambda-power-tuning) it comes from and says what the
input means there; the test checks that Plan accepts it with that meaning (or refuses it, where that tool
refuses it too). Its tests stub the ARN ('arnOK'); a real function ARN stands in for it here. Inputs that tool
runs by clamping or ignoring a value run here too, with a warning naming the field and the value used.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest

from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.memory_sizes import ALL_POWER_VALUES, DEFAULT_POWER_VALUES
from autotuner.domain.inputs.tuning_input import TuningInput
from autotuner.domain.run.documents import Plan
from autotuner.workflow.analyze import decide, merge_by_size
from tests.unit.workflow.memory_ports import Invocation, MemoryFunction, Reply, function_arn
from tests.unit.workflow.scenario import EXECUTION, RESAMPLES, TARGET, World

TESTS = "test/unit/test-lambda.js"
EXECUTE = "README-EXECUTE.md"
ADVANCED = "README-ADVANCED.md"
SAMPLE = "scripts/sample-execution-input.json"
PRE, POST = function_arn("pre"), function_arn("post")
WEIGHTED = [{"payload": {"test": "A"}, "weight": 10}, {"payload": {"test": "B"}, "weight": 30},
            {"payload": {"test": "C"}, "weight": 60}]  # fmt: skip
S3_URI = "s3://your-bucket/your-object.json"


@dataclass(frozen=True)
class Case:
    source: str
    says: str
    input: dict[str, Any]
    means: dict[str, object] = field(default_factory=dict)  # TuningInput attribute -> value
    warns: tuple[str, ...] = ()  # the fields named by the warnings, in order


def _in(**fields: object) -> dict[str, Any]:
    return {"lambdaARN": TARGET, **fields}


ACCEPTED = [
    Case(SAMPLE, "the sample input", _in(powerValues=[128, 256, 512, 3008], num=5, payload={}, parallelInvocation=True, strategy="cost"),
         {"resolved_power_values": [128, 256, 512, 3008], "num": 5, "parallel_invocation": True}),
    Case(EXECUTE, "CI/CD: apply through an alias", _in(num=10, payload={}, powerValues=[128, 256, 512], autoOptimize=True, autoOptimizeAlias="prod", allowedExceptions=["HandledError"]),
         {"applies": True, "apply_alias": "prod", "allowed_exceptions": ["HandledError"]}),
    Case(EXECUTE, "the console example", _in(powerValues=[128, 256, 512, 1024, 1536, 2048, 3008], num=50, payload={}, parallelInvocation=True, strategy="cost", allowedExceptions=["HandledError"]),
         {"num": 50, "resolved_power_values": [128, 256, 512, 1024, 1536, 2048, 3008]}),
    Case(ADVANCED, "weighted payloads", _in(num=50, payload=[{"payload": {"n": 1}, "weight": 5}, {"payload": {"n": 2}, "weight": 15}, {"payload": {"n": 3}, "weight": 30}])),
    Case(ADVANCED, "an S3 payload", _in(powerValues=[128, 256, 512, 1024], num=50, payloadS3=S3_URI), {"payload_s3": S3_URI}),
    Case(TESTS, "initializer: no powerValues, the defaults", _in(num=5), {"resolved_power_values": list(DEFAULT_POWER_VALUES)}),
    Case(TESTS, "initializer: empty powerValues, the defaults", _in(num=5, powerValues=[]), {"resolved_power_values": list(DEFAULT_POWER_VALUES)}),
    Case(TESTS, "initializer: given powerValues", _in(num=5, powerValues=[128, 256, 512]), {"resolved_power_values": [128, 256, 512]}),
    Case(TESTS, "initializer: ALL, 46 sizes", _in(num=5, powerValues="ALL"), {"resolved_power_values": list(ALL_POWER_VALUES)}),
    Case(TESTS, "initializer: onlyColdStarts", _in(num=5, onlyColdStarts=True), {"only_cold_starts": True, "trim_fraction": 0.0}),
    Case(TESTS, "executor: the defaults", _in(num=10), {"trim_fraction": 0.2, "sleep_between_runs_ms": 0, "parallel_invocation": False}),
    Case(TESTS, "executor: parallel", _in(num=10, parallelInvocation=True), {"parallel_invocation": True}),
    Case(TESTS, "executor: sleep between runs", _in(num=10, sleepBetweenRunsMs=50), {"sleep_between_runs_ms": 50}),
    Case(TESTS, "executor: parallel ignores the sleep", _in(num=20, sleepBetweenRunsMs=50, parallelInvocation=True),
         {"sleep_between_runs_ms": 0, "parallel_invocation": True}, ("sleepBetweenRunsMs",)),
    Case(TESTS, "executor: an invalid sleep is 0", _in(num=100, sleepBetweenRunsMs="Not a number"), {"sleep_between_runs_ms": 0}, ("sleepBetweenRunsMs",)),
    Case(TESTS, "executor: a custom payload", _in(num=10, payload={"key1": "value1", "key2": "value2"}), {"payload": {"key1": "value1", "key2": "value2"}}),
    Case(TESTS, "executor: weighted payload 10/30/60", _in(num=10, payload=WEIGHTED)),
    Case(TESTS, "executor: weighted payload 5/15/30", _in(num=100, payload=[{**p, "weight": w} for p, w in zip(WEIGHTED, (5, 15, 30), strict=True)])),
    Case(TESTS, "executor: weighted payload 1/1/1", _in(num=10, payload=[{**p, "weight": 1} for p in WEIGHTED])),
    *[Case(TESTS, f"executor: invoke {n} times", _in(num=n), {"num": n}) for n in (10, 100)],
    *[Case(TESTS, f"executor: invoke {n} times in parallel", _in(num=n, parallelInvocation=True), {"num": n}) for n in (10, 100)],
    Case(TESTS, "executor: a payload kept in S3", _in(num=10, payloadS3=S3_URI), {"payload_s3": S3_URI}),
    Case(TESTS, "executor: payloadS3 wins over payload", _in(num=10, payload={"ignored": True}, payloadS3=S3_URI),
         {"payload_s3": S3_URI, "payload": None}, ("payload",)),
    Case(TESTS, "executor: weighted payloads from S3", _in(num=10, payloadS3=S3_URI), {"payload_s3": S3_URI}),
    Case(TESTS, "executor: dryRun runs once", _in(num=10, dryRun=True), {"num": 1, "applies": False}),
    Case(TESTS, "executor: pre-processor", _in(num=10, preProcessorARN=PRE), {"pre_processor_arn": PRE}),
    Case(TESTS, "executor: post-processor", _in(num=10, postProcessorARN=POST), {"post_processor_arn": POST}),
    Case(TESTS, "executor: both processors", _in(num=10, preProcessorARN=PRE, postProcessorARN=POST)),
    Case(TESTS, "executor: disablePayloadLogs", _in(num=10, disablePayloadLogs=True), {"disable_payload_logs": True}),
    Case(TESTS, "executor: allowedExceptions", _in(num=10, allowedExceptions=["HandledError"]), {"allowed_exceptions": ["HandledError"]}),
    Case(TESTS, "executor: discardTopBottom 0.7 is clamped to 0.4", _in(num=10, discardTopBottom=0.7), {"trim_fraction": 0.4}, ("discardTopBottom",)),
    *[Case(TESTS, f"executor: discardTopBottom {v}", _in(num=10, discardTopBottom=v), {"trim_fraction": v}) for v in (0.4, 0.2, 0)],
    Case(TESTS, "executor: onlyColdStarts discards nothing", _in(num=10, onlyColdStarts=True, discardTopBottom=0.2),
         {"trim_fraction": 0.0}, ("discardTopBottom",)),
    Case(TESTS, "analyzer: no strategy is cost", _in(num=10), {"strategy": Strategy.COST}),
    *[Case(TESTS, f"analyzer: strategy {s}", _in(num=10, strategy=s), {"strategy": Strategy(s)}) for s in ("cost", "speed", "balanced")],
    *[Case(TESTS, f"analyzer: balanced, weight {w}", _in(num=10, strategy="balanced", balancedWeight=w), {"balanced_weight": w}) for w in (1, 0, 0.3)],
    Case(TESTS, "analyzer: balanced, the default weight", _in(num=10, strategy="balanced"), {"balanced_weight": 0.5}),
    Case(TESTS, "analyzer: balancedWeight 1.5 is clamped to 1", _in(num=10, strategy="balanced", balancedWeight=1.5), {"balanced_weight": 1.0}, ("balancedWeight",)),
    *[Case(TESTS, f"analyzer: includeOutputResults {v}", _in(num=10, includeOutputResults=v), {"include_output_results": v}) for v in (True, False)],
    Case(TESTS, "optimizer: autoOptimize", _in(num=10, autoOptimize=True), {"applies": True, "apply_alias": None}),
    Case(TESTS, "optimizer: autoOptimizeAlias", _in(num=10, autoOptimize=True, autoOptimizeAlias="aliasName"), {"apply_alias": "aliasName"}),
    Case(TESTS, "optimizer: dryRun never applies", _in(num=10, autoOptimize=True, dryRun=True), {"applies": False}),
    Case(TESTS, "utils: a weight of 0 makes the list one plain payload", _in(num=10, payload=[{"payload": {"a": 1}, "weight": 0}, {"payload": {"b": 2}, "weight": 1}]),
         {"payload": [{"payload": {"a": 1}, "weight": 0}, {"payload": {"b": 2}, "weight": 1}]}, ("payload[0]",)),
]  # fmt: skip

REFUSED = [
    Case(TESTS, "initializer: no lambdaARN", {"num": 10}, warns=("lambdaARN",)),
    *[Case(TESTS, f"initializer: lambdaARN {v!r}", {"lambdaARN": v, "num": 10}, warns=("lambdaARN",)) for v in (None, "", False, 0)],
    *[Case(TESTS, f"initializer: num {n}", _in(num=n), warns=("num",)) for n in (-1, 0, 1, 2, 3, 4)],
    Case(TESTS, "executor: num 'invalid'", _in(num="invalid"), warns=("num",)),
    Case(TESTS, "executor: fewer invocations than weighted payloads", _in(num=9, payload=[{"payload": {"t": i}, "weight": 5} for i in range(10)]), warns=("num",)),
    *[Case(TESTS, f"analyzer: strategy {s!r}", _in(num=10, strategy=s), warns=("strategy",)) for s in ("", "foobar", "cheap")],
]  # fmt: skip


def _world_for(case: Case) -> World:
    world = World()
    world.functions.add(MemoryFunction(PRE))
    world.functions.add(MemoryFunction(POST))
    world.payloads.objects[S3_URI] = {"ValueFromS3": "OK"}
    return world


def _warned_fields(plan: Plan) -> tuple[str, ...]:
    """The fields that the input's warnings name (others, such as an alias about to be created, name none)."""
    named = (warning.split(":", 1)[0] for warning in plan.warnings)
    return tuple(name for name in named if " " not in name)


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: f"{c.source}: {c.says}")
def test_every_reference_input_runs_with_its_meaning(case: Case) -> None:
    document = _world_for(case).plan(case.input)
    assert document.plan is not None
    tuning: TuningInput = document.plan.tuning
    for attribute, value in case.means.items():
        assert getattr(tuning, attribute) == value, attribute
    assert _warned_fields(document.plan) == case.warns


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: f"{c.source}: {c.says}")
def test_what_the_reference_refuses_is_refused_by_field(case: Case) -> None:
    world = _world_for(case)
    with pytest.raises(InvalidInputError) as refused:
        world.plan(case.input)
    assert {p.split(":", 1)[0].split(".")[0] for p in refused.value.problems} == set(case.warns)
    assert world.invoker.calls == []
    assert world.records.read(EXECUTION) is None


# ---- the behaviours of issue 12, each with the line of the reference it follows -------------------------------


def test_no_payload_is_sent_as_null() -> None:
    """executor.js extractPayloadValue: no payload is null; utils.js convertPayload sends JSON.stringify(null)."""
    world = World()
    world.plan(_in(num=5, powerValues=[256]))
    assert [call.payload for call in world.invoker.calls] == [b"null"]


def test_a_falsy_payload_is_no_payload() -> None:
    """executor.js: ``else if (input.payload)``: 0, false and "" are not payloads."""
    world = World()
    document = world.plan(_in(num=5, powerValues=[256], payload=0))
    assert document.plan is not None
    assert document.plan.warnings == ["payload: 0 counts as no payload; null is sent"]
    assert [call.payload for call in world.invoker.calls] == [b"null"]


def test_payload_s3_is_sent_when_both_are_given() -> None:
    world = _world_for(ACCEPTED[0])
    document = world.plan(_in(num=5, powerValues=[256], payload={"inline": 1}, payloadS3=S3_URI))
    assert document.plan is not None
    assert document.plan.warnings == ["payload: ignored because payloadS3 is given; the payload is read from S3"]
    assert [call.payload for call in world.invoker.calls] == [b'{"ValueFromS3": "OK"}']


def test_a_zero_weight_sends_the_whole_list() -> None:
    """utils.js isWeightedPayload: ``p.weight && p.payload`` for every item, else the list is the payload."""
    listed = [{"payload": {"a": 1}, "weight": 0}, {"payload": {"b": 2}, "weight": 1}]
    world = World()
    world.plan(_in(num=5, powerValues=[256], payload=listed))
    assert [call.payload for call in world.invoker.calls] == [
        b'[{"payload": {"a": 1}, "weight": 0}, {"payload": {"b": 2}, "weight": 1}]'
    ]


@pytest.mark.parametrize(
    ("given", "used", "warning"),
    [
        ("Not a number", 0, "sleepBetweenRunsMs: 'Not a number' is not a whole number of ms >= 0; 0 used"),
        (-5, 0, "sleepBetweenRunsMs: -5 is not a whole number of ms >= 0; 0 used"),
        (50.7, 50, "sleepBetweenRunsMs: 50.7 is not a whole number of ms >= 0; 50 used"),
        ("50", 50, None),
    ],
)
def test_sleep_between_runs_is_read_as_executor_js_reads_it(given: object, used: int, warning: str | None) -> None:
    """executor.js extractSleepTime: isNaN -> 0, else parseInt."""
    document = World().plan(_in(num=5, powerValues=[256], sleepBetweenRunsMs=given))
    assert document.plan is not None
    assert document.plan.tuning.sleep_between_runs_ms == used
    assert document.plan.warnings == ([warning] if warning else [])


@pytest.mark.parametrize(
    ("fields", "used", "warning"),
    [
        ({"discardTopBottom": 0.7}, 0.4, "discardTopBottom: 0.7 is outside 0-0.4; 0.4 used"),
        ({"discardTopBottom": -0.1}, 0.0, "discardTopBottom: -0.1 is outside 0-0.4; 0.0 used"),
        ({"discardTopBottom": 0.1, "onlyColdStarts": True}, 0.0,
         "discardTopBottom: 0.1 given, 0 used: with onlyColdStarts every invocation counts"),
    ],
)  # fmt: skip
def test_discard_top_bottom_is_clamped_as_executor_js_clamps_it(
    fields: dict[str, object], used: float, warning: str
) -> None:
    document = World().plan(_in(num=5, powerValues=[256], **fields))
    assert document.plan is not None
    assert (document.plan.tuning.trim_fraction, document.plan.warnings) == (used, [warning])


def test_balanced_weight_is_clamped_as_analyzer_js_clamps_it() -> None:
    document = World().plan(_in(num=5, powerValues=[256], strategy="balanced", balancedWeight=1.5))
    assert document.plan is not None
    assert document.plan.tuning.balanced_weight == 1.0
    assert document.plan.warnings == ["balancedWeight: 1.5 is outside 0-1; 1 used"]


def _fastest_at_1024(call: Invocation) -> Reply:
    return Reply(duration_ms=5.0 if call.memory_mb == 1024 else 900.0)


def test_power_values_bound_the_choice_and_the_current_size_is_the_baseline() -> None:
    """analyzer.js chooses among the stats of powerValues only; the current size (1024 MB here, the cheapest by
    far) is measured beside them for the savings, shown, and never chosen."""
    world = World()
    world.invoker.respond = _fastest_at_1024
    plan, round_ = world.planned(_in(num=5, powerValues=[256, 512]))
    analysis = world.measure_and_analyze(plan, round_, world.prepare(plan, round_))
    assert [c.memory_mb for c in analysis.candidates] == [256, 512, 1024]
    assert analysis.decision is not None
    assert analysis.decision.chosen_memory_mb in {256, 512}
    assert analysis.decision.excluded[-1].memory_mb == 1024
    assert "baseline of the savings" in analysis.decision.excluded[-1].reason
    measured = merge_by_size(world.measurements.load(plan.execution_id))
    assert decide(plan, analysis.candidates, measured, resamples=RESAMPLES) == analysis.decision, (
        "the choice is decide's"
    )
