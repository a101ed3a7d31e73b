"""Which size a traffic run measures next, one candidate at a time, and when it stops."""

from collections.abc import Sequence

import pytest

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.search.cost_curve import CostCurve, fit_cost_curve
from autotuner.domain.traffic.search import NextCandidate, SearchBounds, first_candidate, next_candidate
from tests.unit.domain.traffic.calls import PRICING, partly_parallel, spread, stats

WIDE = SearchBounds(lowest_mb=128, highest_mb=10_240)


def at(memory: int, gb_ms: float) -> CandidateStats:
    """``memory`` measured with calls of ``gb_ms`` GB-milliseconds each: its cost follows them."""
    return stats(memory, [gb_ms * 1024 / memory] * 5)


def routed_back(memory: int) -> CandidateStats:
    return at(memory, 10.0).model_copy(update={"failure_reason": "routed back: 3 of its 40 calls timed out"})


# A curve fitted to a function whose cost is lowest near 600 MB.
FITTED = fit_cost_curve(
    {m: spread(partly_parallel(m), 30, width=0.02) for m in (256, 362, 512, 724, 1024, 1448)},
    PRICING.curve_pricing, lowest_mb=128, highest_mb=10_240, noise_threshold=0.01, resamples=20, seed=1,
)  # fmt: skip


def curve_with_optimum(optimum_mb: int, *, fits: bool = True) -> CostCurve:
    """The fitted curve, as if its cheapest size were ``optimum_mb`` (what the search reads of it)."""
    assert FITTED is not None
    assert FITTED.fits
    check = FITTED.check.model_copy(update={"fits": fits})
    return FITTED.model_copy(update={"optimum_mb": optimum_mb, "check": check})


def following(
    measured: Sequence[CandidateStats],
    *,
    bounds: SearchBounds = WIDE,
    curve: CostCurve | None = None,
    chosen_mb: int | None = None,
    max_candidates: int = 5,
) -> NextCandidate:
    current = 1024
    tried = [c.memory_mb for c in measured if c.memory_mb != current]
    return next_candidate(
        measured, tried=tried, chosen_mb=chosen_mb, bounds=bounds, curve=curve, max_candidates=max_candidates
    )


def test_the_first_candidate_is_an_octave_below_the_current_size() -> None:
    assert first_candidate(1024, WIDE) == NextCandidate(
        memory_mb=512, reason="an octave below 1024 MB, the cheapest so far"
    )


def test_the_first_candidate_stays_within_the_margins() -> None:
    assert first_candidate(1024, SearchBounds(lowest_mb=700, highest_mb=10_240)).memory_mb == 700


def test_at_the_lowest_size_the_first_candidate_is_an_octave_above() -> None:
    above = first_candidate(1024, SearchBounds(lowest_mb=1_000, highest_mb=3_008))
    assert above == NextCandidate(memory_mb=2_048, reason="an octave above 1024 MB, the cheapest so far")
    assert first_candidate(2_048, SearchBounds(lowest_mb=2_000, highest_mb=3_008)).memory_mb == 3_008


def test_a_current_size_below_the_margins_first_tries_the_smallest_size_they_allow() -> None:
    first = first_candidate(1024, SearchBounds(lowest_mb=1_138, highest_mb=10_240))
    assert first == NextCandidate(memory_mb=1_138, reason="the smallest size the margins allow above 1024 MB's use")


def test_the_smallest_size_the_margins_allow_is_measured_once_only() -> None:
    """The choice below the margins (the current size, cheapest so far): their smallest size, once measured, is
    where the search goes on from; it is never sent production's calls again."""
    bounds = SearchBounds(lowest_mb=1_000, highest_mb=3_008)
    measured = [at(1024, 100.0), at(1000, 110.0)]
    for _ in range(3):
        found = following(measured, bounds=bounds, chosen_mb=512)
        assert found.memory_mb != 1000, found
        if found.memory_mb is None:
            break
        measured.append(at(found.memory_mb, 105.0))


