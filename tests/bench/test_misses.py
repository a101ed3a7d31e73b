"""The benchmark's "why the misses" section comes from the figures of the run it describes."""

from dataclasses import replace

from bench.report import Figures, PathFigures, misses
from bench.simulate import explored_regret, regret, true_optimum

from autotuner.domain.inputs.memory_sizes import MAX_MEMORY_MB, MIN_MEMORY_MB
from autotuner_local.workloads import FAMILIES

PATH = PathFigures(runs=10, median=0.0, p95=0.01, coverage=1.0, wrong_claims=0.0, claims=4)


def row(method: str, **changes: object) -> Figures:
    figures = Figures(
        workload="noisy-bimodal",
        method=method,
        runs=10,
        invocations=34.0,
        target_cost=0.0005,
        run_cost=0.001,
        median=0.001,
        p95=0.01,
        within=1.0,
        rounds=3.0,
        failed=0.0,
        coverage=0.97,
        claims=4,
        wrong_claims=0.0,
        curve_used=0.5,
        optima=(128, 128),
        sizes=8.0,
        by_path={"curve": PATH, "measured": PATH},
    )
    return replace(figures, **changes)  # type: ignore[arg-type]


def test_a_run_meeting_every_target_says_so() -> None:
    text = misses([row("reference", median=0.005), row("adaptive"), row("adaptive-20")], range(0, 10))
    assert "Every target of the adaptive search is met" in text
    assert "median within 1% on 1 of 1 families" in text


def test_each_miss_is_named_with_its_figures() -> None:
    measured = PathFigures(runs=9, median=0.03, p95=0.2, coverage=0.8, wrong_claims=0.5, claims=2)
    adaptive = row(
        "adaptive",
        median=0.0277,
        p95=0.1328,
        coverage=0.82,
        wrong_claims=0.25,
        run_cost=0.002,
        by_path={"curve": PATH, "measured": measured},
    )
    capped = row("adaptive-20", median=0.02, p95=0.09)
    text = misses([row("reference"), adaptive, capped], range(0, 10))
    assert "regret median 2.77%, p95 13.28%" in text
    assert "the measured choice 9 runs, regret median 3.00% p95 20.00%, coverage 80%, 50% of 2 claims wrong" in text
    assert "95% intervals hold the true cost 82% of the time" in text
    assert "25% of 4 clear-winner claims wrong" in text
    assert "run cost $0.00200 against the reference's $0.00100" in text
    assert "noisy-bimodal (median 2.00%, p95 9.00%)" in text
    assert "Every target" not in text


def test_a_run_cost_miss_against_a_reference_that_fails_as_shipped_says_what_that_cost_buys() -> None:
    adaptive = row("adaptive", run_cost=0.002)
    failing = misses([row("reference", failed=1.0), adaptive, row("adaptive-20")], range(0, 10))
    assert "The reference as shipped fails 100% of these runs" in failing
    working = misses([row("reference"), adaptive, row("adaptive-20")], range(0, 10))
    assert "fails" not in working


def test_a_choice_under_half_a_margin_or_without_the_evidence_to_apply_is_named() -> None:
    adaptive = row("adaptive", under_half=0.1, applied=0.8)
    text = misses([row("reference"), adaptive, row("adaptive-20")], range(0, 10))
    assert "noisy-bimodal: 10% of choices keep less than half of a margin** on the function's true figures" in text
    assert "noisy-bimodal: 80% of choices had the evidence to apply** (target 90%)" in text


def test_a_regret_miss_says_how_much_of_it_is_the_sizes_measured_and_how_much_the_choice() -> None:
    adaptive = row("adaptive", median=0.03, explored=(0.004, 0.037), unexplored_misses=0.2, choice_misses=0.5)
    text = misses([row("reference"), adaptive, row("adaptive-20")], range(0, 10))
    assert "among the sizes each run measured would have had a regret median 0.40%, p95 3.70%" in text
    assert "Runs over 1%: 20% of all runs had measured no size within 1% of the optimum" in text
    assert "50% had measured one and chose a dearer size" in text


def test_the_regret_of_the_sizes_measured_is_that_of_the_truly_cheapest_of_them() -> None:
    workload = FAMILIES["cpu-single-thread"].draw(0)
    optimum = true_optimum(workload)[0]
    assert explored_regret(workload, [MIN_MEMORY_MB, optimum, MAX_MEMORY_MB]) == 0.0
    assert explored_regret(workload, [MAX_MEMORY_MB]) == regret(workload, MAX_MEMORY_MB) > 0
    assert explored_regret(workload, []) == float("inf")


def test_a_run_cost_miss_names_the_part_that_costs_more() -> None:
    reference = row("reference", invocations=60.0, sizes=6.0)  # 0.0005 for the target, 0.0005 for the tool
    by_target = misses([reference, row("adaptive", target_cost=0.0009, run_cost=0.0012), row("adaptive-20")], range(10))
    assert "The tuner's own share is the smaller; the target's calls cost more" in by_target
    assert "the search spreads 34.0 calls over 8.0 sizes, the reference 60 over 6" in by_target
    by_tuner = misses([reference, row("adaptive", target_cost=0.0004, run_cost=0.0012), row("adaptive-20")], range(10))
    assert "The target's calls cost less; fewer rounds and fewer sizes prepared would close it." in by_tuner
    both = misses([reference, row("adaptive", target_cost=0.0006, run_cost=0.0012), row("adaptive-20")], range(10))
    assert "Both cost more (the search spreads" in both
