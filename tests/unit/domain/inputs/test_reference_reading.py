"""Inputs the reference tool runs by reading them leniently keep their meaning here: each is rewritten to what
that tool would use, with a warning naming the field and the value used whenever the value changes."""

import pytest

from autotuner.domain.inputs.reference_reading import read_as_reference


@pytest.mark.parametrize(
    ("given", "used", "warning"),
    [
        ("250", 250, None),
        (" 40 ", 40, None),
        ("1e3", 1, "sleepBetweenRunsMs: '1e3' is not a whole number of ms >= 0; 1 used"),
        ("12.7", 12, "sleepBetweenRunsMs: '12.7' is not a whole number of ms >= 0; 12 used"),
        ("1_000", 0, "sleepBetweenRunsMs: '1_000' is not a whole number of ms >= 0; 0 used"),
        ("0x10", 0, "sleepBetweenRunsMs: '0x10' is not a whole number of ms >= 0; 0 used"),
        ("", 0, "sleepBetweenRunsMs: '' is not a whole number of ms >= 0; 0 used"),
    ],
)
def test_a_sleep_given_as_text_is_what_executor_js_parse_int_makes_of_it(
    given: str, used: int, warning: str | None
) -> None:
    """executor.js: ``isNaN(value) ? 0 : parseInt(value, 10)``; parseInt reads the leading digits only, so "1e3"
    sleeps 1 ms there; JavaScript has no "1_000" numeral, so that one sleeps not at all."""
    reading = read_as_reference({"sleepBetweenRunsMs": given})
    assert reading.input["sleepBetweenRunsMs"] == used
    assert reading.warnings == ([warning] if warning else [])


def test_a_sleep_of_thousands_of_digits_is_no_number_rather_than_a_crash() -> None:
    reading = read_as_reference({"sleepBetweenRunsMs": "9" * 5000})
    assert reading.input["sleepBetweenRunsMs"] == 0
    assert reading.warnings[0].endswith("is not a whole number of ms >= 0; 0 used")


def test_an_input_that_needs_no_lenient_reading_is_read_unchanged_and_left_as_given() -> None:
    given = {
        "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "num": 10,
        "powerValues": [128, 256],
        "payload": {"id": 1},
        "sleepBetweenRunsMs": 50,
        "discardTopBottom": 0.2,
        "balancedWeight": 0.3,
    }
    reading = read_as_reference(given)
    assert (reading.input, reading.warnings) == (given, [])
    assert reading.input is not given


def test_empty_power_values_mean_the_deployments_default_sizes() -> None:
    reading = read_as_reference({"powerValues": []})
    assert ("powerValues" in reading.input, reading.warnings) == (False, [])


def test_payload_s3_wins_over_an_inline_payload() -> None:
    reading = read_as_reference({"payloadS3": "s3://bucket/key.json", "payload": {"id": 1}})
    assert reading.input == {"payloadS3": "s3://bucket/key.json"}
    assert reading.warnings == ["payload: ignored because payloadS3 is given; the payload is read from S3"]


@pytest.mark.parametrize(("payload", "shown"), [(0, "0"), ("", "''"), (False, "false")])
def test_a_falsy_payload_is_no_payload(payload: object, shown: str) -> None:
    reading = read_as_reference({"payload": payload})
    assert reading.input == {"payload": None}
    assert reading.warnings == [f"payload: {shown} counts as no payload; null is sent"]


@pytest.mark.parametrize("payload", [None, {}, [], "0", {"id": 0}])
def test_null_and_every_truthy_payload_are_sent_as_given(payload: object) -> None:
    reading = read_as_reference({"payload": payload})
    assert (reading.input, reading.warnings) == ({"payload": payload}, [])


def test_a_weighted_list_with_a_zero_weight_is_one_plain_payload_and_says_which_item() -> None:
    items = [{"payload": {"a": 1}, "weight": 3}, {"payload": {"b": 2}, "weight": 0}, {"payload": "", "weight": 1}]
    reading = read_as_reference({"payload": items})
    assert reading.input == {"payload": items}
    assert reading.warnings == [
        "payload[1]: a zero weight or an empty payload makes the list one plain payload; the whole list is sent as "
        "each invocation's payload"
    ]
    assert read_as_reference({"payload": items[:1]}).warnings == []  # truthy weight and payload: weighted


