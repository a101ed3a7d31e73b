"""Running Lambda functions inside this process when the local emulator (moto) invokes them.

moto cannot run Lambda code without Docker. Its invoke path goes through ``LambdaFunction._invoke_lambda(self,
event) -> (payload, errored, logs)``, and Step Functions' Lambda tasks go through the same path; replacing it
runs the whole workflow here: the state machine calls our real handlers, which invoke emulated targets whose
log tails carry real REPORT lines. ``self`` is the invoked version (its memory is the version's memory).

This is a private moto API; requirements pin moto's version, and this module is the only place that touches it.
"""

import copy
import functools
import importlib
import json
import math
import os
import random
import re
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import unquote

import botocore.session
from jsonpath_ng.ext.parser import parse as parse_json_path
from moto.awslambda.exceptions import PreconditionFailedException
from moto.awslambda.models import LambdaBackend, LambdaFunction, LambdaStorage
from moto.awslambda.responses import LambdaResponse
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.exceptions import JsonRESTError
from moto.core.models import botocore_stubber
from moto.dynamodb.models import DynamoDBBackend
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

from autotuner.adapters import control_plane_budget
from autotuner.adapters.function_code import CodePackageError, elf_headers
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.portability import native_binary_problems
from autotuner.domain.measuring.lambda_logs import (
    InvocationReport,
    InvocationStatus,
    format_platform_report,
    format_report_line,
)
from autotuner.handlers.settings import forget_settings
from autotuner_local.authorization import CURRENT_PRINCIPAL, AuthorizationDecision, Principal, Role, enforcement
from autotuner_local.call_context import call_environment, calls_kept_apart
from autotuner_local.code_server import CodeServer, serving
from autotuner_local.control_plane import ControlPlaneQuota
from autotuner_local.environments import HandlerEnvironments, clients_apart
from autotuner_local.log_groups import LOG_FORMAT_VARIABLE, WORKLOAD_VARIABLE, LambdaLogs
from autotuner_local.naming import LOGICAL_ID_TAG
from autotuner_local.workloads import WORKLOADS, Workload

WARMUP_MARKER = {"autotuner": "warmup"}
# Locally there is no X-Ray daemon and no CloudWatch agent to read metrics from stdout.
# CloudWatch Logs here holds a call's lines at once: a traffic run's checks need not leave it time to ingest them.
LOCAL_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true", "THROTTLE_BASE_DELAY_MS": "1", "LOG_SETTLE_SECONDS": "0"}
QUIET_ENVIRONMENT = {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}

Hook = Callable[[LambdaFunction, Any], None]


class ThrottledError(JsonRESTError):
    """What Lambda answers when concurrency runs out; hooks raise it to emulate throttling."""

    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate exceeded")


