"""The deployable artefacts agree with each other and with the code: template.yaml, statemachine/, handlers."""

import ast
import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import autotuner
import autotuner_cli
from autotuner.domain.run.documents import RunDocument
from autotuner.workflow.fleet import FleetClaimRequest
from autotuner.workflow.measure import MeasureRequest
from autotuner_local.template import (
    function_properties,
    load_template,
    placeholders,
    references,
    resources_of_type,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
MACHINES = {
    name: TEMPLATE["Resources"][name]["Properties"]
    for name in resources_of_type(TEMPLATE, "AWS::Serverless::StateMachine")
}
STATE_MACHINE = MACHINES["TunerStateMachine"]
ASL_PATH = ROOT / STATE_MACHINE["DefinitionUri"]
ASL_TEXT = ASL_PATH.read_text()
ASL = json.loads(ASL_TEXT)
DEFINITIONS = {name: json.loads((ROOT / m["DefinitionUri"]).read_text()) for name, m in MACHINES.items()}


def all_states(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state, nested Map/Parallel ones included."""
    found = dict(states)
    for state in states.values():
        for nested in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                found |= all_states(nested["States"])
    return found


STATES = all_states(ASL["States"])
TASKS = {name: s for name, s in STATES.items() if s["Type"] == "Task"}
# Every Lambda task of every state machine: (machine, state name, state).
LAMBDA_TASKS = [
    (machine, name, state)
    for machine, definition in DEFINITIONS.items()
    for name, state in all_states(definition["States"]).items()
    if state["Type"] == "Task" and state["Resource"].startswith("${")
]


def handler_of(machine: str, task: dict[str, Any]) -> str:
    placeholder = task["Resource"].removeprefix("${").removesuffix("}")
    logical = MACHINES[machine]["DefinitionSubstitutions"][placeholder]["Fn::GetAtt"][0]
    return str(function_properties(TEMPLATE, logical)["Handler"])


def request_models(handler: str) -> set[type[BaseModel]]:
    """The product's models the handler validates its event into (the state's input model), read from the
    handler's source: a new handler brings its own, and no hand-kept list can miss it."""
    module_name, attribute = handler.rsplit(".", 1)
    module = importlib.import_module(module_name)
    calls = [
        node
        for node in ast.walk(ast.parse(inspect.getsource(getattr(module, attribute))))
        if isinstance(node, ast.Call)
    ]
    validated = {
        call.func.value.id
        for call in calls
        if isinstance(call.func, ast.Attribute)
        and call.func.attr == "model_validate"
        and isinstance(call.func.value, ast.Name)
        and [ast.unparse(argument) for argument in call.args] == ["event"]
    }
    models = [getattr(module, name) for name in validated]
    return {model for model in models if model.__module__.startswith(f"{autotuner.__name__}.")}


def aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(machine: str) -> None:
    text = (ROOT / MACHINES[machine]["DefinitionUri"]).read_text()
    assert placeholders(text) == set(MACHINES[machine]["DefinitionSubstitutions"])


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_substitution_names_a_resource_of_the_template(machine: str) -> None:
    functions = set(resources_of_type(TEMPLATE, "AWS::Serverless::Function"))
    for name, value in MACHINES[machine]["DefinitionSubstitutions"].items():
        if "Ref" in value:
            assert value["Ref"] in MACHINES, f"{name} refers to {value['Ref']}, which is not a state machine"
            continue
        logical, attribute = value["Fn::GetAtt"]
        assert logical in functions, f"{name} points at {logical}, which is not a function of the template"
        assert attribute == "Arn"


def test_every_function_of_the_template_is_used_by_a_state_machine_a_dashboard_or_has_events() -> None:
    used = {
        v["Fn::GetAtt"][0]
        for m in MACHINES.values()
        for v in m["DefinitionSubstitutions"].values()
        if "Fn::GetAtt" in v
    }
    functions = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    event_driven = {f for f in functions if "Events" in TEMPLATE["Resources"][f]["Properties"]}
    dashboards = resources_of_type(TEMPLATE, "AWS::CloudWatch::Dashboard")
    widgets = {f for d in dashboards for f in references(TEMPLATE["Resources"][d]) if f in functions}
    assert set(functions) == used | event_driven | widgets
    assert used & event_driven == {"CleanupFunction"}, "only the clean-up serves both (the janitor's events)"
    assert widgets == {"SavingsWidgetFunction"}
    assert not widgets & (used | event_driven), "a widget's function serves the dashboard alone"


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_transition_target_exists_and_every_state_is_reachable(machine: str) -> None:
    def check(scope: dict[str, Any]) -> None:
        states = scope["States"]
        assert scope["StartAt"] in states
        reachable, frontier = set(), [scope["StartAt"]]
        while frontier:
            name = frontier.pop()
            if name in reachable:
                continue
            reachable.add(name)
            state = states[name]
            targets = [state.get("Next"), state.get("Default")]
            targets += [c["Next"] for c in state.get("Choices", [])]
            targets += [c["Next"] for c in state.get("Catch", [])]
            for target in filter(None, targets):
                assert target in states, f"{name} goes to {target}, which does not exist"
                frontier.append(target)
            assert state.get("End") or state["Type"] in {"Succeed", "Fail", "Choice"} or state.get("Next"), name
            if nested := state.get("ItemProcessor"):
                check(nested)
        assert reachable == set(states), f"unreachable states: {set(states) - reachable}"

    check(DEFINITIONS[machine])


def test_both_ends_of_measuring_apply_by_the_same_rule() -> None:
    """The last MoreRounds of a sweep and the last TrafficDecided of a traffic run each decide whether to Apply (one
    state fewer than a Choice of its own): the two rules must not drift apart."""
    rules = [
        [rule for rule in STATES[name]["Choices"] if rule["Next"] == "Apply"]
        for name in ("MoreRounds", "TrafficDecided")
    ]
    assert all(len(found) == 1 for found in rules), rules
    assert rules[0] == rules[1], "MoreRounds and TrafficDecided apply by different rules"
    assert STATES["MoreRounds"]["Default"] == STATES["TrafficDecided"]["Default"] == "Cleanup"


def test_a_round_of_one_task_is_measured_and_prepared_as_any_other() -> None:
    """MeasureOneTask and PrepareForOneTask (a round whose calls fit one Measure task, with no Map around it) run
    the same Lambdas with the same event, timeout, retries and Catch as the Map's MeasureBatches and Prepare; and
    every Choice that starts a round sends a one-task round to them, any other to the Map's path."""
    batches, one = STATES["MeasureBatches"], STATES["MeasureOneTask"]
    for key in ("Resource", "TimeoutSeconds", "Retry"):
        assert one[key] == batches[key], f"MeasureOneTask's {key} differs from MeasureBatches'"
    for key in ("Catch", "ResultPath"):
        assert one[key] == STATES["Measure"][key], f"MeasureOneTask's {key} differs from Measure's"
    assert one["Parameters"] == {**STATES["Measure"]["ItemSelector"], "batches.$": "$.round.tasks[0]"}
    prepare, for_one = ({k: v for k, v in STATES[n].items() if k not in {"Comment", "Next"}}
                        for n in ("Prepare", "PrepareForOneTask"))  # fmt: skip
    assert prepare == for_one, "PrepareForOneTask differs from Prepare"
    assert (STATES["Prepare"]["Next"], STATES["PrepareForOneTask"]["Next"]) == ("Measure", "MeasureOneTask")
    single = {"Variable": "$.round.singleTask", "BooleanEquals": True}
    for name in ("MeasuredBy", "MoreRounds"):
        for rule in STATES[name]["Choices"]:
            conditions = rule.get("And", [{k: v for k, v in rule.items() if k != "Next"}])
            if rule["Next"] in {"MeasureOneTask", "PrepareForOneTask"}:
                assert single in conditions, f"{name} sends a round to {rule['Next']} whatever its tasks"
        targets = [rule["Next"] for rule in STATES[name]["Choices"]] + [STATES[name].get("Default")]
        # a one-task rule must come before the Map's, which would otherwise take the round first
        if "Measure" in targets:
            assert targets.index("MeasureOneTask") < targets.index("Measure"), name
        assert targets.index("PrepareForOneTask") < targets.index("Prepare"), name


def test_every_task_that_can_fail_is_caught_and_failures_end_in_a_fail_state_with_words() -> None:
    top = ASL["States"]
    for name, state in top.items():
        if state["Type"] in {"Task", "Map"}:
            assert state.get("Catch"), f"{name} has no Catch: a failure there would skip the clean-up"
    assert top["Failed"]["Type"] == "Fail"
    assert top["Failed"]["CausePath"] == "$.failure.message"


def test_every_task_resolves_to_an_importable_handler_with_a_request_model() -> None:
    for machine, name, task in LAMBDA_TASKS:
        handler = handler_of(machine, task)
        module, attribute = handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), attribute)), f"{name}: {handler} is not callable"
        models = request_models(handler)
        assert len(models) == 1, f"{name}: {handler} validates its event into {models}, not one request model"


