"""Notify: the run's output, published to the results topic; and, on the failure path, the failure in words."""

import contextlib
import json
import time
from typing import Any

from autotuner.domain.analysis import build_output
from autotuner.domain.camel import CamelModel
from autotuner.domain.contracts import AppliedChange, SearchSummary, TuningOutput
from autotuner.domain.run import Analysis, CleanupReport, Failure, Plan, RunDocument, StepError
from autotuner.domain.run_cost import run_cost, transitions
from autotuner.reports.text import failure_subject, subject, summary
from autotuner.workflow.ports import Notifier, RunRegistry


class NotifyRequest(CamelModel):
    plan: Plan
    analysis: Analysis
    applied: AppliedChange | None = None
    cleanup: CleanupReport


def finish(
    request: NotifyRequest,
    notifier: Notifier | None,
    *,
    visualization_base_url: str,
    registry: RunRegistry | None = None,
) -> TuningOutput:
    started = time.monotonic()
    plan, analysis = request.plan, request.analysis
    assert analysis.decision is not None, "Analyze always decides"
    extra_ms = (request.applied.elapsed_ms if request.applied else 0.0) + request.cleanup.elapsed_ms
    cost = run_cost(
        target_invocations=analysis.invocations + plan.preflight_invocations,
        target_cost=sum(c.total_cost for c in analysis.candidates) + plan.preflight_cost,
        tuner_elapsed_ms=analysis.tuner_elapsed_ms + extra_ms + (time.monotonic() - started) * 1000,
        tuner_invocations=analysis.tuner_invocations + 2 + int(request.applied is not None),
        tuner_memory_mb=plan.tuner.memory_mb,
        tuner_architecture=plan.tuner.architecture,
        transition_count=transitions(analysis.rounds, analysis.batches, request.applied is not None),
        prices=plan.pricing.prices,
    )
    output = build_output(
        plan.tuning,
        analysis.candidates,
        analysis.decision,
        current_memory_mb=plan.original.memory_mb,
        run_cost=cost,
        visualization_base_url=visualization_base_url,
        region=plan.region,
        applied=request.applied,
        warnings=plan.warnings,
        search=SearchSummary(
            mode=plan.tuning.search, rounds=analysis.rounds, invocations=analysis.invocations, log=analysis.notes
        ),
    )
    if registry is not None and not plan.tuning.dry_run:  # a dry run tunes nothing worth repeating
        registry.record_run(plan.function_arn, profile_of(plan), output.power, plan.execution_id)
    if notifier is not None:
        try:
            notifier.publish(
                subject(output, plan.function_name),
                summary(output, plan.function_name) + "\n\nResult (JSON):\n" + output.model_dump_json(indent=2),
                _attributes(plan.function_name, output.outcome.value, output.trigger.source.value),
            )
        except Exception as error:  # the tuning itself succeeded; a lost e-mail must not undo it
            output.warnings.append(f"the notification could not be published: {error}")
    return output


def profile_of(plan: Plan) -> dict[str, Any]:
    """The input a later automatic run reuses: the fields this run was given (not its defaults, which may
    change), without the target and the trigger. Kept as field names in the plan so that a large payload is
    not carried through the state machine twice."""
    dumped = plan.tuning.model_dump(mode="json", by_alias=True)
    return {k: dumped[k] for k in plan.given_fields if k in dumped and k not in {"lambdaARN", "trigger"}}


def describe_failure(document: RunDocument, notifier: Notifier | None) -> Failure:
    """The failure in words (not a stack trace), published too."""
    error = document.error or StepError(Error="Unknown", Cause="the run failed without an error record")
    message = _sentence(_words(error))
    cleanup = document.cleanup
    if document.cleanup_error is not None:
        message += f" Clean-up failed as well ({_words(document.cleanup_error)}); check the function's aliases."
    elif cleanup is not None and cleanup.skipped:
        message += " Nothing was changed."
    elif cleanup is not None:
        message += (
            f" Clean-up removed {len(cleanup.deleted_aliases)} aliases and {len(cleanup.deleted_versions)} versions; "
            f"the function is back at {cleanup.final_memory_mb} MB."
        )
    failure = Failure(error=error.error, message=message)
    name = document.plan.function_name if document.plan else (document.lambda_arn or "unknown").split(":")[-1]
    if notifier is not None:
        # The failure itself is what the execution reports; a notification that cannot be sent changes nothing.
        with contextlib.suppress(Exception):
            notifier.publish(failure_subject(name), f"{failure.error}: {failure.message}", _attributes(name, "failed"))
    return failure


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _words(error: StepError) -> str:
    """A Lambda error's Cause is a JSON document with errorMessage; other causes are already text."""
    try:
        cause = json.loads(error.cause)
    except (json.JSONDecodeError, TypeError):
        return error.cause or error.error
    if isinstance(cause, dict) and cause.get("errorMessage"):
        return str(cause["errorMessage"])
    return error.cause or error.error


def _attributes(function_name: str, outcome: str, trigger: str = "") -> dict[str, str]:
    """SNS message attributes, for subscription filter policies."""
    return {"function": function_name, "outcome": outcome, "trigger": trigger}
