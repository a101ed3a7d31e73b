"""Analyze and Apply handlers: the decision the Choice states read, and the change Apply makes and returns."""

import pytest

from autotuner.adapters.errors import UpdateConflictError
from autotuner.domain.run.output import LATEST
from autotuner.handlers import analyze, apply
from autotuner.workflow.apply import NothingToApplyError
from tests.unit.handlers.conftest import Deployment, TunerRun, emitted_metrics
from tests.unit.handlers.states import TUNER, place, retried_errors
from tests.unit.workflow.memory_ports import steady
from tests.unit.workflow.scenario import EXECUTION, SWEEP, TARGET

APPLYING = {**SWEEP, "autoOptimize": True}


def test_analyze_decides_and_returns_the_whole_document_for_the_choice_states(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment.world.invoker.respond = steady(100.0)  # as fast at any size: the smallest costs least
    document = run.until("Analyze", APPLYING)
    capsys.readouterr()

    analyzed = place(document, "$", deployment.call(analyze.handler, run.event("Analyze", document)))

    assert set(analyzed) == {
        "plan",
        "round",
        "analysis",
        "prepared",
        "measurements",
        "applied",
        "canaryCheck",
        "trafficCheck",
        "cleanup",
    }
    assert analyzed["analysis"]["complete"] is True, "MoreRounds ends the rounds"
    assert analyzed["analysis"]["decision"]["chosenMemoryMb"] == 256, "MoreRounds goes on to Apply"
    assert [c["memoryMb"] for c in analyzed["analysis"]["candidates"]] == [256, 512, 1024]
    assert emitted_metrics(capsys.readouterr().out) == {"SizesMeasured": 3}


def test_an_adaptive_round_sends_the_run_back_to_prepare_with_its_next_round(
    run: TunerRun, deployment: Deployment
) -> None:
    document = run.until("Analyze", {"lambdaARN": TARGET})
    analyzed = deployment.call(analyze.handler, run.event("Analyze", document))
    assert analyzed["analysis"]["complete"] is False
    assert run.event("Prepare", analyzed)["round"]["number"] == 2


def test_apply_sets_the_chosen_memory_and_returns_the_change(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run.until("Apply", APPLYING)
    chosen = document["analysis"]["decision"]["chosenMemoryMb"]
    capsys.readouterr()

    applied = deployment.call(apply.handler, run.event("Apply", document))

    assert (applied["target"], applied["memoryMb"], applied["previousMemoryMb"]) == (LATEST, chosen, 1024)
    assert deployment.world.function.latest.memory_mb == chosen
    record = deployment.world.records.read(EXECUTION)
    assert record is not None
    assert record.applied is not None
    assert record.applied.memory_mb == chosen
    assert emitted_metrics(capsys.readouterr().out) == {"ConfigurationsApplied": 1}


def test_apply_without_a_choice_fails_by_a_name_that_is_not_retried(run: TunerRun, deployment: Deployment) -> None:
    document = run.until("Apply", APPLYING)
    document["analysis"]["decision"]["chosenMemoryMb"] = None
    changes_before = list(deployment.world.function.changes)
    with pytest.raises(NothingToApplyError):
        deployment.call(apply.handler, run.event("Apply", document))
    assert NothingToApplyError.__name__ not in retried_errors(TUNER["Apply"])
    assert deployment.world.function.changes == changes_before


def test_an_update_conflict_in_apply_is_raised_by_the_name_apply_retries(run: TunerRun, deployment: Deployment) -> None:
    document = run.until("Apply", APPLYING)
    deployment.world.function.fail("update", UpdateConflictError("updating orders: ResourceConflictException"))
    with pytest.raises(UpdateConflictError) as raised:
        deployment.call(apply.handler, run.event("Apply", document))
    assert type(raised.value).__name__ in retried_errors(TUNER["Apply"])
    applied = deployment.call(apply.handler, run.event("Apply", document))
    assert deployment.world.function.latest.memory_mb == applied["memoryMb"]
