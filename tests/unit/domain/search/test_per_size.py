"""The adaptive search's plan per size when no fitting cost curve steers it: probes toward a failure, a new size
along the curve (the knee for speed, a parabola's minimum otherwise), and top-ups for the best and its rivals."""

import math
from collections.abc import Sequence

from autotuner.domain.decision.candidate import CandidateStats, Constraints
from autotuner.domain.decision.strategy import RULES, Strategy
from autotuner.domain.search.landscape import Kind, Landscape, Work, read_landscape
from autotuner.domain.search.per_size import boundaries, boundary_work, curve_work, top_ups
from autotuner.domain.search.settings import AdaptiveSettings
from tests.unit.domain.search.test_landscape import failed, probe, sized, with_cost_interval

SETTINGS = AdaptiveSettings()  # noise threshold 1%, 4 per top-up, 2 per new size, 1 per probe, 5 probes a round


def landscape(sizes: Sequence[CandidateStats], strategy: Strategy = Strategy.COST) -> Landscape:
    read = read_landscape(sizes, RULES[strategy], 0.5, Constraints())
    assert read is not None
    return read


# ---- toward a failure ------------------------------------------------------------------------------------------


def test_each_side_pairs_the_nearest_failure_with_the_nearest_size_that_worked() -> None:
    sizes = [failed(128), failed(256), sized(512, 3e-6, 400), sized(1024, 2e-6, 200), sized(2048, 3e-6, 100),
             failed(4096), failed(8192)]  # fmt: skip
    assert boundaries(landscape(sizes)) == [(256, 512), (4096, 2048)]
    assert boundaries(landscape([sized(512, 3e-6, 400), sized(1024, 2e-6, 200)])) == []


def test_with_the_slope_unknown_a_wide_gap_to_a_failure_is_probed_evenly_as_far_as_a_round_allows() -> None:
    """128 MB failed, 1024 MB worked, nothing else known: a floor anywhere in 896 MB, resolved to 1 MB in two
    rounds needs about 29 probes a round (root 896 parts); five are allowed, one call each."""
    probes, confirms = boundary_work(SETTINGS, landscape([failed(128), sized(1024, 2e-6, 200)]), set(), set(), 2)
    why = "between 128 MB, which failed or is excluded, and 1024 MB, which worked"
    # 128 + 896 x i / 6
    assert probes == [Work(Kind.BOUNDARY, m, 1, why) for m in (277, 427, 576, 725, 875)]
    assert confirms == []


def test_probes_skip_sizes_out_of_range_or_unavailable() -> None:
    settings = AdaptiveSettings(min_memory_mb=300)
    probes, _ = boundary_work(settings, landscape([failed(128), sized(1024, 2e-6, 200)]), {576}, set(), 2)
    assert [w.memory_mb for w in probes] == [427, 725, 875]


def test_a_known_slope_sets_how_closely_the_floor_is_worth_pinning_down() -> None:
    """From 1024 to 2048 MB the cost rises 1%: 1/1024 % per MB, so a quarter of the 1% threshold is 256 MB of
    memory. A gap of 896 MB is 3.5 of those: in the one round left, three probes cut it into four."""
    sizes = [failed(128), sized(1024, 2e-6, 200), sized(2048, 2.02e-6, 100)]
    probes, confirms = boundary_work(SETTINGS, landscape(sizes), set(), set(), 1)
    assert [w.memory_mb for w in probes] == [352, 576, 800]  # 128 + 896 x i / 4
    assert confirms == []


def test_a_gap_narrower_than_worth_resolving_gets_warm_calls_for_the_size_above_the_failure() -> None:
    """960 MB failed, a probe of 1000 MB worked; 40 MB is well inside the 256 MB worth resolving."""
    sizes = [failed(960), probe(1000, 2.1e-6, 220), sized(1024, 2e-6, 200), sized(2048, 2.02e-6, 100)]
    probes, confirms = boundary_work(SETTINGS, landscape(sizes), set(), set(), 3)
    assert probes == []
    assert confirms == [Work(Kind.CONFIRM, 1000, 4, "the nearest size to work")]
    assert boundary_work(SETTINGS, landscape(sizes), set(), {1000}, 3) == ([], [])  # let go: not measured again


def test_with_no_round_left_the_size_that_worked_is_confirmed_instead_of_probing() -> None:
    sizes = [failed(128), probe(512, 3e-6, 400), sized(1024, 2e-6, 200)]
    probes, confirms = boundary_work(SETTINGS, landscape(sizes), set(), set(), 0)
    assert probes == []
    assert confirms == [Work(Kind.CONFIRM, 512, 4, "the nearest size to work")]


# ---- along the curve -------------------------------------------------------------------------------------------


def test_for_speed_a_clearly_slower_smaller_size_is_bisected_toward_the_knee() -> None:
    sizes = [sized(512, 2e-6, 400), sized(1024, 3e-6, 100)]
    work = curve_work(SETTINGS, landscape(sizes, Strategy.SPEED), set())
    why = "between 512 MB, which is slower, and 1024 MB, where more memory stops helping"
    assert work == [Work(Kind.CURVE, round(math.sqrt(512 * 1024)), 2, why)]  # the middle in log memory: 724 MB


def test_for_speed_a_smaller_size_that_may_be_as_fast_gets_more_calls_first() -> None:
    sizes = [sized(512, 2e-6, 101), sized(1024, 3e-6, 100)]  # 1% slower: within the threshold
    work = curve_work(SETTINGS, landscape(sizes, Strategy.SPEED), set())
    assert work == [Work(Kind.NEIGHBOUR, 512, 4, "it might be as fast")]


