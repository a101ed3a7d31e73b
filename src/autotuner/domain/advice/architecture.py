"""Architecture advice: the choice over (size, architecture) in words, with what a switch saves a month, and the
architectures that could not be measured, each with why."""

from collections.abc import Sequence

from autotuner.domain.advice.model import ArchitectureAdvice
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture, per_million
from autotuner.domain.decision.architecture import ArchitectureChoice
from autotuner.domain.inputs.portability import ArchitectureRefusal


def architecture_advice(
    choice: ArchitectureChoice | None,
    *,
    current: Architecture,
    refused: Sequence[ArchitectureRefusal] = (),
    applied: bool = False,
    monthly_invocations: int | None = None,
) -> ArchitectureAdvice | None:
    """None for a run that measured one architecture and was asked for no other."""
    if choice is None:
        if not refused:
            return None
        reasons = "; ".join(refusal.describe() for refusal in refused)
        return ArchitectureAdvice(
            setting=f"Architectures: keep [{current.value}]",
            change=False,
            why=f"The function cannot run on the other architecture as it is: {reasons}.",
            monthly_usd=None,
            monthly_basis="nothing was measured on the other architecture",
            current=current,
            recommended=current,
            refused=list(refused),
        )
    chosen = choice.lane(choice.chosen)
    saving = choice.saving_per_invocation
    monthly, basis = _monthly(saving if choice.switches else 0.0, monthly_invocations)
    why = choice.reason
    if choice.switches:
        why += " Applied." if applied else " Set applyArchitecture to let a run apply it."
    else:
        why += _others(choice)
    if refused:
        why += " Not measured: " + "; ".join(refusal.describe() for refusal in refused) + "."
    return ArchitectureAdvice(
        setting=(
            f"Architectures: [{choice.chosen.value}] at {chosen.memory_mb:,} MB"
            if choice.switches and chosen.memory_mb is not None
            else f"Architectures: keep [{current.value}]"
        ),
        change=choice.switches,
        why=why,
        monthly_usd=monthly,
        monthly_basis=basis,
        applied=applied and choice.switches,
        current=current,
        recommended=choice.chosen,
        memory_mb=chosen.memory_mb,
        saving_per_million=per_million(saving) if saving is not None else None,
        saving_share=choice.saving_share,
        refused=list(refused),
    )


def _monthly(saving: float | None, invocations: int | None) -> tuple[float | None, str]:
    if saving is None:
        return None, "the costs of the two choices could not be compared"
    if invocations is None:
        return None, (
            f"{usd(per_million(saving))} per million invocations; CloudWatch has no Invocations of the function in the "
            "last 30 days to multiply it by"
        )
    return (
        saving * invocations,
        f"{usd(per_million(saving))} per million at the {invocations:,} invocations of the last 30 days",
    )


def _others(choice: ArchitectureChoice) -> str:
    home = choice.lane(choice.deployed)
    differences = [
        f" {lane.architecture.value} would {'save' if home.cost > lane.cost else 'cost'} "
        f"{usd(abs(per_million(home.cost - lane.cost)))} per million invocations."
        for lane in choice.lanes
        if lane.architecture is not choice.deployed and lane.cost is not None and home.cost is not None
    ]
    return "".join(differences)
