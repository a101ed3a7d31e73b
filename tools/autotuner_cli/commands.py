"""The commands that work against an account (or any endpoint, e.g. AWS_ENDPOINT_URL): tune, report, history."""

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from autotuner.adapters.errors import AwsError, TargetNotFoundError
from autotuner.adapters.executions import Execution, Executions
from autotuner.adapters.lambda_functions import LambdaFunction, resolve_function_arn
from autotuner.adapters.metrics import CloudWatchInvocations
from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.stacks import stack_outputs
from autotuner.domain.automation.automatic_runs import no_profile_reason
from autotuner.domain.automation.savings_ledger import SavingsLedger
from autotuner.domain.costs.money import usd
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.arn import FunctionRef, parse_execution_arn, parse_function_arn, parse_function_reference
from autotuner.domain.inputs.tuning_input import parse_tuning_input
from autotuner.domain.run.output import TuningOutput
from autotuner.reports.savings import SAVINGS_HEADER, nothing_applied, savings_notes, savings_rows
from autotuner.reports.text import summary
from autotuner.workflow.savings import DEFAULT_RUNS_READ, read_savings
from autotuner_cli.progress import follow

# The input fields the CLI's options set, so that the contract's problems name the option a person typed.
OPTION_OF_FIELD = {
    "num": "--num",
    "powerValues": "--memory",
    "strategy": "--strategy",
    "autoOptimizeAlias": "--alias",
    "payload": "--payload",
    "budgetUsd": "--budget",
    "search": "--adaptive",
    "saveProfile": "--save-profile",
    "lambdaARN": "FUNCTION",
}


class RunFailedError(Exception):
    """The tuning run ended without success; the message is its cause."""


class InvalidOptionsError(ValueError):
    """Options the workflow would refuse, refused before anything is sent to AWS."""


def check_tuning(function: str, tuning: dict[str, Any]) -> None:
    """Refuse what Plan would refuse, with the workflow's own contract and words, before any AWS call."""
    reference = parse_function_reference(function)
    # Plan checks the real ARN; the contract's rules about a qualifier need only the ARN's shape, so a name is
    # checked inside a stand-in account and region.
    arn = reference.arn or FunctionRef(
        partition="aws", region="us-east-1", account="000000000000", name=reference.name, qualifier=reference.qualifier
    )
    try:
        parse_tuning_input({**tuning, "lambdaARN": str(arn)})
    except InvalidInputError as error:
        raise InvalidOptionsError("; ".join(_in_option_names(problem) for problem in error.problems)) from None


def _in_option_names(problem: str) -> str:
    field, _, reason = problem.partition(": ")
    top = re.split(r"[.\[]", field, maxsplit=1)[0]  # payload.0.weight, powerValues[1]
    if top not in OPTION_OF_FIELD:
        return problem
    return f"{OPTION_OF_FIELD[top]}: {reason}" if field == top else f"{OPTION_OF_FIELD[top]} ({field}): {reason}"


def require_aliases(arn: str, tuning: dict[str, Any]) -> None:
    """The alias a run would apply to must exist now; Plan would find out only after the run had started."""
    function = parse_function_arn(arn)
    named = {tuning.get("autoOptimizeAlias"), function.alias}
    for alias in sorted(a for a in named if a):
        if LambdaFunction(function).alias_version(alias) is None:
            raise TargetNotFoundError(f"alias {alias!r} of function {function.name}: not found")


def state_machine_for(stack_name: str) -> Executions:
    outputs = stack_outputs(stack_name)
    if "StateMachineArn" not in outputs:
        raise ValueError(f"stack {stack_name!r} has no StateMachineArn output; is it a Lambda Autotuner stack?")
    return Executions(outputs["StateMachineArn"])