def test_task_parameters_match_the_request_model_of_their_handler() -> None:
    for machine, name, task in LAMBDA_TASKS:
        (model,) = request_models(handler_of(machine, task))
        parameters = task.get("Parameters")
        if parameters is None and name not in DEFINITIONS[machine]["States"]:
            continue  # an iteration's task: its input is the Map's ItemSelector, checked below
        assert parameters is not None, f"{name} passes the whole document: a step states what it reads"
        given = {key.removesuffix(".$") for key in parameters}
        required = {f.alias or n for n, f in model.model_fields.items() if f.is_required()}
        assert given <= aliases(model), f"{name} passes {given - aliases(model)}, which {model.__name__} lacks"
        assert required <= given, f"{name} does not pass {required - given}, which {model.__name__} requires"
    item_selector = {k.removesuffix(".$") for k in STATES["Measure"]["ItemSelector"]}
    assert item_selector == aliases(MeasureRequest)
    fleet_selector = {
        k.removesuffix(".$") for k in DEFINITIONS["FleetStateMachine"]["States"]["TuneEach"]["ItemSelector"]
    }
    assert fleet_selector == aliases(FleetClaimRequest)


def test_every_path_read_or_written_after_plan_is_a_slot_of_the_run_document() -> None:
    slots = aliases(RunDocument) | {"input", "error", "cleanupError", "failure", "reportError"}
    for name, state in STATES.items():
        paths = [v for k, v in (state.get("Parameters") or {}).items() if k.endswith(".$")]
        paths += [v for k, v in (state.get("ItemSelector") or {}).items() if k.endswith(".$")]
        paths += [state.get("ResultPath"), state.get("ItemsPath"), state.get("MaxConcurrencyPath")]
        paths += [c.get("ResultPath") for c in state.get("Catch", [])]
        paths += [c.get("Variable") for c in state.get("Choices", []) for c in [c, *c.get("And", [])]]
        for path in filter(None, paths):
            if path in {"$"} or path.startswith("$$."):
                continue
            slot = path.removeprefix("$.").split(".")[0]
            assert slot in slots, f"{name} uses {path}, but the run document has no slot {slot!r}"


