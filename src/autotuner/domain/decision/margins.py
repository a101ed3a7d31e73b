"""The margins a chosen size keeps, on by default: below the memory edge and below the timeout.

Memory (``minMemoryHeadroom``, 10%): a chosen size leaves at least that share of its memory free over the most
memory a call used at it or at any smaller size that worked (a size measured a few times has not seen the largest
payloads yet; a smaller one may have), and is at least that share above the largest size that ran out of memory.
Timeout (``maxTimeoutShare``, 80%): the slowest call measured at a chosen size (warm or cold, Duration without
INIT) stays under that share of the function's timeout. Both read what was measured, so a size they exclude is
excluded with the figures that exclude it, and the decision carries the figures behind the size it chose.
"""

import math
from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.decision.candidate import CandidateStats, Constraints, exclusion_reason
from autotuner.domain.decision.evidence import EvidenceFigures, EvidenceRule

LAMBDA_MAX_TIMEOUT_S = 900
UNSEEN_SPREAD = 0.1  # of the spread of memory used over sizes: what more calls are expected to find on top
_ROUNDING = 1e-9  # 700 MB x 1.1 is 770.0000000000001 in floating point; 770 MB is 10% above it


class MemoryFigures(CamelModel):
    """The memory margin at the chosen size."""

    used_mb: int = Field(description="the most memory a call used at the chosen size or a smaller size that worked")
    used_at_mb: int = Field(description="where that was measured")
    free_mb: int
    free_share: float = Field(description="of the chosen size, free over used_mb")
    out_of_memory_mb: int | None = Field(default=None, description="the largest size that ran out of memory")
    above_out_of_memory: float | None = Field(default=None, description="how far above it, as a share of it")


class TimeoutFigures(CamelModel):
    """The timeout margin at the chosen size."""

    timeout_ms: float
    slowest_ms: float = Field(description="the slowest call measured there, warm or cold, without INIT")
    share: float = Field(description="slowest_ms over timeout_ms")


class Margins(CamelModel):
    """The margins a run chose with, and the figures behind its choice."""

    min_memory_headroom: float
    max_timeout_share: float
    timeout_ms: float | None = Field(description="the function's timeout as Plan read it")
    min_calls: int = Field(description="calls auto-apply needs at the chosen size")
    min_warm_calls: int
    memory: MemoryFigures | None = None
    timeout: TimeoutFigures | None = None
    evidence: EvidenceFigures | None = None
    timeout_needed_s: int | None = Field(
        default=None,
        description="when the timeout margin left no size: the timeout that would keep the cheapest size it "
        "excluded under maxTimeoutShare",
    )


def exclusions(
    candidates: Sequence[CandidateStats],
    constraints: Constraints,
    *,
    timeout_ms: float | None,
    measured: Sequence[CandidateStats] | None = None,
) -> dict[int, str]:
    """Why each of ``candidates`` that cannot be chosen cannot: its failure, a constraint, or a margin (every
    margin that excludes it, by name). ``measured``: every size measured, whose memory use the memory margin
    reads (default: ``candidates``)."""
    reasons: dict[int, str] = {}
    context = candidates if measured is None else measured
    for candidate in candidates:
        own = exclusion_reason(candidate, constraints)
        if own is not None:
            reasons[candidate.memory_mb] = own
            continue
        found = [
            reason
            for reason in (
                memory_margin_reason(candidate, context, constraints.min_memory_headroom),
                timeout_margin_reason(candidate, constraints.max_timeout_share, timeout_ms),
            )
            if reason is not None
        ]
        if found:
            reasons[candidate.memory_mb] = "; ".join(found)
    return reasons


