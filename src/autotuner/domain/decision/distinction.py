"""Which measured sizes the data can tell apart from the chosen one: a bootstrap of the differences.

"The cheapest" is a statement about estimates; whether another size would really be cheaper is a question about
the difference between two estimates, so it is tested on that difference, never read off two intervals. Each
replicate resamples invocation slots: sizes measured on the same slots (the same invocation indices, hence the
same payloads) are resampled together, paired, so what a payload or a moment adds to every size cancels out;
sizes measured on other slots are resampled on their own. The seed fixes every draw.

A bootstrap of the 2-5 invocations an adaptive search gives most sizes is too sure of itself: it never shows a
slow mode its sample missed. With ``pooled`` the test draws each size's mean instead, from Student's t around
the measured mean with the relative spread pooled over every size (what the stated cost interval uses,
``autotuner.domain.decision.cost_interval``), so a claim rests on what the function's noise allows, not on the luck of a
few draws. The mean, because the mean is what is billed.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.measuring.statistics import (
    DEFAULT_RESAMPLES,
    Estimator,
    PooledSpread,
    mean,
    percentile,
    pool_relative_spread,
    stdev,
)

MIN_PAIRED_SLOTS = 5  # fewer common slots than this and pairing would mostly resample cold starts away
MIN_SAMPLE = 3  # a bootstrap of fewer values shows spread it never saw: no statement rests on it
MIN_POOLED_SAMPLE = MIN_SAMPLE  # the same bar as the bootstrap: a claim never rests on one or two calls
PRIOR_RELATIVE_SPREAD = 0.05  # as the stated cost interval's prior
PRIOR_FREEDOM = 2.0
HIGH_CONFIDENCE = 0.9  # the share of replicates in which no size beats the choice, for "confidence: high"
MEDIUM_CONFIDENCE = 0.7  # below it, "low": a better size is more than a 30% chance


class Metric(StrEnum):
    COST = "cost"
    DURATION = "duration"

    @property
    def better(self) -> str:
        """The word for "lower", as a user reads it."""
        return "cheaper" if self is Metric.COST else "faster"

    @property
    def best(self) -> str:
        """The word for "lowest"."""
        return "cheapest" if self is Metric.COST else "fastest"


@dataclass(frozen=True)
class MetricSample:
    """One size's per-invocation values, in invocation order."""

    memory_mb: int
    values: Sequence[float | None]  # None: not part of the steady sample (a cold start)
    slot_aligned: bool  # values[i] is the size's invocation i (every invocation left a report)

    @property
    def steady(self) -> list[float]:
        return [v for v in self.values if v is not None]


class RivalOdds(CamelModel):
    """How one other size compares with the chosen one."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    memory_mb: int
    probability_better: float = Field(
        description="share of bootstrap replicates in which this size beats the chosen one by more than the threshold"
    )
    difference_low: float = Field(description="(this size - chosen) / chosen, low end of its 95% bootstrap interval")
    difference_high: float = Field(description="(this size - chosen) / chosen, high end of its 95% bootstrap interval")
    paired: bool = Field(description="resampled on the same invocation slots as the chosen size")

    @property
    def told_apart(self) -> bool:
        """The 95% interval of the difference excludes zero: the data shows which of the two is lower."""
        return self.difference_low > 0 or self.difference_high < 0


class CurveOdds(CamelModel):
    """What the cost curve's resampled fits say about a size: how often some size over the whole range beats it.

    The test on the differences sees only the measured sizes, each on its own; the curve ties them together, so a
    size chosen because its few calls happened to look cheap, among sizes that cost nearly the same, gets the odds
    the whole function's data gives, not the luck of its sample."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    probability: float
    resamples: int
    lowest_mb: int
    highest_mb: int


