"""CheckTraffic: each check reads both versions' calls over the same stretch; the window goes on until the candidate
has its calls, ends at once on an alarm or on errors chance does not explain, and ends at the run's deadline; an
ended window routes the alias back (through the guard) and names the next candidate, or the end."""

import pytest

from autotuner.domain.errors import RunStoppedError
from autotuner.domain.run.documents import Analysis, Plan, RunDocument
from autotuner.domain.run.record import AliasSnapshot
from autotuner.domain.traffic.window import TrafficCheck, Verdict, WindowEnd
from autotuner.workflow import traffic_check
from tests.unit.workflow.scenario import EXECUTION, NOW, ON_TRAFFIC, TRAFFIC, World

PLAIN = AliasSnapshot(name="live", version="1")
ROUTED = AliasSnapshot(name="live", version="1", routing={"2": 0.1})
FIRST_CHECK = NOW + 900  # calls logged up to 60 s before it are read: up to NOW + 840


def routed(world: World, tuning_input: dict[str, object] | None = None) -> tuple[Plan, Analysis, TrafficCheck]:
    """Alias live in production, its first candidate (512 MB, version 2) routed at NOW."""
    world.in_production()
    document = world.on_traffic(tuning_input)
    assert document.plan is not None
    assert document.traffic_check is not None
    check = world.route(document.plan, document.traffic_check)
    assert world.function.alias_snapshot("live") == ROUTED
    return document.plan, document.analysis, check


def checked(world: World, plan: Plan, analysis: Analysis, check: TrafficCheck) -> tuple[RunDocument, TrafficCheck]:
    document = world.check(plan, analysis, check)
    assert document.traffic_check is not None
    return document, document.traffic_check


def test_a_window_short_of_its_calls_goes_on_with_both_versions_read_over_the_same_stretch(world: World) -> None:
    plan, analysis, check = routed(world)
    world.serve("2", 512, 5, from_s=NOW + 10, every_s=60)
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.serve("2", 512, 1, from_s=NOW + 870, every_s=60)  # not settled yet: the next check's
    world.now = FIRST_CHECK
    read_before = len(world.logs.reads)

    document, watching = checked(world, plan, analysis, check)

    assert watching.verdict is Verdict.WATCHING
    assert watching.reason == "check 1: 5 of 20 calls, no sign of harm"
    window = watching.window
    assert window is not None
    assert (window.checks, window.candidate.calls, window.current.calls) == (1, 5, 14)
    assert window.read_until_epoch_s == NOW + 840
    stretch = (int(NOW * 1000), int((NOW + 840) * 1000))
    assert world.logs.reads[read_before:] == [("2", *stretch), ("1", *stretch)]
    assert world.function.alias_snapshot("live") == ROUTED
    assert sorted(key for _, key in world.measurements.items) == [
        "window-01#candidate#001800000000000",
        "window-01#current#001800000000000",
    ]
    assert document.analysis.tuner_invocations == analysis.tuner_invocations + 1
    assert document.analysis.trials == []


