"""The memory and timeout margins, read from measurements scored as Analyze scores them."""

from collections.abc import Sequence

import pytest

from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.decision.candidate import CandidateStats, Constraints
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.margins import exclusions, memory_edge_mb, timeout_needed
from autotuner.domain.decision.scoring import PricingContext, candidate_stats
from autotuner.domain.decision.selection import choose, with_margins
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement, InvocationFailure

PRICING = PricingContext(region="us-east-1", architecture=Architecture.X86_64, prices=prices_for_region("us-east-1"))
TIMEOUT_MS = 3000.0


def size(memory: int, *, used: Sequence[int] = (100,), durations: Sequence[float] = (250.0,)) -> CandidateStats:
    """``memory`` measured by one call per ``used`` value (the first a cold start), cycling through ``durations``."""
    batch = BatchMeasurement(memory_mb=memory, alias=f"at-m-{memory}")
    for i, mb in enumerate(used):
        duration = durations[i % len(durations)]
        batch.record(
            InvocationReport(
                request_id=str(i),
                duration_ms=duration,
                billed_duration_ms=int(duration) + 1,
                memory_size_mb=memory,
                max_memory_used_mb=mb,
                init_duration_ms=400.0 if i == 0 else None,
            )
        )
    return candidate_stats(batch, PRICING, trim_fraction=0.2, resamples=50)


def out_of_memory(memory: int) -> CandidateStats:
    batch = BatchMeasurement(memory_mb=memory, alias=f"at-m-{memory}")
    report = InvocationReport(
        request_id="0",
        duration_ms=90.0,
        billed_duration_ms=91,
        memory_size_mb=memory,
        max_memory_used_mb=memory,
        status=InvocationStatus.OUT_OF_MEMORY,
    )
    batch.record_failure(InvocationFailure(status=InvocationStatus.OUT_OF_MEMORY), report)
    return candidate_stats(batch, PRICING, trim_fraction=0.2, resamples=50)


def reasons(candidates: list[CandidateStats], **constraints: float) -> dict[int, str]:
    return exclusions(candidates, Constraints.model_validate(constraints), timeout_ms=TIMEOUT_MS)


# ---- memory ----------------------------------------------------------------------------------------------


def test_a_size_with_less_than_a_tenth_free_is_excluded_with_its_figures() -> None:
    """The issue's sweep: 704 MB applied with 1% free over the 697 MB the target used."""
    found = reasons([size(704, used=[640, 697, 655]), size(1024, used=[650, 690])])
    assert found == {704: "memory margin: 1.0% free (697 of 704 MB used), under the 10% minMemoryHeadroom"}


def test_the_memory_a_smaller_size_used_counts_for_every_larger_one() -> None:
    """768 MB's own calls used 650 MB, but a call at 704 MB needed 697: 768 MB leaves only 9.2% free over it."""
    found = reasons([size(704, used=[697]), size(768, used=[650]), size(1024, used=[650])])
    assert found[768] == (
        "memory margin: 9.2% free over the 697 MB a call used at 704 MB, under the 10% minMemoryHeadroom"
    )
    assert 1024 not in found


def test_a_smaller_size_that_failed_does_not_count_its_memory() -> None:
    assert reasons([out_of_memory(512), size(1024, used=[650])]) == {
        512: "failed: 1 of 1 invocations ran out of memory"
    }


def test_a_size_within_the_margin_above_an_out_of_memory_size_is_excluded() -> None:
    """The demo's adaptive floor: 774 MB applied twelve MB above 762 MB, which ran out of memory."""
    found = reasons([out_of_memory(762), size(774, used=[600]), size(839, used=[600]), size(838, used=[600])])
    assert found[774] == "memory margin: 1.6% above 762 MB, which ran out of memory; at least 10% (839 MB) is needed"
    assert found[838].startswith("memory margin: 10.0% above 762 MB")  # 9.97%, shown rounded: still under
    assert 839 not in found


def test_a_size_below_one_that_ran_out_of_memory_is_excluded() -> None:
    found = reasons([size(512, used=[300]), out_of_memory(640)])
    assert found[512] == "memory margin: 640 MB, a larger size, ran out of memory"


def test_exactly_the_margin_is_enough() -> None:
    """630 of 700 MB used is 10% free; 770 MB is 10% above 700 MB (not rounded away by floating point)."""
    assert reasons([size(700, used=[630])]) == {}
    assert 770 not in reasons([out_of_memory(700), size(770, used=[600])])


def test_a_zero_headroom_turns_the_memory_margin_off() -> None:
    assert reasons([out_of_memory(700), size(704, used=[703])], min_memory_headroom=0) == {
        700: "failed: 1 of 1 invocations ran out of memory"
    }


def test_the_memory_edge_is_the_smallest_size_worth_measuring_under_the_margin() -> None:
    measured = [out_of_memory(512), size(704, used=[650]), size(1024, used=[697])]
    assert memory_edge_mb(measured, 0.1) == 775  # 697 MB used (at any size) leaves 10% free from 775 MB
    assert memory_edge_mb([out_of_memory(700), size(1024, used=[500])], 0.1) == 770  # 10% above 700 MB
    assert memory_edge_mb([size(1024, used=[500])], 0) is None


