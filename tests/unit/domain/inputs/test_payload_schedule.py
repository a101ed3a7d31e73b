from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autotuner.domain.inputs.payload import encode_payload, is_weighted, payload_schedule


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