class Distinction(CamelModel):
    """The test on the differences between the chosen size and every other eligible measured size."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    metric: Metric
    chosen_memory_mb: int
    threshold: float = Field(description="the relative margin a rival must beat the chosen size by (noiseThreshold)")
    probability_better_exists: float = Field(
        description="share of bootstrap replicates in which some other eligible size beats the chosen one by more "
        "than the threshold"
    )
    resamples: int
    rivals: list[RivalOdds] = Field(default_factory=list)
    untested: list[int] = Field(default_factory=list, description="sizes with too few steady invocations to compare")
    pooled_spread: float | None = Field(
        default=None,
        description="relative spread of one invocation pooled over the sizes, when the test drew each size's mean "
        "from Student's t with it instead of bootstrapping",
    )
    curve: CurveOdds | None = Field(
        default=None, description="the cost curve's odds for the chosen size, when a fitting curve was used"
    )

    @property
    def probability_stated(self) -> float:
        """What the output states: the larger of the test's and the curve's probability, so the statement holds
        under either way of reading the data."""
        if self.curve is None:
            return self.probability_better_exists
        return max(self.probability_better_exists, self.curve.probability)

    def with_curve(self, odds: CurveOdds | None) -> "Distinction":
        return self if odds is None else self.model_copy(update={"curve": odds})

    @property
    def indistinguishable(self) -> list[int]:
        """The chosen size and every rival whose difference from it the data cannot sign."""
        return [self.chosen_memory_mb, *(r.memory_mb for r in self.rivals if not r.told_apart)]

    def statement(self) -> str:
        """The test's result as a user reads it."""
        better = f"more than {self.threshold:.0%} {self.metric.better} than {self.chosen_memory_mb} MB"
        sentence = f"Probability that a size {better} exists {self._among()}: {_percent(self.probability_stated)}"
        sentence += f" ({self._basis()})"
        unclear = [m for m in self.indistinguishable if m != self.chosen_memory_mb]
        if unclear:
            sizes = ", ".join(f"{m} MB" for m in unclear)
            sentence += f"; the data cannot tell which is {self.metric.better} between it and {sizes}"
        if self.untested:
            sizes = ", ".join(f"{m} MB" for m in self.untested)
            least = MIN_SAMPLE if self.pooled_spread is None else MIN_POOLED_SAMPLE
            sentence += f"; not compared (fewer than {least} steady invocations): {sizes}"
        return sentence

    def confidence(self) -> str:
        """The test's result in one word and its figure, for the verdict: how likely it is that no size beats the
        chosen one by more than the threshold ("high (96% that no size >1% cheaper exists)")."""
        none_better = round(1 - self.probability_stated, 2)  # the word goes with the figure as printed
        word = "high" if none_better >= HIGH_CONFIDENCE else "medium" if none_better >= MEDIUM_CONFIDENCE else "low"
        better = self.metric.better
        which = "size" if self.curve is not None else "other measured size"
        text = f"{word} ({_percent(none_better)} that no {which} >{self.threshold * 100:g}% {better} exists"
        if self.probability_stated >= 0.5:  # more likely than not
            text += f": a {better} size probably exists"
        return text + ")"

    def _among(self) -> str:
        if self.curve is None:
            return f"among {self._rivals()}"
        return f"anywhere from {self.curve.lowest_mb:,} to {self.curve.highest_mb:,} MB"

    def _rivals(self) -> str:
        count = len(self.rivals)
        sizes = "size that meets" if count == 1 else "sizes that meet"
        return f"the {count} other measured {sizes} the constraints"

    def _basis(self) -> str:
        test = f"{self._method()}, {self.resamples:,} resamples"
        paired = sum(r.paired for r in self.rivals)
        if self.rivals and self.pooled_spread is None:
            test += f", {paired} of {len(self.rivals)} compared invocation by invocation"
        if self.curve is None:
            return test
        return (
            f"the larger of the cost curve's {_percent(self.curve.probability)} over {self.curve.resamples:,} "
            f"resampled fits and the test on {self._rivals()}: "
            f"{_percent(self.probability_better_exists)}, {test}"
        )

    def _method(self) -> str:
        if self.pooled_spread is None:
            return "bootstrap of the differences"
        return (
            f"each size's mean drawn from Student's t with the {self.pooled_spread:.0%} spread per invocation pooled "
            "over the sizes"
        )


def _percent(probability: float) -> str:
    """A share of replicates, never rounded to a certainty: none of them is "under 1%", all "over 99%"."""
    if probability < 0.01:
        return "under 1%"
    if probability > 0.99:
        return "over 99%"
    return f"{probability:.0%}"


def distinguish(
    samples: Sequence[MetricSample],
    chosen_memory_mb: int,
    *,
    metric: Metric,
    estimator: Estimator,
    threshold: float,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    pooled: bool = False,
) -> Distinction | None:
    """Bootstraps every size jointly and compares each rival's estimate with the chosen size's (lower is better);
    with ``pooled``, draws each size's mean from Student's t instead (see the module). None when the chosen size
    itself has too few steady invocations to compare anything with."""
    if pooled:
        return _distinguish_pooled(
            samples,
            chosen_memory_mb,
            metric=metric,
            threshold=threshold,
            resamples=resamples,
            seed=seed,
            confidence=confidence,
        )
    chosen = next(s for s in samples if s.memory_mb == chosen_memory_mb)
    if len(chosen.steady) < MIN_SAMPLE:
        return None
    others = [s for s in samples if s.memory_mb != chosen_memory_mb]
    rivals = [s for s in others if len(s.steady) >= MIN_SAMPLE]
    paired = {s.memory_mb for s in rivals if _pairable(chosen, s)}
    rng = random.Random(seed)
    differences: dict[int, list[float]] = {s.memory_mb: [] for s in rivals}
    replicates_with_better = 0
    for _ in range(resamples):
        slots = [rng.randrange(len(chosen.values)) for _ in chosen.values]
        reference = (
            _estimate(chosen, slots, estimator, rng) if chosen.slot_aligned else _independent(chosen, estimator, rng)
        )
        better = False
        for rival in rivals:
            if rival.memory_mb in paired:
                estimate = _estimate(rival, slots, estimator, rng)
            else:
                estimate = _independent(rival, estimator, rng)
            difference = estimate / reference - 1 if reference else 0.0
            differences[rival.memory_mb].append(difference)
            better = better or difference < -threshold
        replicates_with_better += better
    return _result(
        _Replicates(metric, chosen_memory_mb, threshold, resamples, confidence, differences, replicates_with_better),
        paired=paired,
        untested=[s.memory_mb for s in others if len(s.steady) < MIN_SAMPLE],
    )


