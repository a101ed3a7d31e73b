"""The interval stated for a size's cost per invocation: a t interval on the mean, its spread pooled over sizes.

What a user pays is the mean cost per invocation, slow calls included, so the interval is on the mean, not on
the trimmed mean that ranks sizes. A size is often measured only 2-5 times: a bootstrap of so few values is too
narrow (it never shows spread it did not see, such as a slow mode one call in five falls into), and the sample's
own standard deviation is itself unreliable. Every size of one function shares its noise in relative terms (the
same code, the same payloads, the same slow modes), so the relative spread is pooled over every size measured,
with a weak prior, and Student's t with the pooled degrees of freedom sets the width. A size whose own spread is
larger than the pooled one keeps its own. The interval is multiplicative (the mean divided and multiplied by
1 + t x its relative standard error): a mean of a few calls from a right-skewed mixture (a slow mode) is more
often below the true mean than above it, so the upper side needs the room; the lower end stays above zero. And
the size reported is the one whose sample looked cheapest, so its own 95% interval would hold less often than
95%: the intervals are simultaneous over every size measured (Bonferroni: each at 1 - 5% / sizes), which holds
whichever size the choice falls on. The upper end starts from the larger of the size's mean and its median times
the function's mean-to-median ratio (pooled over the sizes): a size whose few calls missed a slow mode the other
sizes show has a mean too low to start from. Billing rounding is inside the measured costs (each is billed per
started ms), so nothing is added for it.
"""

from collections.abc import Sequence

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.measuring.statistics import ConfidenceInterval, PooledSpread, Summary, pool_relative_spread

PRIOR_RELATIVE_SPREAD = 0.05  # a function's relative noise per invocation before any is measured
PRIOR_FREEDOM = 2.0  # weighs the prior as much as three invocations of one size
CONFIDENCE = 0.95


def pooled_cost_spread(candidates: Sequence[CandidateStats]) -> PooledSpread:
    """The relative spread of one invocation's cost over every size with a steady sample of two or more."""
    summaries = [c.cost for c in candidates if c.cost is not None and c.cost.stdev is not None]
    return pool_relative_spread(
        ((s.count, s.mean, s.stdev or 0.0) for s in summaries),
        prior=PRIOR_RELATIVE_SPREAD,
        prior_freedom=PRIOR_FREEDOM,
    )


def expected_cost_interval(
    chosen: CandidateStats, candidates: Sequence[CandidateStats], confidence: float = CONFIDENCE
) -> ConfidenceInterval | None:
    """The interval for ``chosen``'s mean cost per invocation; None when it has no steady sample."""
    summary = chosen.cost
    if summary is None or summary.mean <= 0:
        return None
    spread = pooled_cost_spread(candidates)
    sizes = max(1, sum(c.cost is not None for c in candidates))
    simultaneous = 1 - (1 - confidence) / sizes
    factor = 1 + spread.t(simultaneous) * spread.standard_error(summary.count, _own_spread(summary))
    typical = summary.median * (mean_to_median(candidates) or 0.0)
    return ConfidenceInterval(
        low=summary.mean / factor, high=max(summary.mean, typical) * factor, confidence=confidence
    )


def mean_to_median(candidates: Sequence[CandidateStats]) -> float | None:
    """How far the function's mean cost sits above its median, over the sizes with three or more steady calls,
    weighted by their calls; None without such a size. A slow mode one call in five falls into lifts the mean of
    every size alike; a size whose few calls all missed it has a mean near its median, and this ratio says where
    its mean would sit."""
    pairs = [(s.count, s.mean / s.median) for c in candidates if (s := c.cost) and s.count >= 3 and s.median > 0]
    calls = sum(n for n, _ in pairs)
    return sum(n * ratio for n, ratio in pairs) / calls if calls else None


def _own_spread(summary: Summary) -> float:
    if summary.count < 2 or summary.stdev is None or summary.mean <= 0:
        return 0.0
    return summary.stdev / summary.mean
