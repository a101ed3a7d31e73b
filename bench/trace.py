"""``python -m bench.trace``: why the adaptive search chose what it chose on a workload, seed by seed.

For each run: what each round measured, what the cost curve said after it (fits or not, and why; its cheapest
size and where resampled curves put it), the plan's reason, the choice and its regret beside the reference tool's.
Then, per workload, where the regret comes from:

* explored: the regret of the truly cheapest size the search measured (what a perfect choice among the measured
  sizes would get: the rest of the regret is the choice's);
* trimmed / mean: the regret of the measured size with the lowest trimmed-mean cost (choose's estimate) or the
  lowest mean cost (what is paid, the tail included);
* curve: the regret of the cost curve's cheapest size after the last round, whether or not the choice used it.

python -m bench.trace --workloads unfaasener-sample1-resize --seeds 10000-10009 --traces
"""

import argparse
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.settings import SearchRound
from autotuner_local.workloads import FAMILIES
from bench import real_workloads
from bench.interpolation import Interpolation
from bench.methods import Outcome, adaptive, reference
from bench.real_workloads import DEFAULT_REAL_DATA, RealDataError
from bench.simulate import SimulatedFunction, explored_regret, pricing_for, regret, true_cost, true_optimum


@dataclass(frozen=True)
class RoundTrace:
    added: dict[int, int]
    curve: str
    plan: str


@dataclass
class RunTrace:
    seed: int
    rounds: list[RoundTrace] = field(default_factory=list)
    candidates: list[CandidateStats] = field(default_factory=list)
    curve: CostCurve | None = None


@dataclass(frozen=True)
class Decomposition:
    ours: float
    reference: float
    explored: float
    trimmed: float
    mean: float
    curve: float | None
    used_curve: bool


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    first, _, last = args.seeds.partition("-")
    seeds = range(int(first), int(last or first) + 1)
    for name in [n.strip() for n in args.workloads.split(",") if n.strip()]:
        for interpolation in _interpolations(name, args.interpolation):
            try:
                workloads = [_workload(name, interpolation, seed, args.real_data) for seed in seeds]
            except RealDataError as error:
                sys.exit(f"{error}. Pass --real-data PATH (a family's name needs none).")
            rows = [_trace(workload, seed, args.traces) for workload, seed in zip(workloads, seeds, strict=True)]
            _summary(name if interpolation is None else f"{name} ({interpolation})", rows)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.trace", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--workloads", required=True, help="comma-separated families or real workloads")
    parser.add_argument("--seeds", default="10000-10009", help="first-last (default 10000-10009: tuning seeds)")
    parser.add_argument("--interpolation", choices=[*Interpolation, "both"], default="both")
    parser.add_argument("--real-data", type=Path, default=DEFAULT_REAL_DATA)
    parser.add_argument("--traces", action="store_true", help="print every run's rounds")
    return parser.parse_args(argv)


def _interpolations(name: str, chosen: str) -> list[Interpolation | None]:
    if name in FAMILIES:
        return [None]
    return list(Interpolation) if chosen == "both" else [Interpolation(chosen)]


def _workload(name: str, interpolation: Interpolation | None, seed: int, path: Path) -> SimulatedFunction:
    if interpolation is None:
        return FAMILIES[name].draw(seed)
    return real_workloads.workload(path, name, interpolation)


def _trace(workload: SimulatedFunction, seed: int, verbose: bool) -> Decomposition:
    run = RunTrace(seed)

    def observe(
        added: dict[int, int], candidates: list[CandidateStats], curve: CostCurve | None, plan: SearchRound
    ) -> None:
        run.rounds.append(RoundTrace(dict(added), _describe_curve(curve), plan.reason))
        run.candidates, run.curve = candidates, curve

    ours = adaptive(workload, seed, observe=observe)
    ref = reference(workload, seed)
    measured = [c for c in run.candidates if c.cost is not None and c.failure_reason is None and c.warm_invocations]
    by_trimmed = min(measured, key=lambda c: c.cost_estimate).memory_mb
    by_mean = min(measured, key=lambda c: c.cost.mean if c.cost else float("inf")).memory_mb
    result = Decomposition(
        ours=regret(workload, ours.chosen_mb),
        reference=regret(workload, ref.chosen_mb),
        explored=explored_regret(workload, ours.measured),
        trimmed=regret(workload, by_trimmed),
        mean=regret(workload, by_mean),
        curve=regret(workload, run.curve.optimum_mb) if run.curve is not None and run.curve.fits else None,
        used_curve=ours.used_curve,
    )
    if verbose:
        _print_run(workload, run, result, ours, ref)
    return result


def _describe_curve(curve: CostCurve | None) -> str:
    if curve is None:
        return "no curve"
    check = curve.check
    fit = "fits" if check.fits else f"MISFIT {check.statistic:.0f}>{check.limit:.0f}"
    spread = curve.optimum_spread_mb
    left = f", left out {check.left_out_mb} MB" if check.left_out_mb else ""
    return (
        f"curve {fit} (worst {check.worst_residual:+.0%} at {check.worst_mb} MB{left}), cheapest {curve.optimum_mb} MB "
        f"(resampled {spread[0]}-{spread[-1]}), band ±{curve.relative_band:.1%}"
    )


def _print_run(workload: SimulatedFunction, run: RunTrace, result: Decomposition, ours: Outcome, ref: Outcome) -> None:
    optimum, cost = true_optimum(workload)
    path = "curve" if result.used_curve else "measured"
    print(
        f"  seed {run.seed}: ours {ours.chosen_mb} MB ({path}) {result.ours:+.2%}; reference {ref.chosen_mb} MB "
        f"{result.reference:+.2%}; optimum {optimum} MB"
    )
    for index, round_ in enumerate(run.rounds, start=1):
        added = " ".join(f"{m}x{n}" for m, n in sorted(round_.added.items()))
        print(f"    r{index} +[{added}] {round_.curve}")
        print(f"       plan: {round_.plan}")
    for c in run.candidates:
        if c.cost is None or c.failure_reason is not None:
            print(f"    {c.memory_mb:>5} MB: {c.failure_reason or 'no warm call'}")
            continue
        truth = true_cost(workload, c.memory_mb)
        predicted = run.curve.cost(c.memory_mb, pricing_for(workload).curve_pricing) / cost - 1 if run.curve else None
        curve_text = f" curve {predicted:+6.1%}" if predicted is not None else ""
        print(
            f"    {c.memory_mb:>5} MB n={c.cost.count:>2}: trimmed {c.cost.trimmed_mean / cost - 1:+6.1%} "
            f"mean {c.cost.mean / cost - 1:+6.1%} true {(truth or 0) / cost - 1:+6.1%}{curve_text}"
        )
    print(f"    reason: {ours.reason}")


def _summary(label: str, rows: Sequence[Decomposition]) -> None:
    def med(values: Sequence[float]) -> str:
        return f"{statistics.median(values):.2%}"

    curve = [r.curve for r in rows if r.curve is not None]
    print(
        f"{label}: ours {med([r.ours for r in rows])} (curve decided {sum(r.used_curve for r in rows)}/{len(rows)}), "
        f"reference {med([r.reference for r in rows])}; explored {med([r.explored for r in rows])}, "
        f"trimmed {med([r.trimmed for r in rows])}, mean {med([r.mean for r in rows])}, "
        f"curve {med(curve) if curve else '-'} ({len(curve)} fitted)",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
