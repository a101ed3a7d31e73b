"""What a choice costs in speed: the cost/latency frontier, the next faster option, and the slowdown limit.

A size is on the frontier when it is faster than every cheaper size: the only sizes worth paying more for. Beside
the chosen size the output shows what the next faster frontier size would cost and save in time, so a saving
bought with a large slowdown is visible; ``maxSlowdown`` lets auto-apply refuse one.
"""

from collections.abc import Sequence

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.decision.candidate import CandidateStats


class FrontierPoint(CamelModel):
    """A measured size that is faster than every cheaper one."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    memory_mb: int
    cost: float = Field(description="USD per invocation, trimmed mean")
    duration_ms: float = Field(description="trimmed mean")
    p95_ms: float


class TradeOff(CamelModel):
    """The next faster frontier size beside the chosen one: what it would cost and what it would save in time."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    memory_mb: int
    extra_cost_percent: float = Field(description="its cost over the chosen size's, in percent")
    time_saved_ms: float = Field(description="trimmed mean duration saved per invocation")
    time_saved_percent: float
    p95_ms: float

    def describe(self, chosen: FrontierPoint) -> str:
        return (
            f"the next faster option, {self.memory_mb} MB, would cost {self.extra_cost_percent:.1f}% more "
            f"({usd(chosen.cost * (1 + self.extra_cost_percent / 100))} per invocation) and save "
            f"{self.time_saved_ms:,.1f} ms ({self.time_saved_percent:.0f}%) per invocation "
            f"(p95 {chosen.p95_ms:,.0f} -> {self.p95_ms:,.0f} ms)"
        )


def frontier(candidates: Sequence[CandidateStats], eligible: Sequence[int]) -> list[FrontierPoint]:
    """The eligible measured sizes faster than every cheaper one, cheapest first."""
    points = [_point(c) for c in candidates if c.memory_mb in eligible and c.cost and c.duration_ms]
    points.sort(key=lambda p: (p.cost, p.duration_ms, p.memory_mb))
    kept: list[FrontierPoint] = []
    for point in points:
        if not kept or point.duration_ms < kept[-1].duration_ms:
            kept.append(point)
    return kept


def next_faster(points: Sequence[FrontierPoint], chosen_memory_mb: int) -> TradeOff | None:
    """The cheapest frontier size faster than the chosen one; None when the chosen one is the fastest."""
    chosen = next((p for p in points if p.memory_mb == chosen_memory_mb), None)
    if chosen is None:
        return None
    faster = [p for p in points if p.duration_ms < chosen.duration_ms]
    if not faster:
        return None
    option = min(faster, key=lambda p: (p.cost, p.memory_mb))
    return TradeOff(
        memory_mb=option.memory_mb,
        extra_cost_percent=(option.cost / chosen.cost - 1) * 100,
        time_saved_ms=chosen.duration_ms - option.duration_ms,
        time_saved_percent=(1 - option.duration_ms / chosen.duration_ms) * 100,
        p95_ms=option.p95_ms,
    )


def slowdown_refusal(
    candidates: Sequence[CandidateStats], chosen_memory_mb: int, current_memory_mb: int, max_slowdown: float | None
) -> str | None:
    """Why auto-apply must not apply the choice under ``max_slowdown`` (chosen p95 over the current one's), with
    the figures; None when it may."""
    if max_slowdown is None or chosen_memory_mb == current_memory_mb:
        return None
    by_memory = {c.memory_mb: c for c in candidates}
    chosen, current = by_memory[chosen_memory_mb], by_memory.get(current_memory_mb)
    if current is None or current.duration_ms is None or current.cost is None:
        return (
            f"maxSlowdown {max_slowdown:g} is relative to the current {current_memory_mb} MB, which was not "
            "measured (keep includeCurrent on), so the slowdown is unknown"
        )
    assert chosen.duration_ms is not None, "a chosen size was measured"
    slowdown = chosen.duration_ms.p95 / current.duration_ms.p95
    if slowdown <= max_slowdown:
        return None
    saving = (1 - chosen.cost_estimate / current.cost_estimate) * 100
    return (
        f"{chosen_memory_mb} MB's p95 of {chosen.duration_ms.p95:,.0f} ms is {slowdown:.2f}x the current "
        f"{current_memory_mb} MB's {current.duration_ms.p95:,.0f} ms, beyond maxSlowdown {max_slowdown:g}, "
        f"to save {saving:.1f}% per invocation"
    )


def _point(candidate: CandidateStats) -> FrontierPoint:
    assert candidate.duration_ms is not None
    return FrontierPoint(
        memory_mb=candidate.memory_mb,
        cost=candidate.cost_estimate,
        duration_ms=candidate.duration_estimate,
        p95_ms=candidate.duration_ms.p95,
    )
