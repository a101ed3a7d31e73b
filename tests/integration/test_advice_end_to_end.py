"""The issue's advice cases, through the real workflow in the emulator: an architecture-neutral function measured on
both architectures (its $LATEST put back byte for byte), one shipping an x86 extension module refused by name, a
60 s timeout over a sub-second function, and a function whose calls often start cold."""

import base64
import io
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from unittest import mock

import boto3
import pytest
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend

from autotuner.domain.costs.money import usd
from autotuner.domain.run.output import TuningOutput
from autotuner.reports.html import render_html
from autotuner_local.events import deliver_status_change
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy
from autotuner_local.targets import record_traffic
from tests.emulator import MakeTarget, failing, notifications, results_queue, run_tuning, target_state

pytestmark = pytest.mark.slow

SIZES = [512, 1024, 1769]
BOTH = ["arm64", "x86_64"]
X86_EXTENSION = "lib/_filters.cpython-313-x86_64-linux-gnu.so"


def latest(name: str) -> tuple[str, list[Any], bytes]:
    """$LATEST's CodeSha256, architectures and package bytes, as Lambda serves them."""
    client = boto3.client("lambda")
    configuration = client.get_function_configuration(FunctionName=name)
    return configuration["CodeSha256"], configuration["Architectures"], _package(name)


def _package(name: str) -> bytes:
    location = boto3.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=10) as response:  # the emulator's loopback server
        body: bytes = response.read()
    return body


def package_with(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def elf(machine: int) -> bytes:
    """A 64-bit little-endian ELF shared object's header, for ``machine`` (62: x86_64, 183: arm64)."""
    return (
        b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)
    )


@pytest.fixture
def stack(runtime: InProcessRuntime) -> LocalStack:
    """A deployment that may upload a target's code again for the other architecture (off by default)."""
    return deploy(parameters={"AllowArchitectureSwitch": "true"})


def advice_lines(message: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("Advice, ")]


