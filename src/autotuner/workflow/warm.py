"""The warmer: invoke each target as many times at once as it wants warm environments, skipping functions
that have provisioned concurrency (the supported way to keep them warm), and never letting one bad target stop
the others."""

import json
from concurrent.futures import ThreadPoolExecutor

from autotuner.domain.automation.warming import WarmResult, WarmTarget, parse_concurrency
from autotuner.domain.automation.warmup_ping import warmup_payload
from autotuner.domain.inputs.arn import parse_function_reference
from autotuner.domain.measuring.target_text import shown_error_type
from autotuner.workflow.ports import Directory, Invoker

MAX_PARALLEL_TARGETS = 4


def warm_targets(tag_key: str, listed: list[WarmTarget], directory: Directory, result: WarmResult) -> list[WarmTarget]:
    """Targets from the tag (value = concurrency) and from the WarmTargets list; the list wins on duplicates."""
    targets: dict[str, WarmTarget] = {}
    if tag_key:
        for arn, value in directory.tagged(tag_key).items():
            key = _target_key(arn)
            try:
                targets[key] = WarmTarget(function=arn, concurrency=parse_concurrency(value, f"tag {tag_key}"))
            except ValueError as error:
                result.skipped[key] = str(error)
    for target in listed:
        targets[_target_key(target.function)] = target
    return list(targets.values())


def _target_key(function: str) -> str:
    """``name[:qualifier]``: the same for a name, a partial or a full ARN that invoke the same function and
    qualifier (tagged functions come as unqualified ARNs, so their key is the bare name)."""
    try:
        return parse_function_reference(function).qualified_name
    except ValueError:  # not a function name: kept as written, and warming it reports Lambda's error
        return function


def warm(targets: list[WarmTarget], directory: Directory, invoker: Invoker, result: WarmResult) -> WarmResult:
    with ThreadPoolExecutor(max_workers=MAX_PARALLEL_TARGETS) as pool:
        for target, outcome in zip(targets, pool.map(lambda t: _warm_one(t, directory, invoker), targets), strict=True):
            kind, detail = outcome
            if kind == "warmed":
                result.warmed.append(target.function)
                if detail:
                    result.notes[target.function] = detail
            elif kind == "skipped":
                result.skipped[target.function] = detail
            else:
                result.failed[target.function] = detail
    return result


def _warm_one(target: WarmTarget, directory: Directory, invoker: Invoker) -> tuple[str, str]:
    try:
        provisioned = directory.provisioned_concurrency(target.function)
        if provisioned:
            return "skipped", f"has {provisioned} provisioned environments; a warmer would only add cost"
        note = "" if provisioned is not None else "provisioned concurrency could not be read; warmed anyway"
        with ThreadPoolExecutor(max_workers=target.concurrency) as pool:
            payloads = [json.dumps(warmup_payload(target.concurrency, i)).encode() for i in range(target.concurrency)]
            results = list(pool.map(lambda p: invoker.invoke(target.function, p), payloads))
    except Exception as error:
        return "failed", str(error)
    errors = [r.error_type for r in results if r.error_type]
    if errors:  # the type's name at most: the target's own words stay in its logs
        shown = shown_error_type(errors[0]) or "an error"
        return "failed", f"{len(errors)} of {target.concurrency} warm-up invocations raised {shown}"
    return "warmed", note
