"""Rounds: the search's plan turned into aliases to prepare, aliases to retire and batches of invocations."""

from typing import Any

import pytest

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.scoring import candidate_stats
from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.inputs.tuning_input import SearchMode
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.run.documents import Analysis, Plan
from autotuner.domain.run.naming import alias_name
from autotuner.domain.search.settings import SearchRound
from autotuner.workflow import rounds
from tests.unit.workflow.scenario import SWEEP, TARGET, World

ADAPTIVE = {"lambdaARN": TARGET}


def test_a_sweep_is_one_round_of_every_size_and_the_current_one(world: World) -> None:
    plan, _ = world.planned(SWEEP)

    round_, reason = rounds.first(plan.tuning, 1024, run_id=plan.run_id, per_batch=2, preflight_invocations=1)

    assert reason == "Sweep: 3 sizes, 5 invocations each."
    assert [(b.memory_mb, b.first_invocation, b.invocations) for b in round_.batches] == [
        (size, start, count) for size in (256, 512, 1024) for start, count in ((0, 2), (2, 2), (4, 1))
    ]
    assert [(s.memory_mb, s.alias) for s in round_.prepare] == [
        (size, alias_name(plan.run_id, size)) for size in (256, 512, 1024)
    ], "one alias per size, however many batches measure it"
    assert round_.retire == []


@pytest.mark.parametrize(
    ("fields", "tasks", "concurrency"),
    [
        ({"maxConcurrency": 2}, [[256, 512], [1024]], 1),
        ({"maxConcurrency": 2, "parallelInvocation": True}, [[256], [512], [1024]], 2),
    ],
    ids=["serial", "parallel"],
)
def test_a_rounds_batches_are_grouped_into_measure_tasks(
    world: World, fields: dict[str, object], tasks: list[list[int]], concurrency: int
) -> None:
    """Serial: up to maxConcurrency batches a task, one task at a time; parallel: a batch a task, maxConcurrency
    tasks at a time. Either way no more batches run at once than maxConcurrency."""
    _, round_ = world.planned({**SWEEP, **fields})
    assert [[b.memory_mb for b in task] for task in round_.tasks] == tasks
    assert round_.task_concurrency == concurrency


@pytest.mark.parametrize("leave_out", [{"dryRun": True}, {"includeCurrent": False}])
def test_the_current_size_is_left_out_of_a_dry_run_or_when_asked(world: World, leave_out: dict[str, bool]) -> None:
    _, round_ = world.planned({**SWEEP, **leave_out})
    assert {b.memory_mb for b in round_.batches} == {256, 512}


def test_a_cold_start_run_prepares_a_fresh_alias_for_every_invocation(world: World) -> None:
    plan, round_ = world.planned({**SWEEP, "onlyColdStarts": True, "powerValues": [512], "includeCurrent": False})
    assert [(b.alias, b.invocations, b.first_invocation) for b in round_.batches] == [
        (alias_name(plan.run_id, 512, i), 1, i) for i in range(5)
    ]
    assert [s.alias for s in round_.prepare] == [b.alias for b in round_.batches]


def test_the_adaptive_search_opens_with_a_coarse_pass_that_includes_the_current_size(world: World) -> None:
    plan, round_ = world.planned(ADAPTIVE)

    sizes = sorted({b.memory_mb for b in round_.batches})
    assert plan.tuning.search is SearchMode.ADAPTIVE
    assert 1024 in sizes
    assert (sizes[0], sizes[-1]) == (128, plan.tuning.max_memory_mb or 10240)
    assert {b.invocations for b in round_.batches} == {2}, "a cold start and one warm sample per size at first"
    assert {s.alias for s in round_.prepare} == {b.alias for b in round_.batches}


def test_a_sweep_never_has_a_second_round(world: World) -> None:
    plan, _ = world.planned(SWEEP)
    assert rounds.following(plan, Analysis(rounds=1), [], 0.0) == rounds.NextRound(
        round=None, reason="", retired_sizes=[]
    )


# ---- later rounds of the adaptive search, for a given answer of the search (domain.adaptive.next_round) ----


def measured(plan: Plan, attempted: dict[int, int]) -> list[CandidateStats]:
    """What earlier rounds scored: ``n`` steady 100 ms invocations of each size (the state keeps candidates only)."""
    return [
        candidate_stats(
            BatchMeasurement(
                memory_mb=m, alias=alias_name(plan.run_id, m), attempted=n, duration_ms=[100.0] * n,
                billed_duration_ms=[100] * n, max_memory_used_mb=[64] * n, init_duration_ms=[None] * n,
                restore_duration_ms=[None] * n, billed_restore_duration_ms=[None] * n,
            ),
            plan.pricing, trim_fraction=0.0, only_cold_starts=False, seed=0, resamples=10,
        )
        for m, n in attempted.items()
    ]  # fmt: skip


