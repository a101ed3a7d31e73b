"""What each round measures: the whole sweep at once, or the adaptive search's rounds (domain.search.adaptive), turned
into the aliases to prepare, the aliases to retire and the batches of invocations, grouped into Measure tasks.

A run measuring more than one architecture searches each on its own (a lane each, with its own aliases): a sweep
measures every (size, architecture) pair; the adaptive search runs per lane, each with its share of the
invocation cap and the budget (the default cap is per architecture), and a round measures every lane's next step."""

from collections.abc import Sequence

from pydantic import BaseModel, Field

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.inputs.tuning_input import SearchMode, TuningInput
from autotuner.domain.run.documents import AliasSpec, Analysis, Lane, Plan, Round
from autotuner.domain.run.naming import alias_name
from autotuner.domain.search.adaptive import first_round, next_round
from autotuner.domain.search.batching import Batch, plan_batches
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.settings import AdaptiveSettings


class NextRound(BaseModel):
    round: Round | None
    reason: str
    retired_sizes: list[int]
    other_retired: dict[Architecture, list[int]] = Field(
        default_factory=dict, description="the other lanes' newly retired sizes, in a run measuring more than one"
    )


def adaptive_settings(
    tuning: TuningInput, current_memory_mb: int, preflight_invocations: int, *, lanes: int = 1, first_lane: bool = True
) -> AdaptiveSettings:
    return lane_share(
        AdaptiveSettings.for_tuning(
            tuning, current_memory_mb=current_memory_mb, preflight_invocations=preflight_invocations
        ),
        tuning,
        lanes=lanes,
        first_lane=first_lane,
    )


def settings_for(plan: Plan, architecture: Architecture | None = None) -> AdaptiveSettings:
    """The adaptive search's settings for a planned run (one lane's, in a run measuring more than one): with the
    function's timeout and the payload schedule, for the margins and the evidence a choice needs."""
    settings = AdaptiveSettings.for_tuning(
        plan.tuning,
        current_memory_mb=plan.original.memory_mb,
        preflight_invocations=plan.preflight_invocations,
        timeout_s=plan.original.timeout_s,
        payload_schedule=plan.measure.payload_schedule,
    )
    lanes = plan.lane_architectures
    return lane_share(settings, plan.tuning, lanes=len(lanes), first_lane=architecture in {None, lanes[0]})