@dataclass
class LocalContext:
    """The Lambda context object, as much of it as handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """One invocation the runtime served (tests and the demo's progress display read these)."""

    function_name: str
    version: str
    memory_mb: int
    cold: bool
    warmup: bool
    status: str
    architecture: str = "x86_64"


class InProcessRuntime:
    """Serves every invocation the emulator makes: tuner handlers by their Handler string, emulated targets by
    their AUTOTUNER_WORKLOAD variable. Seeded, and reproducible however threads interleave: each emulated
    invocation draws from its own generator, derived from the seed, the function, its memory size and how many
    times that function ran at that size before, never from a stream shared in arrival order.

    A handler's boto3 calls are authorized against its function's role, as in AWS (see local.authorization);
    every decision is kept in ``authorizations``. With ``control_plane_quota``, Lambda's control-plane request
    quotas are enforced and every request recorded (see local.control_plane); without, moto serves any rate. With
    ``clients_per_environment``, each handler environment has its own boto3 clients, as in AWS (local.environments)."""

    def __init__(
        self,
        *,
        seed: int = 0,
        quiet: bool = False,
        retry_time_scale: float = 0.01,
        enforce_iam: bool = True,
        control_plane_quota: ControlPlaneQuota | None = None,
        clients_per_environment: bool = False,
    ) -> None:
        self._seed = seed
        self.control_plane_quota = control_plane_quota
        self._clients_per_environment = clients_per_environment
        self.handler_environments = HandlerEnvironments()
        self._invocations_at_size: Counter[tuple[str, int]] = Counter()
        self._quiet = quiet
        self._retry_time_scale = retry_time_scale
        self._enforce_iam = enforce_iam
        self._lock = threading.Lock()
        self._idle_environments: dict[tuple[str, str, int, str], list[str]] = {}  # their ids, per version
        self._roles: dict[str, Role] = {}
        self._native: dict[tuple[str, str], list[str]] = {}  # (CodeSha256, architecture) -> what fails to load
        self.hooks: list[Hook] = []
        self.invocations: list[Invocation] = []
        self.listeners: list[Callable[[Invocation], None]] = []
        self.authorizations: list[AuthorizationDecision] = []
        self.logs = LambdaLogs(seed)

    @contextmanager
    def installed(self) -> Iterator["InProcessRuntime"]:
        """Every patch below goes on as one unit and comes off as one, even if installing a later one fails."""
        runtime = self

        def invoke(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            return runtime.invoke(function, event)

        with ExitStack() as patches:
            environment = LOCAL_ENVIRONMENT | (QUIET_ENVIRONMENT if self._quiet else {})
            patches.enter_context(mock.patch.dict(os.environ, environment))  # restored whole on exit
            patches.enter_context(mock.patch.object(LambdaFunction, "_invoke_lambda", invoke))
            # Step Functions' Retry waits (seconds to minutes in AWS) are scaled down locally.
            scaled = _ScaledTime(self._retry_time_scale)
            patches.enter_context(mock.patch.object(retrier_decl, "time", scaled))
            # So are Wait states (a canary's checks, a minute apart in AWS), by the same factor.
            scaled_wait = _scaled_wait(self._retry_time_scale)
            patches.enter_context(mock.patch.object(WaitFunction, "_wait_interval", scaled_wait))
            # And the control-plane budget's turns: its clock runs faster by that factor, and its waits are shorter.
            patches.enter_context(mock.patch.object(control_plane_budget, "wall_clock", scaled.time))
            patches.enter_context(mock.patch.object(control_plane_budget, "pause", scaled.sleep))
            # A turn lasts a millisecond on that clock, below what a sleep can hit: no wake-up would count as on time.
            patches.enter_context(mock.patch.object(control_plane_budget, "late_turns", math.inf))
            # moto parses a definition anew for each execution (and a JSONPath for each use), and builds a boto3
            # client for each Lambda task; AWS does none of this, and it took a fifth of the fault matrix's CPU.
            patches.enter_context(mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(_parsed)))
            patches.enter_context(mock.patch.object(json_path, "parse", _json_path_parsed))
            client_for = _one_client_per_service(boto_client_for)
            patches.enter_context(mock.patch.object(lambda_eval_utils, "boto_client_for", client_for))
            patches.enter_context(
                mock.patch.object(CloudWatchResponse, "get_metric_statistics", _with_percentiles(CloudWatchResponse))
            )
            patches.enter_context(mock.patch.object(LambdaStorage, "publish_version", _publish_with_unique_numbers))
            # PublishVersion with CodeSha256 publishes only that code, as Lambda does (moto ignores it).
            patches.enter_context(
                mock.patch.object(LambdaResponse, "publish_version", _publishing_only_the_code(LambdaResponse))
            )
            # Lambda's UpdateFunctionCode takes Architectures (moto ignores it), and GetFunction's Code.Location
            # serves the package (moto's points nowhere).
            patches.enter_context(
                mock.patch.object(LambdaBackend, "update_function_code", _with_architectures(LambdaBackend))
            )
            read_configuration, update_configuration = _with_revisions(LambdaFunction)
            patches.enter_context(mock.patch.object(LambdaFunction, "get_configuration", read_configuration))
            patches.enter_context(mock.patch.object(LambdaFunction, "update_configuration", update_configuration))
            code_server = patches.enter_context(serving())
            patches.enter_context(
                mock.patch.object(LambdaFunction, "get_code", _served_code(LambdaFunction, code_server))
            )
            for owner, name, replacement in [*_atomic_dynamodb_writes(), *_sfn_integration_as_aws_names()]:
                patches.enter_context(mock.patch.object(owner, name, replacement))
            patches.enter_context(self.logs.installed())  # an alias's weights, and each call's lines in its log group
            patches.enter_context(calls_kept_apart())
            patches.enter_context(enforcement() if self._enforce_iam else nullcontext())
            # After the budget's scaled clock above: with a quota, the budget reads the quota's clock instead.
            quota = self.control_plane_quota
            patches.enter_context(quota.installed() if quota is not None else nullcontext())
            patches.enter_context(clients_apart() if self._clients_per_environment else nullcontext())
            yield self

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        payload = _decode_event(event)
        for hook in self.hooks:
            hook(function, payload)
        workload = function.environment_vars.get(WORKLOAD_VARIABLE)
        if workload is not None:
            return self._emulate(function, WORKLOADS[workload], payload)
        return self._run_handler(function, payload)

    def targets_invoked(self, function_name: str, *, include_warmups: bool = False) -> list[Invocation]:
        return [i for i in self.invocations if i.function_name == function_name and (include_warmups or not i.warmup)]

    def _record(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)
        for listener in self.listeners:
            listener(invocation)

    def _emulate(self, function: LambdaFunction, workload: Workload, payload: Any) -> tuple[str, bool, str]:
        environment = (function.function_name, str(function.version), int(function.memory_size), function.description)
        size = (function.function_name, int(function.memory_size))
        with self._lock:
            idle = self._idle_environments.setdefault(environment, [])
            cold = not idle
            index = self._invocations_at_size[size]
            self._invocations_at_size[size] += 1
            environment_id = _environment_id(self._seed, size, index) if cold else idle.pop()
        rng = random.Random(f"{self._seed}:{size[0]}:{size[1]}:{index}")  # str seeds hash the same in every run
        request_id = str(uuid.UUID(int=rng.getrandbits(128)))
        warmup = isinstance(payload, dict) and payload.get("autotuner") == WARMUP_MARKER["autotuner"]
        work = float(payload.get("work", 1.0)) if isinstance(payload, dict) else 1.0
        architecture = Architecture(function.architectures[0])
        report = workload.sample(
            int(function.memory_size), rng, cold=cold, timeout_ms=float(function.timeout) * 1000, work=work,
            request_id=request_id, architecture=architecture,
        )  # fmt: skip
        unloadable = self._unloadable(function, architecture)
        if unloadable:  # the runtime cannot load a native binary built for the other machine: every call fails
            report = report.model_copy(update={"status": InvocationStatus.ERROR, "error_type": None})
        if warmup:
            report = report.model_copy(
                update={"duration_ms": 1.0, "billed_duration_ms": 1 + int(report.init_duration_ms or 0)}
            )
        # {"fail": text}: the function raises ValueError(text) (below {"failBelowMb": N} MB only, when given)
        rejected = isinstance(payload, dict) and "fail" in payload and size[1] < int(payload.get("failBelowMb", 1e9))
        if rejected:
            report = report.model_copy(update={"status": InvocationStatus.ERROR, "error_type": None})
        with self._lock:
            self._idle_environments[environment].append(environment_id)
        self.logs.write(function, environment_id, report)
        self.logs.publish_metrics(function, report)
        self._record(
            Invocation(
                function.function_name,
                str(function.version),
                int(function.memory_size),
                cold,
                warmup,
                report.status.value,
                architecture.value,
            )
        )
        logged = f"[ERROR] ValueError: {payload['fail']}" if rejected else None  # as a runtime logs what it raised
        log_format = function.environment_vars.get(LOG_FORMAT_VARIABLE, "Text")
        logs = _log_tail(report, log_format, str(function.version), logged)
        if unloadable:
            error = {"errorType": "Runtime.ImportModuleError", "errorMessage": "; ".join(unloadable)}
            return json.dumps(error), True, logs
        if rejected:
            error = {"errorType": "ValueError", "errorMessage": str(payload["fail"]), "requestId": request_id}
            return json.dumps(error), True, logs
        if report.status is InvocationStatus.TIMEOUT:
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"Task timed out after {function.timeout}.00 seconds",
            }
            return json.dumps(error), True, logs
        if report.status is InvocationStatus.OUT_OF_MEMORY:
            error = {"errorType": "Runtime.OutOfMemory", "errorMessage": "Runtime exited with error: signal: killed"}
            return json.dumps(error), True, logs
        body = {"emulated": workload.name, "memoryMb": function.memory_size, "warmup": warmup}
        return json.dumps(body), False, logs

    def _unloadable(self, function: LambdaFunction, architecture: Architecture) -> list[str]:
        """The native binaries of the function's package built for another machine than it runs on."""
        key = (str(function.code_sha_256), architecture.value)
        with self._lock:
            known = self._native.get(key)
        if known is None:
            try:
                known = native_binary_problems(elf_headers(bytes(function.code_bytes or b"")), architecture)
            except CodePackageError:  # not a zip (an image, or no code): nothing to load
                known = []
            with self._lock:
                self._native[key] = known
        return known

    def _run_handler(self, function: LambdaFunction, payload: Any) -> tuple[str, bool, str]:
        module_name, attribute = str(function.handler).rsplit(".", 1)
        variables = {k: str(v) for k, v in function.environment_vars.items()}
        variables |= LOCAL_ENVIRONMENT | (QUIET_ENVIRONMENT if self._quiet else {})
        context = LocalContext(
            function_name=function.function_name,
            function_version=str(function.version),
            invoked_function_arn=function.function_arn,
            memory_limit_in_mb=int(function.memory_size),
            timeout_s=int(function.timeout),
        )
        started = time.perf_counter()
        principal = CURRENT_PRINCIPAL.set(self._principal(function))
        try:
            with call_environment(variables), self.handler_environments.entered(function.function_name):
                # Imported (Lambda's init) with the function's variables, as Lambda does: Powertools' Metrics
                # takes its namespace at import, and without one its flush at 100 values failed a call.
                handler = getattr(importlib.import_module(module_name), attribute)
                # One process serves every function of every stack a test deploys: each call reads its settings
                # as a fresh execution environment would, so none reads another function's or stack's values.
                forget_settings()
                body, errored = json.dumps(handler(payload, context)), False
        except Exception as error:
            trace = traceback.format_exception(error)[-6:]
            body, errored = (
                json.dumps({"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": trace}),
                True,
            )
        finally:
            CURRENT_PRINCIPAL.reset(principal)
        elapsed = (time.perf_counter() - started) * 1000
        self._record(
            Invocation(
                function.function_name,
                str(function.version),
                int(function.memory_size),
                False,
                False,
                "error" if errored else "success",
            )
        )
        report = InvocationReport(
            request_id=context.aws_request_id,
            duration_ms=round(elapsed, 2),
            billed_duration_ms=max(1, round(elapsed)),
            memory_size_mb=int(function.memory_size),
            max_memory_used_mb=min(int(function.memory_size), 90),
        )
        return body, errored, _log_tail(report, "Text", str(function.version))

    def authorizations_of(self, function_name: str) -> list[AuthorizationDecision]:
        with self._lock:
            return [a for a in self.authorizations if a.function_name == function_name]

    def _principal(self, function: LambdaFunction) -> Principal:
        """The function's role as moto's IAM holds it (a role moto does not know grants nothing)."""
        role_arn = str(function.role)
        role = self._role(role_arn)
        documents = role.documents if role is not None else []
        return Principal(
            function.function_name,
            role_arn,
            str(function.account_id),
            documents,
            self._authorized,
            self._role,
            logical_id=str((function.tags or {}).get(LOGICAL_ID_TAG, "")),
        )

    def _role(self, role_arn: str) -> Role | None:
        """Any account's role, read at its first use (roles do not change during a run); None while it does not
        exist (it may be created later)."""
        with self._lock:
            known = self._roles.get(role_arn)
        if known is not None:
            return known
        role = read_role(role_arn)
        if role is not None:
            with self._lock:
                self._roles[role_arn] = role
        return role

    def _authorized(self, decision: AuthorizationDecision) -> None:
        with self._lock:
            self.authorizations.append(decision)


