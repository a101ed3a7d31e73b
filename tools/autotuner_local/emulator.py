"""A local AWS to run the whole product against: moto's server on a free loopback port, in this process, with
Step Functions execution switched on, our Lambdas run in-process, and the stack deployed from template.yaml."""

import json
import logging
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from autotuner.adapters.clients import forget_clients
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy

LOCAL_REGION = "us-east-1"
LOOPBACK = "127.0.0.1"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


@dataclass
class LocalAws:
    endpoint: str
    stack: LocalStack
    runtime: InProcessRuntime


@contextmanager
def local_aws(
    *, seed: int = 0, quiet: bool = True, parameters: dict[str, str] | None = None, port: int = 0
) -> Iterator[LocalAws]:
    """Start the emulator on ``port`` of the loopback interface (0: a free one), deploy the stack into it, and
    point every boto3 client of this process at it. Everything (server thread, environment, moto patches) is
    undone on exit: no process is left behind."""
    if quiet:  # the emulator's request log and its traces of caught task failures are noise in a demo
        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    require_free(port)  # moto's server would wait forever for a port it cannot bind
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = dict(os.environ)
    os.environ.update(
        LOCAL_CREDENTIALS
        | {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
            "MOTO_PORT": str(port),  # moto's Step Functions engine calls Lambda on this port
        }
    )
    for variable in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(variable, None)
    forget_clients()
    try:
        _post(endpoint, "/moto-api/reset", {})  # moto's state lives in this process: start from nothing
        _post(endpoint, "/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
        with InProcessRuntime(seed=seed, quiet=quiet).installed() as runtime:
            yield LocalAws(endpoint=endpoint, stack=deploy(parameters=parameters, region=LOCAL_REGION), runtime=runtime)
    finally:
        server.stop()
        forget_clients()
        os.environ.clear()
        os.environ.update(saved)


class PortInUseError(ValueError):
    """The port asked for is taken: a usage error, named with the option that chooses another."""


def require_free(port: int) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a listener still refuses
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            raise PortInUseError(f"port {port} of {LOOPBACK} is taken ({error.strerror}); pass --port") from None


def _post(endpoint: str, path: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the loopback server we started
        f"{endpoint}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the loopback server we started
        response.read()
