"""Every single fault survived: for every AWS call each step of the workflow makes, its first and its last
occurrence fail with each kind of fault, in each apply mode. After the run (and the janitor, where EventBridge
would start it), the target is exactly as it was or exactly at the applied choice, no version or alias of the run
remains, the run lock is free, a failure's cause is in words; and the run succeeded all the same.

Each apply mode's cells are dealt to SHARDS tests, which parallel workers run at once: every shard counts the
calls of the same seeded baseline run, so the shards deal out one list of cells between them."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.retries.adaptive import ClientRateLimiter
from botocore.retries.standard import ExponentialBackoff

from autotuner.adapters.profiles import ProfileStore

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import AliasRoutingConfigurationTypeDef

from autotuner.adapters.run_records import RunRecords
from autotuner_local.events import deliver_status_change
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy
from tests.conftest import FIGURE
from tests.emulator import Execution, MakeTarget, run_tuning, target_state
from tests.faults import KINDS, Fault, applies, injecting

pytestmark = pytest.mark.slow

ORIGINAL = "production build 42"
MODES: dict[str, dict[str, Any]] = {
    "latest": {"autoOptimize": True},
    "alias": {"autoOptimize": True, "autoOptimizeAlias": "live"},
    "none": {},
    # Each size measured on arm64 too: $LATEST's code uploaded again for it, then put back byte for byte.
    "architectures": {"architectures": ["arm64", "x86_64"]},
}
SHARDS = 4  # per apply mode: a shard takes every SHARDS-th cell (about 50), in its own deployment


@dataclass
class Target:
    name: str
    arn: str
    aliases: dict[str, str]
    versions: list[str]
    code: tuple[str, list[str]]  # $LATEST's CodeSha256 and architectures


@dataclass
class Tally:
    tried: int = 0
    clean: int = 0
    succeeded: int = 0
    problems: list[str] = field(default_factory=list)


def make(make_target: MakeTarget, name: str, mode: str) -> Target:
    arn = make_target(name, "io-bound", memory_mb=1024, description=ORIGINAL)
    if mode == "alias":  # the alias the run moves, with a canary weight to another version
        client = boto3.client("lambda")
        old = client.publish_version(FunctionName=name, Description="old build")["Version"]
        client.update_function_configuration(FunctionName=name, Description="live build")
        live = client.publish_version(FunctionName=name)["Version"]
        client.update_function_configuration(FunctionName=name, Description=ORIGINAL)
        routing: AliasRoutingConfigurationTypeDef = {"AdditionalVersionWeights": {old: 0.1}}
        client.create_alias(FunctionName=name, Name="live", FunctionVersion=live, RoutingConfig=routing)
    state = target_state(name)
    return Target(name, arn, state.aliases, state.versions, latest_code(name))


def latest_code(name: str) -> tuple[str, list[str]]:
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=name)
    return configuration["CodeSha256"], [str(a) for a in configuration["Architectures"]]


def tune(stack: LocalStack, target: Target, mode: str, name: str) -> Execution:
    run = run_tuning(stack, {"lambdaARN": target.arn, "num": 5, "powerValues": [256], **MODES[mode]}, name=name)
    if run.status != "SUCCEEDED":  # what EventBridge does in AWS: the janitor hears of every failed run
        deliver_status_change(stack, run.arn)
    return run


def problems_after(stack: LocalStack, target: Target, run: Execution) -> list[str]:
    """What is wrong with the account after the run: empty when it is exactly as it was, or at the choice."""
    found: list[str] = []
    state = target_state(target.name)
    record = RunRecords(stack.tables["RunsTable"]).read(run.arn)
    applied = record.applied if record is not None else None
    memory = applied.memory_mb if applied is not None and applied.target == "$LATEST" else 1024
    aliases = dict(target.aliases)
    versions = list(target.versions)
    if applied is not None and applied.target == "live" and applied.version is not None:
        aliases["live"] = applied.version
        versions.append(applied.version)
    if (state.memory_mb, state.description) != (memory, ORIGINAL):
        found.append(f"$LATEST is {state.memory_mb} MB {state.description!r}, expected {memory} MB")
    if (code := latest_code(target.name)) != target.code:
        found.append(f"$LATEST's code and architectures are {code}, expected {target.code}")
    if state.aliases != aliases:
        found.append(f"aliases {state.aliases}, expected {aliases}")
    if sorted(state.versions) != sorted(versions):
        found.append(f"versions {state.versions}, expected {versions}")
    if applied is not None and applied.target == "live":
        weights = boto3.client("lambda").get_alias(FunctionName=target.name, Name="live").get("RoutingConfig")
        if (weights or {}).get("AdditionalVersionWeights") != {target.versions[1]: 0.1}:
            found.append(f"alias routing {weights}")
    profile = ProfileStore(stack.tables["ProfilesTable"]).get(target.arn)
    if profile is not None and profile.running_execution is not None:
        found.append(f"the run lock is still held by {profile.running_execution}")
    if run.status != "SUCCEEDED" and (not run.cause or run.cause.lstrip().startswith(("{", "Traceback"))):
        found.append(f"the cause is not in words: {run.cause!r}")
    return found


@pytest.fixture
def stack(runtime: InProcessRuntime, mode: str) -> LocalStack:
    """Measuring the other architecture uploads code, which a deployment allows only when asked to."""
    return deploy(parameters={"AllowArchitectureSwitch": "true"} if mode == "architectures" else None)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retry backoff and client-side rate limiting wait seconds; the faults are the same without."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda *_: 0)
    monkeypatch.setattr(ClientRateLimiter, "on_sending_request", lambda *_, **__: None)


def cells(calls: dict[tuple[str, str], int]) -> list[Fault]:
    return [
        Fault(step, call, occurrence, kind)
        for (step, call), count in sorted(calls.items())
        for occurrence in sorted({1, count})
        for kind in KINDS
        if applies(kind, call)
    ]


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_single_fault_is_survived_and_leaves_the_account_clean(
    stack: LocalStack,
    make_target: MakeTarget,
    record_property: Callable[[str, object], None],
    mode: str,
    shard: int,
) -> None:
    started = time.monotonic()
    with injecting(stack.name) as injector:
        baseline = make(make_target, "baseline", mode)
        run = tune(stack, baseline, mode, "baseline")
        assert run.status == "SUCCEEDED", run.cause
        assert problems_after(stack, baseline, run) == []
        calls = dict(injector.calls)
        every_cell = cells(calls)
        tally = Tally()
        for number, fault in list(enumerate(every_cell))[shard::SHARDS]:
            tally.tried += 1
            target = make(make_target, f"t{number}", mode)
            injector.arm(fault)
            run = tune(stack, target, mode, f"cell-{number}")
            injector.arm(None)
            assert injector.fault is None
            found = problems_after(stack, target, run)
            tally.clean += not found
            tally.succeeded += run.status == "SUCCEEDED"
            if found or run.status != "SUCCEEDED":
                tally.problems.append(f"{fault}: {run.status} {run.cause or ''} {found}")
    steps = sorted({step for step, _ in calls})
    record_property(
        FIGURE,
        f"fault matrix, apply mode {mode}, shard {shard + 1} of {SHARDS}: {tally.tried} of {len(every_cell)} cells "
        f"({len(calls)} calls of {len(steps)} steps x first/last x {len(KINDS)} kinds where AWS can answer so): "
        f"{tally.clean} clean, {tally.succeeded} succeeded ({time.monotonic() - started:.0f} s)",
    )
    assert tally.problems == [], json.dumps(tally.problems, indent=1)
