"""The whole advice of a run, in one place: what Notify adds to a run's output and what ``autotuner advise``
prints from a function's last run and its metrics now (each of them reads what it needs; this only judges)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from autotuner.domain.advice.architecture import architecture_advice
from autotuner.domain.advice.concurrency import TRAFFIC_DAYS, AccountConcurrency, Traffic, concurrency_advice
from autotuner.domain.advice.model import Advice, TimeoutAdvice
from autotuner.domain.costs.pricing import Architecture, PriceSheet
from autotuner.domain.decision.architecture import ArchitectureChoice
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.inputs.portability import ArchitectureRefusal


@dataclass(frozen=True)
class Surroundings:
    """What the advice reads of the function beyond the run's measurements (None: not read)."""

    runtime: str | None = None
    package_type: str = "Zip"
    reserved_concurrency: int | None = None
    account: AccountConcurrency | None = None
    traffic: Traffic | None = None
    monthly_invocations: int | None = None
    notes: list[str] = field(default_factory=list)


def advise(
    chosen: CandidateStats | None,
    *,
    deployed: Architecture,
    architecture: Architecture,
    prices: PriceSheet,
    surroundings: Surroundings,
    choice: ArchitectureChoice | None = None,
    refused: Sequence[ArchitectureRefusal] = (),
    timeout: TimeoutAdvice | None = None,
    applied_architecture: bool = False,
    applied_timeout: bool = False,
) -> Advice:
    """``chosen``: the size the run chose, on ``architecture``; ``timeout``: what Analyze worked out for it."""
    notes = list(surroundings.notes)
    arch = architecture_advice(
        choice,
        current=deployed,
        refused=refused,
        applied=applied_architecture,
        monthly_invocations=surroundings.monthly_invocations,
    )
    concurrency = None
    if chosen is not None and chosen.duration_ms is not None:
        concurrency = concurrency_advice(
            surroundings.traffic,
            memory_mb=chosen.memory_mb,
            duration_ms=chosen.duration_estimate,
            init_ms=chosen.mean_init_duration_ms,
            prices=prices,
            architecture=architecture,
            runtime=surroundings.runtime,
            package_type=surroundings.package_type,
            account=surroundings.account,
            reserved=surroundings.reserved_concurrency,
        )
        if concurrency is None:
            notes.append(
                f"concurrency: CloudWatch has no Invocations of the function in the last {TRAFFIC_DAYS} days (Lambda "
                "publishes them only when it is invoked, in its own account): no traffic to advise on"
            )
    else:
        notes.append("no size was chosen: no timeout or concurrency advice")
    if timeout is not None and applied_timeout:
        timeout = timeout.model_copy(update={"applied": True})
    return Advice(architecture=arch, timeout=timeout, concurrency=concurrency, notes=notes)
