"""The CLI refuses what the workflow would refuse, in the workflow's words and the CLI's option names, before
it makes any AWS call; numbers stay numbers; a failed state shows as failed."""

import argparse
import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel

import autotuner_cli.demo
import autotuner_cli.local
from autotuner.adapters.executions import HistoryEvent
from autotuner.domain.inputs.tuning_input import SearchMode, TuningInput, parse_tuning_input
from autotuner_cli.input_options import FLATTENED, GivenInput, given_input
from autotuner_cli.main import aws_environment, build_parser, main
from autotuner_cli.progress import Progress


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region, no credentials: a command that reached for AWS would fail with a different error."""
    for variable in (
        "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_PROFILE", "AWS_ENDPOINT_URL",
    ):  # fmt: skip
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


def test_a_round_of_one_task_shows_as_prepare_and_measure() -> None:
    history = events(
        ("TaskStateEntered", "Plan"),
        ("TaskStateExited", "Plan"),
        ("TaskStateEntered", "PrepareForOneTask"),
        ("TaskStateExited", "PrepareForOneTask"),
        ("TaskStateEntered", "MeasureOneTask"),
        ("TaskStateExited", "MeasureOneTask"),
        ("TaskStateEntered", "CleanupAfterFailure"),
    )
    assert Progress.from_history(history).line() == "Plan ✓  Prepare ✓  Measure 0/0 ✗"


def given(*arguments: str) -> GivenInput:
    return given_input(build_parser().parse_args(list(arguments)))


def options_of(command: str) -> set[str]:
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {option for action in subparsers.choices[command]._actions for option in action.option_strings}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def test_every_field_of_the_input_is_an_option_derived_from_the_model() -> None:
    """A field added to TuningInput (or to one of its objects) gets an option without being listed."""
    options = options_of("tune")
    for name, field in TuningInput.model_fields.items():
        if name == "lambda_arn":
            continue  # the command's FUNCTION
        assert flag(name) in options, name
        nested = field.annotation if isinstance(field.annotation, type) else _model_in(field.annotation)
        if nested is not None and issubclass(nested, BaseModel):
            prefix = "" if name in FLATTENED else f"{name}_"
            assert {flag(prefix + child) for child in nested.model_fields} <= options, name


def _model_in(annotation: object) -> type | None:
    return next((a for a in getattr(annotation, "__args__", ()) if isinstance(a, type) and a is not type(None)), None)


def test_only_what_the_user_gave_is_sent_so_the_state_machine_chooses_the_adaptive_search() -> None:
    assert given("tune", "orders").values == {}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    assert parse_tuning_input({"lambdaARN": arn, **given("tune", "orders").values}).search is SearchMode.ADAPTIVE
    swept = given("tune", "orders", "--num", "7")
    assert swept.values == {"num": 7}
    assert parse_tuning_input({"lambdaARN": arn, **swept.values}).search is SearchMode.SWEEP


def test_flags_of_every_kind_make_the_inputs_fields() -> None:
    values = given(
        "tune", "orders", "--memory", "256,512", "--dry-run", "--no-include-current", "--strategy", "balanced",
        "--balanced-weight", "0.3", "--allowed-exceptions", "Timeout, Throttled", "--payload", '{"id": 1}',
        "--max-p95-duration-ms", "800", "--canary", "--canary-weight", "0.2", "--adaptive", "--budget", "0.5",
    ).values  # fmt: skip
    assert values == {
        "powerValues": [256, 512],
        "dryRun": True,
        "includeCurrent": False,
        "strategy": "balanced",
        "balancedWeight": 0.3,
        "allowedExceptions": ["Timeout", "Throttled"],
        "payload": {"id": 1},
        "constraints": {"maxP95DurationMs": 800.0},
        "canary": {"weight": 0.2},
        "search": "adaptive",
        "budgetUsd": 0.5,
    }


def test_flags_override_the_input_file_field_by_field(tmp_path: Path) -> None:
    file = tmp_path / "input.json"
    file.write_text(json.dumps({"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:other", "num": 20,
                                "autoOptimize": True, "constraints": {"maxP95DurationMs": 800}}))  # fmt: skip
    read = given("tune", "orders", "--input", str(file), "--num", "8", "--no-apply", "--max-slowdown", "1.5")
    assert read.values == {
        "num": 8,
        "autoOptimize": False,
        "constraints": {"maxP95DurationMs": 800, "maxSlowdown": 1.5},
    }
    assert read.option_of["num"] == "--num"
    assert read.option_of["autoOptimize"] == "--no-apply"  # the option typed, not its other name


def test_a_problem_names_the_option_typed_or_the_files_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "--power-values (powerValues[0])" in error_of(capsys, "tune", "orders", "--power-values", "lots")
    assert error_of(capsys, "tune", "orders", "--max-slowdown", "0.5").startswith("error: --max-slowdown: ")
    file = tmp_path / "input.json"
    file.write_text(json.dumps({"num": 2}))
    assert error_of(capsys, "tune", "orders", "--input", str(file)).startswith(
        f"error: {file}: num: must be at least 5"
    )
    file.write_text("[1]")
    assert error_of(capsys, "tune", "orders", "--input", str(file)) == (
        f"error: --input {file}: expected a JSON object (the state machine's input)"
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["demo", "--num", "2"], "error: argument --num: must be from 5 to 1000 (got 2)"),
        (["demo", "--out", "/proc/nope"], "error: --out /proc/nope: cannot write there"),
        (["tune", "orders", "--num", "x"], "error: argument --num: invalid int value: 'x'"),
        (["tune", "orders", "--payload", "{"], "error: argument --payload: --payload is not JSON"),
        (["local", "--port", "70000"], "error: argument --port: must be from 0 to 65535 (got 70000)"),
        (["report"], "error: give the run's execution ARN, or --from FILE"),
        (["report", "arn:x", "--from", "run.json"], "error: give the run's execution ARN or --from FILE, not both"),
    ],
)
def test_argument_errors_are_one_line_and_come_before_anything_runs(
    arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def emulator_started(**_: object) -> None:
        raise AssertionError("the emulator was started before the arguments were checked")

    monkeypatch.setattr(autotuner_cli.demo, "local_aws", emulator_started)
    monkeypatch.setattr(autotuner_cli.local, "local_aws", emulator_started)
    try:
        code = main(arguments)
    except SystemExit as exited:  # argparse's own errors
        code = int(exited.code or 0)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(expected), err
    assert len(err.splitlines()) == 1, err


def test_aws_region_is_read_as_boto3_reads_aws_default_region(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert "no AWS credentials found" in error_of(capsys, "history", "orders")  # not "no AWS region set"


def test_account_options_hold_for_the_command_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    arguments = build_parser().parse_args(
        ["history", "orders", "--profile", "ops", "--endpoint-url", "http://127.0.0.1:4566"]
    )
    with aws_environment(arguments):
        assert os.environ["AWS_PROFILE"] == "ops"
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert {"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"}.isdisjoint(os.environ)


def measure_task(*batches: tuple[int, int, int]) -> dict[str, object]:
    """A Measure task's output: (memory, attempted, failed) per batch."""
    summaries = [
        {"key": f"k{memory}", "memoryMb": memory, "attempted": attempted, "failed": failed, "elapsedMs": 1.0}
        for memory, attempted, failed in batches
    ]
    return {"batches": summaries, "elapsedMs": 1.0}


