"""How a size's invocations are split into Measure tasks that each finish well inside Lambda's time limit."""

import math
from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.run_naming import alias_name

# A Measure task must finish well inside Lambda's 900 s limit, whatever the target's timeout.
BATCH_TIME_BUDGET_S = 600
MAX_PARALLEL_INVOCATIONS = 50


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
