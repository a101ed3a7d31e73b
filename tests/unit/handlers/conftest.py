"""Handlers called as Lambda calls them, with the environment template.yaml gives them, against in-memory ports.

wiring's builders are replaced by ones that hand out the ports of a World (tests/unit/workflow/scenario.py); each
refuses a table, topic or state machine other than the one the deployment has, as the service would not find it,
so a handler that reads the wrong setting fails here."""

import importlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.inputs.scope import AssumedRole
from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics
from autotuner.handlers.settings import forget_settings
from autotuner.workflow.ports import FunctionControl, Invoker
from autotuner_local.runtime import LocalContext
from autotuner_local.template import Resolver, function_properties, load_template, resources_of_type
from tests.unit.handlers.states import FLEET, TUNER, place, read_path, resolve
from tests.unit.workflow.memory_ports import (
    MemoryAlarms,
    MemoryDirectory,
    MemoryFunctionLogs,
    MemoryInvocationCounts,
    MemoryStarter,
    alarm_as_cloudwatch_holds,
)
from tests.unit.workflow.scenario import EXECUTION, World

Handler = Callable[[dict[str, Any], Any], object]  # a document; the savings widget returns its HTML

RUNS_TABLE = "autotuner-RunsTable-1A2B3C"
PROFILES_TABLE = "autotuner-ProfilesTable-4D5E6F"
MEASUREMENTS_TABLE = "autotuner-MeasurementsTable-2P3Q4R"
BUDGET_TABLE = "autotuner-ControlPlaneBudgetTable-5S6T7U"
TOPIC = "arn:aws:sns:us-east-1:123456789012:autotuner-ResultsTopic-7G8H"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:TunerStateMachine-9J0K"
# $$.Execution.StartTime: the execution started a moment ago, so that its deadline (MAX_RUN_SECONDS) lies ahead.
STARTED_AT = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

EVENTS = Path(__file__).resolve().parents[3] / "events"
_TEMPLATE = load_template(Path(__file__).resolve().parents[3] / "template.yaml")

# The deployment: its parameters (the rest at the template's defaults), where it runs and what it created.
PARAMETERS = {"PowerValues": "128,256,512,1024", "FleetConcurrency": "4"}
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/autotuner/5b6c7d8e-0000-4000-8000-9a8b7c6d5e4f"
PSEUDO = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
          "AWS::StackName": "autotuner", "AWS::StackId": STACK_ID, "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
RESOURCES = {"RunsTable": RUNS_TABLE, "ProfilesTable": PROFILES_TABLE, "MeasurementsTable": MEASUREMENTS_TABLE,
             "ControlPlaneBudgetTable": BUDGET_TABLE, "ResultsTopic": TOPIC,
             "TunerStateMachine": MACHINE}  # fmt: skip


def template_environment() -> dict[str, str]:
    """Every variable template.yaml sets, across the functions (each reads only its own), resolved as
    CloudFormation would for this deployment: a variable the template adds reaches the handlers here too."""
    resolver = Resolver.for_template(_TEMPLATE, PARAMETERS, PSEUDO)
    resolver.refs = dict(RESOURCES)
    environment: dict[str, str] = {}
    for logical in resources_of_type(_TEMPLATE, "AWS::Serverless::Function"):
        variables = resolver.resolve(function_properties(_TEMPLATE, logical)["Environment"]["Variables"])
        for name, value in variables.items():
            assert environment.setdefault(name, str(value)) == str(value), f"{name} differs between functions"
    return environment


ENVIRONMENT = template_environment()
VISUALIZATION_URL = ENVIRONMENT["VISUALIZATION_URL"]


def handler_of_state(state: str, machine: str = "TunerStateMachine") -> Handler:
    """The handler template.yaml deploys for a Lambda task of a state machine."""
    states = {"TunerStateMachine": TUNER, "FleetStateMachine": FLEET}[machine]
    placeholder = states[state]["Resource"].removeprefix("${").removesuffix("}")
    substitutions = _TEMPLATE["Resources"][machine]["Properties"]["DefinitionSubstitutions"]
    logical = substitutions[placeholder]["Fn::GetAtt"][0]
    module, name = str(function_properties(_TEMPLATE, logical)["Handler"]).rsplit(".", 1)
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


def _deployed[T](kind: str, asked: str, deployed: str, resource: T) -> T:
    if asked != deployed:
        raise AwsError(f"{kind} {asked}: ResourceNotFoundException")
    return resource


def alarms_the_events_are_about() -> MemoryAlarms:
    """CloudWatch holding each alarm that an event in events/ reports going into ALARM, as it describes it."""
    from autotuner.handlers.alarm import read_alarm_changes  # noqa: PLC0415 - a handler module, imported per test

    alarms = MemoryAlarms()
    for path in sorted(EVENTS.glob("alarm-*.json")):
        changes, _ = read_alarm_changes(json.loads(path.read_text()))
        for change in changes:
            if change.state == "ALARM":
                alarms.put(alarm_as_cloudwatch_holds(change))
    return alarms


