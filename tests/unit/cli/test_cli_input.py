"""The CLI refuses what the workflow would refuse, in the workflow's words and the CLI's option names, before
it makes any AWS call; numbers stay numbers; a failed state shows as failed."""

import pytest

from autotuner.adapters.executions import HistoryEvent
from autotuner_cli.main import main
from autotuner_cli.progress import Progress


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region, no credentials: a command that reached for AWS would fail with a different error."""
    for variable in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


def error_of(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(list(arguments)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", [["tune"], ["profile", "set"]])
def test_too_few_invocations_are_refused_with_the_contracts_minimum(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert error_of(capsys, *command, "orders", "--num", "3") == (
        "error: --num: must be at least 5 (got 3); fewer invocations cannot be trusted"
    )
    assert "must be at least 5 (got 0)" in error_of(capsys, *command, "orders", "--num", "0")
    assert "greater than" not in error_of(capsys, *command, "orders", "--num", "-1")


def test_every_problem_is_named_by_its_option(capsys: pytest.CaptureFixture[str]) -> None:
    error = error_of(capsys, "tune", "orders:live", "--num", "2", "--memory", "256,lots", "--alias", "other")
    assert error.startswith("error: --num: must be at least 5")
    assert "--memory" in error
    assert "--alias: 'other' differs from the alias in lambdaARN ('live')" in error


def test_a_bad_function_name_and_a_bad_execution_arn_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert "is not a Lambda function name or ARN" in error_of(capsys, "tune", "not a name!")
    assert "is not a Step Functions execution ARN" in error_of(capsys, "report", "arn:aws:states:nope")


def test_version_comes_from_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("autotuner ")
    assert printed.split()[1][0].isdigit() or "not installed" in printed


def events(*pairs: tuple[str, str]) -> list[HistoryEvent]:
    return [HistoryEvent(id=i, type=kind, state=state) for i, (kind, state) in enumerate(pairs, start=1)]


def test_a_plan_that_failed_is_shown_failed() -> None:
    history = events(
        ("TaskStateEntered", "Plan"),
        ("LambdaFunctionFailed", ""),
        ("TaskStateExited", "Plan"),
        ("TaskStateEntered", "CleanupAfterFailure"),
    )
    assert Progress.from_history(history).line() == "Plan ✗"


def test_states_that_completed_are_ticked() -> None:
    history = events(
        ("TaskStateEntered", "Plan"),
        ("LambdaFunctionFailed", ""),  # retried, then succeeded
        ("LambdaFunctionSucceeded", ""),
        ("TaskStateExited", "Plan"),
        ("TaskStateEntered", "Prepare"),
        ("TaskStateExited", "Prepare"),
        ("MapStateEntered", "Measure"),
    )
    assert Progress.from_history(history).line() == "Plan ✓  Prepare ✓"
