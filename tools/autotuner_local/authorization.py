"""Authorizing the boto3 calls a Lambda handler makes against its own role, as AWS does before serving them.

The emulator runs handlers in-process (see local.runtime), so a call is attributed to the function whose handler
made it through a context variable. Two botocore hooks, registered on every client created while enforcement is
on, do the rest: one keeps the call's parameters, the other answers a call no policy allows with AWS's own
AccessDeniedException (HTTP 403) before it reaches the emulator. Calls made outside a handler are not checked.

Roles assumed in another account: a handler's sts:AssumeRole is allowed only when its own role's policies allow
it *and* the role exists and its trust policy names the handler's role (moto itself would let any role, even a
missing one, be assumed). A third hook notes the credentials AssumeRole returned; a call signed with them is then
checked against the assumed role's policies, in its account, instead of the handler's. What is not checked: the
role's MaxSessionDuration, session policies and tags, and trust-policy conditions other than the String and Arn
operators on aws:PrincipalArn, aws:PrincipalAccount and sts:ExternalId.

Lambda calls carry the function's tags as ``aws:ResourceTag/<key>`` (so a Deny on CloudFormation's stack-id tag
holds), and GetFunction returns a function's tags only to a caller allowed lambda:ListTags on it, as Lambda does.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS
from botocore.model import OperationModel
from botocore.signers import RequestSigner
from moto.awslambda.models import lambda_backends

from autotuner.adapters.clients import forget_clients
from autotuner.domain.inputs.arn import FunctionRef, FunctionReference, parse_function_reference
from autotuner_local.iam import Decision, Request, decide, trusts

_PARAMETERS_KEY = "autotuner_local_api_parameters"
_PRINCIPAL_KEY = "autotuner_local_principal"  # the role a call acted as, for its after-call hooks
# IAM's service prefix where it is not botocore's signing name.
_IAM_PREFIXES = {"cloudwatch": "cloudwatch", "resourcegroupstaggingapi": "tag"}
# IAM action names that differ from the operation's name.
_ACTION_NAMES = {
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
}


@dataclass(frozen=True)
class AuthorizationDecision:
    """One call a handler made, and whether the role it acted as (its own, or one it assumed) allowed it."""

    function_name: str
    action: str
    resource: str
    allowed: bool
    role_arn: str = ""


@dataclass(frozen=True)
class Role:
    """A role as the emulator's IAM holds it: who may assume it, and what its policies allow."""

    arn: str
    trust: dict[str, Any]
    documents: list[dict[str, Any]]

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


@dataclass(frozen=True)
class Principal:
    """A function's execution role (or a role its handler assumed), as its handler's calls present it."""

    function_name: str
    role_arn: str
    account: str
    documents: list[dict[str, Any]]
    record: Callable[[AuthorizationDecision], None]
    role_named: Callable[[str], Role | None] = lambda _arn: None  # any account's role, by ARN
    session_name: str = ""  # a role the handler assumed: the session it named; its own role: the function's name
    logical_id: str = ""  # the function's logical id in its stack (its aws:cloudformation:logical-id tag)

    @property
    def session_arn(self) -> str:
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account}:assumed-role/{role_name}/{self.session_name or self.function_name}"

    def assuming(self, role: Role, session_name: str) -> "Principal":
        """The same handler, acting with the credentials of ``role`` (its decisions still recorded under it)."""
        return Principal(
            self.function_name, role.arn, role.account, role.documents, self.record, self.role_named, session_name,
            self.logical_id,
        )  # fmt: skip


@dataclass(frozen=True)
class _AssumedSession:
    role_arn: str
    session_name: str


# Credentials a handler obtained from AssumeRole (access key id -> the role and session), while enforcement is on.
_ASSUMED_SESSIONS: dict[str, _AssumedSession] = {}


CURRENT_PRINCIPAL: ContextVar[Principal | None] = ContextVar("autotuner_local_principal", default=None)


def iam_action(model: OperationModel) -> str:
    service = model.service_model
    prefix = _IAM_PREFIXES.get(service.service_name) or service.signing_name or service.endpoint_prefix
    return f"{prefix}:{_ACTION_NAMES.get((service.service_name, model.name), model.name)}"


