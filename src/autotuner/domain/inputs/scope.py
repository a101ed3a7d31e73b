"""Which functions a deployment may tune or invoke: those matching its TargetFunctionArnPattern, never its own;
and, for a target in another account, the role there that every call for it goes through."""

import fnmatch

from autotuner.domain.camel import CamelModel
from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.run.naming import role_session_name

ROLE_TEMPLATE = "templates/target-account-role.yaml"


def is_stack_function(function_name: str, stack_name: str) -> bool:
    """SAM names a stack's functions ``<stack>-<LogicalId>-<suffix>`` (the local emulator ``<stack>-<LogicalId>``);
    tuning one of them would change the tuner under its own feet."""
    return bool(stack_name) and function_name.startswith(f"{stack_name}-")


def target_problems(
    field: str, function: FunctionRef, pattern: str, stack_name: str, *, purpose: str = "tune"
) -> list[str]:
    """Why ``function`` may not be tuned (or invoked) by this deployment; an empty list when it may."""
    if not fnmatch.fnmatchcase(function.unqualified, pattern):
        return [f"{field}: {function.unqualified} is outside the functions this deployment may {purpose} ({pattern})"]
    if is_stack_function(function.name, stack_name):
        return [f"{field}: {function.name} is one of this tuner's own functions (stack {stack_name}); refused"]
    return []


def processor_problems(
    field: str, processor: FunctionRef, target: FunctionRef, pattern: str, stack_name: str
) -> list[str]:
    """A pre- or post-processor runs with the tuner's permissions: it must lie beside the target (same partition,
    account and region), within the pattern, and not be one of the tuner's own functions."""
    if (processor.partition, processor.account, processor.region) != (target.partition, target.account, target.region):
        return [
            f"{field}: {processor.unqualified} is not in the target's account and region "
            f"({target.account}, {target.region})"
        ]
    return target_problems(field, processor, pattern, stack_name, purpose="invoke")


class AssumedRole(CamelModel):
    """The role in the target's account that the tuner's Lambda calls for it go through, and the session name
    that names the run (what the target account's CloudTrail shows)."""

    role_arn: str
    session_name: str


def account_problems(field: str, target: FunctionRef, tuner_account: str | None, role_name: str) -> list[str]:
    """Why a target in another account cannot be reached: the deployment names no role to assume there.
    ``tuner_account`` None: the account is not known (every target is reached with the tuner's own role)."""
    if tuner_account is None or target.account == tuner_account or role_name:
        return []
    return [
        f"{field}: {target.unqualified} is in account {target.account}, not this tuner's account {tuner_account}; "
        f"to tune functions in other accounts, deploy {ROLE_TEMPLATE} there and the tuner with the parameter "
        "TargetAccountRoleName"
    ]


def target_role(target: FunctionRef, tuner_account: str | None, role_name: str, run_id: str) -> AssumedRole | None:
    """The role to assume for ``target`` (None: the tuner's own account, reached with its own role)."""
    if tuner_account is None or target.account == tuner_account or not role_name:
        return None
    return AssumedRole(
        role_arn=f"arn:{target.partition}:iam::{target.account}:role/{role_name}",
        session_name=role_session_name(run_id),
    )
