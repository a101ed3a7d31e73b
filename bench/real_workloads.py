"""Functions other people measured on AWS Lambda, as targets the benchmark can invoke: the durations of
``real-workloads.json`` (kept outside the repository, read at run time; the product never reads it), each entry
with its source, simulated at every size Lambda allows.

Two kinds of entry (the file's ``set``):

* per-invocation (SeBS): warm durations and cold (execution, INIT) pairs, a few hundred per measured size. An
  invocation at a measured size resamples them: a warm call draws one of the warm durations, a cold one (the
  first invocation of a new version) one of the cold pairs. Between measured sizes the call draws from one of the
  two neighbouring sizes (the nearer one, in log memory, the more often) and is scaled by the interpolated mean
  over that size's mean, so the expected duration is the interpolated one and the shape of the tail carries
  over. Non-positive durations (missing in the source) are dropped; a size whose cold calls have no published
  INIT borrows the INIT durations of the nearest size that has them.
* aggregate (aws-lambda-power-tuning runs): per-size trimmed means of 10 or 20 calls, several runs over
  overlapping size lists. The value at a measured size is the median of every published mean within
  ``POOLING_WINDOW`` of it in log memory (4%: a run's mean of 10-20 concurrent calls is a noisy reading, and one
  lucky run must not become the true optimum, while a bump several runs agree on stays); a call is that value
  times log-normal noise of mean one, whose sigma is what makes a mean of n calls vary as much as repeated runs
  at the same size do (the robust spread of their differences, times the square root of n); a cold call adds an
  INIT of about ``AGGREGATE_INIT_MS``.

Below the lowest measured size the function runs out of memory (SeBS measured compression from 256 MB and image
recognition from 512 MB, where it used all of it); above the highest, the duration stays at the highest's (every
function here is flat or slower from 2,048 to 3,008 MB but image recognition, which is multi-threaded: its
optimum lies below 3,008 MB either way). The true cost of a size is that of a warm call at its expected
duration, the heavy tail included: what is paid.

What the margins read on a function's truth (``bench.simulate.broken_margin``): the most memory a call uses is the
highest Max Memory Used the source published at any size (aggregate sets publish none:
``AGGREGATE_MEMORY_USED_MB``); no call runs out of memory from the lowest measured size up; a warm call's duration
quantile at a size is that of the calls it draws from (per-invocation: the measured warm calls of its one or two
neighbouring sizes, scaled and weighted as ``sample`` draws them; aggregate: the log-normal). No entry states its
function's timeout, so each gets ``TIMEOUT_FACTOR`` times its slowest call (per-invocation: the slowest measured
call, warm or cold; aggregate: the 99.9th percentile of a call at its slowest size), in whole seconds and at most
Lambda's 900: generous, so the timeout margin never decides on these functions, as it would not on a function
whose owner set its timeout with room.
"""

import bisect
import functools
import math
import random
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from bench.interpolation import Interpolant, Interpolation, interpolate

# Where CI and every checkout find the data: beside the repository, never inside it.
DEFAULT_REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-workloads.json"
# Held out of tuning: the defaults are never tuned on these (nor on the page's seeds), so the page's figures on
# them are out of sample. One of each pair of siblings (the other stays in tuning), and a CPU-bound function whose
# optimum lies mid-range: Node's thumbnailer, graph BFS, grayscale on the small image, flip and rotate on the
# large one.
HELD_OUT = frozenset(
    {
        "sebs-210-thumbnailer-node",
        "sebs-503-graph-bfs",
        "unfaasener-sample1-grayscale",
        "unfaasener-sample2-flip",
        "unfaasener-sample2-rotate",
    }
)
POOLING_WINDOW = 0.04  # aggregate sets: published means within this distance in log memory pool into one value
AGGREGATE_INIT_MS = 200.0  # not published for the aggregate sets; SeBS's Python functions took 116-192 ms
INIT_SIGMA = 0.1
FALLBACK_NOISE = 0.1  # an aggregate set with no size measured twice: a typical CV of SeBS's CPU-bound functions
MAD_OF_DIFFERENCE = 0.6745 * math.sqrt(2)  # median |x - y| of two normal draws, in standard deviations of one
AGGREGATE_MEMORY_USED_MB = 95  # not published for the aggregate sets; SeBS's Python thumbnailer (Pillow) used 95
TIMEOUT_FACTOR = 3  # no entry states its timeout: this many times its slowest call, in whole seconds
MAX_TIMEOUT_S = 900  # Lambda's largest timeout
SLOWEST_AGGREGATE_QUANTILE = 0.999  # an aggregate set's "slowest call" at a size: its one-in-a-thousand call


