import math

from hypothesis import given
from hypothesis import strategies as st

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.search.batching import (
    MAX_PARALLEL_INVOCATIONS,
    invocations_per_batch,
    measure_tasks,
    plan_batches,
)


def test_batches_fit_the_measuring_task_whatever_the_target_timeout() -> None:
    assert invocations_per_batch(900, 0, parallel=False) == 1
    assert invocations_per_batch(3, 0, parallel=False) == 200
    assert invocations_per_batch(3, 2000, parallel=False) == 120
    batches = plan_batches([128, 256], 25, run_id="r1", per_batch=10)
    assert [(b.memory_mb, b.invocations, b.first_invocation) for b in batches] == [
        (128, 10, 0), (128, 10, 10), (128, 5, 20), (256, 10, 0), (256, 10, 10), (256, 5, 20),
    ]  # fmt: skip
    assert {b.alias for b in batches} == {"at-r1-128", "at-r1-256"}


def test_cold_start_runs_get_an_alias_per_invocation() -> None:
    batches = plan_batches([512], 3, run_id="r1", per_batch=10, only_cold_starts=True)
    assert [b.alias for b in batches] == ["at-r1-512-c0", "at-r1-512-c1", "at-r1-512-c2"]


def test_a_lanes_batches_carry_its_architecture_and_name_it_in_their_aliases() -> None:
    batches = plan_batches([512], 3, run_id="r1", per_batch=2, architecture=Architecture.ARM64)
    assert [(b.alias, b.invocations, b.architecture) for b in batches] == [
        ("at-r1-512-arm64", 2, Architecture.ARM64), ("at-r1-512-arm64", 1, Architecture.ARM64),
    ]  # fmt: skip
    cold = plan_batches([512], 2, run_id="r1", per_batch=2, only_cold_starts=True, architecture=Architecture.X86_64)
    assert [b.alias for b in cold] == ["at-r1-512-x86_64-c0", "at-r1-512-x86_64-c1"]


def test_serial_batches_are_grouped_into_tasks_of_max_concurrency_run_one_at_a_time() -> None:
    batches = plan_batches([128, 256, 512], 25, run_id="r1", per_batch=10)  # nine batches
    grouped = measure_tasks(batches, max_concurrency=4, parallel=False)
    assert [len(task) for task in grouped.tasks] == [4, 4, 1]
    assert [batch for task in grouped.tasks for batch in task] == batches, "in the order the Map ran them"
    assert grouped.concurrency == 1


def test_parallel_batches_stay_one_a_task_and_the_map_runs_max_concurrency_of_them() -> None:
    batches = plan_batches([128, 256, 512], 25, run_id="r1", per_batch=MAX_PARALLEL_INVOCATIONS)
    grouped = measure_tasks(batches, max_concurrency=4, parallel=True)
    assert grouped.tasks == [[batch] for batch in batches]
    assert grouped.concurrency == 4


@given(
    sizes=st.lists(st.integers(128, 10_240), min_size=1, max_size=12, unique=True),
    num=st.integers(1, 60),
    per_batch=st.integers(1, 20),
    max_concurrency=st.integers(1, 40),
    parallel=st.booleans(),
)
def test_grouping_never_puts_more_invocations_in_flight_than_the_map_allowed(
    sizes: list[int], num: int, per_batch: int, max_concurrency: int, parallel: bool
) -> None:
    """Today's bound: maxConcurrency batches at once, each with one invocation in flight (serial) or all of its
    own (parallel). Every batch is in exactly one task, in order, and no task is empty."""
    batches = plan_batches(sizes, num, run_id="r1", per_batch=per_batch)
    grouped = measure_tasks(batches, max_concurrency=max_concurrency, parallel=parallel)
    assert [batch for task in grouped.tasks for batch in task] == batches
    assert all(grouped.tasks)
    widest = max(len(task) for task in grouped.tasks)
    assert grouped.concurrency * widest <= max_concurrency, "batches under way at once"
    assert len(grouped.tasks) == (len(batches) if parallel else math.ceil(len(batches) / max_concurrency))
