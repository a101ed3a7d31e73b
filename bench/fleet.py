"""``python -m bench.fleet``: fleet tuning at scale in the emulator, under Lambda's control-plane quota.

N emulated functions are tagged for fleet tuning, each with a light profile (``PROFILE``); the fleet state machine
(its distributed Map, FleetConcurrency runs at once) tunes them all while the emulator enforces Lambda's quota of
15 control-plane requests a second (local.control_plane) and records every request. One table row per
concurrency: wall time, runs, control-plane calls and their rate (mean, and the most in any second), throttles.

python -m bench.fleet --functions 1000 --concurrency 10 50
python -m bench.fleet --functions 50 --concurrency 10 --scale 4   # the emulator's time running 4x real time

Times are virtual (the emulator's clock: real time elapsed * scale); CPU is this process's, all threads.
"""

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.stepfunctions.models import Execution
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from autotuner.adapters.clients import forget_clients
from autotuner.adapters.profiles import ProfileStore
from autotuner_local.authorization import AuthorizationDecision
from autotuner_local.control_plane import (
    CONTROL_PLANE,
    SHARED_RATE,
    ControlPlaneQuota,
    ControlPlaneRequest,
    EmulatorClock,
    RateSummary,
    shared_quota_calls,
)
from autotuner_local.emulator import LOCAL_CREDENTIALS
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LOCAL_ACCOUNT, LocalStack, deploy
from autotuner_local.targets import create_target
from autotuner_local.template import load_template

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
FLEET_TAG = "autotuner:tune"
WORKLOAD = "io-bound"
# Light, so that the emulator's cost per run stays low: two sizes, five invocations each.
PROFILE: dict[str, Any] = {"num": 5, "powerValues": [512, 1024], "strategy": "cost"}
PROGRESS_EVERY_S = 5.0
# template.yaml's FleetConcurrency MaxValue: CloudFormation refuses more (the emulator does not check it).
TEMPLATE_MAX_CONCURRENCY = int(load_template(ROOT / "template.yaml")["Parameters"]["FleetConcurrency"]["MaxValue"])


@dataclass(frozen=True)
class RunOutcome:
    """One tuning run the fleet started: its target, how it ended, and why it failed if it did."""

    function: str
    status: str
    error: str = ""
    cause: str = ""  # its first sentence
    detail: str = ""  # the whole cause (with a handler's stack trace when it raised), for stderr

    @property
    def throttled(self) -> bool:
        """Failed because Lambda throttled a call (retries exhausted): what the issue says must never happen."""
        return "Throttl" in self.error or "TooManyRequestsException" in self.cause


@dataclass
class FleetRun:
    """What one fleet tuning measured."""

    functions: int
    concurrency: int
    scale: float
    wall_s: float  # virtual
    cpu_s: float
    fleet_status: str
    outcomes: dict[str, int]  # the fleet's own result per member: tuned, failed, skipped
    runs: list[RunOutcome]
    requests: list[ControlPlaneRequest]
    most_runs_at_once: int
    handler_calls: Counter[str]  # Lambda calls on the shared quota the tuner's handlers made, by operation

    def admitted(self) -> Counter[str]:
        """Requests the emulator served on the shared quota, by operation: each of the handlers' calls once, if
        no call gave up throttled (a throttled attempt is retried by botocore; its retries are requests too)."""
        return Counter(r.operation for r in self.requests if not r.throttled)

    @property
    def summary(self) -> RateSummary:
        return RateSummary.of(self.requests, self.wall_s)

    @property
    def succeeded(self) -> int:
        return sum(run.status == "SUCCEEDED" for run in self.runs)

    def failed(self, *, throttled: bool = False) -> int:
        return sum(run.status != "SUCCEEDED" and (run.throttled or not throttled) for run in self.runs)

    def failure_causes(self) -> dict[str, tuple[int, str]]:
        """Failed runs by error (their cause names their target): how many, and the first one's cause."""
        causes: dict[str, tuple[int, str]] = {}
        for run in self.runs:
            if run.status != "SUCCEEDED":
                error = run.error or run.status
                count, example = causes.get(error, (0, run.cause))
                causes[error] = (count + 1, example)
        return causes

    def per_run(self, *, throttled: bool) -> list[int]:
        """Control-plane requests (or those throttled) about each run's target, in the order of ``runs``."""
        counts = Counter(r.function for r in self.requests if r.throttled or not throttled)
        return [counts[run.function] for run in self.runs]