def memory_margin_reason(candidate: CandidateStats, measured: Sequence[CandidateStats], headroom: float) -> str | None:
    if headroom <= 0:
        return None
    problems: list[str] = []
    used = memory_used(measured, candidate.memory_mb)
    if used is not None and candidate.memory_mb < size_leaving_free(used[0], headroom):
        used_mb, at = used
        free = 1 - used_mb / candidate.memory_mb
        figures = (
            f"({used_mb} of {candidate.memory_mb} MB used)"
            if at == candidate.memory_mb
            else f"over the {used_mb} MB a call used at {at} MB"
        )
        problems.append(f"memory margin: {free:.1%} free {figures}, under the {headroom:.0%} minMemoryHeadroom")
    out = largest_out_of_memory(measured)
    if out is not None and candidate.memory_mb < size_above(out, headroom):
        if candidate.memory_mb <= out:
            problems.append(f"memory margin: {out} MB, a larger size, ran out of memory")
        else:
            above = candidate.memory_mb / out - 1
            problems.append(
                f"memory margin: {above:.1%} above {out} MB, which ran out of memory; at least {headroom:.0%} "
                f"({size_above(out, headroom)} MB) is needed"
            )
    return "; ".join(problems) or None


def timeout_margin_reason(candidate: CandidateStats, share: float, timeout_ms: float | None) -> str | None:
    slowest = candidate.slowest_call_ms
    if timeout_ms is None or timeout_ms <= 0 or slowest is None or slowest <= share * timeout_ms:
        return None
    return (
        f"timeout margin: its slowest call took {slowest:,.0f} ms, {slowest / timeout_ms:.0%} of the "
        f"{timeout_ms / 1000:g} s timeout (maxTimeoutShare {share:.0%})"
    )


def worked(measured: Sequence[CandidateStats]) -> list[CandidateStats]:
    """Sizes with a call measured and no failure, by memory."""
    return sorted((c for c in measured if c.failure_reason is None and c.calls > 0), key=lambda c: c.memory_mb)


def memory_used(measured: Sequence[CandidateStats], memory_mb: int) -> tuple[int, int] | None:
    """The most memory a call used at ``memory_mb`` or at a smaller size that worked, and where (the smallest such
    size); None when none did."""
    below = [c for c in worked(measured) if c.memory_mb <= memory_mb]
    if not below:
        return None
    most = max(below, key=lambda c: (c.max_memory_used_mb, -c.memory_mb))
    return most.max_memory_used_mb, most.memory_mb


def largest_out_of_memory(measured: Sequence[CandidateStats]) -> int | None:
    return max((c.memory_mb for c in measured if c.out_of_memory), default=None)


def size_leaving_free(used_mb: int, headroom: float) -> int:
    """The smallest size that leaves ``headroom`` of itself free over ``used_mb``."""
    return math.ceil(used_mb / (1 - headroom) - _ROUNDING)


def size_above(memory_mb: int, headroom: float) -> int:
    """The smallest size at least ``headroom`` above ``memory_mb``."""
    return math.ceil(memory_mb * (1 + headroom) - _ROUNDING)


def memory_edge_mb(measured: Sequence[CandidateStats], headroom: float) -> int | None:
    """The smallest size worth measuring under the memory margin: above the largest size that ran out of memory by
    the margin, with the margin free over the most memory a call is expected to use. What a call needs follows its
    payload, not the size it runs at, so every size that worked says what any size may need; and when sizes used
    different amounts, the most seen so far is not the most there is, so a tenth of that spread is added (the
    calls a choice needs would otherwise find a little more and exclude it). None with the margin off, or before
    any size worked."""
    working = worked(measured)
    if headroom <= 0 or not working:
        return None
    out = largest_out_of_memory(measured)
    roomy = [c.max_memory_used_mb for c in working if c.max_memory_used_mb < c.memory_mb * (1 - headroom)]
    spread = max(roomy) - min(roomy) if roomy else 0
    most = max(c.max_memory_used_mb for c in working) + math.ceil(UNSEEN_SPREAD * spread)
    used = size_leaving_free(most, headroom)
    return max(used, size_above(out, headroom)) if out is not None else used


