"""What each round measures: the whole sweep at once, or the adaptive search's rounds (domain.search.adaptive), turned
into the aliases to prepare, the aliases to retire and the batches of invocations, grouped into Measure tasks."""

from collections.abc import Sequence

from pydantic import BaseModel

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.inputs.tuning_input import SearchMode, TuningInput
from autotuner.domain.run.documents import AliasSpec, Analysis, Plan, Round
from autotuner.domain.run.naming import alias_name
from autotuner.domain.search.adaptive import first_round, next_round
from autotuner.domain.search.batching import Batch, plan_batches
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.settings import AdaptiveSettings


class NextRound(BaseModel):
    round: Round | None
    reason: str
    retired_sizes: list[int]


def adaptive_settings(tuning: TuningInput, current_memory_mb: int, preflight_invocations: int) -> AdaptiveSettings:
    return AdaptiveSettings.for_tuning(
        tuning, current_memory_mb=current_memory_mb, preflight_invocations=preflight_invocations
    )


def settings_for(plan: Plan) -> AdaptiveSettings:
    """The adaptive search's settings for a planned run: with the function's timeout and the payload schedule, for
    the margins and the evidence a choice needs."""
    return AdaptiveSettings.for_tuning(
        plan.tuning,
        current_memory_mb=plan.original.memory_mb,
        preflight_invocations=plan.preflight_invocations,
        timeout_s=plan.original.timeout_s,
        payload_schedule=plan.measure.payload_schedule,
    )


def first(
    tuning: TuningInput, current_memory_mb: int, *, run_id: str, per_batch: int, preflight_invocations: int
) -> tuple[Round, str]:
    """Round 1: every size ``num`` times (sweep), or the adaptive search's coarse pass (Plan's probe, made
    before it, counts toward the invocation cap)."""
    if tuning.search is SearchMode.ADAPTIVE:
        opening = first_round(adaptive_settings(tuning, current_memory_mb, preflight_invocations))
        additions, reason = opening.add, opening.reason
    else:
        sizes = set(tuning.resolved_power_values)
        if tuning.include_current and not tuning.dry_run:
            sizes.add(current_memory_mb)
        additions = dict.fromkeys(sorted(sizes), tuning.num)
        reason = f"Sweep: {len(sizes)} sizes, {tuning.num} invocations each."
    batches = _batches(additions, {}, run_id=run_id, per_batch=per_batch, only_cold_starts=tuning.only_cold_starts)
    prepare = _new_aliases(batches, set(), tuning.only_cold_starts)
    round_ = Round.of(
        batches, max_concurrency=tuning.max_concurrency, parallel=tuning.parallel_invocation, prepare=prepare
    )
    return round_, reason


def following(
    plan: Plan,
    analysis: Analysis,
    candidates: Sequence[CandidateStats],
    spent_usd: float,
    curve: CostCurve | None = None,
) -> NextRound:
    """After a round: the adaptive search's next round, or None when the search (or the sweep) is complete."""
    tuning = plan.tuning
    if tuning.search is not SearchMode.ADAPTIVE:
        return NextRound(round=None, reason="", retired_sizes=[])
    step = next_round(
        settings_for(plan),
        candidates,
        rounds_done=analysis.rounds,
        invocations_done=analysis.invocations,
        spent_usd=spent_usd,
        retired=analysis.retired_sizes,
        strategy=tuning.strategy,
        balanced_weight=tuning.balanced_weight,
        constraints=tuning.constraints,
        curve=curve,
        chosen_mb=analysis.decision.chosen_memory_mb if analysis.decision is not None else None,
    )
    revisited = set(step.add) & set(analysis.retired_sizes)
    if revisited:  # their aliases are gone: measuring them again would invoke nothing, or something else
        raise ValueError(f"the search planned retired sizes again: {sorted(revisited)}")
    retire = [s for s in step.retire if s not in analysis.retired_sizes]
    if step.complete or not step.add:
        return NextRound(round=None, reason=step.reason, retired_sizes=retire)
    done = analysis.invocations_by_size()
    batches = _batches(
        step.add, done, run_id=plan.run_id, per_batch=plan.per_batch, only_cold_starts=tuning.only_cold_starts
    )
    round_ = Round.of(
        batches,
        max_concurrency=tuning.max_concurrency,
        parallel=tuning.parallel_invocation,
        number=analysis.rounds + 1,
        prepare=_new_aliases(batches, set(done), tuning.only_cold_starts),
        retire=[alias_name(plan.run_id, size) for size in retire if size in done],
    )
    return NextRound(round=round_, reason=step.reason, retired_sizes=retire)


def _batches(
    additions: dict[int, int], done: dict[int, int], *, run_id: str, per_batch: int, only_cold_starts: bool
) -> list[Batch]:
    """Batches for ``additions`` (memory -> invocations); numbering continues after what each size has done, so
    a weighted payload schedule goes on where it stopped."""
    batches: list[Batch] = []
    for memory, count in sorted(additions.items()):
        batches += plan_batches(
            [memory],
            count,
            run_id=run_id,
            per_batch=per_batch,
            only_cold_starts=only_cold_starts,
            first_invocation=done.get(memory, 0),
        )
    return batches


def _new_aliases(batches: list[Batch], measured: set[int], only_cold_starts: bool) -> list[AliasSpec]:
    """Aliases the round needs that earlier rounds did not create (cold-start runs need a new one each time)."""
    specs: dict[str, AliasSpec] = {}
    for batch in batches:
        if only_cold_starts or batch.memory_mb not in measured:
            specs.setdefault(batch.alias, AliasSpec(memory_mb=batch.memory_mb, alias=batch.alias))
    return list(specs.values())
