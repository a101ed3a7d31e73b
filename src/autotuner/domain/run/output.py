"""The tuning workflow's output: a superset of aws-lambda-power-tuning's, with the decision, the candidates, the
savings, what was applied and how the answer was reached."""

import base64
import struct
from collections.abc import Sequence
from enum import StrEnum

from pydantic import Field

from autotuner.domain.advice.model import Advice
from autotuner.domain.automation.canary import CanaryCheck, CanaryWindow
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture, per_million
from autotuner.domain.costs.run_cost import RunCost
from autotuner.domain.decision.architecture import ArchitectureChoice
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.cost_interval import expected_cost_interval
from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.inputs.tuning_input import SearchMode, Trigger, TuningInput
from autotuner.domain.measuring.statistics import ConfidenceInterval
from autotuner.domain.search.cost_curve import CostCurve, CurvePricing
from autotuner.domain.traffic.baseline import ProductionFigures
from autotuner.domain.traffic.trial import Trial
from autotuner.domain.traffic.window import LogReads


class StateMachineCost(CamelModel):
    """aws-lambda-power-tuning's ``stateMachine`` block, with the rest of what the run cost."""

    execution_cost: float = Field(description="state transitions, USD")
    lambda_cost: float = Field(description="invocations of the target, USD")
    visualization: str
    tuner_lambda_cost: float = Field(default=0.0, description="the tuner's own Lambdas, USD")
    total_cost: float = 0.0
    invocations: int = 0


class ReferenceStat(CamelModel):
    """One entry of aws-lambda-power-tuning's ``stats`` list."""

    value: int
    average_price: float
    average_duration: float
    total_cost: float


class MonthlySaving(CamelModel):
    """The saving per invocation times the function's real invocation count of the last 30 days."""

    invocations_last_30_days: int | None = Field(
        description="CloudWatch AWS/Lambda Invocations, every version and alias; null when it has no datapoints"
    )
    usd: float | None = Field(description="per month, at that count; null (unknown, not $0) without one")


class Savings(CamelModel):
    current_memory_mb: int
    current_cost_per_million: float
    chosen_cost_per_million: float
    savings_per_million: float
    savings_percent: float
    current_duration_ms: float
    chosen_duration_ms: float
    monthly: MonthlySaving | None = Field(default=None, description="set by Notify from CloudWatch")


LATEST = "$LATEST"


class AppliedChange(CamelModel):
    target: str = Field(description="'$LATEST' or the alias that now points at the chosen configuration")
    memory_mb: int
    previous_memory_mb: int
    architecture: Architecture | None = Field(default=None, description="set when the choice switched it")
    previous_architecture: Architecture | None = None
    timeout_s: int | None = Field(default=None, description="set when the run applied the recommended timeout")
    previous_timeout_s: int | None = None
    version: str | None = None
    elapsed_ms: float = 0.0
    gb_seconds: float = Field(
        default=0.0, description="what Lambda bills the step: its wall time at its function's memory"
    )
    canary: CanaryWindow | None = Field(default=None, description="the version took a share of the traffic first")


class CurvePoint(CamelModel):
    """What the cost curve predicts at one size."""

    memory_mb: int
    cost: float = Field(description="predicted USD per invocation (the mean duration, billed)")
    duration_ms: float = Field(description="predicted mean duration")
    low: float = Field(description="the cost's 95% band, lower end")
    high: float = Field(description="the cost's 95% band, upper end")


class CurveSummary(CamelModel):
    """The adaptive search's cost curve as its last round fitted it (duration against memory on Lambda's CPU model,
    priced over every MB of the range): whether it explains the measurements, where it puts the cheapest size, and
    what it predicts at enough sizes to draw it."""

    fits: bool = Field(description="whether it explains the measured sizes; a curve that does not is not used")
    check: str = Field(description="the fit check, in words")
    fitted_sizes: list[int] = Field(description="the measured sizes it was fitted to")
    left_out_mb: int | None = Field(default=None, description="a measured size the fit left out")
    left_out: str | None = Field(default=None, description="that size, and why it was left out")
    lowest_mb: int = Field(description="the range it prices: the sizes the search may choose from")
    highest_mb: int
    optimum_mb: int = Field(description="its cheapest size over every MB of the range")
    optimum_cost: float = Field(description="predicted USD per invocation there")
    optimum_duration_ms: float
    optimum_band: ConfidenceInterval = Field(description="95% bootstrap band of the optimum's cost")
    resamples: int = Field(description="the resampled fits the bands rest on")
    points: list[CurvePoint] = Field(
        description="in memory order: sizes log-spaced over the range, every size measured in it, and the optimum"
    )


class SearchSummary(CamelModel):
    """How the answer was reached: the search, its rounds and what each one did."""

    mode: SearchMode
    rounds: int
    invocations: int
    log: list[str] = Field(default_factory=list)
    curve: CurveSummary | None = Field(
        default=None, description="the cost curve of an adaptive run with the cost strategy, once four sizes worked"
    )