# ---- timeout ---------------------------------------------------------------------------------------------


def test_a_size_whose_slowest_call_passed_the_timeout_share_is_excluded() -> None:
    """The issue's 128 MB: its slowest call took 2,812 ms of the 3,000 ms timeout; the cold call counts too."""
    found = reasons([size(128, used=[90] * 5, durations=[2812, 2600, 2590]), size(256, durations=[2400.0])])
    assert found == {
        128: "timeout margin: its slowest call took 2,812 ms, 94% of the 3 s timeout (maxTimeoutShare 80%)"
    }


def test_when_the_timeout_margin_leaves_nothing_the_reason_says_what_timeout_would_do() -> None:
    candidates = [size(128, durations=[2812.0]), size(256, durations=[2500.0])]
    decision = choose(candidates, timeout_ms=TIMEOUT_MS)
    assert decision.chosen_memory_mb is None
    assert decision.reason.endswith(
        "A timeout of 4 s would make 128 MB, the cheapest size the timeout margin excluded, safe: its slowest call "
        "took 2,812 ms, under 80% of 4 s."
    )
    found = timeout_needed(candidates, Constraints(), timeout_ms=TIMEOUT_MS)
    assert found is not None
    assert (found[0].memory_mb, found[1]) == (128, 4)
    assert timeout_needed([size(128, durations=[2000.0])], Constraints(), timeout_ms=TIMEOUT_MS) is None


def test_without_a_known_timeout_nothing_is_excluded_by_it() -> None:
    assert exclusions([size(128, durations=[2999.0])], Constraints(), timeout_ms=None) == {}


# ---- the decision carries them ----------------------------------------------------------------------------


def test_the_decision_carries_the_margins_and_the_figures_behind_the_choice() -> None:
    measured = [out_of_memory(512), size(704, used=[697] * 5), size(1024, used=[650] * 6, durations=[262.0, 250.0])]
    decision = choose(measured, timeout_ms=TIMEOUT_MS)
    assert decision.chosen_memory_mb == 1024
    rule = EvidenceRule()
    marked = with_margins(
        decision, measured, measured, Constraints(), timeout_ms=TIMEOUT_MS, evidence=rule, applies=True
    )
    margins = marked.margins
    assert margins is not None
    assert (margins.min_memory_headroom, margins.max_timeout_share, margins.timeout_ms) == (0.1, 0.8, TIMEOUT_MS)
    assert margins.memory is not None
    assert (margins.memory.used_mb, margins.memory.used_at_mb, margins.memory.free_mb) == (697, 704, 327)
    assert margins.memory.free_share == pytest.approx(327 / 1024)
    assert (margins.memory.out_of_memory_mb, margins.memory.above_out_of_memory) == (512, 1.0)
    assert margins.timeout is not None
    assert margins.timeout.slowest_ms == 262.0
    assert margins.timeout.share == pytest.approx(262 / 3000)
    assert margins.evidence is not None
    assert (margins.evidence.calls, margins.evidence.warm_calls) == (6, 5)
    assert marked.apply_refusal is None


def test_a_choice_without_the_evidence_is_refused_only_when_the_run_applies() -> None:
    measured = [size(256, used=[90] * 4)]
    decision = choose(measured, timeout_ms=TIMEOUT_MS)
    rule = EvidenceRule()
    applying = with_margins(decision, measured, measured, Constraints(), timeout_ms=None, evidence=rule, applies=True)
    assert applying.apply_refusal == (
        "256 MB was measured by 4 calls, 3 of them warm: auto-apply needs at least 5, 4 of them warm"
    )
    recommending = with_margins(
        decision, measured, measured, Constraints(), timeout_ms=None, evidence=rule, applies=False
    )
    assert recommending.apply_refusal is None


def test_with_nothing_chosen_the_margins_say_what_timeout_would_do() -> None:
    measured = [size(128, durations=[2812.0])]
    decision = choose(measured, timeout_ms=TIMEOUT_MS)
    marked = with_margins(
        decision, measured, measured, Constraints(), timeout_ms=TIMEOUT_MS, evidence=EvidenceRule(), applies=True
    )
    assert marked.margins is not None
    assert marked.margins.timeout_needed_s == 4
    assert marked.margins.memory is None
    assert marked.apply_refusal is None


# ---- the input -------------------------------------------------------------------------------------------


def test_the_margins_are_on_by_default_and_a_stored_null_reads_as_the_default() -> None:
    assert (Constraints().min_memory_headroom, Constraints().max_timeout_share) == (0.1, 0.8)
    stored = Constraints.model_validate({"minMemoryHeadroom": None, "maxTimeoutShare": None})
    assert stored == Constraints()


@pytest.mark.parametrize(
    ("field", "value"),
    [("minMemoryHeadroom", -0.1), ("minMemoryHeadroom", 1), ("maxTimeoutShare", 0), ("maxTimeoutShare", 1.2)],
)
def test_a_margin_out_of_its_range_is_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        Constraints.model_validate({field: value})
