"""`autotuner demo`: the whole product on this machine, no AWS account needed.

The stack from template.yaml is deployed into a local emulator; the state machine runs our real handlers; the
targets are emulated functions that follow Lambda's documented CPU model (they say so in their description).
"""

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import boto3

from autotuner.adapters.executions import Executions
from autotuner.adapters.metrics import CloudWatchInvocations
from autotuner.domain.automation.savings_ledger import SavingsLedger
from autotuner.domain.inputs.arn import parse_state_machine_arn
from autotuner.domain.run.output import TuningOutput
from autotuner.domain.run.verdict import verdict
from autotuner.reports.text import (
    curve_line,
    margins_line,
    outcome_line,
    output_table,
    search_extent,
    trade_off_line,
    traffic_lines,
)
from autotuner.workflow.savings import read_savings
from autotuner_cli.demo_targets import DEMO_TARGETS, DemoTarget
from autotuner_cli.progress import follow
from autotuner_local.emulator import local_aws
from autotuner_local.targets import create_target, record_invocations
from autotuner_local.traffic import TrafficGenerator
from autotuner_local.workloads import WORKLOADS

DEMO_SIZES = [128, 256, 512, 768, 1024, 1536, 1769, 2048, 3008, 4096, 6144, 10240]
EMULATED_NOTE = (
    "The target functions in this report are emulated on this machine (Lambda's CPU model: one vCPU at 1,769 MB, "
    "up to six at 10,240 MB, I/O that memory does not speed up, a memory floor, cold starts and noise). "
    "The workflow, its state machine and its Lambdas are the real ones from template.yaml. Their invocation counts "
    "of the last 30 days, which the savings per month multiply by, are emulated too: put into the emulator's "
    "CloudWatch and read back from it."
)


# The payments handler's production, emulated: calls to payments:live at this pace while it is tuned on them.
PRODUCTION_PER_SECOND = 60.0
# The promotion's canary: five minutes (the default half hour is as safe, and six times as long to watch).
TRAFFIC_CANARY = {"durationSeconds": 300, "checkEverySeconds": 60}
TRAFFIC_OPTIONS = {"weight": 0.5, "invocationsPerSize": 40, "checkEverySeconds": 10, "baselineHours": 1, "maxHours": 1}


