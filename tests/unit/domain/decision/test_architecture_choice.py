"""The choice over (size, architecture): each architecture's own choice against the deployed one's."""

import pytest

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.decision.architecture import ArchitectureChoice, LaneChoice, choose_architecture
from autotuner.domain.decision.strategy import Strategy
from tests.unit.domain.advice.measured import measured

X86, ARM = Architecture.X86_64, Architecture.ARM64
STEADY = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8]


def choose(x86: list[float] | None, arm: list[float] | None, strategy: Strategy = Strategy.COST) -> ArchitectureChoice:
    lanes = [
        (X86, measured(1024, x86, architecture=X86) if x86 else None),
        (ARM, measured(1024, arm, architecture=ARM) if arm else None),
    ]
    return choose_architecture(X86, lanes, strategy, noise_threshold=0.01)


def test_arm64_at_the_same_speed_is_chosen_for_its_lower_price() -> None:
    choice = choose(STEADY, STEADY)
    assert choice.switches
    assert choice.chosen is ARM
    duration, request = 0.1 * 0.0000166667, 0.0000002  # 100 ms at 1 GB on x86_64, and the request
    assert choice.saving_share == pytest.approx(0.2 * duration / (duration + request), rel=0.02), (
        "arm64's GB-second is 20% cheaper; the request costs the same"
    )
    assert choice.saving_per_invocation is not None
    assert choice.saving_per_invocation > 0
    assert choice.reason.startswith("arm64 at 1,024 MB")
    assert "beats x86_64 at 1,024 MB" in choice.reason


def test_arm64_that_is_slower_by_more_than_its_discount_is_not_chosen() -> None:
    choice = choose(STEADY, [d * 1.5 for d in STEADY])
    assert not choice.switches
    assert choice.reason.startswith("x86_64 at 1,024 MB")


def test_a_difference_within_the_noise_keeps_the_deployed_architecture() -> None:
    choice = choose(STEADY, [d * 1.24 for d in STEADY])  # 1.24 x 0.8 = 0.992: under 1% cheaper
    assert not choice.switches
    assert "within the noise threshold (1%)" in choice.reason


def test_a_difference_the_measurements_cannot_tell_apart_keeps_the_deployed_architecture() -> None:
    noisy = [50.0, 150.0, 60.0, 140.0, 100.0, 70.0, 130.0]
    choice = choose(noisy, [d * 1.2 for d in noisy])  # 4% cheaper on average, but within the spread
    assert not choice.switches
    assert "do not tell the two apart" in choice.reason


def test_the_speed_strategy_compares_durations() -> None:
    choice = choose(STEADY, [d * 0.7 for d in STEADY], Strategy.SPEED)
    assert choice.chosen is ARM
    assert "on duration" in choice.reason


def test_only_one_architecture_working_is_the_choice() -> None:
    assert choose(None, STEADY).chosen is ARM
    assert choose(STEADY, None).chosen is X86
    nothing = choose(None, None)
    assert (nothing.chosen, nothing.reason) == (X86, "No size met the constraints on any architecture.")


def test_the_deployed_architecture_must_be_a_lane() -> None:
    with pytest.raises(ValueError, match="must be one of the lanes"):
        choose_architecture(X86, [(ARM, None)], Strategy.COST, noise_threshold=0.01)


def test_a_lane_without_a_choice_says_so() -> None:
    assert LaneChoice.of(ARM, None).describe() == "arm64: no size meets the constraints and margins"