class RealDataError(ValueError):
    """The real-workloads file is unreadable or not in the expected shape."""


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _SourceDoc(_Doc):
    repo: str
    commit: str
    paths: list[str]
    how: str = ""


class _SizeDoc(_Doc):
    memory_mb: int = Field(ge=128, le=10_240)
    warm_ms: list[float]
    max_memory_used_mb: float | None = None
    cold_exec_init_ms: list[tuple[float, float]] = Field(default_factory=list)
    cold_exec_ms: list[float] = Field(default_factory=list)


class _PointDoc(_Doc):
    memory_mb: int = Field(ge=128, le=10_240)
    mean_ms: float = Field(gt=0)
    n: int = Field(ge=1)
    run: int


class _WorkloadDoc(_Doc):
    name: str
    set: Literal["per-invocation", "aggregate"]
    what: str
    platform: str
    source: _SourceDoc
    sizes: list[_SizeDoc] = Field(default_factory=list)
    points: list[_PointDoc] = Field(default_factory=list)


class _FileDoc(_Doc):
    about: str = ""
    workloads: list[_WorkloadDoc]


@dataclass(frozen=True)
class Source:
    repo: str
    commit: str
    paths: tuple[str, ...]
    how: str

    def citation(self) -> str:
        return f"{self.repo} at {self.commit[:7]}: {', '.join(self.paths)}"


@dataclass(frozen=True)
class MeasuredSize:
    """Per-invocation samples at one size: warm durations, and cold (execution, INIT) pairs."""

    memory_mb: int
    warm_ms: tuple[float, ...]
    cold: tuple[tuple[float, float | None], ...]
    max_memory_used_mb: int

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.warm_ms)

    @functools.cached_property
    def sorted_warm_ms(self) -> tuple[float, ...]:
        return tuple(sorted(self.warm_ms))

    @property
    def slowest_ms(self) -> float:
        """The slowest call measured here, warm or cold (execution only, INIT left out)."""
        return max([*self.warm_ms, *(execution for execution, _ in self.cold)])


