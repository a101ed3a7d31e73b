"""RouteCandidate: the candidate published from $LATEST at its size, checked against the alias's version field by
field, and given traffic.weight of the alias; every change behind an intent, and undone when a clean-up won."""

from collections.abc import Callable

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.domain.errors import RunStoppedError, TargetChangedError
from autotuner.domain.run.documents import Plan
from autotuner.domain.run.naming import is_run_version, version_description
from autotuner.domain.run.record import AliasSnapshot, Intent
from autotuner.domain.traffic.window import TrafficCheck, Verdict
from tests.unit.workflow.scenario import EXECUTION, NOW, World

PLAIN = AliasSnapshot(name="live", version="1")
ROUTED = AliasSnapshot(name="live", version="1", routing={"2": 0.1})


def planned(world: World) -> tuple[Plan, TrafficCheck]:
    world.in_production()
    document = world.on_traffic()
    assert document.plan is not None
    assert document.traffic_check is not None
    assert document.traffic_check.next_memory_mb == 512  # an octave below the current 1024 MB
    return document.plan, document.traffic_check


def intents(world: World) -> list[Intent]:
    record = world.records.read(EXECUTION)
    assert record is not None
    return record.intents


def versions(world: World) -> list[str]:
    return [v.version for v in world.function.versions()]


def test_the_candidate_is_published_at_its_size_and_takes_the_weight_of_the_alias(world: World) -> None:
    plan, check = planned(world)
    seen: dict[str, list[str]] = {}  # the intents the record held as each change went out
    world.function.before_next("publish_version", lambda: seen.update(publish=[i.action for i in intents(world)]))
    world.function.before_next("restore_alias", lambda: seen.update(route=[i.action for i in intents(world)]))

    routed = world.route(plan, check)

    assert routed.verdict is Verdict.WATCHING
    assert routed.reason == "10% of alias live routed to 512 MB (version 2)"
    window = routed.window
    assert window is not None
    assert (window.number, window.memory_mb, window.version, window.current_version) == (1, 512, "2", "1")
    assert window.started_epoch_s == window.read_until_epoch_s == NOW
    assert routed.wait_seconds == 60, "20 calls at 10% of 60 an hour take hours: the next check in checkEverySeconds"
    candidate = world.function.configuration("2")
    assert candidate.memory_mb == 512
    assert candidate.description == f"{version_description(plan.run_id, 512)} (candidate 1)"
    assert is_run_version(candidate.description, plan.run_id), "clean-up finds it by the run's id"
    assert world.function.alias_snapshot("live") == ROUTED
    assert seen["publish"][-1] == "publish 512 MB as candidate 1"
    assert seen["route"][-1] == "route 10% of alias live to version 2"
    assert intents(world)[-1].alias == "live"
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")


def test_a_retry_finds_the_candidate_its_first_attempt_published_and_publishes_nothing(world: World) -> None:
    plan, check = planned(world)
    world.function.fail("restore_alias", AwsError("updating alias live: ServiceException"))
    with pytest.raises(AwsError):
        world.route(plan, check)
    assert world.function.alias_snapshot("live") == PLAIN

    again = world.route(plan, check)
    once_more = world.route(plan, check)  # a route whose answer was lost: found done

    assert again.window is not None
    assert once_more.window is not None
    assert again.window.version == once_more.window.version == "2"
    assert versions(world) == ["1", "2"]
    assert [c for c in world.function.changes if c.startswith("publish")] == [
        "publish 1 (1024 MB)",
        "publish 2 (512 MB)",
    ]
    assert world.function.alias_snapshot("live") == ROUTED
    routes = [i.action for i in intents(world)].count("route 10% of alias live to version 2")
    assert routes == 2, "an intent before each attempt that routed; none for the one that found it done"


