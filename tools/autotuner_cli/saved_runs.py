"""Runs as `autotuner report` reads them: a live execution, or a file saved earlier, in any of the shapes the
tools write: a run's output (`tune --json`, `report --json`), the demo's results (function name -> output), a
failed run's report (`report --json` of a failed run), or an execution as `aws stepfunctions describe-execution`
prints it."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autotuner.adapters.executions import Execution, Executions, described_execution
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.run.documents import CleanupReport
from autotuner.domain.run.output import TuningOutput
from autotuner.reports.failure import FAILED_RUN, FailedRunReport
from autotuner_cli.files import read_json

CLEANUP_STATE = "CleanupAfterFailure"  # tuner.asl.json's clean-up on the failure path (ResultPath $.cleanup)


@dataclass
class SavedRuns:
    """What a report shows: succeeded runs (function name, output) and failed ones."""

    succeeded: list[tuple[str, TuningOutput]] = field(default_factory=list)
    failed: list[FailedRunReport] = field(default_factory=list)


def from_execution(executions: Executions, execution: Execution) -> SavedRuns:
    if execution.status == "SUCCEEDED" and execution.output is not None:
        output = TuningOutput.model_validate(execution.output)
        return SavedRuns(succeeded=[(parse_function_arn(output.function_arn).name, output)])
    return SavedRuns(failed=[failed_run(execution, _cleanup_of(executions, execution.arn))])


def failed_run(execution: Execution, cleanup: CleanupReport | None) -> FailedRunReport:
    lambda_arn = (execution.input or {}).get("lambdaARN")
    return FailedRunReport(
        execution=execution.arn,
        function_arn=lambda_arn if isinstance(lambda_arn, str) else None,
        status=execution.status,
        error=execution.error,
        cause=execution.cause,
        started=execution.started,
        stopped=execution.stopped,
        cleanup=cleanup,
    )


def _cleanup_of(executions: Executions, execution_arn: str) -> CleanupReport | None:
    """What the failure path's clean-up reported (its state's output), if it ran and finished."""
    reports = [
        event.output["cleanup"]
        for event in executions.history(execution_arn)
        if event.type.endswith("StateExited") and event.state == CLEANUP_STATE and event.output
        if isinstance(event.output.get("cleanup"), dict)
    ]
    return CleanupReport.model_validate(reports[-1]) if reports else None


def from_file(path: Path) -> SavedRuns:
    """The runs a saved file holds; a file of no known shape is refused naming what it expected."""
    loaded = read_json(path, "--from")
    try:
        return _read(loaded)
    except (ValidationError, ValueError) as error:
        first = error.errors()[0] if isinstance(error, ValidationError) else None
        problem = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else str(error)
        raise ValueError(
            f"--from {path}: not a run's output, the demo's results, a failed run's report or a described "
            f"execution ({problem})"
        ) from None


def _read(loaded: Any) -> SavedRuns:
    if not isinstance(loaded, dict) or not loaded:
        raise ValueError("expected a JSON object")
    if loaded.get("kind") == FAILED_RUN:
        return SavedRuns(failed=[FailedRunReport.model_validate(loaded)])
    if "executionArn" in loaded and "status" in loaded:
        return _described(loaded)
    if "functionArn" in loaded:
        output = TuningOutput.model_validate(loaded)
        return SavedRuns(succeeded=[(parse_function_arn(output.function_arn).name, output)])
    if all(isinstance(value, dict) for value in loaded.values()):  # the demo's results: name -> output
        return SavedRuns(succeeded=[(str(name), TuningOutput.model_validate(o)) for name, o in loaded.items()])
    raise ValueError("no functionArn")


def _described(described: dict[str, Any]) -> SavedRuns:
    """An execution as the AWS CLI describes it; its history, with clean-up's report, is not in the file."""
    execution = described_execution(described)
    if execution.status == "SUCCEEDED" and execution.output is not None:
        output = TuningOutput.model_validate(execution.output)
        return SavedRuns(succeeded=[(parse_function_arn(output.function_arn).name, output)])
    return SavedRuns(failed=[failed_run(execution, None)])
