"""Clean-up works from the run record alone: what the run made goes, what it found comes back, an applied choice
stays; it is idempotent, and ``again`` undoes what a step changed after the record was closed."""

import pytest

from autotuner.adapters.errors import UpdateConflictError
from autotuner.domain.run.naming import alias_name, version_description
from autotuner.domain.run.record import NO_RECORD, AliasSnapshot, Intent
from autotuner.workflow.cleanup import (
    NO_CHANGE,
    ExecutionStatusChange,
    SweepReport,
    clean_up_run,
    janitor_execution,
    sweep_ended_runs,
)
from tests.unit.workflow.memory_ports import MemoryRegistry
from tests.unit.workflow.scenario import EXECUTION, SWEEP, TARGET, World

ON_ALIAS = {**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live"}
OTHER_EXECUTION = EXECUTION.replace("run-1", "run-2")


def with_canary(world: World) -> None:
    """Alias live at version 1, with 10% of its traffic on version 2 (both the code $LATEST runs)."""
    world.function.publish_version("release 9")
    world.function.update(memory_mb=1024, description="release 9 canary")
    world.function.publish_version("release 9 canary")
    world.function.update(memory_mb=1024, description="release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1", routing={"2": 0.1}))


def test_without_a_record_there_is_nothing_to_undo(world: World) -> None:
    world.registry.claim_run(TARGET, EXECUTION, until=float("inf"))
    report = world.clean_up()
    assert (report.skipped, report.complete, report.lock_released) == (NO_RECORD, True, False)
    assert world.function.changes == []
    assert world.records.read(EXECUTION) is None  # a closed stub, which no late Plan can open any more


def test_a_run_that_changed_nothing_is_skipped_but_releases_its_lock(world: World) -> None:
    world.planned()
    world.function.update(memory_mb=2048, description="someone else's change")

    report = world.clean_up()

    assert (report.skipped, report.complete, report.lock_released) == (NO_CHANGE, True, True)
    assert world.function.latest.memory_mb == 2048  # not the run's to undo
    assert world.registry.locks == {}
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.cleanup == report


def test_what_the_run_found_comes_back_from_the_record_and_nothing_else(world: World) -> None:
    with_canary(world)
    plan, round_ = world.planned(ON_ALIAS)
    world.prepare(plan, round_)
    # e.g. a half-done apply: its intent recorded, the alias moved
    assert world.records.note_intent(EXECUTION, Intent(step="apply", action="apply 256 MB to live", alias="live"))
    world.function.restore_alias(AliasSnapshot(name="live", version="3"))
    world.function.update(memory_mb=3008, description=version_description(plan.run_id, 3008))
    other_run = world.function.publish_version(version_description("0123456789", 768))
    world.function.point_alias(alias_name("0123456789", 768), other_run.version)

    report = world.clean_up()

    assert world.function.alias_snapshot("live") == AliasSnapshot(name="live", version="1", routing={"2": 0.1})
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")
    assert report.deleted_aliases == sorted(alias_name(plan.run_id, m) for m in (256, 512, 1024))
    assert report.deleted_versions == ["3", "4", "5"]
    assert sorted(world.function.aliases()) == [alias_name("0123456789", 768), "live"]  # others' stay
    assert [v.version for v in world.function.versions()] == ["1", "2", other_run.version]
    assert (report.restored_memory_mb, report.restored_description, report.restored_alias) == (1024, True, "live")
    assert (report.final_memory_mb, report.final_description_is_original) == (1024, True)
    assert (report.alias_name, report.final_alias_version, report.lock_released) == ("live", "1", True)


def test_the_applied_choice_on_latest_stays(world: World) -> None:
    plan, round_ = world.planned({**SWEEP, "autoOptimize": True})
    world.prepare(plan, round_)
    world.apply(plan, 512)
    report = world.clean_up()
    assert (report.final_memory_mb, report.restored_memory_mb, report.final_description_is_original) == (
        512,
        None,
        True,
    )
    assert world.function.latest.memory_mb == 512


def test_the_applied_alias_keeps_its_version_even_if_moved_meanwhile(world: World) -> None:
    with_canary(world)
    plan, round_ = world.planned(ON_ALIAS)
    world.prepare(plan, round_)
    applied = world.apply(plan, 256)
    world.function.point_alias("live", "1")  # moved away before clean-up ran

    report = world.clean_up()

    assert world.function.alias_version("live") == applied.version
    assert report.kept_versions == [applied.version]
    assert (report.alias_name, report.final_alias_version, report.restored_alias) == ("live", applied.version, None)
    assert world.function.latest.memory_mb == 1024


