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
from autotuner.adapters.metrics import CloudWatchInvocations, CloudWatchTraffic
from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.stacks import stack_outputs
from autotuner.domain.automation.automatic_runs import no_profile_reason
from autotuner.domain.automation.savings_ledger import SavingsLedger
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import prices_for_region
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.arn import FunctionRef, parse_execution_arn, parse_function_arn, parse_function_reference
from autotuner.domain.inputs.tuning_input import parse_tuning_input
from autotuner.domain.run.output import TuningOutput
from autotuner.reports.failure import failure_summary, render_failure_html
from autotuner.reports.savings import SAVINGS_HEADER, nothing_applied, savings_notes, savings_rows
from autotuner.reports.text import advice_rows, summary
from autotuner.workflow.savings import DEFAULT_RUNS_READ, read_savings
from autotuner.workflow.target_facts import advice_now
from autotuner_cli.files import require_writable
from autotuner_cli.progress import follow
from autotuner_cli.saved_runs import SavedRuns, from_execution, from_file


class RunFailedError(Exception):
    """The tuning run ended without success; the message is its cause."""


class InvalidOptionsError(ValueError):
    """Options the workflow would refuse, refused before anything is sent to AWS."""


def check_tuning(function: str, tuning: dict[str, Any], option_of: dict[str, str] | None = None) -> None:
    """Refuse what Plan would refuse, with the workflow's own contract and words, before any AWS call; each
    problem names the option (or the --input file's field) that gave the value."""
    reference = parse_function_reference(function)
    # Plan checks the real ARN; the contract's rules about a qualifier need only the ARN's shape, so a name is
    # checked inside a stand-in account and region.
    arn = reference.arn or FunctionRef(
        partition="aws", region="us-east-1", account="000000000000", name=reference.name, qualifier=reference.qualifier
    )
    names = {"lambdaARN": "FUNCTION"} | (option_of or {})
    try:
        parse_tuning_input({**tuning, "lambdaARN": str(arn)})
    except InvalidInputError as error:
        raise InvalidOptionsError("; ".join(_in_option_names(problem, names) for problem in error.problems)) from None


def _in_option_names(problem: str, names: dict[str, str]) -> str:
    """``constraints.maxSlowdown: ...`` as ``--max-slowdown: ...``: the longest dotted prefix an option set."""
    field, _, reason = problem.partition(": ")
    parts = re.split(r"[.\[]", field)  # payload.0.weight, powerValues[1]
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        if prefix in names:
            return f"{names[prefix]}: {reason}" if field == prefix else f"{names[prefix]} ({field}): {reason}"
    return problem


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
    option_of: dict[str, str] | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
) -> int:
    """Start a run with the input the user gave (nothing more: the state machine's defaults apply) and follow it.
    With ``as_json`` the output (or the failed run's report) is all that goes to ``out``; progress goes to stderr."""
    out = out or sys.stdout
    progress = sys.stderr if as_json else out
    check_tuning(function, tuning, option_of)
    executions = state_machine_for(stack_name)
    arn = resolve_function_arn(function, region)
    require_aliases(arn, tuning)
    name = f"cli-{parse_function_arn(arn).name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    execution_arn = executions.start({"lambdaARN": arn, **tuning}, name[:80])
    progress.write(f"Started {execution_arn}\n")
    if not wait:
        if as_json:
            out.write(json.dumps({"executionArn": execution_arn}) + "\n")
        return 0
    execution = follow(executions, execution_arn, out=progress)
    return _show(from_execution(executions, execution), out=out, as_json=as_json)


def _show(runs: SavedRuns, *, out: TextIO, as_json: bool) -> int:
    """The runs' summaries (or JSON), a failed run's report among them; then RunFailedError with its cause."""
    _print_runs(runs, out=out, as_json=as_json)
    _raise_if_failed(runs)
    return 0


def _print_runs(runs: SavedRuns, *, out: TextIO, as_json: bool) -> None:
    if as_json:
        dumped: list[Any] = [output.model_dump(mode="json") for _, output in runs.succeeded]
        dumped += [failure.model_dump(mode="json") for failure in runs.failed]
        out.write(json.dumps(dumped[0] if len(dumped) == 1 else dumped, indent=2) + "\n")
        return
    for name, output in runs.succeeded:
        out.write(summary(output, name) + "\n")
    for failure in runs.failed:
        out.write(failure_summary(failure) + "\n")


def _raise_if_failed(runs: SavedRuns) -> None:
    if runs.failed:
        failure = runs.failed[0]
        name = failure.execution.rsplit(":", 1)[-1]
        raise RunFailedError(f"the run {name} {failure.status.lower()}: {failure.error}: {failure.cause}")


