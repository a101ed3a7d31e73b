"""Choosing between architectures: each one is searched on its own (two curves, two decisions), and then the
choice is over (size, architecture): each architecture's chosen size against the others', by the run's strategy.

The function stays on the architecture it runs on unless another is better by more than the noise threshold and
the measurements tell the two apart (their 95% intervals do not overlap; without intervals, by twice the threshold):
switching architecture changes the code's platform, not just a setting, and is not worth a difference within the
noise. A switch is applied only when the input asks for it (``applyArchitecture``); otherwise it is reported with
what it would save.
"""

from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.distinction import Metric
from autotuner.domain.decision.strategy import Strategy, rule_for
from autotuner.domain.measuring.statistics import ConfidenceInterval

UNTESTED_FACTOR = 2  # without intervals, a switch needs this many noise thresholds of difference


class LaneChoice(CamelModel):
    """What one architecture's own search chose, and its figures."""

    architecture: Architecture
    memory_mb: int | None = Field(description="None: no size met the constraints and margins on it")
    cost: float | None = Field(default=None, description="USD per invocation (trimmed mean)")
    duration_ms: float | None = Field(default=None, description="trimmed mean")
    cost_interval: ConfidenceInterval | None = None
    duration_interval: ConfidenceInterval | None = None

    @classmethod
    def of(cls, architecture: Architecture, chosen: CandidateStats | None) -> "LaneChoice":
        if chosen is None or chosen.cost is None or chosen.duration_ms is None:
            return cls(architecture=architecture, memory_mb=None)
        return cls(
            architecture=architecture,
            memory_mb=chosen.memory_mb,
            cost=chosen.cost_estimate,
            duration_ms=chosen.duration_estimate,
            cost_interval=chosen.cost_interval,
            duration_interval=chosen.duration_interval,
        )

    def describe(self) -> str:
        if self.memory_mb is None or self.cost is None or self.duration_ms is None:
            return f"{self.architecture.value}: no size meets the constraints and margins"
        cost, duration = usd(self.cost), f"{self.duration_ms:,.1f} ms"
        return f"{self.architecture.value} at {self.memory_mb:,} MB ({cost} per invocation, {duration})"


class ArchitectureChoice(CamelModel):
    """The choice over (size, architecture), beside the architecture the function runs on."""

    deployed: Architecture = Field(description="the architecture the function ran on when the run started")
    chosen: Architecture
    lanes: list[LaneChoice] = Field(description="each architecture's own choice, the deployed one first")
    reason: str
    saving_per_invocation: float | None = Field(
        default=None, description="USD the chosen architecture's choice saves per invocation over the deployed one's"
    )
    saving_share: float | None = Field(default=None, description="that saving as a share of the deployed one's cost")

    @property
    def switches(self) -> bool:
        return self.chosen is not self.deployed

    def lane(self, architecture: Architecture) -> LaneChoice:
        return next(lane for lane in self.lanes if lane.architecture is architecture)


def choose_architecture(
    deployed: Architecture,
    lanes: Sequence[tuple[Architecture, CandidateStats | None]],
    strategy: Strategy,
    *,
    noise_threshold: float,
    balanced_weight: float = 0.5,
) -> ArchitectureChoice:
    """``lanes``: each architecture with the size its own decision chose (None: nothing met the constraints)."""
    choices = sorted((LaneChoice.of(a, c) for a, c in lanes), key=lambda lane: lane.architecture is not deployed)
    if not choices or choices[0].architecture is not deployed:
        raise ValueError(f"the deployed architecture {deployed} must be one of the lanes")
    home = choices[0]
    working = [lane for lane in choices if lane.memory_mb is not None]
    if not working:
        return ArchitectureChoice(
            deployed=deployed, chosen=deployed, lanes=choices, reason="No size met the constraints on any architecture."
        )
    if home.memory_mb is None:
        best = working[0]
        why = f"Only {best.describe()} meets the constraints and margins; on {deployed} no size does."
        return _switch(home, best, choices, why)
    metric = rule_for(strategy).minimises
    score = _scores(working, metric, balanced_weight)
    best = min(working, key=lambda lane: (score[lane.architecture], lane.architecture is not deployed))
    if best is home:
        return _stay(home, choices, f"{home.describe()} is the best of the architectures measured ({_all(choices)}).")
    gain = 1 - score[best.architecture] / score[home.architecture] if score[home.architecture] else 0.0
    what = metric.value if metric is not None else f"{strategy} score"
    if gain <= noise_threshold:
        return _stay(
            home,
            choices,
            f"{best.describe()} is within the noise threshold ({noise_threshold:.0%}) of {home.describe()} on "
            f"{what}: not worth switching architecture.",
        )
    if metric is not None and not _told_apart(home, best, metric, gain, noise_threshold):
        return _stay(
            home,
            choices,
            f"{best.describe()} looks {gain:.1%} better on {what} than {home.describe()}, but the measurements do not "
            "tell the two apart (their 95% intervals overlap): staying.",
        )
    return _switch(home, best, choices, f"{best.describe()} beats {home.describe()} by {gain:.1%} on {what}.")


def _scores(lanes: list[LaneChoice], metric: Metric | None, weight: float) -> dict[Architecture, float]:
    if metric is not None:
        return {lane.architecture: _value(lane, metric) for lane in lanes}
    top_cost = max(lane.cost or 0.0 for lane in lanes) or 1.0
    top_duration = max(lane.duration_ms or 0.0 for lane in lanes) or 1.0
    return {
        lane.architecture: weight * (lane.cost or 0.0) / top_cost
        + (1 - weight) * (lane.duration_ms or 0.0) / top_duration
        for lane in lanes
    }


def _value(lane: LaneChoice, metric: Metric) -> float:
    value = lane.cost if metric is Metric.COST else lane.duration_ms
    return value if value is not None else float("inf")


def _interval(lane: LaneChoice, metric: Metric) -> ConfidenceInterval | None:
    return lane.cost_interval if metric is Metric.COST else lane.duration_interval


def _told_apart(home: LaneChoice, best: LaneChoice, metric: Metric, gain: float, threshold: float) -> bool:
    ours, theirs = _interval(home, metric), _interval(best, metric)
    if ours is None or theirs is None:
        return gain > UNTESTED_FACTOR * threshold
    return not ours.overlaps(theirs)


def _all(lanes: list[LaneChoice]) -> str:
    return "; ".join(lane.describe() for lane in lanes)


def _stay(home: LaneChoice, lanes: list[LaneChoice], reason: str) -> ArchitectureChoice:
    return ArchitectureChoice(deployed=home.architecture, chosen=home.architecture, lanes=lanes, reason=reason)


def _switch(home: LaneChoice, best: LaneChoice, lanes: list[LaneChoice], reason: str) -> ArchitectureChoice:
    saving = share = None
    if home.cost is not None and best.cost is not None:
        saving = home.cost - best.cost
        share = saving / home.cost if home.cost else None
    return ArchitectureChoice(
        deployed=home.architecture,
        chosen=best.architecture,
        lanes=lanes,
        reason=reason,
        saving_per_invocation=saving,
        saving_share=share,
    )