def lane_share(settings: AdaptiveSettings, tuning: TuningInput, *, lanes: int, first_lane: bool) -> AdaptiveSettings:
    """One lane's share of the caps: the input's maxInvocations and budget split evenly (the default cap is each
    lane's own); Plan's probe, made on the function as it is, counts toward the first lane's."""
    if lanes <= 1:
        return settings
    cap = settings.max_invocations if tuning.max_invocations is None else max(1, tuning.max_invocations // lanes)
    return settings.model_copy(
        update={
            "max_invocations": cap,
            "budget_usd": settings.budget_usd / lanes if settings.budget_usd is not None else None,
            "preflight_invocations": settings.preflight_invocations if first_lane else 0,
        }
    )


def first(
    tuning: TuningInput,
    current_memory_mb: int,
    *,
    run_id: str,
    per_batch: int,
    preflight_invocations: int,
    lanes: Sequence[Architecture | None] = (None,),
) -> tuple[Round, str]:
    """Round 1: every size ``num`` times (sweep), or the adaptive search's coarse pass (Plan's probe, made
    before it, counts toward the invocation cap); on each architecture of ``lanes``."""
    batches: list[Batch] = []
    prepare: list[AliasSpec] = []
    reasons: list[str] = []
    for index, lane in enumerate(lanes):
        if tuning.search is SearchMode.ADAPTIVE:
            settings = adaptive_settings(
                tuning, current_memory_mb, preflight_invocations, lanes=len(lanes), first_lane=index == 0
            )
            opening = first_round(settings)
            additions, reason = opening.add, opening.reason
        else:
            sizes = set(tuning.resolved_power_values)
            if tuning.include_current and not tuning.dry_run:
                sizes.add(current_memory_mb)
            additions = dict.fromkeys(sorted(sizes), tuning.num)
            reason = f"Sweep: {len(sizes)} sizes, {tuning.num} invocations each."
        lane_batches = _batches(
            additions, {}, run_id=run_id, per_batch=per_batch, only_cold_starts=tuning.only_cold_starts,
            architecture=lane,
        )  # fmt: skip
        batches += lane_batches
        prepare += _new_aliases(lane_batches, set(), tuning.only_cold_starts)
        reasons.append(_in_lane(lane, reason))
    round_ = Round.of(
        batches, max_concurrency=tuning.max_concurrency, parallel=tuning.parallel_invocation, prepare=prepare
    )
    return round_, " ".join(reasons)


def _in_lane(lane: Architecture | None, reason: str) -> str:
    return reason if lane is None else f"{lane.value}: {reason}"


def following_lanes(plan: Plan, analysis: Analysis) -> NextRound:
    """After a round: the next one over every lane (each lane's own search), or None when every lane is done."""
    lanes = analysis.lanes()
    if len(lanes) == 1:
        top = lanes[0]
        return following(plan, analysis, top.candidates, sum(c.total_cost for c in top.candidates), top.curve)
    steps = [(lane, following(plan, _as_analysis(analysis, lane), lane.candidates, _spent(lane), lane.curve,
                              architecture=lane.architecture)) for lane in lanes]  # fmt: skip
    batches = [batch for _, step in steps if step.round is not None for batch in step.round.batches]
    reasons = " ".join(_in_lane(lane.architecture, step.reason) for lane, step in steps if step.reason)
    retired = {lane.architecture: step.retired_sizes for lane, step in steps if lane.architecture is not None}
    top_retired = retired.pop(lanes[0].architecture, []) if lanes[0].architecture is not None else []
    if not batches:
        return NextRound(round=None, reason=reasons, retired_sizes=top_retired, other_retired=retired)
    tuning = plan.tuning
    round_ = Round.of(
        batches,
        max_concurrency=tuning.max_concurrency,
        parallel=tuning.parallel_invocation,
        number=analysis.rounds + 1,
        prepare=[spec for _, step in steps if step.round is not None for spec in step.round.prepare],
        retire=[alias for _, step in steps if step.round is not None for alias in step.round.retire],
    )
    return NextRound(round=round_, reason=reasons, retired_sizes=top_retired, other_retired=retired)


def _spent(lane: Lane) -> float:
    return sum(c.total_cost for c in lane.candidates)


def _as_analysis(analysis: Analysis, lane: Lane) -> Analysis:
    """One lane seen as a whole analysis, for its own search."""
    return analysis.model_copy(
        update={"candidates": lane.candidates, "decision": lane.decision, "curve": lane.curve,
                "retired_sizes": lane.retired_sizes, "architecture": lane.architecture, "other_lanes": []}
    )  # fmt: skip


def following(
    plan: Plan,
    analysis: Analysis,
    candidates: Sequence[CandidateStats],
    spent_usd: float,
    curve: CostCurve | None = None,
    *,
    architecture: Architecture | None = None,
) -> NextRound:
    """After a round: the adaptive search's next round (of one lane: ``analysis`` is that lane's), or None when the
    search (or the sweep) is complete."""
    tuning = plan.tuning
    if tuning.search is not SearchMode.ADAPTIVE:
        return NextRound(round=None, reason="", retired_sizes=[])
    step = next_round(
        settings_for(plan, architecture),
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
        step.add, done, run_id=plan.run_id, per_batch=plan.per_batch, only_cold_starts=tuning.only_cold_starts,
        architecture=architecture,
    )  # fmt: skip
    lane = architecture.value if architecture is not None else None
    round_ = Round.of(
        batches,
        max_concurrency=tuning.max_concurrency,
        parallel=tuning.parallel_invocation,
        number=analysis.rounds + 1,
        prepare=_new_aliases(batches, set(done), tuning.only_cold_starts),
        retire=[alias_name(plan.run_id, size, architecture=lane) for size in retire if size in done],
    )
    return NextRound(round=round_, reason=step.reason, retired_sizes=retire)


def _batches(
    additions: dict[int, int],
    done: dict[int, int],
    *,
    run_id: str,
    per_batch: int,
    only_cold_starts: bool,
    architecture: Architecture | None = None,
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
            architecture=architecture,
        )
    return batches


def _new_aliases(batches: list[Batch], measured: set[int], only_cold_starts: bool) -> list[AliasSpec]:
    """Aliases the round needs that earlier rounds did not create (cold-start runs need a new one each time)."""
    specs: dict[str, AliasSpec] = {}
    for batch in batches:
        if only_cold_starts or batch.memory_mb not in measured:
            specs.setdefault(
                batch.alias, AliasSpec(memory_mb=batch.memory_mb, alias=batch.alias, architecture=batch.architecture)
            )
    return list(specs.values())
