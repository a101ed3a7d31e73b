"""The decision of a traffic run over synthetic production calls, made as Analyze makes an adaptive run's."""

from collections.abc import Callable, Mapping

from autotuner.domain.inputs.tuning_input import TuningInput, parse_tuning_input
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.traffic.deciding import TrafficDecision, decide_on_traffic
from autotuner.domain.traffic.search import SearchBounds
from tests.unit.domain.traffic.calls import PRICING, partly_parallel, spread, warm

TUNING = parse_tuning_input(
    {"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:payments:live", "measure": "traffic"}
)
CURRENT_MB = 1024
STAYS = "1024 MB, the current size, is the choice: the alias stays as it is"


def calls_at(sizes: list[int], duration: Callable[[int], float]) -> list[BatchMeasurement]:
    """100 warm calls at each size, within 2% of ``duration`` there."""
    return [warm(m, spread(duration(m), 100, width=0.02)) for m in sizes]


def decide(
    measurements: list[BatchMeasurement],
    *,
    routed_back: Mapping[int, str] | None = None,
    applies: bool = True,
    tuning: TuningInput = TUNING,
) -> TrafficDecision:
    return decide_on_traffic(
        tuning, measurements, routed_back=routed_back or {}, current_mb=CURRENT_MB,
        bounds=SearchBounds(lowest_mb=134, highest_mb=3_008), pricing=PRICING, timeout_ms=30_000, applies=applies,
        seed=1, resamples=200, curve_resamples=50,
    )  # fmt: skip


def test_the_cheapest_size_measured_is_chosen() -> None:
    # GB-ms per call: 89.6 at 256 MB, 75 at 512 MB, 100 at 1,024 MB.
    made = decide(calls_at([256, 512, 1024], {256: 350.0, 512: 150.0, 1024: 100.0}.__getitem__))
    assert made.decision.chosen_memory_mb == 512
    assert [c.memory_mb for c in made.candidates] == [256, 512, 1024]
    assert made.decision.ranking[:3] == [512, 256, 1024]
    assert made.decision.apply_refusal is None


def test_with_the_curve_fitted_the_choice_is_the_cheapest_size_measured() -> None:
    made = decide(calls_at([256, 362, 512, 724, 1024, 1448], partly_parallel))
    assert made.curve is not None
    assert made.curve.fits
    assert 512 < made.curve.optimum_mb < 724  # the curve's cheapest size is between two measured ones
    assert made.decision.chosen_memory_mb == 512  # 97.8 GB-ms, against 98.1 at 724 MB


def test_a_routed_back_size_is_never_chosen_and_says_why() -> None:
    measured = calls_at([256, 512, 1024], {256: 350.0, 512: 150.0, 1024: 100.0}.__getitem__)
    made = decide(measured, routed_back={512: "3 of its 40 calls timed out (7.5%)"})
    assert made.decision.chosen_memory_mb == 256
    routed = next(c for c in made.candidates if c.memory_mb == 512)
    assert routed.failure_reason == "routed back: 3 of its 40 calls timed out (7.5%)"
    assert [(e.memory_mb, e.reason) for e in made.decision.excluded] == [
        (512, "failed: routed back: 3 of its 40 calls timed out (7.5%)")
    ]


def test_with_the_cheap_sizes_routed_back_the_current_size_stays_and_nothing_is_applied() -> None:
    measured = calls_at([256, 362, 512, 724, 1024, 1448], partly_parallel)
    made = decide(measured, routed_back={512: "an alarm", 724: "an alarm"})
    assert made.decision.chosen_memory_mb == CURRENT_MB
    assert made.decision.apply_refusal == STAYS


def test_the_current_size_chosen_means_nothing_to_apply() -> None:
    dearer_below = calls_at([512, 1024], {512: 250.0, 1024: 100.0}.__getitem__)
    made = decide(dearer_below)
    assert made.decision.chosen_memory_mb == CURRENT_MB
    assert made.decision.apply_refusal == STAYS
    assert decide(dearer_below, applies=False).decision.apply_refusal is None
