"""What the advice reads of a function beyond a run's measurements: read by Plan for the run (kept in the plan), and
read again by ``autotuner advise``, whose concurrency advice is on the function's traffic and settings as they are now.
Advice is best effort: what cannot be read is noted, never raised."""

from collections.abc import Callable

from autotuner.domain.advice.advise import Surroundings, advise
from autotuner.domain.advice.concurrency import TRAFFIC_DAYS, AccountConcurrency
from autotuner.domain.advice.model import Advice
from autotuner.domain.costs.pricing import PriceSheet
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.run.documents import TargetFacts
from autotuner.domain.run.output import TuningOutput
from autotuner.workflow.ports import DurationHistory, FunctionControl, TrafficHistory


def read_target_facts(
    control: FunctionControl, function: FunctionRef, durations: DurationHistory | None
) -> TargetFacts:
    """Who may invoke it, its reserved and the account's concurrency, its recent slowest call."""
    facts = TargetFacts()
    reads: dict[str, tuple[str, Callable[[], object]]] = {
        "invoked_by": ("its resource policy (GetPolicy)", control.invoke_principals),
        "reserved_concurrency": ("its reserved concurrency (GetFunctionConcurrency)", control.reserved_concurrency),
        "account_concurrency": ("the account's concurrency (GetAccountSettings)", control.account_concurrency),
    }
    if durations is not None:
        reads["recent_max_duration_ms"] = (
            f"CloudWatch's Duration of the last {TRAFFIC_DAYS} days",
            lambda: durations.max_duration_ms(function, TRAFFIC_DAYS),
        )
    for field, (what, read) in reads.items():
        try:
            setattr(facts, field, read())
        except Exception as error:  # advice is best effort: the run goes on, and says what is missing
            facts.notes.append(f"{what} could not be read: {error}")
    if facts.account_concurrency is None:
        facts.account_concurrency = AccountConcurrency.default("GetAccountSettings could not be read")
    return facts


def advice_now(output: TuningOutput, control: FunctionControl, traffic: TrafficHistory, prices: PriceSheet) -> Advice:
    """The run's advice with its concurrency advice worked out again: the run's measurements of the size it chose,
    on the function's last 14 days of traffic, its runtime, and its reserved and the account's concurrency now.
    The architecture and timeout advice are the run's (they rest on what it measured)."""
    function = parse_function_arn(output.function_arn)
    facts = read_target_facts(control, function, None)
    notes = [f"advice: {note}" for note in facts.notes]
    configuration = control.configuration()
    read = None
    try:
        read = traffic.traffic(function, TRAFFIC_DAYS)
    except Exception as error:  # the rest of the advice stands; only the traffic is missing
        notes.append(f"concurrency: the function's traffic could not be read: {error}")
    chosen = next((c for c in output.candidates if c.memory_mb == output.power), None)
    fresh = advise(
        chosen,
        deployed=configuration.architecture,
        architecture=output.architecture or configuration.architecture,
        prices=prices,
        surroundings=Surroundings(
            runtime=configuration.runtime,
            package_type=configuration.package_type,
            reserved_concurrency=facts.reserved_concurrency,
            account=facts.account_concurrency,
            traffic=read,
            notes=notes,
        ),
    )
    run = output.advice
    return fresh.model_copy(
        update={"architecture": run.architecture if run else None, "timeout": run.timeout if run else None}
    )
