"""What the workflow needs from the outside world; the adapters provide it (and moto stands behind them in tests)."""

from typing import Any, Protocol

from pydantic import BaseModel

from autotuner.domain.run import FunctionConfiguration


class VersionInfo(BaseModel):
    version: str
    description: str = ""


class InvocationResult(BaseModel):
    log_tail_base64: str
    error_type: str | None = None
    error_message: str = ""
    payload: bytes = b""


class FunctionControl(Protocol):
    """Control-plane operations on the target function."""

    def configuration(self, qualifier: str | None = None) -> FunctionConfiguration: ...
    def wait_until_updated(self) -> None: ...
    def update(self, *, memory_mb: int, description: str) -> None: ...
    def publish_version(self, description: str) -> VersionInfo: ...
    def point_alias(self, alias: str, version: str) -> None: ...
    def alias_version(self, alias: str) -> str | None: ...
    def aliases(self) -> dict[str, str]: ...
    def versions(self) -> list[VersionInfo]: ...
    def delete_alias(self, alias: str) -> None: ...
    def delete_version(self, version: str) -> bool: ...


class Invoker(Protocol):
    throttles: int

    def invoke(self, function: str, payload: bytes) -> InvocationResult: ...


class PayloadSource(Protocol):
    def fetch(self, uri: str) -> object: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str: ...


class RunRegistry(Protocol):
    """One run at a time per function, and the memory of the last successful run (the profiles table)."""

    def claim_run(self, function_arn: str, execution: str, until: float) -> str | None: ...
    def release_run(self, function_arn: str, execution: str) -> bool: ...
    def record_run(
        self, function_arn: str, tuning_input: dict[str, Any], power: int | None, execution: str
    ) -> None: ...
