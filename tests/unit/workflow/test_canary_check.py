"""A canary of a cheaper, slower size tolerates the slowdown the run measured. CheckCanary's last check promotes the
new version; when the answer to the write that keeps it is lost, the
retried check finds it promoted, whatever the alarms say by then, and never rolls back a kept change."""

from collections.abc import Mapping

import pytest

from autotuner.adapters.errors import WriteUnconfirmedError
from autotuner.domain.automation.canary import Verdict, VersionFigures
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.inputs.tuning_input import given_fields
from autotuner.domain.measuring.statistics import summarize
from autotuner.domain.run.documents import Analysis
from autotuner.domain.run.output import AppliedChange
from autotuner.domain.run.record import AliasSnapshot
from autotuner.workflow.apply import ApplyRequest, apply_choice
from autotuner.workflow.canary import CanaryCheckRequest, check_canary
from tests.unit.domain.decision.test_selection import candidate
from tests.unit.workflow.memory_ports import MemoryCanaryWatch
from tests.unit.workflow.scenario import EXECUTION, SWEEP, World, with_decision

CANARY = {"weight": 0.1, "durationSeconds": 60, "checkEverySeconds": 60}  # one check decides


def test_a_promotion_whose_answer_was_lost_is_found_promoted_on_retry(world: World) -> None:
    world.function.publish_version("release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))
    plan, _ = world.planned({**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live", "canary": CANARY})
    applied = world.apply(plan, 256)
    assert applied.canary is not None
    request = CanaryCheckRequest(execution_id=EXECUTION, plan=plan, applied=applied)
    new = applied.canary.new_version
    watch = MemoryCanaryWatch(figures={new: VersionFigures(version=new, invocations=50, errors=0, throttles=0)})

    world.records.unanswered.add("record_applied")
    with pytest.raises(WriteUnconfirmedError):
        check_canary(request, watch, world.function, world.guard(plan), world.records)
    watch.in_alarm = ["autotuner-orders-p95"]  # by the time Step Functions retries the check

    check = check_canary(request, watch, world.function, world.guard(plan), world.records)

    assert check.verdict is Verdict.PROMOTED
    assert check.reason == "promoted by an earlier attempt of this check, as the run record holds"
    assert world.function.alias_snapshot("live") == AliasSnapshot(name="live", version=applied.canary.new_version)
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.applied == applied


def canary_of_256(
    world: World, canary: Mapping[str, object], measured: list[CandidateStats] | None = None
) -> AppliedChange:
    """A sweep measured 256 MB at twice the duration of the alias's 1024 MB (unless ``measured`` says otherwise),
    chose 256 MB and applies it by canary."""
    world.function.publish_version("release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))
    plan, _ = world.planned({**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live", "canary": canary})
    measured = measured or [candidate(256, 1e-6, 400.0), candidate(1024, 2e-6, 200.0)]
    analysis = with_decision(Analysis(candidates=measured), 256)
    return apply_choice(ApplyRequest(plan=plan, analysis=analysis), world.function, world.guard(plan))


def test_a_canary_tolerates_the_slowdown_the_sweep_measured_at_the_cheaper_size(world: World) -> None:
    """Otherwise its p95 check would roll back every cheaper, slower size the run chose on purpose."""
    applied = canary_of_256(world, CANARY)
    assert applied.canary is not None
    assert applied.canary.config.duration_tolerance == pytest.approx(2.0 * 1.2 - 1)


def test_one_slow_call_at_the_chosen_size_does_not_widen_the_tolerance_past_the_measured_slowdown(
    world: World,
) -> None:
    """Six calls at 256 MB, one of them ten times slower: the p95 is that call; the slowdown is the medians' 2x."""
    slowest = summarize([400.0] * 5 + [4000.0], 0.2)
    assert slowest.p95 > 3000
    outlier = candidate(256, 1e-6, 400.0, n=6).model_copy(update={"duration_ms": slowest})
    applied = canary_of_256(world, CANARY, measured=[outlier, candidate(1024, 2e-6, 200.0)])
    assert applied.canary is not None
    assert applied.canary.config.duration_tolerance == pytest.approx(2.0 * 1.2 - 1)


def test_a_duration_tolerance_the_input_gave_is_kept_as_given(world: World) -> None:
    applied = canary_of_256(world, CANARY | {"durationTolerance": 0.3})
    assert applied.canary is not None
    assert applied.canary.config.duration_tolerance == 0.3


def test_the_plan_names_the_canary_fields_the_input_gave() -> None:
    given = given_fields({"lambdaARN": "x", "canary": {"durationTolerance": 0.3, "weight": 0.2}})
    assert given == ["canary", "canary.durationTolerance", "canary.weight", "lambdaARN"]
    assert given_fields(["not", "a", "dict"]) == []
