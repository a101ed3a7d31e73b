from autotuner.domain.batching import invocations_per_batch, plan_batches


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
