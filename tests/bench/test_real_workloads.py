"""Reading the real-workloads file and simulating its functions: resampled calls at measured sizes, the
interpolated mean between them, pooled and noisy aggregate sets, the figures the margins read on their truth, and
clear errors for a bad file."""

import json
import math
import random
import statistics
from pathlib import Path

import pytest
from bench.interpolation import Interpolation
from bench.real_workloads import DEFAULT_REAL_DATA, HELD_OUT, RealDataError, build, load
from bench.simulate import broken_margin, pricing_for, true_cost, true_optimum

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.measuring.lambda_logs import InvocationStatus
from tests.bench.conftest import aggregate_entry, per_invocation_entry, write_real_data


def test_each_entry_keeps_its_source_region_and_architecture(real_data: Path) -> None:
    uploader = build(load(real_data).entries[0], Interpolation.LOG_LOG)
    resize = build(load(real_data).entries[1], Interpolation.LOG_LOG)

    assert uploader.source.citation() == "example/measurements at 0123456: results.csv"
    assert (uploader.region, uploader.architecture) == ("us-east-1", Architecture.X86_64)
    assert resize.region == "us-east-2"
    assert pricing_for(resize).region == "us-east-2"


def test_a_warm_call_at_a_measured_size_is_one_of_the_calls_measured_there(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.MONOTONE)
    rng = random.Random(7)

    drawn = {thumbnailer.sample(256, rng, cold=False).duration_ms for _ in range(200)}

    assert drawn == {400.0, 420.0, 380.0}  # the 0.0 (missing in the source) is dropped


def test_a_cold_call_draws_a_measured_execution_and_init_pair(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.LOG_LOG)
    rng = random.Random(3)

    pairs = {(r.duration_ms, r.init_duration_ms) for r in (thumbnailer.sample(256, rng, cold=True) for _ in range(100))}
    at_1024 = thumbnailer.sample(1024, rng, cold=True)

    assert pairs == {(900.0, 150.0), (950.0, 160.0)}
    # 1,024 MB published no INIT: its cold call borrows the nearest size's (512 MB's 140 ms).
    assert (at_1024.duration_ms, at_1024.init_duration_ms) == (300.0, 140.0)
    assert at_1024.billed_duration_ms == 300 + 140


@pytest.mark.parametrize("kind", list(Interpolation))
def test_between_measured_sizes_a_call_is_scaled_to_the_interpolated_mean(real_data: Path, kind: Interpolation) -> None:
    thumbnailer = build(load(real_data).entries[0], kind)
    rng = random.Random(1)
    # 512 MB measured the same 200 ms three times; 1,024 MB a heavy tail. Between 256 and 512 MB either neighbour's
    # call, scaled by the curve over its mean, averages the curve.
    expected = thumbnailer.expected_duration_ms(362)

    draws = [thumbnailer.sample(362, rng, cold=False).duration_ms for _ in range(4000)]

    assert statistics.fmean(draws) == pytest.approx(expected, rel=0.01)
    assert min(draws) < expected < max(draws)


def test_the_truth_is_the_mean_with_its_tail(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.LOG_LOG)

    assert thumbnailer.expected_duration_ms(1024) == pytest.approx((120.0 + 130.0 + 2000.0) / 3)
    assert thumbnailer.expected_duration_ms(5000) == thumbnailer.expected_duration_ms(1024)  # held above


def test_below_the_lowest_measured_size_the_function_runs_out_of_memory(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.LOG_LOG)

    report = thumbnailer.sample(128, random.Random(0), cold=True)

    assert report.status is InvocationStatus.OUT_OF_MEMORY
    assert thumbnailer.runs_out_of_memory(255)
    assert not thumbnailer.runs_out_of_memory(256)
    assert true_optimum(thumbnailer)[0] >= 256


def test_the_margins_read_the_published_memory_and_the_lowest_measured_size(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.LOG_LOG)
    resize = build(load(real_data).entries[1], Interpolation.LOG_LOG)

    assert thumbnailer.most_memory_used_mb == 182  # the highest Max Memory Used published, at 1,024 MB
    assert thumbnailer.never_out_of_memory_mb == 256
    # 10% above 255 MB, the largest size that runs out of memory: 256-280 MB work but are too close to it.
    assert true_cost(thumbnailer, 270) is not None
    assert broken_margin(thumbnailer, 270) == "out-of-memory distance"
    assert true_optimum(thumbnailer)[0] >= 281
    assert resize.most_memory_used_mb == 95  # not published for aggregate sets: the stated assumption


def test_with_no_timeout_in_the_data_it_is_three_times_the_slowest_call_and_never_decides(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.LOG_LOG)
    resize = build(load(real_data).entries[1], Interpolation.LOG_LOG)

    assert thumbnailer.timeout_s == 6  # 3 x the slowest call measured, 2,000 ms at 1,024 MB
    slowest_resize = 810.0 * math.exp(-(resize.noise_sigma**2) / 2 + resize.noise_sigma * 3.0902)  # its 99.9th %
    assert resize.timeout_s == math.ceil(3 * slowest_resize / 1000)
    for workload in (thumbnailer, resize):
        timeouts = [m for m in range(256, 10_241, 16) if broken_margin(workload, m) == "timeout"]
        assert not timeouts, f"{workload.name}: the timeout margin decides at {timeouts[:5]} MB"


