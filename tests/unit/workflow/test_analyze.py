"""Analyze: a round's batches folded by size into candidates, a decision, and the account of the tuner's own work."""

import time

from autotuner.domain.run.documents import Analysis
from autotuner.workflow.analyze import AnalyzeRequest, analyze_round
from tests.unit.workflow.memory_ports import Invocation, MemoryFunction, Reply, steady
from tests.unit.workflow.scenario import STEP_MEMORY_MB, SWEEP, TARGET, World


def test_batches_of_a_size_fold_into_one_candidate_and_the_cheapest_size_is_chosen() -> None:
    # A 300 s timeout leaves room for two invocations per batch: five invocations are three batches a size, nine
    # batches measured at once by one Measure task (maxConcurrency 10).
    world = World(function=MemoryFunction(TARGET, memory_mb=1024, description="release 9", timeout_s=300))
    world.invoker.respond = steady(100.0)  # as fast at any size: the smallest costs least
    opening = world.plan(SWEEP)
    plan, round_, planned = opening.plan, opening.round, opening.analysis
    assert plan is not None
    assert round_ is not None
    prepared = world.prepare(plan, round_).model_copy(update={"gb_seconds": 0.5})  # as its handler bills it
    measurements = [task.model_copy(update={"gb_seconds": 0.25}) for task in world.measure(plan, round_)]

    started = time.monotonic()
    document = analyze_round(
        AnalyzeRequest(plan=plan, round=round_, analysis=planned, prepared=prepared, measurements=measurements),
        world.measurements,
        memory_mb=1024,
        resamples=50,
    )

    took_s = time.monotonic() - started
    analysis = document.analysis
    assert [len(task.batches) for task in measurements] == [9]
    assert [(c.memory_mb, c.invocations) for c in analysis.candidates] == [(256, 5), (512, 5), (1024, 5)]
    assert analysis.decision is not None
    assert analysis.decision.chosen_memory_mb == 256
    assert (analysis.complete, analysis.rounds, analysis.tasks) == (True, 1, 1)
    assert analysis.tuner_invocations == planned.tuner_invocations + 2 + 1, "Plan, Prepare, one Measure, Analyze"
    # Prepare's and the task's bills, and Analyze's own wall time at its 1,024 MB (a GB: its seconds)
    analyze_gb_s = analysis.tuner_gb_seconds - planned.tuner_gb_seconds - 0.5 - 0.25
    assert 0 < analyze_gb_s <= took_s
    assert analysis.notes == planned.notes, "a sweep adds no note: it is one round"
    assert (document.plan, document.round) == (plan, round_)


def test_a_later_round_folds_into_what_earlier_rounds_measured(world: World) -> None:
    plan, round_ = world.planned(SWEEP)
    prepared = world.prepare(plan, round_)
    first = world.analyze(plan, round_, prepared).analysis
    later = round_.model_copy(
        update={
            "tasks": [
                [b.model_copy(update={"first_invocation": b.first_invocation + 5}) for b in task]
                for task in round_.tasks
            ]
        }
    )

    second = world.analyze(plan, later, prepared, first).analysis

    assert [(c.memory_mb, c.invocations) for c in second.candidates] == [(256, 10), (512, 10), (1024, 10)]
    assert (second.rounds, second.tasks) == (2, first.tasks * 2)
    assert second.tuner_invocations == first.tuner_invocations * 2


def test_a_size_that_fails_is_a_candidate_with_its_reason_and_is_not_chosen(world: World) -> None:
    def respond(call: Invocation) -> Reply:
        if call.memory_mb == 256:
            return Reply(10.0, error_type="ValueError", error_message="no room for the cache")
        return Reply(duration_ms=100.0)

    world.invoker.respond = respond
    plan, round_ = world.planned(SWEEP)
    analysis = world.analyze(plan, round_, world.prepare(plan, round_)).analysis

    failed = analysis.candidates[0]
    assert (failed.memory_mb, failed.failures, failed.invocations) == (256, 1, 1), "a size stops at its first failure"
    assert failed.failure_reason == (
        "1 of 1 invocations raised ValueError; measuring stopped at the first failure; first failed request request-2"
    )
    assert analysis.decision is not None
    assert analysis.decision.chosen_memory_mb == 512
    assert 256 in {e.memory_mb for e in analysis.decision.excluded}


def test_a_retried_analyze_decides_the_same_from_the_same_measurements(world: World) -> None:
    plan, round_ = world.planned(SWEEP)
    prepared = world.prepare(plan, round_)
    request = AnalyzeRequest(
        plan=plan, round=round_, analysis=Analysis(), prepared=prepared, measurements=world.measure(plan, round_)
    )
    first = analyze_round(request, world.measurements, memory_mb=STEP_MEMORY_MB, resamples=50)
    again = analyze_round(request, world.measurements, memory_mb=STEP_MEMORY_MB, resamples=50)
    assert first.analysis.candidates == again.analysis.candidates, "the bootstrap is seeded by the run"
    assert first.analysis.decision == again.analysis.decision


def test_an_adaptive_round_plans_the_next_one_and_says_why(world: World) -> None:
    plan, round_ = world.planned({"lambdaARN": TARGET})
    document = world.analyze(plan, round_, world.prepare(plan, round_), Analysis(notes=["opening"]))
    assert document.analysis.complete is False
    assert document.round is not None
    assert document.round.number == 2
    assert document.analysis.notes[0] == "opening"
    assert document.analysis.notes[-1].startswith("Round 2: ")


def _faster_with_memory(call: Invocation) -> Reply:
    return Reply(duration_ms={256: 1000.0, 512: 520.0, 1024: 300.0}[call.memory_mb])


def test_the_current_size_is_never_chosen_in_a_sweep_but_the_choice_is_weighed_against_it(world: World) -> None:
    """powerValues bound the choice (aws-lambda-power-tuning's analyzer); the current size, measured as the
    baseline, is still on the frontier and is what maxSlowdown measures the choice against."""
    world.invoker.respond = _faster_with_memory  # the current 1024 MB is the dearest and the fastest
    plan, round_ = world.planned({**SWEEP, "autoOptimize": True, "constraints": {"maxSlowdown": 1.5}})
    analysis = world.measure_and_analyze(plan, round_, world.prepare(plan, round_))

    decision = analysis.decision
    assert decision is not None
    assert (decision.chosen_memory_mb, decision.ranking) == (256, [256, 512])
    assert [e.memory_mb for e in decision.excluded] == [1024]
    assert [p.memory_mb for p in decision.frontier] == [256, 512, 1024]
    assert decision.faster_option is not None
    assert decision.faster_option.memory_mb == 512
    assert decision.apply_refusal is not None
    assert "is 3.33x the current 1024 MB's 300 ms, beyond maxSlowdown 1.5" in decision.apply_refusal
