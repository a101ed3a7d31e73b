"""Turning runs into figures: per workload and method, the terminal table, the Markdown page and the chart."""

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture, gb_seconds
from autotuner.domain.costs.run_cost import (
    ESTIMATED_ALIAS_MS,
    ESTIMATED_STEP_MS,
    FIXED_TRANSITIONS,
    RunCost,
    run_cost,
    transitions,
)
from autotuner.domain.inputs.memory_sizes import DEFAULT_POWER_VALUES
from autotuner.domain.inputs.tuning_input import DEFAULT_MAX_CONCURRENCY
from autotuner.domain.measuring.statistics import percentile
from autotuner_local.workloads import WorkloadFamily
from bench import reference_tool
from bench.methods import PARROTFISH_BUDGET, Outcome
from bench.reference_tool import reference_run_cost
from bench.simulate import (
    PRICES,
    SimulatedFunction,
    broken_margin,
    explored_regret,
    regret,
    true_cost,
    true_optimum,
)

REFERENCE_INVOCATIONS = 60  # 6 sizes x 10, what the reference tool plans
TARGET_MEDIAN = 0.01
TARGET_P95 = 0.03
TARGET_MEDIAN_OVER_REFERENCE = 0.0025  # median regret at most 0.25 points above the reference tool's
TARGET_INVOCATION_SHARE = 0.6
TARGET_COVERAGE = 0.93
TARGET_WRONG_CLAIMS = 0.05
TARGET_UNDER_HALF_MARGIN = 0.0  # no choice keeps less than half of a margin on the function's true figures
TARGET_EVIDENCE = 0.9  # choices with the evidence auto-apply needs
CLAIM_MARGIN = 0.01  # a clear-winner claim says no size is more than 1% cheaper
WITHIN = 0.02
TUNER_MEMORY_MB = 256  # the tuner's own Lambdas (template.yaml's Globals), arm64
WAITING_MEMORY_MB = 192  # PrepareFunction's and MeasureFunction's own MemorySize: they mostly wait
ANALYZE_MEMORY_MB = 1024  # AnalyzeFunction's own MemorySize
METHOD_LABELS = {
    "reference": "reference tool",
    "sweep": "sweep 64 MB",
    "adaptive": "adaptive (ours)",
    "adaptive-20": f"ours, capped at {PARROTFISH_BUDGET}",
}


@dataclass(frozen=True)
class Scored:
    """One run and how it did against the true costs of the function it tuned."""

    outcome: Outcome
    regret: float
    optimum_mb: int
    covered: bool | None  # whether the interval it states holds the chosen size's true cost (None: no interval)
    claim_wrong: bool | None  # for a clear-winner claim: whether a size it covers is truly more than 1% cheaper
    margin: str | None = None  # the margin the choice breaks on the function's true figures
    under_half: str | None = None  # the margin of which it keeps less than half
    explored: float = float("inf")  # the regret of the truly cheapest size it measured (simulate.explored_regret)


def score(workload: SimulatedFunction, outcome: Outcome) -> Scored:
    """How a run did: its regret (``simulate.regret``, the one definition every part of the benchmark uses), the
    optimum it is measured against, and whether what it stated held."""
    chosen = outcome.chosen_mb
    cost = true_cost(workload, chosen) if chosen is not None else None
    covered = None
    if outcome.interval is not None and cost is not None:
        covered = outcome.interval[0] <= cost <= outcome.interval[1]
    loss = regret(workload, chosen)
    return Scored(
        outcome=outcome,
        regret=loss,
        optimum_mb=true_optimum(workload)[0],
        covered=covered,
        claim_wrong=_claim_wrong(workload, outcome, cost) if outcome.claims_clear_winner else None,
        margin=broken_margin(workload, chosen) if chosen is not None else None,
        under_half=broken_margin(workload, chosen, kept=0.5) if chosen is not None else None,
        explored=explored_regret(workload, outcome.measured),
    )


def _claim_wrong(workload: SimulatedFunction, outcome: Outcome, chosen_cost: float | None) -> bool:
    """A clear-winner claim is wrong when one of the sizes it compared the choice with (every MB of its range, when
    it carries the curve's odds) is truly more than the margin cheaper."""
    if chosen_cost is None:
        return True
    covered = [
        *outcome.claim_covers,
        *(range(outcome.claim_range[0], outcome.claim_range[1] + 1) if outcome.claim_range else ()),
    ]
    rivals = [c for m in covered if (c := true_cost(workload, m)) is not None]
    return any(c < chosen_cost * (1 - CLAIM_MARGIN) for c in rivals)


