"""Cleanup (the workflow's and the janitor's), Notify and ReportFailure handlers."""

import json

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.run.record import NO_RECORD
from autotuner.handlers import cleanup, notify
from tests.conftest import load_event
from tests.unit.handlers.conftest import VISUALIZATION_URL, Deployment, TunerRun, emitted_metrics
from tests.unit.handlers.states import TUNER, retried_errors
from tests.unit.workflow.memory_ports import Published
from tests.unit.workflow.scenario import SWEEP, TARGET

STOPPED = "execution-status-change-aborted.json"


def test_cleanup_removes_the_run_own_aliases_and_versions_and_reports_what_it_read_back(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run.until("Cleanup", SWEEP)
    capsys.readouterr()

    report = deployment.call(cleanup.handler, run.event("Cleanup", document))

    assert (len(report["deletedAliases"]), sorted(report["deletedVersions"])) == (3, ["1", "2", "3"])
    assert (report["finalMemoryMb"], report["finalDescriptionIsOriginal"]) == (1024, True)
    assert (report["lockReleased"], report["complete"]) == (True, True)
    assert deployment.world.function.aliases() == {}
    assert TARGET not in deployment.world.registry.locks
    assert emitted_metrics(capsys.readouterr().out) == {"VersionsDeleted": 3}


def test_the_janitor_cleans_up_a_stopped_run_from_its_status_change_event(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    run.task("Prepare", run.until("Prepare", SWEEP))  # stopped from outside once Prepare was done
    capsys.readouterr()

    report = deployment.call(cleanup.handler, load_event(STOPPED))

    assert len(report["deletedVersions"]) == 3
    assert deployment.world.function.aliases() == {}
    assert emitted_metrics(capsys.readouterr().out) == {"JanitorRuns": 1, "VersionsDeleted": 3}


def test_the_janitor_leaves_a_run_that_ended_in_its_own_workflow(run: TunerRun, deployment: Deployment) -> None:
    run.task("Prepare", run.until("Prepare", SWEEP))
    succeeded = load_event(STOPPED)
    succeeded["detail"]["status"] = "SUCCEEDED"
    assert deployment.call(cleanup.handler, succeeded) == {
        "skipped": "the execution is SUCCEEDED; its own workflow cleans up"
    }
    assert len(deployment.world.function.aliases()) == 3


def test_a_run_stopped_before_its_record_was_written_has_nothing_to_clean(deployment: Deployment) -> None:
    report = deployment.call(cleanup.handler, load_event(STOPPED))
    assert (report["skipped"], report["complete"]) == (NO_RECORD, True)


def test_notify_publishes_the_result_stores_the_profile_and_returns_the_output(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run.until("Notify", SWEEP)
    capsys.readouterr()

    output = deployment.call(notify.handler, run.event("Notify", document))

    assert output["power"] == document["analysis"]["decision"]["chosenMemoryMb"]
    assert (output["outcome"], output["functionArn"], output["warnings"]) == ("recommended", TARGET, [])
    assert deployment.invocation_counts.windows == [30], "the monthly saving reads the last 30 days of Invocations"
    assert output["stateMachine"]["visualization"].startswith(VISUALIZATION_URL)
    [message] = deployment.world.notifier.published
    assert message.attributes == {"function": "orders", "outcome": "recommended", "trigger": "manual"}
    assert json.loads(message.message.split("Result (JSON):\n", 1)[1]) == output
    assert deployment.world.registry.runs[TARGET].power == output["power"]
    assert set(emitted_metrics(capsys.readouterr().out)) == {"SavingsPercent"}


def failed_in_plan(run: TunerRun, tuning_input: dict[str, object]) -> dict[str, object]:
    """The document ReportFailure gets after Plan refused the input: the raw input, the error, the clean-up."""
    document = run.until("Plan", tuning_input)
    with pytest.raises(InvalidInputError) as raised:
        run.task("Plan", document)
    return run.task("CleanupAfterFailure", run.catch("Plan", document, raised.value))  # type: ignore[no-any-return]


def test_report_failure_says_what_failed_and_what_was_changed_and_publishes_it(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    document = failed_in_plan(run, {**SWEEP, "num": 2})
    capsys.readouterr()

    failure = deployment.call(notify.failure_handler, run.event("ReportFailure", document))

    assert failure == {
        "error": "InvalidInputError",
        "message": "invalid input: num: must be at least 5 (got 2); fewer invocations cannot be trusted. "
        f"Nothing was changed ({NO_RECORD}).",
    }
    assert deployment.world.notifier.published == [
        Published(
            subject="Autotuner: tuning orders failed",
            message="Failed: InvalidInputError · nothing was changed · nothing saved · confidence: none (no choice was "
            f"made)\n\n{failure['error']}: {failure['message']}",
            attributes={"function": "orders", "outcome": "failed", "trigger": ""},
        )
    ]
    assert emitted_metrics(capsys.readouterr().out) == {"FailedRuns": 1}


def test_report_failure_after_a_change_says_what_clean_up_read_back(run: TunerRun, deployment: Deployment) -> None:
    document = run.until("Prepare", SWEEP)
    deployment.world.function.fail("point_alias", AwsError("creating an alias of orders: ServiceException"))
    with pytest.raises(AwsError) as raised:
        run.task("Prepare", document)
    document = run.task("CleanupAfterFailure", run.catch("Prepare", document, raised.value))

    failure = deployment.call(notify.failure_handler, run.event("ReportFailure", document))

    assert failure["error"] == "AwsError"
    assert failure["message"].startswith("creating an alias of orders: ServiceException. Clean-up removed 0 aliases")
    assert "orders has 1024 MB (its memory before the run) and its original description" in failure["message"]


def test_report_failure_that_cannot_read_the_record_is_raised_by_a_name_it_retries(
    run: TunerRun, deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = failed_in_plan(run, {**SWEEP, "num": 2})
    monkeypatch.setenv("RUNS_TABLE", "autotuner-RunsTable-deleted")
    with pytest.raises(AwsError) as raised:
        deployment.call(notify.failure_handler, run.event("ReportFailure", document))
    assert type(raised.value).__name__ in retried_errors(TUNER["ReportFailure"])
    assert deployment.world.notifier.published == []
