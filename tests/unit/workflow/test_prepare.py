"""Prepare: an intent before each change, a closed record stops it (and it undoes), $LATEST back as it was."""

import pytest

from autotuner.adapters.errors import AwsError, UpdateConflictError
from autotuner.domain.errors import RunStoppedError
from autotuner.domain.run.documents import Round
from autotuner.domain.run.naming import alias_name
from autotuner.workflow.prepare import UnexpectedVersionError
from tests.unit.workflow.scenario import EXECUTION, World


def latest(world: World) -> tuple[int, str]:
    return world.function.latest.memory_mb, world.function.latest.description


def intent_actions(world: World) -> list[str]:
    record = world.records.read(EXECUTION)
    assert record is not None
    return [intent.action for intent in record.intents]


def test_each_version_is_recorded_as_an_intent_before_it_is_made(world: World) -> None:
    plan, round_ = world.planned()
    intents_at_update: list[list[str]] = []
    for _ in range(4):  # three sizes, then $LATEST put back
        world.function.before_next("update", lambda: intents_at_update.append(intent_actions(world)))

    prepared = world.prepare(plan, round_)

    run = plan.run_id
    publish = [f"publish {m} MB behind alias {alias_name(run, m)}" for m in (256, 512, 1024)]
    assert intents_at_update == [
        ["claim the run lock", *publish[:1]],
        ["claim the run lock", *publish[:2]],
        ["claim the run lock", *publish[:3]],
        ["claim the run lock", *publish[:3]],  # restoring $LATEST needs no intent: it is what clean-up does too
    ]
    assert [(a.memory_mb, a.alias, a.version) for a in prepared.aliases] == [
        (256, alias_name(run, 256), "1"),
        (512, alias_name(run, 512), "2"),
        (1024, alias_name(run, 1024), "3"),
    ]
    assert [world.function.configuration(a.alias).memory_mb for a in prepared.aliases] == [256, 512, 1024]
    assert latest(world) == (1024, "release 9")


def test_a_retried_prepare_publishes_nothing_new(world: World) -> None:
    plan, round_ = world.planned()
    first = world.prepare(plan, round_)
    changes = list(world.function.changes)
    again = world.prepare(plan, round_)
    assert again.aliases == first.aliases
    assert world.function.changes == changes  # $LATEST was already back: not even an update


def test_a_closed_record_stops_prepare_before_its_first_change(world: World) -> None:
    plan, round_ = world.planned()
    world.clean_up()  # the janitor of a stopped execution
    with pytest.raises(RunStoppedError, match=r"stopped before it could publish 256 MB .*; that was not done"):
        world.prepare(plan, round_)
    assert world.function.changes == []


def test_a_record_closed_while_publishing_makes_prepare_undo_it(world: World) -> None:
    plan, round_ = world.planned()
    world.function.before_next("publish_version", world.clean_up)  # the janitor, mid-change

    with pytest.raises(RunStoppedError, match=r"stopped while it published 256 MB .*; the change was undone"):
        world.prepare(plan, round_)

    assert world.function.aliases() == {}
    assert world.function.versions() == []
    assert latest(world) == (1024, "release 9")
    assert world.registry.locks == {}  # released by the janitor's clean-up, once the function was as it was


def test_latest_is_restored_even_when_publishing_fails(world: World) -> None:
    plan, round_ = world.planned()
    world.function.fail("publish_version", AwsError("publishing a version of orders: ServiceException: boom"))
    with pytest.raises(AwsError, match="boom"):
        world.prepare(plan, round_)
    assert world.function.changes[0].startswith("update 256 MB")  # changed, then put back
    assert latest(world) == (1024, "release 9")
    assert world.function.versions() == []


def test_an_update_that_conflicts_changes_nothing(world: World) -> None:
    plan, round_ = world.planned()
    world.function.fail("update", UpdateConflictError("updating orders to 256 MB: another update is in progress"))
    with pytest.raises(UpdateConflictError):
        world.prepare(plan, round_)
    assert world.function.changes == []
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.changed_target  # the intent was written: a clean-up will look, and find nothing to undo


def test_a_version_the_run_did_not_create_is_refused(world: World) -> None:
    plan, round_ = world.planned()
    # Another deployment publishes between the run's update and its publish: Lambda then returns that version.
    world.function.before_next("publish_version", lambda: world.function.publish_version("release 10"))
    with pytest.raises(UnexpectedVersionError, match=r"returned version 1 \('release 10'\), which this run did not"):
        world.prepare(plan, round_)
    assert world.function.aliases() == {}
    assert latest(world) == (1024, "release 9")


def test_retiring_deletes_the_runs_alias_and_version_and_nothing_else(world: World) -> None:
    plan, round_ = world.planned()
    world.prepare(plan, round_)
    retiring = Round(number=2, retire=[alias_name(plan.run_id, 256), alias_name(plan.run_id, 768)])

    prepared = world.prepare(plan, retiring)

    assert prepared.retired == [alias_name(plan.run_id, 256)]  # 768 MB had no alias: a retried Prepare's case
    assert sorted(world.function.aliases()) == [alias_name(plan.run_id, 1024), alias_name(plan.run_id, 512)]
    assert [v.version for v in world.function.versions()] == ["2", "3"]
    with pytest.raises(ValueError, match="refusing to retire 'live': not an alias of run"):
        world.prepare(plan, Round(number=3, retire=["live"]))
