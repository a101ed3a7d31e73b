"""The one line a person acts on, ahead of every summary, report card and notification: what was done, what it is
worth a month, and how sure the choice is, in one word with its figure. Every figure comes from the output; where
the output holds none (no monthly count, no test of the differences) the line says so in words."""

from autotuner.domain.costs.money import usd
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.run.output import Outcome, TuningOutput

SEPARATOR = " · "


def verdict(output: TuningOutput) -> str:
    """'Applied 512 MB to $LATEST (was 1,024 MB) · saves $12.34 a month (18%) · confidence: high (96% that no
    other measured size >1% cheaper exists)'."""
    return SEPARATOR.join((action(output), saving(output), f"confidence: {confidence(output)}"))


def failed_verdict(error: str, end_state: str) -> str:
    """The verdict of a run that failed: what failed and what the function was left with."""
    return SEPARATOR.join((f"Failed: {error}", end_state, "nothing saved", "confidence: none (no choice was made)"))


def kept(output: TuningOutput) -> bool:
    """The choice is the size the function already had: applying it changed nothing."""
    if output.applied is not None:
        return output.applied.memory_mb == output.applied.previous_memory_mb
    current = output.savings.current_memory_mb if output.savings is not None else None
    return output.power is not None and output.power == current


def best_word(output: TuningOutput) -> str:
    """What the strategy calls the chosen size: 'the cheapest', 'the fastest', 'the best balanced'."""
    metric = rule_for(output.decision.strategy).minimises
    return f"the {metric.best}" if metric is not None else "the best by the balanced score"


def action(output: TuningOutput) -> str:
    power = f"{output.power} MB" if output.power is not None else ""
    match output.outcome:
        case Outcome.APPLIED:
            return _applied(output, power)
        case Outcome.RECOMMENDED:
            return _recommended(output, power)
        case Outcome.DRY_RUN:
            return f"Dry run: {power} would be chosen, nothing applied"
        case Outcome.ROLLED_BACK:
            return f"Not applied: the canary of {power} was rolled back"
        case _:
            return "Refused: no memory size meets the constraints, nothing applied"


def _applied(output: TuningOutput, power: str) -> str:
    assert output.applied is not None, "an applied run says what it applied"
    where = _where(output.applied.target)
    if kept(output):
        return f"Kept {power} on {where}: already {best_word(output)} size"
    return f"Applied {power} to {where} (was {output.applied.previous_memory_mb} MB)"


def _recommended(output: TuningOutput, power: str) -> str:
    if kept(output):
        return f"Kept {power}: already {best_word(output)} size, nothing to apply"
    if refusal := output.decision.apply_refusal:
        return f"Recommended {power}, not applied (refused: {refusal})"
    return f"Recommended {power}, not applied (autoOptimize was off)"


def _where(target: str) -> str:
    return target if target.startswith("$") else f"alias {target}"


def saving(output: TuningOutput) -> str:
    """The saving per month as the output holds it; the saving per million when it holds no monthly figure."""
    if output.outcome in {Outcome.NO_CANDIDATE, Outcome.ROLLED_BACK}:
        return "nothing saved"
    if kept(output):
        return "no change in cost"
    savings = output.savings
    if savings is None:
        return "saving unknown (the current size was not measured)"
    share = f"{abs(savings.savings_percent):.0f}%"
    monthly = savings.monthly
    if monthly is not None and monthly.usd is not None:
        applied = output.outcome is Outcome.APPLIED
        verb = ("saves" if applied else "would save") if monthly.usd >= 0 else ("costs" if applied else "would cost")
        more = "" if monthly.usd >= 0 else " more"
        return f"{verb} {usd(abs(monthly.usd))} a month{more} ({share})"
    verb = "saves" if savings.savings_per_million >= 0 else "costs"
    per_million = f"{verb} {usd(abs(savings.savings_per_million))} per million invocations ({share})"
    if monthly is None:
        return f"{per_million}; per month not worked out (no invocation count was read)"
    return f"{per_million}; per month unknown (CloudWatch counted no invocations in the last 30 days)"


def confidence(output: TuningOutput) -> str:
    """One word and its figure: from the test on the differences, or why there is none."""
    decision = output.decision
    if decision.chosen_memory_mb is None:
        return "none (no choice was made)"
    if decision.distinction is not None:
        return decision.distinction.confidence()
    if rule_for(decision.strategy).minimises is None:
        return f"untested (the {decision.strategy} strategy ranks a weighted score, with no test of the differences)"
    return "unknown (too few invocations to test the differences between sizes)"
