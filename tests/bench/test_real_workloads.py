"""Reading the real-workloads file and simulating its functions: resampled calls at measured sizes, the
interpolated mean between them, pooled and noisy aggregate sets, and clear errors for a bad file."""

import json
import math
import random
import statistics
from pathlib import Path

import pytest
from bench.interpolation import Interpolation
from bench.real_workloads import DEFAULT_REAL_DATA, HELD_OUT, RealDataError, build, load
from bench.simulate import pricing_for, true_optimum

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