def test_a_capped_read_of_the_candidate_shortens_the_stretch_for_both_versions(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(traffic_check, "CANDIDATE_READ_CAP", 3)
    plan, analysis, check = routed(world)
    world.serve("2", 512, 5, from_s=NOW + 10, every_s=60)  # at NOW + 10, 70, 130, 190, 250
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.now = FIRST_CHECK

    first, watching = checked(world, plan, analysis, check)
    _, after = checked(world, plan, first.analysis, watching)

    assert watching.window is not None
    assert watching.window.read_until_epoch_s == NOW + 130, "the third call's millisecond is left to the next read"
    assert (watching.window.candidate.calls, watching.window.current.calls) == (2, 3)  # NOW + 5, 65 and 125
    assert after.window is not None
    assert after.window.read_until_epoch_s == NOW + 840
    assert (after.window.candidate.calls, after.window.current.calls) == (5, 14)


def test_a_window_with_its_calls_is_measured_routed_back_and_names_the_next_candidate(world: World) -> None:
    plan, analysis, check = routed(world)
    world.serve("2", 512, 5, from_s=NOW + 10, every_s=60)
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.now = FIRST_CHECK
    first, watching = checked(world, plan, analysis, check)
    assert watching.verdict is Verdict.WATCHING
    world.serve("2", 512, 15, from_s=NOW + 900, every_s=600)  # ten minutes apart: the last at NOW + 9,300
    world.serve("1", 1024, 144, from_s=NOW + 900, every_s=60)  # the last at NOW + 9,480
    world.now = NOW + 9_600  # read up to NOW + 9,540

    document, ended = checked(world, plan, first.analysis, watching)

    assert (ended.verdict, ended.ended, ended.next_memory_mb) == (Verdict.NEXT, WindowEnd.MEASURED, 256)
    assert ended.reason == "an octave below 512 MB, the cheapest so far"
    window = ended.window
    assert window is not None
    assert (window.checks, window.candidate.calls, window.current.calls) == (2, 20, 14 + 144)
    assert world.function.alias_snapshot("live") == PLAIN
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.intents[-1].action == "route alias live back to version 1 alone"
    assert sorted(key for _, key in world.measurements.items) == [  # each check's slice of each version
        "window-01#candidate#001800000000000",
        "window-01#candidate#001800000840000",
        "window-01#current#001800000000000",
        "window-01#current#001800000840000",
    ]
    folded = document.analysis
    (trial,) = folded.trials
    assert (trial.memory_mb, trial.version, trial.ended, trial.candidate.calls) == (512, "2", WindowEnd.MEASURED, 20)
    assert trial.comparison is not None
    assert trial.comparison.cost_ratio == pytest.approx(1.0333e-6 / 1.8667e-6, rel=1e-3), "100 ms at half the GB"
    assert folded.decision is not None
    assert folded.decision.chosen_memory_mb == 512
    assert folded.published_versions == {512: "2"}
    assert not folded.complete
    assert folded.tuner_invocations == analysis.tuner_invocations + 3, "two checks and the route"
    assert folded.notes[-1] == "Candidate 2: an octave below 512 MB, the cheapest so far."


def test_the_last_candidate_s_window_ends_the_search(world: World) -> None:
    plan, analysis, check = routed(world, {**ON_TRAFFIC, "traffic": {**TRAFFIC, "maxCandidates": 1}})
    world.serve("2", 512, 20, from_s=NOW + 10, every_s=30)
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.now = FIRST_CHECK

    document, ended = checked(world, plan, analysis, check)

    assert (ended.verdict, ended.ended, ended.next_memory_mb) == (Verdict.DONE, WindowEnd.MEASURED, None)
    assert document.analysis.complete
    assert document.analysis.notes[-1].startswith("Stopped after 1: ")
    assert world.function.alias_snapshot("live") == PLAIN


def test_an_alarm_routes_the_candidate_back_at_once_and_its_size_is_never_chosen(world: World) -> None:
    plan, analysis, check = routed(world)
    world.serve("2", 512, 3, from_s=NOW + 10, every_s=60)
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.watch.in_alarm = ["orders-p99-duration"]
    world.now = FIRST_CHECK

    document, ended = checked(world, plan, analysis, check)

    assert ended.ended is WindowEnd.ROLLED_BACK
    assert ended.alarms_in_alarm == ["orders-p99-duration"]
    assert world.function.alias_snapshot("live") == PLAIN
    (trial,) = document.analysis.trials
    assert trial.reason == "alarm orders-p99-duration in ALARM while 512 MB (version 2) took its share of the traffic"
    decision = document.analysis.decision
    assert decision is not None
    assert decision.chosen_memory_mb == 1024, "512 MB was cheaper on its 3 calls, but it was routed back"
    assert [e.memory_mb for e in decision.excluded] == [512]
    assert (ended.verdict, ended.next_memory_mb) == (Verdict.NEXT, 2048)


@pytest.mark.parametrize(
    ("calls", "failing", "ended", "reason"),
    [
        (10, 4, WindowEnd.ROLLED_BACK, "512 MB (version 2): 4 of its 10 calls raised an error (40.0%), against 0.00% "
         "of the current version's and a tolerance of 1.0%"),
        # at 0% and a 1% tolerance, one error or more in 20 calls happens 18% of the time: chance explains it
        (20, 1, WindowEnd.MEASURED, "512 MB (version 2) served 20 production calls"),
    ],
    ids=["beyond-chance", "within-chance"],
)  # fmt: skip
def test_the_candidate_s_errors_route_it_back_with_the_figures_once_chance_does_not_explain_them(
    world: World, calls: int, failing: int, ended: WindowEnd, reason: str
) -> None:
    plan, analysis, check = routed(world)
    world.serve("2", 512, calls, from_s=NOW + 10, every_s=30, failing=failing)
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.now = FIRST_CHECK

    document, checked_once = checked(world, plan, analysis, check)

    assert checked_once.ended is ended
    (trial,) = document.analysis.trials
    assert (trial.reason, trial.candidate.errors) == (reason, failing)
    assert world.function.alias_snapshot("live") == PLAIN


def test_the_run_s_deadline_ends_the_window_with_what_it_has(world: World) -> None:
    plan, analysis, check = routed(world)
    assert plan.traffic is not None
    world.serve("2", 512, 5, from_s=NOW + 10, every_s=60)
    world.serve("1", 1024, 14, from_s=NOW + 5, every_s=60)
    world.now = plan.traffic.deadline_epoch_s

    document, ended = checked(world, plan, analysis, check)

    assert (ended.verdict, ended.ended, ended.next_memory_mb) == (Verdict.DONE, WindowEnd.OUT_OF_TIME, None)
    assert ended.reason == "the run reached traffic.maxHours (24 h)"
    assert document.analysis.trials[0].reason == (
        "the run reached its traffic.maxHours with 5 of the 20 calls 512 MB (version 2) needed"
    )
    assert document.analysis.complete
    assert world.function.alias_snapshot("live") == PLAIN


def test_a_record_closed_between_the_intent_and_the_route_back_makes_the_step_undo_it(world: World) -> None:
    """The janitor of a stopped execution closes the record as the check routes the alias back: the step's own
    clean-up from the record then deletes the candidate too, and nothing of the run is left."""
    plan, analysis, check = routed(world)
    world.serve("2", 512, 20, from_s=NOW + 10, every_s=30)
    world.now = FIRST_CHECK
    world.function.before_next("restore_alias", lambda: world.records.close(EXECUTION))

    with pytest.raises(
        RunStoppedError, match="stopped while it routed alias live back to version 1; the change was undone"
    ):
        world.check(plan, analysis, check)

    assert world.function.alias_snapshot("live") == PLAIN
    assert [v.version for v in world.function.versions()] == ["1"]
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.closed


def test_a_run_cleaned_up_before_the_check_routes_nothing(world: World) -> None:
    plan, analysis, check = routed(world)
    world.serve("2", 512, 20, from_s=NOW + 10, every_s=30)
    world.now = FIRST_CHECK
    world.clean_up()  # the janitor: the alias as found, the candidate deleted
    changes = list(world.function.changes)

    with pytest.raises(RunStoppedError, match="stopped before it could route alias live back to version 1 alone"):
        world.check(plan, analysis, check)

    assert world.function.changes == changes
    assert world.function.alias_snapshot("live") == PLAIN