def test_arm64_is_measured_and_reported_without_apply_architecture_and_latest_is_put_back(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The arch-neutral workload runs 25% faster on arm64, which costs 20% less per GB-second."""
    arn = make_target("filters", "arch-neutral", memory_mb=1024)
    before = latest("filters")
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": SIZES, "architectures": ["arm64", "x86_64"]})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["architectureChoice"]["chosen"] == "arm64"
    advice = output["advice"]["architecture"]
    assert (advice["current"], advice["recommended"], advice["change"], advice["applied"]) == (
        "x86_64", "arm64", True, False
    )  # fmt: skip
    assert 0.2 < advice["savingShare"] < 0.6, advice["savingShare"]
    assert "applyArchitecture" in advice["why"]
    assert latest("filters") == before, "$LATEST's code and architecture are put back byte for byte"
    state = target_state("filters")
    assert (state.memory_mb, state.versions, state.aliases) == (1024, ["$LATEST"], {})
    (message,) = notifications(queue)
    (line,) = [line for line in advice_lines(message["Message"]) if line.startswith("Advice, architecture: ")]
    assert f"{advice['savingPerMillion']:.2f} per million" in line


def test_arm64_is_applied_with_apply_architecture_on_the_same_code(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("filters", "arch-neutral", memory_mb=1024)
    code_before = latest("filters")[2]

    run = run_tuning(
        stack,
        {"lambdaARN": arn, "num": 10, "powerValues": SIZES, "architectures": ["arm64", "x86_64"],
         "applyArchitecture": True, "autoOptimize": True},
    )  # fmt: skip

    assert run.status == "SUCCEEDED", run.cause
    assert run.output["outcome"] == "applied"
    assert run.output["applied"]["architecture"] == "arm64"
    assert run.output["advice"]["architecture"]["applied"] is True
    _, architectures, code = latest("filters")
    assert (architectures, code) == (["arm64"], code_before), "the same package, uploaded for arm64"
    state = target_state("filters")
    assert (state.memory_mb, state.versions, state.aliases) == (run.output["power"], ["$LATEST"], {})


def test_latest_is_put_back_by_the_janitor_when_the_run_could_not(stack: LocalStack, make_target: MakeTarget) -> None:
    """Uploading the code back fails for the rest of the run: the run fails, and once Lambda answers again the
    janitor (which EventBridge starts when the execution ends) puts $LATEST back from the run record."""
    arn = make_target("unswitchable", "arch-neutral", memory_mb=1024)
    before = latest("unswitchable")
    down = lambda: LambdaClientError("ServiceException", "down")  # noqa: E731
    with failing("update_function_code", down, times=999, after=1):  # the upload for arm64 works, no other
        run = run_tuning(
            stack, {"lambdaARN": arn, "num": 5, "powerValues": SIZES, "architectures": ["arm64", "x86_64"]}
        )
    assert run.status == "FAILED"
    assert latest("unswitchable")[1] == ["arm64"]

    deliver_status_change(stack, run.arn)

    assert latest("unswitchable") == before
    state = target_state("unswitchable")
    assert (state.memory_mb, state.versions, state.aliases) == (1024, ["$LATEST"], {})


@contextmanager
def another_deployment(package: bytes, *, before_the_tuners_upload: bool) -> Iterator[None]:
    """Someone deploys ``package`` to $LATEST (UpdateFunctionCode without an architecture) just before, or just
    after, the tuner's first upload of the code for the other architecture."""
    upload = LambdaBackend.update_function_code
    calls = [0]

    def deploy_too(backend: LambdaBackend, name: str, qualifier: str, body: dict[str, Any]) -> Any:
        calls[0] += 1
        deployment = {"ZipFile": base64.b64encode(package).decode()}
        if calls[0] == 1 and before_the_tuners_upload:
            upload(backend, name, qualifier, deployment)
        result = upload(backend, name, qualifier, body)
        if calls[0] == 1 and not before_the_tuners_upload:
            upload(backend, name, qualifier, deployment)
        return result

    with mock.patch.object(LambdaBackend, "update_function_code", deploy_too):
        yield


@pytest.mark.parametrize("before", [True, False], ids=["before the tuner's upload", "while $LATEST is switched"])
def test_code_another_deployment_puts_on_latest_mid_run_is_never_overwritten(
    stack: LocalStack, make_target: MakeTarget, before: bool
) -> None:
    """Before: the tuner's upload names the revision it read, so Lambda refuses it. After: the tuner finds other
    bytes than it uploaded. Either way the run stops, says so, and leaves the other deployment's code alone."""
    arn = make_target("shared", "arch-neutral", memory_mb=1024)
    (original_architecture,) = latest("shared")[1]
    release = package_with({"release.txt": b"release 2"})

    with another_deployment(release, before_the_tuners_upload=before):
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": SIZES, "architectures": BOTH})
    deliver_status_change(stack, run.arn)

    assert (run.status, run.error) == ("FAILED", "CodeChangedError")
    assert "another deployment changed it" in str(run.cause)
    assert "$LATEST's code was left as another deployment made it; read back:" in str(run.cause)
    _, architectures, code = latest("shared")
    assert code == release, "the other deployment's code is still $LATEST's"
    switched = "arm64" if original_architecture == "x86_64" else "x86_64"
    assert architectures == [original_architecture if before else switched], "left as that deployment made it"
    state = target_state("shared")
    assert (state.memory_mb, state.versions, state.aliases) == (1024, ["$LATEST"], {})


def test_a_function_shipping_an_x86_extension_is_refused_arm64_by_name(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    code = package_with({X86_EXTENSION: elf(62)})
    arn = make_target("native", "arch-neutral", memory_mb=1024, code=code)
    before = latest("native")

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": SIZES, "architectures": ["arm64", "x86_64"]})

    assert run.status == "SUCCEEDED", run.cause
    (refusal,) = run.output["advice"]["architecture"]["refused"]
    assert refusal["architecture"] == "arm64"
    (reason,) = refusal["reasons"]
    assert reason.startswith(f"{X86_EXTENSION} is a native binary built for x86_64"), reason
    assert {c["memoryMb"] for c in run.output["candidates"]} == set(SIZES), "measured on x86_64 only"
    assert latest("native") == before


def test_a_60_s_timeout_over_a_sub_second_function_gets_timeout_advice_with_its_figures(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("quick", "io-bound", memory_mb=1024, timeout_s=60)
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": SIZES})

    assert run.status == "SUCCEEDED", run.cause
    timeout = run.output["advice"]["timeout"]
    (chosen,) = [c for c in run.output["candidates"] if c["memoryMb"] == run.output["power"]]
    slowest = chosen["slowestDurationMs"]
    assert slowest < 1000
    assert (timeout["currentS"], timeout["change"], timeout["slowestMs"]) == (60, True, pytest.approx(slowest, abs=1))
    assert timeout["slowestMs"] * timeout["margin"] / 1000 <= timeout["recommendedS"] < 60
    assert timeout["hungCallUsdCurrent"] > 10 * timeout["hungCallUsdRecommended"]
    assert "The current 60 s" in timeout["why"]
    (message,) = notifications(queue)
    (line,) = [line for line in advice_lines(message["Message"]) if line.startswith("Advice, timeout: ")]
    assert f"Timeout: {timeout['recommendedS']} s" in line
    assert f"{slowest:,.0f} ms" in line


def bursts(hours: int) -> list[tuple[datetime, int, int]]:
    """A burst of 20 calls over 5 environments every other 5-minute period, idle between: each burst starts cold."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=hours)
    start -= timedelta(minutes=start.minute % 5)
    return [(start + timedelta(minutes=10 * i), 20, 5) for i in range(hours * 6)]


def test_a_high_cold_start_share_gets_concurrency_advice_with_a_monthly_figure(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("java-ish", "cold-start-heavy", memory_mb=1024)
    record_traffic(boto3.client("cloudwatch"), "java-ish", bursts(hours=48))
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": SIZES})

    assert run.status == "SUCCEEDED", run.cause
    concurrency: dict[str, Any] = run.output["advice"]["concurrency"]
    assert concurrency["invocations"] == 48 * 6 * 20
    assert concurrency["coldStartShare"] == pytest.approx(0.25)
    assert concurrency["initMs"] > 0
    assert concurrency["initUsdPerMonth"] > 0
    assert (concurrency["monthlyUsd"] or 0) > 0, concurrency["monthlyBasis"]
    (message,) = notifications(queue)
    (line,) = [line for line in advice_lines(message["Message"]) if line.startswith("Advice, concurrency: ")]
    assert f"Monthly figure: {usd(concurrency['monthlyUsd'])} a month" in line
    report = render_html([("java-ish", TuningOutput.model_validate(run.output))])
    assert "<h3>Advice</h3>" in report
    assert escape(line.removeprefix("Advice, concurrency: ")) in report


def test_apply_timeout_sets_the_recommended_timeout_with_the_memory(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("quick", "io-bound", memory_mb=1024, timeout_s=60)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": SIZES, "autoOptimize": True,
                             "applyTimeout": True})  # fmt: skip

    assert run.status == "SUCCEEDED", run.cause
    recommended = run.output["advice"]["timeout"]["recommendedS"]
    assert (run.output["applied"]["timeoutS"], run.output["applied"]["previousTimeoutS"]) == (recommended, 60)
    assert run.output["advice"]["timeout"]["applied"] is True
    configuration = boto3.client("lambda").get_function_configuration(FunctionName="quick")
    assert (configuration["Timeout"], configuration["MemorySize"]) == (recommended, run.output["power"])