def read_role(role_arn: str) -> Role | None:
    """The role's trust policy, and its inline and attached customer-managed policy documents, in its account."""
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    if not account:
        return None
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except NotFoundException:
        return None
    trust = role.assume_role_policy_document
    inline = [json.loads(document) for document in role.policies.values()]
    managed = [
        json.loads(version.document)
        for policy in role.managed_policies.values()
        for version in policy.versions
        if version.is_default and version.document
    ]
    return Role(role_arn, json.loads(trust) if isinstance(trust, str) and trust else {}, inline + managed)


def _publish_with_unique_numbers(storage: LambdaStorage, name_or_arn: str, description: str = "") -> Any:
    """moto numbers a new version len(versions) + 1, so after a deletion it reuses a number and aliases resolve to
    the wrong version; Lambda never reuses one. This is moto's publish_version with Lambda's numbering."""
    function = storage.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
    entry = storage._functions.get(function.function_name)
    if entry is None or not entry["latest"]:
        return None
    versions = entry["versions"]
    if versions and not function.code_or_config_updated:
        return versions[-1]  # nothing changed: Lambda returns the latest version
    function.code_or_config_updated = False
    number = max([entry.get("highest_version", 0), *(int(v.version) for v in versions)]) + 1
    entry["highest_version"] = number
    published = copy.copy(entry["latest"])
    published.code = dict(published.code)  # a shallow copy shares it: a later code update would change the version's
    published.set_version(number)
    if description:
        published.description = description
    versions.append(published)
    storage._arns[published.function_arn] = published
    return published