@dataclass(frozen=True)
class PathFigures:
    """The runs one way of deciding (the cost curve, or the choice among measured sizes) decided."""

    runs: int
    median: float
    p95: float
    coverage: float | None
    wrong_claims: float | None
    claims: int


def _path_figures(scored: Sequence[Scored]) -> PathFigures:
    regrets = [s.regret for s in scored]
    intervals = [s.covered for s in scored if s.covered is not None]
    claims = [s.claim_wrong for s in scored if s.claim_wrong is not None]
    return PathFigures(
        runs=len(scored),
        median=percentile(regrets, 50),
        p95=percentile(regrets, 95),
        coverage=sum(intervals) / len(intervals) if intervals else None,
        wrong_claims=sum(claims) / len(claims) if claims else None,
        claims=len(claims),
    )


@dataclass(frozen=True)
class Figures:
    """One method on one workload family, over every seed."""

    workload: str
    method: str
    runs: int
    invocations: float
    target_cost: float
    run_cost: float  # target cost plus an estimate of the tuner's own: its Lambdas and state transitions
    median: float
    p95: float
    within: float  # share of runs within WITHIN of the optimum
    rounds: float
    failed: float  # share of runs that end in an error as the method ships
    coverage: float | None  # share of stated 95% intervals that hold the chosen size's true cost
    claims: int  # clear-winner claims
    wrong_claims: float | None  # share of those claims that were wrong
    curve_used: float  # share of runs decided on the cost curve
    optima: tuple[int, int]  # the range of the true optimum over the seeds
    inside_margin: float = 0.0  # share of runs whose choice breaks a margin on the function's true figures
    under_half: float = 0.0  # share of runs whose choice keeps less than half of a margin
    applied: float = 1.0  # share of runs whose choice has the evidence auto-apply needs
    sizes: float = 0.0  # distinct sizes measured per run: a version and an alias each
    transitions: float = 0.0  # Step Functions state transitions per run, in the method's own state machine
    by_path: dict[str, "PathFigures"] = dataclasses.field(
        default_factory=dict
    )  # "curve" and "measured" decisions apart
    explored: tuple[float, float] = (0.0, 0.0)  # median and p95 of the regret of the cheapest size measured
    unexplored_misses: float = 0.0  # share of runs over the median target that measured no size within it
    choice_misses: float = 0.0  # share of runs over the median target that measured one within it

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)


def figures(workload: str, method: str, scored: Sequence[Scored]) -> Figures:
    outcomes = [s.outcome for s in scored]
    regrets = [s.regret for s in scored]
    intervals = [s.covered for s in scored if s.covered is not None]
    claims = [s.claim_wrong for s in scored if s.claim_wrong is not None]
    costs = [tool_run_cost(method, o) for o in outcomes]
    return Figures(
        workload=workload,
        method=method,
        runs=len(outcomes),
        invocations=statistics.fmean(o.invocations for o in outcomes),
        target_cost=statistics.fmean(o.target_cost for o in outcomes),
        run_cost=statistics.fmean(c.total for c in costs),
        median=percentile(regrets, 50),
        p95=percentile(regrets, 95),
        within=sum(r <= WITHIN for r in regrets) / len(regrets),
        rounds=statistics.fmean(o.rounds for o in outcomes),
        failed=sum(o.failed for o in outcomes) / len(outcomes),
        coverage=sum(intervals) / len(intervals) if intervals else None,
        claims=len(claims),
        wrong_claims=sum(claims) / len(claims) if claims else None,
        curve_used=sum(o.used_curve for o in outcomes) / len(outcomes),
        optima=(min(s.optimum_mb for s in scored), max(s.optimum_mb for s in scored)),
        inside_margin=sum(s.margin is not None for s in scored) / len(scored),
        under_half=sum(s.under_half is not None for s in scored) / len(scored),
        applied=sum(o.applies for o in outcomes) / len(outcomes),
        sizes=statistics.fmean(o.sizes for o in outcomes),
        transitions=statistics.fmean(c.transitions for c in costs),
        explored=(percentile([s.explored for s in scored], 50), percentile([s.explored for s in scored], 95)),
        unexplored_misses=sum(s.regret > TARGET_MEDIAN and s.explored > TARGET_MEDIAN for s in scored) / len(scored),
        choice_misses=sum(s.regret > TARGET_MEDIAN >= s.explored for s in scored) / len(scored),
        by_path={
            path: _path_figures(runs)
            for path, runs in (
                ("curve", [s for s in scored if s.outcome.used_curve]),
                ("measured", [s for s in scored if not s.outcome.used_curve]),
            )
            if runs
        },
    )


