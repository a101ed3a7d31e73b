"""Fitting the duration model to the measured sizes, and the check that a fit explains them before it is used."""

import math
from collections.abc import Sequence

import pytest

from autotuner.domain.measuring.statistics import median
from autotuner.domain.search.curve_fit import (
    MEDIAN_EFFICIENCY,
    PRIOR_NOISE,
    PRIOR_WEIGHT,
    CurveData,
    FitCheck,
    PointFit,
    check_fit,
    fit_point,
    pooled_log_noise,
    widened,
)
from autotuner.domain.search.duration_model import basis

SIZES = (128, 256, 512, 1024, 2048, 4096)
ONE_THREAD = (30.0, 400.0, 0.0, 0.0, 0.0, 0.0)  # 30 ms of I/O, 400 ms of one thread at a full vCPU
SPREAD = (0.97, 1.0, 1.03)  # each size's calls: 3% either side of the curve, the median on it


def model_ms(memory_mb: int, weights: Sequence[float] = ONE_THREAD) -> float:
    return math.fsum(w * b for w, b in zip(weights, basis(memory_mb), strict=True))


def curve_data(samples: dict[int, Sequence[float]]) -> CurveData:
    """As the cost curve builds it: the pooled noise, each median weighed by its samples over its square."""
    sizes = tuple(sorted(samples))
    values = tuple(tuple(samples[m]) for m in sizes)
    return CurveData(sizes=sizes, samples=values, noise=pooled_log_noise(values),
                     precision=tuple(len(v) / median(v) ** 2 for v in values))  # fmt: skip


def on_the_model(factors: Sequence[float] = SPREAD, bump: dict[int, float] | None = None) -> CurveData:
    bump = bump or {}
    return curve_data({m: [model_ms(m) * bump.get(m, 1.0) * f for f in factors] for m in SIZES})


def test_a_fit_of_data_from_the_duration_model_recovers_it_and_passes_the_check() -> None:
    data = on_the_model()
    point = fit_point(data, data.medians(), data.samples)
    assert point.weights == pytest.approx(ONE_THREAD, abs=1e-6)
    assert point.level == pytest.approx(1.0)  # the calls average to the median: (0.97 + 1 + 1.03) / 3
    check = check_fit(data, point, noise_threshold=0.01)
    assert check.fits
    assert check.statistic == pytest.approx(0.0, abs=1e-9)
    assert check.freedom == len(SIZES) - 2  # two shapes used
    assert check.limit == pytest.approx(13.277, rel=0.005)  # chi-square's 99th percentile at 4 degrees of freedom
    assert check.relative_noise == data.noise


def test_a_bump_the_model_cannot_explain_fails_the_check_and_names_the_worst_size() -> None:
    """Every shape falls with memory, so a size slower than the smaller one before it is beyond the model."""
    data = on_the_model(bump={1024: 1.3})
    check = check_fit(data, fit_point(data, data.medians(), data.samples), noise_threshold=0.01)
    assert not check.fits
    assert check.statistic > check.limit
    assert (check.worst_mb, check.worst_residual > 0.1) == (1024, True)
    assert "does not fit" in check.describe()
    assert "at 1024 MB" in check.describe()


def test_a_misfit_within_half_the_noise_threshold_is_allowed_for() -> None:
    """With fifty identical calls per size the noise is tiny: a 5% misfit fails a strict check, and passes one
    whose noise threshold of 10% says a difference of 5% could not change a decision."""
    data = curve_data({m: [model_ms(m) * (1.05 if m == 1024 else 1.0)] * 50 for m in SIZES})
    point = fit_point(data, data.medians(), data.samples)
    assert not check_fit(data, point, noise_threshold=0.0).fits
    assert check_fit(data, point, noise_threshold=0.1).fits


def test_the_level_scales_the_curve_to_the_mean_of_every_call_slow_ones_included() -> None:
    """One call in three takes twice as long: the medians, and so the shape, ignore it; the level does not."""
    data = on_the_model(factors=(1.0, 1.0, 2.0))
    point = fit_point(data, data.medians(), data.samples)
    assert point.weights == pytest.approx(ONE_THREAD, abs=1e-6)
    assert point.level == pytest.approx(4 / 3)
    terms = point.terms()
    assert terms.duration_ms(512) == pytest.approx(4 / 3 * model_ms(512))
    assert terms.median_duration_ms(512) == pytest.approx(model_ms(512))