def _publishing_only_the_code(response_class: Any) -> Callable[..., Any]:
    original = response_class.publish_version

    def publish_version(response: Any) -> Any:
        expected = response._get_param("CodeSha256")
        if expected:
            function = response.backend.get_function(unquote(response.path.split("/")[-2]), None)
            if function.code_sha_256 != expected:
                raise PreconditionFailedException(
                    f"CodeSHA256 ({expected}) is different from current CodeSHA256 in $LATEST "
                    f"({function.code_sha_256}). Please try again with the CodeSHA256 in $LATEST."
                )
        return original(response)

    return publish_version


def _with_architectures(backend_class: Any) -> Callable[..., Any]:
    """UpdateFunctionCode with Architectures: Lambda uploads the code for that architecture (moto keeps the old one),
    and a version published afterwards carries it. With RevisionId, Lambda refuses the upload when the function
    changed since that revision was read (moto ignores it); every upload makes a new revision. Patched on the
    backend: moto's backend applies the update to the function twice."""
    original = backend_class.update_function_code

    def update_function_code(backend: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        function: LambdaFunction = backend.get_function(function_name, qualifier)
        expected = body.get("RevisionId")
        if expected and expected != _revision(function):
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
                "to retrieve the latest Revision Id"
            )
        result = original(backend, function_name, qualifier, body)
        if body.get("DryRun"):
            return result
        _new_revision(function)
        if body.get("Architectures"):
            function.architectures = list(body["Architectures"])  # moto's setter validates the value
        return function.get_configuration()

    return update_function_code


