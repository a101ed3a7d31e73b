"""Enough evidence to apply: 5 calls, 4 of them warm, every weighted payload among them."""

import pytest

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.inputs.payload import payload_schedule


def measured(memory: int, invocations: int, *, cold: int = 1, failures: int = 0) -> CandidateStats:
    return CandidateStats(memory_mb=memory, invocations=invocations, cold_starts=cold, failures=failures)


@pytest.mark.parametrize(
    ("invocations", "cold", "refusal"),
    [
        (1, 1, "128 MB was measured by 1 call, 0 of them warm: auto-apply needs at least 5, 4 of them warm"),
        (4, 1, "128 MB was measured by 4 calls, 3 of them warm: auto-apply needs at least 5, 4 of them warm"),
        (5, 2, "128 MB was measured by 5 calls, 3 of them warm: auto-apply needs at least 5, 4 of them warm"),
        (5, 1, None),
        (10, 0, None),
    ],
)
def test_five_calls_four_of_them_warm(invocations: int, cold: int, refusal: str | None) -> None:
    assert EvidenceRule().refusal(measured(128, invocations, cold=cold)) == refusal


def test_every_weighted_payload_must_be_among_the_calls() -> None:
    schedule = payload_schedule([8, 1, 1], 10)
    assert schedule == [0, 0, 0, 1, 0, 0, 2, 0, 0, 0]  # the third payload is first sent by the seventh call
    rule = EvidenceRule(payload_schedule=schedule)
    assert rule.refusal(measured(512, 5)) == (
        "its calls sent 2 of the 3 weighted payloads: auto-apply needs every one measured"
    )
    assert rule.calls_needed(measured(512, 5)) == 2
    assert rule.refusal(measured(512, 7)) is None
    assert rule.figures(measured(512, 12)).payloads_sent == 3  # the schedule repeats past its end


def test_the_calls_needed_count_a_new_size_cold_start() -> None:
    rule = EvidenceRule()
    assert rule.calls_needed(None) == 5
    assert rule.calls_needed(measured(256, 1)) == 4  # the probe's cold call and four warm ones
    assert rule.calls_needed(measured(256, 4)) == 1
    assert rule.calls_needed(measured(256, 5, cold=2)) == 1  # a fifth warm call
    assert rule.calls_needed(measured(256, 12)) == 0


def test_with_only_cold_starts_every_call_is_the_sample() -> None:
    rule = EvidenceRule(only_cold_starts=True)
    assert rule.refusal(measured(256, 5, cold=5)) is None
    assert rule.refusal(measured(256, 3, cold=3)) == (
        "256 MB was measured by 3 calls (each a cold start, as onlyColdStarts asks): auto-apply needs at least 5"
    )


def test_failed_calls_are_not_evidence() -> None:
    figures = EvidenceRule().figures(measured(256, 6, failures=2))
    assert (figures.calls, figures.warm_calls, figures.payloads_sent, figures.payloads) == (4, 3, 1, 1)
