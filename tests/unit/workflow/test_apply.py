"""Apply: the choice on $LATEST or on an alias (through a new version); kept only once the record holds it."""

import pytest

from autotuner.adapters.errors import AwsError, WriteUnconfirmedError
from autotuner.domain.errors import RunStoppedError
from autotuner.domain.run.documents import Analysis
from autotuner.domain.run.naming import version_description
from autotuner.domain.run.output import LATEST, AppliedChange
from autotuner.domain.run.record import AliasSnapshot
from autotuner.workflow.apply import ApplyRequest, NothingToApplyError, apply_choice
from tests.unit.workflow.scenario import EXECUTION, SWEEP, World

ON_ALIAS = {**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live"}


def with_live_alias(world: World) -> None:
    """Version 1 at 1024 MB (the code $LATEST runs), behind alias live."""
    world.function.publish_version("release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))


def test_apply_to_latest_keeps_the_description_and_records_the_change(world: World) -> None:
    plan, _ = world.planned({**SWEEP, "autoOptimize": True})
    change = world.apply(plan, 512)

    assert change.model_copy(update={"elapsed_ms": 0.0}) == AppliedChange(
        target=LATEST, memory_mb=512, previous_memory_mb=1024
    )
    assert (world.function.latest.memory_mb, world.function.latest.description) == (512, "release 9")
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.intents[-1].action == "apply 512 MB to $LATEST"
    assert record.applied == change


def test_apply_to_an_alias_publishes_a_version_and_puts_latest_back(world: World) -> None:
    with_live_alias(world)
    plan, _ = world.planned(ON_ALIAS)

    change = world.apply(plan, 256)

    assert (change.target, change.memory_mb, change.previous_memory_mb, change.version) == ("live", 256, 1024, "2")
    assert world.function.alias_version("live") == "2"
    assert world.function.configuration("live").memory_mb == 256
    assert world.function.versions()[-1].description == version_description(plan.run_id, 256, "apply")
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")


def test_apply_creates_an_alias_that_did_not_exist(world: World) -> None:
    plan, _ = world.planned({**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "next"})
    change = world.apply(plan, 512)
    assert (change.target, change.previous_memory_mb) == ("next", 1024)  # the function's memory when found
    assert world.function.alias_version("next") == change.version


def test_nothing_chosen_changes_nothing(world: World) -> None:
    plan, _ = world.planned({**SWEEP, "autoOptimize": True})
    with pytest.raises(NothingToApplyError):
        apply_choice(ApplyRequest(plan=plan, analysis=Analysis()), world.function, world.guard(plan))
    assert world.function.changes == []


def test_a_closed_record_stops_apply_before_it_changes_anything(world: World) -> None:
    plan, _ = world.planned({**SWEEP, "autoOptimize": True})
    world.clean_up()
    with pytest.raises(RunStoppedError, match=r"stopped before it could apply 512 MB to \$LATEST"):
        world.apply(plan, 512)
    assert world.function.changes == []


def test_a_record_closed_before_keep_undoes_the_change_on_latest(world: World) -> None:
    plan, _ = world.planned({**SWEEP, "autoOptimize": True})
    world.function.before_next("update", world.clean_up)  # the janitor, while the update lands

    with pytest.raises(RunStoppedError, match=r"stopped while it applied 512 MB to \$LATEST; the change was undone"):
        world.apply(plan, 512)

    assert world.function.changes[0] == "update 512 MB 'release 9'"
    assert world.function.latest.memory_mb == 1024
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.applied is None


def test_a_record_closed_before_keep_puts_the_alias_back_with_its_routing(world: World) -> None:
    with_live_alias(world)
    world.function.update(memory_mb=1024, description="release 9 canary")
    world.function.publish_version("release 9 canary")
    world.function.update(memory_mb=1024, description="release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1", routing={"2": 0.1}))
    plan, _ = world.planned(ON_ALIAS)
    world.function.before_next("publish_version", world.clean_up)

    with pytest.raises(RunStoppedError, match="the change was undone"):
        world.apply(plan, 256)

    assert world.function.alias_snapshot("live") == AliasSnapshot(name="live", version="1", routing={"2": 0.1})
    assert [v.version for v in world.function.versions()] == ["1", "2"]  # the run's version 3 is gone
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")


def test_latest_is_put_back_when_publishing_for_an_alias_fails(world: World) -> None:
    with_live_alias(world)
    plan, _ = world.planned(ON_ALIAS)
    world.function.fail("publish_version", AwsError("publishing a version of orders: ServiceException"))
    with pytest.raises(AwsError):
        world.apply(plan, 256)
    assert world.function.changes[-2:] == [
        f"update 256 MB {version_description(plan.run_id, 256, 'apply')!r}",
        "update 1024 MB 'release 9'",
    ]
    assert world.function.alias_version("live") == "1"


@pytest.mark.parametrize("tuning_input", [{**SWEEP, "autoOptimize": True}, ON_ALIAS], ids=["latest", "alias"])
def test_an_apply_whose_kept_change_lost_its_answer_is_found_done_on_retry(
    world: World, tuning_input: dict[str, object]
) -> None:
    """The audit's case: the confirming write took effect and its answer was lost. Step Functions retries Apply,
    which returns the change the record holds, and changes nothing again."""
    with_live_alias(world)
    plan, _ = world.planned(tuning_input)
    world.records.unanswered.add("record_applied")
    with pytest.raises(WriteUnconfirmedError):
        world.apply(plan, 256)
    changes = list(world.function.changes)

    again = world.apply(plan, 256)

    record = world.records.read(EXECUTION)
    assert record is not None
    assert again == record.applied
    assert (again.memory_mb, again.previous_memory_mb) == (256, 1024)
    assert world.function.changes == changes, "found done: nothing changed twice"


def test_a_retried_apply_to_an_alias_whose_keep_never_landed_reads_the_alias_plan_found(world: World) -> None:
    """A first attempt moved the alias and failed before the record kept it: the previous memory is that of the
    version Plan found behind the alias (the record's), not of the version the first attempt published."""
    with_live_alias(world)
    plan, _ = world.planned(ON_ALIAS)
    world.function.update(memory_mb=256, description=version_description(plan.run_id, 256, "apply"))
    moved = world.function.publish_version(version_description(plan.run_id, 256, "apply")).version
    world.function.point_alias("live", moved)
    world.function.update(memory_mb=1024, description="release 9")

    change = world.apply(plan, 256)

    assert (change.previous_memory_mb, world.function.alias_version("live")) == (1024, change.version)