@pytest.mark.parametrize(
    ("given", "used", "warning"),
    [
        (50, 50, None),
        (0, 0, None),
        (50.7, 50, "sleepBetweenRunsMs: 50.7 is not a whole number of ms >= 0; 50 used"),
        (-5, 0, "sleepBetweenRunsMs: -5 is not a whole number of ms >= 0; 0 used"),
        ("Not a number", 0, "sleepBetweenRunsMs: 'Not a number' is not a whole number of ms >= 0; 0 used"),
        (True, 0, "sleepBetweenRunsMs: true is not a whole number of ms >= 0; 0 used"),
    ],
)
def test_a_sleep_that_is_not_a_whole_number_of_ms_is_read_as_executor_js_reads_it(
    given: object, used: int, warning: str | None
) -> None:
    reading = read_as_reference({"sleepBetweenRunsMs": given})
    assert reading.input["sleepBetweenRunsMs"] == used
    assert reading.warnings == ([warning] if warning else [])


def test_no_sleep_given_adds_none() -> None:
    assert read_as_reference({"num": 5}).input == {"num": 5}


def test_parallel_invocations_ignore_the_sleep() -> None:
    reading = read_as_reference({"sleepBetweenRunsMs": 100, "parallelInvocation": True})
    assert reading.input["sleepBetweenRunsMs"] == 0
    assert reading.warnings == [
        "sleepBetweenRunsMs: ignored because parallelInvocation runs invocations at once; 0 used"
    ]
    assert read_as_reference({"sleepBetweenRunsMs": 0, "parallelInvocation": True}).warnings == []


@pytest.mark.parametrize(
    ("given", "used", "warning"),
    [
        (0.7, 0.4, "discardTopBottom: 0.7 is outside 0-0.4; 0.4 used"),
        (-0.1, 0.0, "discardTopBottom: -0.1 is outside 0-0.4; 0.0 used"),
        (0.4, 0.4, None),
        (0, 0, None),
    ],
)
def test_discard_top_bottom_is_clamped_to_at_most_forty_percent(given: float, used: float, warning: str | None) -> None:
    reading = read_as_reference({"discardTopBottom": given})
    assert reading.input["discardTopBottom"] == used
    assert reading.warnings == ([warning] if warning else [])


def test_with_only_cold_starts_every_invocation_counts() -> None:
    reading = read_as_reference({"discardTopBottom": 0.1, "onlyColdStarts": True})
    assert reading.input["discardTopBottom"] == 0.0
    assert reading.warnings == ["discardTopBottom: 0.1 given, 0 used: with onlyColdStarts every invocation counts"]
    assert read_as_reference({"discardTopBottom": 0, "onlyColdStarts": True}).warnings == []
    assert "discardTopBottom" not in read_as_reference({"onlyColdStarts": True}).input


def test_a_discard_top_bottom_that_is_no_number_is_left_for_validation_to_refuse() -> None:
    for given in ("0.2", None, [0.1]):
        reading = read_as_reference({"discardTopBottom": given, "onlyColdStarts": True})
        assert (reading.input["discardTopBottom"], reading.warnings) == (given, [])


@pytest.mark.parametrize(
    ("given", "used", "warning"),
    [(1.5, 1.0, "balancedWeight: 1.5 is outside 0-1; 1 used"), (-2, 0.0, "balancedWeight: -2 is outside 0-1; 0 used")],
)
def test_balanced_weight_is_clamped_to_between_zero_and_one(given: float, used: float, warning: str) -> None:
    reading = read_as_reference({"balancedWeight": given})
    assert (reading.input["balancedWeight"], reading.warnings) == (used, [warning])
    assert read_as_reference({"balancedWeight": 0.25}).warnings == []
