import base64
import struct
from urllib.parse import urlsplit

import pytest

from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.costs.run_cost import RunCost
from autotuner.domain.decision.scoring import PricingContext, candidate_stats
from autotuner.domain.decision.selection import choose
from autotuner.domain.inputs.tuning_input import parse_tuning_input
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement, InvocationFailure, classify
from autotuner.domain.run.output import (
    AppliedChange,
    Outcome,
    build_output,
    curve_summary,
    savings_against,
    visualization_url,
)
from autotuner.domain.search.cost_curve import CurvePricing, fit_cost_curve
from autotuner.domain.search.duration_model import cpu_share

PRICING = PricingContext(region="us-east-1", architecture=Architecture.X86_64, prices=prices_for_region("us-east-1"))


def measured(memory: int, durations: list[float], *, init_first: float | None = None) -> BatchMeasurement:
    batch = BatchMeasurement(memory_mb=memory, alias=f"at-r-{memory}")
    for i, duration in enumerate(durations):
        init = init_first if i == 0 else None
        billed = int(duration) + 1 + (int(init) + 1 if init else 0)
        batch.record(
            InvocationReport(
                request_id=str(i),
                duration_ms=duration,
                billed_duration_ms=billed,
                memory_size_mb=memory,
                max_memory_used_mb=90,
                init_duration_ms=init,
            )
        )
    return batch


def test_cold_starts_stay_out_of_the_steady_state_statistics_but_are_billed() -> None:
    batch = measured(1024, [500.0] + [100.0] * 9, init_first=300.0)
    stats = candidate_stats(batch, PRICING, trim_fraction=0.2)
    assert stats.cold_starts == 1
    assert stats.mean_init_duration_ms == 300
    assert stats.duration_ms is not None
    assert stats.duration_ms.count == 9
    assert stats.duration_ms.trimmed_mean == 100
    warm_cost = 1.0 * 0.101 * 0.0000166667 + 0.0000002
    cold_cost = 1.0 * 0.802 * 0.0000166667 + 0.0000002
    assert stats.cost_estimate == pytest.approx(warm_cost)
    assert stats.total_cost == pytest.approx(9 * warm_cost + cold_cost)


def test_cold_start_runs_measure_init_plus_duration() -> None:
    batch = measured(512, [100.0], init_first=250.0)
    stats = candidate_stats(batch, PRICING, trim_fraction=0, only_cold_starts=True)
    assert stats.duration_ms is not None
    assert stats.duration_ms.mean == 350


def test_failures_make_a_failed_candidate_with_the_reason() -> None:
    batch = measured(128, [100.0, 100.0])
    batch.record_failure(InvocationFailure(status=InvocationStatus.OUT_OF_MEMORY), None)
    batch.stopped_early = True
    stats = candidate_stats(batch, PRICING, trim_fraction=0.2)
    assert stats.failure_reason == "1 of 3 invocations ran out of memory; measuring stopped at the first failure"
    assert stats.cost is None
    assert choose([stats]).excluded[0].reason.startswith("failed: 1 of 3 invocations ran out of memory")


def test_allowed_exceptions_count_as_measurements() -> None:
    assert classify(None, "HandledError", ["HandledError"]) is None
    failure = classify(None, "ValueError", ["HandledError"])
    assert failure is not None
    assert failure.describe() == "raised ValueError"
    timeout = InvocationReport(
        request_id="t",
        duration_ms=3000,
        billed_duration_ms=3000,
        memory_size_mb=128,
        max_memory_used_mb=40,
        status=InvocationStatus.TIMEOUT,
    )
    timed_out = classify(timeout, "Sandbox.Timedout", ["Sandbox.Timedout"])
    assert timed_out is not None
    assert timed_out.status is InvocationStatus.TIMEOUT


def test_merge_keeps_every_invocation() -> None:
    first, second = measured(256, [10.0, 11.0]), measured(256, [12.0])
    second.record_failure(InvocationFailure(status=InvocationStatus.ERROR, error_type="E"), None)
    merged = BatchMeasurement.merge([first, second])
    assert merged.attempted == 4
    assert merged.duration_ms == [10.0, 11.0, 12.0]
    assert len(merged.failures) == 1
    with pytest.raises(ValueError, match="different sizes"):
        BatchMeasurement.merge([first, measured(512, [1.0])])
    on_arm = measured(256, [9.0]).model_copy(update={"architecture": Architecture.ARM64})
    with pytest.raises(ValueError, match="different architectures"):
        BatchMeasurement.merge([first, on_arm])
    assert BatchMeasurement.merge([on_arm, on_arm]).architecture is Architecture.ARM64


