"""Which measured sizes the data can tell apart from the chosen one: a bootstrap of the differences.

"The cheapest" is a statement about estimates; whether another size would really be cheaper is a question about
the difference between two estimates, so it is tested on that difference, never read off two intervals. Each
replicate resamples invocation slots: sizes measured on the same slots (the same invocation indices, hence the
same payloads) are resampled together, paired, so what a payload or a moment adds to every size cancels out;
sizes measured on other slots are resampled on their own. The seed fixes every draw.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.statistics import DEFAULT_RESAMPLES, Estimator, percentile

MIN_PAIRED_SLOTS = 5  # fewer common slots than this and pairing would mostly resample cold starts away
MIN_SAMPLE = 3  # a bootstrap of fewer values shows spread it never saw: no statement rests on it


class Metric(StrEnum):
    COST = "cost"
    DURATION = "duration"

    @property
    def better(self) -> str:
        """The word for "lower", as a user reads it."""
        return "cheaper" if self is Metric.COST else "faster"


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

    model_config = ConfigDict(frozen=True)

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


class Distinction(CamelModel):
    """The test on the differences between the chosen size and every other eligible measured size."""

    model_config = ConfigDict(frozen=True)

    metric: Metric
    chosen_memory_mb: int
    threshold: float = Field(description="the relative margin a rival must beat the chosen size by (noiseThreshold)")
    probability_better_exists: float = Field(
        description="share of bootstrap replicates in which some other eligible size beats the chosen one by more "
        "than the threshold"
    )
    resamples: int
    rivals: list[RivalOdds] = Field(default_factory=list)
    untested: list[int] = Field(
        default_factory=list, description=f"sizes with fewer than {MIN_SAMPLE} steady invocations, not compared"
    )

    @property
    def indistinguishable(self) -> list[int]:
        """The chosen size and every rival whose difference from it the data cannot sign."""
        return [self.chosen_memory_mb, *(r.memory_mb for r in self.rivals if not r.told_apart)]

    def statement(self) -> str:
        """The test's result as a user reads it."""
        odds = _percent(self.probability_better_exists)
        sentence = (
            f"Probability that a size more than {self.threshold:.0%} {self.metric.better} than "
            f"{self.chosen_memory_mb} MB exists among the {len(self.rivals)} other measured sizes that meet the "
            f"constraints: {odds} (bootstrap of the differences, {self.resamples:,} resamples"
        )
        paired = sum(r.paired for r in self.rivals)
        if self.rivals:
            sentence += f", {paired} of {len(self.rivals)} compared invocation by invocation"
        sentence += ")"
        unclear = [m for m in self.indistinguishable if m != self.chosen_memory_mb]
        if unclear:
            sizes = ", ".join(f"{m} MB" for m in unclear)
            sentence += f"; the data cannot tell which is {self.metric.better} between it and {sizes}"
        if self.untested:
            sizes = ", ".join(f"{m} MB" for m in self.untested)
            sentence += f"; not compared (fewer than {MIN_SAMPLE} steady invocations): {sizes}"
        return sentence


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
) -> Distinction | None:
    """Bootstraps every size jointly and compares each rival's estimate with the chosen size's (lower is better).
    None when the chosen size itself has too few steady invocations to compare anything with."""
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
    tail = (1 - confidence) / 2 * 100
    return Distinction(
        metric=metric,
        chosen_memory_mb=chosen_memory_mb,
        threshold=threshold,
        probability_better_exists=replicates_with_better / resamples,
        resamples=resamples,
        rivals=[
            RivalOdds(
                memory_mb=size,
                probability_better=sum(d < -threshold for d in values) / resamples,
                difference_low=percentile(values, tail),
                difference_high=percentile(values, 100 - tail),
                paired=size in paired,
            )
            for size, values in differences.items()
        ],
        untested=[s.memory_mb for s in others if len(s.steady) < MIN_SAMPLE],
    )


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
