import json

import pytest

from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.memory_sizes import DEFAULT_POWER_VALUES
from autotuner.domain.inputs.tuning_input import (
    SearchMode,
    TuningDefaults,
    TuningInput,
    parse_tuning_input,
    read_tuning_input,
)
from autotuner.domain.run.output import TuningOutput

ARN = "arn:aws:lambda:us-east-1:123456789012:function:resize"

# aws-lambda-power-tuning's documented input, every field set.
REFERENCE_INPUT = {
    "lambdaARN": ARN,
    "powerValues": [128, 256, 512, 1024, 2048, 3008],
    "num": 50,
    "payload": {"key": "value"},
    "parallelInvocation": True,
    "strategy": "balanced",
    "balancedWeight": 0.3,
    "autoOptimize": True,
    "autoOptimizeAlias": "live",
    "dryRun": False,
    "discardTopBottom": 0.1,
    "sleepBetweenRunsMs": 0,
    "onlyColdStarts": False,
    "allowedExceptions": ["HandledError"],
    "includeOutputResults": True,
    "disablePayloadLogs": True,
    "preProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:pre",
    "postProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:post",
}


def problems_of(raw: dict[str, object], defaults: TuningDefaults | None = None) -> list[str]:
    with pytest.raises(InvalidInputError) as caught:
        parse_tuning_input(raw, defaults)
    return caught.value.problems


def test_the_reference_tools_input_is_accepted_unchanged() -> None:
    tuning = parse_tuning_input(REFERENCE_INPUT)
    assert tuning.resolved_power_values == [128, 256, 512, 1024, 2048, 3008]
    assert tuning.strategy is Strategy.BALANCED
    assert tuning.balanced_weight == 0.3
    assert tuning.trim_fraction == 0.1
    assert tuning.apply_alias == "live"
    assert tuning.pre_processor_arn is not None
    assert tuning.function.name == "resize"


def test_minimal_input_takes_the_deployment_defaults() -> None:
    tuning = parse_tuning_input({"lambdaARN": ARN, "num": 10}, TuningDefaults(power_values=[256, 1024]))
    assert tuning.resolved_power_values == [256, 1024]
    assert tuning.strategy is Strategy.COST
    assert tuning.trim_fraction == 0.2
    assert tuning.search is SearchMode.SWEEP
    assert not tuning.applies


def test_all_and_an_account_memory_limit() -> None:
    tuning = parse_tuning_input({"lambdaARN": ARN, "num": 5, "powerValues": "ALL", "maxMemoryMb": 1024})
    assert tuning.resolved_power_values[-1] == 1024


def test_dry_run_forces_one_invocation_and_never_applies() -> None:
    tuning = parse_tuning_input({"lambdaARN": ARN, "num": 50, "dryRun": True, "autoOptimize": True})
    assert tuning.num == 1
    assert not tuning.applies


def test_save_profile_is_off_unless_asked_and_refused_with_a_dry_run() -> None:
    assert not parse_tuning_input({"lambdaARN": ARN}).save_profile
    assert parse_tuning_input({"lambdaARN": ARN, "saveProfile": True}).save_profile
    assert problems_of({"lambdaARN": ARN, "saveProfile": True, "dryRun": True}) == [
        "saveProfile: a dry run's input would make every automatic run a dry run; store the profile from a run "
        "without dryRun, or with `autotuner profile set`"
    ]


def test_cold_start_runs_never_trim() -> None:
    assert parse_tuning_input({"lambdaARN": ARN, "onlyColdStarts": True}).trim_fraction == 0
    assert parse_tuning_input({"lambdaARN": ARN, "onlyColdStarts": True, "discardTopBottom": 0.1}).trim_fraction == 0


def test_every_problem_is_listed_by_field() -> None:
    problems = problems_of(
        {
            "lambdaARN": "arn:aws:lambda:us-east-1:123:function:x",
            "num": 3,
            "powerValues": [64, 1024],
            "payloadS3": "s3:/bucket",
            "autoOptimizeAlias": "123",
        }
    )
    assert any(p.startswith("lambdaARN: 'arn:aws:lambda:us-east-1:123:function:x' is not a Lambda") for p in problems)
    assert "num: must be at least 5 (got 3); fewer invocations cannot be trusted" in problems
    assert "powerValues[0]: 64 MB is outside 128-10240 MB" in problems
    assert "payloadS3: 's3:/bucket' is not an s3://bucket/key URI" in problems
    assert "autoOptimizeAlias: '123' is not a valid alias name" in problems