def test_for_speed_sizes_within_five_percent_are_not_bisected_nor_is_a_knee_with_nothing_below() -> None:
    close = [sized(1000, 2e-6, 400), sized(1024, 3e-6, 100)]
    assert curve_work(SETTINGS, landscape(close, Strategy.SPEED), set()) == []
    assert curve_work(SETTINGS, landscape([sized(1024, 3e-6, 100)], Strategy.SPEED), set()) == []
    bisect = [sized(512, 2e-6, 400), sized(1024, 3e-6, 100)]
    assert curve_work(SETTINGS, landscape(bisect, Strategy.SPEED), {724}) == []


def test_otherwise_a_new_size_goes_where_a_parabola_in_log_memory_bottoms_out() -> None:
    """Costs 3, 2 and 2.2 at 512, 1024 and 2048 MB (equal steps h in log memory): the parabola's minimum is h/3
    above 1024 MB, at 1024 x 2^(1/3) MB, and promises 3.3% below the focus, beyond half the 1% threshold."""
    sizes = [sized(512, 3e-6, 400), sized(1024, 2e-6, 200), sized(2048, 2.2e-6, 110)]
    work = curve_work(SETTINGS, landscape(sizes), set())
    why = "where a parabola through 512, 1024 and 2048 MB has its minimum"
    assert work == [Work(Kind.CURVE, round(1024 * 2 ** (1 / 3)), 2, why)]  # 1290 MB


def test_the_parabola_probe_keeps_a_fifth_of_the_interval_from_the_measured_sizes() -> None:
    """Costs 3, 2 and 2.5: the minimum is h/6 above 1024 MB, nearer than h/5, so the probe goes to h/5."""
    sizes = [sized(512, 3e-6, 400), sized(1024, 2e-6, 200), sized(2048, 2.5e-6, 110)]
    assert [w.memory_mb for w in curve_work(SETTINGS, landscape(sizes), set())] == [round(1024 * 2**0.2)]  # 1176


def test_no_parabola_probe_when_it_promises_little_a_failure_lies_between_or_the_size_is_unavailable() -> None:
    flat = [sized(512, 2.01e-6, 400), sized(1024, 2e-6, 200), sized(2048, 2.01e-6, 110)]
    assert curve_work(SETTINGS, landscape(flat), set()) == []
    bowl = [sized(512, 3e-6, 400), sized(1024, 2e-6, 200), sized(2048, 2.2e-6, 110)]
    assert curve_work(SETTINGS, landscape([*bowl, failed(1536)]), set()) == []
    assert curve_work(SETTINGS, landscape(bowl), {1290}) == []
    assert curve_work(AdaptiveSettings(max_memory_mb=1200), landscape(bowl), set()) == []
    assert curve_work(SETTINGS, landscape(bowl[1:]), set()) == []  # no neighbour below the focus


# ---- top-ups ---------------------------------------------------------------------------------------------------

CLEAR = [sized(512, 3e-6, 400), sized(1024, 2e-6, 200), sized(2048, 3.5e-6, 100)]


def test_a_clear_best_is_topped_up_to_the_minimum_samples_and_no_rival_is() -> None:
    assert top_ups(SETTINGS, landscape(CLEAR), set()) == [Work(Kind.BEST, 1024, 4, "the best so far")]
    six = [CLEAR[0], sized(1024, 2e-6, 200, n=6), CLEAR[2]]
    assert top_ups(SETTINGS, landscape(six), set()) == []


def test_a_rival_choose_would_take_for_speed_is_topped_up_and_so_is_the_best_until_they_are_told_apart() -> None:
    """1536 MB costs 1.5% more than 1024 MB (beyond the 1% threshold) but inside the best's interval, and is
    faster: choose could take it. The best needs (1.96 x noise / 1.5%)^2 samples to tell them apart; the noise
    of four sizes of three identical calls is the prior pooled over 2 + 8 degrees: root(0.005 / 10)."""
    best = with_cost_interval(sized(1024, 2e-6, 200), 1.95e-6, 2.05e-6)
    sizes = [CLEAR[0], best, sized(1536, 2.03e-6, 140), CLEAR[2]]
    needed = math.ceil((1.96 * math.sqrt(0.005 / 10) / 0.015) ** 2)
    assert needed == 9
    assert top_ups(SETTINGS, landscape(sizes), set()) == [
        Work(Kind.PICKABLE, 1024, needed - 3, "the best so far"),
        Work(Kind.PICKABLE, 1536, 4, "choose would take it for speed"),
    ]
    assert top_ups(SETTINGS, landscape(sizes), {1536}) == [Work(Kind.BEST, 1024, 4, "the best so far")]


def test_a_noisy_neighbour_that_might_be_cheaper_is_topped_up_beside_the_best() -> None:
    """512 MB costs 1% more on three calls spread ±30%: within one standard error it might beat the best."""
    sizes = [sized(512, 2.02e-6, 400, spread=0.3), sized(1024, 2e-6, 200, spread=0.3)]
    assert top_ups(SETTINGS, landscape(sizes), set()) == [
        Work(Kind.BEST, 1024, 4, "the best so far"),
        Work(Kind.NEIGHBOUR, 512, 4, "it might be cheaper"),
    ]
    six = [sizes[0], sized(1024, 2e-6, 200, n=6, spread=0.3)]
    assert top_ups(SETTINGS, landscape(six), set()) == [
        Work(Kind.BEST, 1024, 4, "the best so far"),  # enough samples, but a rival is open: keep narrowing it
        Work(Kind.NEIGHBOUR, 512, 4, "it might be cheaper"),
    ]


def test_a_best_that_was_let_go_is_not_topped_up() -> None:
    assert top_ups(SETTINGS, landscape(CLEAR), {1024}) == []
