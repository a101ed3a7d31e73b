"""Planning a memory sweep: which sizes, how invocations are batched, and how the run's versions and aliases
are named so that clean-up can find exactly what the run created."""

import hashlib
import math
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from autotuner.domain.camel import CamelModel

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
DEFAULT_POWER_VALUES = (128, 256, 512, 1024, 1536, 3008)
ALL_POWER_VALUES = tuple(range(128, 3008 + 1, 64))  # "ALL", as aws-lambda-power-tuning defines it

# A Measure task must finish well inside Lambda's 900 s limit, whatever the target's timeout.
BATCH_TIME_BUDGET_S = 600
MAX_PARALLEL_INVOCATIONS = 50

RUN_TAG_PREFIX = "autotuner"
ALIAS_PREFIX = "at"


def validate_memory_sizes(
    requested: Sequence[object], *, max_memory_mb: int = MAX_MEMORY_MB, field: str = "powerValues"
) -> tuple[list[int], list[str]]:
    """Sorted, de-duplicated sizes, and a problem per invalid entry (each naming its position)."""
    sizes: set[int] = set()
    problems: list[str] = []
    for position, value in enumerate(requested):
        where = f"{field}[{position}]"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            problems.append(f"{where}: {value!r} is not a memory size in MB")
            continue
        try:
            number = float(value)
        except ValueError:
            problems.append(f"{where}: {value!r} is not a number")
            continue
        if not math.isfinite(number) or number != int(number):
            problems.append(f"{where}: {value!r} is not a whole number of MB")
        elif not MIN_MEMORY_MB <= number <= max_memory_mb:
            problems.append(f"{where}: {int(number)} MB is outside {MIN_MEMORY_MB}-{max_memory_mb} MB")
        else:
            sizes.add(int(number))
    if not requested:
        problems.append(f"{field}: at least one memory size is needed")
    return sorted(sizes), problems


def all_power_values(max_memory_mb: int = MAX_MEMORY_MB) -> list[int]:
    return [size for size in ALL_POWER_VALUES if size <= max_memory_mb]


def run_id_for(execution_id: str) -> str:
    """A short, stable id for a tuning run (the Step Functions execution ARN in, 10 hex characters out)."""
    return hashlib.sha256(execution_id.encode()).hexdigest()[:10]


def alias_name(run_id: str, memory_mb: int, cold_start_index: int | None = None) -> str:
    suffix = "" if cold_start_index is None else f"-c{cold_start_index}"
    return f"{ALIAS_PREFIX}-{run_id}-{memory_mb}{suffix}"


def run_tag(run_id: str) -> str:
    """The prefix of every description the run writes; clean-up deletes versions whose description has it."""
    return f"{RUN_TAG_PREFIX} run {run_id}"


def version_description(run_id: str, memory_mb: int, purpose: Literal["measure", "apply"] = "measure") -> str:
    return f"{run_tag(run_id)}: {purpose} {memory_mb} MB"


def is_run_alias(name: str, run_id: str) -> bool:
    return name.startswith(f"{ALIAS_PREFIX}-{run_id}-")


def is_run_version(description: str, run_id: str) -> bool:
    return description.startswith(run_tag(run_id) + ":")


class Batch(CamelModel):
    """Invocations of one alias that one Measure task performs."""

    memory_mb: int
    alias: str
    invocations: int = Field(gt=0)
    first_invocation: int = Field(ge=0, description="index of the first invocation in the payload schedule")


def invocations_per_batch(target_timeout_s: float, sleep_between_runs_ms: int, parallel: bool) -> int:
    """How many invocations fit in one Measure task even if every one of them runs to the target's timeout."""
    if parallel:
        return MAX_PARALLEL_INVOCATIONS
    worst_case_s = target_timeout_s + sleep_between_runs_ms / 1000
    return max(1, math.floor(BATCH_TIME_BUDGET_S / worst_case_s))


def plan_batches(
    memory_sizes: Sequence[int],
    num: int,
    *,
    run_id: str,
    per_batch: int,
    only_cold_starts: bool = False,
    first_invocation: int = 0,
) -> list[Batch]:
    """Batches covering ``num`` invocations per size. Cold-start runs get an alias (a fresh version) each."""
    batches: list[Batch] = []
    for memory in memory_sizes:
        if only_cold_starts:
            batches += [
                Batch(memory_mb=memory, alias=alias_name(run_id, memory, i), invocations=1, first_invocation=i)
                for i in range(first_invocation, first_invocation + num)
            ]
            continue
        start = first_invocation
        while start < first_invocation + num:
            count = min(per_batch, first_invocation + num - start)
            batches.append(
                Batch(memory_mb=memory, alias=alias_name(run_id, memory), invocations=count, first_invocation=start)
            )
            start += count
    return batches