def run_demo(
    out_dir: Path,
    *,
    num: int = 10,
    seed: int = 1,
    stream: TextIO | None = None,
    targets: Sequence[DemoTarget] = DEMO_TARGETS,
    max_concurrency: int | None = None,
) -> list[tuple[str, TuningOutput]]:
    """Tunes ``targets`` in the local emulator. The same seed gives the same measurements, choices and figures
    whatever ``max_concurrency`` (how many sizes are measured at once) and however threads interleave; except a
    target tuned on traffic, whose windows take the calls the clock lets production make."""
    stream = stream or sys.stdout
    started = time.monotonic()
    say = printer(stream)
    say("Lambda Autotuner demo: a local AWS emulator in this process, the stack deployed from template.yaml.")
    results: list[tuple[str, TuningOutput]] = []
    with local_aws(seed=seed) as aws:
        machine = parse_state_machine_arn(aws.stack.state_machine_arn).name
        say(f"Deployed {len(aws.stack.functions)} Lambdas and the state machine {machine}.")
        executions = Executions(aws.stack.state_machine_arn)
        for index, target in enumerate(targets, start=1):
            arn = create_target_of(target)
            search = (
                "measured on production traffic, never invoked by the tuner"
                if target.on_traffic
                else ("adaptive search" if target.adaptive else f"sweep of {len(DEMO_SIZES)} sizes")
            )
            say(f"\n[{index}/{len(targets)}] {target.name} (emulated: {WORKLOADS[target.workload].description}); "
                f"now {target.memory_mb} MB; {search}")  # fmt: skip
            tuning: dict[str, object] = {"lambdaARN": arn, "autoOptimize": True}
            if max_concurrency is not None and not target.on_traffic:
                tuning["maxConcurrency"] = max_concurrency
            if target.on_traffic:
                tuning |= {"lambdaARN": live_alias(target.name), "measure": "traffic", "traffic": TRAFFIC_OPTIONS,
                           "canary": TRAFFIC_CANARY}  # fmt: skip
            elif not target.adaptive:
                tuning |= {"num": num, "powerValues": DEMO_SIZES}
            with production_of(target, seed) as production:
                execution = follow(executions, executions.start(tuning, f"demo-{target.name}"), out=stream, poll_s=0.1)
            if production is not None:
                say(f"  Production made {production.calls:,} calls to {target.name}:live meanwhile; the tuner none.")
            if execution.status != "SUCCEEDED" or execution.output is None:
                raise RuntimeError(f"the demo run for {target.name} ended {execution.status}: {execution.cause}")
            output = TuningOutput.model_validate(execution.output)
            results.append((target.name, output))
            say(f"  {verdict(output)}")
            say(output_table(output))
            say(f"  {outcome_line(output)} {output.decision.reason}")
            say(f"  Confidence: {output.confidence}")
            if (margins := margins_line(output)) is not None:
                say(f"  Margins: {margins}")
            if trade_off := trade_off_line(output):
                say(f"  Speed: {trade_off}")
            if target.adaptive and output.search is not None:
                say(f"  Adaptive search: {search_extent(output.search)}.")
            if (curve := curve_line(output)) is not None:
                say(f"  Cost curve: {curve}")
            for line in traffic_lines(output):
                say(f"  {line}")
        ledger = read_savings(executions, CloudWatchInvocations(), limit=len(targets))
    paths = write_reports(out_dir, results, ledger)
    say(f"\nReport: {paths[0]}  (chart images beside it)")
    say(f"Done in {time.monotonic() - started:.1f} s; the emulator has stopped.")
    return results


def write_reports(
    out_dir: Path, results: list[tuple[str, TuningOutput]], savings: SavingsLedger | None = None
) -> list[Path]:
    from autotuner.reports.charts import render_png
    from autotuner.reports.html import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "autotuner-demo-report.html"
    page = render_html(results, title="Lambda Autotuner demo", note=EMULATED_NOTE, savings=savings)
    html_path.write_text(page)
    results_path = out_dir / "autotuner-demo-results.json"
    results_path.write_text(json.dumps({name: o.model_dump(mode="json") for name, o in results}, indent=2))
    written = [html_path, results_path]
    for name, output in results:
        png = out_dir / f"{name}.png"
        png.write_bytes(render_png(output, name))
        written.append(png)
    return written


def create_target_of(target: DemoTarget) -> str:
    """The emulated function, with its emulated traffic of the last 30 days in CloudWatch."""
    record_invocations(boto3.client("cloudwatch"), target.name, target.invocations_last_30_days)
    return create_target(
        boto3.client("lambda"),
        boto3.client("iam"),
        target.name,
        target.workload,
        memory_mb=target.memory_mb,
        timeout_s=60,
        description=f"EMULATED {target.workload} target for the Lambda Autotuner demo"
        + ("; never invoke directly: it is tuned on its production traffic" if target.on_traffic else ""),
    )


def live_alias(name: str) -> str:
    """Alias live of the function, on a version published as it is: what production calls."""
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName=name, Description="release 1")["Version"]
    return str(client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)["AliasArn"])


@contextmanager
def production_of(target: DemoTarget, seed: int) -> Iterator[TrafficGenerator | None]:
    """For a target tuned on traffic, its production calling alias live throughout (after a baseline to read)."""
    if not target.on_traffic:
        yield None
        return
    with TrafficGenerator(target.name, "live", per_second=PRODUCTION_PER_SECOND, seed=seed) as production:
        production.wait_for(100)
        yield production


def printer(stream: TextIO) -> Callable[[str], None]:
    def say(text: str) -> None:
        stream.write(text + "\n")
        stream.flush()

    return say