def tune(
    function: str,
    *,
    stack_name: str,
    tuning: dict[str, Any],
    wait: bool,
    region: str | None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    check_tuning(function, tuning)
    executions = state_machine_for(stack_name)
    arn = resolve_function_arn(function, region)
    require_aliases(arn, tuning)
    name = f"cli-{parse_function_arn(arn).name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    execution_arn = executions.start({"lambdaARN": arn, **tuning}, name[:80])
    out.write(f"Started {execution_arn}\n")
    if not wait:
        return 0
    execution = follow(executions, execution_arn, out=out)
    return show(execution, out=out)


def show(execution: Execution, *, out: TextIO | None = None, as_json: bool = False) -> int:
    out = out or sys.stdout
    if execution.status != "SUCCEEDED" or execution.output is None:
        raise RunFailedError(
            f"the run {execution.name} {execution.status.lower()}: {execution.error}: {execution.cause}"
        )
    output = TuningOutput.model_validate(execution.output)
    if as_json:
        out.write(output.model_dump_json(indent=2) + "\n")
    else:
        out.write(summary(output, parse_function_arn(output.function_arn).name) + "\n")
    return 0


def report(execution_arn: str, *, html: Path | None, png: Path | None, as_json: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    executions = Executions(_state_machine_of(execution_arn))
    execution = executions.describe(execution_arn)
    status = show(execution, out=out, as_json=as_json)
    output = TuningOutput.model_validate(execution.output)
    function_name = parse_function_arn(output.function_arn).name
    if html is not None:
        from autotuner.reports.html import render_html

        savings = _report_savings(executions, out)
        html.write_text(
            render_html([(function_name, output)], title=f"Lambda Autotuner: {function_name}", savings=savings)
        )
        out.write(f"Wrote {html}\n")
    if png is not None:
        from autotuner.reports.charts import render_png

        png.write_bytes(render_png(output, function_name))
        out.write(f"Wrote {png}\n")
    return status


def _report_savings(executions: Executions, out: TextIO) -> SavingsLedger | None:
    """The savings ledger of the run's state machine (its latest runs, as `savings` reads them) for the report; a
    report without it rather than none when it cannot be read."""
    try:
        return read_savings(executions, CloudWatchInvocations(), limit=DEFAULT_RUNS_READ)
    except AwsError as error:
        out.write(f"The report has no savings section: {error}\n")
        return None


def history(function: str, *, stack_name: str, region: str | None, limit: int, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    executions = state_machine_for(stack_name)
    arn = resolve_function_arn(function, region)
    function_arn = parse_function_arn(arn)
    rows: list[tuple[str, ...]] = [("Started", "Status", "Trigger", "Memory", "Saves /M", "Run")]
    for summary_row in executions.recent(limit):
        execution = executions.describe(summary_row.arn)
        if not execution.input or not _is_run_of(execution.input, function_arn):
            continue
        rows.append(_history_row(execution))
    if len(rows) == 1:
        out.write(f"No runs for {arn} among the last {limit}.\n")
        return 0
    _write_table(rows, out)
    return 0


def savings(*, stack_name: str, limit: int, out: TextIO | None = None) -> int:
    """Per function: what its applied runs save per invocation, times its invocations of the last 30 days."""
    out = out or sys.stdout
    ledger = read_savings(state_machine_for(stack_name), CloudWatchInvocations(), limit=limit)
    if not ledger.functions:
        out.write(nothing_applied(ledger) + "\n")
        return 0
    _write_table([SAVINGS_HEADER, *savings_rows(ledger)], out)
    out.write("".join(note + "\n" for note in savings_notes(ledger)))
    return 0


def _write_table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n")


def profile_set(
    function: str, profile: dict[str, Any], *, stack_name: str, region: str | None, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    check_tuning(function, profile)  # refuse a profile a run would refuse
    store = _profiles(stack_name)
    arn = resolve_function_arn(function, region)
    require_aliases(arn, profile)
    unqualified = parse_function_arn(arn).unqualified
    store.set_user_profile(unqualified, profile)
    out.write(f"Stored the tuning profile of {unqualified}:\n{json.dumps(profile, indent=2)}\n")
    return 0


def profile_show(function: str, *, stack_name: str, region: str | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    store = _profiles(stack_name)
    unqualified = parse_function_arn(resolve_function_arn(function, region)).unqualified
    stored = store.get(unqualified)
    if stored is None or stored.profile is None:
        out.write(f"{unqualified} has {no_profile_reason(stored is not None and stored.legacy_run_input)}.\n")
    else:
        on = f" on {datetime.fromtimestamp(stored.stored_at, UTC):%Y-%m-%d %H:%M} UTC" if stored.stored_at else ""
        out.write(
            f"Profile of {unqualified} (stored{on} by {stored.stored_by}):\n{json.dumps(stored.profile, indent=2)}\n"
        )
    if stored is None:
        return 0
    if stored.last_run_at is not None:
        when = datetime.fromtimestamp(stored.last_run_at, UTC)
        power = f", chose {stored.last_run_power} MB" if stored.last_run_power else ""
        out.write(f"Last successful run: {when:%Y-%m-%d %H:%M} UTC{power} ({stored.last_run_execution})\n")
    if stored.running_execution and (stored.running_until or 0) > datetime.now(UTC).timestamp():
        out.write(f"A run is in progress: {stored.running_execution}\n")
    return 0


def _profiles(stack_name: str) -> ProfileStore:
    outputs = stack_outputs(stack_name)
    if "ProfilesTableName" not in outputs:
        raise ValueError(f"stack {stack_name!r} has no ProfilesTableName output; redeploy the current template")
    return ProfileStore(outputs["ProfilesTableName"])


def _is_run_of(execution_input: dict[str, Any], function: FunctionRef) -> bool:
    """Whether a run tuned the function, under any qualifier (another run's input may hold anything)."""
    try:
        return parse_function_arn(str(execution_input.get("lambdaARN", ""))).unqualified == function.unqualified
    except ValueError:
        return False


def _history_row(execution: Execution) -> tuple[str, str, str, str, str, str]:
    output = execution.output or {}
    trigger = (execution.input or {}).get("trigger") or {}
    trigger_text = trigger.get("source", "manual") + (f" {trigger['alarmName']}" if trigger.get("alarmName") else "")
    savings = output.get("savings") or {}
    saved = usd(savings["savingsPerMillion"]) if "savingsPerMillion" in savings else "-"
    return (
        f"{execution.started:%Y-%m-%d %H:%M}",
        execution.status.lower(),
        trigger_text,
        f"{output['power']} MB" if output.get("power") else "-",
        saved,
        execution.name,
    )


def _state_machine_of(execution_arn: str) -> str:
    try:
        return str(parse_execution_arn(execution_arn).state_machine)
    except ValueError:
        raise ValueError(
            f"{execution_arn!r} is not a Step Functions execution ARN (`autotuner tune` prints it; "
            "`autotuner history FUNCTION` lists them)"
        ) from None


def parse_payload(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--payload is not JSON: {error}") from error
