"""The benchmark page's part on real workloads: which functions, from where, how they are simulated, and how each
method did on each under both interpolations."""

import hashlib
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import report
from bench.interpolation import Interpolation
from bench.methods import PARROTFISH_BUDGET
from bench.real_workloads import (
    AGGREGATE_INIT_MS,
    AGGREGATE_MEMORY_USED_MB,
    HELD_OUT,
    POOLING_WINDOW,
    TIMEOUT_FACTOR,
    RealData,
    RealWorkload,
)
from bench.report import Figures
from bench.simulate import broken_margin, regret, true_cost, true_optimum

REFERENCE_GRID = (128, 256, 512, 1024, 1536, 3008)


@dataclass(frozen=True)
class RealPart:
    """What the page reports on the real workloads."""

    data: RealData
    file_label: str
    workloads: Sequence[RealWorkload]  # each name under each interpolation
    rows: Sequence[Figures]
    seeds: range


def file_label(path: Path) -> str:
    """The file's name and the start of its SHA-256: which data the figures come from, without naming where the
    file lies on one machine."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return f"`{path.name}`"
    return f"`{path.name}` (SHA-256 {digest}...)"


def section(real: RealPart | None, missing: str | None) -> str:
    """The page's section on the real workloads, or a note that they were not scored."""
    if real is None:
        return (
            "## Real workloads\n\nNot scored in this run: "
            f"{missing or 'the real workloads file'} was not found beside the repository "
            "(`../shared/data/real-workloads.json`; `python -m bench --real-data PATH` names another place).\n"
        )
    seeds = real.seeds
    return f"""## Real workloads: functions other people measured on AWS Lambda

Scored on {len(real.data.entries)} functions from {real.file_label}, read at run time from beside the repository
(never copied into it; the product never reads it). {_seeds_text(seeds)}. Each entry names its source: the table
cites it (repository, commit, files).

**How a function is simulated.** Per-invocation sets (SeBS): an invocation at a measured size resamples that size's
published calls: a warm call draws one of its warm durations, a cold one (the first invocation of a new version,
as in Lambda) one of its cold (execution, INIT) pairs; so the heavy tails are the measured ones. Aggregate sets
(aws-lambda-power-tuning runs): the value at a measured size is the median of every published trimmed mean within
{POOLING_WINDOW:.0%} of it in memory (one lucky run of 10-20 concurrent calls does not become the optimum; a bump
several runs agree on stays); a call is that value times log-normal noise of mean one whose sigma makes a mean of
n calls vary as much as the published repeated runs at one size do (all of that spread put on the calls: the
harder case); a cold call adds an INIT of about {AGGREGATE_INIT_MS:.0f} ms (not published). Below the lowest
measured size the function runs out of memory; above the highest, the duration stays at the highest's.

**Between measured sizes** the mean duration is interpolated in log memory against log duration, two ways, and
every function is scored under both (the same seeds draw the same calls at measured sizes): **log-log**, straight
lines between neighbouring sizes, and **monotone**, a monotone piecewise cubic (PCHIP, Fritsch-Carlson), smooth
and never overshooting, so monotone wherever the measured values are. A call between two measured sizes draws from
one of them (the nearer, in log memory, the more often) and is scaled to the interpolated mean.

**Scoring** is the families': a size's true cost is a warm call at its expected duration (the measured tail
included: what is paid), plus 0.5 ms of billing rounding, priced in the region and architecture where the function
was measured (`autotuner.domain.costs.pricing`); the optimum is the careful choice, the cheapest size over every MB
from 128 to 10,240 at which the function runs and which keeps the families' margins on the function's figures; a
run's regret is its choice's true cost over the optimum's, minus 1 (0 for a cheaper choice inside a margin), for
every method alike (a method that chooses from a grid pays for the grid's coarseness). The margins read: the
highest Max Memory Used the source published at any size ({AGGREGATE_MEMORY_USED_MB} MB for the aggregate sets,
which publish none), with 10% of memory free over it; 10% above the largest size that runs out of memory (the one
below the lowest measured); the 99th percentile of a warm call (of the measured calls drawn there, or of the
log-normal) under 80% of the timeout. No entry states its function's timeout: each gets {TIMEOUT_FACTOR} times its
slowest call (the slowest measured call; for aggregate sets, the 99.9th percentile of a call at the slowest size),
so that margin never decides here; the table shows it.

The noise of one call: for per-invocation sets, the coefficient of variation of the warm calls measured at each
size (lowest and highest over the sizes); for aggregate sets, the log-normal sigma given to one call. The two
noisiest aggregate sets (sample 2's grayscale and resize) published run means that differ twofold at one size:
put on the calls, that spread is what makes them hard; if it were a shift shared by a whole run, they would be
easier.

**Held out of tuning**: {", ".join(f"`{n}`" for n in sorted(HELD_OUT))}. Defaults are tuned with `python -m bench
--tuning` (seeds from 10000, these left out), never on the seeds or the held-out functions reported here.

{_workload_table(real)}

### Results

Regret median / p95 over the seeds, and target invocations per run (probe included). The reference plans 60
invocations; "failed" is the share of its runs that end in an error as it ships (an invocation that runs out of
memory), its regret scored on what it would choose among the sizes that did not fail. "missed" lists the targets
of the adaptive search it misses there: median <= {report.TARGET_MEDIAN:.0%}, p95 <= {report.TARGET_P95:.0%},
median at most 0.25 points above the reference's, at most {report.TARGET_INVOCATION_SHARE * 60:.0f} invocations.

{_results_table(real.rows)}

{_summary(real.rows)}

<details><summary>Every target, per real workload and interpolation (as for the families)</summary>

{chr(10).join(f"- {line}" for line in report.verdicts(real.rows))}

</details>

### Why the misses on real workloads (written by `python -m bench` from this run's figures)

{report.misses(real.rows, seeds, noun="real workload")}

<details><summary>The full table for the real workloads</summary>

{report.markdown_table(real.rows)}

</details>
"""