def report(
    execution_arn: str | None,
    *,
    saved: Path | None = None,
    html: Path | None,
    png: Path | None,
    as_json: bool,
    out: TextIO | None = None,
) -> int:
    """A run's report: a live execution's, or a saved file's (offline). A failed run's report says what failed
    and what clean-up did; it has no chart. Exits as `tune` would: non-zero for a failed run."""
    out = out or sys.stdout
    for path in (html, png):
        if path is not None:
            require_writable(path.parent, "--html" if path is html else "--png")
    executions: Executions | None = None
    if saved is not None and execution_arn is not None:
        raise ValueError("give the run's execution ARN or --from FILE, not both")
    if saved is not None:
        runs = from_file(saved)
        title = f"Lambda Autotuner: {saved.name}"
    else:
        if execution_arn is None:
            raise ValueError("give the run's execution ARN, or --from FILE")
        executions = Executions(_state_machine_of(execution_arn))
        runs = from_execution(executions, executions.describe(execution_arn))
        title = f"Lambda Autotuner: {(runs.succeeded[0][0] if runs.succeeded else execution_arn.rsplit(':', 1)[-1])}"
    _print_runs(runs, out=out, as_json=as_json)
    written = sys.stderr if as_json else out  # stdout holds the JSON alone
    if html is not None:
        _write_html(html, runs, title, executions, written)
    if png is not None:
        _write_pngs(png, runs, written)
    _raise_if_failed(runs)
    return 0


def _write_html(path: Path, runs: SavedRuns, title: str, executions: Executions | None, out: TextIO) -> None:
    if runs.succeeded:
        from autotuner.reports.html import render_html

        savings = _report_savings(executions, out) if executions is not None else None
        path.write_text(render_html(runs.succeeded, title=title, savings=savings))
    else:
        path.write_text(render_failure_html(runs.failed[0], title=title))
    out.write(f"Wrote {path}\n")


def _write_pngs(path: Path, runs: SavedRuns, out: TextIO) -> None:
    """One chart per run: ``path`` itself for one run, ``path``'s name with the function's for several."""
    if not runs.succeeded:
        out.write(f"No chart written to {path}: a failed run has no measurements to draw.\n")
        return
    from autotuner.reports.charts import render_png

    for name, output in runs.succeeded:
        target = path if len(runs.succeeded) == 1 else path.with_name(f"{path.stem}-{name}{path.suffix or '.png'}")
        target.write_bytes(render_png(output, name))
        out.write(f"Wrote {target}\n")


def _report_savings(executions: Executions, out: TextIO) -> SavingsLedger | None:
    """The savings ledger of the run's state machine (its latest runs, as `savings` reads them) for the report; a
    report without it rather than none when it cannot be read."""
    try:
        return read_savings(executions, CloudWatchInvocations(), limit=DEFAULT_RUNS_READ)
    except AwsError as error:
        out.write(f"The report has no savings section: {error}\n")
        return None


