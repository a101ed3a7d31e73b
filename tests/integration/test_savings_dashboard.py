"""The savings dashboard deployed into the emulator from template.yaml, and its custom widget's Lambda called as
the console calls it (through the endpoint the dashboard names, with the function's own role enforced), after
tuning runs like the demo's."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from autotuner.domain.costs.money import usd
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from tests.conftest import load_event
from tests.emulator import MakeTarget, run_tuning
from tests.html_table import parsed

pytestmark = pytest.mark.slow

# Demo targets: a single-threaded CPU-bound function over-provisioned at 3008 MB, an I/O-bound one at 1024 MB.
TARGETS = (("image-resize", "cpu-single-thread", 3008), ("orders-api", "io-bound", 1024))


def invoke_widget(endpoint: str, event: dict[str, Any]) -> str:
    response = boto3.client("lambda").invoke(FunctionName=endpoint, Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    assert isinstance(body, str), body
    return body


def custom_widget(stack: LocalStack) -> dict[str, Any]:
    """The custom widget of the dashboard the stack created, as CloudWatch holds it."""
    name = stack.dashboards["SavingsDashboard"]
    body = json.loads(boto3.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])
    (custom,) = [w["properties"] for w in body["widgets"] if w["type"] == "custom"]
    return dict(custom)


def invocations(function: str, count: int) -> None:
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[{"MetricName": "Invocations", "Dimensions": [{"Name": "FunctionName", "Value": function}],
                     "Timestamp": datetime.now(UTC) - timedelta(hours=2), "Value": count, "Unit": "Count"}],
    )  # fmt: skip


def test_the_widget_shows_each_tuned_functions_monthly_saving_and_the_total_beside_the_tuning_cost(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    widget = custom_widget(stack)
    assert widget["endpoint"] == stack.functions["SavingsWidgetFunction"]
    event = load_event("savings-widget.json") | widget["params"]  # the widget's parameters, as the console sends
    assert parsed(invoke_widget(widget["endpoint"], event)).paragraphs[0].startswith("No applied runs among the last")

    outputs = {}
    for name, workload, memory in TARGETS:
        arn = make_target(name, workload, memory_mb=memory)
        tuning = {"lambdaARN": arn, "num": 5, "powerValues": [256, 512, 1024, 1769], "autoOptimize": True}
        run = run_tuning(stack, tuning, name=f"demo-{name}")
        assert run.status == "SUCCEEDED", run.cause
        assert run.output["outcome"] == "applied"
        outputs[name] = run.output
    tuning_cost = sum(output["stateMachine"]["totalCost"] for output in outputs.values())

    without_metrics = parsed(invoke_widget(widget["endpoint"], event))
    assert sorted(row[0] for row in without_metrics.rows["tbody"]) == ["image-resize", "orders-api"]
    assert [row[4:6] for row in without_metrics.rows["tbody"]] == [["none recorded", "unknown"]] * 2  # never "$0"
    assert without_metrics.rows["tfoot"] == [["Total", "", "2", "", "", "unknown", usd(tuning_cost)]]
    assert "No Invocations recorded in the last 30 days for " in without_metrics.paragraphs[1]

    invocations("image-resize", 2_000_000)
    cells = parsed(invoke_widget(widget["endpoint"], event))

    rows = {row[0]: row for row in cells.rows["tbody"]}
    resize = outputs["image-resize"]
    saving = resize["savings"]["savingsPerMillion"] / 1e6
    before, after = resize["applied"]["previousMemoryMb"], resize["applied"]["memoryMb"]
    assert rows["image-resize"] == [
        "image-resize", f"{before} → {after} MB", "1", usd(saving), "2,000,000", usd(saving * 2_000_000),
        usd(resize["stateMachine"]["totalCost"]),
    ]  # fmt: skip
    assert rows["orders-api"][4:6] == ["none recorded", "unknown"]
    assert cells.rows["tfoot"] == [["Total", "", "2", "", "", usd(saving * 2_000_000), usd(tuning_cost)]]
    assert "for orders-api: the monthly saving is unknown and not in the total" in cells.paragraphs[1]


def test_the_widget_describes_itself_when_the_console_asks_reading_nothing(
    stack: LocalStack, runtime: InProcessRuntime
) -> None:
    endpoint = custom_widget(stack)["endpoint"]

    documentation = invoke_widget(endpoint, load_event("savings-widget-describe.json"))

    assert documentation.startswith("## Lambda Autotuner: savings\n")
    assert "**limit** | How many of the latest runs to read" in documentation
    assert runtime.authorizations_of(endpoint.rsplit(":", 1)[-1]) == []  # no AWS call


def test_a_limit_the_widget_cannot_read_is_named_in_its_error(stack: LocalStack) -> None:
    event = load_event("savings-widget.json") | {"limit": 5000}  # edited on the dashboard, past ListExecutions' page

    response = boto3.client("lambda").invoke(
        FunctionName=stack.functions["SavingsWidgetFunction"], Payload=json.dumps(event).encode()
    )

    assert "FunctionError" in response
    error = json.loads(response["Payload"].read())
    assert error["errorMessage"] == "SavingsWidgetRequest: limit: Input should be less than or equal to 1000"