def resource_arn(service: str, operation: str, parameters: Mapping[str, Any], account: str, region: str) -> str:
    """The ARN IAM checks for a request ("*" for operations on no particular resource)."""
    if service == "lambda" and ("FunctionName" in parameters or "LayerName" in parameters):
        return _lambda_arn(operation, parameters, account, region)
    if service == "dynamodb" and "TableName" in parameters:
        table = str(parameters["TableName"])
        arn = table if table.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{table}"
        index = parameters.get("IndexName")  # a Query or Scan of an index is authorized on the index's ARN
        return f"{arn}/index/{index}" if index else arn
    if service == "logs" and "logGroupName" in parameters:  # IAM checks a log group's events on the group's ARN
        return f"arn:aws:logs:{region}:{account}:log-group:{parameters['logGroupName']}"
    if service == "s3" and "Bucket" in parameters:
        key = parameters.get("Key")
        return f"arn:aws:s3:::{parameters['Bucket']}" + (f"/{key}" if key is not None else "")
    for name in _ARN_PARAMETERS.get(service, ()):
        if name in parameters:
            return str(parameters[name])
    return "*"


def _lambda_arn(operation: str, parameters: Mapping[str, Any], account: str, region: str) -> str:
    """A function's ARN, or a layer version's (named by the layer's name or ARN and its version number)."""
    if "LayerName" not in parameters:
        return _function_arn(operation, parameters, account, region)
    layer = str(parameters["LayerName"])
    layer = layer if layer.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:layer:{layer}"
    number = parameters.get("VersionNumber")
    return f"{layer}:{number}" if number is not None else layer


# Operations on a resource named by its ARN; every other operation of these services is on "*" (CloudWatch's
# GetMetricStatistics, GetMetricData, DescribeAlarms...; tag:GetResources).
_ARN_PARAMETERS = {
    "lambda": ("Resource",),  # ListTags, TagResource, UntagResource
    "sts": ("RoleArn",),
    "sns": ("TopicArn", "TargetArn"),
    "stepfunctions": ("stateMachineArn", "executionArn", "mapRunArn", "activityArn"),
    "cloudwatch": ("ResourceARN",),
}


def _function_arn(operation: str, parameters: Mapping[str, Any], account: str, region: str) -> str:
    """Lambda authorizes a call with a qualifier (in the name or the Qualifier parameter) against the qualified
    ARN, otherwise against the function's ARN; alias operations (those naming an alias by Name) against the
    function's ARN."""
    name = str(parameters["FunctionName"])
    try:
        reference = parse_function_reference(name)
    except ValueError:  # Lambda refuses the name itself; authorize it as written, as one that names no qualifier
        reference = FunctionReference(name=name)
    qualifier = reference.qualifier or parameters.get("Qualifier")
    if "Name" in parameters and operation.endswith("Alias"):
        qualifier = None
    function = FunctionRef(
        partition=reference.partition or "aws",
        region=reference.region or region,
        account=reference.account or account,
        name=reference.name,
    )
    return function.qualified(qualifier) if qualifier else function.unqualified


def keep_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """before-parameter-build: the call's parameters as given (before-call sees the serialized request only)."""
    context[_PARAMETERS_KEY] = dict(params)