def tool_run_cost(method: str, outcome: Outcome) -> RunCost:
    """The target's invocations, plus an estimate of the tool's own run as that tool runs: the reference tool's
    with its own state machine and Lambdas (bench/reference_tool.py), every other method with ours. Ours: Plan
    waits for its probe and each Measure task for its longest batch; about ESTIMATED_ALIAS_MS per size prepared and
    ESTIMATED_STEP_MS per other step (Plan, Analyze each round, Prepare each round that publishes or retires an
    alias, Cleanup, Notify), each at its function's memory; one transition per state entered."""
    if method == "reference":
        return reference_run_cost(
            sizes=outcome.sizes,
            target_invocations=outcome.invocations,
            target_cost=outcome.target_cost,
            waited_ms=outcome.wall_ms,
            prices=PRICES,
        )
    # Plan (its probe's wait included), Cleanup and Notify; Prepare and Measure; Analyze: each at its memory.
    other_ms = outcome.wall_ms - outcome.tasks_waited_ms + ESTIMATED_STEP_MS * 3
    waiting_ms = outcome.tasks_waited_ms + ESTIMATED_ALIAS_MS * outcome.sizes + ESTIMATED_STEP_MS * outcome.prepares
    analyze_ms = ESTIMATED_STEP_MS * outcome.rounds
    gb_s = (
        gb_seconds(other_ms, TUNER_MEMORY_MB)
        + gb_seconds(waiting_ms, WAITING_MEMORY_MB)
        + gb_seconds(analyze_ms, ANALYZE_MEMORY_MB)
    )
    return run_cost(
        target_invocations=outcome.invocations,
        target_cost=outcome.target_cost,
        tuner_gb_seconds=gb_s,
        tuner_invocations=outcome.tasks + outcome.prepares + 3 + outcome.rounds,
        tuner_architecture=Architecture.ARM64,
        transition_count=transitions(
            outcome.rounds,
            outcome.tasks,
            applied=False,
            single_task_rounds=outcome.single_task_rounds,
            prepares=outcome.prepares,
        ),
        prices=PRICES,
    )


# ---- targets ---------------------------------------------------------------------------------------------


def verdicts(rows: Sequence[Figures]) -> list[str]:
    """For each workload, which of the targets the adaptive method meets, with the figure behind each."""
    reference = {r.workload: r for r in rows if r.method == "reference"}
    lines = []
    for row in (r for r in rows if r.method == "adaptive"):
        ref = reference.get(row.workload)
        checks = [
            _check("median regret", row.median, TARGET_MEDIAN),
            _check("p95 regret", row.p95, TARGET_P95),
            _check_invocations(row.invocations),
        ]
        if ref is not None:
            over = row.median - ref.median
            mark = "met" if over <= TARGET_MEDIAN_OVER_REFERENCE else "MISSED"
            checks.append(f"median {over * 100:+.2f} points vs the reference's (target <= +0.25, {mark})")
            mark = "met" if row.run_cost <= ref.run_cost else "MISSED"
            checks.append(f"run cost {usd(row.run_cost)} vs the reference's {usd(ref.run_cost)} ({mark})")
        if row.coverage is not None:
            checks.append(_check_at_least("95% interval coverage", row.coverage, TARGET_COVERAGE))
        if row.wrong_claims is not None:
            checks.append(_check(f"wrong clear-winner claims ({row.claims})", row.wrong_claims, TARGET_WRONG_CLAIMS))
        checks.append(_check("choices under half a margin", row.under_half, TARGET_UNDER_HALF_MARGIN))
        checks.append(_check_at_least("choices with the evidence to apply", row.applied, TARGET_EVIDENCE))
        lines.append(f"{row.workload}: " + "; ".join(checks))
    return lines


def regret_misses(row: Figures, ref: Figures | None) -> list[str]:
    """The regret and invocation targets ``row`` misses, by name (the compact tables' verdict)."""
    missed = []
    if row.median > TARGET_MEDIAN:
        missed.append("median")
    if row.p95 > TARGET_P95:
        missed.append("p95")
    if ref is not None and row.median - ref.median > TARGET_MEDIAN_OVER_REFERENCE:
        missed.append("vs reference")
    if row.invocations > TARGET_INVOCATION_SHARE * REFERENCE_INVOCATIONS:
        missed.append("invocations")
    return missed


def _check(what: str, value: float, limit: float) -> str:
    mark = "met" if value <= limit else "MISSED"
    return f"{what} {percent(value)} (target <= {limit:.0%}, {mark})"


def _check_at_least(what: str, value: float, limit: float) -> str:
    mark = "met" if value >= limit else "MISSED"
    return f"{what} {value:.0%} (target >= {limit:.0%}, {mark})"