def _with_revisions(function_class: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """A function's RevisionId, as Lambda reports it and changes it on every update (moto has none): its
    get_configuration and update_configuration."""
    read, update = function_class.get_configuration, function_class.update_configuration

    def get_configuration(function: LambdaFunction, *args: Any, **kwargs: Any) -> Any:
        return read(function, *args, **kwargs) | {"RevisionId": _revision(function)}

    def update_configuration(function: LambdaFunction, config_updates: dict[str, Any]) -> Any:
        update(function, config_updates)
        _new_revision(function)
        return function.get_configuration()

    return get_configuration, update_configuration


def _revision(function: LambdaFunction) -> str:
    return str(function.__dict__.setdefault("autotuner_revision_id", str(uuid.uuid4())))


def _new_revision(function: LambdaFunction) -> None:
    function.__dict__["autotuner_revision_id"] = str(uuid.uuid4())


def _served_code(function_class: Any, server: CodeServer) -> Callable[..., Any]:
    """GetFunction's Code.Location, for a zip package: a URL serving the version's own bytes."""
    original = function_class.get_code

    def get_code(function: LambdaFunction) -> Any:
        response = original(function)
        if function.package_type == "Zip" and function.code_bytes:
            response["Code"] = {"RepositoryType": "S3", "Location": server.offer(bytes(function.code_bytes))}
        return response

    return get_code


def _sfn_integration_as_aws_names() -> list[tuple[Any, str, Any]]:
    """moto passes a states:startExecution task's Parameters (StateMachineArn, Name, Input) to boto3 as they are,
    and its responses back as boto3 names them (executionArn); AWS maps both ways. This maps them as AWS does."""
    model = botocore.session.get_session().get_service_model("stepfunctions")
    original_parameters = StateTaskServiceSfn._normalise_parameters

    def operation(task: Any, action: str | None) -> Any:
        snake = action or task._get_boto_service_action()
        return model.operation_model("".join(part.title() for part in snake.split("_")))

    def parameters(task: Any, values: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_parameters(task, values, *args, **kwargs)
        task._to_boto_request(values, operation(task, kwargs.get("service_action_name")).input_shape)

    def response(task: Any, response: Any, *_: Any, service_action_name: str | None = None, **__: Any) -> None:
        task._from_boto_response(response, operation(task, service_action_name).output_shape)

    return [
        (StateTaskServiceSfn, "_normalise_parameters", parameters),
        (StateTaskServiceSfn, "_normalise_response", response),
    ]


_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def _atomic_dynamodb_writes() -> list[tuple[Any, str, Any]]:
    """DynamoDB applies a conditional write atomically; moto checks and writes in separate steps that threads
    can interleave. One lock around moto's writes restores the guarantee the product relies on."""
    lock = threading.Lock()

    def atomic(method: Callable[..., Any]) -> Callable[..., Any]:
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    return [(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name))) for name in _DYNAMODB_WRITES]