def authorize(
    model: OperationModel, context: dict[str, Any], request_signer: RequestSigner | None = None, **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    """before-call: None lets an allowed call proceed; a denied one gets AWS's answer without being sent."""
    principal = _acting_principal(CURRENT_PRINCIPAL.get(), request_signer)
    if principal is None:
        return None
    region = str(context.get("client_region") or "us-east-1")
    action = iam_action(model)
    resource = resource_arn(
        model.service_model.service_name, model.name, context.get(_PARAMETERS_KEY, {}), principal.account, region
    )
    known_keys = {"aws:requestedregion": region, "aws:principalaccount": principal.account}
    known_keys |= resource_tag_keys(action, resource)
    request = Request(action, resource, known_keys | {"aws:principalarn": principal.role_arn})
    context[_PRINCIPAL_KEY] = principal
    decision = decide(principal.documents, request)
    external_id = context.get(_PARAMETERS_KEY, {}).get("ExternalId")
    if decision is Decision.ALLOWED and action == "sts:AssumeRole" and not _trusted(principal, resource, external_id):
        decision = Decision.NOT_TRUSTED
    allowed = decision is Decision.ALLOWED
    principal.record(AuthorizationDecision(principal.function_name, action, resource, allowed, principal.role_arn))
    if decision is Decision.ALLOWED:
        return None
    return _access_denied(principal, request, decision)


def _acting_principal(principal: Principal | None, signer: RequestSigner | None) -> Principal | None:
    """The handler's own role, or the role whose assumed credentials sign this call."""
    if principal is None or signer is None:
        return principal
    credentials = signer._credentials  # type: ignore[attr-defined]  # the client's credentials: its session's, or a role assumed with them
    session = _ASSUMED_SESSIONS.get(credentials.get_frozen_credentials().access_key) if credentials else None
    if session is None:
        return principal
    role = principal.role_named(session.role_arn)
    if role is None:  # deleted since it was assumed: its credentials keep no permissions here
        role = Role(session.role_arn, {}, [])
    return principal.assuming(role, session.session_name)


def _trusted(principal: Principal, role_arn: str, external_id: str | None) -> bool:
    """Whether the role exists and its trust policy lets the principal's role assume it (with the external id the
    call presents, if any)."""
    role = principal.role_named(role_arn)
    if role is None:
        return False
    context = {"aws:principalarn": principal.role_arn, "aws:principalaccount": principal.account}
    if external_id is not None:
        context["sts:externalid"] = str(external_id)
    return trusts(role.trust, principal.role_arn, principal.account, context)


def resource_tag_keys(action: str, resource: str) -> dict[str, str]:
    """``aws:ResourceTag/<key>`` for a call on a Lambda function (its tags, which versions and aliases share), as
    IAM puts them in the request context; other services' calls get none here."""
    if not action.startswith("lambda:") or ":function:" not in resource:
        return {}
    tags = function_tags(resource)
    return {f"aws:resourcetag/{key.lower()}": value for key, value in tags.items()}


def function_tags(function_arn: str) -> dict[str, str]:
    """A function's tags as moto holds them ({} for a function that does not exist)."""
    parts = function_arn.split(":")
    if len(parts) < 7:
        return {}
    region, account, name = parts[3], parts[4], parts[6]
    try:
        return dict(lambda_backends[account][region].get_function(name).tags or {})
    except Exception:
        return {}


def hide_tags_without_list_tags(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """after-call of lambda:GetFunction: Lambda returns a function's tags only to a caller allowed
    lambda:ListTags on it, and a TagsError otherwise."""
    principal = context.get(_PRINCIPAL_KEY)
    function_arn = parsed.get("Configuration", {}).get("FunctionArn")
    if not isinstance(principal, Principal) or not function_arn:
        return
    unqualified = ":".join(str(function_arn).split(":")[:7])
    keys = {"aws:principalaccount": principal.account, "aws:principalarn": principal.role_arn}
    request = Request("lambda:ListTags", unqualified, keys | resource_tag_keys("lambda:ListTags", unqualified))
    if decide(principal.documents, request) is Decision.ALLOWED:  # the call used the permission: it is recorded
        principal.record(AuthorizationDecision(principal.function_name, request.action, unqualified, True,
                                               principal.role_arn))  # fmt: skip
        return
    parsed.pop("Tags", None)
    parsed["TagsError"] = {
        "ErrorCode": "AccessDeniedException",
        "Message": f"User: {principal.session_arn} is not authorized to perform: lambda:ListTags on resource: "
        f"{unqualified}",
    }


def note_assumed_role(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """after-call of sts:AssumeRole: the credentials it returned to a handler act as that role from now on."""
    if CURRENT_PRINCIPAL.get() is None or "Credentials" not in parsed:
        return
    session = parsed.get("AssumedRoleUser", {}).get("Arn", "").rsplit("/", 1)[-1]
    role_arn = str(context.get(_PARAMETERS_KEY, {}).get("RoleArn", ""))
    _ASSUMED_SESSIONS[parsed["Credentials"]["AccessKeyId"]] = _AssumedSession(role_arn, session)


def _access_denied(principal: Principal, request: Request, decision: Decision) -> tuple[AWSResponse, dict[str, Any]]:
    reasons = {
        Decision.EXPLICITLY_DENIED: " with an explicit deny in an identity-based policy",
        Decision.IMPLICITLY_DENIED: f" because no identity-based policy allows the {request.action} action",
        Decision.NOT_TRUSTED: "",  # AWS says no more when the role is missing or does not trust the caller
    }
    message = (
        f"User: {principal.session_arn} is not authorized to perform: {request.action} "
        f"on resource: {request.resource}{reasons[decision]}"
    )
    code = "AccessDenied" if request.action.startswith("sts:") else "AccessDeniedException"  # STS's own name
    headers = HTTPHeaders()
    headers["x-amzn-ErrorType"] = code
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": dict(headers.items())},
    }
    return AWSResponse("https://local.emulator/denied", 403, headers, None), parsed


@contextmanager
def enforcement() -> Iterator[None]:
    """Check every call handlers make from now on: the hooks go on every client created from here (cached
    clients are dropped so they are recreated). Pool threads act as their handler through ``calls_kept_apart``."""
    hooks = [
        ("before-parameter-build", keep_parameters),
        ("before-call", authorize),
        ("after-call.sts.AssumeRole", note_assumed_role),
        ("after-call.lambda.GetFunction", hide_tags_without_list_tags),
    ]
    BUILTIN_HANDLERS.extend(hooks)
    forget_clients()
    try:
        yield
    finally:
        for hook in hooks:
            BUILTIN_HANDLERS.remove(hook)
        _ASSUMED_SESSIONS.clear()
        forget_clients()