@dataclass(frozen=True, eq=False)  # identity: the truth is cached per workload
class RealWorkload:
    """One measured function under one interpolation: what a simulated invocation reports at any size, and the
    expected duration at any size (the truth it is scored against)."""

    name: str
    description: str
    kind: Literal["per-invocation", "aggregate"]
    source: Source
    region: str
    architecture: Architecture
    interpolation: Interpolation
    values_ms: dict[int, float]  # the duration at each measured size the curve passes through
    curve: Interpolant
    samples: dict[int, MeasuredSize]  # per-invocation sets only
    noise_sigma: float  # aggregate sets only: log-normal sigma of one call
    published_points: int

    @property
    def key(self) -> str:
        return f"{self.name} ({self.interpolation})"

    @property
    def held_out(self) -> bool:
        return self.name in HELD_OUT

    @property
    def lowest_mb(self) -> int:
        return min(self.values_ms)

    @property
    def highest_mb(self) -> int:
        return max(self.values_ms)

    def runs_out_of_memory(self, memory_mb: int) -> bool:
        return memory_mb < self.lowest_mb

    @property
    def never_out_of_memory_mb(self) -> int:
        """The smallest size no call runs out of memory at: the lowest measured."""
        return self.lowest_mb

    @functools.cached_property
    def most_memory_used_mb(self) -> int:
        """The most memory a call uses: the highest Max Memory Used published at any size (a constant for the
        aggregate sets, which publish none)."""
        if self.kind == "aggregate":
            return AGGREGATE_MEMORY_USED_MB
        return max(s.max_memory_used_mb for s in self.samples.values())

    @functools.cached_property
    def timeout_s(self) -> int:
        """``TIMEOUT_FACTOR`` times the slowest call, in whole seconds, at most Lambda's largest (no entry states
        its function's timeout)."""
        if self.kind == "aggregate":
            slowest = max(self.values_ms.values()) * _lognormal_quantile(self.noise_sigma, SLOWEST_AGGREGATE_QUANTILE)
        else:
            slowest = max(s.slowest_ms for s in self.samples.values())
        return min(MAX_TIMEOUT_S, math.ceil(TIMEOUT_FACTOR * slowest / 1000))

    def duration_quantile_ms(self, memory_mb: int, quantile: float) -> float:
        """The ``quantile`` of a warm call's duration at ``memory_mb`` (INIT left out), over what ``sample`` draws
        from: the measured warm calls of the neighbouring sizes, scaled and weighted as drawn (per-invocation), or
        the log-normal (aggregate)."""
        if self.kind == "aggregate":
            return self.expected_duration_ms(memory_mb) * _lognormal_quantile(self.noise_sigma, quantile)
        expected = self.expected_duration_ms(memory_mb)
        draws = [
            (weight, expected / self.samples[size].mean_ms, self.samples[size].sorted_warm_ms)
            for size, weight in self._neighbours(memory_mb)
        ]

        def share_at_most(duration: float) -> float:
            return sum(w * bisect.bisect_right(calls, duration / scale) / len(calls) for w, scale, calls in draws)

        low = min(scale * calls[0] for _, scale, calls in draws)
        high = max(scale * calls[-1] for _, scale, calls in draws)
        for _ in range(60):  # the smallest duration with at least ``quantile`` of the calls at or under it
            middle = (low + high) / 2
            low, high = (middle, high) if share_at_most(middle) < quantile else (low, middle)
        return high

    def expected_duration_ms(self, memory_mb: int) -> float:
        """The mean duration of a warm call: the interpolated curve, held at the highest measured size's beyond."""
        return self.curve(max(memory_mb, self.lowest_mb))

    def sample(
        self, memory_mb: int, rng: random.Random, *, cold: bool, timeout_ms: float = MAX_TIMEOUT_S * 1000
    ) -> InvocationReport:
        """One invocation as Lambda would report it (its INIT billed, as since 2025-08); a call past
        ``timeout_ms`` times out there."""
        if self.kind == "per-invocation":
            duration, init, used = self._resampled(memory_mb, rng, cold=cold)
        else:
            duration = self.expected_duration_ms(memory_mb) * _mean_one_lognormal(rng, self.noise_sigma)
            init = AGGREGATE_INIT_MS * rng.lognormvariate(0, INIT_SIGMA) if cold else None
            used = AGGREGATE_MEMORY_USED_MB
        status, error_type = InvocationStatus.SUCCESS, None
        if self.runs_out_of_memory(memory_mb):
            status, error_type, used = InvocationStatus.OUT_OF_MEMORY, "Runtime.OutOfMemory", memory_mb
            duration *= rng.uniform(0.2, 0.9)  # it dies part-way through
        if duration > timeout_ms:
            status, duration = InvocationStatus.TIMEOUT, timeout_ms
        billed = math.ceil(duration) + (math.ceil(init) if init is not None else 0)
        return InvocationReport(
            request_id="",
            duration_ms=round(duration, 2),
            billed_duration_ms=billed,
            memory_size_mb=memory_mb,
            max_memory_used_mb=min(memory_mb, used),
            init_duration_ms=round(init, 2) if init is not None else None,
            status=status,
            error_type=error_type,
        )

    def _resampled(self, memory_mb: int, rng: random.Random, *, cold: bool) -> tuple[float, float | None, int]:
        """A measured call at a neighbouring size, scaled to the curve at ``memory_mb``."""
        size = self.samples[self._neighbour(memory_mb, rng)]
        scale = self.expected_duration_ms(memory_mb) / size.mean_ms
        if not cold:
            return rng.choice(size.warm_ms) * scale, None, size.max_memory_used_mb
        execution, init = rng.choice(size.cold)
        return execution * scale, init, size.max_memory_used_mb

    def _neighbour(self, memory_mb: int, rng: random.Random) -> int:
        """The measured size a call at ``memory_mb`` draws from, with the weights of ``_neighbours``."""
        neighbours = self._neighbours(memory_mb)
        if len(neighbours) == 1:
            return neighbours[0][0]
        (lower, _), (upper, towards_upper) = neighbours
        return upper if rng.random() < towards_upper else lower

    def _neighbours(self, memory_mb: int) -> list[tuple[int, float]]:
        """The measured sizes a call at ``memory_mb`` draws from, with their weights: itself when measured, the
        nearest end outside the measured range, else the lower and the upper neighbour by nearness in log memory."""
        sizes = sorted(self.samples)
        if memory_mb <= sizes[0] or memory_mb >= sizes[-1] or memory_mb in self.samples:
            return [(min(sizes, key=lambda s: abs(s - memory_mb)), 1.0)]
        upper = next(s for s in sizes if s > memory_mb)
        lower = max(s for s in sizes if s < memory_mb)
        towards_upper = math.log(memory_mb / lower) / math.log(upper / lower)
        return [(lower, 1 - towards_upper), (upper, towards_upper)]


