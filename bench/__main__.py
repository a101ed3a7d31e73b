"""``python -m bench``: every method on every workload for many seeds; a table, a Markdown page and a chart.

Two parts: the model families (``autotuner_local.workloads.FAMILIES``, a function drawn per seed) and the real
workloads (functions other people measured on AWS Lambda, read from ``real-workloads.json`` beside the repository,
each scored under two interpolations between its measured sizes).

python -m bench                       # both parts, writes docs/benchmarks.md and docs/benchmark.png
python -m bench --quick               # a smoke test: 3 seeds, one real workload, writes nothing unless told
python -m bench --families --seeds 50 --workloads io-bound,memory-floor
python -m bench --real --workloads sebs-120-uploader
python -m bench --tuning              # for tuning defaults: seeds from 10000, the held-out real workloads left out
"""

import argparse
import os
import pickle
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

from autotuner_local.workloads import FAMILIES
from bench import page_sections, real_report, real_workloads, report
from bench.interpolation import Interpolation
from bench.methods import METHODS
from bench.real_report import RealPart
from bench.real_workloads import DEFAULT_REAL_DATA, HELD_OUT, RealData, RealDataError
from bench.report import Scored, score

DEFAULT_SEEDS = 100
DEFAULT_REAL_SEEDS = 30
QUICK_SEEDS = 3
TUNING_FIRST_SEED = 10_000
DEFAULT_OUT = Path("docs/benchmarks.md")
DEFAULT_CHART = Path("docs/benchmark.png")
PROGRESS_STEPS = 20  # progress lines per run


@dataclass(frozen=True)
class Subject:
    """A workload a task runs: a model family (drawn per seed) or a real workload under one interpolation."""

    name: str
    interpolation: Interpolation | None = None  # None: a model family

    @property
    def key(self) -> str:
        return self.name if self.interpolation is None else f"{self.name} ({self.interpolation})"


Task = tuple[Subject, str, int, str]  # subject, method, seed, the real-workloads file


@dataclass(frozen=True)
class Results:
    """Every run's score, by workload key and method, and what was run: kept with ``--save`` so that the page can
    be rendered again (``--render``) without running the benchmark again."""

    families: list[str]
    real_names: list[str]
    seeds: range
    real_seeds: range
    elapsed_s: float
    outcomes: dict[tuple[str, str], list[Scored]]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.render is not None:
        with args.render.open("rb") as file:
            results: Results = pickle.load(file)
        real_data = real_workloads.load(args.real_data) if results.real_names else None
    else:
        results, real_data = _measure(args)
        if args.save is not None:
            with args.save.open("wb") as file:
                pickle.dump(results, file)
            print(f"saved the scores to {args.save}")
    _publish(args, results, real_data)
    return 0


def _measure(args: argparse.Namespace) -> tuple[Results, RealData | None]:
    families, real_names, real_data = _selection(args)
    seeds = _seeds(args, args.seeds)
    real_seeds = _seeds(args, args.real_seeds)
    subjects = [Subject(f) for f in families]
    real_subjects = [Subject(n, i) for n in real_names for i in Interpolation]
    # Seed by seed, so that slow and fast methods mix and the progress estimate holds from the start.
    tasks = [(s, m, seed, str(args.real_data)) for seed in seeds for s in subjects for m in METHODS]
    tasks += [(s, m, seed, str(args.real_data)) for seed in real_seeds for s in real_subjects for m in METHODS]
    print(
        f"Benchmark: {len(families)} model families x {len(seeds)} seeds (seeds {_span(seeds)}), "
        f"{len(real_names)} real workloads x {len(Interpolation)} interpolations x {len(real_seeds)} seeds "
        f"(seeds {_span(real_seeds)}), {len(METHODS)} methods each = {len(tasks)} tuning runs on {args.workers} "
        "workers",
        flush=True,
    )
    started = time.monotonic()
    outcomes: dict[tuple[str, str], list[Scored]] = defaultdict(list)
    for key, method, result in _run(tasks, args.workers, started):
        outcomes[(key, method)].append(result)
    elapsed = time.monotonic() - started
    return Results(families, real_names, seeds, real_seeds, elapsed, dict(outcomes)), real_data


def _publish(args: argparse.Namespace, results: Results, real_data: RealData | None) -> None:
    """The tables on the terminal; the page and the chart where ``_outputs`` says."""
    subjects = [Subject(f) for f in results.families]
    real_subjects = [Subject(n, i) for n in results.real_names for i in Interpolation]
    outcomes = results.outcomes
    rows = [report.figures(s.key, m, outcomes[(s.key, m)]) for s in subjects for m in METHODS]
    real_rows = [report.figures(s.key, m, outcomes[(s.key, m)]) for s in real_subjects for m in METHODS]
    runs = len(rows) * len(results.seeds) + len(real_rows) * len(results.real_seeds)
    _print(rows, real_rows, runs, results.elapsed_s)
    real = (
        RealPart(
            data=real_data,
            file_label=real_report.file_label(args.real_data),
            workloads=[real_workloads.workload(args.real_data, n, i) for n, i in _pairs(results.real_names)],
            rows=real_rows,
            seeds=results.real_seeds,
        )
        if real_data is not None
        else None
    )
    out, chart = _outputs(args)
    if out is not None:
        missing = None if real_data is not None else real_report.file_label(args.real_data)
        page = report.markdown_page(
            rows,
            [FAMILIES[f] for f in results.families],
            results.seeds,
            results.elapsed_s,
            chart,
            real_section=real_report.section(real, missing),
            real_runs=len(real_rows) * len(results.real_seeds) if real is not None else 0,
            command=_command(results),
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page_sections.carried_over(out.read_text() if out.exists() else "", page))
        print(f"wrote {out}")
    if chart is not None:
        log_log = [r for r in real_rows if r.workload.endswith(f"({Interpolation.LOG_LOG})")]
        report.chart(rows, chart, real_rows=log_log)
        print(f"wrote {chart}")


