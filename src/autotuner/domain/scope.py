"""Which functions a deployment may tune or invoke: those matching its TargetFunctionArnPattern, never its own."""

import fnmatch

from autotuner.domain.arn import FunctionArn


def is_stack_function(function_name: str, stack_name: str) -> bool:
    """SAM names a stack's functions ``<stack>-<LogicalId>-<suffix>`` (the local emulator ``<stack>-<LogicalId>``);
    tuning one of them would change the tuner under its own feet."""
    return bool(stack_name) and function_name.startswith(f"{stack_name}-")


def target_problems(
    field: str, function: FunctionArn, pattern: str, stack_name: str, *, purpose: str = "tune"
) -> list[str]:
    """Why ``function`` may not be tuned (or invoked) by this deployment; an empty list when it may."""
    if not fnmatch.fnmatchcase(function.unqualified, pattern):
        return [f"{field}: {function.unqualified} is outside the functions this deployment may {purpose} ({pattern})"]
    if is_stack_function(function.name, stack_name):
        return [f"{field}: {function.name} is one of this tuner's own functions (stack {stack_name}); refused"]
    return []


def processor_problems(
    field: str, processor: FunctionArn, target: FunctionArn, pattern: str, stack_name: str
) -> list[str]:
    """A pre- or post-processor runs with the tuner's permissions: it must lie beside the target (same partition,
    account and region), within the pattern, and not be one of the tuner's own functions."""
    if (processor.partition, processor.account, processor.region) != (target.partition, target.account, target.region):
        return [
            f"{field}: {processor.unqualified} is not in the target's account and region "
            f"({target.account}, {target.region})"
        ]
    return target_problems(field, processor, pattern, stack_name, purpose="invoke")
