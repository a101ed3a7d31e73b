"""Timeout advice from the tail of the chosen size's calls."""

import pytest

from autotuner.domain.advice.timeout import (
    API_GATEWAY_LIMIT_S,
    DurationBaseline,
    invoked_by_api_gateway,
    recommended_timeout_s,
    timeout_advice,
)
from autotuner.domain.costs.pricing import Architecture, invocation_cost
from tests.unit.domain.advice.measured import PRICES, measured

ONE_SECOND = [900.0, 950.0, 980.0, 1000.0, 960.0, 940.0]  # the slowest call 1 s


def advise(current_s: int, durations: list[float] = ONE_SECOND, **options: object):  # type: ignore[no-untyped-def]
    return timeout_advice(
        measured(1024, durations),
        current_timeout_s=current_s,
        max_timeout_share=0.8,
        prices=PRICES,
        architecture=Architecture.X86_64,
        **options,  # type: ignore[arg-type]
    )


def test_a_60_s_timeout_for_calls_of_1_s_is_advised_down_with_its_figures() -> None:
    advice = advise(60)
    assert advice is not None
    assert (advice.change, advice.recommended_s, advice.current_s) == (True, 2, 60)
    assert advice.setting == "Timeout: 2 s"
    assert advice.slowest_ms == 1000.0
    assert advice.why.startswith("The slowest call measured at this size took 1,000 ms")
    assert "The current 60 s is 30 times that, and a hung call is billed until the timeout" in advice.why
    assert advice.hung_call_usd_current == pytest.approx(invocation_cost(1024, 60_000, PRICES, Architecture.X86_64))
    assert advice.hung_call_usd_recommended == pytest.approx(invocation_cost(1024, 2000, PRICES, Architecture.X86_64))
    assert advice.monthly_usd is None, "a timeout costs nothing until a call hangs: no monthly figure is invented"
    assert "$0.00100" in advice.monthly_basis
    assert "at 60 s" in advice.monthly_basis


def test_a_timeout_too_short_for_the_tail_is_advised_up() -> None:
    advice = advise(2, [1500.0, 1600.0, 1700.0, 1800.0, 1650.0])
    assert advice is not None
    assert (advice.change, advice.recommended_s) == (True, 4)
    assert "leaves the slow calls too little room: raise it" in advice.why


def test_a_timeout_within_reach_of_the_recommendation_is_kept() -> None:
    advice = advise(5)
    assert advice is not None
    assert (advice.change, advice.setting, advice.recommended_s) == (False, "Timeout: keep 5 s", 2)


def test_the_recommendation_keeps_the_slowest_call_under_the_timeout_margin_and_never_under_the_maximum() -> None:
    assert recommended_timeout_s(1000.0, 0.8) == 2, "twice the tail"
    assert recommended_timeout_s(1000.0, 0.4) == 3, "the margin asks for more: 1 s is 40% of 2.5 s"
    assert recommended_timeout_s(10.0, 0.8) == 1, "at least a second"
    for tail in (1.0, 499.0, 1234.5, 60_000.0):
        assert recommended_timeout_s(tail, 0.8) * 1000 >= tail / 0.8


def test_a_production_baseline_slower_than_the_run_raises_the_recommendation_scaled_to_the_size() -> None:
    baseline = DurationBaseline(slowest_ms=3000.0, source="CloudWatch", scale=0.5)
    advice = advise(60, baseline=baseline)
    assert advice is not None
    assert advice.recommended_s == 3, "3 s at the current size is 1.5 s at the chosen one: twice that"
    assert advice.baseline_ms == 1500.0
    assert "the slowest outside the run 1,500 ms (scaled to this size), from CloudWatch" in advice.why


def test_a_function_behind_api_gateway_is_told_of_its_29_s_integration_timeout() -> None:
    advice = advise(60, behind_api_gateway=True)
    assert advice is not None
    assert advice.behind_api_gateway is True
    assert f"ends its integration after {API_GATEWAY_LIMIT_S} s" in advice.why
    assert "the client gets a 504 while the function runs on, billed, up to its 60 s" in advice.why
    within = advise(10, behind_api_gateway=True)
    assert within is not None
    assert "2 s is within its 29 s integration timeout" in within.why
    slow = advise(900, [20_000.0, 21_000.0, 22_000.0, 20_500.0, 20_800.0], behind_api_gateway=True)
    assert slow is not None
    assert "need an asynchronous design" in slow.why


def test_api_gateway_is_found_in_the_resource_policys_principals() -> None:
    assert invoked_by_api_gateway(["apigateway.amazonaws.com", "events.amazonaws.com"]) is True
    assert invoked_by_api_gateway([]) is False
    assert invoked_by_api_gateway(None) is None, "an unread policy says nothing"


def test_a_size_without_a_successful_call_gets_no_advice() -> None:
    assert advise(30, []) is None