def _distinguish_pooled(
    samples: Sequence[MetricSample],
    chosen_memory_mb: int,
    *,
    metric: Metric,
    threshold: float,
    resamples: int,
    seed: int,
    confidence: float,
) -> Distinction | None:
    steady = {s.memory_mb: s.steady for s in samples}
    if len(steady[chosen_memory_mb]) < MIN_POOLED_SAMPLE:
        return None
    spread = pool_relative_spread(
        ((len(v), mean(v), stdev(v)) for v in steady.values() if v),
        prior=PRIOR_RELATIVE_SPREAD,
        prior_freedom=PRIOR_FREEDOM,
    )
    compared = {m: v for m, v in steady.items() if len(v) >= MIN_POOLED_SAMPLE}
    rivals = [m for m in compared if m != chosen_memory_mb]
    rng = random.Random(seed)
    differences: dict[int, list[float]] = {m: [] for m in rivals}
    replicates_with_better = 0
    for _ in range(resamples):
        reference = _draw_mean(compared[chosen_memory_mb], spread, rng)
        better = False
        for size in rivals:
            difference = _draw_mean(compared[size], spread, rng) / reference - 1 if reference > 0 else 0.0
            differences[size].append(difference)
            better = better or difference < -threshold
        replicates_with_better += better
    return _result(
        _Replicates(metric, chosen_memory_mb, threshold, resamples, confidence, differences, replicates_with_better),
        paired=set(),
        untested=sorted(m for m in steady if m != chosen_memory_mb and m not in compared),
        pooled_spread=spread.relative,
    )


def _draw_mean(values: Sequence[float], spread: PooledSpread, rng: random.Random) -> float:
    """One draw of a size's mean: its measured mean moved by a Student's t multiple of its standard error (kept
    above zero: a mean cost or duration is positive)."""
    centre = mean(values)
    own = stdev(values) / centre if centre > 0 else 0.0
    t = rng.gauss(0.0, 1.0) / math.sqrt(rng.gammavariate(spread.freedom / 2, 2.0) / spread.freedom)
    return max(centre * (1 + t * spread.standard_error(len(values), own)), centre * 1e-6)


@dataclass(frozen=True)
class _Replicates:
    """What the replicates of a test gave, whichever way they were drawn."""

    metric: Metric
    chosen_memory_mb: int
    threshold: float
    resamples: int
    confidence: float
    differences: dict[int, list[float]]  # per rival: (rival - chosen) / chosen in each replicate
    with_better: int  # replicates in which some rival beat the chosen size by more than the threshold


def _result(
    replicates: _Replicates, *, paired: set[int], untested: list[int], pooled_spread: float | None = None
) -> Distinction:
    r = replicates
    return Distinction(
        metric=r.metric,
        chosen_memory_mb=r.chosen_memory_mb,
        threshold=r.threshold,
        probability_better_exists=r.with_better / r.resamples,
        resamples=r.resamples,
        rivals=_odds(r.differences, r.threshold, r.resamples, r.confidence, paired=paired),
        untested=untested,
        pooled_spread=pooled_spread,
    )


def _odds(
    differences: dict[int, list[float]], threshold: float, resamples: int, confidence: float, *, paired: set[int]
) -> list[RivalOdds]:
    tail = (1 - confidence) / 2 * 100
    return [
        RivalOdds(
            memory_mb=size,
            probability_better=sum(d < -threshold for d in values) / resamples,
            difference_low=percentile(values, tail),
            difference_high=percentile(values, 100 - tail),
            paired=size in paired,
        )
        for size, values in differences.items()
    ]


def _pairable(chosen: MetricSample, rival: MetricSample) -> bool:
    if not (chosen.slot_aligned and rival.slot_aligned) or len(chosen.values) != len(rival.values):
        return False
    common = sum(a is not None and b is not None for a, b in zip(chosen.values, rival.values, strict=True))
    return common >= MIN_PAIRED_SLOTS


def _estimate(sample: MetricSample, slots: Sequence[int], estimator: Estimator, rng: random.Random) -> float:
    """The estimate over the resampled slots, leaving out this size's cold starts there."""
    drawn = [v for i in slots if (v := sample.values[i]) is not None]
    return estimator(drawn) if drawn else _independent(sample, estimator, rng)


def _independent(sample: MetricSample, estimator: Estimator, rng: random.Random) -> float:
    steady = sample.steady
    return estimator(rng.choices(steady, k=len(steady))) if steady else math.inf
