from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autotuner.adapters.clients import forget_clients
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy
from autotuner_local.targets import create_target
from tests.emulator import MakeTarget


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        forget_clients()
        yield
    forget_clients()


@pytest.fixture
def runtime(aws: None) -> Iterator[InProcessRuntime]:
    with InProcessRuntime(seed=7, quiet=True).installed() as installed:
        yield installed


@pytest.fixture
def stack(runtime: InProcessRuntime) -> LocalStack:
    return deploy()


@pytest.fixture
def make_target(aws: None) -> MakeTarget:
    lambda_client, iam = boto3.client("lambda"), boto3.client("iam")  # a client costs more than creating a target

    def make(name: str = "resize", workload: str = "cpu-single-thread", **options: Any) -> str:
        return create_target(lambda_client, iam, name, workload, **options)

    return make