def _seeds_text(seeds: range) -> str:
    return f"{len(seeds)} seeds per function and interpolation (seeds {seeds.start}-{seeds.stop - 1})"


def _workload_table(real: RealPart) -> str:
    by_name: dict[str, dict[Interpolation, RealWorkload]] = {}
    for w in real.workloads:
        by_name.setdefault(w.name, {})[w.interpolation] = w
    lines = [
        "| workload | what | set | sizes measured | noise of one call | most memory used, timeout | "
        "optimum, log-log | optimum, monotone | reference grid's best | held out | source |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, forms in by_name.items():
        first = next(iter(forms.values()))
        optima = {i: f"{true_optimum(w)[0]} MB" for i, w in forms.items()}
        sizes = f"{len(first.values_ms)} ({first.lowest_mb}-{first.highest_mb} MB)"
        lines.append(
            f"| {name} | {first.description} | {first.kind} | {sizes} | {_noise(first)} | "
            f"{first.most_memory_used_mb} MB, {first.timeout_s} s | {optima.get(Interpolation.LOG_LOG, '-')} | "
            f"{optima.get(Interpolation.MONOTONE, '-')} | {_grid_best(first)} | "
            f"{'yes' if first.held_out else 'no'} | {first.source.citation()} |"
        )
    return "\n".join(lines)


def _noise(workload: RealWorkload) -> str:
    """Per-invocation sets: the coefficient of variation of the warm calls measured, over the sizes; aggregate
    sets: the log-normal sigma given to one call."""
    if workload.kind == "aggregate":
        return f"sigma {workload.noise_sigma:.2f}"
    cvs = [statistics.pstdev(s.warm_ms) / s.mean_ms for s in workload.samples.values()]
    return f"CV {min(cvs):.2f}-{max(cvs):.2f}"


def _grid_best(workload: RealWorkload) -> str:
    """The reference grid's cheapest size that runs and keeps the margins, and its regret, on the true costs (what
    a careful person choosing from that grid would get with exact measurements)."""
    costs = {
        m: c for m in REFERENCE_GRID if (c := true_cost(workload, m)) is not None and broken_margin(workload, m) is None
    }
    best = min(costs, key=lambda m: (costs[m], m))
    return f"{best} MB (+{regret(workload, best):.1%})"


def _results_table(rows: Sequence[Figures]) -> str:
    by_key = {(r.workload, r.method): r for r in rows}
    lines = [
        "| workload | interpolation | ours: median / p95, invocations | reference: median / p95, failed | "
        f"ours at {PARROTFISH_BUDGET}: median / p95 | sweep 64 MB: median / p95 | missed |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for workload in dict.fromkeys(r.workload for r in rows):
        name, _, interpolation = workload.rpartition(" (")
        ours, ref = by_key[(workload, "adaptive")], by_key.get((workload, "reference"))
        capped, sweep = by_key.get((workload, "adaptive-20")), by_key.get((workload, "sweep"))
        missed = report.regret_misses(ours, ref)
        lines.append(
            f"| {name} | {interpolation.rstrip(')')} | {_pair(ours)}, {ours.invocations:.1f} | "
            f"{_pair(ref)}, {ref.failed:.0%} | {_pair(capped)} | {_pair(sweep)} | {', '.join(missed) or 'none'} |"
            if ref is not None
            else f"| {name} | {interpolation.rstrip(')')} | {_pair(ours)}, {ours.invocations:.1f} | - | "
            f"{_pair(capped)} | {_pair(sweep)} | {', '.join(missed) or 'none'} |"
        )
    return "\n".join(lines)


def _pair(row: Figures | None) -> str:
    if row is None:
        return "-"
    return f"{report.percent(row.median)} / {report.percent(row.p95)}"


def _summary(rows: Sequence[Figures]) -> str:
    """How many (workload, interpolation) pairs meet every regret and invocation target, held-out ones apart."""
    reference = {r.workload: r for r in rows if r.method == "reference"}
    ours = [r for r in rows if r.method == "adaptive"]
    met = [r for r in ours if not report.regret_misses(r, reference.get(r.workload))]
    held = [r for r in ours if r.workload.rpartition(" (")[0] in HELD_OUT]
    held_met = [r for r in held if r in met]
    parts = [
        f"The adaptive search meets every regret and invocation target on {len(met)} of {len(ours)} (workload, "
        f"interpolation) pairs"
    ]
    for interpolation in Interpolation:
        these = [r for r in ours if r.workload.endswith(f"({interpolation})")]
        parts.append(f"{sum(r in met for r in these)} of {len(these)} under {interpolation}")
    text = "; ".join(parts)
    if held:
        text += f"; on the held-out functions, {len(held_met)} of {len(held)}"
    return text + "."