@dataclass
class _Progress:
    """Printed to stderr every few seconds while the fleet runs; keeps the most runs seen running at once."""

    total: int
    quota: ControlPlaneQuota
    started: float = 0.0  # on the quota's clock
    most_running: int = 0

    def __post_init__(self) -> None:
        self.started = self.quota.clock.elapsed()

    def sample(self, runs: Sequence[Execution]) -> tuple[int, int]:
        running = sum(_status(execution) == "RUNNING" for execution in runs)
        self.most_running = max(self.most_running, running)
        return len(runs) - running, running

    def report(self, runs: Sequence[Execution]) -> None:
        finished, running = self.sample(runs)
        throttled = sum(r.throttled for r in self.quota.recorded(CONTROL_PLANE))
        elapsed = self.quota.clock.elapsed() - self.started
        print(
            f"  {elapsed:6.0f} s: {finished}/{self.total} runs finished, {running} running, "
            f"{throttled} control-plane requests throttled",
            file=sys.stderr,
            flush=True,
        )


def measure(functions: int, concurrency: int, *, scale: float = 1.0, seed: int = 0, progress: bool = True) -> FleetRun:
    """Deploy the stack with FleetConcurrency ``concurrency`` in a fresh emulator, create and tag ``functions``
    targets with ``PROFILE``, then run the fleet under the control-plane quota (setting up is not counted)."""
    with _emulator(seed) as runtime:
        stack = deploy(parameters={"FleetConcurrency": str(concurrency), "FleetTag": FLEET_TAG}, region=REGION)
        targets = _create_targets(stack, functions)
        quota = ControlPlaneQuota(EmulatorClock(scale))
        # Powertools prints a metric set that reaches 100 values even with metrics off; the table goes to stdout.
        with quota.installed(), open(os.devnull, "w") as nowhere, redirect_stdout(nowhere):
            authorized_before = len(runtime.authorizations)
            run = _run_fleet(stack, len(targets), concurrency, quota, progress=progress)
            run.handler_calls = _lambda_calls(runtime.authorizations[authorized_before:])
            return run


@contextmanager
def _emulator(seed: int) -> Iterator[InProcessRuntime]:
    """moto in this process (no server: a request costs no HTTP round trip), with the runtime serving Lambdas."""
    environment = LOCAL_CREDENTIALS | {"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    unset = ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL")
    moto_log = logging.getLogger("moto")  # its traces of the failures runs catch are noise beside the progress
    level = moto_log.level
    moto_log.setLevel(logging.CRITICAL)
    try:
        with (
            mock.patch.dict(os.environ, environment),
            mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        ):
            for variable in unset:
                os.environ.pop(variable, None)  # restored with the rest on exit
            forget_clients()
            with InProcessRuntime(seed=seed, quiet=True, clients_per_environment=True).installed() as runtime:
                yield runtime
    finally:
        forget_clients()
        moto_log.setLevel(level)


def _create_targets(stack: LocalStack, count: int) -> list[str]:
    lambda_client, iam = boto3.client("lambda", region_name=REGION), boto3.client("iam", region_name=REGION)
    profiles = ProfileStore(stack.tables["ProfilesTable"])
    names = [f"fleet-{index:04d}" for index in range(count)]
    for name in names:
        arn = create_target(lambda_client, iam, name, WORKLOAD, tags={FLEET_TAG: "true"})
        profiles.set_user_profile(arn, PROFILE)
    return names


def _run_fleet(
    stack: LocalStack, functions: int, concurrency: int, quota: ControlPlaneQuota, *, progress: bool
) -> FleetRun:
    backend = stepfunctions_backend(LOCAL_ACCOUNT, REGION)
    tuner = backend.describe_state_machine(stack.state_machine_arn)
    watch = _Progress(functions, quota)
    started_virtual, started_cpu = quota.clock.elapsed(), time.process_time()
    fleet_arn = boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=stack.outputs["FleetStateMachineArn"], name="fleet-bench", input="{}"
    )["executionArn"]
    fleet = backend.describe_execution(fleet_arn)
    last_report = time.monotonic()
    while _status(fleet) == "RUNNING" or any(_status(e) == "RUNNING" for e in tuner.executions):
        time.sleep(0.5)
        watch.sample(tuner.executions)
        if progress and time.monotonic() - last_report >= PROGRESS_EVERY_S:
            watch.report(tuner.executions)
            last_report = time.monotonic()
    wall_s, cpu_s = quota.clock.elapsed() - started_virtual, time.process_time() - started_cpu
    output = fleet.output if isinstance(fleet.output, dict) else json.loads(fleet.output or "{}")
    results = output.get("results", [])
    return FleetRun(
        functions=functions,
        concurrency=concurrency,
        scale=quota.clock.scale,
        wall_s=wall_s,
        cpu_s=cpu_s,
        fleet_status=fleet.status,
        outcomes=dict(Counter(str(result.get("outcome")) for result in results)),
        runs=[_outcome(execution) for execution in tuner.executions],
        requests=quota.recorded(CONTROL_PLANE),
        most_runs_at_once=watch.most_running,
        handler_calls=Counter(),
    )


def _lambda_calls(decisions: Sequence[AuthorizationDecision]) -> Counter[str]:
    """The handlers' calls on the shared quota, by operation."""
    return Counter(d.action.removeprefix("lambda:") for d in shared_quota_calls(decisions))