def test_visualization_url_decodes_to_the_measured_values() -> None:
    candidates = [
        candidate_stats(measured(m, [d] * 5), PRICING, trim_fraction=0.2) for m, d in ((1024, 100.0), (128, 900.0))
    ]
    url = visualization_url("https://lambda-power-tuning.show/", candidates, "us-east-1")
    assert url.startswith("https://lambda-power-tuning.show/#")
    sizes, durations, costs = urlsplit(url).fragment.split(";")
    assert struct.unpack("<2h", base64.b64decode(sizes)) == (128, 1024)
    assert struct.unpack("<2f", base64.b64decode(durations)) == pytest.approx((900.0, 100.0))
    assert struct.unpack("<2f", base64.b64decode(costs))[0] == pytest.approx(candidates[1].cost_estimate, rel=1e-6)
    assert "?currency=CNY#" in visualization_url("https://x/", candidates, "cn-north-1")


def test_savings_against_the_current_memory() -> None:
    current = candidate_stats(measured(1024, [100.0] * 5), PRICING, trim_fraction=0.2)
    cheaper = candidate_stats(measured(512, [120.0] * 5), PRICING, trim_fraction=0.2)
    savings = savings_against(1024, cheaper, [current, cheaper])
    assert savings is not None
    assert savings.savings_per_million == pytest.approx((current.cost_estimate - cheaper.cost_estimate) * 1e6)
    assert savings.savings_percent > 30
    assert savings_against(3008, cheaper, [current, cheaper]) is None


def test_output_carries_the_reference_fields_and_ours() -> None:
    tuning = parse_tuning_input({"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f", "num": 5})
    candidates = [
        candidate_stats(measured(m, [d] * 5), PRICING, trim_fraction=0.2) for m, d in ((128, 800.0), (512, 150.0))
    ]
    decision = choose(candidates)
    run_cost = RunCost(
        target_invocations=10, target_cost=1e-5, tuner_lambda_cost=2e-5, transitions=30, transitions_cost=7.5e-4
    )
    applied = AppliedChange(target="$LATEST", memory_mb=512, previous_memory_mb=1024)
    output = build_output(
        tuning,
        candidates,
        decision,
        current_memory_mb=1024,
        run_cost=run_cost,
        visualization_base_url="https://lambda-power-tuning.show/",
        region="us-east-1",
        applied=applied,
    )
    dumped = output.model_dump(mode="json")
    assert dumped["power"] == 512
    assert dumped["outcome"] == Outcome.APPLIED.value
    assert dumped["stateMachine"]["executionCost"] == 7.5e-4
    assert dumped["stateMachine"]["totalCost"] == pytest.approx(1e-5 + 2e-5 + 7.5e-4)
    assert [s["value"] for s in dumped["stats"]] == [128, 512]
    assert dumped["stats"][1]["averagePrice"] == pytest.approx(output.cost)
    assert dumped["decision"]["chosenMemoryMb"] == 512
    assert dumped["savings"] is None  # 1024 MB was not measured
    assert "distinguishable" not in dumped["confidence"]  # no test on the differences was made: no such claim


CURVE_PRICING = CurvePricing(prices=PRICING.prices, architecture=PRICING.architecture)


def test_the_curve_summary_predicts_over_the_range_at_each_size_measured_and_at_the_optimum() -> None:
    """What the output carries of the cost curve: its verdict and optimum as fitted, and its predictions at sizes
    spread over the range, every size measured in it (fitted or not) and the optimum, each inside its band."""
    fitted = (256, 512, 1024, 2048, 4096)
    durations = {m: [(40 + 500 / cpu_share(m)) * (1 + 0.01 * i) for i in range(4)] for m in fitted}
    curve = fit_cost_curve(
        durations, CURVE_PRICING, lowest_mb=256, highest_mb=8192, noise_threshold=0.01, band_at=[128, 700, 3000]
    )
    assert curve is not None
    summary = curve_summary(curve, CURVE_PRICING)
    assert summary is not None

    assert (summary.fits, summary.check) == (curve.fits, curve.check.describe())
    assert summary.fitted_sizes == list(fitted)
    assert (summary.left_out_mb, summary.left_out) == (None, None)
    assert (summary.optimum_mb, summary.optimum_cost, summary.optimum_band) == (
        curve.optimum_mb,
        curve.optimum_cost,
        curve.optimum_band,
    )
    sizes = [p.memory_mb for p in summary.points]
    assert sizes == sorted(set(sizes))
    assert (sizes[0], sizes[-1]) == (256, 8192)
    assert {*fitted, 700, 3000, curve.optimum_mb} <= set(sizes)
    assert 128 not in sizes  # measured below the range (a failure, say): the curve says nothing there
    assert 40 <= len(sizes) <= 64  # enough to draw, few enough to keep the output small
    for point in summary.points:
        assert point.cost == curve.cost(point.memory_mb, CURVE_PRICING)
        assert point.duration_ms == curve.terms.duration_ms(point.memory_mb)
        assert point.low <= point.cost <= point.high
    at_optimum = next(p for p in summary.points if p.memory_mb == curve.optimum_mb)
    assert (at_optimum.cost, at_optimum.low, at_optimum.high) == (
        summary.optimum_cost,
        summary.optimum_band.low,
        summary.optimum_band.high,
    )
    assert len(summary.model_dump_json(by_alias=True)) < 12_000
    assert curve_summary(curve.model_copy(update={"band": None}), CURVE_PRICING) is None
