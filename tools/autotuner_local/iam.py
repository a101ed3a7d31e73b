"""IAM in the local emulator: the role SAM generates for each function, and a policy evaluator.

SAM's own translator (aws-sam-translator, the version the SAM CLI uses) expands the template offline, so a
function's policies here are exactly the statements `sam deploy` puts on its role, policy templates included.
The evaluator follows IAM's rules for identity-based policies: an explicit Deny wins, otherwise an Allow is
needed; Action/NotAction match case-insensitively and Resource/NotResource case-sensitively, with `*` and `?` as
the only wildcards. moto's own evaluator is not used: it treats `.` as a regex wildcard and ignores `?`.
"""

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

import boto3
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.arn_generator import ArnGenerator  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

# Local paths are uploaded by `sam package` before the transform runs; the translator insists on S3 URIs.
PLACEHOLDER_URI = "s3://autotuner-local/placeholder"
_URI_PROPERTIES = ("CodeUri", "DefinitionUri", "ContentUri")
_ROLE_PROPERTIES = ("Role", "RoleArn")


class _NoManagedPolicies:
    """The translator asks for AWS managed policies by name only when a template names one; this one does not."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: Mapping[str, Any], parameters: Mapping[str, str], region: str) -> dict[str, Any]:
    """The template as the SAM transform turns it into CloudFormation (intrinsics left unresolved)."""
    text = json.dumps(_with_placeholder_uris(template), sort_keys=True)
    return copy.deepcopy(_translate_cached(text, json.dumps(dict(parameters), sort_keys=True), region))


@cache
def _translate_cached(template_text: str, parameters_text: str, region: str) -> dict[str, Any]:
    """samtranslator's transform(), given the stack's region: transform() takes it from the process's boto3
    configuration, which a test or the demo may not have."""
    saved_region = ArnGenerator.BOTO_SESSION_REGION_NAME  # the translator sets this global from the session
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        translated: dict[str, Any] = translator.translate(
            json.loads(template_text), json.loads(parameters_text), get_managed_policy_map=_NoManagedPolicies().load
        )
    finally:
        ArnGenerator.BOTO_SESSION_REGION_NAME = saved_region
    return translated


def _with_placeholder_uris(template: Mapping[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(dict(template))
    sections = [*copied.get("Globals", {}).values(), *(r.get("Properties", {}) for r in copied["Resources"].values())]
    for properties in sections:
        for name in _URI_PROPERTIES:
            if isinstance(properties.get(name), str) and not properties[name].startswith("s3://"):
                properties[name] = PLACEHOLDER_URI
    return copied


@dataclass(frozen=True)
class GeneratedRole:
    logical_id: str
    assume_role_policy: dict[str, Any]
    policies: list[dict[str, Any]]  # inline policies: {"PolicyName", "PolicyDocument"}, intrinsics unresolved
    managed_policy_arns: list[Any]
    properties: dict[str, Any]  # the role's properties as generated (PermissionsBoundary among them)


def boundary_of(role_properties: Mapping[str, Any]) -> dict[str, Any]:
    """create_role's PermissionsBoundary argument for a role's resolved properties (none when it has none).
    The emulator records the boundary; it does not enforce it."""
    boundary = role_properties.get("PermissionsBoundary")
    return {"PermissionsBoundary": str(boundary)} if boundary else {}


def generated_role(translated: Mapping[str, Any], logical_id: str) -> GeneratedRole | None:
    """The role the transform generated for a serverless resource; None when the resource names its own role."""
    resources: Mapping[str, Any] = translated["Resources"]
    properties = resources.get(logical_id, {}).get("Properties", {})
    for name in _ROLE_PROPERTIES:
        reference = properties.get(name)
        if isinstance(reference, dict) and "Fn::GetAtt" in reference:
            target = reference["Fn::GetAtt"]
            role_id = target.split(".", 1)[0] if isinstance(target, str) else target[0]
            role = resources.get(role_id, {})
            if role.get("Type") == "AWS::IAM::Role":
                role_properties = role.get("Properties", {})
                return GeneratedRole(
                    role_id,
                    dict(role_properties.get("AssumeRolePolicyDocument", {})),
                    list(role_properties.get("Policies", [])),
                    list(role_properties.get("ManagedPolicyArns", [])),
                    dict(role_properties),
                )
    return None


@dataclass(frozen=True)
class Request:
    """What IAM authorizes: an action on a resource, with the condition keys known for the request."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)  # condition keys, lower-cased


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICITLY_DENIED = "implicitly denied"  # no statement allows it
    EXPLICITLY_DENIED = "explicitly denied"  # a Deny statement applies: it wins over every Allow
    NOT_TRUSTED = "not trusted"  # sts:AssumeRole of a role that does not exist or whose trust policy omits the caller


