"""The `autotuner` command against a local emulator with the application deployed in it (moto's server on a
loopback port; the CLI talks to it through AWS_ENDPOINT_URL exactly as it talks to AWS)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import boto3
import pytest
from moto.awslambda.exceptions import LambdaClientError

from autotuner.adapters.clients import forget_clients
from autotuner.domain.costs.money import usd
from autotuner_cli.main import main
from autotuner_local.emulator import LocalAws, local_aws
from autotuner_local.targets import create_target, record_traffic
from tests.demo_output import demo_results
from tests.emulator import failing

pytestmark = pytest.mark.slow

HANG_GUARD_S = 900  # a stuck demo fails instead of hanging CI; not a speed target (a loaded machine takes minutes)


@pytest.fixture
def local() -> Iterator[LocalAws]:
    with local_aws(seed=3) as aws:
        create_target(boto3.client("lambda"), boto3.client("iam"), "resize", "cpu-single-thread", description="build 7")
        yield aws


def run(*arguments: str) -> int:
    return main(list(arguments))


def test_tune_follows_the_run_and_prints_the_result(local: LocalAws, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("tune", "resize", "--num", "5", "--memory", "256,512,1769", "--apply") == 0
    out = capsys.readouterr().out
    assert "Started arn:aws:states:" in out
    assert "Measure 20/20 ✓" in out  # three sizes and the current 1024 MB, five invocations each
    assert "Applied " in out
    assert "This run cost $" in out
    memory = boto3.client("lambda").get_function_configuration(FunctionName="resize")["MemorySize"]
    assert str(memory) in out.split("Applied ")[1].split(" MB")[0]


def test_report_history_and_profiles(local: LocalAws, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run("tune", "resize", "--num", "5", "--memory", "512") == 0
    execution = capsys.readouterr().out.split("Started ")[1].split()[0]

    html, png = tmp_path / "r.html", tmp_path / "r.png"
    assert run("report", execution, "--html", str(html), "--png", str(png)) == 0
    assert f"Wrote {html}" in capsys.readouterr().out
    HTMLParser().feed(html.read_text())
    assert "<svg" in html.read_text()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert run("report", execution, "--json") == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "recommended"

    assert run("history", "resize") == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["Started", "Status", "Trigger", "Memory", "Saves", "/M", "Run"]
    assert "succeeded  manual" in rows[1]

    assert run("profile", "show", "resize") == 0
    shown = capsys.readouterr().out
    assert "has no stored tuning profile" in shown  # a run stores its input only when asked
    assert "Last successful run: " in shown
    assert run("profile", "set", "resize", "--num", "8", "--memory", "256,1024", "--strategy", "speed") == 0
    assert run("profile", "show", "resize") == 0
    shown = capsys.readouterr().out
    assert " UTC by autotuner profile set):" in shown
    assert '"strategy": "speed"' in shown
    assert '"powerValues": [\n    256,\n    1024\n  ]' in shown  # numbers, as a run's input holds them

    assert run("tune", "resize", "--num", "5", "--memory", "512", "--payload", '{"id": 3}', "--save-profile") == 0
    execution = capsys.readouterr().out.split("Started ")[1].split()[0]
    assert run("profile", "show", "resize") == 0
    shown = capsys.readouterr().out
    assert f"by input saveProfile of execution {execution}):" in shown
    assert '"payload": {\n    "id": 3\n  }' in shown  # asked for: the input as given


def test_a_failed_run_exits_non_zero_with_its_cause(local: LocalAws, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("tune", "resize", "--payload", '{"fail": "click http://evil.example/ to fix"}') == 1
    out, err = capsys.readouterr()
    assert "Plan ✗" in out
    assert "Plan ✓" not in out
    assert err.startswith("error: the run cli-resize-")
    assert (
        "failed: InvalidInputError: invalid input: payload: the function at its current configuration raised "
        "ValueError; the function's messages and logs are in log group /aws/lambda/resize, request "
    ) in err
    assert "evil" not in out + err, "the target's own words stay in its log"


def test_a_failed_runs_report_says_what_failed_and_what_clean_up_did(
    local: LocalAws, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    internal_error = lambda: LambdaClientError("ServiceException", "internal error")  # noqa: E731
    with failing("publish_version", internal_error, times=99, after=1):  # Prepare published one version, then failed
        assert run("tune", "resize", "--num", "5", "--memory", "256,512") == 1
    execution = capsys.readouterr().out.split("Started ")[1].split()[0]

    assert run("report", execution, "--json") == 1
    out, err = capsys.readouterr()
    failure = json.loads(out)
    assert (failure["kind"], failure["status"], failure["error"]) == ("failed-run", "FAILED", "AwsError")
    assert "internal error" in failure["cause"]
    cleanup = failure["cleanup"]
    assert cleanup["complete"]
    assert cleanup["deletedVersions"] == ["1"]  # what Prepare had made, undone
    assert cleanup["finalMemoryMb"] == 1024
    assert err.startswith(f"error: the run {execution.rsplit(':', 1)[1]} failed: AwsError")

    saved, html = tmp_path / "failed.json", tmp_path / "failed.html"
    saved.write_text(out)
    assert run("report", "--from", str(saved), "--html", str(html)) == 1  # offline, from what was saved
    assert "Clean-up deleted aliases: " in capsys.readouterr().out
    page = html.read_text()
    HTMLParser().feed(page)
    assert "What failed" in page
    assert "Read back afterwards: 1024 MB." in page


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_errors_a_person_can_act_on(
    local: LocalAws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("tune", "ghost") == 2
    error = one_line_error(capsys)
    assert "function ghost: not found" in error
    assert error.endswith("check the function name and --region")

    for arguments in (["tune", "resize", "--alias", "nope"], ["profile", "set", "resize:nope"]):
        assert run(*arguments) == 2
        assert "alias 'nope' of function resize: not found" in one_line_error(capsys)
    assert not boto3.client("stepfunctions").list_executions(stateMachineArn=local.stack.state_machine_arn)[
        "executions"
    ]  # nothing was started

    unknown = local.stack.state_machine_arn.replace(":stateMachine:", ":execution:") + ":cli-resize-gone"
    assert run("report", unknown) == 2
    assert "ExecutionDoesNotExist" in (error := one_line_error(capsys))
    assert error.endswith("check the ARN and the region (`autotuner history FUNCTION` lists the runs)")

    assert run("tune", "resize", "--stack-name", "nope") == 2
    assert "stack 'nope' not found in this region; deploy it with `sam deploy --guided`" in one_line_error(capsys)

    with failing("get_function", _access_denied, times=1):
        assert run("tune", "resize") == 2
    assert "access denied" in one_line_error(capsys)

    # Without the emulator's endpoint, as on a machine that was never set up for AWS: both errors come before
    # any request is sent.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    forget_clients()
    assert run("history", "resize") == 2
    assert one_line_error(capsys) == "error: no AWS region set: pass --region or set AWS_REGION"

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    forget_clients()
    assert run("history", "resize") == 2
    assert "no AWS credentials found: run `aws configure`" in one_line_error(capsys)


def _access_denied() -> Exception:
    error = LambdaClientError(
        "AccessDeniedException", "User is not authorized to perform lambda:GetFunctionConfiguration"
    )
    error.code = 403
    return error


def test_the_demo_runs_end_to_end_as_a_command(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-m", "autotuner_cli.main", "demo", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=HANG_GUARD_S, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    results = demo_results(result.stdout, tmp_path)
    # The demo's results render again offline (no endpoint, no region: the environment above has none).
    html, png = tmp_path / "again.html", tmp_path / "again.png"
    assert main(["report", "--from", str(tmp_path / "autotuner-demo-results.json"), "--html", str(html),
                 "--png", str(png)]) == 0  # fmt: skip
    assert html.read_text().count("<svg") == len(results)
    assert all((tmp_path / f"again-{name}.png").read_bytes().startswith(b"\x89PNG") for name in results)
    report = (tmp_path / "autotuner-demo-report.html").read_text()
    savings = report.split('<table class="savings">')[1].split("</table>")[0]
    assert savings.count("<tr>") == 1 + 6  # the header and a row a target: each run applied its choice
    assert "orders-api</td><td>1024 → 256 MB" in savings
    assert "25,000,000" in savings  # the emulated traffic, read back from the emulator's CloudWatch
    # What the emulated workloads' model predicts:
    assert results["image-resize"]["power"] <= 1769  # single-threaded: no gain past one vCPU
    cost = {c["memoryMb"]: c["cost"]["trimmedMean"] for c in results["image-resize"]["candidates"] if c["cost"]}
    assert max(cost[m] for m in (128, 512, 1024, 1769)) < min(cost[m] for m in (128, 512, 1024, 1769)) * 1.1  # flat
    assert cost[3008] > cost[1769] * 1.3  # rising past one vCPU
    assert cost[10240] > cost[3008]
    assert results["orders-api"]["power"] == 256  # I/O-bound: the smallest size that does not run out of memory
    assert 768 <= results["ml-inference"]["power"] <= 1769  # nothing below its memory floor
    excluded = {e["memoryMb"]: e["reason"] for e in results["ml-inference"]["decision"]["excluded"]}
    assert set(excluded) == {128, 256, 512, 768}
    assert excluded[768].startswith("memory margin: ")  # 700 of its 768 MB used
    adaptive = results["ml-inference-adaptive"]
    assert adaptive["search"]["mode"] == "adaptive"
    assert 768 <= adaptive["power"] <= 1769
    curve = adaptive["search"]["curve"]
    assert min(curve["fittedSizes"]) >= 768  # fitted above the memory floor only
    assert curve["lowestMb"] >= 778  # priced from where 10% of memory is free over the 700 MB a call uses
    assert curve["optimumMb"] in {p["memoryMb"] for p in curve["points"]}
    assert adaptive["stateMachine"]["invocations"] < results["ml-inference"]["stateMachine"]["invocations"] / 2
    payments = results["payments"]  # tuned on its production traffic: the tuner invoked it not once
    assert payments["traffic"]["statement"].startswith("Measured on production traffic: the tuner invoked nothing")
    assert payments["stateMachine"]["invocations"] == 0
    assert "Measured on production traffic" in report


def test_savings_are_each_applied_runs_measured_saving_times_the_real_invocations(
    local: LocalAws, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run("savings") == 0
    assert "No applied runs among the last 100" in capsys.readouterr().out

    assert run("tune", "resize", "--num", "5", "--memory", "256,512,1769", "--apply") == 0
    tuned = capsys.readouterr().out
    assert "Per month: unknown: CloudWatch has no Invocations of the function" in tuned  # Notify read: none yet
    execution = tuned.split("Started ")[1].split()[0]
    assert run("savings") == 0
    unknown = capsys.readouterr().out.splitlines()
    assert unknown[1].split()[-4:-1] == ["none", "recorded", "unknown"]  # no Invocations yet: not "$0"
    assert "the monthly saving is unknown and not in the total" in unknown[-1]
    assert unknown[2].split()[-2] == "unknown"  # the total: nothing known to add up
    assert run("report", execution, "--json") == 0
    output = json.loads(capsys.readouterr().out)
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[{"MetricName": "Invocations", "Dimensions": [{"Name": "FunctionName", "Value": "resize"}],
                     "Timestamp": datetime.now(UTC) - timedelta(minutes=5), "Value": 2_500_000, "Unit": "Count"}],
    )  # fmt: skip

    assert run("savings") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("  ")[0] == "Function"
    row, total = lines[1].split(), lines[2].split()
    saving = output["savings"]["savingsPerMillion"] / 1e6
    before, after = output["applied"]["previousMemoryMb"], output["applied"]["memoryMb"]
    assert row[:5] == ["resize", str(before), "→", str(after), "MB"]
    assert row[6:] == [usd(saving), "2,500,000", usd(saving * 2_500_000), usd(output["stateMachine"]["totalCost"])]
    assert total == ["Total", "1", usd(saving * 2_500_000), usd(output["stateMachine"]["totalCost"])]
    assert "Invocations of the last 30 days (CloudWatch AWS/Lambda" in lines[3]

    html = tmp_path / "report.html"
    assert run("report", execution, "--html", str(html)) == 0
    page = html.read_text()
    section = page.split('<section class="savings" id="savings">')[1].split("</section>")[0]
    cells = [cell.rsplit(">", 1)[1] for cell in section.split("</td>")[:-1]]  # what each <td> holds
    assert cells[:7] == ["resize", f"{before} → {after} MB", "1", *row[6:]]  # the row `savings` printed


def test_advise_prints_the_last_runs_advice_without_a_new_run(
    local: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("advise", "resize") == 0
    assert "No successful run of arn:aws:lambda:" in capsys.readouterr().out
    assert run("tune", "resize", "--num", "5", "--memory", "512,1769") == 0
    execution = capsys.readouterr().out.split("Started ")[1].split()[0]
    state_machine = execution.rsplit(":", 1)[0].replace(":execution:", ":stateMachine:")
    started = boto3.client("stepfunctions").list_executions(stateMachineArn=state_machine)["executions"]

    assert run("advise", "resize") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Advice of the run of ")
    assert f"({execution.rsplit(':', 1)[1]}), at " in lines[0]
    assert "with the function's traffic and concurrency read now" in lines[0]
    (timeout,) = [line for line in lines if line.startswith("Timeout: ")]
    assert "The current 30 s" in timeout
    assert not any(line.startswith("Concurrency: ") for line in lines), "no traffic in CloudWatch yet"
    assert any("no Invocations of the function in the last 14 days" in line for line in lines)

    # Traffic arrives after the run: advise reads it now, with no new run.
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=2)
    record_traffic(boto3.client("cloudwatch"), "resize", [(start + timedelta(minutes=5 * i), 30, 3) for i in range(96)])
    assert run("advise", "resize", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["execution"] == execution
    assert shown["advice"]["timeout"]["currentS"] == 30
    assert shown["advice"]["concurrency"]["invocations"] == 96 * 30
    assert boto3.client("stepfunctions").list_executions(stateMachineArn=state_machine)["executions"] == started