class Deployment:
    """The stack's resources in memory, and its functions' handlers called with a Lambda context."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.starter = MemoryStarter(MACHINE)
        self.directory = MemoryDirectory(world.functions)
        self.invocation_counts = MemoryInvocationCounts()  # CloudWatch's Invocations, for Notify's monthly saving
        self.logs = MemoryFunctionLogs()
        self.alarms = alarms_the_events_are_about()  # CloudWatch's: what the alarm subscriber reads back
        self.invokers: list[tuple[str, float]] = []  # what each handler asked of wiring.invoker

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        world = self.world
        builders: dict[str, Callable[..., object]] = {
            "function_control": self.function_control,
            "invoker": self.invoker,
            "warming_invoker": lambda: world.invoker,
            "function_directory": lambda stack: _deployed("stack", stack, STACK_ID, self.directory),
            "function_tags": self.function_tags,
            "invocation_counts": lambda: self.invocation_counts,
            "payload_source": lambda: world.payloads,
            "duration_history": lambda: world.durations,
            "function_logs": lambda: self.logs,
            "alarms": lambda _prefix, _tag: self.alarms,
            "notifier": lambda topic: _deployed("topic", topic, TOPIC, world.notifier),
            "run_records": lambda table: _deployed("table", table, RUNS_TABLE, world.records),
            "profiles": lambda table: _deployed("table", table, PROFILES_TABLE, world.registry),
            "measurements": lambda table: _deployed("table", table, MEASUREMENTS_TABLE, world.measurements),
            "tuner_executions": lambda machine: _deployed("state machine", machine, MACHINE, self.starter),
        }
        for name, builder in builders.items():
            assert hasattr(wiring, name), f"wiring has no {name}"
            monkeypatch.setattr(wiring, name, builder)

    def function_control(self, arn: FunctionRef | str, through: AssumedRole | None = None) -> FunctionControl:
        return self.world.functions(parse_function_arn(arn) if isinstance(arn, str) else arn, through)

    def function_tags(self, arn: str) -> dict[str, str] | None:
        function = self.world.functions.existing(parse_function_arn(arn))
        return function.configuration_and_tags()[1] if function.exists else {}

    def invoker(self, region: str, throttle_base_delay_ms: float, through: AssumedRole | None = None) -> Invoker:
        self.invokers.append((region, throttle_base_delay_ms))
        return self.world.invoker

    @staticmethod
    def call(handler: Handler, event: Any, *, memory_mb: int = 256) -> dict[str, Any]:
        """As Lambda does: the event through JSON, a context (the function's memory), the result through JSON."""
        context = LocalContext(
            handler.__name__, "$LATEST", "arn:aws:lambda:us-east-1:123456789012:function:autotuner-step", memory_mb, 60
        )
        result = handler(json.loads(json.dumps(event)), context)
        loaded: dict[str, Any] = json.loads(json.dumps(result))
        return loaded


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    forget_settings()  # a fresh execution environment: each test reads its own settings
    metrics.clear_metrics()  # and its own metrics: Powertools buffers them process-wide until a handler flushes
    deployed = Deployment(World())
    deployed.install(monkeypatch)
    yield deployed
    forget_settings()


class TunerRun:
    """The tuner state machine's path, state by state: each Lambda task gets what its Parameters (or the Measure
    Map's ItemSelector) give it, and its result lands at its ResultPath."""

    def __init__(self, deployment: Deployment, execution: str = EXECUTION) -> None:
        self.deployment = deployment
        self.context: dict[str, Any] = {"Execution": {"Id": execution, "StartTime": STARTED_AT}}

    def event(self, state: str, document: Any) -> dict[str, Any]:
        return resolve(TUNER[state]["Parameters"], document, self.context)

    def task(self, state: str, document: Any) -> Any:
        result = self.deployment.call(handler_of_state(state), self.event(state, document))
        return place(document, TUNER[state]["ResultPath"], result)

    def task_events(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        """The event of each Measure task: the Map's ItemSelector over each item at its ItemsPath."""
        measure = TUNER["Measure"]
        items = read_path(measure["ItemsPath"], document, self.context)
        return [resolve(measure["ItemSelector"], document, {**self.context, "Map": {"Item": {"Value": item}}})
                for item in items]  # fmt: skip

    def measure(self, document: dict[str, Any]) -> dict[str, Any]:
        """A round's measuring as the state machine does it: one task in MeasureOneTask, more in the Measure Map."""
        if document["round"]["singleTask"]:
            one: dict[str, Any] = self.task("MeasureOneTask", document)
            return one
        handler = handler_of_state("MeasureBatches")
        results = [self.deployment.call(handler, event) for event in self.task_events(document)]
        placed: dict[str, Any] = place(document, TUNER["Measure"]["ResultPath"], results)
        return placed

    def catch(self, state: str, document: Any, error: Exception) -> dict[str, Any]:
        """What the state's Catch makes of a Lambda error: its class name and a JSON cause, at the ResultPath."""
        cause = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)})
        caught: dict[str, Any] = place(
            document, TUNER[state]["Catch"][0]["ResultPath"], {"Error": type(error).__name__, "Cause": cause}
        )
        return caught

    def until(self, stop_before: str, tuning_input: object) -> dict[str, Any]:
        """The document the state ``stop_before`` would receive, on the path a run without failures takes."""
        document = resolve(TUNER["Receive"]["Parameters"], tuning_input, self.context)
        for state in ("Plan", "Prepare", "Measure", "Analyze", "Apply", "Cleanup", "Notify"):
            if state == stop_before:
                return dict(document)
            if state == "Apply" and not (document["plan"]["applies"] and document["analysis"]["decision"]):
                continue  # MoreRounds goes to Cleanup
            document = self.measure(document) if state == "Measure" else self.task(state, document)
            while state == "Analyze" and not document["analysis"]["complete"]:  # MoreRounds
                prepared = self.task("Prepare", document) if document["round"]["needsPrepare"] else document
                document = self.task("Analyze", self.measure(prepared))
        raise ValueError(f"no state {stop_before} on the path")


@pytest.fixture
def run(deployment: Deployment) -> TunerRun:
    return TunerRun(deployment)


def emitted_metrics(stdout: str) -> dict[str, float]:
    """The metrics Powertools flushed, as CloudWatch reads them from the embedded metric format."""
    metrics: dict[str, float] = {}
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        if "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                metrics[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return metrics
