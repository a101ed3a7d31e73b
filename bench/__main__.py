"""``python -m bench``: every method on every workload for many seeds; a table, a Markdown page and a chart.

python -m bench                       # 100 seeds, writes docs/benchmarks.md and docs/benchmark.png
python -m bench --quick               # a smoke test: 3 seeds, writes nothing unless --out/--chart are given
python -m bench --seeds 50 --workloads io-bound,memory-floor
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from multiprocessing import Pool
from pathlib import Path

from autotuner_local.workloads import FAMILIES
from bench import report
from bench.methods import METHODS
from bench.report import Scored, score

DEFAULT_SEEDS = 100
QUICK_SEEDS = 3
DEFAULT_OUT = Path("docs/benchmarks.md")
DEFAULT_CHART = Path("docs/benchmark.png")
PROGRESS_STEPS = 20  # progress lines per run

Task = tuple[str, str, int]  # workload, method, seed


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    seeds = range(args.first_seed, args.first_seed + (QUICK_SEEDS if args.quick else args.seeds))
    workloads = _workloads(args.workloads)
    # Seed by seed, so that slow and fast methods mix and the progress estimate holds from the start.
    tasks = [(w, m, s) for s in seeds for w in workloads for m in METHODS]
    print(
        f"Benchmark: {len(workloads)} workloads x {len(METHODS)} methods x {len(seeds)} seeds "
        f"(seeds {seeds.start}-{seeds.stop - 1}) = {len(tasks)} tuning runs on {args.workers} workers",
        flush=True,
    )
    started = time.monotonic()
    outcomes: dict[tuple[str, str], list[Scored]] = defaultdict(list)
    for workload, method, result in _run(tasks, args.workers, started):
        outcomes[(workload, method)].append(result)
    elapsed = time.monotonic() - started
    rows = [report.figures(w, m, outcomes[(w, m)]) for w in workloads for m in METHODS]
    print()
    print(report.terminal_table(rows))
    print()
    for line in report.verdicts(rows):
        print(line)
    print(f"\n{len(tasks)} runs in {elapsed:.0f} s")
    out, chart = _outputs(args)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report.markdown_page(rows, [FAMILIES[w] for w in workloads], seeds, elapsed, chart))
        print(f"wrote {out}")
    if chart is not None:
        report.chart(rows, chart)
        print(f"wrote {chart}")
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"per workload (default {DEFAULT_SEEDS})")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed (defaults were tuned on 10000+)")
    parser.add_argument("--workloads", default="", help=f"comma-separated subset of: {', '.join(FAMILIES)}")
    parser.add_argument("--quick", action="store_true", help=f"a smoke test: {QUICK_SEEDS} seeds, no files by default")
    parser.add_argument("--out", type=Path, default=None, help=f"Markdown page (default {DEFAULT_OUT})")
    parser.add_argument("--chart", type=Path, default=None, help=f"chart PNG (default {DEFAULT_CHART})")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.workers < 1:
        parser.error("--seeds and --workers must be positive")
    return args


def _workloads(selection: str) -> list[str]:
    names = [n.strip() for n in selection.split(",") if n.strip()] or list(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        sys.exit(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    return names


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """A full run writes the page and the chart to docs/ unless told otherwise; a quick run, or one on some of the
    workloads, only where told (it would replace the published page with a part of it)."""
    if args.quick or args.workloads:
        return args.out, args.chart
    return args.out or DEFAULT_OUT, args.chart or DEFAULT_CHART


def _one(task: Task) -> tuple[str, str, Scored]:
    """One method on the function a family draws for a seed, scored against that function's truth."""
    family, method, seed = task
    workload = FAMILIES[family].draw(seed)
    return family, method, score(workload, METHODS[method](workload, seed))


def _run(tasks: list[Task], workers: int, started: float) -> Iterator[tuple[str, str, Scored]]:
    """Every task, on ``workers`` processes, with a progress line every 5%."""
    step = max(1, len(tasks) // PROGRESS_STEPS)
    with Pool(workers) as pool:
        for done, result in enumerate(pool.imap_unordered(_one, tasks, chunksize=4), start=1):
            if done % step == 0 or done == len(tasks):
                elapsed = time.monotonic() - started
                left = elapsed / done * (len(tasks) - done)
                share = f"{done / len(tasks):4.0%}"
                print(f"  [{share}] {done}/{len(tasks)} runs, {elapsed:.0f} s elapsed, ~{left:.0f} s left", flush=True)
            yield result


if __name__ == "__main__":
    sys.exit(main())