@pytest.mark.parametrize(
    "theirs",
    [AliasSnapshot(name="live", version="2"), AliasSnapshot(name="live", version="1", routing={"2": 0.2})],
    ids=["another-version", "a-canary"],
)
def test_an_alias_changed_since_the_run_began_is_refused_and_left_as_it_is(world: World, theirs: AliasSnapshot) -> None:
    plan, check = planned(world)
    world.function.update(memory_mb=1024, description="release 9.1")  # another deployment's version 2, behind live
    world.function.publish_version("release 9.1")
    world.function.update(memory_mb=1024, description="release 9")
    world.function.restore_alias(theirs)

    with pytest.raises(TargetChangedError, match="alias live changed since the run began") as refused:
        world.route(plan, check)

    assert "the run routes nothing to it" in str(refused.value)
    assert world.function.alias_snapshot("live") == theirs
    assert not any(i.action.startswith("route") for i in intents(world))
    assert versions(world) == ["1", "2"], "the alias is checked before anything is published"
    report = world.clean_up()  # the run's failure path
    assert world.function.alias_snapshot("live") == theirs, "clean-up does not undo another deployment's alias"
    assert versions(world) == ["1", "2"], "the deployment's version is kept"
    assert report.deleted_versions == []


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        (lambda world: world.function.update(memory_mb=1024, description="release 9", timeout_s=60), "Timeout"),
        (lambda world: world.function.set_environment({"PAYMENTS_URL": "https://staging.example"}), "Environment"),
    ],
    ids=["timeout", "environment"],
)
def test_a_latest_unlike_the_alias_s_version_is_refused_by_name_and_nothing_is_published(
    world: World, deployment: Callable[[World], None], field: str
) -> None:
    plan, check = planned(world)
    deployment(world)  # after Plan compared them: another deployment changes $LATEST

    with pytest.raises(TargetChangedError) as refused:
        world.route(plan, check)

    assert str(refused.value) == (
        f"lambdaARN: the function changed since the run began: {field} differs between $LATEST and version 1; "
        "nothing was published, and the alias routes nothing to it"
    )
    assert versions(world) == ["1"]
    assert world.function.alias_snapshot("live") == PLAIN
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")


def test_a_published_candidate_unlike_the_alias_s_version_is_deleted(world: World) -> None:
    """Another deployment changes $LATEST's environment between the check and the publish: the version published
    carries it, and RouteCandidate deletes it (the one version it ever deletes)."""
    plan, check = planned(world)
    world.function.before_next("publish_version", lambda: world.function.set_environment({"FLAG": "on"}))

    with pytest.raises(TargetChangedError) as refused:
        world.route(plan, check)

    assert str(refused.value) == (
        "lambdaARN: the function changed since the run began: Environment differs between version 2 and version 1; "
        "it was deleted, and the alias routes nothing to it"
    )
    assert "delete version 2" in world.function.changes
    assert versions(world) == ["1"]
    assert world.function.alias_snapshot("live") == PLAIN
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")


def test_a_published_candidate_at_another_size_is_deleted(world: World) -> None:
    plan, check = planned(world)
    world.function.before_next(
        "publish_version", lambda: world.function.update(memory_mb=2048, description=world.function.latest.description)
    )

    with pytest.raises(TargetChangedError, match=r"^lambdaARN: version 2 has 2048 MB, not 512 MB; it was deleted$"):
        world.route(plan, check)

    assert versions(world) == ["1"]
    assert world.function.alias_snapshot("live") == PLAIN
    latest = world.function.latest
    assert (latest.memory_mb, latest.description) == (2048, "release 9"), "its size is the other change's"


def test_a_version_the_run_did_not_publish_is_refused_and_kept(world: World) -> None:
    """Lambda answers PublishVersion with the newest version when $LATEST is unchanged since: here one another
    deployment published at that moment. It is not the run's, so it is neither routed to nor deleted."""
    plan, check = planned(world)
    world.function.before_next("publish_version", lambda: world.function.publish_version("hotfix 9.1"))

    with pytest.raises(TargetChangedError, match=r"returned version 2 \('hotfix 9.1'\), which this run did not create"):
        world.route(plan, check)

    assert versions(world) == ["1", "2"]
    assert world.function.alias_snapshot("live") == PLAIN


def test_a_run_stopped_before_the_candidate_is_published_changes_nothing(world: World) -> None:
    plan, check = planned(world)
    world.clean_up()
    changes = list(world.function.changes)

    with pytest.raises(
        RunStoppedError, match="stopped before it could publish 512 MB as candidate 1; that was not done"
    ):
        world.route(plan, check)

    assert world.function.changes == changes


def test_a_record_closed_while_the_alias_is_routed_makes_the_step_undo_it(world: World) -> None:
    """The janitor of a stopped execution closes the record between RouteCandidate's intent and its route: the step
    undoes its own change, a clean-up from the record (the alias as found, the candidate deleted)."""
    plan, check = planned(world)
    world.function.before_next("restore_alias", lambda: world.records.close(EXECUTION))

    with pytest.raises(
        RunStoppedError, match="stopped while it routed 10% of alias live to version 2; the change was undone"
    ):
        world.route(plan, check)

    assert "alias live -> 1 routing {'2': 0.1}" in world.function.changes, "the route had landed"
    assert world.function.alias_snapshot("live") == PLAIN
    assert versions(world) == ["1"]
    assert (world.function.latest.memory_mb, world.function.latest.description) == (1024, "release 9")
