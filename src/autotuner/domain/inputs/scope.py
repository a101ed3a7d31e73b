"""Which functions a deployment may tune or invoke: those matching its TargetFunctionArnPattern, never its own
(known by CloudFormation's stack-id tag); and, for a target in another account, the role there that every call
for it goes through."""

import fnmatch
from collections.abc import Collection, Mapping

from autotuner.domain.camel import CamelModel
from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.run.naming import role_session_name

ROLE_TEMPLATE = "templates/target-account-role.yaml"


# CloudFormation tags every resource it creates with its stack's id; users cannot set or remove `aws:` tags.
STACK_ID_TAG = "aws:cloudformation:stack-id"


def is_stack_function(tags: Mapping[str, str], stack_id: str) -> bool:
    """Whether the function carries this stack's id: one of the tuner's own functions, whatever CloudFormation
    named it (it shortens the stack's name and the logical id to fit 64 characters, so a name tells nothing).
    Tuning one would change the tuner under its own feet and let a caller invoke it with any payload."""
    return bool(stack_id) and tags.get(STACK_ID_TAG) == stack_id


def stack_name_of(stack_id: str) -> str:
    """``arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`` -> ``<name>``."""
    parts = stack_id.split("/")
    return parts[1] if len(parts) == 3 else stack_id


def own_function_problems(
    field: str, function: FunctionRef, tags: Mapping[str, str] | None, stack_id: str
) -> list[str]:
    """Why ``function`` is refused as one of the tuner's own; ``tags`` None: Lambda did not return its tags (the
    role lacks lambda:ListTags), so nobody can tell, and the function is refused."""
    if tags is None:
        return [
            f"{field}: the tags of {function.name} could not be read (lambda:ListTags), so the tuner cannot tell "
            "whether it is one of its own functions; refused"
        ]
    if is_stack_function(tags, stack_id):
        return [
            f"{field}: {function.name} is one of this tuner's own functions (stack {stack_name_of(stack_id)}); refused"
        ]
    return []


def target_problems(field: str, function: FunctionRef, pattern: str, *, purpose: str = "tune") -> list[str]:
    """Why ``function`` may not be tuned (or invoked) by this deployment; an empty list when it may. (Whether it is
    one of the tuner's own is known once its tags are read: ``own_function_problems``.)"""
    if not fnmatch.fnmatchcase(function.unqualified, pattern):
        return [f"{field}: {function.unqualified} is outside the functions this deployment may {purpose} ({pattern})"]
    return []


def processor_problems(field: str, processor: FunctionRef, target: FunctionRef, pattern: str) -> list[str]:
    """A pre- or post-processor runs with the tuner's permissions: it must lie beside the target (same partition,
    account and region) and within the pattern (and, once read, not be one of the tuner's own functions)."""
    if (processor.partition, processor.account, processor.region) != (target.partition, target.account, target.region):
        return [
            f"{field}: {processor.unqualified} is not in the target's account and region "
            f"({target.account}, {target.region})"
        ]
    return target_problems(field, processor, pattern, purpose="invoke")


class AssumedRole(CamelModel):
    """The role in the target's account that the tuner's Lambda calls for it go through, and the session name
    that names the run (what the target account's CloudTrail shows)."""

    role_arn: str
    session_name: str


def account_problems(
    field: str, target: FunctionRef, tuner_account: str | None, role_name: str, account_ids: Collection[str] = ()
) -> list[str]:
    """Why a target in another account may not be reached: the deployment names no role to assume there, or does
    not name the target's account among ``account_ids`` (its TargetAccountIds). ``tuner_account`` None: the account
    is not known (every target is reached with the tuner's own role)."""
    if tuner_account is None or target.account == tuner_account:
        return []
    if role_name and target.account in account_ids:
        return []
    if role_name:
        named = ", ".join(sorted(account_ids)) or "none"
        return [
            f"{field}: {target.unqualified} is in account {target.account}, which is not one of the accounts this "
            f"deployment may tune (its TargetAccountIds: {named}); refused"
        ]
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
