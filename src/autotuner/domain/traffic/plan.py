"""What Plan decides for a traffic run before anything changes: the alias and the version it runs (whose code and
configuration every candidate must share), where its calls are logged, the baseline they give, the sizes the
margins leave to try, and how long the run may take."""

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.traffic.baseline import HOUR_S, ProductionFigures
from autotuner.domain.traffic.search import SearchBounds
from autotuner.domain.traffic.window import LogReads


class TrafficPlan(CamelModel):
    options: TrafficOptions
    alias: str
    version: str = Field(description="the version the alias ran when the run began: every candidate's baseline")
    memory_mb: int = Field(description="that version's memory: the current size")
    code_sha256: str = Field(description="its code; each candidate is published only with this code")
    log_group: str
    log_format: str
    baseline: ProductionFigures
    baseline_reads: LogReads = Field(default_factory=LogReads)
    bounds: SearchBounds
    max_hours: float = Field(description="traffic.maxHours, within the stack's ExecutionTimeoutSeconds")
    deadline_epoch_s: float


def run_hours(options: TrafficOptions, max_run_seconds: int | None) -> tuple[float, list[str]]:
    """The hours a traffic run may take: its maxHours, within the stack's ExecutionTimeoutSeconds (less the time
    clean-up, a canary and notification need after it, which the caller leaves in ``max_run_seconds``)."""
    if max_run_seconds is None or options.max_hours * HOUR_S <= max_run_seconds:
        return options.max_hours, []
    hours = max_run_seconds / HOUR_S
    return hours, [
        f"traffic.maxHours: {options.max_hours:g} h is more than this deployment lets a run measure (its "
        f"ExecutionTimeoutSeconds, {max_run_seconds:,} s); the run ends with what it has after {hours:.2g} h"
    ]