def _check_invocations(mean: float) -> str:
    limit = TARGET_INVOCATION_SHARE * REFERENCE_INVOCATIONS
    mark = "met" if mean <= limit else "MISSED"
    return f"{mean:.1f} invocations, probe included (target <= {limit:.0f}, {mark})"


def all_met(rows: Sequence[Figures]) -> bool:
    return all("MISSED" not in line for line in verdicts(rows))


# ---- why the misses --------------------------------------------------------------------------------------


def misses(rows: Sequence[Figures], seeds: range, noun: str = "family") -> str:
    """One paragraph per missed target of the adaptive search, each from the figures that explain it, and the
    capped run against Parrotfish's budget; rewritten on every run, so a rerun never keeps a stale explanation.
    ``noun``: what a row's workload is ("family", "real workload")."""
    reference = {r.workload: r for r in rows if r.method == "reference"}
    capped = [r for r in rows if r.method == "adaptive-20"]
    lines: list[str] = []
    for row in (r for r in rows if r.method == "adaptive"):
        lines += _workload_misses(row, reference.get(row.workload))
    lines.append(_capped_summary(capped, _plural(noun)))
    if len(lines) == 1:
        lines.insert(0, f"- Every target of the adaptive search is met on every {noun}.")
    return "\n".join(lines) + f"\n\nSeeds {seeds.start}-{seeds.stop - 1}, {len(seeds)} per {noun}."


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def _workload_misses(row: Figures, ref: Figures | None) -> list[str]:
    lines = []
    paths = _paths(row)
    if row.median > TARGET_MEDIAN or row.p95 > TARGET_P95:
        lines.append(
            f"- **{row.workload}: regret median {row.median:.2%}, p95 {row.p95:.2%}** (targets {TARGET_MEDIAN:.0%} / "
            f"{TARGET_P95:.0%}). By how the run decided: {paths}. The curve decided {row.curve_used:.0%} of runs; "
            "the rest fell back to the trimmed means of the few calls each measured size got "
            f"({row.invocations:.1f} invocations over {row.sizes:.1f} sizes on average). " + _explored(row)
        )
    if ref is not None and row.median - ref.median > TARGET_MEDIAN_OVER_REFERENCE:
        lines.append(
            f"- **{row.workload}: median {(row.median - ref.median) * 100:+.2f} points over the reference's** "
            f"({ref.median:.2%}): the reference measures each of its six sizes 10 times; the search spreads "
            f"{row.invocations:.1f} invocations over {row.sizes:.1f} sizes."
        )
    if row.coverage is not None and row.coverage < TARGET_COVERAGE:
        lines.append(
            f"- **{row.workload}: 95% intervals hold the true cost {row.coverage:.0%} of the time** "
            f"(target {TARGET_COVERAGE:.0%}). By how the run decided: {paths}."
        )
    if row.wrong_claims is not None and row.wrong_claims > TARGET_WRONG_CLAIMS:
        lines.append(
            f"- **{row.workload}: {row.wrong_claims:.0%} of {row.claims} clear-winner claims wrong** "
            f"(target {TARGET_WRONG_CLAIMS:.0%}). By how the run decided: {paths}."
        )
    if row.under_half > TARGET_UNDER_HALF_MARGIN:
        lines.append(
            f"- **{row.workload}: {row.under_half:.0%} of choices keep less than half of a margin** on the function's "
            "true figures (target none). The margins read what was measured: the most memory the calls measured "
            "used, the largest size measured to run out of memory, the slowest call measured; a function whose "
            "largest payloads or slowest calls were not among them can be closer to its edge than they show."
        )
    if row.applied < TARGET_EVIDENCE:
        lines.append(
            f"- **{row.workload}: {row.applied:.0%} of choices had the evidence to apply** (target "
            f"{TARGET_EVIDENCE:.0%}); the others are recommended, not applied, and the output says why. The choice "
            "moved at the end of the search to a size measured once or twice, and the invocation cap left too few "
            "invocations to measure it up to 5 calls, 4 of them warm."
        )
    if row.invocations > TARGET_INVOCATION_SHARE * REFERENCE_INVOCATIONS:
        lines.append(f"- **{row.workload}: {row.invocations:.1f} invocations on average**, over the cap.")
    if ref is not None and row.run_cost > ref.run_cost:
        tuner, ref_tuner = row.run_cost - row.target_cost, ref.run_cost - ref.target_cost
        lines.append(
            f"- **{row.workload}: run cost {usd(row.run_cost)} against the reference's {usd(ref.run_cost)}.** The "
            f"target's invocations cost {usd(row.target_cost)} against {usd(ref.target_cost)}; the tuner's own share "
            f"is {usd(tuner)} against {usd(ref_tuner)}: {row.rounds:.1f} rounds, {row.sizes:.1f} sizes prepared and "
            f"{row.transitions:.1f} state transitions against one round, {ref.sizes:.0f} sizes and "
            f"{ref.transitions:.0f} transitions. {_what_closes_it(row, ref, tuner - ref_tuner)}"
            + _failed_reference(ref)
        )
    return lines