def _outcome(execution: Execution) -> RunOutcome:
    target = str(json.loads(execution.execution_input).get("lambdaARN", "")).split(":")[-1]
    first_sentence = (execution.cause or "").split(". ")[0][:200]
    return RunOutcome(target, execution.status, execution.error or "", first_sentence, execution.cause or "")


def table(runs: Sequence[FleetRun]) -> str:
    """The benchmark's Markdown table: one row per fleet run."""
    header = (
        "| functions | FleetConcurrency | wall time | runs succeeded / failed (of which throttled) "
        "| control-plane calls | calls/s mean | calls/s peak (admitted) | throttled "
        "| throttled per run (mean / max) | calls per run (mean / max) | CPU per run |"
    )
    lines = [header, "|" + "---:|" * 11]
    for run in runs:
        summary, calls, throttles = run.summary, run.per_run(throttled=False), run.per_run(throttled=True)
        outcome = f"{run.succeeded} / {run.failed()} ({run.failed(throttled=True)})"
        lines.append(
            f"| {run.functions:,} | {run.concurrency} | {_duration(run.wall_s)} | {outcome} "
            f"| {summary.calls:,} | {summary.mean_per_s:.1f} | {summary.peak_per_s} ({summary.peak_admitted_per_s}) "
            f"| {summary.throttled:,} | {_mean_max(summary.throttled, throttles)} | {_mean_max(summary.calls, calls)} "
            f"| {run.cpu_s / max(1, len(run.runs)):.2f} s |"
        )
    return "\n".join(lines)


def notes(runs: Sequence[FleetRun]) -> list[str]:
    """What the table cannot say: failures and their causes, runs that did not start, the clock."""
    lines = []
    for run in runs:
        name = f"{run.functions} functions at {run.concurrency}"
        if run.fleet_status != "SUCCEEDED":
            lines.append(f"- {name}: the fleet execution ended {run.fleet_status}")
        if len(run.runs) != run.functions:
            lines.append(f"- {name}: {len(run.runs)} runs started for {run.functions} functions ({run.outcomes})")
        lines.extend(
            f"- {name}: {count} runs failed with {error}, e.g. {example}"
            for error, (count, example) in run.failure_causes().items()
        )
        if run.most_runs_at_once > run.concurrency:
            lines.append(f"- {name}: {run.most_runs_at_once} runs were seen running at once")
        if run.concurrency > TEMPLATE_MAX_CONCURRENCY:
            lines.append(
                f"- {name}: FleetConcurrency above the template's MaxValue {TEMPLATE_MAX_CONCURRENCY} "
                "(the emulator does not check it; CloudFormation would refuse the stack)"
            )
    first = runs[0] if runs else None
    if first is not None:
        lines.append(
            f"- virtual time = real time x {first.scale:g}; the quota is {SHARED_RATE} requests in any second of it; "
            "the product's control-plane budget reads the emulator's clock"
        )
    return lines


def _status(execution: Execution) -> str:
    """An execution's status, read while moto's threads run it: one just created has none yet (moto's own
    ``status`` then raises), and counts as running."""
    state = getattr(execution, "exec_status", None)
    return str(state.value) if state is not None else "RUNNING"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.1f} min"


def _mean_max(total: int, per_target: Sequence[int]) -> str:
    """The mean per run of all requests (account-wide ones such as GetAccountSettings name no function), and the
    most about one run's target."""
    return f"{total / len(per_target):.1f} / {max(per_target)}" if per_target else "-"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    runs = []
    for concurrency in args.concurrency:
        print(
            f"fleet of {args.functions} functions at FleetConcurrency {concurrency}, clock x{args.scale:g}",
            file=sys.stderr,
            flush=True,
        )
        runs.append(measure(args.functions, concurrency, scale=args.scale, seed=args.seed))
        print(table(runs[-1:]), file=sys.stderr, flush=True)
        for failed in (run for run in runs[-1].runs if run.status != "SUCCEEDED"):  # the page keeps one sentence
            print(f"{failed.function} {failed.status} {failed.error}: {failed.detail}", file=sys.stderr, flush=True)
    print(f"Profile of every function: {json.dumps(PROFILE)}, workload {WORKLOAD}\n")
    print(table(runs))
    print()
    print("\n".join(notes(runs)))
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__.split("\n")[0])
    parser.add_argument("--functions", type=_positive(int), default=1000, help="tagged functions (default 1000)")
    parser.add_argument(
        "--concurrency", type=_positive(int), nargs="+", default=[10, 50], help="FleetConcurrency values"
    )
    parser.add_argument(
        "--scale", type=_positive(float), default=1.0, help="virtual seconds per real second (default 1)"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _positive[N: (int, float)](kind: Callable[[str], N]) -> Callable[[str], N]:
    def parse(text: str) -> N:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


if __name__ == "__main__":
    raise SystemExit(main())