def test_a_measure_that_skipped_or_failed_calls_says_how_many() -> None:
    planned = {"round": {"batches": []}, "analysis": {"rounds": 1, "complete": False}}
    history = [
        HistoryEvent(id=1, type="TaskStateEntered", state="Plan"),
        HistoryEvent(id=2, type="LambdaFunctionSucceeded", state="", output=planned),
        HistoryEvent(id=3, type="TaskStateExited", state="Plan"),
        HistoryEvent(id=4, type="MapStateEntered", state="Measure"),
        HistoryEvent(id=5, type="LambdaFunctionSucceeded", state="", output=measure_task((256, 2, 1), (512, 10, 0))),
        HistoryEvent(id=6, type="MapStateExited", state="Measure"),
        HistoryEvent(id=7, type="TaskStateEntered", state="Analyze"),
    ]
    progress = Progress.from_history(history)
    progress.planned_invocations = 20  # ten calls a size were planned; 256 MB stopped at its failed second call
    assert progress.line() == "Plan ✓  Measure 12/20 ✓ (8 skipped, 1 failed)"
    progress.failed_invocations = 0
    progress.planned_invocations = 12
    assert progress.line() == "Plan ✓  Measure 12/12 ✓"
    running = Progress.from_history(history[:5])
    running.planned_invocations = 20
    assert running.line() == "Plan ✓  Measure 12/20"


def test_a_traffic_run_shows_its_candidate_and_the_production_calls_it_has() -> None:
    window = {"number": 2, "memoryMb": 512, "candidate": {"calls": 17}}
    routed = {"verdict": "watching", "window": window | {"candidate": {"calls": 0}}}
    checked = {"plan": {}, "trafficCheck": {"verdict": "watching", "window": window}}
    history = [
        HistoryEvent(id=1, type="TaskStateEntered", state="Plan"),
        HistoryEvent(id=2, type="TaskStateExited", state="Plan"),
        HistoryEvent(id=3, type="TaskStateEntered", state="RouteCandidate"),
        HistoryEvent(id=4, type="LambdaFunctionSucceeded", state="", output=routed),
    ]
    assert Progress.from_history(history).line() == "Plan ✓  Candidate 2: 512 MB, 0 production calls"
    history.append(HistoryEvent(id=5, type="LambdaFunctionSucceeded", state="", output=checked))
    assert Progress.from_history(history).line() == "Plan ✓  Candidate 2: 512 MB, 17 production calls"


def test_the_demo_tunes_only_the_functions_named_and_refuses_one_it_does_not_have(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert build_parser().parse_args(["demo", "--only", "orders-api, payments"]).only == ["orders-api", "payments"]
    with pytest.raises(SystemExit) as refused:
        build_parser().parse_args(["demo", "--only", "orders-api,billing"])
    assert refused.value.code == 2
    assert "billing: the demo's functions are image-resize, video-transcode" in capsys.readouterr().err