def _what_closes_it(row: Figures, ref: Figures, tuner_over: float) -> str:
    """Which part of the run costs more than the reference's, and what would bring it down."""
    target_over = row.target_cost - ref.target_cost
    calls = (
        f"the search spreads {row.invocations:.1f} calls over {row.sizes:.1f} sizes, the reference "
        f"{ref.invocations:.0f} over {ref.sizes:.0f}, and each size's first call is a cold start"
    )
    if tuner_over <= 0:
        return (
            f"The tuner's own share is the smaller; the target's calls cost more: {calls}. Fewer sizes would close it."
        )
    if target_over <= 0:
        return "The target's calls cost less; fewer rounds and fewer sizes prepared would close it."
    return f"Both cost more ({calls}); fewer rounds and fewer sizes would close it."


def _explored(row: Figures) -> str:
    """How much of the regret is the sizes measured and how much the choice among them."""
    median, p95 = row.explored
    return (
        f"A perfect choice among the sizes each run measured would have had a regret median {median:.2%}, p95 "
        f"{p95:.2%}. Runs over {TARGET_MEDIAN:.0%}: {row.unexplored_misses:.0%} of all runs had measured no size "
        f"within {TARGET_MEDIAN:.0%} of the optimum (the search did not look there), {row.choice_misses:.0%} had "
        "measured one and chose a dearer size (by the curve or by the measured costs)."
    )


def _failed_reference(ref: Figures) -> str:
    """What the reference's run cost buys when it fails as shipped: nothing it would apply."""
    if not ref.failed:
        return ""
    return (
        f" The reference as shipped fails {ref.failed:.0%} of these runs (an invocation errors, and it stops), so "
        "that cost buys no answer; it is priced as if it completed."
    )


def _paths(row: Figures) -> str:
    parts = []
    for path, label in (("curve", "the curve"), ("measured", "the measured choice")):
        figures = row.by_path.get(path)
        if figures is None:
            continue
        coverage = f"coverage {figures.coverage:.0%}" if figures.coverage is not None else "no interval"
        claims = (
            f"{figures.wrong_claims:.0%} of {figures.claims} claims wrong"
            if figures.wrong_claims is not None
            else "no claim"
        )
        parts.append(
            f"{label} {figures.runs} runs, regret median {figures.median:.2%} p95 {figures.p95:.2%}, "
            f"{coverage}, {claims}"
        )
    return "; ".join(parts)


def _capped_summary(capped: Sequence[Figures], nouns: str) -> str:
    """How far a run held to Parrotfish's 20 invocations is from the regret targets."""
    within = [r.workload for r in capped if r.median <= TARGET_MEDIAN]
    beyond = [f"{r.workload} (median {r.median:.2%}, p95 {r.p95:.2%})" for r in capped if r.median > TARGET_MEDIAN]
    tails = [f"{r.workload} {r.p95:.2%}" for r in capped if r.median <= TARGET_MEDIAN and r.p95 > TARGET_P95]
    text = (
        f"- **Capped at {PARROTFISH_BUDGET} invocations (Parrotfish's budget):** median within {TARGET_MEDIAN:.0%} on "
        f"{len(within)} of {len(capped)} {nouns}"
    )
    if beyond:
        text += "; beyond it: " + ", ".join(beyond)
    if tails:
        text += "; p95 over 3% on " + ", ".join(tails)
    return text + ". That is the next bar."


# ---- tables ----------------------------------------------------------------------------------------------

HEADERS = (
    "workload",
    "method",
    "invocations",
    "% of ref. planned",
    "target $/run",
    "run $/run (est.)",
    "regret median",
    "regret p95",
    f"within {WITHIN:.0%}",
    "rounds",
    "curve used",
    "95% coverage",
    "wrong clear wins",
    "inside a margin",
    "under half a margin",
    "evidence to apply",
    "failed runs",
)