def test_type_errors_and_unknown_fields_name_their_field() -> None:
    problems = problems_of({"lambdaARN": ARN, "num": "many", "stratgy": "cost", "balancedWeight": "high"})
    assert "num: Input should be a valid integer, unable to parse string as an integer" in problems
    assert "stratgy: unknown field (check its spelling against the documented input)" in problems
    assert "balancedWeight: Input should be a valid number, unable to parse string as a number" in problems


def test_missing_arn_and_non_object_input() -> None:
    assert problems_of({"num": 10}) == ["lambdaARN: Field required"]
    with pytest.raises(InvalidInputError, match="expected a JSON object"):
        parse_tuning_input(["lambdaARN"])


def test_a_version_cannot_be_optimized_and_aliases_must_agree() -> None:
    assert problems_of({"lambdaARN": ARN + ":7", "autoOptimize": True}) == [
        "lambdaARN: version 7 is immutable and cannot be optimized; pass an alias or the unqualified ARN, "
        "or set autoOptimizeAlias"
    ]
    assert problems_of({"lambdaARN": ARN + ":live", "autoOptimizeAlias": "beta"}) == [
        "autoOptimizeAlias: 'beta' differs from the alias in lambdaARN ('live'); give one"
    ]
    qualified = parse_tuning_input({"lambdaARN": ARN + ":live", "autoOptimize": True})
    assert qualified.apply_alias == "live"
    assert qualified.function.unqualified == ARN


def test_weighted_payloads_need_enough_invocations_and_positive_weights() -> None:
    payload = [{"payload": {"n": 1}, "weight": 5}, {"payload": {"n": 2}, "weight": -1}]
    problems = problems_of({"lambdaARN": ARN, "num": 5, "payload": payload})
    assert problems == ["payload[1].weight: must be a positive number"]
    many = [{"payload": i, "weight": 1} for i in range(1, 8)]
    assert problems_of({"lambdaARN": ARN, "num": 5, "payload": many}) == ["num: 5 is less than the 7 weighted payloads"]


def test_oversized_inline_payload_points_to_s3() -> None:
    problems = problems_of({"lambdaARN": ARN, "payload": {"blob": "x" * 70_000}})
    assert problems == [
        "payload: 68 KB inline is more than a Step Functions state can carry; upload it and use payloadS3"
    ]


def test_input_round_trips_through_json_with_the_documented_names() -> None:
    tuning = parse_tuning_input(REFERENCE_INPUT)
    dumped = json.loads(tuning.model_dump_json())
    assert dumped["lambdaARN"] == ARN
    assert dumped["preProcessorARN"].endswith(":pre")
    assert dumped["payloadS3"] is None
    assert TuningInput.model_validate(dumped) == tuning


def test_output_is_a_superset_of_the_reference_tools_output() -> None:
    names = {field.alias or name for name, field in TuningOutput.model_fields.items()}
    assert {"power", "cost", "duration", "stateMachine", "stats"} <= names
    state_machine = TuningOutput.model_fields["state_machine"].annotation
    assert state_machine is not None
    inner = {f.alias for f in state_machine.model_fields.values()}
    assert {"executionCost", "lambdaCost", "visualization"} <= inner


def test_the_adaptive_search_measures_serially_and_warm() -> None:
    assert problems_of({"lambdaARN": ARN, "search": "adaptive", "parallelInvocation": True}) == [
        "search: the adaptive search compares warm invocations made one at a time; drop parallelInvocation and "
        "onlyColdStarts, or use search 'sweep'"
    ]
    assert parse_tuning_input({"lambdaARN": ARN, "search": "adaptive"}).search is SearchMode.ADAPTIVE


