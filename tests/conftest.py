"""Shared test set-up: fixtures directory, real-format events, and credentials that can never reach AWS."""

import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.loaders import JSONFileLoader

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EVENTS = ROOT / "events"

# boto3 must never find real credentials or a real region in a test run.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_NAMESPACE="LambdaAutotuner",
    POWERTOOLS_SERVICE_NAME="autotuner-tests",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


def fixture_text(relative: str) -> str:
    return (FIXTURES / relative).read_text()


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True, scope="session")
def service_models_read_once() -> Iterator[None]:
    """botocore reads its JSON service models anew for every session, and the product makes a session per client:
    once per cold start in AWS, but once per test here, where each test starts a new emulator. Read once per test
    process, they cost a quarter of the end-to-end tests' CPU less; botocore treats them as read-only."""
    read = functools.cache(functools.partial(JSONFileLoader.load_file, JSONFileLoader()))
    with mock.patch.object(JSONFileLoader, "load_file", lambda _loader, file_path: read(file_path)):
        yield


# A test that measures a figure (the fault matrix) records it as a property of this name; the session prints it
# at the end, whichever worker process ran the test.
FIGURE = "figure"
FIGURES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        FIGURES.extend(str(value) for name, value in report.user_properties if name == FIGURE)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in sorted(FIGURES):
        terminalreporter.write_line(line)
