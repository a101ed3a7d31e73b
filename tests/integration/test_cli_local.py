"""`autotuner local` in one process and the CLI (and a plain boto3 client, as the AWS CLI would be) in others,
talking to it through the endpoint and credentials it prints, as a person would in two terminals."""

import json
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
import pytest

from autotuner_cli.main import main
from tests.conftest import EVENTS

pytestmark = pytest.mark.slow

READY_WITHIN_S = 600  # a safety net for a stuck server, not a speed target (a loaded machine takes minutes)


@dataclass
class Local:
    process: subprocess.Popen[str]
    lines: list[str]
    environment: dict[str, str]  # what `autotuner local` says to export

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "autotuner_cli.main", *arguments],
            capture_output=True, text=True, timeout=READY_WITHIN_S, env=self.environment, check=False,
        )  # fmt: skip

    def client(self, service: Any) -> Any:
        """A plain boto3 client, configured as the AWS CLI would be from what `autotuner local` printed."""
        return boto3.session.Session(
            aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.environment["AWS_SECRET_ACCESS_KEY"],
            region_name=self.environment["AWS_DEFAULT_REGION"],
        ).client(service, endpoint_url=self.environment["AWS_ENDPOINT_URL"])


def _read_lines(stream: IO[str], into: "queue.Queue[str | None]") -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


@dataclass
class Stopped:
    returncode: int
    lines: list[str]
    errors: str


@contextmanager
def autotuner_local() -> Iterator[tuple[Local, list[Stopped]]]:
    """`autotuner local --port 0`, once it has printed its ready line; stopped with SIGINT (Ctrl-C) on the way
    out, how it ended appended to the list yielded beside it."""
    plain = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # nothing from the test's own set-up
    process = subprocess.Popen(
        [sys.executable, "-m", "autotuner_cli.main", "local", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=plain,
    )  # fmt: skip
    assert process.stdout is not None
    printed: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, printed), daemon=True)
    reader.start()
    lines: list[str] = []
    ended: list[Stopped] = []
    deadline = time.monotonic() + READY_WITHIN_S
    try:
        while not (lines and lines[-1].startswith("Ready:")):
            line = printed.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "autotuner local ended before it was ready:\n" + "\n".join(lines)
            lines.append(line)
        export = next(line.strip() for line in lines if line.strip().startswith("export "))
        exported = dict(part.split("=", 1) for part in shlex.split(export)[1:])
        yield Local(process, lines, plain | exported), ended
    finally:
        process.send_signal(signal.SIGINT)
        try:
            returncode = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        reader.join(timeout=10)
        while not printed.empty():
            if (line := printed.get()) is not None:
                lines.append(line)
        ended.append(Stopped(returncode, lines, process.stderr.read() if process.stderr else ""))


def test_the_cli_and_a_plain_client_work_against_autotuner_local_unchanged(tmp_path: Path) -> None:
    with autotuner_local() as (local, ended):
        exercise(local, tmp_path)
    (stopped,) = ended  # Ctrl-C: a clean end, said so
    assert stopped.returncode == 0, stopped.errors
    assert stopped.lines[-1] == "Stopped."
    assert "Traceback" not in stopped.errors, stopped.errors


def exercise(local: Local, tmp_path: Path) -> None:
    ready = local.lines[-1]
    assert ready.startswith(f"Ready: {local.environment['AWS_ENDPOINT_URL']} in ")
    assert local.environment["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert local.environment["AWS_REGION"] == local.environment["AWS_DEFAULT_REGION"]

    tuned = local.cli("tune", "orders-api", "--json")
    assert tuned.returncode == 0, tuned.stderr
    output = json.loads(tuned.stdout)  # stdout holds the output alone; progress went to stderr
    assert "Started arn:aws:states:" in tuned.stderr
    assert output["functionArn"].endswith(":function:orders-api")
    assert output["search"]["mode"] == "adaptive"  # no num, no sizes: the state machine's default
    assert output["outcome"] == "recommended"
    memory = local.client("lambda").get_function_configuration(FunctionName="orders-api")["MemorySize"]
    assert memory == 1024  # recommended, not applied

    history = local.cli("history", "orders-api", "--json")
    assert history.returncode == 0, history.stderr
    (run,) = json.loads(history.stdout)
    assert (run["status"], run["trigger"], run["memoryMb"]) == ("succeeded", "manual", output["power"])

    # The README's start-execution example, as the AWS CLI sends it (its input file, unchanged).
    sfn = local.client("stepfunctions")
    printed = next(line for line in local.lines if "--state-machine-arn" in line)  # what a person copies
    machine = printed.split("--state-machine-arn ")[1].split()[0]
    started = sfn.start_execution(
        stateMachineArn=machine, name="readme", input=(EVENTS / "tuning-input.json").read_text()
    )
    while (described := sfn.describe_execution(executionArn=started["executionArn"]))["status"] == "RUNNING":
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    applied = json.loads(described["output"])
    assert applied["outcome"] == "applied"

    savings = local.cli("savings", "--json")
    assert savings.returncode == 0, savings.stderr
    (orders,) = json.loads(savings.stdout)["functions"]
    assert orders["function"].endswith(":function:orders")
    assert (orders["memoryAfterMb"], orders["invocationsLast30Days"]) == (applied["power"], 25_000_000)

    shown = local.cli("profile", "show", "orders-api", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["lastRunMemoryMb"] == output["power"]

    page = tmp_path / "orders-api.html"
    reported = local.cli("report", run["executionArn"], "--html", str(page))
    assert reported.returncode == 0, reported.stderr
    assert "orders-api" in page.read_text()


def test_a_port_in_use_is_refused_in_one_line_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["local", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert err == f"error: port {port} of 127.0.0.1 is taken (Address already in use); pass --port\n"
    assert "Ready:" not in out
