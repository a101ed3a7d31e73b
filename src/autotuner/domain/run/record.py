"""The run record: what a run found before it touched anything, and every change it set out to make.

Plan writes it before the first change; every step that changes the target appends its intent first. Clean-up,
on success, on failure and from the janitor, works only from this record, never from the execution's document
(which a caller's input could shape). Once a clean-up closes the record, no step may change the target again.
"""

from typing import Literal

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.inputs.scope import AssumedRole
from autotuner.domain.run.documents import CleanupReport
from autotuner.domain.run.output import AppliedChange

NO_RECORD = "the run stopped before it recorded any change to make"


class AliasSnapshot(CamelModel):
    """An alias as the run found it; ``version`` None means it did not exist."""

    name: str
    version: str | None = None
    routing: dict[str, float] = Field(default_factory=dict, description="AdditionalVersionWeights")


class Intent(CamelModel):
    """A change a step is about to make, written before it makes it."""

    step: Literal["plan", "prepare", "apply", "traffic"]
    action: str
    memory_mb: int | None = None
    alias: str | None = None
    architecture: Architecture | None = Field(default=None, description="set when it switches $LATEST's code")


class RunRecord(CamelModel):
    execution_id: str
    run_id: str
    function: FunctionRef = Field(description="the target, unqualified (its partition, account and region)")
    target_role: AssumedRole | None = Field(
        default=None, description="the role in the target's account clean-up goes through; None: the tuner's own"
    )
    original_memory_mb: int
    original_description: str = ""
    original_timeout_s: int | None = Field(default=None, description="None: a record from before it was kept")
    original_architecture: Architecture | None = Field(default=None, description="$LATEST's, as found")
    original_code_sha256: str | None = Field(
        default=None, description="$LATEST's CodeSha256 as found: read back after any switch of architecture"
    )
    alias: AliasSnapshot | None = Field(default=None, description="the alias an applied choice would move")
    intents: list[Intent] = Field(default_factory=list)
    applied: AppliedChange | None = Field(default=None, description="set only once the change took effect")
    closed: bool = False
    cleanup: CleanupReport | None = Field(default=None, description="the last clean-up, as read back")

    @property
    def changed_target(self) -> bool:
        """Whether any step set out to change the target (the lock is not the target)."""
        return any(intent.step != "plan" for intent in self.intents)

    @property
    def switched_code(self) -> bool:
        """Whether any step set out to upload $LATEST's code for another architecture."""
        return any(intent.architecture is not None for intent in self.intents)
