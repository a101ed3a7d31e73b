"""The savings dashboard as CloudFormation creates it: one per stack, its body JSON once substituted, its custom
widget calling the stack's widget function with parameters the widget reads, and every graph reading a metric
that is published: Step Functions' own for the tuner state machine, or one the handlers emit."""

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from autotuner.workflow.savings import SavingsWidgetRequest
from autotuner_local.template import Resolver, function_properties, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333", "AWS::Partition": "aws",
          "AWS::StackName": "tuner-prod", "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
WIDGET_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:tuner-prod-SavingsWidgetFunction-Q1w2E3"
MACHINE_ARN = "arn:aws:states:eu-west-1:111122223333:stateMachine:tuner-prod-tuner"
# Step Functions' execution metrics (namespace AWS/States, dimension StateMachineArn), as CloudWatch lists them.
STATES_EXECUTION_METRICS = {
    "ExecutionTime", "ExecutionThrottled", "ExecutionsAborted", "ExecutionsFailed", "ExecutionsStarted",
    "ExecutionsSucceeded", "ExecutionsTimedOut", "ExecutionsRedriven", "RedrivenExecutionsAborted",
    "RedrivenExecutionsFailed", "RedrivenExecutionsSucceeded", "RedrivenExecutionsTimedOut",
}  # fmt: skip


def dashboard() -> tuple[str, dict[str, Any]]:
    """The dashboard's name and body, resolved as CloudFormation would for the stack ``tuner-prod``."""
    (logical,) = resources_of_type(TEMPLATE, "AWS::CloudWatch::Dashboard")
    resolver = Resolver.for_template(TEMPLATE, {}, PSEUDO)
    resolver.refs["TunerStateMachine"] = MACHINE_ARN
    resolver.attributes[("SavingsWidgetFunction", "Arn")] = WIDGET_ARN
    properties = resolver.resolve(TEMPLATE["Resources"][logical]["Properties"])
    body = json.loads(properties["DashboardBody"])  # a substitution that broke the JSON fails here
    return str(properties["DashboardName"]), body


NAME, BODY = dashboard()
WIDGETS: list[dict[str, Any]] = BODY["widgets"]
GRAPHS = [w for w in WIDGETS if w["type"] == "metric"]


def emitted_metric_names() -> set[str]:
    """Every metric name a handler passes to Powertools' add_metric (each literal of a conditional name too)."""
    names: set[str] = set()
    for path in (ROOT / "src" / "autotuner" / "handlers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric":
                (name,) = [k.value for k in node.keywords if k.arg == "name"]
                names |= {n.value for n in ast.walk(name) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return names


def test_the_dashboard_is_named_after_its_stack() -> None:
    assert NAME == "tuner-prod-savings"


def test_the_custom_widget_calls_the_stacks_widget_function_with_parameters_it_reads() -> None:
    (custom,) = [w for w in WIDGETS if w["type"] == "custom"]
    properties = custom["properties"]
    assert properties["endpoint"] == WIDGET_ARN
    assert (
        function_properties(TEMPLATE, "SavingsWidgetFunction")["Handler"] == "autotuner.handlers.savings_widget.handler"
    )
    params = properties["params"]
    aliases = {field.alias or name for name, field in SavingsWidgetRequest.model_fields.items()}
    assert set(params) <= aliases - {"describe"}, "the console sends describe itself"
    SavingsWidgetRequest.model_validate(params)
    assert properties["updateOn"]["timeRange"] is False, "the ledger's window is the last 30 days, whatever the range"


@pytest.mark.parametrize("graph", GRAPHS, ids=[g["properties"]["title"] for g in GRAPHS])
def test_every_graph_reads_a_metric_that_is_published(graph: dict[str, Any]) -> None:
    properties = graph["properties"]
    assert properties["region"] == PSEUDO["AWS::Region"]
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    emitted = emitted_metric_names()
    for namespace, metric, *rest in properties["metrics"]:
        dimensions = dict(zip(rest[0:-1:2], rest[1:-1:2], strict=True))  # the last item is the rendering options
        if namespace == "AWS/States":
            assert metric in STATES_EXECUTION_METRICS
            assert dimensions == {"StateMachineArn": MACHINE_ARN}
        else:  # what the handlers emit through Powertools: its namespace, its service dimension
            assert namespace == variables["POWERTOOLS_METRICS_NAMESPACE"]
            assert metric in emitted, f"no handler emits {metric}"
            assert dimensions == {"service": variables["POWERTOOLS_SERVICE_NAME"]}


def test_widgets_do_not_overlap_on_the_24_column_grid() -> None:
    cells = [
        (x, y) for w in WIDGETS for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])
    ]
    assert len(cells) == len(set(cells))
    assert all(w["x"] + w["width"] <= 24 for w in WIDGETS)
