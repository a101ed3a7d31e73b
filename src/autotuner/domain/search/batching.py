"""How a size's invocations are split into batches that each finish well inside Lambda's time limit, and how a
round's batches are grouped into Measure tasks (one Lambda invocation, one state transition each)."""

import math
from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.run.naming import alias_name

# A batch must finish well inside Lambda's 900 s limit, whatever the target's timeout; a Measure task runs its
# batches at once, so it takes as long as its longest batch.
BATCH_TIME_BUDGET_S = 600
MAX_PARALLEL_INVOCATIONS = 50


class Batch(CamelModel):
    """Invocations of one alias, made one after another (or all at once with parallelInvocation)."""

    memory_mb: int
    alias: str
    invocations: int = Field(gt=0)
    first_invocation: int = Field(ge=0, description="index of the first invocation in the payload schedule")
    architecture: Architecture | None = Field(
        default=None, description="the architecture its alias runs on, in a run measuring more than one"
    )


def invocations_per_batch(target_timeout_s: float, sleep_between_runs_ms: int, parallel: bool) -> int:
    """How many invocations fit in one batch even if every one of them runs to the target's timeout."""
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
    architecture: Architecture | None = None,
) -> list[Batch]:
    """Batches covering ``num`` invocations per size. Cold-start runs get an alias (a fresh version) each.
    ``architecture``: the lane of a run measuring more than one (its aliases name it)."""
    lane = architecture.value if architecture is not None else None
    batches: list[Batch] = []
    for memory in memory_sizes:
        if only_cold_starts:
            batches += [
                Batch(
                    memory_mb=memory,
                    alias=alias_name(run_id, memory, i, lane),
                    invocations=1,
                    first_invocation=i,
                    architecture=architecture,
                )
                for i in range(first_invocation, first_invocation + num)
            ]
            continue
        start = first_invocation
        while start < first_invocation + num:
            count = min(per_batch, first_invocation + num - start)
            alias = alias_name(run_id, memory, architecture=lane)
            batches.append(
                Batch(
                    memory_mb=memory, alias=alias, invocations=count, first_invocation=start, architecture=architecture
                )
            )
            start += count
    return batches


class MeasureTasks(CamelModel):
    """A round's batches grouped into Measure tasks, and how many of those tasks the Measure Map runs at once."""

    tasks: list[list[Batch]]
    concurrency: int = Field(ge=1)


def measure_tasks(batches: Sequence[Batch], *, max_concurrency: int, parallel: bool) -> MeasureTasks:
    """Group batches so that the target never sees more than it does when every batch is a task of its own and the
    Map runs ``max_concurrency`` of them at once.

    Serial invocations: tasks of up to ``max_concurrency`` batches, each task running its batches at once, the
    Map one task at a time; so at most ``max_concurrency`` invocations are in flight, one per batch, and a task
    takes as long as its longest batch (each fits the batch time budget alone). Parallel invocations already put
    up to MAX_PARALLEL_INVOCATIONS in flight per batch: a task keeps one batch, the Map runs ``max_concurrency``.
    The batches keep their order (by size, then by first invocation), so the same batches run together as when
    the Map ran them one task each."""
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
    if parallel:
        return MeasureTasks(tasks=[[batch] for batch in batches], concurrency=max_concurrency)
    grouped = [list(batches[start : start + max_concurrency]) for start in range(0, len(batches), max_concurrency)]
    return MeasureTasks(tasks=grouped, concurrency=1)