def test_the_point_fit_names_each_weight_as_the_model_does() -> None:
    terms = PointFit(weights=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), level=1.5).terms()
    assert (terms.io_ms, terms.serial_ms, terms.parallel_ms, terms.pressure_ms, terms.level) == (
        1.0, 2.0, 3.0, [4.0, 5.0, 6.0], 1.5,
    )  # fmt: skip


def test_pooled_noise_is_the_scaled_mad_of_log_durations_pooled_with_a_weak_prior() -> None:
    # each size: log durations at -ln 0.97, 0 and ln 1.03 about the median; their MAD is ln 1.03 (< -ln 0.97)
    sigma = 1.4826 * math.log(1.03)
    sizes = len(SIZES)
    expected = math.sqrt((PRIOR_WEIGHT * PRIOR_NOISE**2 + sizes * 2 * sigma**2) / (PRIOR_WEIGHT + sizes * 2))
    assert on_the_model().noise == pytest.approx(expected)


def test_with_nothing_to_measure_it_by_the_noise_is_the_prior() -> None:
    assert pooled_log_noise([]) == PRIOR_NOISE
    assert pooled_log_noise([[120.0], [80.0]]) == PRIOR_NOISE  # one call shows no spread


def test_a_rare_slow_call_does_not_move_the_pooled_noise() -> None:
    """Log durations 0, +-0.01 about the median: their MAD is 0.01 whether the fifth call is as quick or four times
    as slow."""
    near = [100.0, 100 * math.exp(0.01), 100 * math.exp(-0.01), 100.0]
    expected = math.sqrt((PRIOR_WEIGHT * PRIOR_NOISE**2 + 4 * (1.4826 * 0.01) ** 2) / (PRIOR_WEIGHT + 4))
    assert pooled_log_noise([[*near, 100 * math.exp(0.01)]]) == pytest.approx(expected)
    assert pooled_log_noise([[*near, 400.0]]) == pytest.approx(expected)


def test_a_median_may_stray_by_the_noise_or_the_dispersion_whichever_is_larger() -> None:
    data = CurveData(sizes=(512, 1024), samples=((1.0,) * 4, (1.0,) * 9), noise=0.04, precision=(1.0, 1.0))
    assert data.dispersed_errors() == pytest.approx([0.04 * MEDIAN_EFFICIENCY / 2, 0.04 * MEDIAN_EFFICIENCY / 3])
    slow_modes = CurveData(sizes=data.sizes, samples=data.samples, noise=0.04, precision=data.precision,
                           dispersion=0.1)  # fmt: skip
    assert slow_modes.dispersed_errors() == pytest.approx([0.1 * MEDIAN_EFFICIENCY / 2, 0.1 * MEDIAN_EFFICIENCY / 3])


def check(statistic: float, freedom: int) -> FitCheck:
    return FitCheck(fits=True, statistic=statistic, limit=13.3, freedom=freedom, worst_mb=1024, worst_residual=0.3,
                    relative_noise=0.044)  # fmt: skip


def test_a_band_is_widened_by_the_root_of_the_misfit_per_degree_of_freedom() -> None:
    assert widened(10.0, 9.0, 12.0, check(statistic=8.0, freedom=2)) == (8.0, 14.0)  # misfit 4 per degree: x2
    assert widened(10.0, 9.0, 12.0, check(statistic=1.0, freedom=2)) == (9.0, 12.0)  # within the noise: as it was


def test_the_check_describes_itself_in_the_figures_it_was_decided_on() -> None:
    failed = check(statistic=42.0, freedom=4).model_copy(update={"fits": False})
    assert failed.describe() == (
        "the cost curve does not fit the measured sizes (misfit 42.0 against a limit of 13.3; largest residual "
        "+30.0% at 1024 MB, noise 4.4% per invocation)"
    )
    left = check(statistic=2.0, freedom=4).model_copy(update={"left_out": "768 MB (one slow call)"})
    assert left.describe().startswith("the cost curve fits the measured sizes (misfit 2.0 against")
    assert left.describe().endswith(", leaving out 768 MB (one slow call)")
