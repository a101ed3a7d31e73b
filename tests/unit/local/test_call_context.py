"""The emulator serves every function in one process: each handler call must see its own environment only."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from autotuner_local.call_context import call_environment, calls_kept_apart

VARIABLE = "AUTOTUNER_TEST_CALL_VARIABLE"


def test_a_call_sees_its_variables_and_they_end_with_it() -> None:
    with calls_kept_apart():
        with call_environment({VARIABLE: "orders"}):
            assert os.environ[VARIABLE] == "orders"
            assert os.environ.get(VARIABLE) == "orders"
            assert os.getenv(VARIABLE) == "orders"
            assert VARIABLE in os.environ
            assert dict(os.environ)[VARIABLE] == "orders"
            assert os.environ.copy()[VARIABLE] == "orders"
        assert VARIABLE not in os.environ
    assert type(os.environ) is os._Environ


def test_concurrent_calls_never_read_each_others_variables() -> None:
    """Two calls interleave on a barrier; each (and the pool threads it starts) reads only its own value."""
    barrier = threading.Barrier(2)
    seen: dict[str, list[str]] = {}

    def call(name: str) -> None:
        with call_environment({VARIABLE: name}):
            barrier.wait(timeout=5)  # both calls are inside their environment now
            with ThreadPoolExecutor(max_workers=2) as pool:
                from_workers = list(pool.map(lambda _: os.environ[VARIABLE], range(4)))
            seen[name] = [os.environ[VARIABLE], *from_workers]

    with calls_kept_apart():
        threads = [threading.Thread(target=call, args=(name,)) for name in ("measure", "analyze")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert seen == {"measure": ["measure"] * 5, "analyze": ["analyze"] * 5}
    assert VARIABLE not in os.environ


def test_the_process_environment_is_what_a_call_falls_back_to_and_writes_to() -> None:
    with calls_kept_apart(), pytest.MonkeyPatch.context() as patch:
        patch.setenv(VARIABLE, "process")
        with call_environment({"OTHER": "x"}):
            assert os.environ[VARIABLE] == "process"
        with call_environment({VARIABLE: "call"}):
            assert os.environ[VARIABLE] == "call"
        assert os.environ[VARIABLE] == "process"