def timeout_needed(
    candidates: Sequence[CandidateStats],
    constraints: Constraints,
    *,
    timeout_ms: float | None,
    measured: Sequence[CandidateStats] | None = None,
) -> tuple[CandidateStats, int] | None:
    """Of the sizes only the timeout margin excludes, the cheapest, and the whole seconds of timeout that would keep
    its slowest call under ``maxTimeoutShare``; None when the timeout margin excludes nothing else would not."""
    share = constraints.max_timeout_share
    context = candidates if measured is None else measured
    held_back = [
        c
        for c in candidates
        if exclusion_reason(c, constraints) is None
        and memory_margin_reason(c, context, constraints.min_memory_headroom) is None
        and timeout_margin_reason(c, share, timeout_ms) is not None
    ]
    if not held_back:
        return None
    cheapest = min(held_back, key=lambda c: (c.cost_estimate, c.memory_mb))
    slowest = cheapest.slowest_call_ms or 0.0
    return cheapest, math.ceil(slowest / share / 1000 - _ROUNDING)


def timeout_advice(found: tuple[CandidateStats, int] | None, share: float) -> str:
    """``timeout_needed``'s answer in words, or nothing."""
    if found is None:
        return ""
    size, seconds = found
    slowest = f"its slowest call took {size.slowest_call_ms or 0:,.0f} ms"
    if seconds > LAMBDA_MAX_TIMEOUT_S:
        return (
            f" No timeout Lambda allows ({LAMBDA_MAX_TIMEOUT_S} s at most) would keep {size.memory_mb} MB, the "
            f"cheapest size the timeout margin excluded, under {share:.0%} of it ({slowest})."
        )
    return (
        f" A timeout of {seconds} s would make {size.memory_mb} MB, the cheapest size the timeout margin excluded, "
        f"safe: {slowest}, under {share:.0%} of {seconds} s."
    )


def margin_figures(
    chosen: CandidateStats | None,
    measured: Sequence[CandidateStats],
    constraints: Constraints,
    *,
    timeout_ms: float | None,
    evidence: EvidenceRule,
    timeout_needed_s: int | None = None,
) -> Margins:
    """The margins used, and the figures behind ``chosen``."""
    margins = Margins(
        min_memory_headroom=constraints.min_memory_headroom,
        max_timeout_share=constraints.max_timeout_share,
        timeout_ms=timeout_ms,
        min_calls=evidence.min_calls,
        min_warm_calls=evidence.min_warm_calls,
        timeout_needed_s=timeout_needed_s,
    )
    if chosen is None:
        return margins
    return margins.model_copy(
        update={
            "memory": _memory_figures(chosen, measured),
            "timeout": _timeout_figures(chosen, timeout_ms),
            "evidence": evidence.figures(chosen),
        }
    )


def _memory_figures(chosen: CandidateStats, measured: Sequence[CandidateStats]) -> MemoryFigures | None:
    used = memory_used(measured, chosen.memory_mb)
    if used is None:
        return None
    used_mb, at = used
    out = largest_out_of_memory(measured)
    return MemoryFigures(
        used_mb=used_mb,
        used_at_mb=at,
        free_mb=chosen.memory_mb - used_mb,
        free_share=1 - used_mb / chosen.memory_mb,
        out_of_memory_mb=out,
        above_out_of_memory=chosen.memory_mb / out - 1 if out else None,
    )


def _timeout_figures(chosen: CandidateStats, timeout_ms: float | None) -> TimeoutFigures | None:
    slowest = chosen.slowest_call_ms
    if timeout_ms is None or timeout_ms <= 0 or slowest is None:
        return None
    return TimeoutFigures(timeout_ms=timeout_ms, slowest_ms=slowest, share=slowest / timeout_ms)


def joined_refusal(*refusals: str | None) -> str | None:
    return "; ".join(r for r in refusals if r) or None