def _mean_one_lognormal(rng: random.Random, sigma: float) -> float:
    return rng.lognormvariate(-(sigma**2) / 2, sigma)


def _lognormal_quantile(sigma: float, quantile: float) -> float:
    """The ``quantile`` of ``_mean_one_lognormal``'s factor."""
    return math.exp(-(sigma**2) / 2 + sigma * statistics.NormalDist().inv_cdf(quantile))


@dataclass(frozen=True)
class RealData:
    """The file as read: its description and its entries, each under every interpolation."""

    about: str
    entries: tuple[_WorkloadDoc, ...]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def workloads(self, interpolation: Interpolation) -> list[RealWorkload]:
        return [build(entry, interpolation) for entry in self.entries]


@functools.cache
def load(path: Path) -> RealData:
    """The real workloads of ``path``; ``RealDataError`` naming the problem when the file is unreadable or not in
    the expected shape. Cached per process (every benchmark worker reads it once)."""
    try:
        doc = _FileDoc.model_validate_json(path.read_bytes())
    except OSError as error:
        raise RealDataError(f"cannot read {path}: {error.strerror or error}") from error
    except ValidationError as error:
        raise RealDataError(f"{path} is not in the expected shape: {error}") from error
    names = [w.name for w in doc.workloads]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RealDataError(f"{path}: workload names appear twice: {', '.join(duplicates)}")
    for entry in doc.workloads:
        _check(path, entry)
    return RealData(about=doc.about, entries=tuple(doc.workloads))


@functools.cache
def workload(path: Path, name: str, interpolation: Interpolation) -> RealWorkload:
    """One real workload under one interpolation, built once per process."""
    entry = next((e for e in load(path).entries if e.name == name), None)
    if entry is None:
        raise RealDataError(f"{path} has no workload named {name!r}")
    return build(entry, interpolation)


def _check(path: Path, entry: _WorkloadDoc) -> None:
    where = f"{path}: workload {entry.name!r}"
    if entry.set == "per-invocation":
        if not entry.sizes:
            raise RealDataError(f"{where}: a per-invocation set needs 'sizes'")
        for size in entry.sizes:
            if not any(v > 0 for v in size.warm_ms):
                raise RealDataError(f"{where}: no positive warm duration at {size.memory_mb} MB")
            if not any(e > 0 for e, _ in size.cold_exec_init_ms) and not any(e > 0 for e in size.cold_exec_ms):
                raise RealDataError(f"{where}: no positive cold duration at {size.memory_mb} MB")
        if not any(e > 0 and i > 0 for s in entry.sizes for e, i in s.cold_exec_init_ms):
            raise RealDataError(f"{where}: no cold call with an INIT duration at any size")
    elif not entry.points:
        raise RealDataError(f"{where}: an aggregate set needs 'points'")


