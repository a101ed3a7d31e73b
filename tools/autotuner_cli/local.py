"""`autotuner local`: the local emulator as an endpoint on this machine, with the stack deployed from
template.yaml and emulated functions to tune, serving until Ctrl-C. The CLI, boto3 and the AWS CLI reach it
through AWS_ENDPOINT_URL (or --endpoint-url) exactly as they reach AWS: the stack answers describe-stacks with
its outputs, as a deployed one does."""

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import boto3

from autotuner.domain.inputs.arn import parse_state_machine_arn
from autotuner_cli.demo import create_target_of, printer
from autotuner_cli.demo_targets import DEMO_TARGETS, DemoTarget
from autotuner_local.emulator import LOCAL_CREDENTIALS, LOCAL_REGION, local_aws

# The demo's functions, and the one events/*.json name (with the alias the alias alarm example watches).
EXAMPLES_TARGET = DemoTarget("orders", "io-bound", 1024, 25_000_000)
LOCAL_TARGETS = (*DEMO_TARGETS, EXAMPLES_TARGET)
EXAMPLES_ALIAS = "live"
READY = "Ready:"  # the line a script waits for


def serve(*, port: int, seed: int, stream: TextIO | None = None, stop: threading.Event | None = None) -> int:
    """Serve until SIGINT or SIGTERM (or ``stop`` is set); everything the emulator held goes with it."""
    stream = stream or sys.stdout
    say = printer(stream)
    stop = stop or threading.Event()
    started = time.monotonic()
    say("Lambda Autotuner local: an AWS emulator on this machine, the stack deployed from template.yaml.")
    with local_aws(seed=seed, port=port) as aws:
        for target in LOCAL_TARGETS:
            create_target_of(target)
        _alias(EXAMPLES_TARGET.name, EXAMPLES_ALIAS)
        machine = parse_state_machine_arn(aws.stack.state_machine_arn).name
        say(f"Deployed {len(aws.stack.functions)} Lambdas and the state machine {machine} (stack {aws.stack.name}).")
        say(
            "Emulated functions to tune: "
            + ", ".join(f"{t.name} ({t.workload}, {t.memory_mb} MB)" for t in LOCAL_TARGETS)
        )
        say("In another terminal:")
        say("  " + export_line(aws.endpoint))
        say("  autotuner tune orders-api")
        say(f"  aws stepfunctions start-execution --state-machine-arn {aws.stack.state_machine_arn} \\")
        say("      --input file://events/tuning-input.json")
        with _until_signalled(stop):
            say(f"{READY} {aws.endpoint} in {time.monotonic() - started:.1f} s. Ctrl-C stops it.")
            while not stop.wait(0.5):
                pass
        say("Stopping: the emulator and everything deployed in it go with it.")
    say("Stopped.")
    return 0


def export_line(endpoint: str) -> str:
    """What a shell needs to send boto3 and the AWS CLI to the local endpoint, with credentials it accepts."""
    variables = {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": LOCAL_REGION, "AWS_REGION": LOCAL_REGION}
    return "export " + " ".join(f"{name}={value}" for name, value in (variables | LOCAL_CREDENTIALS).items())


def _alias(function: str, alias: str) -> None:
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName=function)["Version"]
    client.create_alias(FunctionName=function, Name=alias, FunctionVersion=version)


@contextmanager
def _until_signalled(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` instead of raising mid-clean-up; the previous handlers come back after
    (signals reach only the main thread: elsewhere ``stop`` alone ends the serving)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