def _tool(variable: str, fallback: Path) -> str:
    path = os.environ.get(variable) or (str(fallback) if fallback.exists() else None)
    if not path:
        pytest.fail(f"{fallback.name} is not installed; run `make test`, which installs it")
    return path


@pytest.mark.tools
@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_the_definition_passes_the_asl_validator(machine: str) -> None:
    validator = _tool("AUTOTUNER_ASL_VALIDATOR", ROOT / "node_modules" / ".bin" / "asl-validator")
    path = ROOT / MACHINES[machine]["DefinitionUri"]
    result = subprocess.run([validator, "--json-path", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _sam(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    sam = _tool("AUTOTUNER_SAM", ROOT / ".venv-sam" / "bin" / "sam")
    environment = os.environ | {
        "SAM_CLI_TELEMETRY": "0",
        # `sam build` looks for the function runtime's interpreter on PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run([sam, *arguments], capture_output=True, text=True, check=False, cwd=cwd, env=environment)


@pytest.mark.tools
def test_sam_validate_lint_passes() -> None:
    result = _sam("validate", "--lint", "--region", "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.tools
@pytest.mark.slow
def test_sam_build_succeeds(tmp_path: Path) -> None:
    result = _sam("build", "--build-dir", str(tmp_path / "build"), "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stdout + result.stderr
    built = tmp_path / "build" / "PlanFunction"
    assert (built / "autotuner" / "handlers" / "plan.py").exists()
    assert (built / "aws_lambda_powertools").is_dir()
    assert (built / "aws_xray_sdk").is_dir(), "Powertools' Tracer imports the X-Ray SDK when tracing is active"
    assert list((built / "pydantic_core").glob("*aarch64*.so")), "arm64 functions need arm64 wheels"
    assert not (built / "moto").exists(), "test-only dependencies must not ship"
    shipped = sorted(p.name for p in (built / "autotuner").iterdir() if p.is_dir() and p.name != "__pycache__")
    assert shipped == ["adapters", "domain", "handlers", "reports", "workflow"], f"the artifact holds {shipped}"
    assert not list(built.glob("autotuner_*")), "the CLI and the emulator (tools/) must not ship"
    for module in (built / "autotuner" / "handlers" / "plan.py", built / "pydantic" / "main.py"):
        assert _shipped_bytecode_flags(module) == CHECKED_HASH, f"{module.relative_to(built)} ships no checked bytecode"
    shutil.rmtree(tmp_path / "build", ignore_errors=True)


CHECKED_HASH = 0b11  # PEP 552: the pyc holds its source's hash, and the import checks it


def _shipped_bytecode_flags(source: Path) -> int | None:
    """The flags of the Python 3.13 bytecode shipped beside ``source`` (None when there is none): Lambda's
    package directory is read-only, so without it every cold start compiles every module it imports."""
    compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
    if not compiled.exists():
        return None
    header = compiled.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER, f"{compiled.name} was not written by this Python (3.13)"
    return int.from_bytes(header[4:8], "little")


def test_every_function_is_built_by_the_makefile_that_ships_bytecode() -> None:
    """SAM's own Python builder ships no bytecode; src/Makefile does, for our modules and every dependency."""
    for name in resources_of_type(TEMPLATE, "AWS::Serverless::Function"):
        metadata = TEMPLATE["Resources"][name].get("Metadata", {})
        assert metadata.get("BuildMethod") == "makefile", f"{name}: Metadata.BuildMethod must be makefile"
    assert "build-%:" in (ROOT / "src" / "Makefile").read_text()


@pytest.mark.tools
@pytest.mark.slow
def test_every_handler_imports_with_only_the_lambda_requirements(tmp_path: Path) -> None:
    """What `sam build` installs (src/requirements.txt) is enough to import every handler with tracing on, as
    the deployed functions run: no test-only package may be needed."""
    target = tmp_path / "package"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(target),
         "-r", str(ROOT / "src" / "requirements.txt")],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    shutil.copytree(ROOT / "src" / "autotuner", target / "autotuner")
    handlers = sorted(
        {
            str(function_properties(TEMPLATE, f)["Handler"])
            for f in resources_of_type(TEMPLATE, "AWS::Serverless::Function")
        }
    )
    script = "import importlib\n" + "".join(
        f"getattr(importlib.import_module({h.rsplit('.', 1)[0]!r}), {h.rsplit('.', 1)[1]!r})\n" for h in handlers
    )
    environment = {"PYTHONPATH": str(target), "AWS_DEFAULT_REGION": "us-east-1", "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(target)!r})\n{script}"],
        capture_output=True, text=True, check=False, env=environment, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def test_clean_up_reads_only_the_execution_id_so_the_input_cannot_steer_it() -> None:
    """Clean-up works from the run record alone: the document (which a caller's input shapes) is never its input."""
    for name in ("Cleanup", "CleanupAfterFailure"):
        assert STATES[name]["Parameters"] == {"executionId.$": "$$.Execution.Id"}, name
    assert ASL["StartAt"] == "Receive"
    assert STATES["Receive"]["Parameters"] == {"input.$": "$"}, "the raw input must never stand at the top level"
    assert STATES["Plan"]["Parameters"]["input.$"] == "$.input"


def _exception_classes(*, include_cli: bool = False) -> set[str]:
    """Every exception class the deployed code defines (their names are what Step Functions' ErrorEquals match),
    and the CLI's on request (raised outside the state machines). The emulator's are never included."""
    packages = [autotuner, autotuner_cli] if include_cli else [autotuner]
    for package in packages:
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    prefixes = tuple(f"{package.__name__}." for package in packages)
    found: set[str] = set()
    pending: list[type[BaseException]] = [Exception]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith(prefixes):
                found.add(subclass.__name__)
    return found


def test_every_error_a_retry_or_catch_names_is_an_exception_the_product_raises() -> None:
    """Renaming an exception class would silently disable the Retry that names it."""
    known = _exception_classes()
    for machine, definition in DEFINITIONS.items():
        for name, state in all_states(definition["States"]).items():
            for rule in [*state.get("Retry", []), *state.get("Catch", [])]:
                for error in rule["ErrorEquals"]:
                    if error.startswith(("States.", "Lambda.")):
                        continue
                    assert error in known, f"{machine}.{name} names {error}, which no exception class is called"


# Exceptions no Retry or Catch names on purpose: each fails its state at once and reaches the state's
# States.ALL Catch (clean-up, then a failure notification that quotes its message). Adding an exception class
# means deciding here or in the ASL whether Step Functions should retry it.
FAIL_AT_ONCE = {
    "DomainError": "a base class; its subclasses are raised",
    "InvalidInputError": "the caller's input is wrong; retrying cannot fix it",
    "BudgetExceededError": "the run would cost more than the caller allowed",
    "RunInProgressError": "another run holds the function; its lock expires on its own",
    "RunStoppedError": "the run was stopped; retrying would resume what was stopped",
    "RunTimedOutError": "the run's own time limit has passed",
    "TargetNotFoundError": "the function does not exist",
    "TargetAccountUnreachableError": "the role in the target's account is missing or does not trust the tuner",
    "UnknownRegionError": "no built-in prices for the region; the caller must pass prices",
    "ReportNotFoundError": "Lambda returned no REPORT line; the invoker already retried the invocation",
    "MalformedReportError": "Lambda's REPORT line is unreadable; the same line would come back",
    "ProcessorFailedError": "the caller's pre/post processor raised; its error type is named",
    "AccessDeniedError": "a missing permission; retrying cannot grant it",
    "TargetStateError": "the function is Failed or stuck Pending",
    "PayloadNotFoundError": "the payload's S3 object does not exist",
    "NothingToApplyError": "analysis chose nothing",
    "NoCanaryError": "CheckCanary was entered without a canary; the same document would come back",
    "NoTrafficRunError": "RouteCandidate was entered without a candidate; the same document would come back",
    "NoTrafficWindowError": "CheckTraffic was entered without a window; the same document would come back",
    "TargetChangedError": "the function or its alias changed under a traffic run; another writer is at work",
    "UnexpectedVersionError": "the function changed under the run; another writer is at work",
    "CodeChangedError": "$LATEST's code changed under the run; another deployment is at work",
    "CodePackageError": "the function's package is unreadable or too large; a retry downloads the same one",
    "MisconfiguredFunctionError": "the deployment lacks a variable; every retry would fail the same way",
    "UnreadableDocumentError": "the state's input is not the run document; a retry gets the same input",
    "ExecutionAlreadyStartedError": "the alarm path treats a duplicate start as deduplicated",
    "StackNotFoundError": "the CLI's lookup of a stack; not raised in a state machine",
    "RunFailedError": "the CLI's report of a failed run; not raised in a state machine",
    "InvalidOptionsError": "the CLI's refusal of its options before any AWS call; not raised in a state machine",
    "SweepFailedError": "the hourly sweep's, invoked asynchronously (Lambda retries it, then dead-letters it); not "
    "raised in a state machine",
    "_TableUnavailableError": "the control-plane budget's own: its acquire catches it and paces the process alone",
    "_ContendedError": "the control-plane budget's own: its acquire catches it and paces that call alone",
}


def _named_in_retry_or_catch() -> set[str]:
    return {
        error
        for definition in DEFINITIONS.values()
        for state in all_states(definition["States"]).values()
        for rule in [*state.get("Retry", []), *state.get("Catch", [])]
        for error in rule["ErrorEquals"]
    }


def test_every_exception_the_product_raises_is_retried_caught_or_deliberately_fails_at_once() -> None:
    """The other direction: a new exception class must be given a Retry or Catch, or a reason it has neither."""
    named = _named_in_retry_or_catch()
    undecided = sorted(_exception_classes(include_cli=True) - named - FAIL_AT_ONCE.keys())
    assert not undecided, f"no Retry/Catch names these and FAIL_AT_ONCE gives no reason: {undecided}"
    stale = sorted((FAIL_AT_ONCE.keys() & named) | (FAIL_AT_ONCE.keys() - _exception_classes(include_cli=True)))
    assert not stale, f"FAIL_AT_ONCE lists classes that are named in the ASL or no longer exist: {stale}"