def history(
    function: str, *, stack_name: str, region: str | None, limit: int, as_json: bool = False, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    executions = state_machine_for(stack_name)
    arn = resolve_function_arn(function, region)
    function_arn = parse_function_arn(arn)
    runs = []
    for summary_row in executions.recent(limit):
        execution = executions.describe(summary_row.arn)
        if execution.input and _is_run_of(execution.input, function_arn):
            runs.append(_history_entry(execution))
    if as_json:
        out.write(json.dumps(runs, indent=2) + "\n")
    elif not runs:
        out.write(f"No runs for {arn} among the last {limit}.\n")
    else:
        _write_table([("Started", "Status", "Trigger", "Memory", "Saves /M", "Run"), *map(_history_row, runs)], out)
    return 0


def advise(
    function: str, *, stack_name: str, region: str | None, limit: int, as_json: bool = False, out: TextIO | None = None
) -> int:
    """The advice (architecture, timeout, concurrency) of FUNCTION's last successful run, without a new run: what
    that run measured, with the concurrency advice worked out again on the function's metrics now."""
    out = out or sys.stdout
    executions = state_machine_for(stack_name)
    arn = resolve_function_arn(function, region)
    function_arn = parse_function_arn(arn)
    last = next(
        (
            execution
            for execution in map(executions.describe, (row.arn for row in executions.recent(limit)))
            if execution.status == "SUCCEEDED" and execution.input and _is_run_of(execution.input, function_arn)
        ),
        None,
    )
    if last is None or not last.output:
        out.write(f"No successful run of {arn} among the last {limit}: `autotuner tune` measures it first.\n")
        return 0
    output = TuningOutput.model_validate(last.output)
    now = datetime.now(UTC)
    output.advice = advice_now(
        output, LambdaFunction(function_arn), CloudWatchTraffic(), prices_for_region(function_arn.region)
    )
    if as_json:
        advice = output.advice.model_dump(mode="json", by_alias=True)
        shown = {"execution": last.arn, "started": last.started.isoformat(), "read": now.isoformat(), "advice": advice}
        out.write(json.dumps(shown, indent=2) + "\n")
        return 0
    out.write(
        f"Advice of the run of {last.started:%Y-%m-%d %H:%M} UTC ({last.name}), at {output.power} MB, with the "
        f"function's traffic and concurrency read now ({now:%Y-%m-%d %H:%M} UTC):\n"
    )
    rows = advice_rows(output)
    out.write("".join(f"{label}: {text}\n" for label, text in rows) or "The run gave no advice.\n")
    notes = output.advice.notes if output.advice is not None else []
    out.write("".join(f"Note: {note}\n" for note in notes))
    return 0


def savings(*, stack_name: str, limit: int, as_json: bool = False, out: TextIO | None = None) -> int:
    """Per function: what its applied runs save per invocation, times its invocations of the last 30 days."""
    out = out or sys.stdout
    ledger = read_savings(state_machine_for(stack_name), CloudWatchInvocations(), limit=limit)
    if as_json:
        out.write(json.dumps(_ledger_json(ledger), indent=2) + "\n")
        return 0
    if not ledger.functions:
        out.write(nothing_applied(ledger) + "\n")
        return 0
    _write_table([SAVINGS_HEADER, *savings_rows(ledger)], out)
    out.write("".join(note + "\n" for note in savings_notes(ledger)))
    return 0


def _ledger_json(ledger: SavingsLedger) -> dict[str, Any]:
    """The ledger with the figures `savings` prints (an unknown monthly saving stays null, not 0)."""
    return {
        "lookedThrough": ledger.looked_through,
        "appliedRuns": ledger.applied_runs,
        "monthlySavingUsd": ledger.monthly_saving_usd,
        "tuningCostUsd": ledger.tuning_cost_usd,
        "functions": [
            {
                "function": row.function,
                "memoryBeforeMb": row.memory_before_mb,
                "memoryAfterMb": row.memory_after_mb,
                "savingPerInvocationUsd": row.saving_per_invocation_usd,
                "invocationsLast30Days": row.invocations,
                "monthlySavingUsd": row.monthly_saving_usd,
                "tuningCostUsd": row.tuning_cost_usd,
                "runs": [entry.model_dump(mode="json") for entry in row.entries],
            }
            for row in ledger.functions
        ],
    }


def _write_table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n")


def profile_set(
    function: str,
    profile: dict[str, Any],
    *,
    stack_name: str,
    region: str | None,
    option_of: dict[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    check_tuning(function, profile, option_of)  # refuse a profile a run would refuse
    store = _profiles(stack_name)
    arn = resolve_function_arn(function, region)
    require_aliases(arn, profile)
    unqualified = parse_function_arn(arn).unqualified
    store.set_user_profile(unqualified, profile)
    out.write(f"Stored the tuning profile of {unqualified}:\n{json.dumps(profile, indent=2)}\n")
    return 0


def profile_show(
    function: str, *, stack_name: str, region: str | None, as_json: bool = False, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    store = _profiles(stack_name)
    unqualified = parse_function_arn(resolve_function_arn(function, region)).unqualified
    stored = store.get(unqualified)
    running = (
        stored is not None
        and bool(stored.running_execution)
        and ((stored.running_until or 0) > datetime.now(UTC).timestamp())
    )
    if as_json:
        shown: dict[str, Any] = {"function": unqualified, "profile": None}
        if stored is not None:
            last = datetime.fromtimestamp(stored.last_run_at, UTC).isoformat() if stored.last_run_at else None
            stored_at = datetime.fromtimestamp(stored.stored_at, UTC).isoformat() if stored.stored_at else None
            shown |= {"profile": stored.profile, "storedAt": stored_at, "storedBy": stored.stored_by,
                      "lastRunAt": last, "lastRunMemoryMb": stored.last_run_power,
                      "lastRunExecution": stored.last_run_execution,
                      "runningExecution": stored.running_execution if running else None}  # fmt: skip
        out.write(json.dumps(shown, indent=2) + "\n")
        return 0
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
    if running:
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


def _history_entry(execution: Execution) -> dict[str, Any]:
    output = execution.output or {}
    trigger = (execution.input or {}).get("trigger") or {}
    savings = output.get("savings") or {}
    return {
        "started": execution.started.isoformat(),
        "status": execution.status.lower(),
        "trigger": trigger.get("source", "manual"),
        "alarmName": trigger.get("alarmName"),
        "memoryMb": output.get("power"),
        "savingsPerMillion": savings.get("savingsPerMillion"),
        "execution": execution.name,
        "executionArn": execution.arn,
    }


def _history_row(entry: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
    saved = entry["savingsPerMillion"]
    return (
        f"{datetime.fromisoformat(entry['started']):%Y-%m-%d %H:%M}",
        entry["status"],
        entry["trigger"] + (f" {entry['alarmName']}" if entry["alarmName"] else ""),
        f"{entry['memoryMb']} MB" if entry["memoryMb"] else "-",
        usd(saved) if saved is not None else "-",
        entry["execution"],
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