def decide(documents: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """Identity-based evaluation: allowed when some statement allows the request and none denies it."""
    decision = Decision.IMPLICITLY_DENIED
    for statement in statements(documents):
        if not _applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return Decision.EXPLICITLY_DENIED
        if statement.get("Effect") == "Allow":
            decision = Decision.ALLOWED
    return decision


def is_allowed(documents: Iterable[Mapping[str, Any]], request: Request) -> bool:
    return decide(documents, request) is Decision.ALLOWED


def statements(documents: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for document in documents:
        statement = document.get("Statement", [])
        found.extend(_as_list(statement))
    return found


def granted_actions(documents: Iterable[Mapping[str, Any]]) -> set[str]:
    """The Action entries of Allow statements (as written, wildcards included)."""
    return {
        str(action)
        for statement in statements(documents)
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action", []))
    }


def action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern, ignore_case=True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    return _wildcard(pattern, ignore_case=False).fullmatch(resource) is not None


@cache
def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    # `*` is any run of characters (`:` and `/` included), `?` one character; everything else is literal.
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    return (
        _element_matches(statement, "Action", request.action, action_matches)
        and _element_matches(statement, "Resource", request.resource, resource_matches)
        and _conditions_hold(statement.get("Condition", {}), request.context)
    )


def _element_matches(statement: Mapping[str, Any], element: str, value: str, matches: Any) -> bool:
    if element in statement:
        return any(matches(str(pattern), value) for pattern in _as_list(statement[element]))
    if f"Not{element}" in statement:
        return not any(matches(str(pattern), value) for pattern in _as_list(statement[f"Not{element}"]))
    return False


_EQUALS_OPERATORS = {"StringEquals", "ArnEquals"}
_LIKE_OPERATORS = {"StringLike", "ArnLike"}  # an ARN's wildcards do not cross its colons in IAM; here they may


def _conditions_hold(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """StringEquals, StringLike, ArnEquals and ArnLike on keys the emulator knows (for Lambda calls, the
    function's tags as aws:ResourceTag/<key>). Any other operator makes the statement not apply: for an Allow that
    is the strict reading; a Deny with another operator would not be enforced (the templates have none)."""
    for operator, tests in condition.items():
        if operator not in _EQUALS_OPERATORS | _LIKE_OPERATORS:
            return False
        for key, expected in tests.items():
            actual = context.get(key.lower())
            if actual is None:  # a key absent from the request fails every String and Arn operator
                return False
            if operator in _EQUALS_OPERATORS and actual not in {str(value) for value in _as_list(expected)}:
                return False
            if operator in _LIKE_OPERATORS and not any(resource_matches(str(p), actual) for p in _as_list(expected)):
                return False
    return True


def trusts(trust: Mapping[str, Any], caller_role_arn: str, caller_account: str, context: Mapping[str, str]) -> bool:
    """Whether a role's trust policy lets ``caller_role_arn`` assume it: an Allow of sts:AssumeRole whose AWS
    principal is the caller's account (``root`` or its id) or the caller's role, with its conditions holding, and no
    Deny that applies. Service and federated principals never match a role."""
    allowed = False
    for statement in statements([trust]):
        if not _element_matches(statement, "Action", "sts:AssumeRole", action_matches):
            continue
        principals = statement.get("Principal", {})
        names = _as_list(principals.get("AWS", [])) if isinstance(principals, dict) else _as_list(principals)
        account_root = f"arn:aws:iam::{caller_account}:root"
        if not any(str(name) in {"*", caller_account, account_root, caller_role_arn} for name in names):
            continue
        if not _conditions_hold(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
