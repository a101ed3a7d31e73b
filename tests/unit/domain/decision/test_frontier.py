"""The cost/latency frontier, the next faster option beside the choice, and the maxSlowdown refusal."""

import itertools

import pytest

from autotuner.domain.decision.candidate import Constraints
from autotuner.domain.decision.frontier import frontier, next_faster, slowdown_refusal
from autotuner.domain.decision.selection import choose, with_trade_offs
from tests.unit.domain.decision.test_selection import candidate

# image-resize in the demo: 256 MB is 1.4% cheaper than the current 1,024 MB but four times slower.
IMAGE_RESIZE = [
    candidate(256, 0.9860e-5, 2698),
    candidate(512, 0.9930e-5, 1360),
    candidate(768, 1.0100e-5, 920),  # dearer than 1024 MB and slower: not on the frontier
    candidate(1024, 1.0000e-5, 684),
    candidate(2048, 1.9000e-5, 660),
]


def test_the_frontier_keeps_each_size_faster_than_every_cheaper_one() -> None:
    points = frontier(IMAGE_RESIZE, [c.memory_mb for c in IMAGE_RESIZE])
    assert [p.memory_mb for p in points] == [256, 512, 1024, 2048]
    assert all(b.cost >= a.cost and b.duration_ms < a.duration_ms for a, b in itertools.pairwise(points))


def test_the_frontier_leaves_out_sizes_that_cannot_be_chosen() -> None:
    assert [p.memory_mb for p in frontier(IMAGE_RESIZE, [512, 1024])] == [512, 1024]


def test_beside_the_choice_the_next_faster_size_says_what_it_costs_and_saves() -> None:
    points = frontier(IMAGE_RESIZE, [c.memory_mb for c in IMAGE_RESIZE])
    option = next_faster(points, 256)
    assert option is not None
    assert option.memory_mb == 512
    assert option.extra_cost_percent == pytest.approx((0.9930 / 0.9860 - 1) * 100)
    assert option.time_saved_ms == pytest.approx(2698 - 1360)
    assert option.time_saved_percent == pytest.approx((1 - 1360 / 2698) * 100)
    chosen = points[0]
    assert option.describe(chosen).startswith("the next faster option, 512 MB, would cost 0.7% more")
    assert next_faster(points, 2048) is None  # nothing is faster


def test_max_slowdown_refuses_a_saving_bought_with_a_larger_slowdown_and_gives_the_figures() -> None:
    refusal = slowdown_refusal(IMAGE_RESIZE, 256, 1024, 1.5)
    assert refusal is not None
    p95 = {c.memory_mb: c.duration_ms.p95 for c in IMAGE_RESIZE if c.duration_ms}
    assert refusal == (
        f"256 MB's p95 of {p95[256]:,.0f} ms is {p95[256] / p95[1024]:.2f}x the current 1024 MB's "
        f"{p95[1024]:,.0f} ms, beyond maxSlowdown 1.5, to save 1.4% per invocation"
    )
    assert slowdown_refusal(IMAGE_RESIZE, 256, 1024, 4.0) is None
    assert slowdown_refusal(IMAGE_RESIZE, 256, 1024, None) is None
    assert slowdown_refusal(IMAGE_RESIZE, 1024, 1024, 1.0) is None  # no change, no slowdown


def test_max_slowdown_without_the_current_size_measured_refuses_rather_than_guess() -> None:
    refusal = slowdown_refusal(IMAGE_RESIZE, 256, 3008, 1.5)
    assert refusal is not None
    assert "3008 MB, which was not measured" in refusal


def test_the_decision_carries_the_trade_offs_and_a_refusal_only_when_the_run_applies() -> None:
    decision = choose(IMAGE_RESIZE, constraints=Constraints(max_slowdown=1.5))
    assert decision.chosen_memory_mb == 256
    applied = with_trade_offs(decision, IMAGE_RESIZE, current_memory_mb=1024, max_slowdown=1.5, applies=True)
    assert [p.memory_mb for p in applied.frontier] == [256, 512, 1024, 2048]
    assert applied.faster_option is not None
    assert applied.faster_option.memory_mb == 512
    assert applied.apply_refusal is not None
    recommended = with_trade_offs(decision, IMAGE_RESIZE, current_memory_mb=1024, max_slowdown=1.5, applies=False)
    assert recommended.apply_refusal is None


def test_max_slowdown_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="maxSlowdown"):
        Constraints.model_validate({"maxSlowdown": 0.9})
