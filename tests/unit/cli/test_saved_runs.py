"""`autotuner report --from FILE` reads every shape the tools save a run in, offline, and refuses any other in one
line naming what it expected."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autotuner.domain.run.documents import CleanupReport
from autotuner.reports.failure import FailedRunReport
from autotuner_cli.main import main
from autotuner_cli.saved_runs import from_file
from tests.unit.reports import io_bound_output, tuned_output

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:lambda-autotuner-tuner:cli-orders-1"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region, no credentials: reading a file must not reach for AWS."""
    for variable in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable, raising=False)


def saved(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(content))
    return path


def failed_report() -> FailedRunReport:
    return FailedRunReport(
        execution=EXECUTION,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:orders",
        status="FAILED",
        error="ServiceException",
        cause="Internal error. Clean-up removed 1 aliases and 1 versions; read back afterwards, orders has 1024 MB.",
        started=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        cleanup=CleanupReport(deleted_aliases=["autotuner-512"], deleted_versions=["1"], final_memory_mb=1024,
                              complete=True),
    )  # fmt: skip


def test_a_runs_output_and_the_demos_results(tmp_path: Path) -> None:
    output = io_bound_output()
    one = from_file(saved(tmp_path, output.model_dump(mode="json")))
    assert one.succeeded == [("orders-api", output)]
    assert one.failed == []
    demo = {"orders-api": output.model_dump(mode="json"), "image-resize": tuned_output().model_dump(mode="json")}
    assert [name for name, _ in from_file(saved(tmp_path, demo)).succeeded] == ["orders-api", "image-resize"]


def test_a_failed_runs_report_and_an_execution_as_the_aws_cli_describes_it(tmp_path: Path) -> None:
    report = failed_report()
    assert from_file(saved(tmp_path, report.model_dump(mode="json"))).failed == [report]
    described = {
        "executionArn": EXECUTION, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:t",
        "name": "cli-orders-1", "status": "FAILED", "startDate": "2026-12-01T10:00:00.000000+00:00",
        "stopDate": "2026-12-01T10:01:00.000000+00:00", "input": json.dumps({"lambdaARN": report.function_arn}),
        "error": "ServiceException", "cause": "Internal error.",
    }  # fmt: skip
    (failure,) = from_file(saved(tmp_path, described)).failed
    assert (failure.function_arn, failure.error, failure.cleanup) == (report.function_arn, "ServiceException", None)
    succeeded = described | {"status": "SUCCEEDED", "output": io_bound_output().model_dump_json()}
    assert from_file(saved(tmp_path, succeeded)).succeeded[0][0] == "orders-api"


def test_the_report_of_a_saved_output_is_written_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved(tmp_path, io_bound_output().model_dump(mode="json"))
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    assert main(["report", "--from", str(path), "--html", str(html), "--png", str(png)]) == 0
    assert "orders-api" in html.read_text()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert f"Wrote {html}" in capsys.readouterr().out


def test_a_failed_runs_report_says_what_failed_and_exits_as_the_run_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(tmp_path, failed_report().model_dump(mode="json"))
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    assert main(["report", "--from", str(path), "--html", str(html), "--png", str(png)]) == 1
    out, err = capsys.readouterr()
    assert "Clean-up deleted aliases: autotuner-512; versions: 1." in out
    assert "No chart written" in out
    assert not png.exists()
    assert err.startswith("error: the run cli-orders-1 failed: ServiceException: Internal error.")
    assert "What clean-up did" in html.read_text()


@pytest.mark.parametrize(
    ("content", "problem"),
    [([1, 2], "expected a JSON object"), ({"power": 512}, "no functionArn"), ({"functionArn": "x"}, "power:")],
)
def test_any_other_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, problem: str
) -> None:
    path = saved(tmp_path, content)
    assert main(["report", "--from", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --from {path}: not a run's output, the demo's results, a failed run's report")
    assert problem in err
    assert len(err.splitlines()) == 1