def searching(monkeypatch: pytest.MonkeyPatch, answer: SearchRound) -> list[dict[str, Any]]:
    """The search answers ``answer``; the list receives what it was asked with."""
    asked: list[dict[str, Any]] = []

    def next_round(settings: object, candidates: list[CandidateStats], **progress: Any) -> SearchRound:
        asked.append(progress)
        return answer

    monkeypatch.setattr(rounds, "next_round", next_round)
    return asked


def test_a_next_round_measures_only_new_sizes_on_new_aliases_and_goes_on_counting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, _ = world.planned(ADAPTIVE)
    decision = Decision(strategy=Strategy.COST, chosen_memory_mb=512, reason="the cheapest so far")
    analysis = Analysis(rounds=2, candidates=measured(plan, {256: 2, 512: 6}), retired_sizes=[128], decision=decision)
    asked = searching(monkeypatch, SearchRound(add={512: 4, 768: 2}, retire=[128, 256, 3008], reason="closing in"))

    step = rounds.following(plan, analysis, [], 0.25)

    assert step.round is not None
    assert step.round.number == 3
    assert [(b.memory_mb, b.first_invocation, b.invocations) for b in step.round.batches] == [(512, 6, 4), (768, 0, 2)]
    assert (len(step.round.tasks), step.round.task_concurrency) == (1, 1), "both at once, in one Measure task"
    assert [s.alias for s in step.round.prepare] == [alias_name(plan.run_id, 768)], "512 MB's alias exists"
    assert step.round.retire == [alias_name(plan.run_id, 256)], "only measured sizes have an alias to delete"
    assert (step.reason, step.retired_sizes) == ("closing in", [256, 3008])
    assert asked == [
        {"rounds_done": 2, "invocations_done": 8, "spent_usd": 0.25, "retired": [128],
         "strategy": plan.tuning.strategy, "balanced_weight": plan.tuning.balanced_weight,
         "constraints": plan.tuning.constraints, "curve": None, "chosen_mb": 512}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "needs_prepare"),
    [
        (SearchRound(add={512: 4}, reason="top up"), False),
        (SearchRound(add={512: 4}, retire=[256], reason="top up, let one go"), True),
        (SearchRound(add={512: 4, 768: 2}, reason="one new"), True),
    ],
)
def test_a_round_that_only_adds_calls_to_prepared_sizes_skips_prepare(
    world: World, monkeypatch: pytest.MonkeyPatch, answer: SearchRound, needs_prepare: bool
) -> None:
    plan, _ = world.planned(ADAPTIVE)
    searching(monkeypatch, answer)
    step = rounds.following(plan, Analysis(rounds=1, candidates=measured(plan, {256: 2, 512: 2})), [], 0.0)
    assert step.round is not None
    assert step.round.needs_prepare is needs_prepare
    assert step.round.model_dump(mode="json")["needsPrepare"] is needs_prepare, "MoreRounds reads it from the state"


@pytest.mark.parametrize(
    "answer",
    [SearchRound(complete=True, retire=[256], reason="settled"), SearchRound(retire=[256], reason="nothing to add")],
)
def test_a_search_with_nothing_to_add_ends_and_still_retires(
    world: World, monkeypatch: pytest.MonkeyPatch, answer: SearchRound
) -> None:
    plan, _ = world.planned(ADAPTIVE)
    searching(monkeypatch, answer)
    step = rounds.following(plan, Analysis(rounds=1, candidates=measured(plan, {256: 2})), [], 0.0)
    assert (step.round, step.reason, step.retired_sizes) == (None, answer.reason, [256])


def test_a_search_that_plans_a_retired_size_again_fails_instead_of_measuring_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, _ = world.planned(ADAPTIVE)
    searching(monkeypatch, SearchRound(add={256: 2, 512: 2}, reason="back again"))
    with pytest.raises(ValueError, match=r"the search planned retired sizes again: \[256\]"):
        rounds.following(plan, Analysis(rounds=2, retired_sizes=[256]), [], 0.0)


# ---- the real search, round after round, in memory ----


def test_each_round_leaves_exactly_the_aliases_the_search_still_measures(world: World) -> None:
    plan, round_ = world.planned(ADAPTIVE)
    analysis, expected_aliases = Analysis(), set[str]()
    for _ in range(10):
        assert not {b.memory_mb for b in round_.batches} & set(analysis.retired_sizes), "a retired size measured"
        expected_aliases = (expected_aliases | {b.alias for b in round_.batches}) - set(round_.retire)
        prepared = world.prepare(plan, round_)
        assert set(world.function.aliases()) == expected_aliases
        document = world.analyze(plan, round_, prepared, analysis)
        analysis = document.analysis
        if analysis.complete:
            break
        assert document.round is not None
        round_ = document.round
    assert analysis.complete, "the search ends within its rounds"
    assert analysis.rounds >= 2
    assert analysis.invocations <= 36, "the default invocation cap"
    assert analysis.notes[-1].startswith(f"Stopped after {analysis.rounds} rounds: ")