class OtherArchitecture(CamelModel):
    """What a run measured on an architecture other than the one its main result is for."""

    architecture: Architecture
    power: int | None = Field(description="the size its own search chose")
    cost: float | None = None
    duration: float | None = None
    reason: str = Field(description="its own decision's reason")
    candidates: list[CandidateStats] = Field(default_factory=list)


class TrafficSummary(CamelModel):
    """A traffic run: every figure of the output is production's own calls, none the tuner's."""

    statement: str = Field(description="what the figures are, in words")
    alias: str
    version: str = Field(description="the version the alias ran when the run began")
    weight: float = Field(description="the share of the alias's calls each candidate took")
    baseline: ProductionFigures = Field(description="the current version's calls before the run")
    trials: list[Trial] = Field(description="each candidate's window, its calls and the paired comparison")
    log_reads: LogReads = Field(description="every FilterLogEvents request the run made, and what they returned")
    log_reads_cost: str = Field(description="what those requests cost, in words")


def traffic_summary(
    *, alias: str, version: str, weight: float, baseline: ProductionFigures, trials: Sequence[Trial], reads: LogReads
) -> TrafficSummary:
    """The traffic part of the output: the baseline, the windows, and what reading them cost."""
    calls = sum(t.candidate.calls + t.current.calls for t in trials)
    return TrafficSummary(
        statement=(
            f"Measured on production traffic: the tuner invoked nothing; each candidate took {weight:.0%} of alias "
            f"{alias}'s calls and was compared with version {version} over the same moments ({calls:,} production "
            f"calls read in {len(trials)} windows, after a baseline of {baseline.calls:,})."
        ),
        alias=alias,
        version=version,
        weight=weight,
        baseline=baseline,
        trials=list(trials),
        log_reads=reads,
        log_reads_cost=(
            f"{reads.requests:,} FilterLogEvents requests returned {reads.events:,} events "
            f"({reads.bytes / 1e6:.1f} MB): CloudWatch's price list charges nothing per request or per GB for them "
            "(Logs Insights queries are billed by the GB scanned; this API is not); the time they took is in the "
            "tuner's Lambdas' cost"
        ),
    )


class Outcome(StrEnum):
    APPLIED = "applied"
    RECOMMENDED = "recommended"
    DRY_RUN = "dry-run"
    NO_CANDIDATE = "no-candidate"
    ROLLED_BACK = "rolled-back"


class TuningOutput(CamelModel):
    """The state machine's output."""

    # aws-lambda-power-tuning's output
    power: int | None
    cost: float | None = Field(description="average cost per invocation of the chosen size, USD")
    duration: float | None = Field(description="average duration of the chosen size, ms")
    state_machine: StateMachineCost
    stats: list[ReferenceStat]

    # ours
    function_arn: str
    outcome: Outcome
    decision: Decision
    candidates: list[CandidateStats]
    savings: Savings | None = None
    applied: AppliedChange | None = None
    confidence: str = ""
    search: SearchSummary | None = None
    trigger: Trigger = Field(default_factory=Trigger)
    canary: CanaryCheck | None = Field(default=None, description="the canary's verdict and the figures behind it")
    profile_stored: bool = Field(
        default=False, description="this run's input was stored as the function's profile (saveProfile)"
    )
    traffic: TrafficSummary | None = Field(default=None, description="a traffic run's baseline and windows")
    warnings: list[str] = Field(default_factory=list)
    architecture: Architecture | None = Field(
        default=None, description="the architecture power is for, in a run measuring more than one"
    )
    architecture_choice: ArchitectureChoice | None = None
    other_architectures: list[OtherArchitecture] = Field(default_factory=list)
    advice: Advice | None = Field(default=None, description="architecture, timeout and concurrency")
    verdict: str = Field(
        default="",
        description="the line the summary, the report and the notification open with: what was done, the saving per "
        "month and the confidence in one word with its figure (set by Notify, once the monthly saving is known)",
    )


# ---- building the output ----


def visualization_url(base_url: str, candidates: Sequence[CandidateStats], region: str) -> str:
    """The link aws-lambda-power-tuning's visualization page reads: sizes (Int16), durations and costs
    (Float32), little-endian, base64, joined by ';' after '#'."""
    measured = sorted((c for c in candidates if c.duration_ms and c.cost), key=lambda c: c.memory_mb)
    sizes = [c.memory_mb for c in measured]
    durations = [c.duration_estimate for c in measured]
    costs = [c.cost_estimate for c in measured]

    def encode(fmt: str, values: Sequence[float]) -> str:
        return base64.b64encode(struct.pack(f"<{len(values)}{fmt}", *values)).decode()

    query = "?currency=CNY" if region.startswith("cn-") else ""
    return f"{base_url}{query}#{encode('h', sizes)};{encode('f', durations)};{encode('f', costs)}"