def test_a_second_clean_up_repeats_nothing_and_again_undoes_a_late_change(world: World) -> None:
    plan, round_ = world.planned()
    world.prepare(plan, round_)
    report = world.clean_up()
    changes = list(world.function.changes)

    assert world.clean_up() == report  # the janitor after the workflow's own clean-up
    assert world.function.changes == changes

    late = alias_name(plan.run_id, 2048)  # a step's change that landed after the record was closed
    world.function.update(memory_mb=2048, description=version_description(plan.run_id, 2048))
    world.function.point_alias(late, world.function.publish_version(version_description(plan.run_id, 2048)).version)
    assert world.clean_up() == report  # the record says the clean-up is complete
    undone = world.clean_up(again=True)
    assert undone.deleted_aliases == [late]
    assert world.function.aliases() == {}
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")


def test_a_clean_up_that_fails_part_way_is_completed_by_the_next(world: World) -> None:
    plan, round_ = world.planned()
    world.prepare(plan, round_)
    world.function.fail("delete_version", UpdateConflictError("deleting from orders: conflict"))

    with pytest.raises(UpdateConflictError):
        world.clean_up()
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.cleanup is None  # not complete: the janitor will try again
    assert world.registry.locks[TARGET][0] == EXECUTION  # held until the function is as it should be

    report = world.clean_up()
    assert report.complete
    assert world.function.versions() == []
    assert world.registry.locks == {}


def test_only_the_runs_own_lock_is_released() -> None:
    registry = MemoryRegistry()
    world = World(registry=registry)
    world.planned()
    registry.locks[TARGET] = ("another execution", float("inf"))  # it expired and was taken over
    report = clean_up_run(EXECUTION, world.records, world.functions, registry)
    assert registry.locks[TARGET] == ("another execution", float("inf"))
    assert report.lock_released  # what the run held is no longer held by it


@pytest.mark.parametrize(
    ("status", "cleans_up"),
    [("ABORTED", True), ("TIMED_OUT", True), ("FAILED", True), ("SUCCEEDED", False), ("RUNNING", False)],
)
def test_the_janitor_cleans_up_after_executions_that_ended_outside_the_workflow(status: str, cleans_up: bool) -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:tuner"
    change = ExecutionStatusChange(execution_arn=EXECUTION, state_machine_arn=machine, status=status)
    assert janitor_execution(change) == (EXECUTION if cleans_up else None)


def sweep(world: World, statuses: dict[str, str | None]) -> SweepReport:
    return sweep_ended_runs(world.records, statuses.get, world.records, world.functions, world.registry)


def test_the_sweep_cleans_up_every_ended_run_the_janitor_left_and_leaves_running_ones_alone() -> None:
    world = World()
    plan, round_ = world.planned()
    world.prepare(plan, round_)  # stopped mid-run, and the janitor never came
    world.registry.locks.clear()  # a second run of the function, only to have a running one; the lock is not the point
    world.planned(execution=OTHER_EXECUTION)

    report = sweep(world, {EXECUTION: "ABORTED", OTHER_EXECUTION: "RUNNING"})

    assert (report.cleaned, report.running, report.failed) == ([EXECUTION], [OTHER_EXECUTION], {})
    assert (world.function.versions(), world.function.aliases(), world.function.latest.memory_mb) == ([], {}, 1024)
    assert world.records.pending_cleanups() == [OTHER_EXECUTION]
    assert sweep(world, {OTHER_EXECUTION: "RUNNING"}).cleaned == [], "a cleaned run is not swept again"


def test_a_run_step_functions_no_longer_knows_is_swept_and_one_failure_does_not_stop_the_others() -> None:
    world = World()
    plan, round_ = world.planned()
    world.prepare(plan, round_)
    world.registry.locks.clear()
    world.planned(execution=OTHER_EXECUTION)
    world.function.fail("delete_version", UpdateConflictError("deleting from orders: conflict"))

    report = sweep(world, {})  # neither execution is known any more

    assert report.cleaned == [OTHER_EXECUTION]
    assert report.failed == {EXECUTION: "UpdateConflictError: deleting from orders: conflict"}
    assert world.records.pending_cleanups() == [EXECUTION], "left for the next sweep"


def test_an_alias_no_step_set_out_to_move_is_left_as_another_deployment_left_it(world: World) -> None:
    """Plan records the alias an apply would move; another deployment moves it before the run's Apply (which would
    refuse): clean-up puts back only what the run moved, so that deployment stays."""
    with_canary(world)
    plan, round_ = world.planned(ON_ALIAS)
    world.prepare(plan, round_)
    world.function.restore_alias(AliasSnapshot(name="live", version="2"))  # the deployment promotes its canary

    report = world.clean_up()

    assert world.function.alias_snapshot("live") == AliasSnapshot(name="live", version="2")
    assert (report.alias_name, report.final_alias_version, report.restored_alias) == ("live", "2", None)
    assert report.deleted_versions == ["3", "4", "5"]
