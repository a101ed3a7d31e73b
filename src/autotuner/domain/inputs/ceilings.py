"""The operator's ceilings on every run, which no caller can raise: its estimated cost (MaxRunBudgetUsd; a run's
``budgetUsd`` may only lower it), its target invocations (MaxRunInvocations), whether it may apply at all
(AllowAutoApply), whether it may upload a target's code again to measure another architecture
(AllowArchitectureSwitch), and how many Measure tasks it may run at once (MeasureReservedConcurrency, the Measure
function's reserved concurrency, which every run shares)."""

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.tuning_input import TuningInput


class RunCeilings(CamelModel):
    """None (or 0 for the reservation): no ceiling of that kind (the workflow's own tests; a deployment sets all)."""

    max_budget_usd: float | None = Field(default=None, gt=0)
    max_invocations: int | None = Field(default=None, ge=1)
    allow_auto_apply: bool = True
    allow_architecture_switch: bool = True
    measure_reserved_concurrency: int = Field(default=0, ge=0, description="0: Measure has no reservation")


class Budget(CamelModel):
    """The budget a run's estimate must fit, and what set it: the input's field or the stack's parameter."""

    amount_usd: float
    field: str

    @property
    def is_ceiling(self) -> bool:
        return self.field == "MaxRunBudgetUsd"


def within_ceilings(tuning: TuningInput, ceilings: RunCeilings) -> tuple[TuningInput, list[str]]:
    """The run the deployment allows of ``tuning``, and a warning for each thing it changed: a run that asked to
    apply only recommends when applying is switched off; a parallel run starts no more Measure tasks at once than
    the Measure function has reserved (more would be throttled, and could take concurrency from production)."""
    warnings: list[str] = []
    changes: dict[str, object] = {}
    if tuning.auto_optimize and not ceilings.allow_auto_apply:
        changes |= {"auto_optimize": False, "canary": None}
        warnings.append(
            "autoOptimize: this deployment never applies (its AllowAutoApply is false): the run recommends a "
            "configuration and changes nothing"
        )
    reserved = ceilings.measure_reserved_concurrency
    if tuning.parallel_invocation and reserved and tuning.max_concurrency > reserved:
        changes["max_concurrency"] = reserved
        warnings.append(
            f"maxConcurrency: {tuning.max_concurrency} is more than the {reserved} Measure tasks this deployment runs "
            f"at once (its MeasureReservedConcurrency); the run uses {reserved}"
        )
    return (tuning.model_copy(update=changes) if changes else tuning), warnings


def architecture_switch_problems(deployed: Architecture, asked: list[Architecture], ceilings: RunCeilings) -> list[str]:
    """Measuring an architecture other than the deployed one means uploading the function's code again for it,
    which a deployment that does not allow it cannot do (its roles lack lambda:UpdateFunctionCode)."""
    others = [a.value for a in asked if a is not deployed]
    if not others or ceilings.allow_architecture_switch:
        return []
    return [
        f"architectures: measuring {', '.join(others)} means uploading the function's own code again for it, which "
        f"this deployment may not do (its AllowArchitectureSwitch is false); deploy it with "
        f"AllowArchitectureSwitch=true, or leave architectures out to measure {deployed.value} only"
    ]


def run_budget(tuning: TuningInput, ceilings: RunCeilings) -> tuple[Budget | None, list[str]]:
    """The budget the run's estimate must fit (None: none) and a warning when the input asked for more than the
    deployment allows."""
    asked, ceiling = tuning.budget_usd, ceilings.max_budget_usd
    if ceiling is None:
        return (Budget(amount_usd=asked, field="budgetUsd") if asked is not None else None), []
    if asked is not None and asked <= ceiling:
        return Budget(amount_usd=asked, field="budgetUsd"), []
    warnings = []
    if asked is not None:
        warnings.append(
            f"budgetUsd: {usd(asked)} is above this deployment's MaxRunBudgetUsd of {usd(ceiling)}, which applies"
        )
    return Budget(amount_usd=ceiling, field="MaxRunBudgetUsd"), warnings


def over_budget_message(budget: Budget, estimate_usd: float, basis: str) -> str:
    """Why a run estimated at ``estimate_usd`` is refused, named by what set the budget."""
    if budget.is_ceiling:
        return (
            f"MaxRunBudgetUsd: the run is estimated at up to {usd(estimate_usd)}{basis}, above this deployment's "
            f"ceiling of {usd(budget.amount_usd)} per run (the stack parameter MaxRunBudgetUsd, which budgetUsd may "
            "only lower); lower num or powerValues"
        )
    return (
        f"budgetUsd: the run is estimated at up to {usd(estimate_usd)}{basis}, above the budget of "
        f"{usd(budget.amount_usd)}; lower num or powerValues, or raise budgetUsd"
    )


def invocation_problems(sizes: int, per_size: int, probes: int, ceilings: RunCeilings) -> list[str]:
    """Why a run that would invoke the target ``sizes`` x ``per_size`` times after ``probes`` probe invocations is
    refused (before any of them)."""
    planned = sizes * per_size + probes
    if ceilings.max_invocations is None or planned <= ceilings.max_invocations:
        return []
    return [
        f"MaxRunInvocations: the run would invoke the function up to {planned:,} times ({sizes} sizes x {per_size}, "
        f"and {probes} probe{'s' if probes != 1 else ''}), above this deployment's ceiling of "
        f"{ceilings.max_invocations:,} invocations per run (the stack parameter MaxRunInvocations); lower num "
        "(or maxInvocations) or powerValues"
    ]