def test_a_cheaper_step_down_is_followed_by_another_octave_down() -> None:
    assert following([at(1024, 100.0), at(512, 80.0)]).memory_mb == 256


def test_a_dearer_step_down_turns_the_search_up() -> None:
    step = following([at(1024, 100.0), at(512, 130.0)])
    assert step == NextCandidate(memory_mb=2_048, reason="an octave above 1024 MB, the cheapest so far")


def test_with_both_sides_measured_the_gap_toward_the_cheaper_neighbour_is_halved() -> None:
    measured = [at(256, 120.0), at(512, 80.0), at(1024, 100.0)]
    step = following(measured)
    assert step == NextCandidate(memory_mb=724, reason="between 512 MB, the cheapest so far, and 1024 MB above")
    toward_below = following([at(256, 90.0), at(512, 80.0), at(1024, 100.0)])
    assert toward_below.memory_mb == 362


def test_a_routed_back_neighbour_closes_its_side() -> None:
    step = following([routed_back(256), at(512, 80.0), at(1024, 100.0)])
    assert step.memory_mb == 724


def test_a_size_hemmed_in_by_close_neighbours_is_the_decision() -> None:
    step = following([at(450, 90.0), at(512, 80.0), at(600, 85.0), at(1024, 100.0)])
    assert step == NextCandidate(
        memory_mb=None, reason="decided: 512 MB is the cheapest, hemmed in by sizes within 25% or that failed"
    )


def test_hemmed_in_by_failures_is_decided_too() -> None:
    step = following([routed_back(362), at(512, 80.0), routed_back(724), at(1024, 100.0)])
    assert step.memory_mb is None
    assert step.reason.startswith("decided: 512 MB is the cheapest, hemmed in")


def test_the_search_stops_at_max_candidates() -> None:
    measured = [at(256, 90.0), at(512, 80.0), at(1024, 100.0)]
    assert following(measured, max_candidates=2) == NextCandidate(
        memory_mb=None, reason="traffic.maxCandidates: 2 candidates measured"
    )


def test_with_every_size_failing_there_is_nothing_to_search_from() -> None:
    step = following([routed_back(512), routed_back(1024)])
    assert step == NextCandidate(memory_mb=None, reason="no size measured without failing")


def test_a_fitting_curve_s_unmeasured_cheapest_size_is_measured_next() -> None:
    step = following([at(256, 120.0), at(512, 80.0), at(1024, 100.0)], curve=curve_with_optimum(640))
    assert step == NextCandidate(memory_mb=640, reason="the cost curve's cheapest size, 640 MB")


def test_the_curve_s_cheapest_size_is_kept_within_the_bounds() -> None:
    bounds = SearchBounds(lowest_mb=300, highest_mb=3_008)
    step = following([at(512, 80.0), at(1024, 100.0)], curve=curve_with_optimum(200), bounds=bounds)
    assert step.memory_mb == 300


def test_a_measured_curve_optimum_that_is_the_choice_ends_the_search() -> None:
    step = following([at(256, 120.0), at(512, 80.0), at(1024, 100.0)], curve=curve_with_optimum(500))
    assert step == NextCandidate(
        memory_mb=None, reason="decided: the cost curve's cheapest size, 500 MB, is measured (512 MB)"
    )


def test_a_curve_that_does_not_fit_is_not_followed() -> None:
    measured = [at(256, 120.0), at(512, 80.0), at(1024, 100.0)]
    assert following(measured, curve=curve_with_optimum(640, fits=False)).memory_mb == 724


@pytest.mark.parametrize(("chosen", "expected"), [(1024, 2_048), (256, 128), (512, 724)])
def test_the_decision_s_choice_leads_the_search_over_the_cheapest_measured(chosen: int, expected: int) -> None:
    measured = [at(256, 120.0), at(512, 80.0), at(1024, 100.0)]
    step = following(measured, chosen_mb=chosen)
    assert step.memory_mb == expected
    assert f"{chosen} MB, the cheapest so far" in step.reason
