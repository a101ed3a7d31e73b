"""Timeout advice from the tail: the slowest call and the p99 measured at the chosen size (and the slowest call
outside the run, when there is a baseline), times a margin, and never so low that the slowest call would pass the
timeout margin (``maxTimeoutShare``). A timeout far above that is a cost only when a call hangs, but then the
whole of it is billed; one under it times out the slow calls.

API Gateway ends its integration after 29 seconds (its default maximum): a function behind it with a longer
timeout keeps running, billed, after the client got a 504.
"""

import math

from pydantic import Field

from autotuner.domain.advice.model import TimeoutAdvice
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture, PriceSheet, invocation_cost
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.margins import LAMBDA_MAX_TIMEOUT_S

TAIL_MARGIN = 2.0  # the recommended timeout is at least twice the tail
FAR_ABOVE = 3.0  # a timeout this many times the recommended one (and 10 s more) is "far above" it
FAR_ABOVE_SECONDS = 10
API_GATEWAY_LIMIT_S = 29
API_GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


class DurationBaseline(CamelModel):
    """The slowest call seen outside the run (production): a seam for any baseline, e.g. CloudWatch's Duration
    Maximum, or the production traffic a run measures."""

    slowest_ms: float = Field(gt=0)
    source: str = Field(description="where it comes from, in words")
    scale: float | None = Field(
        default=None, gt=0, description="chosen size's duration over the baseline's size's (None: not scaled)"
    )

    @property
    def scaled_ms(self) -> float:
        return self.slowest_ms * (self.scale or 1.0)


def recommended_timeout_s(tail_ms: float, max_timeout_share: float, margin: float = TAIL_MARGIN) -> int:
    """Whole seconds: the tail times the margin, and the tail under ``max_timeout_share`` of it; at least 1 s."""
    needed_ms = max(tail_ms * margin, tail_ms / max_timeout_share)
    return max(1, math.ceil(needed_ms / 1000 - 1e-9))


def timeout_advice(
    chosen: CandidateStats,
    *,
    current_timeout_s: int,
    max_timeout_share: float,
    prices: PriceSheet,
    architecture: Architecture,
    baseline: DurationBaseline | None = None,
    behind_api_gateway: bool | None = None,
) -> TimeoutAdvice | None:
    """What timeout the chosen size wants; None when it has no successful call to read the tail from."""
    slowest = chosen.slowest_call_ms
    if slowest is None:
        return None
    p99 = chosen.duration_ms.p99 if chosen.duration_ms is not None else None
    tail, basis = _tail(slowest, p99, baseline)
    wanted = recommended_timeout_s(tail, max_timeout_share)
    recommended = min(wanted, LAMBDA_MAX_TIMEOUT_S)
    hung_now, hung_then = (
        invocation_cost(chosen.memory_mb, seconds * 1000, prices, architecture)
        for seconds in (current_timeout_s, recommended)
    )
    sentences = [f"{basis}; {recommended} s is {_rule(max_timeout_share)}"]
    if wanted > LAMBDA_MAX_TIMEOUT_S:
        sentences.append(f"no timeout Lambda allows ({LAMBDA_MAX_TIMEOUT_S} s) keeps that margin")
    change = True
    if current_timeout_s < recommended:
        sentences.append(f"the current {current_timeout_s} s leaves the slow calls too little room: raise it")
    elif current_timeout_s >= FAR_ABOVE * recommended and current_timeout_s - recommended >= FAR_ABOVE_SECONDS:
        sentences.append(
            f"the current {current_timeout_s} s is {current_timeout_s / recommended:.0f} times that, and a hung call "
            f"is billed until the timeout: {usd(hung_now)} at {current_timeout_s} s against {usd(hung_then)} at "
            f"{recommended} s ({chosen.memory_mb:,} MB)"
        )
    else:
        change = False
        sentences.append(f"the current {current_timeout_s} s is within that: keep it")
    sentences += _api_gateway(behind_api_gateway, current_timeout_s, recommended)
    return TimeoutAdvice(
        setting=f"Timeout: {recommended} s" if change else f"Timeout: keep {current_timeout_s} s",
        change=change,
        why=_sentences(sentences),
        monthly_usd=None,
        monthly_basis=(
            f"a timeout costs nothing until a call hangs; each hung call costs {usd(hung_now)} at "
            f"{current_timeout_s} s and {usd(hung_then)} at {recommended} s"
        ),
        current_s=current_timeout_s,
        recommended_s=recommended,
        slowest_ms=slowest,
        p99_ms=p99,
        baseline_ms=baseline.scaled_ms if baseline is not None else None,
        baseline_source=baseline.source if baseline is not None else None,
        margin=TAIL_MARGIN,
        max_timeout_share=max_timeout_share,
        behind_api_gateway=behind_api_gateway,
        hung_call_usd_current=hung_now,
        hung_call_usd_recommended=hung_then,
    )


def _tail(slowest: float, p99: float | None, baseline: DurationBaseline | None) -> tuple[float, str]:
    parts = [f"the slowest call measured at this size took {slowest:,.0f} ms"]
    tail = slowest
    if p99 is not None:
        parts.append(f"its p99 {p99:,.0f} ms")
        tail = max(tail, p99)
    if baseline is not None:
        scaled = " (scaled to this size)" if baseline.scale is not None else ""
        parts.append(f"the slowest outside the run {baseline.scaled_ms:,.0f} ms{scaled}, from {baseline.source}")
        tail = max(tail, baseline.scaled_ms)
    return tail, ", ".join(parts)


def _rule(share: float) -> str:
    return f"at least {TAIL_MARGIN:g} times the slowest of these, and keeps it under {share:.0%} of the timeout"


def _api_gateway(behind: bool | None, current_s: int, recommended_s: int) -> list[str]:
    if not behind:
        return []
    if recommended_s > API_GATEWAY_LIMIT_S:
        return [
            f"API Gateway invokes this function and ends its integration after {API_GATEWAY_LIMIT_S} s: calls this "
            "slow need an asynchronous design (or a raised integration timeout), whatever the function's timeout"
        ]
    if current_s > API_GATEWAY_LIMIT_S:
        return [
            f"API Gateway invokes this function and ends its integration after {API_GATEWAY_LIMIT_S} s: past that "
            f"the client gets a 504 while the function runs on, billed, up to its {current_s} s"
        ]
    return [f"API Gateway invokes it: {recommended_s} s is within its {API_GATEWAY_LIMIT_S} s integration timeout"]


def _sentences(parts: list[str]) -> str:
    return ". ".join(part[0].upper() + part[1:] for part in parts) + "."


def invoked_by_api_gateway(principals: list[str] | None) -> bool | None:
    """Whether a function's resource policy lets API Gateway invoke it (None: the policy could not be read)."""
    if principals is None:
        return None
    return API_GATEWAY_PRINCIPAL in principals