def _pairs(names: list[str]) -> list[tuple[str, Interpolation]]:
    return [(n, i) for n in names for i in Interpolation]


def _command(results: Results) -> str:
    """The command that reproduces the page: the seed counts and the first seed that are not the defaults."""
    command = "python -m bench"
    if len(results.seeds) != DEFAULT_SEEDS:
        command += f" --seeds {len(results.seeds)}"
    if len(results.real_seeds) != DEFAULT_REAL_SEEDS:
        command += f" --real-seeds {len(results.real_seeds)}"
    if results.seeds.start != 0:
        command += f" --first-seed {results.seeds.start}"
    return command


def _print(rows: list[report.Figures], real_rows: list[report.Figures], runs: int, elapsed: float) -> None:
    for part in (rows, real_rows):
        if part:
            print()
            print(report.terminal_table(part))
            print()
            for line in report.verdicts(part):
                print(line)
    print(f"\n{runs} runs in {elapsed:.0f} s")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0] if __doc__ else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"per family (default {DEFAULT_SEEDS})")
    parser.add_argument(
        "--real-seeds", type=int, default=DEFAULT_REAL_SEEDS, help=f"per real workload (default {DEFAULT_REAL_SEEDS})"
    )
    parser.add_argument("--first-seed", type=int, default=None, help="first seed (default 0; --tuning: 10000)")
    parser.add_argument("--families", action="store_true", help="the model families only")
    parser.add_argument("--real", action="store_true", help="the real workloads only")
    parser.add_argument(
        "--workloads", default="", help="comma-separated subset of the families' and the real workloads' names"
    )
    parser.add_argument(
        "--real-data",
        type=Path,
        default=DEFAULT_REAL_DATA,
        help="the real workloads' file (default ../shared/data/real-workloads.json beside the repository)",
    )
    parser.add_argument("--tuning", action="store_true", help="seeds from 10000, held-out real workloads left out")
    parser.add_argument(
        "--quick", action="store_true", help=f"a smoke test: {QUICK_SEEDS} seeds, one real workload, no files"
    )
    parser.add_argument("--out", type=Path, default=None, help=f"Markdown page (default {DEFAULT_OUT})")
    parser.add_argument("--chart", type=Path, default=None, help=f"chart PNG (default {DEFAULT_CHART})")
    parser.add_argument("--save", type=Path, default=None, help="also keep every run's score in this file")
    parser.add_argument(
        "--render", type=Path, default=None, help="render the tables, page and chart from a --save file; run nothing"
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.real_seeds < 1 or args.workers < 1:
        parser.error("--seeds, --real-seeds and --workers must be positive")
    if args.families and args.real:
        parser.error("--families and --real each select one part; give neither for both")
    if args.tuning and args.first_seed is not None and args.first_seed < TUNING_FIRST_SEED:
        parser.error(f"--tuning runs on seeds from {TUNING_FIRST_SEED}: the page reports the lower ones")
    return args


def _seeds(args: argparse.Namespace, count: int) -> range:
    first = args.first_seed if args.first_seed is not None else (TUNING_FIRST_SEED if args.tuning else 0)
    return range(first, first + (QUICK_SEEDS if args.quick else count))


def _span(seeds: range) -> str:
    return f"{seeds.start}-{seeds.stop - 1}"


def _selection(args: argparse.Namespace) -> tuple[list[str], list[str], RealData | None]:
    """The families and real workloads to run, and the real data (None when it is not there and not asked for:
    the benchmark says so and scores the families)."""
    real_data = None
    if not args.families:
        try:
            real_data = real_workloads.load(args.real_data)
        except RealDataError as error:
            if args.real or not args.real_data.exists():
                message = f"Real workloads not scored: {error}. Pass --real-data PATH to score them."
                if args.real:
                    sys.exit(message)
                print(message, flush=True)
            else:
                sys.exit(str(error))  # a file that is there but unreadable is a fault, not an absence
    real_names = real_data.names if real_data is not None else []
    families = [] if args.real else list(FAMILIES)
    named = [n.strip() for n in args.workloads.split(",") if n.strip()]
    if named:
        unknown = [n for n in named if n not in FAMILIES and n not in real_names]
        if unknown:
            sys.exit(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join([*FAMILIES, *real_names])}")
        families = [f for f in families if f in named]
        real_names = [n for n in real_names if n in named]
    elif args.quick:
        real_names = real_names[:1]
    if args.tuning:
        real_names = [n for n in real_names if n not in HELD_OUT]
    return families, real_names, real_data


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """A full run writes the page and the chart to docs/ unless told otherwise; a quick run, a tuning run, or one on
    some of the workloads, only where told (it would replace the published page with a part of it)."""
    if args.quick or args.workloads or args.families or args.real or args.tuning:
        return args.out, args.chart
    return args.out or DEFAULT_OUT, args.chart or DEFAULT_CHART


def _one(task: Task) -> tuple[str, str, Scored]:
    """One method on one function, scored against that function's truth: a family's draw for the seed, or a real
    workload (the same function for every seed; the seed draws its invocations)."""
    subject, method, seed, path = task
    if subject.interpolation is None:
        workload = FAMILIES[subject.name].draw(seed)
        return subject.key, method, score(workload, METHODS[method](workload, seed))
    real = real_workloads.workload(Path(path), subject.name, subject.interpolation)
    return subject.key, method, score(real, METHODS[method](real, seed))


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
