from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autotuner.domain.payload import encode_payload, is_weighted, payload_schedule
from autotuner.domain.sweep import (
    ALL_POWER_VALUES,
    alias_name,
    all_power_values,
    invocations_per_batch,
    is_run_alias,
    is_run_version,
    plan_batches,
    run_id_for,
    validate_memory_sizes,
    version_description,
)


def test_all_is_128_to_3008_in_steps_of_64() -> None:
    assert ALL_POWER_VALUES[0] == 128
    assert ALL_POWER_VALUES[-1] == 3008
    assert len(ALL_POWER_VALUES) == 46
    assert all_power_values(1024)[-1] == 1024


def test_memory_sizes_are_validated_one_by_one() -> None:
    sizes, problems = validate_memory_sizes([1024, 128, "512", 1024, 100, 20000, 1536.5, True, "x"])
    assert sizes == [128, 512, 1024]
    assert problems == [
        "powerValues[4]: 100 MB is outside 128-10240 MB",
        "powerValues[5]: 20000 MB is outside 128-10240 MB",
        "powerValues[6]: 1536.5 is not a whole number of MB",
        "powerValues[7]: True is not a memory size in MB",
        "powerValues[8]: 'x' is not a number",
    ]


def test_an_account_maximum_lowers_the_ceiling() -> None:
    _, problems = validate_memory_sizes([3008, 4096], max_memory_mb=3008)
    assert problems == ["powerValues[1]: 4096 MB is outside 128-3008 MB"]


def test_empty_list_is_a_problem() -> None:
    assert validate_memory_sizes([])[1] == ["powerValues: at least one memory size is needed"]


def test_weighted_payloads_are_spread_in_proportion_and_interleaved() -> None:
    schedule = payload_schedule([5, 3, 2], 10)
    assert Counter(schedule) == {0: 5, 1: 3, 2: 2}
    assert schedule[:3] != [0, 0, 0]  # not one payload after another
    assert set(schedule[:4]) == {0, 1, 2} or set(schedule[:5]) == {0, 1, 2}


@given(st.lists(st.floats(0.1, 100), min_size=1, max_size=6), st.integers(6, 200))
def test_weighted_schedule_gives_each_payload_its_share_and_at_least_one(weights: list[float], num: int) -> None:
    schedule = payload_schedule(weights, num)
    assert len(schedule) == num
    counts = Counter(schedule)
    for index, weight in enumerate(weights):
        share = weight * num / sum(weights)
        assert counts[index] >= 1
        assert counts[index] == 1 or counts[index] < share + 1  # only the forced minimum ever exceeds the share


def test_too_few_invocations_for_the_payloads_is_refused() -> None:
    with pytest.raises(ValueError, match="num=2 is smaller than the 3 weighted payloads"):
        payload_schedule([1, 1, 1], 2)
    assert Counter(payload_schedule([100, 1], 10)) == {0: 9, 1: 1}


def test_weighted_payload_shape() -> None:
    assert is_weighted([{"payload": {}, "weight": 1}])
    assert not is_weighted([{"payload": {}}])
    assert not is_weighted([])
    assert not is_weighted({"weight": 1})


def test_payload_encoding_matches_the_reference_tool() -> None:
    assert encode_payload({"a": 1}) == '{"a": 1}'
    assert encode_payload('{"a": 1}') == '{"a": 1}'
    assert encode_payload("just a string") == '"just a string"'
    assert encode_payload(None) == "null"


def test_run_names_let_clean_up_find_exactly_its_own() -> None:
    run = run_id_for("arn:aws:states:us-east-1:123456789012:execution:tuner:abc")
    other = run_id_for("arn:aws:states:us-east-1:123456789012:execution:tuner:abd")
    assert len(run) == 10
    assert run != other
    assert is_run_alias(alias_name(run, 1024), run)
    assert not is_run_alias(alias_name(other, 1024), run)
    assert not is_run_alias("live", run)
    assert is_run_version(version_description(run, 512), run)
    assert not is_run_version(version_description(other, 512), run)
    assert not is_run_version("my release 2", run)


def test_batches_fit_the_measuring_task_whatever_the_target_timeout() -> None:
    assert invocations_per_batch(900, 0, parallel=False) == 1
    assert invocations_per_batch(3, 0, parallel=False) == 200
    assert invocations_per_batch(3, 2000, parallel=False) == 120
    batches = plan_batches([128, 256], 25, run_id="r1", per_batch=10)
    assert [(b.memory_mb, b.invocations, b.first_invocation) for b in batches] == [
        (128, 10, 0), (128, 10, 10), (128, 5, 20), (256, 10, 0), (256, 10, 10), (256, 5, 20),
    ]  # fmt: skip
    assert {b.alias for b in batches} == {"at-r1-128", "at-r1-256"}


def test_cold_start_runs_get_an_alias_per_invocation() -> None:
    batches = plan_batches([512], 3, run_id="r1", per_batch=10, only_cold_starts=True)
    assert [b.alias for b in batches] == ["at-r1-512-c0", "at-r1-512-c1", "at-r1-512-c2"]
