"""A tuner handler runs as in its own execution environment: its module is imported (Lambda's init) with the
function's variables, and each environment has its own clients when the runtime keeps them apart."""

import json
import sys
from pathlib import Path

import boto3
import pytest

from autotuner.adapters.clients import client
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import placeholder_code

MODULE = "autotuner_init_probe"
PROBE = """
import os

from autotuner.adapters.clients import client

SEEN_AT_IMPORT = os.environ.get("PROBE_VARIABLE")


def handler(event, context):
    return {"atImport": SEEN_AT_IMPORT, "client": id(client("lambda", "us-east-1"))}
"""


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / f"{MODULE}.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)  # imported afresh, by the runtime
    role = boto3.client("iam").create_role(RoleName="probe", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName="probe", Runtime="python3.13", Role=role, Handler=f"{MODULE}.handler",
        Code={"ZipFile": placeholder_code()}, Environment={"Variables": {"PROBE_VARIABLE": "the function's"}},
    )  # fmt: skip
    return "probe"


def call(name: str) -> dict[str, object]:
    response = boto3.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    body: dict[str, object] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def test_a_handler_module_is_imported_with_its_functions_variables(aws: None, probe: str) -> None:
    with InProcessRuntime(quiet=True, enforce_iam=False).installed():
        assert call(probe)["atImport"] == "the function's"


def test_with_clients_per_environment_a_handler_does_not_use_the_process_clients(aws: None, probe: str) -> None:
    with InProcessRuntime(quiet=True, enforce_iam=False, clients_per_environment=True).installed() as runtime:
        first, again = call(probe)["client"], call(probe)["client"]
        outside = id(client("lambda", "us-east-1"))

    assert first == again, "one environment, reused: its clients are kept"
    assert first != outside
    assert runtime.handler_environments.created() == {probe: 1}
