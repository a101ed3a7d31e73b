"""Plain-text summaries of a tuning run, for the terminal and for notifications."""

from datetime import UTC, datetime

from autotuner.domain.costs.money import usd
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.run.output import Outcome, SearchSummary, TuningOutput
from autotuner.domain.run.verdict import kept, verdict
from autotuner.reports.charts.series import cold_invocations, cold_only_sizes


def counted(count: int, noun: str) -> str:
    """'1 round', '3 rounds': a count with its noun in the right number (regular plurals only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def search_extent(search: SearchSummary) -> str:
    """'3 rounds, 31 invocations'."""
    return f"{counted(search.rounds, 'round')}, {counted(search.invocations, 'invocation')}"


def monthly_line(output: TuningOutput) -> str | None:
    """What the saving is worth a month, with the invocation count it used ('saves' once applied)."""
    if output.savings is None or (monthly := output.savings.monthly) is None:
        return None
    if monthly.usd is None or monthly.invocations_last_30_days is None:
        return (
            "Per month: unknown: CloudWatch has no Invocations of the function in the last 30 days (Lambda "
            "publishes the metric only when the function is invoked, in the function's own account)."
        )
    verb = ("saves" if output.outcome is Outcome.APPLIED else "would save") if monthly.usd >= 0 else "costs"
    return (
        f"Per month: {verb} {usd(abs(monthly.usd))} at the {monthly.invocations_last_30_days:,} invocations of the "
        "last 30 days (CloudWatch)."
    )


def curve_line(output: TuningOutput) -> str | None:
    """What the cost curve of an adaptive run says: whether it fits, and where it puts the cheapest size."""
    curve = output.search.curve if output.search is not None else None
    if curve is None:
        return None
    fitted = counted(len(curve.fitted_sizes), "size")
    if not curve.fits:
        return f"does not fit the {fitted} it was fitted to, so it was not used."
    left_out = f", leaving out {curve.left_out}" if curve.left_out else ""
    band = curve.optimum_band
    return (
        f"fits {fitted}{left_out}; cheapest at {curve.optimum_mb:,} MB, {usd(curve.optimum_cost)} per invocation "
        f"(the curve's 95% band {usd(band.low)}-{usd(band.high)})."
    )


def traffic_lines(output: TuningOutput) -> list[str]:
    """A traffic run's own account: that its figures are production's calls, each candidate's window (when, how
    many calls against the current version's, how it ended, the paired comparison) and what reading the logs took."""
    traffic = output.traffic
    if traffic is None:
        return []
    lines = [traffic.statement]
    for trial in traffic.trials:
        start, end = (datetime.fromtimestamp(t, UTC) for t in (trial.started_epoch_s, trial.ended_epoch_s))
        line = (
            f"Candidate {trial.number}: {trial.memory_mb} MB (version {trial.version}), production calls from "
            f"{start:%Y-%m-%d %H:%M:%S} to {end:%H:%M:%S} UTC: {trial.candidate.calls} against "
            f"{trial.current.calls} of version {traffic.version}; {trial.ended.value}: {trial.reason}"
        )
        if trial.comparison is not None:
            line += f"; {trial.comparison.describe()}"
        lines.append(line + ".")
    lines.append(f"Log reads: {traffic.log_reads_cost}.")
    return lines


def margins_line(output: TuningOutput) -> str | None:
    """The margins the choice keeps and the evidence behind it, in one line; None for an output without them (a
    run before they were kept)."""
    margins = output.decision.margins
    if margins is None:
        return None
    parts: list[str] = []
    if output.decision.chosen_memory_mb is None:
        if margins.timeout_needed_s is not None and margins.timeout_ms:
            return (
                f"no size keeps its slowest call under {margins.max_timeout_share:.0%} of the "
                f"{margins.timeout_ms / 1000:g} s timeout; a timeout of {margins.timeout_needed_s} s would make the "
                "cheapest of them safe."
            )
        return None
    chosen = output.decision.chosen_memory_mb
    if margins.min_memory_headroom <= 0:
        parts.append("memory margin off (minMemoryHeadroom 0)")
    elif (memory := margins.memory) is not None:
        where = "" if memory.used_at_mb == chosen else f" at {memory.used_at_mb:,} MB"
        text = (
            f"{chosen:,} MB leaves {memory.free_share:.1%} free over the {memory.used_mb:,} MB a call used{where} "
            f"(at least {margins.min_memory_headroom:.0%})"
        )
        if memory.out_of_memory_mb is not None and memory.above_out_of_memory is not None:
            text += f", {memory.above_out_of_memory:.0%} above {memory.out_of_memory_mb:,} MB, which ran out of memory"
        parts.append(text)
    if (timeout := margins.timeout) is not None:
        parts.append(
            f"its slowest call took {timeout.slowest_ms:,.0f} ms, {timeout.share:.0%} of the "
            f"{timeout.timeout_ms / 1000:g} s timeout (at most {margins.max_timeout_share:.0%})"
        )
    if (evidence := margins.evidence) is not None:
        payloads = f", every one of the {evidence.payloads} payloads among them" if evidence.payloads > 1 else ""
        if evidence.payloads_sent < evidence.payloads:
            payloads = f", {evidence.payloads_sent} of the {evidence.payloads} payloads among them"
        parts.append(
            f"{counted(evidence.calls, 'call')}, {evidence.warm_calls} warm{payloads}, behind the choice (auto-apply "
            f"needs {margins.min_calls}, {margins.min_warm_calls} warm)"
        )
    return "; ".join(parts) + "." if parts else None