def _cells(row: Figures) -> list[str]:
    return [
        row.workload,
        row.label,
        f"{row.invocations:.1f}",
        f"{row.invocations / REFERENCE_INVOCATIONS:.0%}",
        usd(row.target_cost),
        usd(row.run_cost),
        percent(row.median),
        percent(row.p95),
        f"{row.within:.0%}",
        f"{row.rounds:.1f}",
        f"{row.curve_used:.0%}" if row.method.startswith("adaptive") else "-",
        f"{row.coverage:.0%}" if row.coverage is not None else "-",
        f"{row.wrong_claims:.0%} of {row.claims}" if row.wrong_claims is not None else "-",
        f"{row.inside_margin:.0%}",
        f"{row.under_half:.0%}",
        f"{row.applied:.0%}" if row.method != "reference" else "-",
        f"{row.failed:.0%}" if row.method == "reference" else "-",
    ]


def percent(value: float) -> str:
    return "n/a" if math.isinf(value) else f"{value:.2%}"


def terminal_table(rows: Sequence[Figures]) -> str:
    cells = [list(HEADERS), *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    lines = []
    for index, line in enumerate(cells):
        padded = (c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
        lines.append("  ".join(padded))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: Sequence[Figures]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(HEADERS) - 2)) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def optimum_table(families: Sequence[WorkloadFamily], rows: Sequence[Figures]) -> str:
    optima = {r.workload: r.optima for r in rows}
    lines = ["| workload family | careful optimum over the seeds | parameters drawn per seed |", "|---|---:|---|"]
    for f in families:
        low, high = optima.get(f.name, (0, 0))
        lines.append(f"| {f.name} | {low}-{high} MB | {f.description} |")
    return "\n".join(lines)


# ---- the chart -------------------------------------------------------------------------------------------


