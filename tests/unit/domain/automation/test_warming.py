import subprocess
import sys

import pytest

from autotuner.domain.automation.warming import parse_concurrency, parse_target_list
from autotuner.domain.automation.warmup_ping import is_warmup, warmup_payload
from autotuner.domain.pacing import TokenBucket
from autotuner.warmup import answers_warmups


def test_target_list_with_aliases_and_concurrency() -> None:
    targets, problems = parse_target_list("orders:3, resize ,api:live:2,bad:999,")
    assert [(t.function, t.concurrency) for t in targets] == [("orders", 3), ("resize", 1), ("api:live", 2)]
    assert problems == {"bad": "WarmTargets 'bad:999': '999' is not a concurrency between 1 and 50"}


def test_tag_values() -> None:
    assert parse_concurrency("", "tag") == parse_concurrency("true", "tag") == 1
    assert parse_concurrency(" 4 ", "tag") == 4
    with pytest.raises(ValueError, match="'lots' is not a concurrency"):
        parse_concurrency("lots", "tag autotuner:warm")


def test_the_decorator_answers_warmups_before_the_handler() -> None:
    calls: list[object] = []

    @answers_warmups(delay_s=0)
    def handler(event: object, context: object) -> object:
        calls.append(event)
        return "handled"

    assert handler(warmup_payload(3, 0), None) == {"warmed": True}
    assert calls == []
    assert handler({"order": 1}, None) == "handled"
    assert calls == [{"order": 1}]
    assert is_warmup(warmup_payload(1, 0))
    assert not is_warmup({"autotuner": "tune"})


def test_the_token_bucket_spaces_calls_out_after_a_burst() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(10, 2, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        bucket.acquire()
    assert waits == pytest.approx([0.1, 0.1, 0.1, 0.1])
    assert now[0] == pytest.approx(0.4)  # 6 calls: a burst of 2, then 10 per second


def test_the_users_decorator_needs_only_the_standard_library() -> None:
    """autotuner.warmup runs inside users' own functions: importing it must not pull in pydantic or boto3."""
    script = (
        "import sys, autotuner.warmup; print(sorted(m for m in ('pydantic', 'boto3', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