def subject(output: TuningOutput, function_name: str) -> str:
    if output.outcome is Outcome.NO_CANDIDATE:
        return f"Autotuner: {function_name}: no memory size meets the constraints"
    savings = None if kept(output) else output.savings  # keeping a size changes no cost
    saving = f" (saves {savings.savings_percent:.0f}%)" if savings and savings.savings_percent > 0 else ""
    verbs = {Outcome.APPLIED: "set to", Outcome.RECOMMENDED: "recommends", Outcome.DRY_RUN: "dry run:",
             Outcome.ROLLED_BACK: "canary rolled back:"}  # fmt: skip
    keeps = kept(output) and output.outcome in {Outcome.APPLIED, Outcome.RECOMMENDED}
    verb = "kept at" if keeps else verbs[output.outcome]
    return f"Autotuner: {function_name} {verb} {output.power} MB{saving}"


def failure_subject(function_name: str) -> str:
    return f"Autotuner: tuning {function_name} failed"


def output_table(output: TuningOutput) -> str:
    """The output's candidates as a table, with what the decision excluded and what was measured only cold."""
    excluded = {e.memory_mb for e in output.decision.excluded}
    return candidate_table(output.candidates, output.power, excluded, cold_only_sizes(output))


def candidate_table(
    candidates: list[CandidateStats],
    chosen: int | None,
    excluded: set[int] | None = None,
    cold_only: dict[int, int] | None = None,
) -> str:
    """Every candidate, the chosen one marked; ``excluded`` sizes (by a constraint) say so, and so do sizes measured
    by ``cold_only`` starts alone (their cost includes the start-up, as the charts' diamonds say)."""
    header = ("", "Memory", "p50 ms", "p95 ms", "$/invocation", "$/million", "n", "cold", "status")
    rows = [header]
    for c in sorted(candidates, key=lambda c: c.memory_mb):
        mark = "*" if c.memory_mb == chosen else ""
        if c.duration_ms is None or c.cost is None:
            counts = (str(c.invocations), str(c.cold_starts))
            rows.append((mark, f"{c.memory_mb} MB", "-", "-", "-", "-", *counts, "failed"))
            continue
        rows.append(
            (
                mark,
                f"{c.memory_mb} MB",
                f"{c.duration_ms.median:.1f}",
                f"{c.duration_ms.p95:.1f}",
                usd(c.cost_estimate),
                usd(c.cost_estimate * 1e6),
                str(c.invocations),
                str(c.cold_starts),
                ("excluded" if c.memory_mb in (excluded or set()) else "ok") + _cold_only(c.memory_mb, cold_only),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    # Figures right-aligned; the status, words of any length, left-aligned.
    aligned = [[*(c.rjust(w) for c, w in zip(row[:-1], widths, strict=False)), row[-1]] for row in rows]
    lines = ["  ".join(cells).rstrip() for cells in aligned]
    return "\n".join(lines)


def _cold_only(memory_mb: int, cold_only: dict[int, int] | None) -> str:
    count = (cold_only or {}).get(memory_mb)
    return f", {cold_invocations(count)} only" if count else ""


def summary(output: TuningOutput, function_name: str) -> str:
    lines = [verdict(output), "", f"Lambda Autotuner: {function_name}", f"Function: {output.function_arn}", ""]
    lines.append(outcome_line(output))
    if (canary := output.canary) is not None:
        lines.append(f"Canary: {canary.verdict.value} after {canary.checks} checks: {canary.reason}.")
    lines.append(f"Why: {output.decision.reason}")
    if output.confidence:
        lines.append(f"Confidence: {output.confidence}")
    if (margins := margins_line(output)) is not None:
        lines.append(f"Margins: {margins}")
    if trade_off := trade_off_line(output):
        lines.append(f"Speed: {trade_off}")
    if frontier := frontier_line(output):
        lines.append(f"Frontier: {frontier}")
    if output.search is not None and output.search.mode.value == "adaptive":
        lines.append(f"Search: adaptive, {search_extent(output.search)}.")
    if (curve := curve_line(output)) is not None:
        lines.append(f"Cost curve: {curve}")
    lines += traffic_lines(output)
    if output.savings is not None:
        s = output.savings
        direction = "saves" if s.savings_per_million >= 0 else "costs"
        lines.append(
            f"Against the current {s.current_memory_mb} MB: {direction} {usd(abs(s.savings_per_million))} per million "
            f"invocations ({abs(s.savings_percent):.1f}%), "
            f"{s.current_duration_ms:.1f} ms -> {s.chosen_duration_ms:.1f} ms"
        )
        if (monthly := monthly_line(output)) is not None:
            lines.append(monthly)
    lines += [f"Advice, {label.lower()}: {text}" for label, text in advice_rows(output)]
    lines += ["", output_table(output)]
    if output.decision.excluded:
        lines += ["", "Excluded:"] + [f"  {e.memory_mb} MB: {e.reason}" for e in output.decision.excluded]
    cost = output.state_machine
    target = (
        "no invocation of the target (production's own calls were measured)"
        if output.traffic is not None
        else f"{cost.invocations} invocations of the target {usd(cost.lambda_cost)}"
    )
    lines += [
        "",
        f"This run cost {usd(cost.total_cost)}: {target}, the tuner's Lambdas {usd(cost.tuner_lambda_cost)}, state "
        f"transitions {usd(cost.execution_cost)}.",
        f"Chart: {cost.visualization}",
    ]
    if output.trigger.source.value != "manual":
        trigger = output.trigger
        lines.append(f"Triggered by {trigger.source.value} {trigger.alarm_name or ''}: {trigger.reason or ''}")
    if output.profile_stored:
        lines.append("Stored this run's input as the function's profile (saveProfile): alarm and fleet runs use it.")
    lines += [f"Note: {warning}" for warning in output.warnings]
    return "\n".join(lines)


def advice_rows(output: TuningOutput) -> list[tuple[str, str]]:
    """The advice on architecture, timeout and concurrency: each what to set, why, and its monthly figure."""
    advice = output.advice
    if advice is None:
        return []
    rows: list[tuple[str, str]] = []
    for label, entry in (
        ("Architecture", advice.architecture), ("Timeout", advice.timeout), ("Concurrency", advice.concurrency)
    ):  # fmt: skip
        if entry is None:
            continue
        verb = "applied" if entry.applied else ("set" if entry.change else "keep")
        monthly = f"{usd(entry.monthly_usd)} a month ({entry.monthly_basis})" if entry.monthly_usd is not None else ""
        rows.append((label, f"{verb} {entry.setting}. {entry.why} Monthly figure: {monthly or entry.monthly_basis}."))
    return rows


def outcome_line(output: TuningOutput) -> str:
    match output.outcome:
        case Outcome.APPLIED:
            return _applied_line(output)
        case Outcome.RECOMMENDED if output.decision.apply_refusal:
            return f"Recommended {output.power} MB, not applied: {output.decision.apply_refusal}."
        case Outcome.RECOMMENDED:
            return f"Recommended {output.power} MB (not applied: autoOptimize was off)."
        case Outcome.ROLLED_BACK:
            canary = output.canary
            assert canary is not None
            where = f"version {canary.alias_version}" if canary.alias_version else "as the run found it"
            return (
                f"Not applied: the canary of {output.power} MB on alias {canary.window.alias} was rolled back; read "
                f"back, the alias points to {where} with routing {canary.alias_routing or {}}."
            )
        case Outcome.DRY_RUN:
            return f"Dry run: {output.power} MB would be chosen from one invocation per size; nothing was applied."
        case _:
            return "No memory size meets the constraints; nothing was applied."


def _applied_line(output: TuningOutput) -> str:
    applied = output.applied
    assert applied is not None, "an applied run says what it applied"
    if kept(output):
        return f"Kept {applied.memory_mb} MB on {applied.target}: it already had that size."
    return f"Applied {applied.memory_mb} MB to {applied.target} (was {applied.previous_memory_mb} MB)."


def trade_off_line(output: TuningOutput) -> str:
    """What the chosen size costs in speed: the next faster frontier size's extra cost and time saved."""
    decision = output.decision
    chosen = next((p for p in decision.frontier if p.memory_mb == decision.chosen_memory_mb), None)
    if chosen is None:
        return ""
    if decision.faster_option is None:
        return f"{chosen.memory_mb} MB is the fastest measured size that meets the constraints."
    return f"beside {chosen.memory_mb} MB, " + decision.faster_option.describe(chosen) + "."


def frontier_line(output: TuningOutput) -> str:
    """The cost/latency frontier: each size faster than every cheaper one, cheapest first."""
    points = output.decision.frontier
    if len(points) < 2:
        return ""
    listed = "; ".join(f"{p.memory_mb} MB {usd(p.cost)} {p.duration_ms:,.1f} ms" for p in points)
    return f"each faster than every cheaper size: {listed}"