def build(entry: _WorkloadDoc, interpolation: Interpolation) -> RealWorkload:
    if entry.set == "per-invocation":
        samples = _measured_sizes(entry.sizes)
        values = {m: s.mean_ms for m, s in samples.items()}
        sigma = 0.0
    else:
        samples = {}
        values = pooled_values(entry.points)
        sigma = invocation_noise(entry.points)
    return RealWorkload(
        name=entry.name,
        description=entry.what,
        kind=entry.set,
        source=Source(entry.source.repo, entry.source.commit, tuple(entry.source.paths), entry.source.how),
        region=_region(entry.platform),
        architecture=Architecture.ARM64 if "arm64" in entry.platform else Architecture.X86_64,
        interpolation=interpolation,
        values_ms=values,
        curve=interpolate(interpolation, values),
        samples=samples,
        noise_sigma=sigma,
        published_points=len(entry.points) if entry.points else sum(len(s.warm_ms) for s in entry.sizes),
    )


def _region(platform: str) -> str:
    """The AWS region named in the entry's platform ("AWS Lambda us-east-1, x86_64, ...")."""
    found = re.search(r"\b[a-z]{2}(?:-[a-z]+)+-\d\b", platform)
    if found is None:
        raise RealDataError(f"no AWS region in the platform {platform!r}")
    return found.group(0)


def _measured_sizes(sizes: Sequence[_SizeDoc]) -> dict[int, MeasuredSize]:
    """Each size's positive samples; a size whose cold calls carry no INIT borrows the nearest size's INITs."""
    inits = {s.memory_mb: [i for e, i in s.cold_exec_init_ms if e > 0 and i > 0] for s in sizes}
    measured: dict[int, MeasuredSize] = {}
    for size in sizes:
        cold: list[tuple[float, float | None]] = [(e, i) for e, i in size.cold_exec_init_ms if e > 0 and i > 0]
        if not cold:
            donor = min((m for m in inits if inits[m]), key=lambda m: abs(math.log(m / size.memory_mb)))
            borrowed = inits[donor]
            cold = [(e, borrowed[k % len(borrowed)]) for k, e in enumerate(v for v in size.cold_exec_ms if v > 0)]
        measured[size.memory_mb] = MeasuredSize(
            memory_mb=size.memory_mb,
            warm_ms=tuple(v for v in size.warm_ms if v > 0),
            cold=tuple(cold),
            max_memory_used_mb=math.ceil(size.max_memory_used_mb or 0),
        )
    return measured


def pooled_values(points: Sequence[_PointDoc]) -> dict[int, float]:
    """Per measured size, the median of the published means within ``POOLING_WINDOW`` of it in log memory."""
    sizes = sorted({p.memory_mb for p in points})
    return {
        m: statistics.median(p.mean_ms for p in points if abs(math.log(p.memory_mb / m)) <= POOLING_WINDOW + 1e-12)
        for m in sizes
    }


def invocation_noise(points: Sequence[_PointDoc]) -> float:
    """The log-normal sigma of one call that makes a mean of n calls vary as much as the published runs at the same
    size do: the median absolute difference of log means between runs at one size, as a standard deviation, times
    the square root of n (all of that spread put on the calls: the harder case for a tuner)."""
    by_size: dict[int, list[float]] = {}
    for p in points:
        by_size.setdefault(p.memory_mb, []).append(math.log(p.mean_ms))
    differences = [abs(a - b) for logs in by_size.values() for i, a in enumerate(logs) for b in logs[i + 1 :]]
    if not differences:
        return FALLBACK_NOISE
    between_runs = statistics.median(differences) / MAD_OF_DIFFERENCE
    return between_runs * math.sqrt(statistics.median(p.n for p in points))