def chart(rows: Sequence[Figures], path: Path, real_rows: Sequence[Figures] = ()) -> None:
    """Median regret, 95th-percentile regret and invocations per run, by workload and method: the families'
    panels, then the real workloads' (``real_rows``, one interpolation) when there are any."""
    import matplotlib  # noqa: PLC0415 - only a run that draws a chart needs matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    real_label = "Real workloads (log-log interpolation)"
    parts = [(label, part) for label, part in (("Model families", rows), (real_label, real_rows)) if part]
    width = max(14, 1.1 * max(len({r.workload for r in part}) for _, part in parts))
    fig, axes = plt.subplots(
        3 * len(parts), 1, figsize=(width, 11.5 * len(parts)), constrained_layout=True, squeeze=False
    )
    for index, (label, part) in enumerate(parts):
        _panels(list(axes[3 * index : 3 * index + 3, 0]), label, part)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=10, frameon=False)
    fig.suptitle(
        "Adaptive memory search vs the reference tool and an exhaustive sweep "
        f"(regret bars are cut at {REGRET_AXIS_TOP:.0%} and labelled with their value)",
        fontsize=12,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _panels(axes: list[Any], label: str, rows: Sequence[Figures]) -> None:
    from matplotlib.ticker import PercentFormatter  # noqa: PLC0415 - only a run that draws a chart needs it

    workloads = list(dict.fromkeys(r.workload for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    by_key = {(r.workload, r.method): r for r in rows}
    names = [w.partition(" (")[0] for w in workloads]  # the title names the interpolation
    panels = (
        ("Median regret: how much more the chosen size truly costs than the careful optimum", "median", TARGET_MEDIAN),
        ("95th-percentile regret", "p95", TARGET_P95),
        ("Target invocations per tuning run (log scale)", "invocations", TARGET_INVOCATION_SHARE * 60),
    )
    long_names = max(len(n) for n in names) > 24
    for ax, (title, field, target) in zip(axes, panels, strict=True):
        _bars(ax, workloads, methods, by_key, field)
        is_regret = field != "invocations"
        ax.axhline(target, color="#c0392b", linestyle="--", linewidth=1)
        target_text = f"{target:.0%}" if is_regret else f"{target:.0f}"
        ax.set_title(f"{label}. {title} (dashed: the target for ours, {target_text})", fontsize=11, loc="left")
        if long_names:
            ax.set_xticks(range(len(workloads)), names, fontsize=7, rotation=20, ha="right")
        else:
            ax.set_xticks(range(len(workloads)), names, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        if is_regret:
            lowest = min(getattr(r, field) for r in by_key.values())
            ax.set_ylim(min(0.0, lowest) * 1.15, REGRET_AXIS_TOP * 1.15)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            ax.set_yscale("log")
            ax.set_ylim(10, 6000)


REGRET_AXIS_TOP = 0.10
COLOURS = {"reference": "#9e9e9e", "sweep": "#5b8fd9", "adaptive": "#e07b39", "adaptive-20": "#f2c14e"}


def _bars(
    ax: Any, workloads: list[str], methods: list[str], by_key: dict[tuple[str, str], Figures], field: str
) -> None:
    """One group of bars per workload, one bar per method, each labelled with its value (cut at the axis top)."""
    width = 0.8 / len(methods)
    is_regret = field != "invocations"
    for m_index, method in enumerate(methods):
        xs = [w + (m_index - (len(methods) - 1) / 2) * width for w in range(len(workloads))]
        values = [getattr(by_key[(w, method)], field) for w in workloads]
        shown = [min(v, REGRET_AXIS_TOP) for v in values] if is_regret else values
        bars = ax.bar(xs, shown, width, label=METHOD_LABELS.get(method, method), color=COLOURS.get(method, "#777"))
        for bar, value in zip(bars, values, strict=True):
            text = (f"{value:.1%}" if value < 1 else f"{value:.0%}") if is_regret else f"{value:.0f}"
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7 if len(workloads) <= 10 else 5.5,  # crowded groups: smaller labels
                fontweight="bold" if is_regret and value > REGRET_AXIS_TOP else "normal",
                xytext=(0, 2),
                textcoords="offset points",
            )


# ---- the page --------------------------------------------------------------------------------------------


def markdown_page(
    rows: Sequence[Figures],
    families: Sequence[WorkloadFamily],
    seeds: range,
    elapsed_s: float,
    chart: Path | None,
    *,
    real_section: str = "",
    real_runs: int = 0,
    command: str = "python -m bench",
) -> str:
    """The page: the model families' figures, then ``real_section`` (``bench.real_report``), which accounts for
    ``real_runs`` of the runs."""
    verdict_lines = "\n".join(f"- {line}" for line in verdicts(rows))
    overall = (
        "Every target is met on every workload."
        if all_met(rows)
        else "Not every target is met: the lines marked MISSED say where, with the figure; the next section says why."
    )
    image = f"\n![Regret and invocations per method and workload]({chart.name})\n" if chart is not None else ""
    reference_sizes = len(DEFAULT_POWER_VALUES)
    return f"""# Benchmark: adaptive memory search driven by a cost curve

Generated by `python -m bench` ({len(seeds)} seeds per workload family, seeds {seeds.start}-{seeds.stop - 1}; the
defaults were tuned on seeds 10000 and up, never on these): {len(rows) * len(seeds) + real_runs} simulated tuning
runs ({real_runs} of them on real workloads, below) in {elapsed_s:.0f} s on 2 worker processes.

## What is compared

- **reference tool**: aws-lambda-power-tuning as it ships: 128, 256, 512, 1024, 1536 and 3008 MB, 10 invocations
  each, a 20% trimmed mean of billed duration, cost = ceil(that mean) x the price of 1 ms at 128 MB x memory / 128
  (no request charge), the cheapest wins. It fails the whole run when any invocation errors; its regret is scored
  on what it would choose among the sizes that did not fail ("failed runs" counts how often it failed as shipped).
  Its run cost is that of its own state machine and Lambdas (see "run $" below).
- **sweep 64 MB**: every size from 128 to 10,240 MB in 64 MB steps, 10 invocations each, then `choose` with the
  default margins.
- **adaptive (ours)**: Plan's probe (one invocation at the current 1,024 MB, counted in the invocations and the
  cost), then `autotuner.domain.search.adaptive` with its defaults: a 7-size log-spaced coarse pass at 2 invocations
  each, then rounds driven by the cost curve (`autotuner.domain.search.cost_curve`, refitted after every round) within
  {REFERENCE_INVOCATIONS * TARGET_INVOCATION_SHARE:.0f} invocations in all and 5 rounds (and up to two more that only
  measure the choice up to the evidence auto-apply needs); the choice is the curve's cheapest size over every MB when
  the curve fits and that size was measured (a confirmation batch), otherwise `choose` over the measured sizes; both
  with the default margins (`autotuner.domain.decision.margins`: 10% of memory free over the most a call used at the
  size or a smaller one that worked, 10% above the largest size that ran out of memory, the slowest call under 80%
  of the timeout), as Analyze decides after every round. The benchmark refits with 100 resamples, the workflow
  with 200.
- **ours, capped at {PARROTFISH_BUDGET}**: the same with `maxInvocations` {PARROTFISH_BUDGET} (probe included),
  Parrotfish's default budget.

## The workloads: families, drawn per seed

Each family draws its function's parameters at random for every seed (`autotuner_local.workloads.FAMILIES`), so
a method is scored on a family of functions, not on one point. A size's true cost is the expected cost of one
warm invocation (the model's expected duration, slow modes included, plus 0.5 ms of billing rounding, priced at
us-east-1 x86_64 with the request charge). The optimum is what a careful person who knew the function would pick:
the cheapest size over every MB from 128 to 10,240 that keeps the same margins on the function's true figures (10%
of memory free over the most any call uses, 10% above the largest size where any call runs out of memory, the 99th
percentile of a call's duration under 80% of the timeout). A run's regret is the true cost of its choice over the
optimum's, minus 1. Only a choice inside a margin can cost less than the optimum (the margins read what was
measured, and a floor is pinned only to half the margin): that saving is a risk a careful person does not take,
not a gain, so its regret is 0, and "inside a margin" counts such runs. A size where some calls run out of memory,
or more than one in a hundred time out, has no true cost: choosing it is an infinite regret. Functions that use
more memory than the smallest sizes have, without running out (most families here), have those sizes excluded by
the memory margin: their optimum moved up with it.

{optimum_table(families, rows)}

## Results
{image}
{markdown_table(rows)}

"% of ref. planned" is the invocations over the reference's planned 60. "run $" adds to the target's cost an
estimate of the tool's own run, each tool as it runs, at the same wall-time estimates: about
{ESTIMATED_ALIAS_MS / 1000:.0f} s per version published, {ESTIMATED_STEP_MS / 1000:.1f} s per other step, a Lambda
that invokes the target waiting for it, and one Step Functions transition per state entered. Ours: Lambdas at
{TUNER_MEMORY_MB} MB arm64 (Prepare and Measure at {WAITING_MEMORY_MB} MB, Analyze at {ANALYZE_MEMORY_MB} MB, as
template.yaml sets them); each Measure task measures up to {DEFAULT_MAX_CONCURRENCY} batches at once and waits for
its longest; {FIXED_TRANSITIONS} states every run enters, and per round Analyze, MoreRounds, a measuring state
(MeasureOneTask when the round's calls fit one task, else the Measure Map and one state per task) and Prepare when
the round publishes or retires an alias (the first always; a later one that only adds calls to sizes already
prepared goes straight to measuring) (`autotuner.domain.costs.run_cost.transitions`, checked against executed
runs). The reference
tool: its own Lambdas, at {reference_tool.LAMBDA_MEMORY_MB} MB x86_64, and its own state machine: an Initializer, a
Publisher and an IsCountReached per size and once more to put `$LATEST` back, a Map with an Executor per size (each
waiting for its size's invocations), then Cleaner, Analyzer and Optimizer; for its {reference_sizes} sizes,
{reference_tool.transitions(reference_sizes)} transitions and {reference_tool.lambda_invocations(reference_sizes)}
Lambda invocations.
"inside a margin": runs whose choice breaks a margin on the function's true figures; "under half a margin": runs
whose choice keeps less than half of one (5% of memory free, 5% above the largest size that runs out of memory, the
99th percentile under 90% of the timeout). "evidence to apply": runs whose choice was measured by at least 5 calls,
4 of them warm, so that auto-apply applies it (the others are recommended, with the reason); the reference tool
applies whatever it chose.
"curve used": runs decided on the cost curve. "95% coverage": how often the 95%
interval the output states for the chosen size's cost holds its true cost: when the curve decided, the curve's
band widened to hold the measured interval there; otherwise the measured interval of the mean (Student's t,
simultaneous over the sizes measured, the spread pooled over them). "wrong clear wins": among runs whose test on
the differences (`autotuner.domain.decision.distinction`, as Analyze runs it) prints a probability under 5% that a size
more than 1% cheaper exists, the share where one of the sizes that test compared is truly more than 1% cheaper.

## Targets for the adaptive search

Median regret <= {TARGET_MEDIAN:.0%} and 95th percentile <= {TARGET_P95:.0%}; a median no more than 0.25 points
above the reference's; at most {TARGET_INVOCATION_SHARE:.0%} of the reference's {REFERENCE_INVOCATIONS} planned
invocations, probe included; a run cost no higher than the reference's; 95% intervals that hold the true cost at
least {TARGET_COVERAGE:.0%} of the time; clear-winner claims wrong at most {TARGET_WRONG_CLAIMS:.0%} of the time; no
choice that keeps less than half of a margin; at least {TARGET_EVIDENCE:.0%} of choices with the evidence to apply.

{verdict_lines}

{overall}

## Why the misses (written by `python -m bench` from this run's figures)

{misses(rows, seeds)}

{real_section}
## Reproduce

```
.venv/bin/{command}   # this page and the chart, about {elapsed_s / 60:.0f} min on 2 shared cores
.venv/bin/python -m bench --quick         # a smoke test
.venv/bin/python -m bench --families      # the model families only (--real: the real workloads only)
.venv/bin/python -m bench --tuning        # for tuning defaults: seeds from 10000, held-out workloads left out
.venv/bin/python -m bench.fleet --functions 1000 --concurrency 10 50   # "Fleets at scale", about 35 min each
```
"""