def savings_against(
    current_memory_mb: int, chosen: CandidateStats, candidates: Sequence[CandidateStats]
) -> Savings | None:
    """What the choice saves per million invocations against the function's current memory, if measured."""
    current = next((c for c in candidates if c.memory_mb == current_memory_mb and c.cost), None)
    if current is None or chosen.cost is None or current.duration_ms is None or chosen.duration_ms is None:
        return None
    current_cost, chosen_cost = per_million(current.cost_estimate), per_million(chosen.cost_estimate)
    return Savings(
        current_memory_mb=current_memory_mb,
        current_cost_per_million=current_cost,
        chosen_cost_per_million=chosen_cost,
        savings_per_million=current_cost - chosen_cost,
        savings_percent=(current_cost - chosen_cost) / current_cost * 100 if current_cost else 0.0,
        current_duration_ms=current.duration_estimate,
        chosen_duration_ms=chosen.duration_estimate,
    )


def confidence_statement(decision: Decision, candidates: Sequence[CandidateStats]) -> str:
    """How sure the decision is, in words backed by the test on the differences and the chosen size's interval."""
    if decision.chosen_memory_mb is None:
        return "no decision"
    chosen = next(c for c in candidates if c.memory_mb == decision.chosen_memory_mb)
    if decision.distinction is not None:
        sentences = [decision.distinction.statement()]
    elif rule_for(decision.strategy).minimises is None:
        sentences = [f"No test of the differences: the {decision.strategy} strategy ranks a weighted score"]
    else:
        sentences = [f"Too few invocations to compare {chosen.memory_mb} MB with the other sizes"]
    interval = expected_cost_interval(chosen, candidates)
    if interval is not None and chosen.cost is not None:
        sentences.append(
            f"its mean cost per invocation is known to ±{interval.half_width / chosen.cost.mean:.1%} "
            "(95% t interval on the mean, simultaneous over the sizes measured and with their spread pooled, "
            f"{usd(interval.low)}-{usd(interval.high)})"
        )
    return "; ".join(sentences) + "."


def curve_summary(curve: CostCurve, pricing: CurvePricing) -> CurveSummary | None:
    """What the output says of the cost curve: its check, its optimum, and its predictions at the sizes its band was
    kept at. None for a curve fitted without a band (by a version before the band was kept)."""
    band = curve.band
    if band is None:
        return None
    points = [
        CurvePoint(memory_mb=m, cost=curve.cost(m, pricing), duration_ms=curve.terms.duration_ms(m), low=low, high=high)
        for m, low, high in zip(band.memory_mb, band.low, band.high, strict=True)
    ]
    return CurveSummary(
        fits=curve.fits,
        check=curve.check.describe(),
        fitted_sizes=list(curve.sizes),
        left_out_mb=curve.check.left_out_mb,
        left_out=curve.check.left_out,
        lowest_mb=curve.lowest_mb,
        highest_mb=curve.highest_mb,
        optimum_mb=curve.optimum_mb,
        optimum_cost=curve.optimum_cost,
        optimum_duration_ms=curve.optimum_duration_ms,
        optimum_band=curve.optimum_band,
        resamples=curve.resamples,
        points=points,
    )


def build_output(
    tuning: TuningInput,
    candidates: Sequence[CandidateStats],
    decision: Decision,
    *,
    current_memory_mb: int,
    run_cost: RunCost,
    visualization_base_url: str,
    region: str,
    applied: AppliedChange | None = None,
    trigger: Trigger | None = None,
    warnings: Sequence[str] = (),
    search: SearchSummary | None = None,
    baseline: Sequence[CandidateStats] | None = None,
) -> TuningOutput:
    """``baseline``: the candidates of the architecture the function runs on, when ``candidates`` are another's
    (the savings are against the function as it is)."""
    chosen = next((c for c in candidates if c.memory_mb == decision.chosen_memory_mb), None)
    if chosen is None:
        outcome = Outcome.NO_CANDIDATE
    elif tuning.dry_run:
        outcome = Outcome.DRY_RUN
    else:
        outcome = Outcome.APPLIED if applied else Outcome.RECOMMENDED
    measured = [c for c in candidates if c.cost is not None and c.duration_ms is not None]
    return TuningOutput(
        power=chosen.memory_mb if chosen else None,
        cost=chosen.cost_estimate if chosen else None,
        duration=chosen.duration_estimate if chosen else None,
        state_machine=StateMachineCost(
            execution_cost=run_cost.transitions_cost,
            lambda_cost=run_cost.target_cost,
            visualization=visualization_url(visualization_base_url, candidates, region),
            tuner_lambda_cost=run_cost.tuner_lambda_cost,
            total_cost=run_cost.total,
            invocations=run_cost.target_invocations,
        ),
        stats=[
            ReferenceStat(
                value=c.memory_mb,
                average_price=c.cost_estimate,
                average_duration=c.duration_estimate,
                total_cost=c.total_cost,
            )
            for c in sorted(measured, key=lambda c: c.memory_mb)
        ],
        function_arn=tuning.lambda_arn,
        outcome=outcome,
        decision=decision,
        candidates=sorted(candidates, key=lambda c: c.memory_mb),
        savings=savings_against(current_memory_mb, chosen, candidates if baseline is None else baseline)
        if chosen
        else None,
        applied=applied,
        confidence=confidence_statement(decision, candidates),
        search=search,
        trigger=trigger or tuning.trigger,
        warnings=list(warnings),
    )