@pytest.mark.parametrize(("entry", "memory_mb"), [(0, 1024), (0, 700), (0, 362), (1, 300)])
@pytest.mark.parametrize("quantile", [0.5, 0.9, 0.99])
def test_a_duration_quantile_is_that_of_the_warm_calls_drawn(
    real_data: Path, entry: int, memory_mb: int, quantile: float
) -> None:
    workload = build(load(real_data).entries[entry], Interpolation.LOG_LOG)
    rng = random.Random(11)
    draws = [workload.sample(memory_mb, rng, cold=False).duration_ms for _ in range(6000)]

    value = workload.duration_quantile_ms(memory_mb, quantile)

    # The quantile: at least that share of the calls at or under it, at most that share strictly under it.
    at_most = sum(d <= value + 0.01 for d in draws) / len(draws)
    under = sum(d < value - 0.01 for d in draws) / len(draws)
    assert at_most >= quantile - 0.02, f"{at_most:.3f} of the calls at or under {value:.1f} ms"
    assert under <= quantile + 0.02, f"{under:.3f} of the calls under {value:.1f} ms"


def test_a_call_past_the_timeout_times_out_there(real_data: Path) -> None:
    thumbnailer = build(load(real_data).entries[0], Interpolation.LOG_LOG)
    rng = random.Random(2)

    reports = [thumbnailer.sample(1024, rng, cold=False, timeout_ms=1000) for _ in range(60)]

    timed_out = [r for r in reports if r.status is InvocationStatus.TIMEOUT]
    assert timed_out, "the 2,000 ms call at 1,024 MB never drawn"
    assert {r.duration_ms for r in timed_out} == {1000.0}
    assert all(r.duration_ms < 1000 for r in reports if r.status is InvocationStatus.SUCCESS)


def test_an_aggregate_set_pools_a_lucky_run_away_and_keeps_repeated_values(real_data: Path) -> None:
    resize = build(load(real_data).entries[1], Interpolation.LOG_LOG)

    # 196 MB's one run at 300 ms lies among runs of 540-560 ms within 4% (192 and 200 MB; 204 MB is just beyond):
    # the median of the three is the value there.
    assert resize.values_ms[196] == pytest.approx(statistics.median([560.0, 300.0, 540.0]))
    assert resize.values_ms[128] == pytest.approx(810.0)
    assert resize.values_ms[1024] == pytest.approx(150.0)


def test_an_aggregate_calls_noise_makes_a_mean_of_n_vary_as_the_published_runs_do(real_data: Path) -> None:
    resize = build(load(real_data).entries[1], Interpolation.LOG_LOG)
    between_runs = math.log(820 / 800) / (0.6745 * math.sqrt(2))

    assert resize.noise_sigma == pytest.approx(between_runs * math.sqrt(10), rel=1e-3)
    rng = random.Random(5)
    draws = [resize.sample(512, rng, cold=False).duration_ms for _ in range(4000)]
    assert statistics.fmean(draws) == pytest.approx(230.0, rel=0.01)  # noise of mean one


@pytest.mark.skipif(not DEFAULT_REAL_DATA.exists(), reason="the real workloads are not beside this checkout")
def test_every_held_out_function_is_in_the_data_beside_the_repository() -> None:
    names = load(DEFAULT_REAL_DATA).names

    assert set(names) >= HELD_OUT, f"held out but not in the data: {sorted(HELD_OUT - set(names))}"
    assert len(HELD_OUT) < len(names) / 2, "most functions must stay in tuning"


def test_a_missing_file_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(RealDataError, match=r"cannot read .*absent\.json"):
        load(tmp_path / "absent.json")


def test_a_file_in_another_shape_names_the_field(tmp_path: Path) -> None:
    entry = per_invocation_entry() | {"set": "per-call"}
    path = write_real_data(tmp_path / "bad.json", [entry])

    with pytest.raises(RealDataError, match=r"(?s)not in the expected shape.*workloads\.0\.set"):
        load(path)


def test_duplicate_names_and_empty_sets_are_refused(tmp_path: Path) -> None:
    twice = write_real_data(tmp_path / "twice.json", [aggregate_entry(), aggregate_entry()])
    with pytest.raises(RealDataError, match="appear twice: made-up-resize"):
        load(twice)
    empty = write_real_data(tmp_path / "empty.json", [aggregate_entry() | {"points": []}])
    with pytest.raises(RealDataError, match="needs 'points'"):
        load(empty)


def test_a_size_without_a_positive_warm_duration_is_refused(tmp_path: Path) -> None:
    entry = per_invocation_entry()
    entry["sizes"][1]["warm_ms"] = [0.0]
    path = tmp_path / "zero.json"
    path.write_text(json.dumps({"workloads": [entry]}))

    with pytest.raises(RealDataError, match="no positive warm duration at 512 MB"):
        load(path)


def test_the_product_never_reads_the_real_workloads_nor_the_benchmark() -> None:
    root = Path(__file__).resolve().parents[2]
    offending = [
        f"{path.relative_to(root)}: {needle!r}"
        for folder in ("src", "tools")
        for path in sorted((root / folder).rglob("*.py"))
        for needle in ("real-workloads", "shared/data", "from bench", "import bench")
        if needle in path.read_text()
    ]

    assert not offending, f"the product must not read ../shared or the benchmark: {offending}"