# A parsed definition or JSONPath is read, never changed: executions keep their state in their own environment
# (as the iterations of one Map already share one parsed processor).
_parsed = functools.lru_cache(maxsize=16)(AmazonStateLanguageParser.parse)
_json_path_parsed = functools.lru_cache(maxsize=1024)(parse_json_path)


def _one_client_per_service(create: Callable[..., Any]) -> Callable[..., Any]:
    """moto's boto_client_for, kept per region and service (and emulator: in-process or the server's port); the
    task's credentials are not part of the key because moto's clients never use them."""
    clients: dict[tuple[str, str, bool, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service, botocore_stubber.enabled, moto_server_port())
        with lock:
            if key not in clients:
                clients[key] = create(region=region, service=service, state_credentials=state_credentials)
            return clients[key]

    return client_for


class _ScaledTime:
    """Emulated seconds: each lasts ``scale`` real seconds; the clock reads epoch seconds that started as the real
    ones and run 1/scale times faster."""

    def __init__(self, scale: float) -> None:
        self._scale = scale
        self._started = time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self._scale)

    def time(self) -> float:
        return self._started + (time.time() - self._started) / self._scale


def _scaled_wait(scale: float) -> Callable[..., None]:
    def wait_interval(_wait: WaitFunction, env: Any, wait_seconds: int) -> None:
        env.program_state_event.wait(wait_seconds * scale)  # set when the execution is stopped: the wait ends

    return wait_interval


def _with_percentiles(response_class: Any) -> Callable[[Any], Any]:
    """moto ignores GetMetricStatistics' ExtendedStatistics; CloudWatch answers percentiles such as p95 from the
    values put. Here they are computed from the raw values moto keeps (nearest rank)."""
    original = response_class.get_metric_statistics

    def get_metric_statistics(response: Any) -> Any:
        result = original(response)
        wanted = [str(s) for s in response._get_param("ExtendedStatistics") or [] if re.fullmatch(r"p\d+(\.\d+)?", s)]
        for point in result.result["Datapoints"] if wanted else []:
            values = sorted(point.metric_single_values_list)
            if values:
                point.extended_statistics = {stat: _nearest_rank(values, float(stat[1:])) for stat in wanted}
        return result

    return get_metric_statistics


def _nearest_rank(ordered: list[float], percentile: float) -> float:
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


def _decode_event(event: Any) -> Any:
    if isinstance(event, bytes | bytearray):
        event = event.decode()
    if isinstance(event, str):
        try:
            return json.loads(event) if event else {}
        except json.JSONDecodeError:
            return event
    return {} if event is None else event


def _environment_id(seed: int, size: tuple[str, int], index: int) -> str:
    """A new execution environment's id (its log stream's suffix), drawn apart from the calls' own numbers."""
    return f"{random.Random(f'{seed}:environment:{size[0]}:{size[1]}:{index}').getrandbits(128):032x}"


def _log_tail(report: InvocationReport, log_format: str, version: str, logged: str | None = None) -> str:
    """The tail Lambda returns: the function's own line, if any, between the platform's start and report."""
    if log_format.upper() == "JSON":
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        start = json.dumps({"time": now, "type": "platform.start", "record": {"requestId": report.request_id}})
        own = json.dumps({"timestamp": now, "level": "ERROR", "message": logged}) + "\n" if logged else ""
        return f"{start}\n{own}{format_platform_report(report, now)}\n"
    own = f"{logged}\n" if logged else ""
    return (
        f"START RequestId: {report.request_id} Version: {version}\n"
        f"{own}END RequestId: {report.request_id}\n"
        f"{format_report_line(report)}\n"
    )