def test_the_search_defaults_to_adaptive_unless_the_input_asks_for_a_sweep() -> None:
    assert parse_tuning_input({"lambdaARN": ARN}).search is SearchMode.ADAPTIVE
    assert parse_tuning_input({"lambdaARN": ARN, "strategy": "speed"}).search is SearchMode.ADAPTIVE
    assert parse_tuning_input(REFERENCE_INPUT).search is SearchMode.SWEEP  # every reference input has num
    assert parse_tuning_input({"lambdaARN": ARN, "powerValues": [512]}).search is SearchMode.SWEEP
    assert parse_tuning_input({"lambdaARN": ARN, "onlyColdStarts": True}).search is SearchMode.SWEEP
    assert parse_tuning_input({"lambdaARN": ARN, "num": 5, "search": "adaptive"}).search is SearchMode.ADAPTIVE


def test_large_sweeps_are_accepted_as_the_reference_runs_them() -> None:
    """Issue 12: reports no longer cross Step Functions' state, so no invocation cap refuses these."""
    assert parse_tuning_input({"lambdaARN": ARN, "num": 50, "powerValues": "ALL"}).num == 50
    assert parse_tuning_input({"lambdaARN": ARN, "num": 500}).resolved_power_values == list(DEFAULT_POWER_VALUES)


def test_turning_a_margin_off_runs_with_a_warning_naming_it() -> None:
    read = read_tuning_input({"lambdaARN": ARN, "constraints": {"minMemoryHeadroom": 0, "maxTimeoutShare": 1}})
    assert (read.tuning.constraints.min_memory_headroom, read.tuning.constraints.max_timeout_share) == (0, 1)
    assert read.warnings == [
        "constraints.minMemoryHeadroom: 0 turns the memory margin off: a size may be chosen with no memory free over "
        "what its calls used, or right above a size that ran out of memory",
        "constraints.maxTimeoutShare: 1 turns the timeout margin off: a size may be chosen whose slowest call came "
        "right up to the function's timeout",
    ]
    assert read_tuning_input({"lambdaARN": ARN}).warnings == []


def test_a_margin_out_of_range_is_refused_by_its_field() -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_tuning_input({"lambdaARN": ARN, "constraints": {"minMemoryHeadroom": 1, "maxTimeoutShare": 0}})
    assert [p.split(":")[0] for p in raised.value.problems] == [
        "constraints.minMemoryHeadroom",
        "constraints.maxTimeoutShare",
    ]


def test_architectures_to_measure_are_named_once_each_and_a_switch_needs_them() -> None:
    tuning = parse_tuning_input(
        {"lambdaARN": ARN, "architectures": ["arm64", "x86_64"], "applyArchitecture": True, "applyTimeout": True}
    )
    assert [a.value for a in tuning.architectures or []] == ["arm64", "x86_64"]
    assert (tuning.apply_architecture, tuning.apply_timeout) == (True, True)
    assert parse_tuning_input({"lambdaARN": ARN}).architectures is None, "by default: the function's own only"
    assert problems_of({"lambdaARN": ARN, "architectures": ["arm64", "arm64"]}) == [
        "architectures: each architecture once (got ['arm64', 'arm64'])"
    ]
    assert problems_of({"lambdaARN": ARN, "architectures": []}) == [
        "architectures: list at least one architecture (x86_64, arm64), or leave it out"
    ]
    assert problems_of({"lambdaARN": ARN, "applyArchitecture": True}) == [
        "applyArchitecture: nothing to switch to; list the architectures to compare in architectures"
    ]
    [unknown] = problems_of({"lambdaARN": ARN, "architectures": ["riscv64"]})
    assert unknown.startswith("architectures.0: Input should be 'x86_64' or 'arm64'")


def test_a_sweep_on_two_architectures_counts_both_against_max_invocations() -> None:
    sweep = {"lambdaARN": ARN, "powerValues": [512, 1024], "num": 5, "maxInvocations": 15}
    assert parse_tuning_input(sweep).max_invocations == 15
    assert problems_of({**sweep, "architectures": ["x86_64", "arm64"]}) == [
        "maxInvocations: a sweep of this input needs 20 invocations"
    ]
