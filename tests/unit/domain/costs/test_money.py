"""Dollar amounts as people read them: cents for amounts of a cent or more, three significant digits below."""

import pytest

from autotuner.domain.costs.money import usd


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (12.5, "$12.50"),
        (0.01, "$0.01"),
        (1234.567, "$1,234.57"),  # thousands grouped, rounded to the cent
        (3.0, "$3.00"),
    ],
)
def test_a_cent_or_more_is_shown_in_cents(amount: float, shown: str) -> None:
    assert usd(amount) == shown


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0.00000208, "$0.00000208"),  # a typical invocation's cost, as the reference tool reports it
        (0.005, "$0.00500"),
        (0.0012345, "$0.00123"),
        (2.0833e-9, "$0.00000000208"),
        (9.996e-7, "$0.00000100"),  # rounding up to the next power of ten keeps three digits, not four
    ],
)
def test_a_sub_cent_amount_keeps_three_significant_digits(amount: float, shown: str) -> None:
    assert usd(amount) == shown


def test_nothing_is_shown_as_plain_zero_dollars() -> None:
    assert usd(0) == "$0"
    assert usd(0.0) == "$0"


def test_an_amount_that_rounds_up_to_a_cent_is_shown_in_cents() -> None:
    assert usd(0.009999) == "$0.01"


def test_a_negative_amount_puts_its_sign_before_the_dollar() -> None:
    assert (usd(-0.005), usd(-12.5)) == ("-$0.00500", "-$12.50")
