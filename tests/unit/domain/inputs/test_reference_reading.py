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
